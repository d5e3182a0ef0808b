//! Where the document files live and which keys seal them: `storage.encryption_keys` from the
//! configuration, or else the key file in the data directory that the demo creates on its
//! first start. The real service refuses to start with neither: documents are never written
//! in the clear by accident.

use std::io::Write;
use std::path::PathBuf;

use store::{BlobStore, Keyring, MasterKey};

use crate::config::Config;

pub fn key_file(c: &Config) -> PathBuf {
    c.data_dir.join("storage.key")
}

/// The configured keys. `create`: make and keep a key file if there is none (demo).
pub fn keyring(c: &Config, create: bool) -> Result<Keyring, String> {
    if !c.storage.encryption_keys.is_empty() {
        return Keyring::parse(&c.storage.encryption_keys).map_err(|e| e.to_string());
    }
    let path = key_file(c);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let entries: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect();
            Keyring::parse(&entries).map_err(|e| format!("{}: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            std::fs::create_dir_all(&c.data_dir)
                .map_err(|e| format!("cannot create {}: {e}", c.data_dir.display()))?;
            let key = MasterKey::generate("demo1");
            write_private(&path, &format!("{key}\n"))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Keyring::parse(&[key]).map_err(|e| e.to_string())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Keyring::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Readable by the service's user only.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

pub fn documents_dir(c: &Config) -> PathBuf {
    c.data_dir.join("documents")
}

/// The document store with its keys (tools: fsck, backup, purge; they never create a key).
pub fn blob_store(c: &Config) -> Result<BlobStore, String> {
    BlobStore::open_with_keys(documents_dir(c), keyring(c, false)?)
        .map_err(|e| format!("document storage: {e}"))
}

/// The document store for the service: the demo makes its key on first start; the real
/// service needs one configured.
pub fn blob_store_for_service(c: &Config) -> Result<BlobStore, String> {
    let keys = keyring(c, c.demo)?;
    if keys.is_empty() {
        return Err(format!(
            "documents must be stored encrypted: set storage.encryption_keys = [\"id:base64\"] \
             (env MEKTEP_STORAGE__ENCRYPTION_KEYS), or put the key in {}; `mektep storage-key` \
             makes a new one",
            key_file(c).display()
        ));
    }
    BlobStore::open_with_keys(documents_dir(c), keys).map_err(|e| format!("document storage: {e}"))
}
