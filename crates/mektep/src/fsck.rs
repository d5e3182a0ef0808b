//! `mektep fsck`: checks that the database and the document files agree. Every document row
//! must have its file with the recorded SHA-256; a file no row names is an orphan (left by a
//! crash between writing the file and committing its row — harmless, and removable with
//! `--delete-orphans`). Issued PDFs are checked the same way. Encrypted files are opened
//! (which checks their authentication tags) and the plaintext's hash compared.

use std::collections::HashSet;

use store::{BlobStore, Store};

pub struct Report {
    pub documents: usize,
    pub missing: Vec<String>,
    pub corrupt: Vec<String>,
    pub orphans: Vec<String>,
}

pub async fn check(
    store: &Store,
    blobs: &BlobStore,
    delete_orphans: bool,
) -> Result<Report, String> {
    let err = |e: store::StoreError| e.to_string();
    let rows = store.all_documents().await.map_err(err)?;
    let mut referenced = HashSet::new();
    let mut missing = Vec::new();
    let mut corrupt = Vec::new();
    for d in &rows {
        referenced.insert(d.storage_key.clone());
        match blobs.get(&d.storage_key).await {
            Ok(data) if store::sha256_hex(&data) == d.sha256 => {}
            Ok(_) => corrupt.push(format!(
                "document {} of application {}",
                d.id, d.application_id
            )),
            Err(store::StoreError::NotFound) => missing.push(format!(
                "document {} of application {}",
                d.id, d.application_id
            )),
            // Unreadable: a sealed file changed or cut, or its key is not configured.
            Err(e) => corrupt.push(format!(
                "document {} of application {}: {e}",
                d.id, d.application_id
            )),
        }
    }
    let issued = store.all_issued_documents().await.map_err(err)?;
    for d in &issued {
        referenced.insert(d.pdf_key.clone());
        match blobs.get(&d.pdf_key).await {
            Ok(data) if store::sha256_hex(&data) == d.pdf_sha256 => {}
            Ok(_) => corrupt.push(format!("issued document {}", d.number)),
            Err(store::StoreError::NotFound) => {
                missing.push(format!("issued document {}", d.number))
            }
            Err(e) => corrupt.push(format!("issued document {}: {e}", d.number)),
        }
    }
    let mut orphans = Vec::new();
    for key in blobs.keys().map_err(|e| e.to_string())? {
        if !referenced.contains(&key) {
            if delete_orphans {
                blobs.delete(&key).await.map_err(err)?;
            }
            orphans.push(key);
        }
    }
    Ok(Report {
        documents: rows.len() + issued.len(),
        missing,
        corrupt,
        orphans,
    })
}
