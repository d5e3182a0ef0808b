//! `mektep backup`, `mektep restore` and `mektep purge`: the operator's data tools.

use std::path::Path;

use chrono::Utc;
use store::StoreConfig;

use crate::config::{Config, redact_url};
use crate::{fsck, serve, storage};

/// A consistent snapshot of the database and the documents, taken while the service runs.
pub async fn backup(c: &Config, dest: &Path) -> Result<(), String> {
    let store = serve::open_store(c).await?;
    let blobs = storage::blob_store(c)?;
    let manifest = store
        .backup(&blobs, dest)
        .await
        .map_err(|e| e.to_string())?;
    store.close().await;
    let rows: i64 = manifest.tables.values().map(|t| t.rows).sum();
    println!(
        "backup written to {}: {} database ({} tables, {rows} rows), {} document files",
        dest.display(),
        manifest.backend,
        manifest.tables.len(),
        manifest.documents.len()
    );
    if !manifest.key_ids.is_empty() {
        println!(
            "the documents are encrypted with keys {:?}: keep those keys (storage.encryption_keys) \
             safe and apart from the backup, a restore needs them",
            manifest.key_ids
        );
    }
    Ok(())
}

/// Brings a backup back into an empty database and data directory, then checks every file.
pub async fn restore(c: &Config, from: &Path) -> Result<(), String> {
    let manifest = store::backup::read_manifest(from).map_err(|e| e.to_string())?;
    let keys = storage::keyring(c, false)?;
    let missing: Vec<&String> = manifest
        .key_ids
        .iter()
        .filter(|id| !keys.ids().contains(id))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the backup's documents are encrypted with keys {missing:?}, which are not configured; \
             set storage.encryption_keys (or {}) first",
            storage::key_file(c).display()
        ));
    }
    std::fs::create_dir_all(&c.data_dir)
        .map_err(|e| format!("cannot create data dir {}: {e}", c.data_dir.display()))?;
    let url = c.database_url();
    let target = StoreConfig {
        url: url.clone(),
        max_connections: c.database_max_connections,
    };
    let (manifest, store) = store::backup::restore(from, &target, &storage::documents_dir(c))
        .await
        .map_err(|e| format!("restore into {}: {e}", redact_url(&url)))?;
    let blobs = storage::blob_store(c)?;
    let report = fsck::check(&store, &blobs, false).await?;
    let audit = store
        .verify_audit_chain()
        .await
        .map_err(|e| e.to_string())?;
    store.close().await;
    if !report.missing.is_empty() || !report.corrupt.is_empty() {
        return Err(format!(
            "restored, but {} document files are missing and {} do not match: {:?}",
            report.missing.len(),
            report.corrupt.len(),
            report
                .missing
                .iter()
                .chain(&report.corrupt)
                .take(5)
                .collect::<Vec<_>>()
        ));
    }
    if let store::AuditVerification::Broken { at_record, reason } = audit {
        return Err(format!(
            "restored, but the audit log is broken at record {at_record}: {reason}"
        ));
    }
    println!(
        "restored {} backup of {} into {}: {} documents checked",
        manifest.backend,
        manifest.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
        c.data_dir.display(),
        report.documents
    );
    Ok(())
}

/// Deletes (or with `dry_run` lists) the documents that retention says are due.
pub async fn purge(c: &Config, dry_run: bool) -> Result<(), String> {
    let days = c.retention.refused_and_withdrawn_days;
    if days == 0 {
        println!("retention.refused_and_withdrawn_days is 0: documents are kept for ever");
        return Ok(());
    }
    let store = serve::open_store(c).await?;
    let blobs = storage::blob_store(c)?;
    let now = Utc::now();
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let done = store::purge_expired(
        &store,
        &blobs,
        cutoff,
        dry_run,
        "system:retention",
        "cli",
        now,
    )
    .await
    .map_err(|e| e.to_string())?;
    store.close().await;
    for p in &done {
        println!(
            "application {} ({}, since {}): {} documents{}",
            p.application_id,
            p.status,
            p.ended_at.format("%Y-%m-%d"),
            p.documents,
            if dry_run {
                " would be deleted"
            } else {
                " deleted"
            }
        );
    }
    println!(
        "{} applications, {} documents {} (older than {days} days)",
        done.len(),
        done.iter().map(|p| p.documents).sum::<i64>(),
        if dry_run { "due" } else { "purged" }
    );
    Ok(())
}
