//! The notification outbox (written with its cause, delivered by the notify worker).
//!
//! A notification is a row written in the same transaction as the event that causes it, so an
//! event is never committed without its message nor a message without its event. Workers on
//! any number of instances take rows by *lease*: a claim sets `lease_until` on rows that are
//! due and not leased, re-checking that in the outer `WHERE` so that of two claims racing for
//! the same row on PostgreSQL only one gets it (the other's re-check fails and it returns fewer
//! rows). SQLite has one writer, so there the claim is serial anyway. No `SKIP LOCKED`: it
//! exists on PostgreSQL only.
//!
//! Delivery is exactly-once as far as this table can make it: a row is marked delivered right
//! after the transport accepted it, and a claim is fenced by its attempt number so that a
//! worker whose lease ran out cannot overwrite what a later claim recorded. What remains is
//! an at-least-once window that no outbox closes alone: a crash (or a lost connection)
//! *after* the mail server or SMS gateway accepted a message and *before* the row is marked
//! delivered sends that message again after the lease expires. The notify crate narrows it
//! (a send finishes well within the lease; e-mails carry a Message-ID derived from the row, so
//! a receiving side can discard the copy).

use chrono::{DateTime, Duration, Utc};

use crate::audit::{self, AuditEntry};
use crate::{Deferred, Store, StoreError, Tx, with_pool, with_tx};

/// How a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

/// Where a message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    /// Waiting for its first or next attempt (possibly leased by a worker right now).
    Pending,
    Delivered,
    /// The worker stopped trying: a permanent refusal, or too long without success.
    GivenUp,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Delivered => "delivered",
            OutboxStatus::GivenUp => "given_up",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxStatus> {
        match s {
            "pending" => Some(OutboxStatus::Pending),
            "delivered" => Some(OutboxStatus::Delivered),
            "given_up" => Some(OutboxStatus::GivenUp),
            _ => None,
        }
    }
}

/// A message to deliver, as its cause writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    pub channel: Channel,
    /// An e-mail address or a phone number in `+7…` form.
    pub recipient: String,
    /// Empty for SMS.
    pub subject: String,
    pub body: String,
    /// The file name the recipient sees (`receipt-2026-000042.pdf`).
    pub attachment_name: Option<String>,
    /// The [`crate::BlobStore`] key of the attachment's bytes.
    pub attachment_key: Option<String>,
    /// Which template made it (`submitted`, `accepted`, …), for the delivery log.
    pub kind: String,
    /// `kk`, `ru` or `en`.
    pub language: String,
    /// Names the message so that enqueueing it again finds the first instead of adding a copy
    /// (`draft-reminder:2026-2027:person:17:sms`). `None` for messages whose cause is itself
    /// written once.
    pub dedupe_key: Option<String>,
}

/// A message a worker holds the lease on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedMessage {
    pub id: i64,
    /// The attempt this claim is (1 for the first). It fences the claim: marks of an older
    /// claim whose lease ran out do not apply.
    pub attempt: i64,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attachment_name: Option<String>,
    pub attachment_key: Option<String>,
    pub kind: String,
    pub language: String,
    pub created_at: DateTime<Utc>,
}

/// One row of the delivery log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attachment_name: Option<String>,
    pub attachment_key: Option<String>,
    pub kind: String,
    pub language: String,
    pub dedupe_key: Option<String>,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
    pub lease_owner: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub given_up_at: Option<DateTime<Utc>>,
    /// Set on a copy an administrator asked for: the message it repeats.
    pub resent_from: Option<i64>,
}

/// What the delivery log shows; every `None` means "any". Newest first, paged by `before_id`.
#[derive(Clone, Debug, Default)]
pub struct OutboxFilter {
    pub status: Option<OutboxStatus>,
    pub channel: Option<Channel>,
    /// Exact address or phone number.
    pub recipient: Option<String>,
    pub kind: Option<String>,
    /// Only rows with a smaller id (the last id of the previous page).
    pub before_id: Option<i64>,
}

/// Messages per status, for the administrator's overview.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub delivered: i64,
    pub given_up: i64,
}

/// Errors longer than this are cut: a mail server can answer with pages of text, and the log
/// needs the first lines.
const MAX_ERROR_CHARS: usize = 2000;

fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    attempts: i64,
    channel: String,
    recipient: String,
    subject: String,
    body: String,
    attachment_name: Option<String>,
    attachment_key: Option<String>,
    kind: String,
    language: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<ClaimedRow> for ClaimedMessage {
    type Error = StoreError;
    fn try_from(r: ClaimedRow) -> Result<Self, StoreError> {
        Ok(ClaimedMessage {
            id: r.id,
            attempt: r.attempts,
            channel: Channel::parse(&r.channel).ok_or_else(|| {
                StoreError::Data(format!("outbox {}: unknown channel {:?}", r.id, r.channel))
            })?,
            recipient: r.recipient,
            subject: r.subject,
            body: r.body,
            attachment_name: r.attachment_name,
            attachment_key: r.attachment_key,
            kind: r.kind,
            language: r.language,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    channel: String,
    recipient: String,
    subject: String,
    body: String,
    attachment_name: Option<String>,
    attachment_key: Option<String>,
    kind: String,
    language: String,
    dedupe_key: Option<String>,
    status: String,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    lease_until: Option<DateTime<Utc>>,
    lease_owner: Option<String>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    given_up_at: Option<DateTime<Utc>>,
    resent_from: Option<i64>,
}

const ENTRY_COLUMNS: &str = "id, channel, recipient, subject, body, attachment_name, attachment_key, kind, \
    language, dedupe_key, status, attempts, next_attempt_at, lease_until, lease_owner, last_error, created_at, \
    delivered_at, given_up_at, resent_from";

impl TryFrom<EntryRow> for OutboxEntry {
    type Error = StoreError;
    fn try_from(r: EntryRow) -> Result<Self, StoreError> {
        Ok(OutboxEntry {
            id: r.id,
            channel: Channel::parse(&r.channel).ok_or_else(|| {
                StoreError::Data(format!("outbox {}: unknown channel {:?}", r.id, r.channel))
            })?,
            status: OutboxStatus::parse(&r.status).ok_or_else(|| {
                StoreError::Data(format!("outbox {}: unknown status {:?}", r.id, r.status))
            })?,
            recipient: r.recipient,
            subject: r.subject,
            body: r.body,
            attachment_name: r.attachment_name,
            attachment_key: r.attachment_key,
            kind: r.kind,
            language: r.language,
            dedupe_key: r.dedupe_key,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            lease_until: r.lease_until,
            lease_owner: r.lease_owner,
            last_error: r.last_error,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
            given_up_at: r.given_up_at,
            resent_from: r.resent_from,
        })
    }
}

/// A message's row; `ON CONFLICT` keeps a second message with the same `dedupe_key` out.
/// (A macro, so that `concat!` can extend it.)
macro_rules! insert_message {
    () => {
        "INSERT INTO outbox (channel, recipient, subject, body, attachment_name, \
         attachment_key, status, attempts, next_attempt_at, created_at, kind, language, dedupe_key) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $8, $9, $10) \
         ON CONFLICT (dedupe_key) DO NOTHING"
    };
}

/// Binds a message's fields to [`insert_message`]'s parameters, in both ways of enqueueing it.
macro_rules! bind_message {
    ($query:expr, $msg:expr, $now:expr) => {
        $query
            .bind($msg.channel.as_str())
            .bind(&$msg.recipient)
            .bind(&$msg.subject)
            .bind(&$msg.body)
            .bind(&$msg.attachment_name)
            .bind(&$msg.attachment_key)
            .bind($now)
            .bind(&$msg.kind)
            .bind(&$msg.language)
            .bind(&$msg.dedupe_key)
    };
}

fn check_recipient(msg: &OutboxMessage) -> Result<(), StoreError> {
    if msg.recipient.trim().is_empty() {
        return Err(StoreError::Data(format!(
            "outbox message {:?} has no recipient",
            msg.kind
        )));
    }
    Ok(())
}

/// Writes a message inside the caller's transaction, so that it commits (or not) with the
/// event that causes it. With a `dedupe_key` already present, returns the existing row's id
/// and writes nothing.
pub(crate) async fn enqueue(
    tx: &mut Tx,
    msg: &OutboxMessage,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    check_recipient(msg)?;
    let inserted: Option<i64> = with_tx!(tx, |conn| {
        bind_message!(
            sqlx::query_scalar(concat!(insert_message!(), " RETURNING id")),
            msg,
            now
        )
        .fetch_optional(&mut *conn)
        .await?
    });
    if let Some(id) = inserted {
        return Ok(id);
    }
    // Only a dedupe key can conflict.
    let existing: Option<i64> = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT id FROM outbox WHERE dedupe_key = $1")
            .bind(&msg.dedupe_key)
            .fetch_optional(&mut *conn)
            .await?
    });
    existing.ok_or_else(|| StoreError::Data("outbox insert conflicted without a dedupe key".into()))
}

/// [`enqueue`] for a cause that does not need the message's id: on PostgreSQL the row goes out
/// with the transaction's next statement or its commit (see `Deferred`).
pub(crate) async fn enqueue_deferred(
    tx: &mut Tx,
    msg: &OutboxMessage,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    check_recipient(msg)?;
    with_tx!(tx, |conn| {
        conn.execute_deferred(bind_message!(sqlx::query(insert_message!()), msg, now))
            .await?
    });
    Ok(())
}

impl Store {
    /// Enqueues one message in a transaction of its own, for causes that write nothing else
    /// (a contact confirmation code, a reminder, a daily summary).
    pub async fn enqueue_notification(
        &self,
        msg: &OutboxMessage,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let id = enqueue(&mut tx, msg, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Enqueues several messages (the e-mail and the SMS of one event) all or none.
    pub async fn enqueue_notifications(
        &self,
        msgs: &[OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin().await?;
        let mut ids = Vec::with_capacity(msgs.len());
        for msg in msgs {
            ids.push(enqueue(&mut tx, msg, now).await?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Takes up to `limit` due messages for `worker_id` until `now + lease`, oldest due first.
    /// Each claim counts as an attempt. Two workers never hold the same row at once; a row
    /// whose lease ran out (its worker died) is due again.
    pub async fn claim_outbox(
        &self,
        worker_id: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        let rows: Vec<ClaimedRow> = with_pool!(&self.write, |pool| {
            // The claimability test is repeated outside the subquery on purpose: on PostgreSQL
            // a concurrent claim that locked the row first makes this UPDATE re-read the row
            // and re-check the outer WHERE only, which then fails for the taken row.
            sqlx::query_as::<_, ClaimedRow>(
                "UPDATE outbox SET lease_until = $2, lease_owner = $3, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM outbox \
                     WHERE status = 'pending' AND next_attempt_at <= $1 \
                       AND (lease_until IS NULL OR lease_until <= $1) \
                     ORDER BY next_attempt_at, id LIMIT $4) \
                   AND status = 'pending' AND next_attempt_at <= $1 \
                   AND (lease_until IS NULL OR lease_until <= $1) \
                 RETURNING id, attempts, channel, recipient, subject, body, attachment_name, attachment_key, \
                   kind, language, created_at",
            )
            .bind(now)
            .bind(now + lease)
            .bind(worker_id)
            .bind(limit.max(0))
            .fetch_all(pool)
            .await?
        });
        let mut claimed = rows
            .into_iter()
            .map(ClaimedMessage::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    /// Records that transports accepted these messages, in one statement: a worker marks a
    /// whole batch at once, so that the rush's two notifications per application do not cost
    /// two write transactions of their own. Not fenced by the attempt: a delivery is a fact
    /// even if the lease ran out meanwhile. Returns the ids that were already delivered (a
    /// second copy went out, which the caller logs).
    pub async fn mark_delivered(
        &self,
        ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "UPDATE outbox SET status = 'delivered', delivered_at = $1, lease_until = NULL, given_up_at = NULL \
             WHERE id IN ({}) AND status <> 'delivered' RETURNING id",
            crate::parameters(2, ids.len())
        );
        let marked: Vec<i64> = with_pool!(&self.write, |pool| {
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())).bind(now);
            for id in ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        Ok(ids
            .iter()
            .copied()
            .filter(|id| !marked.contains(id))
            .collect())
    }

    /// Records a temporary failure of `attempt` and when to try again. Returns `false` if the
    /// claim is stale (a later claim exists, or the message is no longer pending).
    pub async fn mark_failed(
        &self,
        id: i64,
        attempt: i64,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = with_pool!(&self.write, |pool| {
            sqlx::query(
                "UPDATE outbox SET last_error = $3, next_attempt_at = $4, lease_until = NULL \
                 WHERE id = $1 AND attempts = $2 AND status = 'pending'",
            )
            .bind(id)
            .bind(attempt)
            .bind(clip(error))
            .bind(next_attempt_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Stops trying, with the reason. Fenced like [`Store::mark_failed`].
    pub async fn mark_given_up(
        &self,
        id: i64,
        attempt: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = with_pool!(&self.write, |pool| {
            sqlx::query(
                "UPDATE outbox SET status = 'given_up', last_error = $3, given_up_at = $4, lease_until = NULL \
                 WHERE id = $1 AND attempts = $2 AND status = 'pending'",
            )
            .bind(id)
            .bind(attempt)
            .bind(clip(reason))
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// The delivery log for the administrator (and the demo page `/dev/outbox`), newest first.
    pub async fn outbox_log(
        &self,
        filter: &OutboxFilter,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox \
             WHERE ($1 = '' OR status = $1) AND ($2 = '' OR channel = $2) AND ($3 = '' OR recipient = $3) \
               AND ($4 = '' OR kind = $4) AND ($5 = 0 OR id < $5) \
             ORDER BY id DESC LIMIT $6"
        );
        let rows: Vec<EntryRow> = with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, EntryRow>(sqlx::AssertSqlSafe(sql))
                .bind(filter.status.map(OutboxStatus::as_str).unwrap_or(""))
                .bind(filter.channel.map(Channel::as_str).unwrap_or(""))
                .bind(filter.recipient.as_deref().unwrap_or(""))
                .bind(filter.kind.as_deref().unwrap_or(""))
                .bind(filter.before_id.unwrap_or(0))
                .bind(limit.max(0))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(OutboxEntry::try_from).collect()
    }

    pub async fn outbox_entry(&self, id: i64) -> Result<Option<OutboxEntry>, StoreError> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = $1");
        let row: Option<EntryRow> = with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, EntryRow>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(OutboxEntry::try_from).transpose()
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let rows: Vec<(String, i64)> = with_pool!(&self.read, |pool| {
            sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
                .fetch_all(pool)
                .await?
        });
        let mut counts = OutboxCounts::default();
        for (status, n) in rows {
            match OutboxStatus::parse(&status) {
                Some(OutboxStatus::Pending) => counts.pending = n,
                Some(OutboxStatus::Delivered) => counts.delivered = n,
                Some(OutboxStatus::GivenUp) => counts.given_up = n,
                None => {
                    return Err(StoreError::Data(format!(
                        "outbox: unknown status {status:?}"
                    )));
                }
            }
        }
        Ok(counts)
    }

    /// An administrator's resend. A pending message is made due now (no copy: it has not gone
    /// out yet). A delivered or given-up one is copied to a new pending row that points at it,
    /// so the log keeps both histories. Returns the id of the row that will be delivered.
    pub async fn resend(
        &self,
        id: i64,
        actor: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let status: Option<String> = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT status FROM outbox WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
        });
        let status = status.ok_or(StoreError::NotFound)?;
        let (target, details) = if OutboxStatus::parse(&status) == Some(OutboxStatus::Pending) {
            with_tx!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE outbox SET next_attempt_at = $2 WHERE id = $1 AND status = 'pending'",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *conn)
                .await?
                .rows_affected()
            });
            (id, "made due now".to_owned())
        } else {
            let new_id: i64 = with_tx!(&mut tx, |conn| {
                sqlx::query_scalar(
                    "INSERT INTO outbox (channel, recipient, subject, body, attachment_name, attachment_key, \
                     status, attempts, next_attempt_at, created_at, kind, language, resent_from) \
                     SELECT channel, recipient, subject, body, attachment_name, attachment_key, 'pending', 0, $2, $2, \
                     kind, language, id FROM outbox WHERE id = $1 RETURNING id",
                )
                .bind(id)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?
            });
            (new_id, format!("was {status}; copied to outbox:{new_id}"))
        };
        audit::append(
            &mut tx,
            &AuditEntry {
                actor,
                action: "outbox_resend",
                object: &format!("outbox:{id}"),
                details: &details,
                source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::stores;
    use chrono::TimeZone;
    use std::collections::HashSet;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn email(n: usize) -> OutboxMessage {
        OutboxMessage {
            channel: Channel::Email,
            recipient: format!("parent{n}@example.kz"),
            subject: format!("Өтініш {n}"),
            body: format!("body {n}"),
            attachment_name: None,
            attachment_key: None,
            kind: "submitted".into(),
            language: "kk".into(),
            dedupe_key: None,
        }
    }

    #[tokio::test]
    async fn enqueue_claim_deliver_round_trip() {
        for db in stores().await {
            let s = &db.store;
            let mut msg = email(1);
            msg.attachment_name = Some("receipt.pdf".into());
            msg.attachment_key = Some("0123456789abcdef0123456789abcdef".into());
            let id = s.enqueue_notification(&msg, t0()).await.unwrap();
            let claimed = s
                .claim_outbox("w1", t0(), Duration::minutes(5), 10)
                .await
                .unwrap();
            assert_eq!(claimed.len(), 1);
            let c = &claimed[0];
            assert_eq!((c.id, c.attempt, c.channel), (id, 1, Channel::Email));
            assert_eq!(
                (c.subject.as_str(), c.attachment_name.as_deref()),
                ("Өтініш 1", Some("receipt.pdf"))
            );
            assert_eq!(c.created_at, t0());
            // Leased: nobody else gets it.
            assert!(
                s.claim_outbox("w2", t0(), Duration::minutes(5), 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert!(
                s.mark_delivered(&[id], t0() + Duration::seconds(1))
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(
                s.mark_delivered(&[id], t0() + Duration::seconds(2))
                    .await
                    .unwrap(),
                vec![id],
                "a second mark reports the copy"
            );
            let e = s.outbox_entry(id).await.unwrap().unwrap();
            assert_eq!(e.status, OutboxStatus::Delivered);
            assert_eq!(e.delivered_at, Some(t0() + Duration::seconds(1)));
            assert_eq!(e.lease_owner.as_deref(), Some("w1"));
            assert!(e.lease_until.is_none());
            // Delivered messages are never claimed again, even long after.
            assert!(
                s.claim_outbox("w2", t0() + Duration::days(3), Duration::minutes(5), 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
    }

    #[tokio::test]
    async fn a_batch_is_marked_delivered_in_one_statement() {
        for db in stores().await {
            let s = &db.store;
            let ids = s
                .enqueue_notifications(&[email(1), email(2), email(3)], t0())
                .await
                .unwrap();
            let claimed = s
                .claim_outbox("w1", t0(), Duration::minutes(5), 10)
                .await
                .unwrap();
            assert_eq!(claimed.len(), 3);
            // The first went out alone earlier (a second worker after a lease ran out).
            s.mark_delivered(&ids[..1], t0()).await.unwrap();
            let copies = s
                .mark_delivered(&ids, t0() + Duration::seconds(1))
                .await
                .unwrap();
            assert_eq!(copies, vec![ids[0]], "only the first was delivered before");
            for (i, id) in ids.iter().enumerate() {
                let e = s.outbox_entry(*id).await.unwrap().unwrap();
                assert_eq!(e.status, OutboxStatus::Delivered);
                let when = if i == 0 {
                    t0()
                } else {
                    t0() + Duration::seconds(1)
                };
                assert_eq!(e.delivered_at, Some(when), "message {i}");
            }
            assert!(s.mark_delivered(&[], t0()).await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn not_due_until_next_attempt_and_lease_expiry() {
        for db in stores().await {
            let s = &db.store;
            let id = s.enqueue_notification(&email(1), t0()).await.unwrap();
            // A worker claims and dies: no mark.
            let first = s
                .claim_outbox("dead", t0(), Duration::minutes(5), 10)
                .await
                .unwrap();
            assert_eq!(first.len(), 1);
            assert!(
                s.claim_outbox("w2", t0() + Duration::minutes(4), Duration::minutes(5), 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
            let second = s
                .claim_outbox("w2", t0() + Duration::minutes(5), Duration::minutes(5), 10)
                .await
                .unwrap();
            assert_eq!(second.len(), 1);
            assert_eq!(second[0].attempt, 2);
            // The dead worker's late marks are fenced off.
            assert!(!s.mark_failed(id, 1, "late", t0()).await.unwrap());
            assert!(!s.mark_given_up(id, 1, "late", t0()).await.unwrap());
            // The current claim fails temporarily: not due before next_attempt_at.
            let retry_at = t0() + Duration::minutes(30);
            assert!(
                s.mark_failed(id, 2, "connection refused", retry_at)
                    .await
                    .unwrap()
            );
            assert!(
                s.claim_outbox(
                    "w3",
                    retry_at - Duration::seconds(1),
                    Duration::minutes(5),
                    10
                )
                .await
                .unwrap()
                .is_empty()
            );
            let third = s
                .claim_outbox("w3", retry_at, Duration::minutes(5), 10)
                .await
                .unwrap();
            assert_eq!(third.len(), 1);
            assert!(
                s.mark_given_up(id, 3, "550 no such user", retry_at)
                    .await
                    .unwrap()
            );
            let e = s.outbox_entry(id).await.unwrap().unwrap();
            assert_eq!((e.status, e.attempts), (OutboxStatus::GivenUp, 3));
            assert_eq!(e.last_error.as_deref(), Some("550 no such user"));
            assert_eq!(e.given_up_at, Some(retry_at));
            assert!(
                s.claim_outbox("w3", t0() + Duration::days(9), Duration::minutes(5), 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
    }

    #[tokio::test]
    async fn concurrent_claims_never_share_a_row() {
        for db in stores().await {
            let s = &db.store;
            let msgs: Vec<OutboxMessage> = (0..300).map(email).collect();
            let ids: HashSet<i64> = s
                .enqueue_notifications(&msgs, t0())
                .await
                .unwrap()
                .into_iter()
                .collect();
            assert_eq!(ids.len(), 300);
            let mut workers = tokio::task::JoinSet::new();
            for w in 0..8 {
                let s = s.clone();
                workers.spawn(async move {
                    let mut mine = Vec::new();
                    let mut empty_rounds = 0;
                    while empty_rounds < 3 {
                        let got = s
                            .claim_outbox(&format!("w{w}"), t0(), Duration::minutes(5), 7)
                            .await
                            .unwrap();
                        if got.is_empty() {
                            empty_rounds += 1;
                        } else {
                            empty_rounds = 0;
                        }
                        mine.extend(got.into_iter().map(|m| m.id));
                    }
                    mine
                });
            }
            let mut seen = Vec::new();
            while let Some(r) = workers.join_next().await {
                seen.extend(r.unwrap());
            }
            let unique: HashSet<i64> = seen.iter().copied().collect();
            assert_eq!(
                seen.len(),
                300,
                "every row claimed exactly once, backend {:?}",
                s.backend()
            );
            assert_eq!(unique, ids);
        }
    }

    #[tokio::test]
    async fn dedupe_key_makes_enqueue_idempotent() {
        for db in stores().await {
            let s = &db.store;
            let mut msg = email(1);
            msg.dedupe_key = Some("draft-reminder:2026-2027:person:1:email".into());
            let a = s.enqueue_notification(&msg, t0()).await.unwrap();
            let b = s
                .enqueue_notifications(&[msg.clone(), email(2)], t0())
                .await
                .unwrap();
            assert_eq!(b[0], a);
            assert_ne!(b[1], a);
            // Messages without a key never collide.
            let c = s.enqueue_notification(&email(2), t0()).await.unwrap();
            assert_ne!(c, b[1]);
            assert_eq!(
                s.outbox_counts().await.unwrap(),
                OutboxCounts {
                    pending: 3,
                    delivered: 0,
                    given_up: 0
                }
            );
            let mut blank = email(3);
            blank.recipient = "  ".into();
            assert!(matches!(
                s.enqueue_notification(&blank, t0()).await,
                Err(StoreError::Data(_))
            ));
        }
    }

    #[tokio::test]
    async fn log_filters_and_pages() {
        for db in stores().await {
            let s = &db.store;
            let mut sms = email(0);
            sms.channel = Channel::Sms;
            sms.recipient = "+77011234567".into();
            sms.subject.clear();
            sms.kind = "accepted".into();
            let sms_id = s.enqueue_notification(&sms, t0()).await.unwrap();
            let mut email_ids = Vec::new();
            for n in 1..=5 {
                email_ids.push(s.enqueue_notification(&email(n), t0()).await.unwrap());
            }
            let claimed = s
                .claim_outbox("w", t0(), Duration::minutes(1), 1)
                .await
                .unwrap();
            assert_eq!(claimed[0].id, sms_id);
            s.mark_given_up(sms_id, 1, "rejected", t0()).await.unwrap();

            let all = s.outbox_log(&OutboxFilter::default(), 100).await.unwrap();
            assert_eq!(all.len(), 6);
            assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
            let cases: Vec<(OutboxFilter, usize)> = vec![
                (
                    OutboxFilter {
                        channel: Some(Channel::Sms),
                        ..Default::default()
                    },
                    1,
                ),
                (
                    OutboxFilter {
                        status: Some(OutboxStatus::GivenUp),
                        ..Default::default()
                    },
                    1,
                ),
                (
                    OutboxFilter {
                        status: Some(OutboxStatus::Pending),
                        channel: Some(Channel::Email),
                        ..Default::default()
                    },
                    5,
                ),
                (
                    OutboxFilter {
                        recipient: Some("parent3@example.kz".into()),
                        ..Default::default()
                    },
                    1,
                ),
                (
                    OutboxFilter {
                        kind: Some("accepted".into()),
                        ..Default::default()
                    },
                    1,
                ),
                (
                    OutboxFilter {
                        before_id: Some(email_ids[2]),
                        ..Default::default()
                    },
                    3,
                ),
                (
                    OutboxFilter {
                        status: Some(OutboxStatus::Delivered),
                        ..Default::default()
                    },
                    0,
                ),
            ];
            for (filter, expected) in cases {
                assert_eq!(
                    s.outbox_log(&filter, 100).await.unwrap().len(),
                    expected,
                    "{filter:?}"
                );
            }
            assert_eq!(
                s.outbox_log(&OutboxFilter::default(), 2)
                    .await
                    .unwrap()
                    .len(),
                2
            );
            assert!(s.outbox_entry(9999).await.unwrap().is_none());
        }
    }

    #[tokio::test]
    async fn resend_copies_finished_messages_and_hastens_pending_ones() {
        for db in stores().await {
            let s = &db.store;
            let mut msg = email(1);
            msg.dedupe_key = Some("once".into());
            let id = s.enqueue_notification(&msg, t0()).await.unwrap();
            let c = s
                .claim_outbox("w", t0(), Duration::minutes(1), 1)
                .await
                .unwrap();
            s.mark_given_up(id, c[0].attempt, "550 mailbox unavailable", t0())
                .await
                .unwrap();

            let later = t0() + Duration::hours(1);
            let copy = s.resend(id, "admin:1", "test", later).await.unwrap();
            assert_ne!(copy, id);
            let e = s.outbox_entry(copy).await.unwrap().unwrap();
            assert_eq!(
                (e.status, e.attempts, e.resent_from),
                (OutboxStatus::Pending, 0, Some(id))
            );
            assert_eq!(
                (e.subject.as_str(), e.dedupe_key.as_deref()),
                ("Өтініш 1", None)
            );
            assert_eq!(e.next_attempt_at, later);
            assert_eq!(
                s.outbox_entry(id).await.unwrap().unwrap().status,
                OutboxStatus::GivenUp,
                "original kept"
            );

            // A pending message is made due now instead of copied.
            s.mark_failed(copy, 0, "not this claim", later)
                .await
                .unwrap();
            let c = s
                .claim_outbox("w", later, Duration::minutes(1), 1)
                .await
                .unwrap();
            s.mark_failed(copy, c[0].attempt, "timeout", later + Duration::hours(5))
                .await
                .unwrap();
            assert_eq!(
                s.resend(copy, "admin:1", "test", later).await.unwrap(),
                copy
            );
            assert_eq!(
                s.claim_outbox("w", later, Duration::minutes(1), 5)
                    .await
                    .unwrap()
                    .len(),
                1
            );

            assert!(matches!(
                s.resend(4242, "admin:1", "test", later).await,
                Err(StoreError::NotFound)
            ));
            let audit = s.audit_search("admin:1", "outbox:", 10).await.unwrap();
            assert_eq!(audit.len(), 2);
        }
    }

    #[test]
    fn long_errors_are_clipped_on_a_char_boundary() {
        let long = "ә".repeat(MAX_ERROR_CHARS + 10);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_ERROR_CHARS + 1);
        assert_eq!(clip("short"), "short");
    }
}
