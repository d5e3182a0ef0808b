//! Document files on the local disk, outside any web root, under names the server chooses.
//!
//! New documents are records in pack files ([`crate::packs`]): written and flushed to disk before
//! their database row is committed, so a row never points at a half-written document. A crash
//! between the two leaves an unreferenced record, which `fsck` reports; never the reverse.
//! Documents stored one file each (`<xx>/<key>`, before packs) are read, listed and deleted as
//! before; a key says which kind it names.
//!
//! With a keyring the documents are sealed (see [`crate::sealed`]); the SHA-256 and size
//! returned are always those of the plaintext, which is what signatures and the database record.

use std::path::{Path, PathBuf};

use crate::packs::{Batch, PackedKey, Packs};
use crate::sealed::{self, Keyring};
use crate::{StoreError, sha256_hex};

#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
    keys: Keyring,
    packs: Packs,
}

#[derive(Clone, Debug)]
pub struct StoredBlob {
    pub key: String,
    pub sha256: String,
    pub size: u64,
}

impl BlobStore {
    /// A store that writes files in the clear (tests, and installations without keys).
    pub fn open(root: impl Into<PathBuf>) -> Result<BlobStore, StoreError> {
        Self::open_with_keys(root, Keyring::default())
    }

    /// A store that seals new files with the keyring's first key and opens files sealed with
    /// any of its keys (and files written in the clear before).
    pub fn open_with_keys(
        root: impl Into<PathBuf>,
        keys: Keyring,
    ) -> Result<BlobStore, StoreError> {
        let root = root.into();
        // Folders for documents stored one file each are made only by a restore that brings
        // such files back: new documents go to packs.
        let packs = Packs::open(root.join("packs"))?;
        Ok(BlobStore { root, keys, packs })
    }

    pub fn encrypts(&self) -> bool {
        !self.keys.is_empty()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether `key` names a record in a pack rather than a file of its own.
    pub fn is_packed(key: &str) -> bool {
        PackedKey::parse(key).is_some()
    }

    /// The file of a document stored one file each. Keys are 32 hex characters made here, so a
    /// path is never built from user input.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Data(format!("invalid blob key {key:?}")));
        }
        Ok(self.root.join(&key[..2]).join(key))
    }

    /// Writes the bytes durably and returns the key under which they are stored.
    pub async fn put(&self, data: Vec<u8>) -> Result<StoredBlob, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.put_blocking(&data))
            .await
            .map_err(|e| StoreError::Data(format!("blob writer task failed: {e}")))?
    }

    /// [`BlobStore::put`] for a caller already on a blocking thread.
    pub fn put_blocking(&self, data: &[u8]) -> Result<StoredBlob, StoreError> {
        let mut stored = self.put_all_blocking(&[data])?;
        stored
            .pop()
            .ok_or_else(|| StoreError::Data("no document was stored".into()))
    }

    /// Writes several documents durably, in one write and one flush, and returns their keys in
    /// the same order; on an error none of them is kept.
    pub fn put_all_blocking(&self, documents: &[&[u8]]) -> Result<Vec<StoredBlob>, StoreError> {
        let master = self.keys.current();
        let room = documents
            .iter()
            .map(|d| match master {
                Some(_) => Batch::record_size(sealed::sealed_len(d.len())),
                None => Batch::record_size(d.len()),
            })
            .sum();
        let mut batch = Batch::with_capacity(room);
        let mut digests = Vec::with_capacity(documents.len());
        for data in documents {
            match master {
                Some(master) => {
                    use sha2::Digest;
                    let mut hasher = sha2::Sha256::new();
                    batch.push_with(|buf| {
                        sealed::seal_into(master, data, buf, |chunk| hasher.update(chunk))
                    })?;
                    digests.push(hex::encode(hasher.finalize()));
                }
                None => {
                    batch.push_with(|buf| {
                        buf.extend_from_slice(data);
                        Ok(())
                    })?;
                    digests.push(sha256_hex(data));
                }
            }
        }
        let keys = self.packs.append_batch(batch)?;
        Ok(keys
            .into_iter()
            .zip(digests)
            .zip(documents)
            .map(|((key, sha256), data)| StoredBlob {
                key,
                sha256,
                size: data.len() as u64,
            })
            .collect())
    }

    /// A document in a file of its own, as every document was stored before packs: the tests
    /// of the sealed format change such files byte by byte.
    #[cfg(test)]
    pub(crate) fn put_file_blocking(&self, data: &[u8]) -> Result<StoredBlob, StoreError> {
        use std::io::Write;
        let key = crate::random_token(16);
        let path = self.path_of(&key)?;
        std::fs::create_dir_all(self.root.join(&key[..2]))?;
        let mut w = std::io::BufWriter::new(
            std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(&path)?,
        );
        match self.keys.current() {
            Some(master) => sealed::seal_to(master, data, &mut w)?,
            None => w.write_all(data)?,
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(StoredBlob {
            key,
            sha256: sha256_hex(data),
            size: data.len() as u64,
        })
    }

    /// The plaintext of a file; a sealed file that does not open is an error, never garbage.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let store = self.clone();
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || store.get_blocking(&key))
            .await
            .map_err(|e| StoreError::Data(format!("blob reader task failed: {e}")))?
    }

    fn get_blocking(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let what = format!("document file {key}");
        match PackedKey::parse(key) {
            Some(at) => {
                let stored = self.packs.read(key, at)?.ok_or(StoreError::NotFound)?;
                sealed::open_from(&self.keys, &mut stored.as_slice(), at.len, &what)
            }
            None => read_file(&self.keys, &self.path_of(key)?, &what),
        }
    }

    /// The bytes as stored (sealed, if they were); `None` if deleted.
    #[cfg(test)]
    pub(crate) fn read_stored_blocking(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read_stored(key, false)
    }

    /// The bytes as stored (sealed, if they were), for a backup holding
    /// [`BlobStore::hold_deletions`]: a document deleted since the hold began is still there.
    pub fn read_held_blocking(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read_stored(key, true)
    }

    /// Deletions leave the bytes of packed documents until the hold is dropped, in every
    /// process: a backup takes it before its snapshot and keeps it until it has copied them.
    pub fn hold_deletions(&self) -> Result<crate::packs::DeletionHold, StoreError> {
        self.packs.hold_deletions()
    }

    fn read_stored(&self, key: &str, held: bool) -> Result<Option<Vec<u8>>, StoreError> {
        match PackedKey::parse(key) {
            Some(at) if held => self.packs.read_held(key, at),
            Some(at) => self.packs.read(key, at),
            None => match std::fs::read(self.path_of(key)?) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// Puts a document from a backup back under its key, durably.
    pub fn restore_blocking(&self, key: &str, source: &Path) -> Result<(), StoreError> {
        match PackedKey::parse(key) {
            Some(at) => self.packs.restore(key, at, &std::fs::read(source)?),
            None => {
                let path = self.path_of(key)?;
                let tmp = self.root.join("tmp").join(key);
                std::fs::create_dir_all(self.root.join("tmp"))?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::copy(source, &tmp)?;
                std::fs::File::open(&tmp)?.sync_all()?;
                std::fs::rename(&tmp, &path)?;
                Ok(())
            }
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let store = self.clone();
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || store.delete_blocking(&key))
            .await
            .map_err(|e| StoreError::Data(format!("blob remover task failed: {e}")))?
    }

    fn delete_blocking(&self, key: &str) -> Result<(), StoreError> {
        if let Some(at) = PackedKey::parse(key) {
            return self.packs.delete(key, at);
        }
        match std::fs::remove_file(self.path_of(key)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored key, one-file and packed, for consistency checks.
    pub fn keys(&self) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        for dir in std::fs::read_dir(&self.root)? {
            let dir = dir?;
            let name = dir.file_name();
            if name.len() != 2 || !dir.file_type()?.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(dir.path())? {
                keys.push(f?.file_name().to_string_lossy().into_owned());
            }
        }
        keys.extend(self.packs.keys()?);
        Ok(keys)
    }
}

/// Reads and, if sealed, opens one file.
pub(crate) fn read_file(keys: &Keyring, path: &Path, what: &str) -> Result<Vec<u8>, StoreError> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StoreError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let len = f.metadata()?.len();
    sealed::open_from(keys, &mut std::io::BufReader::new(f), len, what)
}
