//! The admission order (бұйрық / приказ): the director distributes the accepted children into
//! classes (1 «А», 1 «Б», … per language, at most the campaign's class size, balanced), may move
//! children between classes, signs the order with EDS and publishes it. Every child in it is
//! admitted and every parent told, in one transaction with the order. Exports to XLSX and CSV.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::Utc;
use domain::allocation::distribute_into_classes;
use domain::application::{Grade, Language};
use notify::NotificationEvent;
use pki::Purpose;
use serde::Deserialize;
use store::applications::{Admission, ApplicationRecord};
use store::issued::NewIssuedDocument;

use crate::ctx::{Ctx, User};
use crate::error::{AppError, AppResult};
use crate::notices;
use crate::pages::render;
use crate::routes::school::{DocsTr, docs_name, language_label};
use crate::service::{campaign_by_id, local_time};
use crate::state::AppState;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The director of the school this person works for.
fn director(ctx: &Ctx) -> AppResult<(&User, i64)> {
    let user = ctx.require_user()?;
    let school = user
        .staff_school()
        .filter(|s| user.is_director_of(*s))
        .ok_or(AppError::NotFound)?;
    Ok((user, school))
}

/// A class of the order: name, language code, applications in it.
#[derive(Clone, Debug)]
struct PlannedClass {
    name: String,
    language: String,
    members: Vec<i64>,
}

/// The school's accepted applications, proposed into classes per grade and language.
fn propose(apps: &[ApplicationRecord], max: u32) -> Result<Vec<PlannedClass>, AppError> {
    let mut by_grade: BTreeMap<i64, BTreeMap<Language, Vec<i64>>> = BTreeMap::new();
    for a in apps {
        let language = a
            .language
            .as_deref()
            .and_then(|l| Language::parse(l).ok())
            .unwrap_or(Language::Kazakh);
        by_grade
            .entry(a.grade)
            .or_default()
            .entry(language)
            .or_default()
            .push(a.id);
    }
    let mut out = Vec::new();
    for (grade, children) in by_grade {
        let grade = u8::try_from(grade)
            .ok()
            .and_then(|g| Grade::try_from(g).ok())
            .unwrap_or(Grade::FIRST);
        let classes = distribute_into_classes(grade, children, max)
            .map_err(|e| AppError::internal("classes", format!("{e:?}")))?;
        out.extend(classes.into_iter().map(|c| PlannedClass {
            name: c.name,
            language: c.language.as_str().to_owned(),
            members: c.members,
        }));
    }
    Ok(out)
}

pub struct ChildRow {
    pub id: i64,
    pub name: String,
    pub number: String,
    pub in_territory: bool,
    pub class: String,
}

pub struct ClassView {
    pub name: String,
    pub language: String,
    pub children: Vec<ChildRow>,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage<'a> {
    ctx: &'a Ctx,
    classes: Vec<ClassView>,
    class_names: Vec<String>,
    max: u32,
    orders: Vec<(i64, String, String)>,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct OrderQuery {
    error: Option<String>,
    notice: Option<String>,
}

async fn accepted(state: &AppState, school: i64) -> AppResult<Vec<ApplicationRecord>> {
    let mut apps = state
        .store
        .applications_of_school(school, &["accepted"])
        .await?;
    apps.sort_by_key(|a| a.id);
    Ok(apps)
}

async fn class_size(state: &AppState, apps: &[ApplicationRecord]) -> AppResult<u32> {
    Ok(match apps.first() {
        Some(a) => campaign_by_id(state, a.campaign_id).await?.class_size_max,
        None => 25,
    })
}

fn views(ctx: &Ctx, apps: &[ApplicationRecord], classes: &[PlannedClass]) -> Vec<ClassView> {
    classes
        .iter()
        .map(|c| ClassView {
            name: c.name.clone(),
            language: language_label(ctx, Some(&c.language)),
            children: c
                .members
                .iter()
                .filter_map(|id| apps.iter().find(|a| a.id == *id))
                .map(|a| ChildRow {
                    id: a.id,
                    name: a.child_full_name(),
                    number: a.number.clone().unwrap_or_default(),
                    in_territory: a.in_territory,
                    class: c.name.clone(),
                })
                .collect(),
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<OrderQuery>,
) -> AppResult<Response> {
    let (_, school) = director(&ctx)?;
    let apps = accepted(&state, school).await?;
    let max = class_size(&state, &apps).await?;
    let classes = propose(&apps, max)?;
    let orders = state
        .store
        .issued_documents_of_school(school, "order")
        .await?
        .into_iter()
        .map(|d| {
            (
                d.id,
                d.number,
                local_time(d.issued_at).format("%d.%m.%Y").to_string(),
            )
        })
        .collect();
    let page = OrderPage {
        ctx: &ctx,
        class_names: classes.iter().map(|c| c.name.clone()).collect(),
        classes: views(&ctx, &apps, &classes),
        max,
        orders,
        error: q
            .error
            .filter(|k| k.starts_with("order-err-") || k.starts_with("pki-err-"))
            .map(|k| ctx.t(&k)),
        notice: q
            .notice
            .filter(|k| k.starts_with("order-"))
            .map(|k| ctx.t(&k)),
    };
    Ok(render(&ctx, &page))
}

/// The director's placement, read from `class_<application id> = <class name>` fields and
/// checked: every accepted child exactly once, only the proposed classes, none over the size.
fn placement(
    form: &[(String, String)],
    apps: &[ApplicationRecord],
    proposed: &[PlannedClass],
    max: u32,
) -> Result<Vec<PlannedClass>, &'static str> {
    let mut classes: Vec<PlannedClass> = proposed
        .iter()
        .map(|c| PlannedClass {
            members: Vec::new(),
            ..c.clone()
        })
        .collect();
    for a in apps {
        let key = format!("class_{}", a.id);
        let chosen = form
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .ok_or("order-err-changed")?;
        let class = classes
            .iter_mut()
            .find(|c| c.name == chosen)
            .ok_or("order-err-changed")?;
        if a.language.as_deref().unwrap_or("kk") != class.language {
            return Err("order-err-language");
        }
        class.members.push(a.id);
    }
    if classes.iter().any(|c| c.members.len() > max as usize) {
        return Err("order-err-size");
    }
    classes.retain(|c| !c.members.is_empty());
    Ok(classes)
}

fn order_document(
    school: i64,
    year: &str,
    director_iin: &str,
    classes: &[PlannedClass],
    apps: &[ApplicationRecord],
) -> String {
    let classes: Vec<serde_json::Value> = classes
        .iter()
        .map(|c| {
            let children: Vec<serde_json::Value> = c
                .members
                .iter()
                .filter_map(|id| apps.iter().find(|a| a.id == *id))
                .map(|a| serde_json::json!({ "application_id": a.id, "number": a.number, "iin": a.child_iin, "name": a.child_full_name() }))
                .collect();
            serde_json::json!({ "name": c.name, "language": c.language, "children": children })
        })
        .collect();
    serde_json::json!({
        "service": "mektep",
        "document": "admission_order",
        "school_id": school,
        "academic_year": year,
        "director_iin": director_iin,
        "classes": classes,
    })
    .to_string()
}

#[derive(Template)]
#[template(path = "order_sign.html")]
struct SignPage<'a> {
    ctx: &'a Ctx,
    fields: Vec<(String, String)>,
    classes: Vec<ClassView>,
    document_base64: String,
}

async fn prepared(
    state: &AppState,
    school: i64,
    director_iin: &str,
    form: &[(String, String)],
) -> AppResult<Result<(Vec<ApplicationRecord>, Vec<PlannedClass>, String, String), &'static str>> {
    let apps = accepted(state, school).await?;
    if apps.is_empty() {
        return Ok(Err("order-err-empty"));
    }
    let max = class_size(state, &apps).await?;
    let proposed = propose(&apps, max)?;
    let classes = match placement(form, &apps, &proposed, max) {
        Ok(c) => c,
        Err(key) => return Ok(Err(key)),
    };
    let year = state
        .store
        .campaign(apps[0].campaign_id)
        .await?
        .academic_year;
    let document = order_document(school, &year, director_iin, &classes, &apps);
    Ok(Ok((apps, classes, year, document)))
}

pub async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    ctx.check_csrf(csrf)?;
    let (user, school) = director(&ctx)?;
    let (apps, classes, _, document) = match prepared(&state, school, &user.person.iin, &form)
        .await?
    {
        Ok(p) => p,
        Err(key) => return Ok(Redirect::to(&format!("/school/order?error={key}")).into_response()),
    };
    let fields = form
        .into_iter()
        .filter(|(k, _)| k.starts_with("class_"))
        .collect();
    let page = SignPage {
        ctx: &ctx,
        fields,
        classes: views(&ctx, &apps, &classes),
        document_base64: B64.encode(document.as_bytes()),
    };
    Ok(render(&ctx, &page))
}

/// Verifies the director's signature over the order, renders it and admits every child in it.
pub async fn sign(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    ctx.check_csrf(&field("csrf"))?;
    let (user, school_id) = director(&ctx)?;
    let back = |key: &str| Ok(Redirect::to(&format!("/school/order?error={key}")).into_response());
    let (apps, classes, year, document) =
        match prepared(&state, school_id, &user.person.iin, &form).await? {
            Ok(p) => p,
            Err(key) => return back(key),
        };
    let cms = if !field("demo_sign").is_empty() && state.config.demo {
        crate::eds::demo_signature(&state, &user.person.iin, &document)?
    } else {
        field("cms")
    };
    let verified = match crate::eds::verify(
        &state,
        &cms,
        document.clone().into_bytes(),
        Purpose::Sign,
    )
    .await
    {
        Ok(v) => v,
        Err(r) => {
            tracing::info!(reason = %r.detail, "order signature refused");
            return back(r.message_key);
        }
    };
    if verified.signer.iin.as_deref() != Some(user.person.iin.as_str()) {
        return back("order-err-signed-by-other");
    }
    let school = state.store.school(school_id).await?;
    let now = Utc::now();
    let local = local_time(now);
    let sequence = state
        .store
        .issued_documents_of_school(school_id, "order")
        .await?
        .len()
        + 1;
    let number = format!(
        "O-{}-{}-{sequence}",
        year.get(..4).unwrap_or("0000"),
        school.id
    );
    let verify_code = store::random_token(10);
    let data = docs::AdmissionOrderData {
        number: number.clone(),
        date: local.date(),
        school: docs::School {
            name_kk: school.name_kk.clone(),
            name_ru: school.name_ru.clone(),
            bin: school.bin.clone(),
        },
        academic_year_start: year.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0),
        classes: classes
            .iter()
            .map(|c| docs::OrderClass {
                name: c.name.clone(),
                language: format!(
                    "{} / {}",
                    crate::i18n::translate(
                        crate::i18n::Lang::Kk,
                        &format!("language-{}", c.language),
                        &[]
                    ),
                    crate::i18n::translate(
                        crate::i18n::Lang::Ru,
                        &format!("language-{}", c.language),
                        &[]
                    )
                ),
                children: c
                    .members
                    .iter()
                    .filter_map(|id| apps.iter().find(|a| a.id == *id))
                    .map(|a| {
                        docs_name(
                            &a.child_surname,
                            &a.child_given_name,
                            a.child_patronymic.as_deref(),
                        )
                    })
                    .collect(),
            })
            .collect(),
        director: docs_name(
            &user.person.surname,
            &user.person.given_name,
            user.person.patronymic.as_deref(),
        ),
        signature: Some(docs::EdsSignature {
            signer: user.person.full_name(),
            certificate_serial: verified
                .chain
                .first()
                .map(|c| c.serial_hex.clone())
                .unwrap_or_default(),
            signed_at: local_time(verified.signing_time.unwrap_or(now)),
        }),
        verification: docs::Verification {
            url: format!("{}/verify/{verify_code}", state.config.public_url),
            code: verify_code.clone(),
        },
    };
    let pdf = docs::render_admission_order(&data, &DocsTr)
        .map_err(|e| AppError::internal("rendering the order", e))?;
    let blob = state.blobs.put(pdf).await?;
    let order = NewIssuedDocument {
        kind: "order",
        number: &number,
        application_id: None,
        school_id,
        verify_code: &verify_code,
        issued_by: user.person.id,
        signed_document: &document,
        signature_cms: &cms,
        pdf_key: &blob.key,
        pdf_sha256: &blob.sha256,
    };
    let mut admissions = Vec::new();
    for a in &apps {
        let parent = state.store.person(a.parent_id).await?;
        let event = NotificationEvent::Admitted {
            number: a.number.clone().unwrap_or_default(),
            school: school.name(&parent.language).to_owned(),
            order_number: number.clone(),
            order_date: local.date(),
            order_url: format!("{}/applications/{}", state.config.public_url, a.id),
        };
        admissions.push(Admission {
            application_id: a.id,
            notifications: notices::to_person(&event, &parent),
        });
    }
    match state
        .store
        .issue_admission_order(
            school_id,
            &order,
            &admissions,
            user.person.id,
            &ctx.source,
            now,
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/school/order?notice=order-issued").into_response()),
        Err(e) => {
            let _ = state.blobs.delete(&blob.key).await;
            match e {
                store::StoreError::Conflict(_) => back("order-err-changed"),
                other => Err(other.into()),
            }
        }
    }
}

async fn order_of(
    state: &AppState,
    school: i64,
    doc: i64,
) -> AppResult<store::issued::IssuedDocument> {
    state
        .store
        .issued_documents_of_school(school, "order")
        .await?
        .into_iter()
        .find(|d| d.id == doc)
        .ok_or(AppError::NotFound)
}

fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let name: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

/// Staff of the school (clerk or director) may download its orders.
fn school_staff(ctx: &Ctx) -> AppResult<i64> {
    ctx.require_user()?.staff_school().ok_or(AppError::NotFound)
}

pub async fn order_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((doc, format)): Path<(i64, String)>,
) -> AppResult<Response> {
    let school = school_staff(&ctx)?;
    let d = order_of(&state, school, doc).await?;
    if format == "pdf" {
        let pdf = state.blobs.get(&d.pdf_key).await?;
        return Ok(download(
            pdf,
            "application/pdf",
            &format!("{}.pdf", d.number),
        ));
    }
    let signed: serde_json::Value = serde_json::from_str(&d.signed_document)
        .map_err(|e| AppError::internal("order document", e))?;
    let mut rows = Vec::new();
    for class in signed["classes"].as_array().into_iter().flatten() {
        for (i, child) in class["children"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            rows.push(vec![
                docs::Cell::Text(class["name"].as_str().unwrap_or_default().to_owned()),
                docs::Cell::Text(language_label(&ctx, class["language"].as_str())),
                docs::Cell::Number((i + 1) as f64),
                docs::Cell::Text(child["name"].as_str().unwrap_or_default().to_owned()),
                docs::Cell::Text(child["iin"].as_str().unwrap_or_default().to_owned()),
                docs::Cell::Text(child["number"].as_str().unwrap_or_default().to_owned()),
            ]);
        }
    }
    let table = docs::Table {
        headers: [
            "order-col-class",
            "app-language",
            "order-col-no",
            "app-child",
            "app-child-iin",
            "app-number",
        ]
        .iter()
        .map(|k| ctx.t(k))
        .collect(),
        rows,
    };
    export(table, &format, &d.number)
}

/// A table as a CSV or XLSX download (the queue, orders, reports, the list of schools).
pub(crate) fn export(table: docs::Table, format: &str, name: &str) -> AppResult<Response> {
    match format {
        "csv" => Ok(download(
            docs::to_csv(&table),
            "text/csv; charset=utf-8",
            &format!("{name}.csv"),
        )),
        "xlsx" => {
            let bytes = docs::to_xlsx(&table, name).map_err(|e| AppError::internal("xlsx", e))?;
            Ok(download(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{name}.xlsx"),
            ))
        }
        _ => Err(AppError::NotFound),
    }
}

/// The school's applications as a table for Excel.
pub async fn queue_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(format): Path<String>,
) -> AppResult<Response> {
    let school = school_staff(&ctx)?;
    let apps = state
        .store
        .applications_of_school(
            school,
            &[
                "submitted",
                "under_review",
                "returned",
                "accepted",
                "refused",
                "admitted",
            ],
        )
        .await?;
    let rows = apps
        .iter()
        .map(|a| {
            let status = domain::application::ApplicationStatus::parse(&a.status)
                .map(|s| ctx.t(s.label_key()))
                .unwrap_or_else(|_| a.status.clone());
            vec![
                docs::Cell::Text(a.number.clone().unwrap_or_default()),
                docs::Cell::Text(a.child_full_name()),
                docs::Cell::Text(a.child_iin.clone()),
                docs::Cell::Text(status),
                docs::Cell::Text(language_label(&ctx, a.language.as_deref())),
                docs::Cell::Text(ctx.t(if a.in_territory {
                    "school-in"
                } else {
                    "school-out"
                })),
                a.submitted_at
                    .map(|t| docs::Cell::Date(local_time(t).date()))
                    .unwrap_or(docs::Cell::Text(String::new())),
                a.deadline
                    .map(docs::Cell::Date)
                    .unwrap_or(docs::Cell::Text(String::new())),
            ]
        })
        .collect();
    let table = docs::Table {
        headers: [
            "app-number",
            "app-child",
            "app-child-iin",
            "app-status",
            "app-language",
            "school-territory",
            "order-col-submitted",
            "app-deadline",
        ]
        .iter()
        .map(|k| ctx.t(k))
        .collect(),
        rows,
    };
    let object = format!("school:{school}");
    state
        .store
        .audit(
            &store::AuditEntry {
                actor: &ctx.actor(),
                action: "export_applications",
                object: &object,
                details: &format,
                source: &ctx.source,
            },
            Utc::now(),
        )
        .await?;
    export(table, &format, "applications")
}
