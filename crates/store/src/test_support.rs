//! What the store's test modules share.

use crate::random_token;

/// A fresh folder under the system's temporary folder, removed with everything in it when
/// dropped.
pub struct Dir(pub std::path::PathBuf);

impl Dir {
    pub fn new() -> Dir {
        let p = std::env::temp_dir().join(format!("mektep-store-test-{}", random_token(8)));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
