//! Retention: the uploaded documents of applications that ended without admission (refused or
//! withdrawn) are deleted once they are older than the configured period. The application's
//! own record, its timeline, the documents the service issued (their public verification must
//! keep working) and the audit trail stay.

use chrono::{DateTime, Utc};

use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, with_pool, with_tx};

/// An application whose documents are due to be purged.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PurgeCandidate {
    pub application_id: i64,
    pub status: String,
    /// When the application last changed (its refusal or withdrawal).
    pub ended_at: DateTime<Utc>,
    pub documents: i64,
}

impl Store {
    /// Refused and withdrawn applications unchanged since before `cutoff` that still have
    /// uploaded documents.
    pub async fn purge_candidates(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<PurgeCandidate>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, PurgeCandidate>(
                "SELECT a.id AS application_id, a.status, a.updated_at AS ended_at, COUNT(d.id) AS documents \
                 FROM applications a JOIN documents d ON d.application_id = a.id \
                 WHERE a.status IN ('refused', 'withdrawn') AND a.updated_at < $1 \
                 GROUP BY a.id, a.status, a.updated_at ORDER BY a.id",
            )
            .bind(cutoff)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Deletes the document rows of one application, if it is still refused or withdrawn and
    /// unchanged since before `cutoff`, with an audit record in the same transaction. Returns
    /// the storage keys, for the caller to delete the files after the commit (a crash in
    /// between leaves orphan files that `fsck --delete-orphans` removes, never a row without
    /// its file).
    pub async fn purge_documents(
        &self,
        application_id: i64,
        cutoff: DateTime<Utc>,
        actor: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin().await?;
        let keys: Vec<String> = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "DELETE FROM documents WHERE application_id IN \
                 (SELECT id FROM applications WHERE id = $1 AND status IN ('refused', 'withdrawn') AND updated_at < $2) \
                 RETURNING storage_key",
            )
            .bind(application_id)
            .bind(cutoff)
            .fetch_all(&mut *conn)
            .await?
        });
        if keys.is_empty() {
            return Ok(keys);
        }
        let object = format!("application:{application_id}");
        let details = format!("retention: {} documents deleted", keys.len());
        audit::append(
            &mut tx,
            &AuditEntry {
                actor,
                action: "purge_documents",
                object: &object,
                details: &details,
                source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(keys)
    }
}

/// One retention pass: finds the applications whose documents are due and (unless `dry_run`)
/// purges them, rows first, then files. Returns what was (or would be) purged.
pub async fn purge_expired(
    store: &Store,
    blobs: &crate::BlobStore,
    cutoff: DateTime<Utc>,
    dry_run: bool,
    actor: &str,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Vec<PurgeCandidate>, StoreError> {
    let candidates = store.purge_candidates(cutoff).await?;
    if dry_run {
        return Ok(candidates);
    }
    let mut purged = Vec::with_capacity(candidates.len());
    for c in candidates {
        let keys = store
            .purge_documents(c.application_id, cutoff, actor, source, now)
            .await?;
        for key in &keys {
            blobs.delete(key).await?;
        }
        if !keys.is_empty() {
            purged.push(PurgeCandidate {
                documents: keys.len() as i64,
                ..c
            });
        }
    }
    Ok(purged)
}
