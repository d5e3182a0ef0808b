//! Document files on the local disk, outside any web root, under names the server chooses.
//!
//! A file is written to a temporary name, flushed to disk and renamed into place before its
//! database row is committed, so a row never points at a half-written file. A crash between
//! the two leaves an unreferenced file, which `fsck` reports; never the reverse.
//!
//! With a keyring the files are sealed (see [`crate::sealed`]); the SHA-256 and size returned
//! are always those of the plaintext, which is what signatures and the database record.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::sealed::{self, Keyring};
use crate::{StoreError, random_token, sha256_hex};

#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
    keys: Keyring,
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
        std::fs::create_dir_all(root.join("tmp"))?;
        // The 256 folders a key's first two hex digits choose, made once here rather than
        // looked up (and made if missing) on every write.
        for prefix in 0..=255u8 {
            std::fs::create_dir_all(root.join(format!("{prefix:02x}")))?;
        }
        Ok(BlobStore { root, keys })
    }

    pub fn encrypts(&self) -> bool {
        !self.keys.is_empty()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Keys are 32 hex characters made here, so a path is never built from user input.
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
        let key = random_token(16);
        let path = self.path_of(&key)?;
        let tmp = self.root.join("tmp").join(&key);
        let written = (|| -> Result<(), StoreError> {
            let f = std::fs::File::create(&tmp)?;
            let mut w = std::io::BufWriter::new(f);
            match self.keys.current() {
                Some(master) => sealed::seal_to(master, data, &mut w)?,
                None => w.write_all(data)?,
            }
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            Ok(())
        })();
        if let Err(e) = written {
            // A full disk leaves a partial file: remove it, so it neither holds on to the space
            // nor is mistaken for a document.
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, &path)?;
        Ok(StoredBlob {
            key,
            sha256: sha256_hex(data),
            size: data.len() as u64,
        })
    }

    /// The plaintext of a file; a sealed file that does not open is an error, never garbage.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path_of(key)?;
        let keys = self.keys.clone();
        let what = format!("document file {key}");
        tokio::task::spawn_blocking(move || read_file(&keys, &path, &what))
            .await
            .map_err(|e| StoreError::Data(format!("blob reader task failed: {e}")))?
    }

    /// Removes a file just written that will not be attached, from a blocking thread; what
    /// cannot be removed stays for `fsck` to report.
    pub fn remove_blocking(&self, key: &str) {
        if let Ok(path) = self.path_of(key) {
            let _ = std::fs::remove_file(path);
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored key, for consistency checks.
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
