//! The append-only audit log. Each record's hash covers its content and the previous record's
//! hash, and records are numbered without gaps, so a removed, altered or reordered record is
//! detected by [`Store::verify_audit_chain`].
//!
//! Appends take the single `audit_head` row inside the caller's transaction: on PostgreSQL
//! that row lock orders concurrent appends, so the chain never forks.

use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};

use crate::{Store, StoreError, Tx, with_pool, with_tx};

/// What happened, by whom, from where. `details` is free text without personal data beyond
/// identifiers the record needs (the audit log itself is personal data and access-controlled).
#[derive(Clone, Debug)]
pub struct AuditEntry<'a> {
    /// Who acted: `person:<id>`, `system`, `admin:<iin>`.
    pub actor: &'a str,
    pub action: &'a str,
    /// The object acted on: `application:<id>`, `school:<id>`, …
    pub object: &'a str,
    pub details: &'a str,
    /// Where from: the client address, or `cli`.
    pub source: &'a str,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub details: String,
    pub source: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditVerification {
    Intact {
        records: i64,
    },
    /// The first record whose number, link or content does not match.
    Broken {
        at_record: i64,
        reason: String,
    },
}

/// A field of a record's hash input: its length (8 bytes, big-endian), then its bytes, so that no
/// two different records hash the same bytes.
fn length_prefixed(out: &mut Vec<u8>, field: &[u8]) {
    out.extend_from_slice(&(field.len() as u64).to_be_bytes());
    out.extend_from_slice(field);
}

/// Appends the hash input after the previous hash and the record's number: what the caller
/// knows before the head is taken.
fn push_record_suffix(out: &mut Vec<u8>, at: DateTime<Utc>, e: &AuditEntry<'_>) {
    for field in [
        at.timestamp_micros().to_string().as_bytes(),
        e.actor.as_bytes(),
        e.action.as_bytes(),
        e.object.as_bytes(),
        e.details.as_bytes(),
        e.source.as_bytes(),
    ] {
        length_prefixed(out, field);
    }
}

fn record_hash(seq: i64, at: DateTime<Utc>, e: &AuditEntry<'_>, prev_hash: &str) -> String {
    let mut input = Vec::with_capacity(256 + e.details.len());
    length_prefixed(&mut input, prev_hash.as_bytes());
    length_prefixed(&mut input, seq.to_string().as_bytes());
    push_record_suffix(&mut input, at, e);
    hex::encode(Sha256::digest(&input))
}

/// PostgreSQL takes the head and appends the record in one statement: the head's number and last
/// hash complete the hash input there (as [`record_hash`] does, byte for byte), which saves a round trip
/// in each audited write (bench/README.md, "Eleventh round").
const APPEND_IN_ONE_STATEMENT: &str = "WITH h AS (\
        UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash) \
    INSERT INTO audit_log (id, at, actor, action, object, details, source, prev_hash, hash) \
    SELECT h.seq, $1, $2, $3, $4, $5, $6, h.last_hash, encode(sha256(\
        int8send(octet_length(h.last_hash)::int8) || convert_to(h.last_hash, 'UTF8') \
        || int8send(octet_length(h.seq::text)::int8) || convert_to(h.seq::text, 'UTF8') \
        || $7), 'hex') \
    FROM (VALUES (1)) AS one LEFT JOIN h ON true";

/// Binds a record's time and fields as `$1` to `$6`, in both ways of appending it.
macro_rules! bind_record {
    ($query:expr, $at:expr, $entry:expr) => {
        $query
            .bind($at)
            .bind($entry.actor)
            .bind($entry.action)
            .bind($entry.object)
            .bind($entry.details)
            .bind($entry.source)
    };
}

pub(crate) async fn append(
    tx: &mut Tx,
    entry: &AuditEntry<'_>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    // PostgreSQL keeps microseconds; hash what will be read back.
    let at = at.trunc_subsecs(6);
    if let Tx::Postgres(t) = tx {
        let mut suffix = Vec::with_capacity(128 + entry.details.len());
        push_record_suffix(&mut suffix, at, entry);
        // Deferred: it goes out with the COMMIT that follows it. Without a head row the record's
        // number is NULL, and its insert fails, with the transaction.
        let append = bind_record!(sqlx::query(APPEND_IN_ONE_STATEMENT), at, entry).bind(suffix);
        (**t).execute_deferred(append).await?;
        return Ok(());
    }
    let (seq, prev): (i64, String) = with_tx!(tx, |conn| {
        sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash")
            .fetch_one(&mut *conn)
            .await?
    });
    let hash = record_hash(seq, at, entry, &prev);
    // The head's last_hash follows by trigger (migration 0005).
    with_tx!(tx, |conn| {
        bind_record!(
            sqlx::query(
                "INSERT INTO audit_log (id, at, actor, action, object, details, source, prev_hash, hash) \
                 VALUES ($7, $1, $2, $3, $4, $5, $6, $8, $9)",
            ),
            at,
            entry
        )
        .bind(seq)
        .bind(&prev)
        .bind(&hash)
        .execute(&mut *conn)
        .await?
        .rows_affected()
    });
    Ok(())
}

impl Store {
    /// Records an event that has no other state change to share a transaction with
    /// (a staff member viewing personal data, a sign-in).
    pub async fn audit(&self, entry: &AuditEntry<'_>, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        append(&mut tx, entry, at).await?;
        tx.commit().await
    }

    /// Newest first; `object_prefix` and `actor` filter when non-empty.
    pub async fn audit_search(
        &self,
        actor: &str,
        object_prefix: &str,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let object_like = format!("{}%", object_prefix.replace('%', ""));
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, AuditRecord>(
                "SELECT id, at, actor, action, object, details, source, prev_hash, hash FROM audit_log \
                 WHERE ($1 = '' OR actor = $1) AND object LIKE $2 ORDER BY id DESC LIMIT $3",
            )
            .bind(actor)
            .bind(object_like)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Walks the whole chain in pages and checks every link.
    pub async fn verify_audit_chain(&self) -> Result<AuditVerification, StoreError> {
        let mut expected_seq = 1i64;
        let mut prev = String::new();
        loop {
            let page: Vec<AuditRecord> = with_pool!(&self.read, |pool| {
                sqlx::query_as::<_, AuditRecord>(
                    "SELECT id, at, actor, action, object, details, source, prev_hash, hash \
                     FROM audit_log WHERE id >= $1 ORDER BY id LIMIT 1000",
                )
                .bind(expected_seq)
                .fetch_all(pool)
                .await?
            });
            if page.is_empty() {
                break;
            }
            for r in page {
                if r.id != expected_seq {
                    return Ok(AuditVerification::Broken {
                        at_record: expected_seq,
                        reason: format!("record {expected_seq} is missing"),
                    });
                }
                if r.prev_hash != prev {
                    return Ok(AuditVerification::Broken {
                        at_record: r.id,
                        reason: "link to the previous record does not match".into(),
                    });
                }
                let entry = AuditEntry {
                    actor: &r.actor,
                    action: &r.action,
                    object: &r.object,
                    details: &r.details,
                    source: &r.source,
                };
                if record_hash(r.id, r.at, &entry, &r.prev_hash) != r.hash {
                    return Ok(AuditVerification::Broken {
                        at_record: r.id,
                        reason: "content does not match its hash".into(),
                    });
                }
                prev = r.hash;
                expected_seq += 1;
            }
        }
        let (seq, last_hash): (i64, String) = with_pool!(&self.read, |pool| {
            sqlx::query_as("SELECT seq, last_hash FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        if seq != expected_seq - 1 || last_hash != prev {
            return Ok(AuditVerification::Broken {
                at_record: expected_seq,
                reason: format!("records after {} were removed", expected_seq - 1),
            });
        }
        Ok(AuditVerification::Intact { records: seq })
    }
}
