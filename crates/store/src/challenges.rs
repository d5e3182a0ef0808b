//! Single-use challenges for EDS sign-in and signing. They live in the database so that any
//! instance behind a load balancer can check a challenge another one issued.

use chrono::{DateTime, Duration, Utc};

use crate::{Store, StoreError, random_token, with_pool};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Challenge {
    pub id: String,
    pub purpose: String,
    /// The exact bytes (as text) the signer must sign.
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Why a challenge cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeRefusal {
    Unknown,
    Expired,
    AlreadyUsed,
}

impl Store {
    /// Issues a fresh challenge; `payload` is built from the id by the caller so that the signed
    /// text names the service and the moment (a person can read what they sign).
    pub async fn issue_challenge(
        &self,
        purpose: &str,
        make_payload: impl FnOnce(&str) -> String,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Challenge, StoreError> {
        let id = random_token(24);
        let payload = make_payload(&id);
        let challenge = Challenge {
            id,
            purpose: purpose.to_owned(),
            payload,
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
        };
        with_pool!(&self.write, |pool| {
            sqlx::query(
                "INSERT INTO challenges (id, purpose, payload, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&challenge.id)
            .bind(&challenge.purpose)
            .bind(&challenge.payload)
            .bind(challenge.created_at)
            .bind(challenge.expires_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(challenge)
    }

    /// Reads a challenge without using it (to verify a signature over it first).
    pub async fn challenge(
        &self,
        id: &str,
        purpose: &str,
    ) -> Result<Option<Challenge>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, Challenge>(
                "SELECT id, purpose, payload, created_at, expires_at, used_at FROM challenges \
                 WHERE id = $1 AND purpose = $2",
            )
            .bind(id)
            .bind(purpose)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Marks a challenge used, exactly once: of two requests racing with the same challenge
    /// only one gets `Ok`.
    pub async fn consume_challenge(
        &self,
        id: &str,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<Challenge, ChallengeRefusal>, StoreError> {
        let used: Option<Challenge> = with_pool!(&self.write, |pool| {
            sqlx::query_as::<_, Challenge>(
                "UPDATE challenges SET used_at = $1 \
                 WHERE id = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
                 RETURNING id, purpose, payload, created_at, expires_at, used_at",
            )
            .bind(now)
            .bind(id)
            .bind(purpose)
            .fetch_optional(pool)
            .await?
        });
        if let Some(c) = used {
            return Ok(Ok(c));
        }
        Ok(Err(match self.challenge(id, purpose).await? {
            None => ChallengeRefusal::Unknown,
            Some(c) if c.used_at.is_some() => ChallengeRefusal::AlreadyUsed,
            Some(_) => ChallengeRefusal::Expired,
        }))
    }

    /// Drops challenges that can no longer be used; run periodically.
    pub async fn purge_challenges(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let cutoff = now - Duration::hours(1);
        Ok(with_pool!(&self.write, |pool| {
            sqlx::query("DELETE FROM challenges WHERE expires_at < $1")
                .bind(cutoff)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
