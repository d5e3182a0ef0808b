//! Server-side sessions. The cookie carries a random token; the database keeps only its hash,
//! so a leaked database dump opens no session.

use chrono::{DateTime, Duration, Utc};

use crate::applications::{
    ApplicationHistory, Scope, application_history_from, application_history_row,
};
use crate::people::{Person, StaffRole};
use crate::signed_in_cache::SignedIn;
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

/// The columns of who is signed in (session, person, staff roles), read by [`SIGNED_IN_FROM`].
const SIGNED_IN_COLUMNS: &str = "s.token_hash, s.person_id, s.csrf_secret, \
    s.created_at AS session_created_at, s.last_seen_at, s.expires_at, \
    p.iin, p.surname, p.given_name, p.patronymic, p.email, p.email_confirmed_at, \
    p.phone, p.phone_confirmed_at, p.language AS person_language, \
    p.created_at AS person_created_at, p.last_login_at, \
    r.id AS role_id, r.role, r.school_id AS role_school_id, \
    r.granted_by AS role_granted_by, r.granted_at AS role_granted_at";

/// A session with its person and their live staff roles (a row each, or one row with none).
const SIGNED_IN_FROM: &str = "sessions s JOIN people p ON p.id = s.person_id \
    LEFT JOIN staff_roles r ON r.iin = p.iin AND r.revoked_at IS NULL";

static SIGNED_IN_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {SIGNED_IN_COLUMNS} FROM {SIGNED_IN_FROM} WHERE s.token_hash = $1 ORDER BY r.id"
    )
});

/// How stale a session's last use may be before it is written again: a tenth of the idle time
/// (3 minutes of 30), at least a minute. A session may so end up to a tenth early; in exchange a
/// parent reloading the status page through the opening rush does not write on every reload
/// (with a minute, 20,000 parents polling after a three-minute rush wrote on most requests).
fn touch_interval(idle_ttl: Duration) -> Duration {
    (idle_ttl / 10).max(Duration::minutes(1))
}

/// Neither past its absolute end nor idle for `idle_ttl`, by its last use as written.
fn is_live(session: &SessionRecord, now: DateTime<Utc>, idle_ttl: Duration) -> bool {
    session.expires_at > now && session.last_seen_at + idle_ttl > now
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
    /// `idle_ttl`. `last_seen_at` is written at most every [`touch_interval`], so a parent
    /// polling the status page costs a read, not a write.
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
        let Some(mut s) = found else { return Ok(None) };
        Ok(self
            .keep_alive(&mut s, token, now, idle_ttl)
            .await?
            .then_some(s))
    }

    /// Whether a session found by its token is still live: one past its absolute end or idle for
    /// longer than `idle_ttl` is deleted; a live one has its last use written at most every
    /// [`touch_interval`].
    async fn keep_alive(
        &self,
        session: &mut SessionRecord,
        token: &str,
        now: DateTime<Utc>,
        idle_ttl: Duration,
    ) -> Result<bool, StoreError> {
        if !is_live(session, now, idle_ttl) {
            self.delete_session(token).await?;
            return Ok(false);
        }
        self.touch_if_stale(session, now, idle_ttl).await?;
        Ok(true)
    }

    /// Writes a session's last use if the one written is older than [`touch_interval`].
    async fn touch_if_stale(
        &self,
        session: &mut SessionRecord,
        now: DateTime<Utc>,
        idle_ttl: Duration,
    ) -> Result<(), StoreError> {
        if now - session.last_seen_at <= touch_interval(idle_ttl) {
            return Ok(());
        }
        with_pool!(&self.write, |pool| {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(&session.token_hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        session.last_seen_at = now;
        self.signed_in_cache.touched(&session.token_hash, now);
        Ok(())
    }

    /// The person signed in with this session token, with their staff roles, in ONE query: this
    /// runs on every request of a signed-in person, and each query costs a round trip to the
    /// database's thread or server (the rush's profile: three separate queries here were about a
    /// quarter of all queries). Expiry and the idle timeout are handled as in [`Store::session`].
    pub async fn signed_in(
        &self,
        token: &str,
        now: DateTime<Utc>,
        idle_ttl: Duration,
    ) -> Result<Option<(SessionRecord, Person, Vec<StaffRole>)>, StoreError> {
        let hash = sha256_hex(token.as_bytes());
        if let Some(known) = self.remembered(&hash, now, idle_ttl).await? {
            return Ok(Some((known.session, known.person, known.roles)));
        }
        let mark = self.signed_in_cache.mark();
        let Some(mut found) = self.load_signed_in(&hash).await? else {
            return Ok(None);
        };
        if !self
            .keep_alive(&mut found.session, token, now, idle_ttl)
            .await?
        {
            return Ok(None);
        }
        self.signed_in_cache.remember(mark, found.clone());
        Ok(Some((found.session, found.person, found.roles)))
    }

    /// [`Store::signed_in`], and the person's own application `id` with its documents and history
    /// (as [`Store::application_with_history`] in the parent's scope), in one query when who is
    /// signed in is not remembered. The status page a parent polls needs both, and after the rush
    /// its polls come too seldom for the remembered answer: two queries made each poll's cost
    /// on PostgreSQL (bench/README.md, "Eleventh round").
    pub async fn signed_in_with_application(
        &self,
        token: &str,
        now: DateTime<Utc>,
        idle_ttl: Duration,
        id: i64,
    ) -> Result<
        (
            Option<(SessionRecord, Person, Vec<StaffRole>)>,
            Option<ApplicationHistory>,
        ),
        StoreError,
    > {
        let hash = sha256_hex(token.as_bytes());
        if let Some(known) = self.remembered(&hash, now, idle_ttl).await? {
            let application = self
                .application_with_history(id, Scope::Parent(known.person.id))
                .await?;
            return Ok((
                Some((known.session, known.person, known.roles)),
                application,
            ));
        }
        let mark = self.signed_in_cache.mark();
        let sql = format!(
            "SELECT {SIGNED_IN_COLUMNS}, {} FROM {SIGNED_IN_FROM} \
             LEFT JOIN applications a ON a.id = $2 AND a.parent_id = s.person_id \
             WHERE s.token_hash = $1 ORDER BY r.id",
            self.application_history_columns(true)
        );
        let (rows, application) = with_pool!(&self.read, |pool| {
            use sqlx::{FromRow, Row};
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(&hash)
                .bind(id)
                .fetch_all(pool)
                .await?;
            let signed_in = rows
                .iter()
                .map(SignedInRow::from_row)
                .collect::<Result<Vec<_>, _>>()?;
            // Every row carries the same application (one row per staff role); none if it is not
            // this person's.
            let application = match rows.first() {
                Some(row) if row.try_get::<Option<i64>, _>("id")?.is_some() => {
                    Some(application_history_row(row)?)
                }
                _ => None,
            };
            (signed_in, application)
        });
        let Some(mut found) = signed_in_from(&rows) else {
            return Ok((None, None));
        };
        if !self
            .keep_alive(&mut found.session, token, now, idle_ttl)
            .await?
        {
            return Ok((None, None));
        }
        self.signed_in_cache.remember(mark, found.clone());
        let application = application
            .map(|(a, documents, events)| application_history_from(a, &documents, &events))
            .transpose()?;
        Ok((
            Some((found.session, found.person, found.roles)),
            application,
        ))
    }

    /// Who is signed in with a session's hash, as this process remembers them, if still live by
    /// what it knows (the last use written again when stale). Past its end or idle by what this
    /// process knows, the answer is forgotten and the database decides, as another instance may
    /// have seen the session in use since.
    async fn remembered(
        &self,
        hash: &str,
        now: DateTime<Utc>,
        idle_ttl: Duration,
    ) -> Result<Option<SignedIn>, StoreError> {
        let Some(mut known) = self.signed_in_cache.get(hash) else {
            return Ok(None);
        };
        if !is_live(&known.session, now, idle_ttl) {
            self.signed_in_cache.forget_session(hash);
            return Ok(None);
        }
        self.touch_if_stale(&mut known.session, now, idle_ttl)
            .await?;
        Ok(Some(known))
    }

    /// [`Store::signed_in`] from the database.
    async fn load_signed_in(&self, hash: &str) -> Result<Option<SignedIn>, StoreError> {
        let rows: Vec<SignedInRow> = with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, SignedInRow>(sqlx::AssertSqlSafe(SIGNED_IN_SQL.as_str()))
                .bind(hash)
                .fetch_all(pool)
                .await?
        });
        Ok(signed_in_from(&rows))
    }

    pub async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        let hash = sha256_hex(token.as_bytes());
        with_pool!(&self.write, |pool| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(&hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        self.signed_in_cache.forget_session(&hash);
        Ok(())
    }

    pub async fn purge_sessions(
        &self,
        now: DateTime<Utc>,
        idle_ttl: Duration,
    ) -> Result<u64, StoreError> {
        let purged = with_pool!(&self.write, |pool| {
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2")
                .bind(now)
                .bind(now - idle_ttl)
                .execute(pool)
                .await?
                .rows_affected()
        });
        self.signed_in_cache.forget_all();
        Ok(purged)
    }
}

/// Who is signed in, from the rows of [`SIGNED_IN_SQL`] (one per staff role, or one with none).
fn signed_in_from(rows: &[SignedInRow]) -> Option<SignedIn> {
    let first = rows.first()?;
    let session = SessionRecord {
        token_hash: first.token_hash.clone(),
        person_id: first.person_id,
        csrf_secret: first.csrf_secret.clone(),
        created_at: first.session_created_at,
        last_seen_at: first.last_seen_at,
        expires_at: first.expires_at,
    };
    let person = Person {
        id: first.person_id,
        iin: first.iin.clone(),
        surname: first.surname.clone(),
        given_name: first.given_name.clone(),
        patronymic: first.patronymic.clone(),
        email: first.email.clone(),
        email_confirmed_at: first.email_confirmed_at,
        phone: first.phone.clone(),
        phone_confirmed_at: first.phone_confirmed_at,
        language: first.person_language.clone(),
        created_at: first.person_created_at,
        last_login_at: first.last_login_at,
    };
    let roles = rows
        .iter()
        .filter_map(|r| {
            Some(StaffRole {
                id: r.role_id?,
                iin: first.iin.clone(),
                role: r.role.clone()?,
                school_id: r.role_school_id,
                granted_by: r.role_granted_by.clone()?,
                granted_at: r.role_granted_at?,
            })
        })
        .collect();
    Some(SignedIn {
        session,
        person,
        roles,
    })
}

/// One row of [`Store::signed_in`]: the session, its person, and one of their roles (or none).
#[derive(sqlx::FromRow)]
struct SignedInRow {
    token_hash: String,
    person_id: i64,
    csrf_secret: String,
    session_created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    iin: String,
    surname: String,
    given_name: String,
    patronymic: Option<String>,
    email: Option<String>,
    email_confirmed_at: Option<DateTime<Utc>>,
    phone: Option<String>,
    phone_confirmed_at: Option<DateTime<Utc>>,
    person_language: String,
    person_created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
    role_id: Option<i64>,
    role: Option<String>,
    role_school_id: Option<i64>,
    role_granted_by: Option<String>,
    role_granted_at: Option<DateTime<Utc>>,
}
