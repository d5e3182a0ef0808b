//! Applications (өтініш / заявление), their documents and their timeline.
//!
//! Statuses are stored as the `domain::ApplicationStatus` codes; which transitions are allowed is
//! the domain's decision. This module guarantees the storage half: a transition happens only
//! from the state the caller saw (so two clerks or a double click cannot both act), the
//! timeline event and the audit record commit with it, and a submission is idempotent by key.

use chrono::{DateTime, NaiveDate, Utc};

use crate::audit::{self, AuditEntry};
use crate::{Deferred, PoolHandle, Store, StoreError, StoredBlob, with_pool, with_tx};

/// An application as pages and decisions read it. The document the parent signed and its CMS are
/// kept in the same row as evidence but not read with it: they are kilobytes each (the CMS carries
/// the certificate chain) and no page shows them, while every page of the parent's path and the
/// school's queue reads the application (four times per status page through the documents' join).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApplicationRecord {
    pub id: i64,
    pub number: Option<String>,
    pub campaign_id: i64,
    pub parent_id: i64,
    pub channel: String,
    pub status: String,
    pub child_iin: String,
    pub child_surname: String,
    pub child_given_name: String,
    pub child_patronymic: Option<String>,
    pub child_birth_date: NaiveDate,
    pub citizenship: String,
    pub relation: String,
    pub born_abroad: bool,
    pub special_needs: bool,
    pub street_id: Option<i64>,
    pub house: Option<i64>,
    pub flat: String,
    pub school_id: Option<i64>,
    pub in_territory: bool,
    pub language: Option<String>,
    pub grade: i64,
    pub study_form: String,
    pub age_confirmed: bool,
    pub consent_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub received_on: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub decided_at: Option<DateTime<Utc>>,
    pub staff_comment: Option<String>,
    pub refusal_ground: Option<String>,
    pub submit_key: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApplicationRecord {
    pub fn child_full_name(&self) -> String {
        match &self.child_patronymic {
            Some(p) if !p.is_empty() => {
                format!("{} {} {}", self.child_surname, self.child_given_name, p)
            }
            _ => format!("{} {}", self.child_surname, self.child_given_name),
        }
    }
}

const APP_COLUMNS: &str = "id, number, campaign_id, parent_id, channel, status, child_iin, child_surname, \
    child_given_name, child_patronymic, child_birth_date, citizenship, relation, born_abroad, special_needs, \
    street_id, house, flat, school_id, in_territory, language, grade, study_form, age_confirmed, consent_at, \
    submitted_at, received_on, deadline, decided_at, staff_comment, refusal_ground, submit_key, \
    version, created_at, updated_at";

/// [`APP_COLUMNS`] of the table aliased `a`, named as they are in the table.
static APP_COLUMNS_OF_A: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    APP_COLUMNS
        .split(',')
        .map(|c| format!("a.{0} AS {0}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
});

/// The form's content, as parsed and checked by the web layer with the domain's rules.
#[derive(Clone, Debug)]
pub struct ApplicationForm {
    pub child_iin: String,
    pub child_surname: String,
    pub child_given_name: String,
    pub child_patronymic: Option<String>,
    pub child_birth_date: NaiveDate,
    pub citizenship: String,
    pub relation: String,
    pub born_abroad: bool,
    pub special_needs: bool,
    pub street_id: Option<i64>,
    pub house: Option<i64>,
    pub flat: String,
    pub school_id: Option<i64>,
    pub in_territory: bool,
    pub language: Option<String>,
    pub grade: i64,
    pub study_form: String,
    pub age_confirmed: bool,
    pub consent: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DocumentRecord {
    pub id: i64,
    pub application_id: i64,
    pub kind: String,
    pub storage_key: String,
    pub original_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// An application with its documents (by kind, then as attached) and its history (oldest first).
pub type ApplicationHistory = (
    ApplicationRecord,
    Vec<DocumentRecord>,
    Vec<ApplicationEvent>,
);

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ApplicationEvent {
    pub id: i64,
    pub application_id: i64,
    pub status: String,
    pub actor_id: Option<i64>,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

/// Who may see or act on an application: its parent, staff of its school, or an administrator.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    Parent(i64),
    School(i64),
    City,
}

/// What a status change writes besides the status.
#[derive(Clone, Debug)]
pub enum Effect<'a> {
    None,
    Submit {
        submit_key: &'a str,
        signed_document: &'a str,
        signature_cms: &'a str,
        received_on: NaiveDate,
        deadline: NaiveDate,
    },
    /// A decision of the school: comment for a return, grounds for a refusal.
    Decide {
        comment: Option<&'a str>,
        refusal_ground: Option<&'a str>,
    },
}

#[derive(Clone)]
pub struct Transition<'a> {
    pub application_id: i64,
    pub scope: Scope,
    /// The status the actor saw; the change happens only if it still holds.
    pub from: &'a str,
    pub to: &'a str,
    pub actor_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub source: &'a str,
    pub effect: Effect<'a>,
    /// Messages that tell of the change, made from the application's number (which a first
    /// submission assigns inside the transaction) and written to the outbox in the same
    /// transaction: a notification is never lost, nor sent for a change that did not commit.
    pub notifications: &'a (dyn Fn(Option<&str>) -> Vec<crate::outbox::OutboxMessage> + Sync),
    /// The document the change issues (a receipt, a refusal), stored with it.
    pub issues: Option<&'a crate::issued::NewIssuedDocument<'a>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransitionOutcome {
    Done {
        number: Option<String>,
    },
    /// The same submission was already registered (a double click, a retry after a lost
    /// answer): nothing new was written.
    AlreadyDone {
        number: Option<String>,
    },
    /// The application is no longer in the state the actor saw.
    StateChanged {
        now: String,
    },
}

fn scope_clause(scope: Scope) -> (&'static str, i64) {
    match scope {
        Scope::Parent(id) => ("parent_id = ", id),
        Scope::School(id) => ("school_id = ", id),
        Scope::City => ("0 = ", 0),
    }
}

impl Store {
    /// Creates a draft. A second active application for the same child in the campaign is
    /// refused with `Conflict("child_has_application")`.
    pub async fn create_application(
        &self,
        campaign_id: i64,
        parent_id: i64,
        channel: &str,
        form: &ApplicationForm,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_draft().await?;
        let consent_at = form.consent.then_some(now);
        let inserted: Result<i64, sqlx::Error> = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO applications (campaign_id, parent_id, channel, status, child_iin, child_surname, \
                 child_given_name, child_patronymic, child_birth_date, citizenship, relation, born_abroad, \
                 special_needs, street_id, house, flat, school_id, in_territory, language, grade, study_form, \
                 age_confirmed, consent_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                 $18, $19, $20, $21, $22, $23, $23) RETURNING id",
            )
            .bind(campaign_id)
            .bind(parent_id)
            .bind(channel)
            .bind(&form.child_iin)
            .bind(&form.child_surname)
            .bind(&form.child_given_name)
            .bind(&form.child_patronymic)
            .bind(form.child_birth_date)
            .bind(&form.citizenship)
            .bind(&form.relation)
            .bind(form.born_abroad)
            .bind(form.special_needs)
            .bind(form.street_id)
            .bind(form.house)
            .bind(&form.flat)
            .bind(form.school_id)
            .bind(form.in_territory)
            .bind(&form.language)
            .bind(form.grade)
            .bind(&form.study_form)
            .bind(form.age_confirmed)
            .bind(consent_at)
            .bind(now)
            .fetch_one(&mut *conn)
            .await
        });
        let id = match inserted {
            Ok(id) => id,
            Err(e) => {
                let e = StoreError::from(e);
                return Err(if e.is_unique_violation() {
                    StoreError::Conflict("child_has_application")
                } else {
                    e
                });
            }
        };
        insert_event(&mut tx, id, "draft", Some(parent_id), None, now).await?;
        let actor = format!("person:{parent_id}");
        let object = format!("application:{id}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor: &actor,
                action: "create_application",
                object: &object,
                details: channel,
                source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces the form of an application its parent may still edit (a draft, or one returned
    /// for correction).
    pub async fn update_application_form(
        &self,
        id: i64,
        parent_id: i64,
        form: &ApplicationForm,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let consent_at = form.consent.then_some(now);
        let updated: Result<u64, sqlx::Error> = with_tx!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE applications SET child_iin = $1, child_surname = $2, child_given_name = $3, \
                 child_patronymic = $4, child_birth_date = $5, citizenship = $6, relation = $7, born_abroad = $8, \
                 special_needs = $9, street_id = $10, house = $11, flat = $12, school_id = $13, in_territory = $14, \
                 language = $15, grade = $16, study_form = $17, age_confirmed = $18, consent_at = $19, \
                 updated_at = $20, version = version + 1 \
                 WHERE id = $21 AND parent_id = $22 AND status IN ('draft', 'returned')",
            )
            .bind(&form.child_iin)
            .bind(&form.child_surname)
            .bind(&form.child_given_name)
            .bind(&form.child_patronymic)
            .bind(form.child_birth_date)
            .bind(&form.citizenship)
            .bind(&form.relation)
            .bind(form.born_abroad)
            .bind(form.special_needs)
            .bind(form.street_id)
            .bind(form.house)
            .bind(&form.flat)
            .bind(form.school_id)
            .bind(form.in_territory)
            .bind(&form.language)
            .bind(form.grade)
            .bind(&form.study_form)
            .bind(form.age_confirmed)
            .bind(consent_at)
            .bind(now)
            .bind(id)
            .bind(parent_id)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
        });
        match updated {
            Ok(0) => return Err(StoreError::NotFound),
            Ok(_) => {}
            Err(e) => {
                let e = StoreError::from(e);
                return Err(if e.is_unique_violation() {
                    StoreError::Conflict("child_has_application")
                } else {
                    e
                });
            }
        }
        let actor = format!("person:{parent_id}");
        let object = format!("application:{id}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor: &actor,
                action: "update_application",
                object: &object,
                details: "",
                source,
            },
            now,
        )
        .await?;
        tx.commit().await
    }

    /// The application if the scope may see it; `None` both when it does not exist and when it
    /// belongs to someone else, so that an id reveals nothing.
    pub async fn application(
        &self,
        id: i64,
        scope: Scope,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        let (clause, value) = scope_clause(scope);
        let sql = format!("SELECT {APP_COLUMNS} FROM applications WHERE id = $1 AND {clause}$2");
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, ApplicationRecord>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id)
                .bind(value)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn applications_of_parent(
        &self,
        parent_id: i64,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        let sql =
            format!("SELECT {APP_COLUMNS} FROM applications WHERE parent_id = $1 ORDER BY id DESC");
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, ApplicationRecord>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(parent_id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The active application of a child in a campaign, whoever filed it (for "one application
    /// per child": the second parent is told where the first one is).
    pub async fn active_application_of_child(
        &self,
        campaign_id: i64,
        child_iin: &str,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM applications WHERE campaign_id = $1 AND child_iin = $2 \
             AND status NOT IN ('withdrawn', 'refused')"
        );
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, ApplicationRecord>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(campaign_id)
                .bind(child_iin)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// A school's applications that were submitted, most urgent first.
    pub async fn applications_of_school(
        &self,
        school_id: i64,
        statuses: &[&str],
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        // Status codes are fixed identifiers from the domain, never user text; still, refuse
        // anything that is not a plain word rather than trust the caller.
        if statuses
            .iter()
            .any(|s| !s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        {
            return Err(StoreError::Data("invalid status filter".into()));
        }
        let list = statuses
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM applications WHERE school_id = $1 AND status IN ({list}) \
             ORDER BY deadline, submitted_at"
        );
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, ApplicationRecord>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(school_id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Every application of a campaign that reached a school (for reports).
    pub async fn submitted_applications(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM applications WHERE campaign_id = $1 AND submitted_at IS NOT NULL ORDER BY submitted_at"
        );
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, ApplicationRecord>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(campaign_id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Moves the deadlines of applications awaiting a decision (after the working calendar
    /// changed); returns how many moved. Each change is audited.
    pub async fn move_deadlines(
        &self,
        changes: &[(i64, NaiveDate)],
        actor: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let mut moved = 0;
        for (id, deadline) in changes {
            let n = with_tx!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE applications SET deadline = $1, updated_at = $2 \
                     WHERE id = $3 AND status IN ('submitted', 'under_review') AND deadline <> $1",
                )
                .bind(*deadline)
                .bind(now)
                .bind(*id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
            });
            if n > 0 {
                moved += 1;
                let object = format!("application:{id}");
                let details = format!("deadline {deadline}");
                audit::append(
                    &mut tx,
                    &AuditEntry {
                        actor,
                        action: "move_deadline",
                        object: &object,
                        details: &details,
                        source,
                    },
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// A campaign's applications in one status (for reminders).
    pub async fn applications_in_status(
        &self,
        campaign_id: i64,
        status: &str,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM applications WHERE campaign_id = $1 AND status = $2 ORDER BY id"
        );
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, ApplicationRecord>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(campaign_id)
                .bind(status)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The application and its documents in one query: the parent's upload, review, submission
    /// and status page need both, and every statement costs a hand-off to the database's thread.
    pub async fn application_with_documents(
        &self,
        id: i64,
        scope: Scope,
    ) -> Result<Option<(ApplicationRecord, Vec<DocumentRecord>)>, StoreError> {
        Ok(self
            .read_application(id, scope, false)
            .await?
            .map(|(a, documents, _)| (a, documents)))
    }

    /// The application, its documents and its history (oldest first) in one query: the status
    /// page a parent polls. On PostgreSQL the history asked apart was a second round trip for
    /// every poll.
    pub async fn application_with_history(
        &self,
        id: i64,
        scope: Scope,
    ) -> Result<Option<ApplicationHistory>, StoreError> {
        self.read_application(id, scope, true).await
    }

    /// A subquery giving `columns` of each row of `from` as one JSON array of arrays (as text;
    /// `[]` for no rows), in the read database's dialect.
    fn json_rows_of(&self, columns: &str, from: &str) -> String {
        match &self.read {
            PoolHandle::Sqlite(_) => {
                format!("(SELECT json_group_array(json_array({columns})) FROM {from})")
            }
            PoolHandle::Postgres(_) => format!(
                "(SELECT coalesce(json_agg(json_build_array({columns}))::text, '[]') FROM {from})"
            ),
        }
    }

    /// The columns of an application `a` with its documents and (if `with_events`) its history
    /// as JSON arrays, read back with [`application_history_row`]. The status page reads them
    /// beside who is signed in ([`Store::signed_in_with_application`]).
    pub(crate) fn application_history_columns(&self, with_events: bool) -> String {
        // One row: the documents come as one JSON array beside the application's columns, not as
        // a row each with those columns repeated (decoding them again for every document was a
        // third of this read, the most frequent of the rush).
        let documents = self.json_rows_of(
            "d.id, d.kind, d.storage_key, d.original_name, d.content_type, d.size_bytes, d.sha256, d.created_at",
            "documents d WHERE d.application_id = a.id",
        );
        let events = if with_events {
            self.json_rows_of(
                "e.id, e.status, e.actor_id, e.comment, e.at",
                "application_events e WHERE e.application_id = a.id",
            )
        } else {
            "'[]'".to_owned()
        };
        format!(
            "{}, {documents} AS documents_json, {events} AS events_json",
            APP_COLUMNS_OF_A.as_str()
        )
    }

    async fn read_application(
        &self,
        id: i64,
        scope: Scope,
        with_events: bool,
    ) -> Result<Option<ApplicationHistory>, StoreError> {
        let (clause, value) = match scope {
            Scope::Parent(id) => ("a.parent_id = ", id),
            Scope::School(id) => ("a.school_id = ", id),
            Scope::City => ("0 = ", 0),
        };
        let sql = format!(
            "SELECT {} FROM applications a WHERE a.id = $1 AND {clause}$2",
            self.application_history_columns(with_events)
        );
        let row = with_pool!(&self.read, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id)
                .bind(value)
                .fetch_optional(pool)
                .await?
                .map(|row| application_history_row(&row))
                .transpose()?
        });
        row.map(|(application, documents_json, events_json)| {
            application_history_from(application, &documents_json, &events_json)
        })
        .transpose()
    }

    pub async fn documents(&self, application_id: i64) -> Result<Vec<DocumentRecord>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, DocumentRecord>(
                "SELECT id, application_id, kind, storage_key, original_name, content_type, size_bytes, sha256, created_at \
                 FROM documents WHERE application_id = $1 ORDER BY kind, id",
            )
            .bind(application_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Every document row, for consistency checks (`mektep fsck`).
    pub async fn all_documents(&self) -> Result<Vec<DocumentRecord>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, DocumentRecord>(
                "SELECT id, application_id, kind, storage_key, original_name, content_type, size_bytes, sha256, created_at \
                 FROM documents ORDER BY id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Attaches an already stored file to an application its parent may still edit.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_document(
        &self,
        application_id: i64,
        parent_id: i64,
        kind: &str,
        blob: &StoredBlob,
        original_name: &str,
        content_type: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let upload = DocumentUpload {
            kind,
            blob,
            original_name,
            content_type,
        };
        let ids = self
            .add_documents(application_id, parent_id, &[upload], source, now)
            .await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| StoreError::Data("no document was attached".into()))
    }

    /// Attaches several stored files at once (every file a parent chose on the application
    /// page), all or none, in one transaction: one check that the parent may still edit the
    /// application, one audit record naming every file, one commit.
    pub async fn add_documents(
        &self,
        application_id: i64,
        parent_id: i64,
        uploads: &[DocumentUpload<'_>],
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin_draft().await?;
        let editable: Option<i64> = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "UPDATE applications SET updated_at = $1, version = version + 1 \
                 WHERE id = $2 AND parent_id = $3 AND status IN ('draft', 'returned') RETURNING id",
            )
            .bind(now)
            .bind(application_id)
            .bind(parent_id)
            .fetch_optional(&mut *conn)
            .await?
        });
        if editable.is_none() {
            return Err(StoreError::NotFound);
        }
        let ids = insert_document_rows(&mut tx, application_id, uploads, now).await?;
        let mut details = String::from("add_document");
        for (upload, id) in uploads.iter().zip(&ids) {
            details.push_str(&format!(" {} document:{id}", upload.kind));
        }
        // One record names every file of the upload, written last: on PostgreSQL the audit
        // head's row lock, which orders every audited write, is then held for one statement
        // before the commit instead of from the first file on.
        audit::append(
            &mut tx,
            &AuditEntry {
                actor: &format!("person:{parent_id}"),
                action: "add_document",
                object: &format!("application:{application_id}"),
                details: &details,
                source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Detaches a document; returns its storage key so the caller can delete the file after
    /// the commit (a crash in between leaves an orphan file, never a dangling row).
    pub async fn remove_document(
        &self,
        application_id: i64,
        parent_id: i64,
        document_id: i64,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let mut tx = self.begin().await?;
        let key: Option<String> = with_tx!(&mut tx, |conn| {
            let editable: Option<i64> = sqlx::query_scalar(
                "UPDATE applications SET updated_at = $1, version = version + 1 \
                 WHERE id = $2 AND parent_id = $3 AND status IN ('draft', 'returned') RETURNING id",
            )
            .bind(now)
            .bind(application_id)
            .bind(parent_id)
            .fetch_optional(&mut *conn)
            .await?;
            match editable {
                None => None,
                Some(_) => sqlx::query_scalar("DELETE FROM documents WHERE id = $1 AND application_id = $2 RETURNING storage_key")
                    .bind(document_id)
                    .bind(application_id)
                    .fetch_optional(&mut *conn)
                    .await?,
            }
        });
        let Some(key) = key else {
            return Err(StoreError::NotFound);
        };
        let actor = format!("person:{parent_id}");
        let object = format!("application:{application_id}");
        let details = format!("document:{document_id}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor: &actor,
                action: "remove_document",
                object: &object,
                details: &details,
                source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Changes an application's status if it is still `from` and within the scope; writes the
    /// timeline event and the audit record in the same transaction.
    pub async fn transition_application(
        &self,
        t: &Transition<'_>,
        now: DateTime<Utc>,
    ) -> Result<TransitionOutcome, StoreError> {
        let (clause, scope_value) = scope_clause(t.scope);
        let mut tx = self.begin().await?;
        // The change is tried at once, from the state the caller saw; the row is read only when
        // it does not apply, to tell why. One round trip fewer in each submission and decision.
        let changed: Option<Option<String>> = with_tx!(&mut tx, |conn| {
            match &t.effect {
                Effect::None => {
                    let sql = format!(
                        "UPDATE applications SET status = $1, updated_at = $2, version = version + 1 \
                         WHERE id = $3 AND status = $4 AND {clause}$5 RETURNING number"
                    );
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
                        .bind(t.to)
                        .bind(now)
                        .bind(t.application_id)
                        .bind(t.from)
                        .bind(scope_value)
                        .fetch_optional(&mut *conn)
                        .await?
                }
                Effect::Submit {
                    submit_key,
                    signed_document,
                    signature_cms,
                    received_on,
                    deadline,
                } => {
                    // The number is the campaign's first year and the row id: unique, never
                    // reused, and kept when a returned application is submitted again.
                    let sql = format!(
                        "UPDATE applications SET status = $1, updated_at = $2, version = version + 1, \
                         submitted_at = $2, received_on = $3, deadline = $4, submit_key = $5, \
                         signed_document = $6, signature_cms = $7, staff_comment = NULL, \
                         number = COALESCE(number, COALESCE((SELECT substr(academic_year, 1, 4) \
                             FROM campaigns WHERE campaigns.id = applications.campaign_id), '0000') || $10) \
                         WHERE id = $8 AND status = $9 AND {clause}$11 RETURNING number"
                    );
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
                        .bind(t.to)
                        .bind(now)
                        .bind(received_on)
                        .bind(deadline)
                        .bind(*submit_key)
                        .bind(*signed_document)
                        .bind(*signature_cms)
                        .bind(t.application_id)
                        .bind(t.from)
                        .bind(format!("-{:06}", t.application_id))
                        .bind(scope_value)
                        .fetch_optional(&mut *conn)
                        .await?
                }
                Effect::Decide {
                    comment,
                    refusal_ground,
                } => {
                    let sql = format!(
                        "UPDATE applications SET status = $1, updated_at = $2, version = version + 1, \
                         decided_at = $2, staff_comment = $3, refusal_ground = $4 \
                         WHERE id = $5 AND status = $6 AND {clause}$7 RETURNING number"
                    );
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
                        .bind(t.to)
                        .bind(now)
                        .bind(*comment)
                        .bind(*refusal_ground)
                        .bind(t.application_id)
                        .bind(t.from)
                        .bind(scope_value)
                        .fetch_optional(&mut *conn)
                        .await?
                }
            }
        });
        let Some(number) = changed else {
            return self.why_not_transitioned(&mut tx, t).await;
        };
        let comment = match &t.effect {
            Effect::Decide {
                comment,
                refusal_ground,
            } => comment.or(*refusal_ground),
            _ => None,
        };
        insert_event(&mut tx, t.application_id, t.to, t.actor_id, comment, now).await?;
        if let Some(doc) = t.issues {
            crate::issued::insert(&mut tx, doc, now).await?;
        }
        for msg in (t.notifications)(number.as_deref()) {
            crate::outbox::enqueue_deferred(&mut tx, &msg, now).await?;
        }
        // Last before the commit: the audit head's row lock, which every audited write takes
        // in turn on PostgreSQL, is held for as short a time as possible (bench/README.md).
        let object = format!("application:{}", t.application_id);
        let details = format!("{} -> {}", t.from, t.to);
        audit::append(
            &mut tx,
            &AuditEntry {
                actor: t.actor,
                action: t.action,
                object: &object,
                details: &details,
                source: t.source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(TransitionOutcome::Done { number })
    }

    /// Why a transition did not apply: the application is not there (for this scope), the same
    /// submission was registered already (a double click, a retry), or its state has changed.
    async fn why_not_transitioned(
        &self,
        tx: &mut crate::Tx,
        t: &Transition<'_>,
    ) -> Result<TransitionOutcome, StoreError> {
        let (clause, scope_value) = scope_clause(t.scope);
        let sql = format!(
            "SELECT status, number, submit_key FROM applications WHERE id = $1 AND {clause}$2"
        );
        let current: Option<(String, Option<String>, Option<String>)> = with_tx!(tx, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(t.application_id)
                .bind(scope_value)
                .fetch_optional(&mut *conn)
                .await?
        });
        let Some((status, number, submit_key)) = current else {
            return Err(StoreError::NotFound);
        };
        if let Effect::Submit {
            submit_key: key, ..
        } = &t.effect
            && status == t.to
            && submit_key.as_deref() == Some(*key)
        {
            return Ok(TransitionOutcome::AlreadyDone { number });
        }
        Ok(TransitionOutcome::StateChanged { now: status })
    }
}

/// For transitions nobody needs to be told of.
pub fn no_notifications(_number: Option<&str>) -> Vec<crate::outbox::OutboxMessage> {
    Vec::new()
}

async fn insert_event(
    tx: &mut crate::Tx,
    application_id: i64,
    status: &str,
    actor_id: Option<i64>,
    comment: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Nothing reads it back in the transaction: deferred (see `Deferred`).
    with_tx!(tx, |conn| {
        conn.execute_deferred(
            sqlx::query("INSERT INTO application_events (application_id, status, actor_id, comment, at) VALUES ($1, $2, $3, $4, $5)")
                .bind(application_id)
                .bind(status)
                .bind(actor_id)
                .bind(comment)
                .bind(at),
        )
        .await?
    });
    Ok(())
}

/// One child admitted by an order, with the messages that tell the parent.
#[derive(Clone, Debug)]
pub struct Admission {
    pub application_id: i64,
    pub notifications: Vec<crate::outbox::OutboxMessage>,
}

impl Store {
    /// Issues an admission order (бұйрық) and admits every listed application with it, all in
    /// one transaction: either the whole order stands or nothing changed. Every application must
    /// still be accepted and of `school_id`; otherwise `Conflict("order_changed")`.
    pub async fn issue_admission_order(
        &self,
        school_id: i64,
        order: &crate::issued::NewIssuedDocument<'_>,
        admissions: &[Admission],
        actor_id: i64,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let order_id = crate::issued::insert(&mut tx, order, now).await?;
        let actor = format!("person:{actor_id}");
        for admission in admissions {
            let id = admission.application_id;
            let changed = with_tx!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE applications SET status = 'admitted', updated_at = $1, version = version + 1 \
                     WHERE id = $2 AND school_id = $3 AND status = 'accepted'",
                )
                .bind(now)
                .bind(id)
                .bind(school_id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
            });
            if changed != 1 {
                return Err(StoreError::Conflict("order_changed"));
            }
            insert_event(
                &mut tx,
                id,
                "admitted",
                Some(actor_id),
                Some(order.number),
                now,
            )
            .await?;
            let object = format!("application:{id}");
            let details = format!("accepted -> admitted by order {}", order.number);
            audit::append(
                &mut tx,
                &AuditEntry {
                    actor: &actor,
                    action: "admit",
                    object: &object,
                    details: &details,
                    source,
                },
                now,
            )
            .await?;
            for msg in &admission.notifications {
                crate::outbox::enqueue_deferred(&mut tx, msg, now).await?;
            }
        }
        tx.commit().await?;
        Ok(order_id)
    }
}

/// What the clerk records of a paper application handed in at the office.
#[derive(Clone, Debug)]
pub struct PaperSubmission<'a> {
    pub campaign_id: i64,
    pub parent_id: i64,
    pub school_id: i64,
    pub clerk_id: i64,
    /// The form as the clerk typed it from paper, with "signed on paper" noted.
    pub signed_document: &'a str,
    pub received_on: NaiveDate,
    pub deadline: NaiveDate,
}

impl Store {
    /// Registers a paper application (the standard's paper channel): it is submitted the
    /// moment the clerk records it, numbered, and audited as the clerk's act.
    pub async fn create_paper_application(
        &self,
        p: &PaperSubmission<'_>,
        form: &ApplicationForm,
        notifications: &(dyn Fn(&str) -> Vec<crate::outbox::OutboxMessage> + Sync),
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(i64, String), StoreError> {
        let mut tx = self.begin().await?;
        let year: String = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT academic_year FROM campaigns WHERE id = $1")
                .bind(p.campaign_id)
                .fetch_one(&mut *conn)
                .await?
        });
        let inserted: Result<i64, sqlx::Error> = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO applications (campaign_id, parent_id, channel, status, child_iin, child_surname, \
                 child_given_name, child_patronymic, child_birth_date, citizenship, relation, born_abroad, \
                 special_needs, street_id, house, flat, school_id, in_territory, language, grade, study_form, \
                 age_confirmed, consent_at, submitted_at, received_on, deadline, signed_document, created_at, updated_at) \
                 VALUES ($1, $2, 'paper', 'submitted', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, $20, $21, $21, $22, $23, $24, $21, $21) RETURNING id",
            )
            .bind(p.campaign_id)
            .bind(p.parent_id)
            .bind(&form.child_iin)
            .bind(&form.child_surname)
            .bind(&form.child_given_name)
            .bind(&form.child_patronymic)
            .bind(form.child_birth_date)
            .bind(&form.citizenship)
            .bind(&form.relation)
            .bind(form.born_abroad)
            .bind(form.special_needs)
            .bind(form.street_id)
            .bind(form.house)
            .bind(&form.flat)
            .bind(p.school_id)
            .bind(form.in_territory)
            .bind(&form.language)
            .bind(form.grade)
            .bind(&form.study_form)
            .bind(form.age_confirmed)
            .bind(now)
            .bind(p.received_on)
            .bind(p.deadline)
            .bind(p.signed_document)
            .fetch_one(&mut *conn)
            .await
        });
        let id = match inserted {
            Ok(id) => id,
            Err(e) => {
                let e = StoreError::from(e);
                return Err(if e.is_unique_violation() {
                    StoreError::Conflict("child_has_application")
                } else {
                    e
                });
            }
        };
        let number = format!("{}-{:06}", year.get(..4).unwrap_or("0000"), id);
        with_tx!(&mut tx, |conn| {
            sqlx::query("UPDATE applications SET number = $1 WHERE id = $2")
                .bind(&number)
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        insert_event(
            &mut tx,
            id,
            "submitted",
            Some(p.clerk_id),
            Some("paper"),
            now,
        )
        .await?;
        let actor = format!("person:{}", p.clerk_id);
        let object = format!("application:{id}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor: &actor,
                action: "register_paper_application",
                object: &object,
                details: "paper",
                source,
            },
            now,
        )
        .await?;
        for msg in notifications(&number) {
            crate::outbox::enqueue_deferred(&mut tx, &msg, now).await?;
        }
        tx.commit().await?;
        Ok((id, number))
    }

    /// Attaches a scan to a paper application of the clerk's school that awaits its decision.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_paper_document(
        &self,
        application_id: i64,
        school_id: i64,
        clerk_id: i64,
        kind: &str,
        blob: &StoredBlob,
        original_name: &str,
        content_type: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let open: Option<i64> = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "UPDATE applications SET updated_at = $1, version = version + 1 WHERE id = $2 AND school_id = $3 \
                 AND channel = 'paper' AND status IN ('submitted', 'under_review') RETURNING id",
            )
            .bind(now)
            .bind(application_id)
            .bind(school_id)
            .fetch_optional(&mut *conn)
            .await?
        });
        if open.is_none() {
            return Err(StoreError::NotFound);
        }
        let file = DocumentUpload {
            kind,
            blob,
            original_name,
            content_type,
        };
        let id = insert_document(
            &mut tx,
            application_id,
            &file,
            clerk_id,
            "add_scan",
            source,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// A parent's stored file and what it is, to attach to their application.
pub struct DocumentUpload<'a> {
    pub kind: &'a str,
    pub blob: &'a StoredBlob,
    pub original_name: &'a str,
    pub content_type: &'a str,
}

/// The row of a stored file and its audit record (`how`: `add_document` by the parent,
/// `add_scan` by the clerk), in the transaction that checked the application may take it.
async fn insert_document(
    tx: &mut crate::Tx,
    application_id: i64,
    file: &DocumentUpload<'_>,
    actor_id: i64,
    how: &str,
    source: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let id = insert_document_rows(tx, application_id, std::slice::from_ref(file), now)
        .await?
        .pop()
        .ok_or_else(|| StoreError::Data("the document was not inserted".into()))?;
    let actor = format!("person:{actor_id}");
    let object = format!("application:{application_id}");
    let details = format!("{how} {} document:{id}", file.kind);
    audit::append(
        tx,
        &AuditEntry {
            actor: &actor,
            action: "add_document",
            object: &object,
            details: &details,
            source,
        },
        now,
    )
    .await?;
    Ok(id)
}

/// Inserts the rows of an upload's documents in one statement (one round trip to PostgreSQL
/// instead of one per file) and returns their ids in the uploads' order.
async fn insert_document_rows(
    tx: &mut crate::Tx,
    application_id: i64,
    uploads: &[DocumentUpload<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    if uploads.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = String::from(
        "INSERT INTO documents (application_id, kind, storage_key, original_name, content_type, size_bytes, sha256, created_at) VALUES ",
    );
    let rows: Vec<String> = (0..uploads.len())
        .map(|i| format!("({})", crate::parameters(i * 8 + 1, 8)))
        .collect();
    sql.push_str(&rows.join(", "));
    // The order of RETURNING's rows is not promised: each row is told by its storage key, which
    // is unique to the stored file.
    sql.push_str(" RETURNING id, storage_key");
    let rows: Vec<(i64, String)> = with_tx!(tx, |conn| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
        for upload in uploads {
            query = query
                .bind(application_id)
                .bind(upload.kind)
                .bind(&upload.blob.key)
                .bind(upload.original_name)
                .bind(upload.content_type)
                .bind(upload.blob.size as i64)
                .bind(&upload.blob.sha256)
                .bind(now);
        }
        query.fetch_all(&mut *conn).await?
    });
    uploads
        .iter()
        .map(|upload| {
            rows.iter()
                .find(|(_, key)| *key == upload.blob.key)
                .map(|(id, _)| *id)
                .ok_or_else(|| {
                    StoreError::Data(format!(
                        "document {} was not inserted with the others",
                        upload.blob.key
                    ))
                })
        })
        .collect()
}

/// The application and its documents' and history's JSON arrays, from a row read with
/// [`Store::application_history_columns`] (on either database).
pub(crate) fn application_history_row<'r, R>(
    row: &'r R,
) -> Result<(ApplicationRecord, String, String), sqlx::Error>
where
    R: sqlx::Row,
    ApplicationRecord: sqlx::FromRow<'r, R>,
    &'static str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok((
        <ApplicationRecord as sqlx::FromRow<'r, R>>::from_row(row)?,
        row.try_get("documents_json")?,
        row.try_get("events_json")?,
    ))
}

/// An application read with [`Store::application_history_columns`], its documents and history
/// decoded from their JSON arrays.
pub(crate) fn application_history_from(
    application: ApplicationRecord,
    json: &str,
    events_json: &str,
) -> Result<ApplicationHistory, StoreError> {
    let id = application.id;
    type EventFields = (i64, String, Option<i64>, Option<String>, String);
    let mut events = json_rows(events_json, "history", id, |f: EventFields| {
        Ok(ApplicationEvent {
            id: f.0,
            application_id: id,
            status: f.1,
            actor_id: f.2,
            comment: f.3,
            at: stored_time(&f.4, "event", f.0)?,
        })
    })?;
    events.sort_by_key(|e| e.id);
    type Fields = (i64, String, String, String, String, i64, String, String);
    let mut documents = json_rows(json, "documents", id, |f: Fields| {
        Ok(DocumentRecord {
            id: f.0,
            application_id: id,
            kind: f.1,
            storage_key: f.2,
            original_name: f.3,
            content_type: f.4,
            size_bytes: f.5,
            sha256: f.6,
            created_at: stored_time(&f.7, "document", f.0)?,
        })
    })?;
    documents.sort_by(|x, y| (&x.kind, x.id).cmp(&(&y.kind, y.id)));
    Ok((application, documents, events))
}

/// Rows an aggregate gave as a JSON array of arrays (`what` of application `id`), each made into
/// a record.
fn json_rows<F: serde::de::DeserializeOwned, T>(
    json: &str,
    what: &str,
    id: i64,
    make: impl Fn(F) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let fields: Vec<F> = serde_json::from_str(json)
        .map_err(|e| StoreError::Data(format!("{what} of application {id}: {e}")))?;
    fields.into_iter().map(make).collect()
}

/// [`parse_stored_time`] for a row's time, with the row named in the error.
fn stored_time(at: &str, what: &str, id: i64) -> Result<DateTime<Utc>, StoreError> {
    parse_stored_time(at)
        .ok_or_else(|| StoreError::Data(format!("{what} {id}: time {at:?} not understood")))
}

/// A time as the databases write it into JSON: RFC 3339 (PostgreSQL's `timestamptz`, and what
/// sqlx stores in SQLite), or SQLite's own `YYYY-MM-DD HH:MM:SS[.f]` in UTC.
fn parse_stored_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod time_tests {
    use super::parse_stored_time;
    use chrono::{TimeZone, Utc};

    #[test]
    fn stored_times_are_read_in_every_form_the_databases_write() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 16, 7, 3).unwrap()
            + chrono::Duration::nanoseconds(123_456_000);
        for text in [
            "2026-11-30T16:07:03.123456+00:00",
            "2026-11-30T21:07:03.123456+05:00",
            "2026-11-30 16:07:03.123456+00:00",
            "2026-11-30 16:07:03.123456",
        ] {
            assert_eq!(parse_stored_time(text), Some(at), "{text}");
        }
        assert_eq!(parse_stored_time("30.11.2026"), None);
    }
}
