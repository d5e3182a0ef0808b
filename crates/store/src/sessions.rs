//! Server-side sessions. The cookie carries a random token; the database keeps only its hash,
//! so a leaked database dump opens no session.

use chrono::{DateTime, Duration, Utc};

use crate::{Store, StoreError, sha256_hex, with_pool};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRecord {
    pub token_hash: String,
    pub person_id: i64,
    pub csrf_secret: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    pub async fn create_session(
        &self,
        token: &str,
        person_id: i64,
        csrf_secret: &str,
        now: DateTime<Utc>,
        absolute_ttl: Duration,
    ) -> Result<(), StoreError> {
        with_pool!(&self.write, |pool| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, person_id, csrf_secret, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $4, $5)",
            )
            .bind(sha256_hex(token.as_bytes()))
            .bind(person_id)
            .bind(csrf_secret)
            .bind(now)
            .bind(now + absolute_ttl)
            .execute(pool)
            .await?.rows_affected()
        });
        Ok(())
    }

    /// The live session for a token: not past its absolute end nor idle for longer than
    /// `idle_ttl`. `last_seen_at` is written at most once a minute, so a parent polling the
    /// status page costs a read, not a write.
    pub async fn session(
        &self,
        token: &str,
        now: DateTime<Utc>,
        idle_ttl: Duration,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let hash = sha256_hex(token.as_bytes());
        let found: Option<SessionRecord> = with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, SessionRecord>(
                "SELECT token_hash, person_id, csrf_secret, created_at, last_seen_at, expires_at \
                 FROM sessions WHERE token_hash = $1",
            )
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        });
        let Some(s) = found else { return Ok(None) };
        if s.expires_at <= now || s.last_seen_at + idle_ttl <= now {
            self.delete_session(token).await?;
            return Ok(None);
        }
        if now - s.last_seen_at > Duration::minutes(1) {
            with_pool!(&self.write, |pool| {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                    .bind(now)
                    .bind(&hash)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
        }
        Ok(Some(s))
    }

    pub async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        with_pool!(&self.write, |pool| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(sha256_hex(token.as_bytes()))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    pub async fn purge_sessions(
        &self,
        now: DateTime<Utc>,
        idle_ttl: Duration,
    ) -> Result<u64, StoreError> {
        Ok(with_pool!(&self.write, |pool| {
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2")
                .bind(now)
                .bind(now - idle_ttl)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
