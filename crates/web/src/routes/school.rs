//! The school's workspace (көрсетілетін қызмет беруші): the queue of its own applications with
//! deadlines, the review of one application, and the decisions — return for correction, accept
//! with a receipt (қолхат), or a reasoned refusal — each signed with the staff member's EDS.
//! Staff see their own school only: another school's application answers 404.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::Utc;
use domain::application::{Action, ActorKind, ApplicationStatus, RefusalGround, transition};
use notify::NotificationEvent;
use pki::Purpose;
use serde::Deserialize;
use store::applications::{
    ApplicationRecord, DocumentRecord, Effect, Scope, Transition, TransitionOutcome,
};
use store::issued::NewIssuedDocument;

use crate::ctx::{Ctx, User};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, translate};
use crate::notices;
use crate::pages::render;
use crate::routes::application::{DocumentSlot, document_slots, serve_document};
use crate::service::{campaign_by_id, local_time, working_calendar};
use crate::state::AppState;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The school whose staff this person is.
fn staff(ctx: &Ctx) -> AppResult<(&User, i64)> {
    let user = ctx.require_user()?;
    let school = user.staff_school().ok_or(AppError::NotFound)?;
    Ok((user, school))
}

async fn of_school(state: &AppState, school: i64, id: i64) -> AppResult<ApplicationRecord> {
    let a = state
        .store
        .application(id, Scope::School(school))
        .await?
        .ok_or(AppError::NotFound)?;
    // Drafts are the parent's own business until submitted.
    if a.status == "draft" || a.status == "withdrawn" && a.submitted_at.is_none() {
        return Err(AppError::NotFound);
    }
    Ok(a)
}

pub struct QueueRow {
    pub id: i64,
    pub number: String,
    pub child: String,
    pub iin: String,
    pub status: String,
    pub status_label: String,
    pub language: String,
    pub in_territory: bool,
    pub deadline: String,
    /// `overdue`, `due-today` or empty.
    pub urgency: String,
    pub urgency_label: String,
}

#[derive(Template)]
#[template(path = "school_queue.html")]
struct QueuePage<'a> {
    ctx: &'a Ctx,
    school: String,
    rows: Vec<QueueRow>,
    status: String,
    search: String,
    language: String,
    territory: String,
    languages: Vec<(String, String)>,
    places: Vec<(String, i64, i64)>,
    is_director: bool,
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    /// A language code, or empty for all.
    #[serde(default)]
    language: String,
    /// `in`, `out`, or empty for both.
    #[serde(default)]
    territory: String,
    #[serde(default)]
    q: String,
}

const QUEUE_STATUSES: [&str; 6] = [
    "submitted",
    "under_review",
    "returned",
    "accepted",
    "refused",
    "admitted",
];

pub async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<QueueQuery>,
) -> AppResult<Response> {
    let (user, school_id) = staff(&ctx)?;
    let is_director = user.is_director_of(school_id);
    let school = state.store.school(school_id).await?;
    let statuses: Vec<&str> = if QUEUE_STATUSES.contains(&q.status.as_str()) {
        vec![q.status.as_str()]
    } else {
        QUEUE_STATUSES.to_vec()
    };
    let apps = state
        .store
        .applications_of_school(school_id, &statuses)
        .await?;
    let calendar = working_calendar(&state).await?;
    let today = local_time(Utc::now()).date();
    let needle = q.q.trim().to_lowercase();
    let mut rows: Vec<QueueRow> = apps
        .iter()
        .filter(|a| q.language.is_empty() || a.language.as_deref() == Some(q.language.as_str()))
        .filter(|a| match q.territory.as_str() {
            "in" => a.in_territory,
            "out" => !a.in_territory,
            _ => true,
        })
        .filter(|a| {
            needle.is_empty()
                || a.child_iin.contains(&needle)
                || a.child_full_name().to_lowercase().contains(&needle)
        })
        .map(|a| {
            let awaiting = a.status == "submitted" || a.status == "under_review";
            let (urgency, urgency_label) = match a.deadline {
                Some(d) if awaiting && d < today => {
                    let days = calendar.working_days_between(d, today);
                    (
                        "overdue",
                        ctx.ta("school-overdue", &[("days", days.to_string())]),
                    )
                }
                Some(d) if awaiting && d == today => ("due-today", ctx.t("school-due-today")),
                _ => ("", String::new()),
            };
            QueueRow {
                id: a.id,
                number: a.number.clone().unwrap_or_default(),
                child: a.child_full_name(),
                iin: a.child_iin.clone(),
                status: a.status.clone(),
                status_label: ApplicationStatus::parse(&a.status)
                    .map(|s| ctx.t(s.label_key()))
                    .unwrap_or_else(|_| a.status.clone()),
                language: language_label(&ctx, a.language.as_deref()),
                in_territory: a.in_territory,
                deadline: a
                    .deadline
                    .map(|d| d.format("%d.%m.%Y").to_string())
                    .unwrap_or_default(),
                urgency: urgency.to_owned(),
                urgency_label,
            }
        })
        .collect();
    // Most urgent first: overdue, due today, then by deadline (the store's order).
    rows.sort_by_key(|r| match r.urgency.as_str() {
        "overdue" => 0,
        "due-today" => 1,
        _ => 2,
    });
    let mut places = Vec::new();
    for p in state.store.school_places(school_id).await? {
        let taken = apps
            .iter()
            .filter(|a| {
                a.language.as_deref() == Some(p.language.as_str())
                    && (a.status == "accepted" || a.status == "admitted")
            })
            .count() as i64;
        let label = language_label(&ctx, Some(&p.language));
        places.push((label, p.places, p.places - taken));
    }
    let page = QueuePage {
        ctx: &ctx,
        school: school.name(ctx.lang.code()).to_owned(),
        rows,
        status: q.status,
        search: q.q,
        languages: state
            .store
            .school_places(school_id)
            .await?
            .iter()
            .map(|p| (p.language.clone(), language_label(&ctx, Some(&p.language))))
            .collect(),
        language: q.language.clone(),
        territory: q.territory.clone(),
        places,
        is_director,
    };
    Ok(render(&ctx, &page))
}

/// The name of a language of instruction in the reader's language.
pub(crate) fn language_label(ctx: &Ctx, code: Option<&str>) -> String {
    let code = code.unwrap_or_default();
    domain::application::Language::parse(code)
        .map(|l| ctx.t(l.label_key()))
        .unwrap_or_else(|_| code.to_owned())
}

#[derive(Template)]
#[template(path = "school_review.html")]
struct ReviewPage<'a> {
    ctx: &'a Ctx,
    language: String,
    a: &'a ApplicationRecord,
    status_label: String,
    slots: Vec<DocumentSlot>,
    street: String,
    can_decide: bool,
    grounds: Vec<(String, String)>,
    issued: Vec<(i64, String, String)>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ReviewQuery {
    error: Option<String>,
}

pub async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ReviewQuery>,
) -> AppResult<Response> {
    let (user, school_id) = staff(&ctx)?;
    let a = of_school(&state, school_id, id).await?;
    // Every staff view of personal data is recorded.
    let object = format!("application:{id}");
    let actor = format!("person:{}", user.person.id);
    state
        .store
        .audit(
            &store::AuditEntry {
                actor: &actor,
                action: "view_application",
                object: &object,
                details: "",
                source: &ctx.source,
            },
            Utc::now(),
        )
        .await?;
    let campaign = campaign_by_id(&state, a.campaign_id).await?;
    let docs = state.store.documents(id).await?;
    let status = ApplicationStatus::parse(&a.status)
        .map_err(|e| AppError::internal("status", format!("{e:?}")))?;
    let street = crate::service::street_name(&state, a.street_id, ctx.lang.code()).await?;
    let issued = state
        .store
        .issued_documents_of(id)
        .await?
        .into_iter()
        .map(|d| (d.id, d.number, ctx.t(&format!("issued-kind-{}", d.kind))))
        .collect();
    let page = ReviewPage {
        ctx: &ctx,
        language: language_label(&ctx, a.language.as_deref()),
        status_label: ctx.t(status.label_key()),
        slots: document_slots(&ctx, &campaign, &a, &docs),
        street,
        can_decide: transition(status, Action::Accept, ActorKind::Staff).is_ok(),
        grounds: RefusalGround::ALL
            .iter()
            .map(|g| (g.as_str().to_owned(), ctx.t(g.label_key())))
            .collect(),
        issued,
        error: q
            .error
            .filter(|k| {
                k.starts_with("school-err-")
                    || k.starts_with("pki-err-")
                    || k.starts_with("app-err-")
            })
            .map(|k| ctx.t(&k)),
        a: &a,
    };
    Ok(render(&ctx, &page))
}

pub async fn view_document(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, doc)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (_, school_id) = staff(&ctx)?;
    of_school(&state, school_id, id).await?;
    serve_document(&state, id, doc).await
}

#[derive(Deserialize)]
pub struct ReturnForm {
    csrf: String,
    comment: String,
}

/// Returns the application to the parent for correction, with what to correct.
pub async fn return_for_correction(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ReturnForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    let (user, school_id) = staff(&ctx)?;
    let a = of_school(&state, school_id, id).await?;
    let comment: String = f.comment.trim().chars().take(2000).collect();
    if comment.is_empty() {
        return Ok(Redirect::to(&format!(
            "/school/applications/{id}?error=school-err-comment"
        ))
        .into_response());
    }
    let status = ApplicationStatus::parse(&a.status)
        .map_err(|e| AppError::internal("status", format!("{e:?}")))?;
    let Ok(next) = transition(status, Action::ReturnForCorrection, ActorKind::Staff) else {
        return Ok(Redirect::to(&format!("/school/applications/{id}")).into_response());
    };
    let parent = state.store.person(a.parent_id).await?;
    let url = format!("{}/applications/{id}", state.config.public_url);
    let tell = |number: Option<&str>| {
        let event = NotificationEvent::Returned {
            number: number.unwrap_or_default().to_owned(),
            comment: comment.clone(),
            url: url.clone(),
        };
        notices::to_person(&event, &parent)
    };
    let actor = ctx.actor();
    let t = Transition {
        application_id: id,
        scope: Scope::School(school_id),
        from: status.as_str(),
        to: next.as_str(),
        actor_id: Some(user.person.id),
        actor: &actor,
        action: "return_for_correction",
        source: &ctx.source,
        effect: Effect::Decide {
            comment: Some(&comment),
            refusal_ground: None,
        },
        notifications: &tell,
        issues: None,
    };
    state.store.transition_application(&t, Utc::now()).await?;
    Ok(Redirect::to("/school").into_response())
}

/// A decision that issues a signed document.
#[derive(Deserialize, Clone)]
pub struct DecisionForm {
    csrf: String,
    /// `accept` or `refuse`.
    decision: String,
    #[serde(default)]
    ground: String,
    #[serde(default)]
    grounds_text: String,
}

struct Decision {
    accept: bool,
    ground: Option<RefusalGround>,
    grounds_text: String,
}

fn parse_decision(f: &DecisionForm) -> Result<Decision, &'static str> {
    match f.decision.as_str() {
        "accept" => Ok(Decision {
            accept: true,
            ground: None,
            grounds_text: String::new(),
        }),
        "refuse" => {
            let ground = RefusalGround::parse(&f.ground).map_err(|_| "school-err-ground")?;
            let text: String = f.grounds_text.trim().chars().take(2000).collect();
            if ground == RefusalGround::Other && text.is_empty() {
                return Err("school-err-grounds-text");
            }
            Ok(Decision {
                accept: false,
                ground: Some(ground),
                grounds_text: text,
            })
        }
        _ => Err("school-err-ground"),
    }
}

/// The text the staff member signs: the decision on exactly these documents. Rebuilt at the
/// signing request, so a signature over anything else is refused.
fn decision_document(
    a: &ApplicationRecord,
    docs: &[DocumentRecord],
    staff_iin: &str,
    d: &Decision,
) -> String {
    let files: Vec<serde_json::Value> = docs
        .iter()
        .map(|x| serde_json::json!({ "kind": x.kind, "sha256": x.sha256 }))
        .collect();
    serde_json::json!({
        "service": "mektep",
        "document": if d.accept { "receipt" } else { "refusal" },
        "application_id": a.id,
        "application_number": a.number,
        "school_id": a.school_id,
        "child_iin": a.child_iin,
        "staff_iin": staff_iin,
        "documents": files,
        "refusal_ground": d.ground.map(|g| g.as_str()),
        "grounds_text": d.grounds_text,
    })
    .to_string()
}

#[derive(Template)]
#[template(path = "school_sign.html")]
struct SignPage<'a> {
    ctx: &'a Ctx,
    a: &'a ApplicationRecord,
    f: DecisionForm,
    title: String,
    summary: String,
    document_base64: String,
}

/// Shows the decision to sign (the staff member's EDS signs it through NCALayer).
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    let (user, school_id) = staff(&ctx)?;
    let a = of_school(&state, school_id, id).await?;
    let d = match parse_decision(&f) {
        Ok(d) => d,
        Err(key) => {
            return Ok(
                Redirect::to(&format!("/school/applications/{id}?error={key}")).into_response(),
            );
        }
    };
    let docs = state.store.documents(id).await?;
    let document = decision_document(&a, &docs, &user.person.iin, &d);
    let (title, summary) = if d.accept {
        (
            ctx.t("school-sign-receipt-title"),
            ctx.t("school-sign-receipt-summary"),
        )
    } else {
        let ground = d.ground.map(|g| ctx.t(g.label_key())).unwrap_or_default();
        (
            ctx.t("school-sign-refusal-title"),
            format!("{ground}. {}", d.grounds_text),
        )
    };
    let page = SignPage {
        ctx: &ctx,
        a: &a,
        f,
        title,
        summary,
        document_base64: B64.encode(document.as_bytes()),
    };
    Ok(render(&ctx, &page))
}

#[derive(Deserialize)]
pub struct SignedDecision {
    #[serde(flatten)]
    form: DecisionForm,
    #[serde(default)]
    cms: String,
    demo_sign: Option<String>,
}

pub(crate) struct DocsTr;

impl docs::Translate for DocsTr {
    fn tr(&self, lang: &str, key: &str, args: &[(&str, String)]) -> String {
        translate(Lang::parse(lang).unwrap_or_default(), key, args)
    }
}

pub(crate) fn docs_name(surname: &str, given: &str, patronymic: Option<&str>) -> docs::PersonName {
    docs::PersonName {
        surname: surname.to_owned(),
        given_name: given.to_owned(),
        patronymic: patronymic.map(str::to_owned),
    }
}

/// Verifies the staff member's signature over the decision, issues the receipt or refusal as a
/// PDF, and records the decision with it in one transaction.
pub async fn sign_decision(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(s): Form<SignedDecision>,
) -> AppResult<Response> {
    let f = s.form;
    ctx.check_csrf(&f.csrf)?;
    let (user, school_id) = staff(&ctx)?;
    let a = of_school(&state, school_id, id).await?;
    let back = |key: &str| {
        Ok(Redirect::to(&format!("/school/applications/{id}?error={key}")).into_response())
    };
    let d = match parse_decision(&f) {
        Ok(d) => d,
        Err(key) => return back(key),
    };
    let status = ApplicationStatus::parse(&a.status)
        .map_err(|e| AppError::internal("status", format!("{e:?}")))?;
    let action = if d.accept {
        Action::Accept
    } else {
        Action::Refuse
    };
    let Ok(next) = transition(status, action, ActorKind::Staff) else {
        return Ok(Redirect::to(&format!("/school/applications/{id}")).into_response());
    };
    let docs = state.store.documents(id).await?;
    let document = decision_document(&a, &docs, &user.person.iin, &d);
    let cms = if s.demo_sign.is_some() && state.config.demo {
        crate::eds::demo_signature(&state, &user.person.iin, &document)?
    } else {
        s.cms
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
            tracing::info!(reason = %r.detail, "decision signature refused");
            return back(r.message_key);
        }
    };
    if verified.signer.iin.as_deref() != Some(user.person.iin.as_str()) {
        return back("school-err-signed-by-other");
    }
    // Places per language of instruction, shared out by the campaign's allocation policy
    // (territory first, or "3 + 1") among everyone accepted or still waiting for a decision:
    // a child is accepted only while the policy gives them a place, and a full school refuses
    // with "no free places" and the referral.
    if d.accept && !has_place(&state, school_id, &a).await? {
        return back("school-err-no-places");
    }
    let school = state.store.school(school_id).await?;
    let parent = state.store.person(a.parent_id).await?;
    let campaign = campaign_by_id(&state, a.campaign_id).await?;
    let now = Utc::now();
    let app_number = a.number.clone().unwrap_or_default();
    let verify_code = store::random_token(10);
    let verification = docs::Verification {
        url: format!("{}/verify/{verify_code}", state.config.public_url),
        code: verify_code.clone(),
    };
    let signature = Some(docs::EdsSignature {
        signer: user.person.full_name(),
        certificate_serial: verified
            .chain
            .first()
            .map(|c| c.serial_hex.clone())
            .unwrap_or_default(),
        signed_at: local_time(verified.signing_time.unwrap_or(now)),
    });
    let docs_school = docs::School {
        name_kk: school.name_kk.clone(),
        name_ru: school.name_ru.clone(),
        bin: school.bin.clone(),
    };
    let child = docs::Child {
        name: docs_name(
            &a.child_surname,
            &a.child_given_name,
            a.child_patronymic.as_deref(),
        ),
        iin: a.child_iin.clone(),
    };
    let applicant = docs_name(
        &parent.surname,
        &parent.given_name,
        parent.patronymic.as_deref(),
    );
    let clerk = docs_name(
        &user.person.surname,
        &user.person.given_name,
        user.person.patronymic.as_deref(),
    );
    let submitted_at = local_time(a.submitted_at.unwrap_or(now));
    let (kind, number, pdf) = if d.accept {
        let slots = document_slots(&ctx, &campaign, &a, &docs);
        let titles = slots
            .iter()
            .map(|s| {
                format!(
                    "{} / {} ({})",
                    translate(Lang::Kk, &title_key(&s.kind), &[]),
                    translate(Lang::Ru, &title_key(&s.kind), &[]),
                    s.files.len()
                )
            })
            .collect();
        let number = format!("Q-{app_number}");
        let data = docs::ReceiptData {
            number: number.clone(),
            issued_at: local_time(now),
            school: docs_school,
            application_number: app_number.clone(),
            submitted_at,
            child,
            applicant,
            documents: titles,
            clerk,
            signature,
            verification,
        };
        ("receipt", number, docs::render_receipt(&data, &DocsTr))
    } else {
        let ground = d.ground.unwrap_or(RefusalGround::Other);
        let grounds = format!(
            "{} / {}{}",
            translate(Lang::Kk, ground.label_key(), &[]),
            translate(Lang::Ru, ground.label_key(), &[]),
            if d.grounds_text.is_empty() {
                String::new()
            } else {
                format!(". {}", d.grounds_text)
            }
        );
        let number = format!("R-{app_number}");
        let data = docs::RefusalData {
            number: number.clone(),
            issued_at: local_time(now),
            school: docs_school,
            application_number: app_number.clone(),
            submitted_at,
            child,
            applicant,
            grounds: grounds.clone(),
            referral_department: (ground == RefusalGround::NoFreePlaces)
                .then(|| translate(Lang::Kk, "school-referral-department", &[])),
            clerk,
            signature,
            verification,
        };
        ("refusal", number, docs::render_refusal(&data, &DocsTr))
    };
    let pdf = pdf.map_err(|e| AppError::internal("rendering the PDF", e))?;
    let blob = state.blobs.put(pdf).await?;
    let issued = NewIssuedDocument {
        kind,
        number: &number,
        application_id: Some(id),
        school_id,
        verify_code: &verify_code,
        issued_by: user.person.id,
        signed_document: &document,
        signature_cms: &cms,
        pdf_key: &blob.key,
        pdf_sha256: &blob.sha256,
    };
    let url = format!("{}/applications/{id}", state.config.public_url);
    let grounds_for_parent = match d.ground {
        Some(g) => {
            let label = translate(
                Lang::parse(&parent.language).unwrap_or_default(),
                g.label_key(),
                &[],
            );
            if d.grounds_text.is_empty() {
                label
            } else {
                format!("{label}. {}", d.grounds_text)
            }
        }
        None => String::new(),
    };
    let tell = |n: Option<&str>| {
        let number = n.unwrap_or_default().to_owned();
        let event = if d.accept {
            NotificationEvent::Accepted {
                number,
                receipt_url: url.clone(),
                receipt_blob_key: Some(blob.key.clone()),
            }
        } else {
            NotificationEvent::Refused {
                number,
                grounds: grounds_for_parent.clone(),
                url: url.clone(),
            }
        };
        notices::to_person(&event, &parent)
    };
    let actor = ctx.actor();
    let ground_code = d.ground.map(|g| g.as_str());
    let t = Transition {
        application_id: id,
        scope: Scope::School(school_id),
        from: status.as_str(),
        to: next.as_str(),
        actor_id: Some(user.person.id),
        actor: &actor,
        action: if d.accept { "accept" } else { "refuse" },
        source: &ctx.source,
        effect: Effect::Decide {
            comment: (!d.grounds_text.is_empty()).then_some(d.grounds_text.as_str()),
            refusal_ground: ground_code,
        },
        notifications: &tell,
        issues: Some(&issued),
    };
    match state.store.transition_application(&t, now).await {
        Ok(TransitionOutcome::Done { .. }) => {
            Ok(Redirect::to(&format!("/school/applications/{id}")).into_response())
        }
        Ok(_) => {
            // Someone else decided first: this PDF was never issued.
            let _ = state.blobs.delete(&blob.key).await;
            Ok(Redirect::to(&format!("/school/applications/{id}")).into_response())
        }
        Err(e) => {
            let _ = state.blobs.delete(&blob.key).await;
            Err(e.into())
        }
    }
}

async fn has_place(state: &AppState, school_id: i64, a: &ApplicationRecord) -> AppResult<bool> {
    use domain::allocation::{AllocationDecision, Candidate, CandidateId, allocate};
    let language = a.language.clone().unwrap_or_default();
    let places = state
        .store
        .school_places(school_id)
        .await?
        .into_iter()
        .find(|p| p.language == language)
        .map(|p| u32::try_from(p.places).unwrap_or(0))
        .unwrap_or(0);
    let campaign = campaign_by_id(state, a.campaign_id).await?;
    let same_class = |x: &&ApplicationRecord| {
        x.language.as_deref() == Some(language.as_str()) && x.grade == a.grade
    };
    let competing = state
        .store
        .applications_of_school(
            school_id,
            &["submitted", "under_review", "accepted", "admitted"],
        )
        .await?;
    // Accepted children keep their places; the rest are shared among those still waiting.
    let taken = competing
        .iter()
        .filter(same_class)
        .filter(|x| x.status == "accepted" || x.status == "admitted")
        .count();
    let places = places.saturating_sub(u32::try_from(taken).unwrap_or(u32::MAX));
    let candidates: Vec<Candidate> = competing
        .iter()
        .filter(same_class)
        .filter(|x| x.status == "submitted" || x.status == "under_review")
        .map(|x| Candidate {
            id: CandidateId(x.id),
            in_territory: x.in_territory,
            applied_at: x.submitted_at.unwrap_or(x.created_at),
        })
        .collect();
    let decisions = allocate(campaign.allocation_policy, places, &candidates);
    Ok(decisions
        .iter()
        .any(|(id, d)| id.0 == a.id && matches!(d, AllocationDecision::Place { .. })))
}

fn title_key(kind: &str) -> String {
    format!("doc-{kind}")
}

/// The PDF of an issued document, for the staff of its school.
pub async fn issued_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, doc)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (_, school_id) = staff(&ctx)?;
    of_school(&state, school_id, id).await?;
    issued_pdf_of(&state, id, doc).await
}

pub async fn issued_pdf_of(state: &AppState, application_id: i64, doc: i64) -> AppResult<Response> {
    let d = state
        .store
        .issued_documents_of(application_id)
        .await?
        .into_iter()
        .find(|d| d.id == doc)
        .ok_or(AppError::NotFound)?;
    let pdf = state.blobs.get(&d.pdf_key).await?;
    let mut r = pdf.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    let disposition = format!(
        "attachment; filename=\"{}.pdf\"",
        d.number
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage<'a> {
    ctx: &'a Ctx,
    found: Option<VerifiedDocument>,
}

pub struct VerifiedDocument {
    pub kind: String,
    pub number: String,
    pub issued_at: String,
    pub school: String,
    pub child: String,
    pub signer: String,
    pub sha256: String,
}

/// The public page a QR code opens: anyone can check that a receipt or refusal was issued
/// here and is unchanged (by its SHA-256), seeing no more than the document itself shows —
/// less: the child's surname is reduced to an initial and no IIN is shown.
pub async fn verify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let doc = if code.len() == 20 && code.bytes().all(|b| b.is_ascii_hexdigit()) {
        state.store.issued_document_by_code(&code).await?
    } else {
        None
    };
    let mut found = None;
    if let Some(d) = doc {
        let school = state.store.school(d.school_id).await?;
        let child = match d.application_id {
            Some(app) => state
                .store
                .application(app, Scope::City)
                .await?
                .map(|a| {
                    format!(
                        "{} {}.",
                        a.child_given_name,
                        a.child_surname.chars().next().unwrap_or(' ')
                    )
                })
                .unwrap_or_default(),
            None => String::new(),
        };
        let signer = state
            .store
            .person(d.issued_by)
            .await
            .map(|p| p.full_name())
            .unwrap_or_default();
        found = Some(VerifiedDocument {
            kind: ctx.t(&format!("issued-kind-{}", d.kind)),
            number: d.number,
            issued_at: local_time(d.issued_at).format("%d.%m.%Y %H:%M").to_string(),
            school: school.name(ctx.lang.code()).to_owned(),
            child,
            signer,
            sha256: d.pdf_sha256,
        });
    }
    let status = if found.is_some() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::NOT_FOUND
    };
    Ok((status, render(&ctx, &VerifyPage { ctx: &ctx, found })).into_response())
}
