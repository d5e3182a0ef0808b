//! Backups: a consistent snapshot of the database and of the document files its rows name,
//! taken while the service runs, with a manifest of hashes that a restore checks first.
//!
//! Consistency: the database is copied as of one instant (SQLite: `VACUUM INTO`, a read
//! transaction; PostgreSQL: every table with `COPY` inside one REPEATABLE READ transaction), and
//! the list of files to copy is read from that same snapshot. A file is written before its row
//! is committed, so every row in the snapshot has its file at that instant; a file deleted after
//! it (a parent removing an upload, a retention purge) is kept alive for the copy by hard links
//! taken just before the snapshot. A file both created and deleted around the snapshot (a race
//! of milliseconds) makes the backup start again.
//!
//! PostgreSQL is exported by the application itself rather than with `pg_dump`: no client tool
//! of a matching major version has to be installed next to the service, the restore builds the
//! schema with this build's own migrations (exactly the schema the code expects), and the list
//! of files is read in the very transaction that exported the rows.
//!
//! Layout: `manifest.json` (written last: a backup without it is incomplete), `database.sqlite`
//! or `postgres/<table>.copy` (COPY text format), and `documents/<xx>/<key>` as stored (still
//! encrypted: a backup is no easier to read than the data directory).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::{
    Backend, BlobStore, POSTGRES_MIGRATIONS, PoolHandle, Store, StoreConfig, StoreError,
    random_token, sealed,
};

pub const MANIFEST: &str = "manifest.json";
const FORMAT: u32 = 1;
const ATTEMPTS: usize = 3;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub backend: String,
    pub created_at: DateTime<Utc>,
    /// Schema migrations applied in the snapshot.
    pub migrations: Vec<i64>,
    /// The database's own files, each with its hash.
    pub database: Vec<FileEntry>,
    /// Rows per table in the snapshot.
    pub tables: BTreeMap<String, TableEntry>,
    pub documents: Vec<FileEntry>,
    /// Master keys the document files need (`storage.encryption_keys`); the keys themselves
    /// are never in a backup.
    pub key_ids: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path inside the backup, `/`-separated.
    pub path: String,
    /// SHA-256 of the bytes as stored in the backup.
    pub sha256: String,
    pub size: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TableEntry {
    pub rows: i64,
    /// PostgreSQL: the columns in the order of the COPY file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
}

/// Removes the hard links that keep files alive for a backup, whatever happens.
struct Staging(PathBuf);
impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn backup_error(what: impl std::fmt::Display) -> StoreError {
    StoreError::Backup(what.to_string())
}

impl Store {
    /// Writes a backup into `dest` (a new or empty directory) and returns its manifest.
    pub async fn backup(&self, blobs: &BlobStore, dest: &Path) -> Result<Manifest, StoreError> {
        if dest.exists()
            && std::fs::read_dir(dest)
                .map_err(|e| backup_error(format!("{}: {e}", dest.display())))?
                .next()
                .is_some()
        {
            return Err(backup_error(format!(
                "{} is not empty; give a new directory",
                dest.display()
            )));
        }
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let _ = std::fs::remove_dir_all(dest);
            std::fs::create_dir_all(dest)?;
            match self.backup_once(blobs, dest).await {
                Ok(m) => return Ok(m),
                Err(Retry::Again(why)) => last = Some(why),
                Err(Retry::Fail(e)) => {
                    let _ = std::fs::remove_dir_all(dest);
                    return Err(e);
                }
            }
        }
        let _ = std::fs::remove_dir_all(dest);
        Err(backup_error(format!(
            "files kept changing during {ATTEMPTS} attempts ({})",
            last.unwrap_or_default()
        )))
    }

    async fn backup_once(&self, blobs: &BlobStore, dest: &Path) -> Result<Manifest, Retry> {
        // Hard links first: files that exist now survive a deletion during the copy.
        let staging = Staging(blobs.root().join(format!("backup-{}", random_token(8))));
        let (root, staged) = (blobs.root().to_owned(), staging.0.clone());
        blocking(move || link_all(&root, &staged)).await?;
        // And packed documents deleted from here on keep their bytes until the copy is done.
        let hold = {
            let blobs = blobs.clone();
            blocking(move || blobs.hold_deletions()).await?
        };

        let snapshot = match self.backend() {
            Backend::Sqlite => self.snapshot_sqlite(dest).await?,
            Backend::Postgres => self.snapshot_postgres(dest).await?,
        };

        let (blobs, dest_owned, staged) = (blobs.clone(), dest.to_owned(), staging.0.clone());
        let keys = snapshot.blob_keys.clone();
        let (documents, key_ids) =
            blocking(move || copy_documents(&blobs, &staged, &dest_owned, &keys)).await??;
        drop(hold);
        drop(staging);

        let manifest = Manifest {
            format: FORMAT,
            backend: self.backend().as_str().to_owned(),
            created_at: Utc::now(),
            migrations: snapshot.migrations,
            database: snapshot.files,
            tables: snapshot.tables,
            documents,
            key_ids,
        };
        let text = serde_json::to_vec_pretty(&manifest).map_err(backup_error)?;
        let tmp = dest.join(format!("{MANIFEST}.tmp"));
        write_durably(&tmp, &text)?;
        std::fs::rename(&tmp, dest.join(MANIFEST)).map_err(StoreError::from)?;
        Ok(manifest)
    }

    async fn snapshot_sqlite(&self, dest: &Path) -> Result<Snapshot, StoreError> {
        let file = dest.join("database.sqlite");
        let target = file
            .to_str()
            .ok_or_else(|| backup_error("the backup path must be valid UTF-8"))?
            .to_owned();
        let PoolHandle::Sqlite(pool) = &self.read else {
            return Err(backup_error("not a SQLite store"));
        };
        // One read transaction: the copy is the database as of its start, whatever commits
        // meanwhile (WAL mode lets the writer go on).
        sqlx::query("VACUUM INTO $1")
            .bind(&target)
            .execute(pool)
            .await?;
        let snap = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(SqliteConnectOptions::new().filename(&file).read_only(true))
            .await?;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&snap)
        .await?;
        let mut counts = BTreeMap::new();
        for t in &tables {
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\"")))
                    .fetch_one(&snap)
                    .await?;
            counts.insert(
                t.clone(),
                TableEntry {
                    rows: n,
                    columns: Vec::new(),
                },
            );
        }
        let migrations: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
        )
        .fetch_all(&snap)
        .await?;
        let blob_keys: Vec<String> = sqlx::query_scalar(BLOB_KEYS).fetch_all(&snap).await?;
        snap.close().await;
        let (sha256, size) = hash_file(&file)?;
        Ok(Snapshot {
            migrations,
            files: vec![FileEntry {
                path: "database.sqlite".into(),
                sha256,
                size,
            }],
            tables: counts,
            blob_keys,
        })
    }

    async fn snapshot_postgres(&self, dest: &Path) -> Result<Snapshot, StoreError> {
        use futures_util::StreamExt;
        let PoolHandle::Postgres(pool) = &self.read else {
            return Err(backup_error("not a PostgreSQL store"));
        };
        let mut tx = pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let tables = pg_tables(&mut tx).await?;
        let dir = dest.join("postgres");
        std::fs::create_dir_all(&dir)?;
        let mut files = Vec::new();
        let mut counts = BTreeMap::new();
        for (table, columns) in &tables {
            let cols = quoted_list(columns);
            let name = format!("postgres/{table}.copy");
            let path = dest.join(&name);
            let mut out = HashingWriter::create(&path)?;
            let mut rows = 0i64;
            {
                let mut stream = tx
                    .copy_out_raw(&format!("COPY \"{table}\" ({cols}) TO STDOUT"))
                    .await?;
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk?;
                    // Text format: one line per row (newlines inside values are escaped).
                    rows += chunk.iter().filter(|b| **b == b'\n').count() as i64;
                    out.write_all(&chunk)?;
                }
            }
            let (sha256, size) = out.finish()?;
            files.push(FileEntry {
                path: name,
                sha256,
                size,
            });
            counts.insert(
                table.clone(),
                TableEntry {
                    rows,
                    columns: columns.clone(),
                },
            );
        }
        let migrations: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
        )
        .fetch_all(&mut *tx)
        .await?;
        let blob_keys: Vec<String> = sqlx::query_scalar(BLOB_KEYS).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok(Snapshot {
            migrations,
            files,
            tables: counts,
            blob_keys,
        })
    }
}

/// Every file a row names: uploaded documents, issued PDFs, e-mail attachments.
const BLOB_KEYS: &str = "SELECT storage_key FROM documents \
     UNION SELECT pdf_key FROM issued_documents \
     UNION SELECT attachment_key FROM outbox WHERE attachment_key IS NOT NULL";

struct Snapshot {
    migrations: Vec<i64>,
    files: Vec<FileEntry>,
    tables: BTreeMap<String, TableEntry>,
    blob_keys: Vec<String>,
}

enum Retry {
    Again(String),
    Fail(StoreError),
}

impl From<StoreError> for Retry {
    fn from(e: StoreError) -> Retry {
        Retry::Fail(e)
    }
}

impl From<std::io::Error> for Retry {
    fn from(e: std::io::Error) -> Retry {
        Retry::Fail(e.into())
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| backup_error(format!("worker task failed: {e}")))?
}

/// The application's tables and their columns (in column order), parents before children so
/// that a restore satisfies every foreign key as it loads.
async fn pg_tables(
    conn: &mut sqlx::PgConnection,
) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    let cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_name::TEXT, c.column_name::TEXT FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
           AND c.table_name <> '_sqlx_migrations' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (t, c) in cols {
        tables.entry(t).or_default().push(c);
    }
    let edges: Vec<(String, String)> = sqlx::query_as(
        "SELECT cl.relname::TEXT, ref.relname::TEXT FROM pg_constraint k \
         JOIN pg_class cl ON cl.oid = k.conrelid JOIN pg_class ref ON ref.oid = k.confrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         WHERE k.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut parents: HashMap<&str, Vec<&str>> = HashMap::new();
    for (child, parent) in &edges {
        if child != parent {
            parents.entry(child).or_default().push(parent);
        }
    }
    let mut ordered = Vec::new();
    let mut done: HashSet<String> = HashSet::new();
    while ordered.len() < tables.len() {
        let before = ordered.len();
        for (t, c) in &tables {
            if done.contains(t) {
                continue;
            }
            let ready = parents.get(t.as_str()).is_none_or(|ps| {
                ps.iter()
                    .all(|p| done.contains(*p) || !tables.contains_key(*p))
            });
            if ready {
                done.insert(t.clone());
                ordered.push((t.clone(), c.clone()));
            }
        }
        if ordered.len() == before {
            return Err(backup_error("foreign keys between tables form a cycle"));
        }
    }
    Ok(ordered)
}

fn quoted_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Hard-links every stored file into `staged/<key>`. Links left by a backup that was killed
/// (more than a day old) are removed first.
fn link_all(root: &Path, staged: &Path) -> Result<(), StoreError> {
    for entry in std::fs::read_dir(root)?.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with("backup-")
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(24 * 3600));
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    std::fs::create_dir_all(staged)?;
    let store = BlobStore::open(root)?;
    // Packed documents are kept by the deletion hold instead (see `packs`).
    for key in store
        .keys()?
        .into_iter()
        .filter(|k| !BlobStore::is_packed(k))
    {
        match std::fs::hard_link(store.path_of(&key)?, staged.join(&key)) {
            Ok(()) => {}
            // Deleted since it was listed: no row can name it any more.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Copies the named files into the backup; `Again` if one vanished (created and deleted
/// around the snapshot).
fn copy_documents(
    blobs: &BlobStore,
    staged: &Path,
    dest: &Path,
    keys: &[String],
) -> Result<Result<(Vec<FileEntry>, Vec<String>), Retry>, StoreError> {
    let mut entries = Vec::with_capacity(keys.len());
    let mut key_ids = HashSet::new();
    for key in keys {
        let name = format!("documents/{}/{key}", &key[..2]);
        let target = dest.join(&name);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let vanished = || Ok(Err(Retry::Again(format!("document file {key} vanished"))));
        let mut input: Box<dyn Read> = if BlobStore::is_packed(key) {
            match blobs.read_held_blocking(key)? {
                Some(bytes) => Box::new(std::io::Cursor::new(bytes)),
                None => return vanished(),
            }
        } else {
            let live = blobs.path_of(key)?;
            let linked = staged.join(key);
            let source = if linked.exists() { linked } else { live };
            match std::fs::File::open(&source) {
                Ok(f) => Box::new(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return vanished(),
                Err(e) => return Err(e.into()),
            }
        };
        let mut out = HashingWriter::create(&target)?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut first = true;
        loop {
            let n = input.read(&mut buf)?;
            if n == 0 {
                break;
            }
            if first {
                if let Some(id) = sealed::key_id_of(&buf[..n]) {
                    key_ids.insert(id);
                }
                first = false;
            }
            out.write_all(&buf[..n])?;
        }
        let (sha256, size) = out.finish()?;
        entries.push(FileEntry {
            path: name,
            sha256,
            size,
        });
    }
    let mut key_ids: Vec<String> = key_ids.into_iter().collect();
    key_ids.sort();
    Ok(Ok((entries, key_ids)))
}

/// Writes a file while hashing what it writes; `finish` flushes it to disk.
struct HashingWriter {
    file: std::io::BufWriter<std::fs::File>,
    hash: sha2::Sha256,
    size: u64,
}

impl HashingWriter {
    fn create(path: &Path) -> Result<HashingWriter, StoreError> {
        use sha2::Digest;
        Ok(HashingWriter {
            file: std::io::BufWriter::new(std::fs::File::create(path)?),
            hash: sha2::Sha256::new(),
            size: 0,
        })
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), StoreError> {
        use sha2::Digest;
        self.hash.update(data);
        self.size += data.len() as u64;
        self.file.write_all(data)?;
        Ok(())
    }

    fn finish(self) -> Result<(String, u64), StoreError> {
        use sha2::Digest;
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok((hex::encode(self.hash.finalize()), self.size))
    }
}

fn hash_file(path: &Path) -> Result<(String, u64), StoreError> {
    use sha2::Digest;
    let mut f = std::fs::File::open(path)?;
    let mut hash = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hash.finalize()), size))
}

fn write_durably(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}

/// Reads a backup's manifest without checking the files.
pub fn read_manifest(backup: &Path) -> Result<Manifest, StoreError> {
    let text = std::fs::read(backup.join(MANIFEST)).map_err(|e| {
        backup_error(format!(
            "{}: no readable {MANIFEST} ({e}); the backup is incomplete or not a backup",
            backup.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| backup_error(format!("{MANIFEST} is not valid: {e}")))?;
    if manifest.format != FORMAT {
        return Err(backup_error(format!(
            "backup format {} is not known to this version",
            manifest.format
        )));
    }
    Ok(manifest)
}

/// Reads a backup's manifest and checks every file it lists against its hash and size.
pub fn verify(backup: &Path) -> Result<Manifest, StoreError> {
    let manifest = read_manifest(backup)?;
    let mut bad = Vec::new();
    for entry in manifest.database.iter().chain(&manifest.documents) {
        if entry.path.split('/').any(|p| p == ".." || p.is_empty()) {
            return Err(backup_error(format!(
                "{MANIFEST} names a path outside the backup"
            )));
        }
        match hash_file(&backup.join(&entry.path)) {
            Ok((sha, size)) if sha == entry.sha256 && size == entry.size => {}
            Ok(_) => bad.push(format!("{} changed", entry.path)),
            Err(_) => bad.push(format!("{} missing", entry.path)),
        }
    }
    if !bad.is_empty() {
        return Err(backup_error(format!(
            "the backup does not match its manifest: {}{}",
            bad.iter().take(10).cloned().collect::<Vec<_>>().join(", "),
            if bad.len() > 10 { ", …" } else { "" }
        )));
    }
    Ok(manifest)
}

/// Brings a verified backup back into an empty database and an empty document directory;
/// then opens the store (which migrates it to this build's schema).
pub async fn restore(
    backup: &Path,
    target: &StoreConfig,
    documents: &Path,
) -> Result<(Manifest, Store), StoreError> {
    let manifest = verify(backup)?;
    let blobs = BlobStore::open(documents)?;
    if !blobs.keys()?.is_empty() {
        return Err(backup_error(format!(
            "{} already holds documents; restore into an empty data directory",
            documents.display()
        )));
    }
    match manifest.backend.as_str() {
        "sqlite" => restore_sqlite(backup, target).await?,
        "postgres" => restore_postgres(backup, &manifest, target).await?,
        other => return Err(backup_error(format!("unknown backend {other:?}"))),
    }
    for entry in &manifest.documents {
        let key = entry.path.rsplit('/').next().unwrap_or_default();
        blobs.restore_blocking(key, &backup.join(&entry.path))?;
    }
    let store = Store::open(target).await?;
    Ok((manifest, store))
}

async fn restore_sqlite(backup: &Path, target: &StoreConfig) -> Result<(), StoreError> {
    if !target.url.starts_with("sqlite:") {
        return Err(backup_error(
            "this is a SQLite backup: restore it with a sqlite: database URL",
        ));
    }
    let options: SqliteConnectOptions = target
        .url
        .parse()
        .map_err(|e| StoreError::Config(format!("bad SQLite URL: {e}")))?;
    let file = options.get_filename().to_owned();
    if std::fs::metadata(&file).is_ok_and(|m| m.len() > 0) {
        return Err(backup_error(format!(
            "{} exists; restore into an empty data directory",
            file.display()
        )));
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension("restoring");
    std::fs::copy(backup.join("database.sqlite"), &tmp)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &file)?;
    Ok(())
}

async fn restore_postgres(
    backup: &Path,
    manifest: &Manifest,
    target: &StoreConfig,
) -> Result<(), StoreError> {
    if target.url.starts_with("sqlite:") {
        return Err(backup_error(
            "this is a PostgreSQL backup: restore it with a postgres: database URL",
        ));
    }
    let pool = sqlx::PgPool::connect(&target.url).await?;
    let existing: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&pool)
    .await?;
    if existing > 0 {
        pool.close().await;
        return Err(backup_error(
            "the target database is not empty; restore into a freshly created database",
        ));
    }
    // The schema as it was when the backup was taken; later migrations run afterwards, on the
    // restored rows, exactly as they would have on the original.
    let known: Vec<i64> = POSTGRES_MIGRATIONS.iter().map(|m| m.version).collect();
    if let Some(v) = manifest.migrations.iter().find(|v| !known.contains(v)) {
        pool.close().await;
        return Err(StoreError::SchemaTooNew(*v));
    }
    let migrator = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(
            POSTGRES_MIGRATIONS
                .iter()
                .filter(|m| manifest.migrations.contains(&m.version))
                .cloned()
                .collect(),
        ),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    migrator
        .run(&pool)
        .await
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    let mut tx = pool.begin().await?;
    let order = pg_tables(&mut tx).await?;
    // Rows a migration inserted (the audit head) are replaced by the backup's.
    let all = order
        .iter()
        .map(|(t, _)| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query(sqlx::AssertSqlSafe(format!("TRUNCATE {all}")))
        .execute(&mut *tx)
        .await?;
    // Rows are loaded as they were saved: a trigger that derives one row from another (the
    // audit head from each audit record) would rewrite them in the order COPY happens to load.
    for (table, _) in &order {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE \"{table}\" DISABLE TRIGGER USER"
        )))
        .execute(&mut *tx)
        .await?;
    }
    for (table, _) in &order {
        let Some(entry) = manifest.tables.get(table) else {
            continue;
        };
        let data = std::fs::read(backup.join(format!("postgres/{table}.copy")))?;
        let mut copy = tx
            .copy_in_raw(&format!(
                "COPY \"{table}\" ({}) FROM STDIN",
                quoted_list(&entry.columns)
            ))
            .await?;
        copy.send(data).await?;
        let rows = copy.finish().await?;
        if rows as i64 != entry.rows {
            return Err(backup_error(format!(
                "table {table}: {rows} rows loaded, the manifest says {}",
                entry.rows
            )));
        }
    }
    for (table, _) in &order {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE \"{table}\" ENABLE TRIGGER USER"
        )))
        .execute(&mut *tx)
        .await?;
    }
    // Identity columns continue after the restored ids.
    let identities: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns \
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (table, column) in identities {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), \
             COALESCE((SELECT MAX(\"{column}\") FROM \"{table}\"), 0) + 1, false)"
        )))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    pool.close().await;
    Ok(())
}
