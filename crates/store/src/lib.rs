//! Storage of Mektep: one codebase over SQLite (embedded, the default) and PostgreSQL
//! (production).
//!
//! Every query is written once, with `$1` placeholders that both drivers accept, and expanded
//! for each backend by [`with_pool!`]: the compiler checks the same text against both drivers'
//! types. SQL lives in this crate alone.
//!
//! SQLite allows one writer at a time; instead of letting many connections fight over the lock
//! (and fail with `SQLITE_BUSY` under the opening-minute rush), writes go through a pool of one
//! connection and reads through a separate pool. On PostgreSQL both are the same pool.

mod audit;
pub mod backup;
mod blobs;
mod challenges;
mod error;
mod packs;
mod people;
mod reference;
mod retention;
pub mod sealed;
mod sessions;
mod settings;
mod signed_in_cache;

pub mod applications;
pub mod issued;
pub mod outbox;
pub mod walkin;

pub use audit::{AuditEntry, AuditRecord, AuditVerification};
pub use blobs::{BlobStore, StoredBlob};
pub use challenges::{Challenge, ChallengeRefusal};
pub use error::StoreError;
pub use packs::DeletionHold;
pub use people::{ContactConfirmation, NewSession, Person, Signer, StaffRole, StaffRoleKind};
pub use reference::{
    CampaignRecord, NewSchool, School, SchoolImport, SchoolPlaces, Street, TerritoryImport,
    TerritoryRange,
};
pub use retention::{PurgeCandidate, purge_expired};
pub use sealed::{Keyring, MasterKey};
pub use sessions::SessionRecord;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Runs the same body against whichever backend a pool handle holds.
macro_rules! with_pool {
    ($handle:expr, |$pool:ident| $body:expr) => {
        match $handle {
            $crate::PoolHandle::Sqlite($pool) => $body,
            $crate::PoolHandle::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Runs the same body inside whichever backend's transaction `Tx` holds; `$conn` is the
/// connection to pass to `execute`/`fetch_*` as `&mut *$conn`.
macro_rules! with_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $conn: &mut sqlx::SqliteConnection = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $conn: &mut sqlx::PgConnection = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use with_tx;

/// A statement inside a transaction whose result nobody reads (an event row, an audit record,
/// an outbox message). On PostgreSQL it goes out with the transaction's next statement or its
/// `COMMIT`, without a round trip of its own (`vendor/README.md`); if it fails, that next
/// statement fails with its error and nothing is committed. SQLite, in-process, runs it at once.
pub(crate) trait Deferred: sqlx::Connection {
    fn execute_deferred<'q>(
        &mut self,
        query: sqlx::query::Query<
            'q,
            Self::Database,
            <Self::Database as sqlx::Database>::Arguments,
        >,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl Deferred for sqlx::SqliteConnection {
    async fn execute_deferred<'q>(
        &mut self,
        query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    ) -> Result<(), sqlx::Error> {
        query.execute(self).await.map(drop)
    }
}

impl Deferred for sqlx::PgConnection {
    fn execute_deferred<'q>(
        &mut self,
        query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send {
        sqlx::PgConnection::execute_deferred(self, query)
    }
}

/// A write transaction on either backend.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Read connections to a SQLite database, and the page cache of each (negative: KiB).
const SQLITE_READERS: u32 = 4;
const SQLITE_READ_CACHE_KIB: &str = "-16384";
const SQLITE_CHECKPOINT_PAGES: &str = "8000";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum PoolHandle {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database behind the service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    read: PoolHandle,
    write: PoolHandle,
    signed_in_cache: std::sync::Arc<signed_in_cache::SignedInCache>,
}

/// How to reach the database.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// `sqlite://path` or `postgres://…`.
    pub url: String,
    /// Connections for reads and writes on PostgreSQL; on SQLite, for reads, at most
    /// [`SQLITE_READERS`].
    pub max_connections: u32,
}

impl Store {
    /// Opens the database and migrates it to this build's schema. A database written by a newer
    /// build is refused: running old code on it could silently drop data it does not know.
    pub async fn open(config: &StoreConfig) -> Result<Store, StoreError> {
        let store = if config.url.starts_with("sqlite:") {
            Self::open_sqlite(config).await?
        } else if config.url.starts_with("postgres:") || config.url.starts_with("postgresql:") {
            Self::open_postgres(config).await?
        } else {
            return Err(StoreError::Config(format!(
                "database URL must start with sqlite: or postgres:, got scheme {:?}",
                config.url.split(':').next().unwrap_or_default()
            )));
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn open_sqlite(config: &StoreConfig) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str(&config.url)
            .map_err(|e| StoreError::Config(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a process kill; only a power loss may lose the last
            // commits, which a single-machine SQLite deployment accepts (PostgreSQL for more).
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // A checkpoint copies every page the WAL holds into the database file and flushes
            // both. The rush rewrites the same hot pages (the audit head, the newest rows and
            // their indexes) in every commit: checkpointing every 8,000 pages instead of 1,000
            // copies each of them an eighth as often (bench/README.md, "Sixth round").
            .pragma("wal_autocheckpoint", SQLITE_CHECKPOINT_PAGES);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        // A statement runs on the calling thread and holds its connection only while it runs
        // (vendor/README.md), so more read connections than threads would only wait; a few, each
        // with a page cache large enough for the parents' hot pages, read less from the file.
        // Mapping the file instead (`mmap_size`) made the status page faster once the rush was
        // over but the rush slower: every commit makes each reader unmap and map the file again
        // (bench/README.md).
        let read = SqlitePoolOptions::new()
            .max_connections(config.max_connections.clamp(2, SQLITE_READERS))
            .connect_with(options.pragma("cache_size", SQLITE_READ_CACHE_KIB))
            .await?;
        Ok(Store::with_pools(
            PoolHandle::Sqlite(read),
            PoolHandle::Sqlite(write),
        ))
    }

    async fn open_postgres(config: &StoreConfig) -> Result<Store, StoreError> {
        let options = PgConnectOptions::from_str(&config.url)
            .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections.max(2))
            // sqlx pings a connection when it goes back to the pool and, by default, again when
            // it is taken out: two round trips to PostgreSQL per query besides the query's own.
            // Not when it is taken out, and the vendored driver skips the ping on return for a
            // clean connection (vendor/README.md): after a restart, a connection that broke
            // fails one request (the translated "briefly unavailable" page,
            // scripts/pg_restart_test.py) and is dropped.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Store::with_pools(
            PoolHandle::Postgres(pool.clone()),
            PoolHandle::Postgres(pool),
        ))
    }

    fn with_pools(read: PoolHandle, write: PoolHandle) -> Store {
        Store {
            read,
            write,
            signed_in_cache: std::sync::Arc::new(signed_in_cache::SignedInCache::new(
                Duration::ZERO,
            )),
        }
    }

    /// Remembers who is signed in with a session for `keep` (see `signed_in_cache`): what this
    /// process changes is forgotten at once, what another process changes is seen within
    /// `keep`. Zero, the default, asks the database on every request.
    pub fn remember_signed_in_for(mut self, keep: Duration) -> Store {
        self.signed_in_cache = std::sync::Arc::new(signed_in_cache::SignedInCache::new(keep));
        self
    }

    pub fn backend(&self) -> Backend {
        match self.write {
            PoolHandle::Sqlite(_) => Backend::Sqlite,
            PoolHandle::Postgres(_) => Backend::Postgres,
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let result = match &self.write {
            PoolHandle::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            PoolHandle::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        };
        result.map_err(|e| match e {
            sqlx::migrate::MigrateError::VersionMissing(v) => StoreError::SchemaTooNew(v),
            other => StoreError::Migration(other.to_string()),
        })
    }

    /// Ready means: the database answers and holds every migration this build knows.
    pub async fn readiness(&self) -> Result<(), StoreError> {
        let expected = match self.backend() {
            Backend::Sqlite => SQLITE_MIGRATIONS.iter().count(),
            Backend::Postgres => POSTGRES_MIGRATIONS.iter().count(),
        } as i64;
        let applied: i64 = with_pool!(&self.read, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(pool)
                .await?
        });
        if applied < expected {
            return Err(StoreError::Migration(format!(
                "{applied} of {expected} migrations applied"
            )));
        }
        Ok(())
    }

    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match &self.write {
            // IMMEDIATE takes the write lock first, waiting out another process's writer (a
            // backup, `mektep purge`, the load generator registering its parents). A deferred
            // transaction that read before its first write would instead fail at once with
            // "database is locked" when another process had written in between.
            PoolHandle::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            PoolHandle::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A write transaction for what a parent would simply do again if a power loss took it: a
    /// sign-in, a draft and its documents. On PostgreSQL its commit does not wait for the WAL
    /// flush (`synchronous_commit = off`: a power loss may undo the last fraction of a second of
    /// such commits, never leave half of one), as SQLite's `synchronous = NORMAL` does for every
    /// commit here. A submission and every decision still wait for the flush, and since the WAL
    /// is written in order, that flush makes the draft's earlier commits durable with it.
    ///
    /// Why: each audited write holds the audit head's row lock until its commit ends. With the
    /// flush inside, PostgreSQL ran the rush's audited writes one disk flush at a time
    /// (`pg_stat_activity` sampled during the rush: 580 of 700 active backends waiting on that
    /// lock; bench/README.md, "Fifth round").
    pub(crate) async fn begin_draft(&self) -> Result<Tx, StoreError> {
        Ok(match &self.write {
            PoolHandle::Sqlite(_) => self.begin().await?,
            // One simple query: no extra round trip for the setting.
            PoolHandle::Postgres(pool) => Tx::Postgres(
                pool.begin_with("BEGIN; SET LOCAL synchronous_commit TO off")
                    .await?,
            ),
        })
    }

    pub async fn close(&self) {
        with_pool!(&self.write, |pool| pool.close().await);
        with_pool!(&self.read, |pool| pool.close().await);
    }
}

/// Creates a fresh, uniquely named PostgreSQL database next to the one `base_url` names, and
/// returns its URL: each test (and each test run) gets a database of its own.
pub async fn create_postgres_database(base_url: &str, prefix: &str) -> Result<String, StoreError> {
    let name = format!("{prefix}_{}", random_token(6));
    let admin = PgPool::connect(base_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await?;
    admin.close().await;
    let cut = base_url
        .rfind('/')
        .filter(|i| *i > base_url.find("://").map(|s| s + 2).unwrap_or(0))
        .ok_or_else(|| StoreError::Config("PostgreSQL URL must name a database".into()))?;
    Ok(format!("{}/{name}", &base_url[..cut]))
}

/// `$first, $first+1, …`: the numbered parameters of `count` values in a statement built for a
/// list (both databases take `$n`).
pub(crate) fn parameters(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A random token as lowercase hex, from the operating system's generator.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_data;
#[cfg(test)]
mod tests_packs;
#[cfg(test)]
mod tests_sealed;
