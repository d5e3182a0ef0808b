//! Single-use challenges for EDS sign-in and signing. The service issues a challenge without
//! writing anything (its id carries the moment it was issued and a MAC under the service's key,
//! which every instance shares: the web layer makes and checks them); the database records it
//! when it is used, which is what makes it single-use on every instance behind a load balancer.
//! Issuing used to be a write of its own and using it a read and a second write: three
//! statements of the opening rush's fifty per application, where now there is one.

use chrono::{DateTime, Utc};

use crate::{Store, StoreError, Tx, with_pool, with_tx};

/// A challenge as issued: what the signer must sign, and until when.
#[derive(Clone, Debug)]
pub struct Challenge {
    pub id: String,
    pub purpose: String,
    /// The exact bytes (as text) the signer must sign.
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Why a challenge cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeRefusal {
    Unknown,
    Expired,
    AlreadyUsed,
}

impl Store {
    /// Drops the record of challenges that can no longer be used anyway; run periodically.
    pub async fn purge_challenges(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let cutoff = now - chrono::Duration::hours(1);
        Ok(with_pool!(&self.write, |pool| {
            sqlx::query("DELETE FROM challenges WHERE expires_at < $1")
                .bind(cutoff)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}

/// Records a challenge as used inside the caller's transaction (a sign-in's: [`Store::sign_in`]);
/// of two requests racing with the same challenge only one gets `Ok`. A challenge used before
/// (here or on another instance) or expired is refused, and the caller must then not commit.
pub(crate) async fn record_use(
    tx: &mut Tx,
    challenge: &Challenge,
    now: DateTime<Utc>,
) -> Result<Result<(), ChallengeRefusal>, StoreError> {
    if challenge.expires_at <= now {
        return Ok(Err(ChallengeRefusal::Expired));
    }
    let recorded = with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO challenges (id, purpose, payload, created_at, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&challenge.id)
        .bind(&challenge.purpose)
        .bind(&challenge.payload)
        .bind(challenge.created_at)
        .bind(challenge.expires_at)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected()
    });
    Ok(if recorded == 1 {
        Ok(())
    } else {
        Err(ChallengeRefusal::AlreadyUsed)
    })
}
