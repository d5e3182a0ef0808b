//! Documents the service issues: receipts (қолхат / расписка), reasoned refusals and admission
//! orders (бұйрық / приказ). Written once, in the transaction of the decision they record.

use chrono::{DateTime, Utc};

use crate::{Store, StoreError, Tx, with_pool, with_tx};

#[derive(Clone, Debug)]
pub struct NewIssuedDocument<'a> {
    pub kind: &'a str,
    pub number: &'a str,
    pub application_id: Option<i64>,
    pub school_id: i64,
    pub verify_code: &'a str,
    pub issued_by: i64,
    pub signed_document: &'a str,
    pub signature_cms: &'a str,
    pub pdf_key: &'a str,
    pub pdf_sha256: &'a str,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IssuedDocument {
    pub id: i64,
    pub kind: String,
    pub number: String,
    pub application_id: Option<i64>,
    pub school_id: i64,
    pub verify_code: String,
    pub issued_at: DateTime<Utc>,
    pub issued_by: i64,
    pub signed_document: String,
    pub signature_cms: String,
    pub pdf_key: String,
    pub pdf_sha256: String,
}

const COLUMNS: &str = "id, kind, number, application_id, school_id, verify_code, issued_at, issued_by, \
    signed_document, signature_cms, pdf_key, pdf_sha256";

pub(crate) async fn insert(
    tx: &mut Tx,
    d: &NewIssuedDocument<'_>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    Ok(with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO issued_documents (kind, number, application_id, school_id, verify_code, issued_at, \
             issued_by, signed_document, signature_cms, pdf_key, pdf_sha256) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(d.kind)
        .bind(d.number)
        .bind(d.application_id)
        .bind(d.school_id)
        .bind(d.verify_code)
        .bind(now)
        .bind(d.issued_by)
        .bind(d.signed_document)
        .bind(d.signature_cms)
        .bind(d.pdf_key)
        .bind(d.pdf_sha256)
        .fetch_one(&mut *conn)
        .await?
    }))
}

impl Store {
    /// For the public verification page: the code is the only key, and it is unguessable.
    pub async fn issued_document_by_code(
        &self,
        code: &str,
    ) -> Result<Option<IssuedDocument>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM issued_documents WHERE verify_code = $1");
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, IssuedDocument>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(code)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn issued_documents_of(
        &self,
        application_id: i64,
    ) -> Result<Vec<IssuedDocument>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM issued_documents WHERE application_id = $1 ORDER BY id");
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, IssuedDocument>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(application_id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// A school's documents of one kind, newest first (its admission orders).
    pub async fn issued_documents_of_school(
        &self,
        school_id: i64,
        kind: &str,
    ) -> Result<Vec<IssuedDocument>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM issued_documents WHERE school_id = $1 AND kind = $2 ORDER BY id DESC"
        );
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, IssuedDocument>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(school_id)
                .bind(kind)
                .fetch_all(pool)
                .await?
        }))
    }

    pub async fn all_issued_documents(&self) -> Result<Vec<IssuedDocument>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM issued_documents ORDER BY id");
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, IssuedDocument>(sqlx::AssertSqlSafe(sql.as_str()))
                .fetch_all(pool)
                .await?
        }))
    }
}
