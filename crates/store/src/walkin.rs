//! The walk-in queue at a school's office: a parent takes a numbered ticket, a clerk calls the
//! next one and marks the service finished. The times are kept to show waiting and service
//! against the standard's 15 + 15 minutes.

use chrono::{DateTime, NaiveDate, Utc};

use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, with_pool, with_tx};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WalkinTicket {
    pub id: i64,
    pub school_id: i64,
    pub day: NaiveDate,
    pub number: i64,
    pub issued_at: DateTime<Utc>,
    pub called_at: Option<DateTime<Utc>>,
    pub called_by: Option<i64>,
    pub served_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, school_id, day, number, issued_at, called_at, called_by, served_at";

impl Store {
    /// The next number of the day. Two people taking a ticket at once on PostgreSQL may pick
    /// the same number; the unique key refuses the second, which simply tries again.
    pub async fn take_walkin_ticket(
        &self,
        school_id: i64,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<WalkinTicket, StoreError> {
        let sql = format!(
            "INSERT INTO walkin_tickets (school_id, day, number, issued_at) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(number), 0) + 1 FROM walkin_tickets WHERE school_id = $1 AND day = $2), $3) \
             RETURNING {COLUMNS}"
        );
        let mut last = None;
        for _ in 0..5 {
            let inserted: Result<WalkinTicket, sqlx::Error> = with_pool!(&self.write, |pool| {
                sqlx::query_as::<_, WalkinTicket>(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(school_id)
                    .bind(day)
                    .bind(now)
                    .fetch_one(pool)
                    .await
            });
            match inserted.map_err(StoreError::from) {
                Ok(t) => return Ok(t),
                Err(e) if e.is_unique_violation() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(StoreError::Conflict("walkin_ticket")))
    }

    /// Calls the longest-waiting ticket of the day, if any.
    pub async fn call_next_walkin(
        &self,
        school_id: i64,
        day: NaiveDate,
        clerk_id: i64,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WalkinTicket>, StoreError> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "UPDATE walkin_tickets SET called_at = $1, called_by = $2 \
             WHERE id = (SELECT id FROM walkin_tickets WHERE school_id = $3 AND day = $4 AND called_at IS NULL ORDER BY number LIMIT 1) \
             AND called_at IS NULL RETURNING {COLUMNS}"
        );
        let called: Option<WalkinTicket> = with_tx!(&mut tx, |conn| {
            sqlx::query_as::<_, WalkinTicket>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(now)
                .bind(clerk_id)
                .bind(school_id)
                .bind(day)
                .fetch_optional(&mut *conn)
                .await?
        });
        if let Some(t) = &called {
            let actor = format!("person:{clerk_id}");
            let object = format!("walkin_ticket:{}", t.id);
            audit::append(
                &mut tx,
                &AuditEntry {
                    actor: &actor,
                    action: "call_ticket",
                    object: &object,
                    details: "",
                    source,
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(called)
    }

    /// Marks the service of a called ticket finished.
    pub async fn finish_walkin(
        &self,
        school_id: i64,
        ticket_id: i64,
        clerk_id: i64,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let n = with_tx!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE walkin_tickets SET served_at = $1 WHERE id = $2 AND school_id = $3 AND called_at IS NOT NULL AND served_at IS NULL",
            )
            .bind(now)
            .bind(ticket_id)
            .bind(school_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let actor = format!("person:{clerk_id}");
        let object = format!("walkin_ticket:{ticket_id}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor: &actor,
                action: "finish_ticket",
                object: &object,
                details: "",
                source,
            },
            now,
        )
        .await?;
        tx.commit().await
    }

    pub async fn walkin_tickets(
        &self,
        school_id: i64,
        day: NaiveDate,
    ) -> Result<Vec<WalkinTicket>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM walkin_tickets WHERE school_id = $1 AND day = $2 ORDER BY number"
        );
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, WalkinTicket>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(school_id)
                .bind(day)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Every ticket from `since` on, for the waiting and service report.
    pub async fn walkin_tickets_since(
        &self,
        since: NaiveDate,
    ) -> Result<Vec<WalkinTicket>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM walkin_tickets WHERE day >= $1 ORDER BY school_id, day, number"
        );
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, WalkinTicket>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(since)
                .fetch_all(pool)
                .await?
        }))
    }

    pub async fn walkin_ticket(&self, ticket_id: i64) -> Result<Option<WalkinTicket>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM walkin_tickets WHERE id = $1");
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, WalkinTicket>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(ticket_id)
                .fetch_optional(pool)
                .await?
        }))
    }
}
