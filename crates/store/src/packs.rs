//! Document files appended to a few large pack files, flushed to disk together.
//!
//! One file per document cost the opening-minute rush about a quarter of the server's CPU: the
//! file system allocating an inode and a folder entry for each, and one `fsync` each, every one a
//! disk request and a sleep (bench/README.md, "Sixth round"). Here a document is a record at the
//! end of the current pack, and one `fdatasync` covers every record written while the previous
//! one ran (group commit): the caller returns only once its record is on disk, as before.
//!
//! A record is `MAGIC | key | data`; the key (see [`PackedKey`]) names the pack, the data's
//! offset and its length, so a read is one `pread` and a restore puts each record back where it
//! was. The header lets `fsck` list what a pack holds. A deleted record's magic becomes
//! [`DELETED`] and its data is punched out of the file (the space is freed, the bytes are gone).
//! Packs are never rewritten: a process appends only to the pack it created, so a crash can leave
//! at most a partial record at the end of a pack nothing else is written after.
//!
//! A backup holds [`DeletionHold`] (a shared `flock` on `packs/.lock`, across processes) from
//! before its database snapshot until it has copied the documents: a deletion meanwhile marks
//! the record but leaves its bytes, and notes its key in `packs/deferred`; the next deletion
//! that finds no backup running, or the next start of the service, frees them. This is what the hard links did for files of their
//! own: whatever the snapshot names is still on disk when it is copied.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::{StoreError, random_token};

const MAGIC: &[u8; 4] = b"MKPB";
const DELETED: &[u8; 4] = b"MKPD";
/// `p` + pack (8 hex) + offset (12 hex) + length (8 hex) + random (8 hex).
const KEY_LEN: usize = 37;
const HEADER: u64 = (MAGIC.len() + KEY_LEN) as u64;
/// A new pack is started past this size (and at every start of the process).
#[cfg(not(test))]
const PACK_LIMIT: u64 = 1 << 30;
/// Small in tests, so that writers running at once also cross from one pack to the next.
#[cfg(test)]
const PACK_LIMIT: u64 = 1 << 20;

/// Where a packed document's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackedKey {
    pub pack: u32,
    pub offset: u64,
    pub len: u64,
}

impl PackedKey {
    /// Parses a packed key; `None` for anything else (a one-file key, or garbage).
    pub fn parse(key: &str) -> Option<PackedKey> {
        let hex = key.strip_prefix('p')?;
        if key.len() != KEY_LEN || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(PackedKey {
            pack: u32::from_str_radix(&hex[0..8], 16).ok()?,
            offset: u64::from_str_radix(&hex[8..20], 16).ok()?,
            len: u64::from_str_radix(&hex[20..28], 16).ok()?,
        })
    }

    fn format(&self) -> String {
        // The random tail keeps keys unguessable even though their place is not secret.
        format!(
            "p{:08x}{:012x}{:08x}{}",
            self.pack,
            self.offset,
            self.len,
            random_token(4)
        )
    }
}

/// Records to append together, laid out in one buffer as they will lie in the pack: each one's
/// header is left blank until the records' place in the pack is known.
#[derive(Debug, Default)]
pub struct Batch {
    buf: Vec<u8>,
    /// Each record's header offset in `buf`, and its data's length.
    records: Vec<(usize, u64)>,
}

impl Batch {
    pub fn with_capacity(bytes: usize) -> Batch {
        Batch {
            buf: Vec::with_capacity(bytes),
            records: Vec::new(),
        }
    }

    /// Room for a record's header; the bytes must follow it, written by `write` into the
    /// buffer: a document is sealed straight into the place it is written from.
    pub fn push_with(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let at = self.buf.len();
        self.buf.resize(at + HEADER as usize, 0);
        if let Err(e) = write(&mut self.buf) {
            self.buf.truncate(at);
            return Err(e);
        }
        let len = (self.buf.len() - at) as u64 - HEADER;
        self.records.push((at, len));
        Ok(())
    }

    /// The bytes a record of `len` bytes takes in the pack.
    pub fn record_size(len: usize) -> usize {
        HEADER as usize + len
    }
}

/// The pack files of one blob store; clones share the pack being written.
#[derive(Clone, Debug)]
pub struct Packs {
    dir: PathBuf,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    flushed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    current: Option<Current>,
    /// Records written, and of those flushed to disk, counted over the process's life.
    written: u64,
    flushed: u64,
    flushing: bool,
    /// Records up to this count were in a flush that failed.
    failed_up_to: u64,
}

#[derive(Debug)]
struct Current {
    id: u32,
    file: Arc<File>,
    end: u64,
}

impl Packs {
    pub fn open(dir: PathBuf) -> Result<Packs, StoreError> {
        std::fs::create_dir_all(&dir)?;
        let packs = Packs {
            dir,
            shared: Arc::default(),
        };
        // Bytes a backup kept from being freed, if no deletion came after it to free them.
        if let Err(e) = packs.free(&[]) {
            tracing::warn!(error = %e, "could not free the bytes of documents deleted during a backup");
        }
        Ok(packs)
    }

    pub fn path_of(&self, pack: u32) -> PathBuf {
        self.dir.join(format!("{pack:08x}.pack"))
    }

    /// Appends the batch's records in one write and returns their keys once all are on disk: an
    /// upload of several documents takes the lock, writes and waits for a flush once, not once
    /// per document (bench/README.md, "Ninth round").
    pub fn append_batch(&self, mut batch: Batch) -> Result<Vec<String>, StoreError> {
        if batch.records.is_empty() {
            return Ok(Vec::new());
        }
        let (keys, seq) = {
            let mut state = self.lock();
            self.write_batch(&mut state, &mut batch)?
        };
        self.wait_flushed(seq)?;
        Ok(keys)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write_batch(
        &self,
        state: &mut State,
        batch: &mut Batch,
    ) -> Result<(Vec<String>, u64), StoreError> {
        let full = state.current.as_ref().is_none_or(|c| c.end >= PACK_LIMIT);
        if full {
            if let Some(old) = state.current.take() {
                // Whatever is still unflushed in the old pack is flushed before it is left; if
                // that fails, the callers waiting for it are told so.
                if let Err(e) = old.file.sync_data() {
                    state.failed_up_to = state.written;
                    self.shared.flushed.notify_all();
                    return Err(e.into());
                }
                state.flushed = state.written;
            }
            state.current = Some(self.create_pack()?);
        }
        let current = state.current.as_mut().expect("a pack was just opened");
        let start = current.end;
        let mut keys = Vec::with_capacity(batch.records.len());
        for &(at, len) in &batch.records {
            let key = PackedKey {
                pack: current.id,
                offset: start + (at as u64) + HEADER,
                len,
            }
            .format();
            let header = &mut batch.buf[at..at + HEADER as usize];
            header[..MAGIC.len()].copy_from_slice(MAGIC);
            header[MAGIC.len()..].copy_from_slice(key.as_bytes());
            keys.push(key);
        }
        // The next records go after these even if these fail half-written.
        current.end = start + batch.buf.len() as u64;
        if let Err(e) = current.file.write_all_at(&batch.buf, start) {
            // A full disk: mark the records dead and give back what they took.
            for &(at, len) in &batch.records {
                let header = start + at as u64;
                let _ = current.file.write_all_at(DELETED, header);
                let _ = punch_hole(&current.file, header + HEADER, len);
            }
            return Err(e.into());
        }
        state.written += batch.records.len() as u64;
        Ok((keys, state.written))
    }

    /// A new pack numbered after every pack in the folder (another process may be making one at
    /// the same moment: `create_new` settles it).
    fn create_pack(&self) -> Result<Current, StoreError> {
        let mut id = self.pack_ids()?.last().map_or(1, |last| last + 1);
        loop {
            match File::options()
                .read(true)
                .write(true)
                .create_new(true)
                .open(self.path_of(id))
            {
                Ok(file) => {
                    // The new name must survive a power loss too before records rely on it.
                    File::open(&self.dir)?.sync_all()?;
                    return Ok(Current {
                        id,
                        file: Arc::new(file),
                        end: 0,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => id += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Group commit: the first caller to find no flush running flushes everything written so
    /// far; the others wait for a flush that covers their record.
    fn wait_flushed(&self, seq: u64) -> Result<(), StoreError> {
        let mut state = self.lock();
        loop {
            if state.flushed >= seq {
                return Ok(());
            }
            if state.failed_up_to >= seq {
                return Err(StoreError::Data(
                    "the document could not be flushed to disk".into(),
                ));
            }
            if state.flushing {
                state = self
                    .shared
                    .flushed
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let Some(file) = state.current.as_ref().map(|c| c.file.clone()) else {
                return Ok(()); // flushed when its pack was left
            };
            let target = state.written;
            state.flushing = true;
            drop(state);
            let result = file.sync_data();
            state = self.lock();
            state.flushing = false;
            match result {
                Ok(()) => state.flushed = state.flushed.max(target),
                Err(_) => state.failed_up_to = state.failed_up_to.max(target),
            }
            self.shared.flushed.notify_all();
        }
    }

    /// The bytes of a live record; `None` if it was deleted or never completed.
    pub fn read(&self, key: &str, at: PackedKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.read_record(key, at, false)
    }

    /// The bytes of a record for a backup holding [`DeletionHold`]: a record deleted since the
    /// hold began still has them.
    pub fn read_held(&self, key: &str, at: PackedKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.read_record(key, at, true)
    }

    fn read_record(
        &self,
        key: &str,
        at: PackedKey,
        deleted_too: bool,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let file = match File::open(self.path_of(at.pack)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        // A key names its length: never allocate for one the pack does not hold.
        if at.offset.saturating_add(at.len) > file.metadata()?.len() {
            return Ok(None);
        }
        let mut data = vec![0u8; at.len as usize];
        match file.read_exact_at(&mut data, at.offset) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        // The header is checked after the data: a deletion marks it before punching the data
        // out, so data read before a live header is the record's.
        let Some(start) = at.offset.checked_sub(HEADER) else {
            return Ok(None);
        };
        let found = match header_at(&file, at.pack, start)? {
            Some((live, found, _)) if found == key => live || deleted_too,
            _ => false,
        };
        Ok(found.then_some(data))
    }

    /// Stops deletions from freeing bytes until the hold is dropped (a backup).
    pub fn hold_deletions(&self) -> Result<DeletionHold, StoreError> {
        let file = self.lock_file()?;
        flock(&file, libc::LOCK_SH)?;
        Ok(DeletionHold { _file: file })
    }

    fn lock_file(&self) -> Result<File, StoreError> {
        Ok(File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.dir.join(".lock"))?)
    }

    /// Frees the bytes of deleted records, unless a backup holds them: then their keys wait in
    /// `deferred` for the next time.
    fn free(&self, keys: &[(String, PackedKey)]) -> Result<(), StoreError> {
        let lock = self.lock_file()?;
        if flock(&lock, libc::LOCK_EX | libc::LOCK_NB).is_err() {
            if keys.is_empty() {
                return Ok(());
            }
            let mut deferred = File::options()
                .create(true)
                .append(true)
                .open(self.dir.join("deferred"))?;
            let lines: String = keys.iter().map(|(k, _)| format!("{k}\n")).collect();
            std::io::Write::write_all(&mut deferred, lines.as_bytes())?;
            return Ok(());
        }
        let deferred_path = self.dir.join("deferred");
        let waiting = match std::fs::read_to_string(&deferred_path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e.into()),
        };
        let earlier = waiting
            .lines()
            .filter_map(|k| PackedKey::parse(k).map(|at| (k.to_owned(), at)));
        for (key, at) in keys.iter().cloned().chain(earlier) {
            let Ok(file) = File::options()
                .read(true)
                .write(true)
                .open(self.path_of(at.pack))
            else {
                continue;
            };
            // Only a record marked deleted, under this very key, is freed.
            if let Some((false, found, _)) = header_at(&file, at.pack, at.offset - HEADER)?
                && found == key
            {
                punch_hole(&file, at.offset, at.len)?;
            }
        }
        if !waiting.is_empty() {
            std::fs::remove_file(&deferred_path)?;
        }
        Ok(())
    }

    /// Marks a record deleted and frees its bytes; a record already gone is not an error.
    pub fn delete(&self, key: &str, at: PackedKey) -> Result<(), StoreError> {
        let file = match File::options()
            .read(true)
            .write(true)
            .open(self.path_of(at.pack))
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if !is_live(&file, key, at)? {
            return Ok(());
        }
        file.write_all_at(DELETED, at.offset - HEADER)?;
        self.free(&[(key.to_owned(), at)])
    }

    /// Puts a record back where its key says (restoring a backup).
    pub fn restore(&self, key: &str, at: PackedKey, data: &[u8]) -> Result<(), StoreError> {
        if data.len() as u64 != at.len {
            return Err(StoreError::Data(format!(
                "document file {key} holds {} bytes where its name says {}",
                data.len(),
                at.len
            )));
        }
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.path_of(at.pack))?;
        let mut record = Vec::with_capacity(HEADER as usize + data.len());
        record.extend_from_slice(MAGIC);
        record.extend_from_slice(key.as_bytes());
        record.extend_from_slice(data);
        file.write_all_at(&record, at.offset - HEADER)?;
        file.sync_data()?;
        Ok(())
    }

    /// The keys of every live record, pack by pack.
    pub fn keys(&self) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        for id in self.pack_ids()? {
            let file = File::open(self.path_of(id))?;
            let size = file.metadata()?.len();
            let mut at = 0u64;
            while at + HEADER <= size {
                let Some((live, key, len)) = header_at(&file, id, at)? else {
                    // Not a record: a restored pack's gap where deleted records were, or the
                    // end of a record a crash cut off. The next record, if any, is further on.
                    match next_header(&file, id, at + 1, size)? {
                        Some(next) => {
                            at = next;
                            continue;
                        }
                        None => break,
                    }
                };
                if live {
                    keys.push(key);
                }
                at += HEADER + len;
            }
        }
        Ok(keys)
    }

    fn pack_ids(&self) -> Result<Vec<u32>, StoreError> {
        let mut ids: Vec<u32> = std::fs::read_dir(&self.dir)?
            .filter_map(|e| {
                let name = e.ok()?.file_name();
                let hex = name.to_str()?.strip_suffix(".pack")?.to_owned();
                u32::from_str_radix(&hex, 16).ok()
            })
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }
}

/// The record header at `at` of pack `id`, if one is there: live or deleted, key, length.
fn header_at(file: &File, id: u32, at: u64) -> Result<Option<(bool, String, u64)>, StoreError> {
    let mut header = [0u8; HEADER as usize];
    match file.read_exact_at(&mut header, at) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let (magic, key) = header.split_at(MAGIC.len());
    if magic != MAGIC && magic != DELETED {
        return Ok(None);
    }
    let Some(key) = std::str::from_utf8(key).ok() else {
        return Ok(None);
    };
    Ok(PackedKey::parse(key)
        .filter(|p| p.pack == id && p.offset == at + HEADER)
        .map(|p| (magic == MAGIC, key.to_owned(), p.len)))
}

/// The offset of the next record header from `from` on, searching the bytes.
fn next_header(file: &File, id: u32, from: u64, size: u64) -> Result<Option<u64>, StoreError> {
    const CHUNK: u64 = 256 * 1024;
    let prefix = &MAGIC[..3]; // shared by MAGIC and DELETED
    let mut buf = vec![0u8; CHUNK as usize];
    let mut at = from;
    while at < size {
        let n = (size - at).min(CHUNK) as usize;
        file.read_exact_at(&mut buf[..n], at)?;
        for i in 0..n.saturating_sub(prefix.len() - 1) {
            if &buf[i..i + prefix.len()] == prefix && header_at(file, id, at + i as u64)?.is_some()
            {
                return Ok(Some(at + i as u64));
            }
        }
        // Overlap so that a prefix across two chunks is found.
        at += (n as u64).saturating_sub(prefix.len() as u64 - 1).max(1);
    }
    Ok(None)
}

/// Whether the record `key` names is there and not deleted.
fn is_live(file: &File, key: &str, at: PackedKey) -> Result<bool, StoreError> {
    let Some(start) = at.offset.checked_sub(HEADER) else {
        return Ok(false);
    };
    Ok(matches!(header_at(file, at.pack, start)?, Some((true, found, _)) if found == key))
}

/// Held by a backup: deletions leave the bytes of what they delete until it is dropped.
pub struct DeletionHold {
    _file: File,
}

fn flock(file: &File, how: libc::c_int) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain system call on a file descriptor borrowed for its duration.
    if unsafe { libc::flock(file.as_raw_fd(), how) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Frees a range of a file; the range reads as zeros afterwards.
fn punch_hole(file: &File, offset: u64, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    if len == 0 {
        return Ok(());
    }
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return Err(std::io::Error::other("range too large"));
    };
    // SAFETY: a plain system call on a file descriptor this function borrows for its duration.
    let rc = unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            offset,
            len,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EOPNOTSUPP) {
        // A file system without holes: overwrite the bytes instead.
        let zeros = vec![0u8; 64 * 1024];
        let mut at = 0u64;
        while at < len as u64 {
            let n = (len as u64 - at).min(zeros.len() as u64) as usize;
            file.write_all_at(&zeros[..n], offset as u64 + at)?;
            at += n as u64;
        }
        return Ok(());
    }
    Err(e)
}
