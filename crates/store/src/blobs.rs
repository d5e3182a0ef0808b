//! Document files on the local disk, outside any web root, under names the server chooses.
//!
//! A file is written to a temporary name, flushed to disk and renamed into place before its
//! database row is committed, so a row never points at a half-written file. A crash between
//! the two leaves an unreferenced file, which `fsck` reports; never the reverse.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{StoreError, random_token, sha256_hex};

#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
}

#[derive(Clone, Debug)]
pub struct StoredBlob {
    pub key: String,
    pub sha256: String,
    pub size: u64,
}

impl BlobStore {
    pub fn open(root: impl Into<PathBuf>) -> Result<BlobStore, StoreError> {
        let root = root.into();
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(BlobStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Keys are 32 hex characters made here, so a path is never built from user input.
    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
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

    fn put_blocking(&self, data: &[u8]) -> Result<StoredBlob, StoreError> {
        let key = random_token(16);
        let path = self.path_of(&key)?;
        let tmp = self.root.join("tmp").join(&key);
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(data)?;
            f.sync_all()
        });
        if let Err(e) = written {
            // A full disk leaves a partial file: remove it, so it neither holds on to the space
            // nor is mistaken for a document.
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(StoredBlob {
            key,
            sha256: sha256_hex(data),
            size: data.len() as u64,
        })
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path_of(key)?;
        match tokio::fs::read(&path).await {
            Ok(data) => Ok(data),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::NotFound),
            Err(e) => Err(e.into()),
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
            if name == "tmp" || !dir.file_type()?.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(dir.path())? {
                keys.push(f?.file_name().to_string_lossy().into_owned());
            }
        }
        Ok(keys)
    }
}
