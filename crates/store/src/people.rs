//! People known to the service (parents and staff, identified by the IIN their certificate
//! carries), their confirmed contacts, and the staff roles granted to an IIN.

use chrono::{DateTime, Duration, Utc};

use crate::audit::{self, AuditEntry};
use crate::{
    Challenge, ChallengeRefusal, Deferred, Store, StoreError, Tx, sha256_hex, with_pool, with_tx,
};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    /// As the certification authority issued it (test certificates carry IINs that fail the
    /// check digit), so a plain string rather than `domain::Iin`.
    pub iin: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub email: Option<String>,
    pub email_confirmed_at: Option<DateTime<Utc>>,
    pub phone: Option<String>,
    pub phone_confirmed_at: Option<DateTime<Utc>>,
    pub language: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// Who a certificate names, as a sign-in records them.
pub struct Signer<'a> {
    pub iin: &'a str,
    pub surname: &'a str,
    pub given_name: &'a str,
    pub patronymic: Option<&'a str>,
    pub language: &'a str,
}

/// A session to open: the cookie's token (only its hash is kept) and how long it may live.
pub struct NewSession<'a> {
    pub token: &'a str,
    pub csrf_secret: &'a str,
    pub absolute_ttl: Duration,
    /// The signed challenge this sign-in answers: used up in the sign-in's own transaction, so
    /// that it is used exactly when a session was opened with it (and, on PostgreSQL, without a
    /// flush to disk of its own).
    pub answers: Option<&'a Challenge>,
}

const STAFF_ROLES_OF: &str = "SELECT id, iin, role, school_id, granted_by, granted_at FROM staff_roles \
                              WHERE iin = $1 AND revoked_at IS NULL ORDER BY id";

/// The person as the certificate names them, created on first sign-in.
async fn upsert_signer(
    tx: &mut Tx,
    signer: &Signer<'_>,
    now: DateTime<Utc>,
) -> Result<Person, StoreError> {
    let sql = format!(
        "INSERT INTO people (iin, surname, given_name, patronymic, language, created_at, last_login_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (iin) DO UPDATE SET surname = excluded.surname, given_name = excluded.given_name, \
         patronymic = excluded.patronymic, last_login_at = excluded.last_login_at \
         RETURNING {PERSON_COLUMNS}"
    );
    Ok(with_tx!(&mut *tx, |conn| {
        sqlx::query_as::<_, Person>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(signer.iin)
            .bind(signer.surname)
            .bind(signer.given_name)
            .bind(signer.patronymic)
            .bind(signer.language)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?
    }))
}

/// The sign-in's audit record: the last statement before the commit, so that the audit head's
/// row lock (taken in turn by every audited write on PostgreSQL) is held briefly.
async fn audit_sign_in(
    tx: &mut Tx,
    person: &Person,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let actor = format!("person:{}", person.id);
    audit::append(
        tx,
        &AuditEntry {
            actor: &actor,
            action: "sign_in",
            object: &actor,
            details: "",
            source,
        },
        now,
    )
    .await
}

impl Person {
    pub fn full_name(&self) -> String {
        match &self.patronymic {
            Some(p) if !p.is_empty() => format!("{} {} {}", self.surname, self.given_name, p),
            _ => format!("{} {}", self.surname, self.given_name),
        }
    }

    /// The first-login step: both contacts must be confirmed before applying.
    pub fn contacts_confirmed(&self) -> bool {
        self.email_confirmed_at.is_some() && self.phone_confirmed_at.is_some()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffRoleKind {
    Clerk,
    Director,
    Admin,
}

impl StaffRoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRoleKind::Clerk => "clerk",
            StaffRoleKind::Director => "director",
            StaffRoleKind::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "clerk" => Some(StaffRoleKind::Clerk),
            "director" => Some(StaffRoleKind::Director),
            "admin" => Some(StaffRoleKind::Admin),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StaffRole {
    pub id: i64,
    pub iin: String,
    pub role: String,
    pub school_id: Option<i64>,
    pub granted_by: String,
    pub granted_at: DateTime<Utc>,
}

impl StaffRole {
    pub fn kind(&self) -> Option<StaffRoleKind> {
        StaffRoleKind::parse(&self.role)
    }
}

const PERSON_COLUMNS: &str = "id, iin, surname, given_name, patronymic, email, email_confirmed_at, \
     phone, phone_confirmed_at, language, created_at, last_login_at";

impl Store {
    /// Records a sign-in by the person a verified certificate names: creates them at the first
    /// sign-in and keeps their names as the certificate now gives them.
    pub async fn person_signed_in(
        &self,
        iin: &str,
        surname: &str,
        given_name: &str,
        patronymic: Option<&str>,
        language: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Person, StoreError> {
        let signer = Signer {
            iin,
            surname,
            given_name,
            patronymic,
            language,
        };
        let mut tx = self.begin().await?;
        let person = upsert_signer(&mut tx, &signer, now).await?;
        audit_sign_in(&mut tx, &person, source, now).await?;
        tx.commit().await?;
        self.signed_in_cache.forget_person(person.id);
        Ok(person)
    }

    /// A sign-in as one transaction: the person as the certificate names them, the audit record,
    /// the session that replaces `replaces` (the browser's earlier one, if any), and the staff
    /// roles. Sign-in is the opening minute's busiest write; apart, these were four round trips
    /// to the database and two commits.
    pub async fn sign_in(
        &self,
        signer: &Signer<'_>,
        session: &NewSession<'_>,
        replaces: Option<&str>,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<(Person, Vec<StaffRole>), ChallengeRefusal>, StoreError> {
        let mut tx = self.begin_draft().await?;
        if let Some(challenge) = session.answers
            && let Err(refused) = crate::challenges::record_use(&mut tx, challenge, now).await?
        {
            return Ok(Err(refused));
        }
        let person = upsert_signer(&mut tx, signer, now).await?;
        // Neither result is read: both go out with the roles' query (see `Deferred`).
        if let Some(old) = replaces {
            with_tx!(&mut tx, |conn| {
                conn.execute_deferred(
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                        .bind(sha256_hex(old.as_bytes())),
                )
                .await?
            });
        }
        with_tx!(&mut tx, |conn| {
            conn.execute_deferred(
                sqlx::query(
                    "INSERT INTO sessions (token_hash, person_id, csrf_secret, created_at, last_seen_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $4, $5)",
                )
                .bind(sha256_hex(session.token.as_bytes()))
                .bind(person.id)
                .bind(session.csrf_secret)
                .bind(now)
                .bind(now + session.absolute_ttl),
            )
            .await?
        });
        let roles: Vec<StaffRole> = with_tx!(&mut tx, |conn| {
            sqlx::query_as::<_, StaffRole>(STAFF_ROLES_OF)
                .bind(&person.iin)
                .fetch_all(&mut *conn)
                .await?
        });
        audit_sign_in(&mut tx, &person, source, now).await?;
        tx.commit().await?;
        // The sessions remembered for this person carry the names as they were. The new one is
        // not put in here: its roles were read inside the transaction, and a role granted
        // meanwhile would not be seen; its first request reads it like any other.
        self.signed_in_cache.forget_person(person.id);
        if let Some(old) = replaces {
            self.signed_in_cache
                .forget_session(&sha256_hex(old.as_bytes()));
        }
        Ok(Ok((person, roles)))
    }

    pub async fn person(&self, id: i64) -> Result<Person, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE id = $1");
        with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, Person>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id)
                .fetch_optional(pool)
                .await?
        })
        .ok_or(StoreError::NotFound)
    }

    pub async fn person_by_iin(&self, iin: &str) -> Result<Option<Person>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE iin = $1");
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, Person>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(iin)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn set_person_language(&self, id: i64, language: &str) -> Result<(), StoreError> {
        with_pool!(&self.write, |pool| {
            sqlx::query("UPDATE people SET language = $1 WHERE id = $2")
                .bind(language)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        self.signed_in_cache.forget_person(id);
        Ok(())
    }

    /// Starts confirming an e-mail or phone: the previous pending confirmation of that channel
    /// is replaced, so only the newest link or code works. The link or code goes out in
    /// `notifications`, written in the same transaction.
    pub async fn start_contact_confirmation(
        &self,
        person_id: i64,
        channel: &str,
        address: &str,
        secret_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        notifications: &[crate::outbox::OutboxMessage],
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let id: i64 = with_tx!(&mut tx, |conn| {
            sqlx::query(
                "DELETE FROM contact_confirmations WHERE person_id = $1 AND channel = $2 AND confirmed_at IS NULL",
            )
            .bind(person_id)
            .bind(channel)
            .execute(&mut *conn)
            .await?.rows_affected();
            sqlx::query_scalar(
                "INSERT INTO contact_confirmations (person_id, channel, address, secret_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(person_id)
            .bind(channel)
            .bind(address)
            .bind(secret_hash)
            .bind(now)
            .bind(expires_at)
            .fetch_one(&mut *conn)
            .await?
        });
        for msg in notifications {
            crate::outbox::enqueue_deferred(&mut tx, msg, now).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The address waiting for confirmation on a channel, if any.
    pub async fn pending_contact(
        &self,
        person_id: i64,
        channel: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_scalar(
                "SELECT address FROM contact_confirmations \
                 WHERE person_id = $1 AND channel = $2 AND confirmed_at IS NULL AND expires_at > $3 \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(person_id)
            .bind(channel)
            .bind(now)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Checks a confirmation secret. At most `max_attempts` tries per confirmation, so a
    /// six-digit SMS code cannot be guessed. On success the contact becomes the person's.
    pub async fn confirm_contact(
        &self,
        person_id: i64,
        channel: &str,
        secret_hash: &str,
        max_attempts: i64,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<ContactConfirmation, StoreError> {
        let mut tx = self.begin().await?;
        let pending: Option<(i64, String, String, i64)> = with_tx!(&mut tx, |conn| {
            sqlx::query_as(
                "SELECT id, address, secret_hash, attempts FROM contact_confirmations \
                 WHERE person_id = $1 AND channel = $2 AND confirmed_at IS NULL AND expires_at > $3 \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(person_id)
            .bind(channel)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some((id, address, expected, attempts)) = pending else {
            return Ok(ContactConfirmation::NothingPending);
        };
        if attempts >= max_attempts {
            return Ok(ContactConfirmation::TooManyAttempts);
        }
        if !constant_time_eq(expected.as_bytes(), secret_hash.as_bytes()) {
            with_tx!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE contact_confirmations SET attempts = attempts + 1 WHERE id = $1",
                )
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
            });
            tx.commit().await?;
            return Ok(ContactConfirmation::Wrong);
        }
        let column = if channel == "email" { "email" } else { "phone" };
        let sql =
            format!("UPDATE people SET {column} = $1, {column}_confirmed_at = $2 WHERE id = $3");
        with_tx!(&mut tx, |conn| {
            sqlx::query("UPDATE contact_confirmations SET confirmed_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(&address)
                .bind(now)
                .bind(person_id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        let actor = format!("person:{person_id}");
        let action = format!("confirm_{channel}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor: &actor,
                action: &action,
                object: &actor,
                details: "",
                source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        self.signed_in_cache.forget_person(person_id);
        Ok(ContactConfirmation::Confirmed)
    }

    /// Roles in force for an IIN (revoked ones excluded).
    pub async fn staff_roles(&self, iin: &str) -> Result<Vec<StaffRole>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, StaffRole>(STAFF_ROLES_OF)
                .bind(iin)
                .fetch_all(pool)
                .await?
        }))
    }

    pub async fn grant_staff_role(
        &self,
        iin: &str,
        role: StaffRoleKind,
        school_id: Option<i64>,
        granted_by: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let id: i64 = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO staff_roles (iin, role, school_id, granted_by, granted_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(iin)
            .bind(role.as_str())
            .bind(school_id)
            .bind(granted_by)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?
        });
        let object = format!("staff_role:{id}");
        let details = format!(
            "role={} school={}",
            role.as_str(),
            school_id.map(|s| s.to_string()).unwrap_or_default()
        );
        audit::append(
            &mut tx,
            &AuditEntry {
                actor: granted_by,
                action: "grant_role",
                object: &object,
                details: &details,
                source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        // Roles are rare changes and known by IIN, not by person: everyone is asked again.
        self.signed_in_cache.forget_all();
        Ok(id)
    }
}

impl Store {
    /// A parent who handed in a paper application: known by IIN, with the contacts they gave
    /// the clerk in person (recorded as confirmed, since the clerk saw their identity document).
    /// An existing person keeps their names and gets the contacts only if they had none.
    #[allow(clippy::too_many_arguments)]
    pub async fn walk_in_parent(
        &self,
        iin: &str,
        surname: &str,
        given_name: &str,
        patronymic: Option<&str>,
        phone: Option<&str>,
        email: Option<&str>,
        language: &str,
        now: DateTime<Utc>,
    ) -> Result<Person, StoreError> {
        let sql = format!(
            "INSERT INTO people (iin, surname, given_name, patronymic, phone, phone_confirmed_at, email, email_confirmed_at, language, created_at) \
             VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 IS NULL THEN NULL ELSE $9 END, $6, CASE WHEN $6 IS NULL THEN NULL ELSE $9 END, $7, $8) \
             ON CONFLICT (iin) DO UPDATE SET \
             phone = COALESCE(people.phone, excluded.phone), phone_confirmed_at = COALESCE(people.phone_confirmed_at, excluded.phone_confirmed_at), \
             email = COALESCE(people.email, excluded.email), email_confirmed_at = COALESCE(people.email_confirmed_at, excluded.email_confirmed_at) \
             RETURNING {PERSON_COLUMNS}"
        );
        let person = with_pool!(&self.write, |pool| {
            sqlx::query_as::<_, Person>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(iin)
                .bind(surname)
                .bind(given_name)
                .bind(patronymic)
                .bind(phone)
                .bind(email)
                .bind(language)
                .bind(now)
                .bind(now)
                .fetch_one(pool)
                .await?
        });
        self.signed_in_cache.forget_person(person.id);
        Ok(person)
    }

    /// Every role in force, for the administrator's list.
    pub async fn all_staff_roles(&self) -> Result<Vec<StaffRole>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, StaffRole>(
                "SELECT id, iin, role, school_id, granted_by, granted_at FROM staff_roles \
                 WHERE revoked_at IS NULL ORDER BY school_id, role, iin",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Ends a role; the person's next request already runs without it.
    pub async fn revoke_staff_role(
        &self,
        id: i64,
        actor: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let n = with_tx!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE staff_roles SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let object = format!("staff_role:{id}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor,
                action: "revoke_role",
                object: &object,
                details: "",
                source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        self.signed_in_cache.forget_all();
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactConfirmation {
    Confirmed,
    Wrong,
    TooManyAttempts,
    NothingPending,
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
