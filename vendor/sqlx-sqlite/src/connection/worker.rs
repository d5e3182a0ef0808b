// Mektep's patch: statements run on the calling thread instead of a thread per connection.
//
// Upstream, each SQLite connection owns a thread and every command (a statement, BEGIN, COMMIT,
// a pool's liveness ping) is handed to it over a channel and its answer handed back: two context
// switches and two futex calls per statement, and BEGIN/COMMIT wait for an acknowledgement on top.
// A SQLite statement on a page-cached database takes microseconds, far less than the hand-off;
// in Mektep's load test the hand-off was about 45% of the server's CPU. Here the command runs at
// once, under the connection's lock, on whichever thread polls the future, and the results are
// handed over in an already-filled channel, so the callers in the rest of this crate are unchanged.
//
// What the caller gives up: a statement that waits (a lock held by another *process*, up to the
// connection's busy timeout, or the fsync of a WAL checkpoint that a commit runs) waits on the
// async runtime's thread. Mektep writes through one connection per process, so it never waits for
// itself (vendor/README.md).
//
// Cancellation becomes simpler: a command is never half-acknowledged, because it runs entirely
// within one poll of its future.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_intrusive::sync::{Mutex, MutexGuard};
use sqlx_core::sql_str::SqlStr;

use sqlx_core::error::Error;
use sqlx_core::transaction::{
    begin_ansi_transaction_sql, commit_ansi_transaction_sql, rollback_ansi_transaction_sql,
};
use sqlx_core::Either;

use crate::connection::establish::EstablishParams;
use crate::connection::execute;
use crate::connection::ConnectionState;
use crate::{SqliteArguments, SqliteQueryResult, SqliteRow, SqliteStatement};

#[cfg(feature = "deserialize")]
use crate::connection::deserialize::{deserialize, serialize, SchemaName, SqliteOwnedBuf};

pub(crate) struct ConnectionWorker {
    /// Mutex for locking access to the database.
    pub(crate) shared: Arc<WorkerSharedState>,
}

pub(crate) struct WorkerSharedState {
    transaction_depth: AtomicUsize,
    cached_statements_size: AtomicUsize,
    pub(crate) conn: Mutex<ConnectionState>,
}

impl WorkerSharedState {
    pub(crate) fn get_transaction_depth(&self) -> usize {
        self.transaction_depth.load(Ordering::Acquire)
    }

    pub(crate) fn get_cached_statements_size(&self) -> usize {
        self.cached_statements_size.load(Ordering::Acquire)
    }
}

type ExecuteResult = Result<Either<SqliteQueryResult, SqliteRow>, Error>;

impl ConnectionWorker {
    pub(crate) async fn establish(params: EstablishParams) -> Result<Self, Error> {
        let conn = params.establish()?;
        Ok(Self {
            shared: Arc::new(WorkerSharedState {
                transaction_depth: AtomicUsize::new(0),
                cached_statements_size: AtomicUsize::new(0),
                conn: Mutex::new(conn, true),
            }),
        })
    }

    /// The connection's state. Every method takes `&mut self` and a `LockedSqliteHandle`
    /// borrows the connection mutably, so the lock is never held elsewhere when a command runs.
    fn state(&self) -> Result<MutexGuard<'_, ConnectionState>, Error> {
        self.shared.conn.try_lock().ok_or(Error::WorkerCrashed)
    }

    fn note_cache_size(&self, conn: &ConnectionState) {
        self.shared
            .cached_statements_size
            .store(conn.statements.len(), Ordering::Release);
    }

    pub(crate) async fn prepare(&mut self, query: SqlStr) -> Result<SqliteStatement, Error> {
        let mut conn = self.state()?;
        let res = prepare(&mut conn, query);
        self.note_cache_size(&conn);
        res
    }

    #[cfg(feature = "offline")]
    pub(crate) async fn describe(
        &mut self,
        query: SqlStr,
    ) -> Result<sqlx_core::describe::Describe<crate::Sqlite>, Error> {
        let mut conn = self.state()?;
        crate::connection::describe::describe(&mut conn, query)
    }

    pub(crate) async fn execute(
        &mut self,
        query: SqlStr,
        args: Option<SqliteArguments>,
        _chan_size: usize,
        persistent: bool,
        limit: Option<usize>,
    ) -> Result<flume::Receiver<ExecuteResult>, Error> {
        let (tx, rx) = flume::unbounded();
        let mut conn = self.state()?;
        match execute::iter(&mut conn, query, args, persistent) {
            Err(e) => {
                let _ = tx.send(Err(e));
            }
            Ok(iter) => {
                let mut rows_returned = 0;
                for res in iter {
                    let is_row = matches!(res, Ok(Either::Right(_)));
                    let has_error = res.is_err();
                    let _ = tx.send(res);
                    if has_error {
                        break;
                    }
                    if is_row {
                        rows_returned += 1;
                        if limit.is_some_and(|limit| rows_returned >= limit) {
                            break;
                        }
                    }
                }
            }
        }
        self.note_cache_size(&conn);
        Ok(rx)
    }

    pub(crate) async fn begin(&mut self, statement: Option<SqlStr>) -> Result<(), Error> {
        let mut conn = self.state()?;
        let depth = self.shared.transaction_depth.load(Ordering::Acquire);
        let is_custom_statement = statement.is_some();
        let statement = match statement {
            // custom `BEGIN` statements are not allowed if we're already in a transaction
            // (we need to issue a `SAVEPOINT` instead)
            Some(_) if depth > 0 => return Err(Error::InvalidSavePointStatement),
            Some(statement) => statement,
            None => begin_ansi_transaction_sql(depth),
        };
        conn.handle.exec(statement.as_str())?;
        if is_custom_statement && !conn.handle.in_transaction() {
            return Err(Error::BeginFailed);
        }
        self.shared.transaction_depth.fetch_add(1, Ordering::Release);
        Ok(())
    }

    pub(crate) fn commit(&mut self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        std::future::ready(self.end_transaction(commit_ansi_transaction_sql))
    }

    pub(crate) fn rollback(&mut self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        std::future::ready(self.end_transaction(rollback_ansi_transaction_sql))
    }

    pub(crate) fn start_rollback(&mut self) -> Result<(), Error> {
        self.end_transaction(rollback_ansi_transaction_sql)
    }

    fn end_transaction(&mut self, sql: fn(usize) -> SqlStr) -> Result<(), Error> {
        let mut conn = self.state()?;
        let depth = self.shared.transaction_depth.load(Ordering::Acquire);
        if depth == 0 {
            return Ok(());
        }
        conn.handle.exec(sql(depth).as_str())?;
        self.shared.transaction_depth.fetch_sub(1, Ordering::Release);
        Ok(())
    }

    pub(crate) fn ping(&mut self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        std::future::ready(self.state().map(|_| ()))
    }

    #[cfg(feature = "deserialize")]
    pub(crate) async fn deserialize(
        &mut self,
        schema: Option<SchemaName>,
        data: SqliteOwnedBuf,
        read_only: bool,
    ) -> Result<(), Error> {
        let mut conn = self.state()?;
        deserialize(&mut conn, schema, data, read_only)
    }

    #[cfg(feature = "deserialize")]
    pub(crate) async fn serialize(
        &mut self,
        schema: Option<SchemaName>,
    ) -> Result<SqliteOwnedBuf, Error> {
        let mut conn = self.state()?;
        serialize(&mut conn, schema)
    }

    pub(crate) async fn clear_cache(&mut self) -> Result<(), Error> {
        let mut conn = self.state()?;
        conn.statements.clear();
        self.note_cache_size(&conn);
        Ok(())
    }

    pub(crate) async fn unlock_db(&mut self) -> Result<MutexGuard<'_, ConnectionState>, Error> {
        Ok(self.shared.conn.lock().await)
    }

    /// Nothing to stop: the database handle closes when the connection is dropped.
    pub(crate) fn shutdown(&mut self) -> impl Future<Output = Result<(), Error>> {
        std::future::ready(Ok(()))
    }
}

fn prepare(conn: &mut ConnectionState, query: SqlStr) -> Result<SqliteStatement, Error> {
    // prepare statement object (or checkout from cache)
    let statement = conn.statements.get(query.as_str(), true)?;

    let mut parameters = 0;
    let mut columns = None;
    let mut column_names = None;

    while let Some(statement) = statement.prepare_next(&mut conn.handle)? {
        parameters += statement.handle.bind_parameter_count();

        // the first non-empty statement is chosen as the statement we pull columns from
        if !statement.columns.is_empty() && columns.is_none() {
            columns = Some(Arc::clone(statement.columns));
            column_names = Some(Arc::clone(statement.column_names));
        }
    }

    Ok(SqliteStatement {
        sql: query,
        columns: columns.unwrap_or_default(),
        column_names: column_names.unwrap_or_default(),
        parameters,
    })
}
