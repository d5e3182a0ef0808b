use thiserror::Error;

/// Why a storage operation failed. The web layer maps `NotFound` and `Conflict` to answers a
/// user can act on; everything else is an internal error logged with the request id.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error(
        "the database was written by a newer version of Mektep (it has migration {0}, which this \
         build does not know); run the newer version or restore a backup"
    )]
    SchemaTooNew(i64),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("stored data is invalid: {0}")]
    Data(String),
    #[error("document storage: {0}")]
    Io(#[from] std::io::Error),
    /// A sealed document file that does not open: changed, cut short, or its key is missing.
    #[error("encrypted document: {0}")]
    Crypto(String),
    #[error("storage.encryption_keys: {0}")]
    Keys(String),
    #[error("backup: {0}")]
    Backup(String),
}

impl StoreError {
    /// A unique-constraint violation, which callers turn into a domain answer (a second
    /// application for the same child, a duplicate BIN) rather than an internal error.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }

    /// The disk (or the file size limit) refused a write: the person is told that files cannot
    /// be stored right now, rather than that something broke.
    pub fn is_storage_full(&self) -> bool {
        use std::io::ErrorKind::{FileTooLarge, QuotaExceeded, StorageFull};
        match self {
            StoreError::Io(e) => matches!(e.kind(), StorageFull | FileTooLarge | QuotaExceeded),
            StoreError::Database(sqlx::Error::Io(e)) => {
                matches!(e.kind(), StorageFull | FileTooLarge | QuotaExceeded)
            }
            _ => false,
        }
    }

    /// The database cannot be reached for now (restarting, connection lost, pool exhausted):
    /// the request is answered at once with "try again", and the pool reconnects by itself.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_),
            ) => true,
            // SQLSTATE class 08 (connection exception) and 57P0x (the server is shutting down,
            // or starting and not yet accepting connections).
            StoreError::Database(sqlx::Error::Database(e)) => e
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        }
    }
}
