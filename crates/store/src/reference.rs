//! The city's reference data: schools, their places, streets, service territories, campaigns
//! and the working calendar's decree days.

use chrono::{DateTime, NaiveDate, Utc};

use crate::audit::{self, AuditEntry};
use crate::{Store, StoreError, with_pool, with_tx};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct School {
    pub id: i64,
    pub bin: String,
    pub name_kk: String,
    pub name_ru: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub design_capacity: i64,
}

impl School {
    /// The name in the reader's language; Kazakh for English readers too, as official names
    /// of schools are not translated.
    pub fn name(&self, lang: &str) -> &str {
        if lang == "ru" {
            &self.name_ru
        } else {
            &self.name_kk
        }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SchoolPlaces {
    pub school_id: i64,
    pub language: String,
    pub places: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Street {
    pub id: i64,
    pub name_kk: String,
    pub name_ru: String,
}

impl Street {
    pub fn name(&self, lang: &str) -> &str {
        if lang == "ru" {
            &self.name_ru
        } else {
            &self.name_kk
        }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TerritoryRange {
    pub id: i64,
    pub school_id: i64,
    pub street_id: i64,
    pub house_from: i64,
    pub house_to: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CampaignRecord {
    pub id: i64,
    pub academic_year: String,
    /// `domain::Campaign` as JSON.
    pub rules: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A school as it is created, with its places per language.
#[derive(Clone, Debug)]
pub struct NewSchool<'a> {
    pub bin: &'a str,
    pub name_kk: &'a str,
    pub name_ru: &'a str,
    pub address: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub design_capacity: i64,
    pub places: &'a [(&'a str, i64)],
}

/// A row of an import of schools, already parsed and checked.
#[derive(Clone, Debug)]
pub struct SchoolImport {
    pub bin: String,
    pub name_kk: String,
    pub name_ru: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub places: Vec<(String, i64)>,
}

/// A row of an import of service territories.
#[derive(Clone, Debug)]
pub struct TerritoryImport {
    pub school_bin: String,
    pub street_kk: String,
    pub street_ru: String,
    pub house_from: i64,
    pub house_to: i64,
}

const SCHOOL_COLUMNS: &str = "id, bin, name_kk, name_ru, address, phone, email, design_capacity";

impl Store {
    pub async fn create_school(
        &self,
        s: &NewSchool<'_>,
        actor: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let id: i64 = with_tx!(&mut tx, |conn| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO schools (bin, name_kk, name_ru, address, phone, email, design_capacity, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(s.bin)
            .bind(s.name_kk)
            .bind(s.name_ru)
            .bind(s.address)
            .bind(s.phone)
            .bind(s.email)
            .bind(s.design_capacity)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            for (language, places) in s.places {
                sqlx::query(
                    "INSERT INTO school_places (school_id, language, places) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(*language)
                .bind(*places)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            }
            id
        });
        let object = format!("school:{id}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor,
                action: "create_school",
                object: &object,
                details: s.bin,
                source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn schools(&self) -> Result<Vec<School>, StoreError> {
        let sql = format!("SELECT {SCHOOL_COLUMNS} FROM schools ORDER BY id");
        Ok(with_pool!(&self.read, |pool| sqlx::query_as::<_, School>(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .fetch_all(pool)
        .await?))
    }

    pub async fn school(&self, id: i64) -> Result<School, StoreError> {
        let sql = format!("SELECT {SCHOOL_COLUMNS} FROM schools WHERE id = $1");
        with_pool!(&self.read, |pool| sqlx::query_as::<_, School>(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(id)
        .fetch_optional(pool)
        .await?)
        .ok_or(StoreError::NotFound)
    }

    pub async fn school_places(&self, school_id: i64) -> Result<Vec<SchoolPlaces>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, SchoolPlaces>(
                "SELECT school_id, language, places FROM school_places WHERE school_id = $1 ORDER BY language",
            )
            .bind(school_id)
            .fetch_all(pool)
            .await?
        }))
    }

    pub async fn all_school_places(&self) -> Result<Vec<SchoolPlaces>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, SchoolPlaces>("SELECT school_id, language, places FROM school_places ORDER BY school_id, language")
                .fetch_all(pool)
                .await?
        }))
    }

    pub async fn create_street(&self, name_kk: &str, name_ru: &str) -> Result<i64, StoreError> {
        Ok(with_pool!(&self.write, |pool| {
            sqlx::query_scalar(
                "INSERT INTO streets (name_kk, name_ru) VALUES ($1, $2) RETURNING id",
            )
            .bind(name_kk)
            .bind(name_ru)
            .fetch_one(pool)
            .await?
        }))
    }

    pub async fn streets(&self) -> Result<Vec<Street>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, Street>("SELECT id, name_kk, name_ru FROM streets ORDER BY name_kk")
                .fetch_all(pool)
                .await?
        }))
    }

    pub async fn add_territory_range(
        &self,
        school_id: i64,
        street_id: i64,
        house_from: i64,
        house_to: i64,
    ) -> Result<i64, StoreError> {
        Ok(with_pool!(&self.write, |pool| {
            sqlx::query_scalar(
                "INSERT INTO territory_ranges (school_id, street_id, house_from, house_to) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(school_id)
            .bind(street_id)
            .bind(house_from)
            .bind(house_to)
            .fetch_one(pool)
            .await?
        }))
    }

    pub async fn territory_ranges(&self) -> Result<Vec<TerritoryRange>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, TerritoryRange>(
                "SELECT id, school_id, street_id, house_from, house_to FROM territory_ranges ORDER BY street_id, house_from",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    pub async fn create_campaign(
        &self,
        academic_year: &str,
        rules_json: &str,
        actor: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let id: i64 = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO campaigns (academic_year, rules, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
            )
            .bind(academic_year)
            .bind(rules_json)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?
        });
        let object = format!("campaign:{id}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor,
                action: "create_campaign",
                object: &object,
                details: academic_year,
                source,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_campaign_rules(
        &self,
        id: i64,
        rules_json: &str,
        actor: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let n = with_tx!(&mut tx, |conn| {
            sqlx::query("UPDATE campaigns SET rules = $1, updated_at = $2 WHERE id = $3")
                .bind(rules_json)
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let object = format!("campaign:{id}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor,
                action: "update_campaign",
                object: &object,
                details: rules_json,
                source,
            },
            now,
        )
        .await?;
        tx.commit().await
    }

    pub async fn campaigns(&self) -> Result<Vec<CampaignRecord>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, CampaignRecord>(
                "SELECT id, academic_year, rules, created_at, updated_at FROM campaigns ORDER BY academic_year DESC",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    pub async fn campaign(&self, id: i64) -> Result<CampaignRecord, StoreError> {
        with_pool!(&self.read, |pool| {
            sqlx::query_as::<_, CampaignRecord>(
                "SELECT id, academic_year, rules, created_at, updated_at FROM campaigns WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        })
        .ok_or(StoreError::NotFound)
    }

    /// Decree days and Kurban Ait dates, as (day, kind, note).
    pub async fn calendar_days(&self) -> Result<Vec<(NaiveDate, String, String)>, StoreError> {
        Ok(with_pool!(&self.read, |pool| {
            sqlx::query_as("SELECT day, kind, note FROM calendar_days ORDER BY day")
                .fetch_all(pool)
                .await?
        }))
    }

    pub async fn set_calendar_day(
        &self,
        day: NaiveDate,
        kind: Option<&str>,
        note: &str,
        actor: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        with_tx!(&mut tx, |conn| {
            sqlx::query("DELETE FROM calendar_days WHERE day = $1")
                .bind(day)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if let Some(kind) = kind {
                sqlx::query("INSERT INTO calendar_days (day, kind, note) VALUES ($1, $2, $3)")
                    .bind(day)
                    .bind(kind)
                    .bind(note)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            }
        });
        let object = format!("calendar:{day}");
        audit::append(
            &mut tx,
            &AuditEntry {
                actor,
                action: "set_calendar_day",
                object: &object,
                details: kind.unwrap_or("none"),
                source,
            },
            now,
        )
        .await?;
        tx.commit().await
    }

    /// Creates or updates schools by BIN, with their places, all in one transaction: an
    /// import applies whole or not at all.
    pub async fn import_schools(
        &self,
        rows: &[SchoolImport],
        actor: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        for r in rows {
            let id: i64 = with_tx!(&mut tx, |conn| {
                sqlx::query_scalar(
                    "INSERT INTO schools (bin, name_kk, name_ru, address, phone, email, design_capacity, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 0, $7) \
                     ON CONFLICT (bin) DO UPDATE SET name_kk = excluded.name_kk, name_ru = excluded.name_ru, \
                     address = excluded.address, phone = excluded.phone, email = excluded.email RETURNING id",
                )
                .bind(&r.bin)
                .bind(&r.name_kk)
                .bind(&r.name_ru)
                .bind(&r.address)
                .bind(&r.phone)
                .bind(&r.email)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?
            });
            with_tx!(&mut tx, |conn| {
                sqlx::query("DELETE FROM school_places WHERE school_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                for (language, places) in &r.places {
                    sqlx::query("INSERT INTO school_places (school_id, language, places) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(language)
                        .bind(*places)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                }
            });
            let object = format!("school:{id}");
            audit::append(
                &mut tx,
                &AuditEntry {
                    actor,
                    action: "import_school",
                    object: &object,
                    details: &r.bin,
                    source,
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Adds service-territory ranges (streets created as needed), all in one transaction.
    /// `Conflict("unknown_school")` if a BIN names no school.
    pub async fn import_territories(
        &self,
        rows: &[TerritoryImport],
        actor: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        for r in rows {
            let school: Option<i64> = with_tx!(&mut tx, |conn| {
                sqlx::query_scalar("SELECT id FROM schools WHERE bin = $1")
                    .bind(&r.school_bin)
                    .fetch_optional(&mut *conn)
                    .await?
            });
            let Some(school) = school else {
                return Err(StoreError::Conflict("unknown_school"));
            };
            let street: Option<i64> = with_tx!(&mut tx, |conn| {
                sqlx::query_scalar("SELECT id FROM streets WHERE name_kk = $1")
                    .bind(&r.street_kk)
                    .fetch_optional(&mut *conn)
                    .await?
            });
            let street = match street {
                Some(id) => id,
                None => with_tx!(&mut tx, |conn| {
                    sqlx::query_scalar(
                        "INSERT INTO streets (name_kk, name_ru) VALUES ($1, $2) RETURNING id",
                    )
                    .bind(&r.street_kk)
                    .bind(&r.street_ru)
                    .fetch_one(&mut *conn)
                    .await?
                }),
            };
            let id: i64 = with_tx!(&mut tx, |conn| {
                sqlx::query_scalar("INSERT INTO territory_ranges (school_id, street_id, house_from, house_to) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(school)
                    .bind(street)
                    .bind(r.house_from)
                    .bind(r.house_to)
                    .fetch_one(&mut *conn)
                    .await?
            });
            let object = format!("territory_range:{id}");
            let details = format!(
                "{} {} {}-{}",
                r.school_bin, r.street_kk, r.house_from, r.house_to
            );
            audit::append(
                &mut tx,
                &AuditEntry {
                    actor,
                    action: "import_territory",
                    object: &object,
                    details: &details,
                    source,
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }
}
