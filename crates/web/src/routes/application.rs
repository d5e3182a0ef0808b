//! A parent's application (өтініш / заявление): the form, the documents, review, signing and
//! submission, the status timeline, withdrawal.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use domain::application::{
    Action, ActorKind, ApplicationStatus, Citizenship, Grade, Language, Relation, StudyForm,
    transition,
};
use domain::campaign::{ApplicantFacts, Campaign, WindowError, required_documents};
use domain::eligibility::{AgeAssessment, assess_for_grade};
use domain::ids::{Iin, PersonName};
use pki::Purpose;
use serde::Deserialize;
use store::applications::{
    ApplicationForm, ApplicationRecord, DocumentRecord, Effect, Scope, Transition,
    TransitionOutcome, no_notifications,
};

use crate::ctx::{Ctx, User, idle_timeout, session_token};
use crate::error::{AppError, AppResult};
use crate::i18n::domain_message;
use crate::notices;
use crate::pages::render;
use crate::service::{campaign_by_id, current_campaign, local_time, working_calendar};
use crate::state::AppState;
use notify::NotificationEvent;

/// The parent who owns the application, with contacts confirmed (the standard asks for both
/// before an application).
fn parent(ctx: &Ctx) -> AppResult<&User> {
    let user = ctx.require_user()?;
    if user.is_staff() {
        return Err(AppError::Forbidden);
    }
    Ok(user)
}

/// The parent's own application with its documents, in one query.
async fn owned_with_documents(
    state: &AppState,
    user: &User,
    id: i64,
) -> AppResult<(ApplicationRecord, Vec<DocumentRecord>)> {
    state
        .store
        .application_with_documents(id, Scope::Parent(user.person.id))
        .await?
        .ok_or(AppError::NotFound)
}

async fn owned(state: &AppState, user: &User, id: i64) -> AppResult<ApplicationRecord> {
    state
        .store
        .application(id, Scope::Parent(user.person.id))
        .await?
        .ok_or(AppError::NotFound)
}

/// Raw form fields, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct FormFields {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) child_iin: String,
    #[serde(default)]
    pub(crate) child_birth_date: String,
    #[serde(default)]
    pub(crate) child_surname: String,
    #[serde(default)]
    pub(crate) child_given_name: String,
    #[serde(default)]
    pub(crate) child_patronymic: String,
    #[serde(default)]
    pub(crate) citizenship: String,
    #[serde(default)]
    pub(crate) relation: String,
    pub(crate) born_abroad: Option<String>,
    pub(crate) special_needs: Option<String>,
    #[serde(default)]
    pub(crate) street_id: String,
    #[serde(default)]
    pub(crate) house: String,
    #[serde(default)]
    pub(crate) flat: String,
    #[serde(default)]
    pub(crate) school_id: String,
    #[serde(default)]
    pub(crate) language: String,
    #[serde(default)]
    pub(crate) grade: String,
    #[serde(default)]
    pub(crate) study_form: String,
    pub(crate) age_confirmed: Option<String>,
    pub(crate) consent: Option<String>,
}

impl FormFields {
    pub(crate) fn grade_value(&self) -> Option<Grade> {
        self.grade
            .parse::<u8>()
            .ok()
            .and_then(|g| Grade::try_from(g).ok())
    }

    /// The same fields with the school fixed (a clerk registers for their own school).
    pub(crate) fn for_school(mut self, school_id: i64) -> FormFields {
        self.school_id = school_id.to_string();
        self
    }

    fn from_record(a: &ApplicationRecord) -> FormFields {
        FormFields {
            csrf: String::new(),
            child_iin: a.child_iin.clone(),
            child_birth_date: a.child_birth_date.format("%Y-%m-%d").to_string(),
            child_surname: a.child_surname.clone(),
            child_given_name: a.child_given_name.clone(),
            child_patronymic: a.child_patronymic.clone().unwrap_or_default(),
            citizenship: a.citizenship.clone(),
            relation: a.relation.clone(),
            born_abroad: a.born_abroad.then(|| "on".into()),
            special_needs: a.special_needs.then(|| "on".into()),
            street_id: a.street_id.map(|s| s.to_string()).unwrap_or_default(),
            house: a.house.map(|h| h.to_string()).unwrap_or_default(),
            flat: a.flat.clone(),
            school_id: a.school_id.map(|s| s.to_string()).unwrap_or_default(),
            language: a.language.clone().unwrap_or_default(),
            grade: a.grade.to_string(),
            study_form: a.study_form.clone(),
            age_confirmed: a.age_confirmed.then(|| "on".into()),
            consent: a.consent_at.map(|_| "on".into()),
        }
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct SchoolChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
    pub serves_address: bool,
}

/// The choices the application's fields offer (shared with the clerk's paper registration).
pub(crate) struct FormChoices {
    pub citizenships: Vec<Choice>,
    pub relations: Vec<Choice>,
    pub streets: Vec<Choice>,
    pub schools: Vec<SchoolChoice>,
    pub languages: Vec<Choice>,
    pub grades: Vec<Choice>,
    pub study_forms: Vec<Choice>,
    pub window_note: String,
}

#[derive(Template)]
#[template(path = "application_form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    action: String,
    f: FormFields,
    errors: Vec<(String, String)>,
    c: FormChoices,
}

fn choices<T: Copy>(
    ctx: &Ctx,
    all: &[T],
    selected: &str,
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: code(*v).to_owned(),
            label: ctx.t(label(*v)),
            selected: code(*v) == selected,
        })
        .collect()
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    action: String,
    f: FormFields,
    errors: Vec<(String, String)>,
) -> AppResult<Response> {
    let c = form_choices(state, ctx, &f).await?;
    Ok(render(
        ctx,
        &FormPage {
            ctx,
            action,
            f,
            errors,
            c,
        },
    ))
}

/// The select options of the form, the schools serving the typed address first.
pub(crate) async fn form_choices(
    state: &AppState,
    ctx: &Ctx,
    f: &FormFields,
) -> AppResult<FormChoices> {
    let (_, campaign) = current_campaign(state).await?;
    let streets = crate::service::streets(state)
        .await?
        .iter()
        .map(|s| Choice {
            value: s.id.to_string(),
            label: s.name(ctx.lang.code()).to_owned(),
            selected: s.id.to_string() == f.street_id,
        })
        .collect();
    // The schools whose territory holds the address come first, marked.
    let serving = match (f.street_id.parse::<i64>(), f.house.trim().parse::<i64>()) {
        (Ok(street), Ok(house)) => crate::service::schools_serving(state, street, house).await?,
        _ => Vec::new(),
    };
    let mut schools: Vec<SchoolChoice> = crate::service::schools(state)
        .await?
        .iter()
        .map(|s| SchoolChoice {
            value: s.id.to_string(),
            label: s.name(ctx.lang.code()).to_owned(),
            selected: s.id.to_string() == f.school_id,
            serves_address: serving.contains(&s.id),
        })
        .collect();
    schools.sort_by_key(|s| !s.serves_address);
    let languages = [Language::Kazakh, Language::Russian, Language::English];
    let grades = (1..=11u8)
        .map(|g| Choice {
            value: g.to_string(),
            label: ctx.ta("grade-label", &[("grade", g.to_string())]),
            selected: f.grade == g.to_string() || (f.grade.is_empty() && g == 1),
        })
        .collect();
    let window = &campaign.first_grade_window;
    let window_note = ctx.ta(
        "app-window-note",
        &[
            ("opens", window.opens.format("%d.%m.%Y").to_string()),
            ("closes", window.closes.format("%d.%m.%Y").to_string()),
        ],
    );
    Ok(FormChoices {
        citizenships: choices(
            ctx,
            &Citizenship::ALL,
            &f.citizenship,
            Citizenship::as_str,
            Citizenship::label_key,
        ),
        relations: choices(
            ctx,
            &Relation::ALL,
            &f.relation,
            Relation::as_str,
            Relation::label_key,
        ),
        languages: choices(
            ctx,
            &languages,
            &f.language,
            Language::as_str,
            Language::label_key,
        ),
        study_forms: choices(
            ctx,
            &StudyForm::ALL,
            if f.study_form.is_empty() {
                "full_time"
            } else {
                &f.study_form
            },
            StudyForm::as_str,
            StudyForm::label_key,
        ),
        streets,
        schools,
        grades,
        window_note,
    })
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let user = parent(&ctx)?;
    if !user.person.contacts_confirmed() {
        return Ok(Redirect::to("/cabinet").into_response());
    }
    form_page(
        &state,
        &ctx,
        "/applications/new".into(),
        FormFields::default(),
        Vec::new(),
    )
    .await
}

/// Parses the form with the domain's rules; every problem is reported at once, next to its field.
pub(crate) async fn parse_form(
    state: &AppState,
    ctx: &Ctx,
    campaign: &Campaign,
    f: &FormFields,
) -> AppResult<Result<ApplicationForm, Vec<(String, String)>>> {
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut err = |field: &str, msg: String| errors.push((field.to_owned(), msg));
    let iin = Iin::parse(&f.child_iin)
        .map_err(|e| err("child_iin", ctx.t(e.message_key())))
        .ok();
    let birth = NaiveDate::parse_from_str(f.child_birth_date.trim(), "%Y-%m-%d").ok();
    match (&iin, birth) {
        (_, None) => err("child_birth_date", ctx.t("app-err-birth-date")),
        (Some(iin), Some(b)) if !iin.agrees_with_birth_date(b) => {
            err("child_birth_date", ctx.t("app-err-birth-date-iin"))
        }
        _ => {}
    }
    let surname = PersonName::parse(&f.child_surname)
        .map_err(|e| err("child_surname", ctx.t(e.message_key())))
        .ok();
    let given = PersonName::parse(&f.child_given_name)
        .map_err(|e| err("child_given_name", ctx.t(e.message_key())))
        .ok();
    let patronymic = if f.child_patronymic.trim().is_empty() {
        None
    } else {
        PersonName::parse(&f.child_patronymic)
            .map_err(|e| err("child_patronymic", ctx.t(e.message_key())))
            .ok()
    };
    let citizenship = Citizenship::parse(&f.citizenship)
        .map_err(|_| err("citizenship", ctx.t("app-err-choose")))
        .ok();
    let relation = Relation::parse(&f.relation)
        .map_err(|_| err("relation", ctx.t("app-err-choose")))
        .ok();
    let street_id = f
        .street_id
        .parse::<i64>()
        .map_err(|_| err("street_id", ctx.t("app-err-choose")))
        .ok();
    let house = f
        .house
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|h| (1..=9999).contains(h));
    if house.is_none() {
        err("house", ctx.t("app-err-house"));
    }
    let school_id = f
        .school_id
        .parse::<i64>()
        .map_err(|_| err("school_id", ctx.t("app-err-choose-school")))
        .ok();
    let language = Language::parse(&f.language)
        .map_err(|_| err("language", ctx.t("app-err-choose")))
        .ok();
    let grade = f
        .grade
        .parse::<u8>()
        .ok()
        .and_then(|g| Grade::try_from(g).ok());
    if grade.is_none() {
        err("grade", ctx.t("app-err-choose"));
    }
    let study_form = StudyForm::parse(if f.study_form.is_empty() {
        "full_time"
    } else {
        &f.study_form
    })
    .map_err(|_| err("study_form", ctx.t("app-err-choose")))
    .ok();
    if f.consent.is_none() {
        err("consent", ctx.t("app-err-consent"));
    }
    // Eligibility is explained, not only enforced.
    if let (Some(b), Some(g)) = (birth, grade) {
        let age = assess_for_grade(g, b, campaign.academic_year);
        match &age {
            AgeAssessment::TooYoung { .. } => err(
                "child_birth_date",
                domain_message(&ctx.tr, age.message_key(), &age.message_args()),
            ),
            AgeAssessment::NeedsParentConfirmation { .. } if f.age_confirmed.is_none() => err(
                "age_confirmed",
                domain_message(&ctx.tr, age.message_key(), &age.message_args()),
            ),
            _ => {}
        }
    }
    if let (Some(school), Some(lang)) = (school_id, language) {
        let places = crate::service::school_places(state, school).await?;
        if !places
            .iter()
            .any(|p| p.language == lang.as_str() && p.places > 0)
        {
            err("language", ctx.t("app-err-language-not-taught"));
        }
    }
    let in_territory = match (street_id, house, school_id) {
        (Some(st), Some(h), Some(sc)) => crate::service::schools_serving(state, st, h)
            .await?
            .contains(&sc),
        _ => false,
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let (
        Some(iin),
        Some(birth),
        Some(surname),
        Some(given),
        Some(citizenship),
        Some(relation),
        Some(grade),
        Some(study_form),
    ) = (
        iin,
        birth,
        surname,
        given,
        citizenship,
        relation,
        grade,
        study_form,
    )
    else {
        return Ok(Err(vec![("child_iin".into(), ctx.t("app-err-choose"))]));
    };
    Ok(Ok(ApplicationForm {
        child_iin: iin.as_str().to_owned(),
        child_surname: surname.as_str().to_owned(),
        child_given_name: given.as_str().to_owned(),
        child_patronymic: patronymic.map(|p| p.as_str().to_owned()),
        child_birth_date: birth,
        citizenship: citizenship.as_str().to_owned(),
        relation: relation.as_str().to_owned(),
        born_abroad: f.born_abroad.is_some(),
        special_needs: f.special_needs.is_some(),
        street_id,
        house,
        flat: f.flat.trim().chars().take(20).collect(),
        school_id,
        in_territory,
        language: language.map(|l| l.as_str().to_owned()),
        grade: i64::from(u8::from(grade)),
        study_form: study_form.as_str().to_owned(),
        age_confirmed: f.age_confirmed.is_some(),
        consent: true,
    }))
}

/// The message for a second application for the same child: where the first one is.
async fn duplicate_child_error(
    state: &AppState,
    ctx: &Ctx,
    campaign_id: i64,
    child_iin: &str,
) -> AppResult<(String, String)> {
    let existing = state
        .store
        .active_application_of_child(campaign_id, child_iin)
        .await?;
    let msg = match existing {
        Some(a) => {
            let school = match a.school_id {
                Some(id) => crate::service::school(state, id)
                    .await
                    .map(|s| s.name(ctx.lang.code()).to_owned())
                    .unwrap_or_default(),
                None => String::new(),
            };
            let status = ApplicationStatus::parse(&a.status)
                .map(|s| ctx.t(s.label_key()))
                .unwrap_or(a.status);
            ctx.ta(
                "app-err-child-has-application",
                &[("school", school), ("status", status)],
            )
        }
        None => ctx.t("app-err-child-has-application-plain"),
    };
    Ok(("child_iin".into(), msg))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FormFields>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    let user = parent(&ctx)?;
    if !user.person.contacts_confirmed() {
        return Ok(Redirect::to("/cabinet").into_response());
    }
    let (campaign_id, campaign) = current_campaign(&state).await?;
    let form = match parse_form(&state, &ctx, &campaign, &f).await? {
        Ok(form) => form,
        Err(errors) => return form_page(&state, &ctx, "/applications/new".into(), f, errors).await,
    };
    // A draft may be prepared before the window opens (less to do in the opening rush), but not
    // after it closed: it could never be submitted.
    let today = local_time(Utc::now()).date();
    let grade = u8::try_from(form.grade)
        .ok()
        .and_then(|g| Grade::try_from(g).ok())
        .unwrap_or(Grade::FIRST);
    if let Err(w @ WindowError::Closed { .. }) = campaign.is_open_for(grade, today) {
        let e = domain_message(&ctx.tr, w.message_key(), &w.message_args());
        return form_page(
            &state,
            &ctx,
            "/applications/new".into(),
            f,
            vec![("grade".into(), e)],
        )
        .await;
    }
    match state
        .store
        .create_application(
            campaign_id,
            user.person.id,
            "electronic",
            &form,
            &ctx.source,
            Utc::now(),
        )
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/applications/{id}")).into_response()),
        Err(store::StoreError::Conflict("child_has_application")) => {
            let e = duplicate_child_error(&state, &ctx, campaign_id, &form.child_iin).await?;
            form_page(&state, &ctx, "/applications/new".into(), f, vec![e]).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let user = parent(&ctx)?;
    let a = owned(&state, user, id).await?;
    if !is_editable(&a) {
        return Ok(Redirect::to(&format!("/applications/{id}")).into_response());
    }
    form_page(
        &state,
        &ctx,
        format!("/applications/{id}/edit"),
        FormFields::from_record(&a),
        Vec::new(),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<FormFields>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    let user = parent(&ctx)?;
    let a = owned(&state, user, id).await?;
    let campaign = campaign_by_id(&state, a.campaign_id).await?;
    let action = format!("/applications/{id}/edit");
    let form = match parse_form(&state, &ctx, &campaign, &f).await? {
        Ok(form) => form,
        Err(errors) => return form_page(&state, &ctx, action, f, errors).await,
    };
    match state
        .store
        .update_application_form(id, user.person.id, &form, &ctx.source, Utc::now())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/applications/{id}")).into_response()),
        Err(store::StoreError::Conflict("child_has_application")) => {
            let e = duplicate_child_error(&state, &ctx, a.campaign_id, &form.child_iin).await?;
            form_page(&state, &ctx, action, f, vec![e]).await
        }
        Err(e) => Err(e.into()),
    }
}

fn is_editable(a: &ApplicationRecord) -> bool {
    a.status == "draft" || a.status == "returned"
}

fn facts(a: &ApplicationRecord) -> Option<ApplicantFacts> {
    let citizenship = Citizenship::parse(&a.citizenship).ok()?;
    Some(ApplicantFacts {
        child_birth_date: a.child_birth_date,
        born_abroad: a.born_abroad,
        citizenship,
        special_needs: a.special_needs,
        relation: Relation::parse(&a.relation).ok()?,
        resident: citizenship == Citizenship::Citizen,
    })
}

/// One required document kind with the files attached for it.
pub struct DocumentSlot {
    pub kind: String,
    pub title: String,
    pub min_files: u8,
    pub max_files: u8,
    pub files: Vec<DocumentRecord>,
    pub complete: bool,
}

pub(crate) fn document_slots(
    ctx: &Ctx,
    campaign: &Campaign,
    a: &ApplicationRecord,
    docs: &[DocumentRecord],
) -> Vec<DocumentSlot> {
    let Some(facts) = facts(a) else {
        return Vec::new();
    };
    required_documents(campaign, &facts)
        .into_iter()
        .map(|r| {
            let files: Vec<DocumentRecord> = docs
                .iter()
                .filter(|d| d.kind == r.kind.as_str())
                .cloned()
                .collect();
            let title = match (r.kind.title_key(), &r.title) {
                (Some(key), _) => ctx.t(key),
                (None, Some(t)) => match ctx.lang.code() {
                    "ru" => t.ru.clone(),
                    "en" => t.en.clone(),
                    _ => t.kk.clone(),
                },
                (None, None) => r.kind.as_str().to_owned(),
            };
            DocumentSlot {
                kind: r.kind.as_str().to_owned(),
                title,
                min_files: r.min_files,
                max_files: r.max_files,
                complete: files.len() >= usize::from(r.min_files),
                files,
            }
        })
        .collect()
}

pub struct TimelineEntry {
    pub at: String,
    pub status: String,
    pub label: String,
    pub comment: Option<String>,
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage<'a> {
    ctx: &'a Ctx,
    a: &'a ApplicationRecord,
    status_label: String,
    school: String,
    street: String,
    slots: Vec<DocumentSlot>,
    timeline: Vec<TimelineEntry>,
    editable: bool,
    withdrawable: bool,
    notice: Option<String>,
    error: Option<String>,
    max_total: String,
    /// Some document can take another file: the upload button is shown.
    has_room: bool,
    issued: Vec<(i64, String, String)>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    notice: Option<String>,
    error: Option<String>,
}

/// The status page a parent polls: who is signed in and their application are read together
/// ([`store::Store::signed_in_with_application`]), so it builds its own [`Ctx`].
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
    request: axum::extract::Request,
) -> AppResult<Response> {
    let (parts, _) = request.into_parts();
    let (user, application) = match session_token(&parts) {
        Some(token) => {
            let (found, application) = state
                .store
                .signed_in_with_application(token, Utc::now(), idle_timeout(&state), id)
                .await?;
            (User::signed_in(token, found), application)
        }
        None => (None, None),
    };
    let ctx = Ctx::new(&parts, &state, user);
    parent(&ctx)?;
    let (a, docs, events) = application.ok_or(AppError::NotFound)?;
    let campaign = campaign_by_id(&state, a.campaign_id).await?;
    let status = status_of(&a)?;
    let school = match a.school_id {
        Some(s) => crate::service::school(&state, s)
            .await?
            .name(ctx.lang.code())
            .to_owned(),
        None => String::new(),
    };
    let street = crate::service::street_name(&state, a.street_id, ctx.lang.code()).await?;
    let timeline = events
        .into_iter()
        .map(|e| TimelineEntry {
            at: local_time(e.at).format("%d.%m.%Y %H:%M").to_string(),
            label: ApplicationStatus::parse(&e.status)
                .map(|s| ctx.t(s.label_key()))
                .unwrap_or_else(|_| e.status.clone()),
            status: e.status,
            comment: e.comment,
        })
        .collect();
    let slots = document_slots(&ctx, &campaign, &a, &docs);
    let notice = q.notice.filter(|k| k.starts_with("notice-")).map(|k| {
        match (k.as_str(), &a.number, a.deadline) {
            ("notice-submitted", Some(n), Some(d)) => ctx.ta(
                "notice-submitted",
                &[
                    ("number", n.clone()),
                    ("deadline", d.format("%d.%m.%Y").to_string()),
                ],
            ),
            _ => ctx.t(&k),
        }
    });
    let error = q
        .error
        .filter(|k| k.starts_with("app-err-") || k.starts_with("err-") || k.starts_with("pki-err-"))
        .map(|k| ctx.t(&k));
    let max_total = format!(
        "{:.1}",
        campaign.attachments.max_total_bytes as f64 / (1024.0 * 1024.0)
    );
    // A receipt, a refusal or the order exists only once the school has decided: the parents
    // polling a submitted application are spared the query.
    let issued = if status.is_decided() {
        state
            .store
            .issued_documents_of(id)
            .await?
            .into_iter()
            .map(|d| (d.id, d.number, ctx.t(&format!("issued-kind-{}", d.kind))))
            .collect()
    } else {
        Vec::new()
    };
    let page = ApplicationPage {
        issued,
        ctx: &ctx,
        status_label: ctx.t(status.label_key()),
        editable: is_editable(&a),
        withdrawable: transition(status, Action::Withdraw, ActorKind::Parent).is_ok(),
        a: &a,
        school,
        street,
        has_room: slots
            .iter()
            .any(|s| s.files.len() < usize::from(s.max_files)),
        slots,
        timeline,
        notice,
        error,
        max_total,
    };
    Ok(render(&ctx, &page))
}

fn back(id: i64, error: &str) -> Response {
    Redirect::to(&format!("/applications/{id}?error={error}#documents")).into_response()
}

/// A file that passed every check: the CSRF token came first, the size is within the
/// campaign's limits, the kind is one this application needs and still has room for, and the
/// content (not the name) is PDF, JPEG or PNG.
///
/// The file is already stored: the caller attaches it to the application or, if that fails,
/// removes it again ([`keep_or_discard`]).
pub(crate) struct CheckedUpload {
    pub kind: String,
    pub name: String,
    pub blob: store::StoredBlob,
    pub format: domain::campaign::FileFormat,
}

/// Only shown as a label and never part of a path (files are stored under their hash): the last
/// part of what the browser sent, without control characters.
fn label_of_upload(file_name: Option<&str>) -> String {
    file_name
        .unwrap_or("file")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        // Control characters, and the invisible ones that reorder or hide text
        // ("photo\u{202e}gnp.exe" shows as "photoexe.png").
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
        })
        .take(120)
        .collect()
}

fn attachment_error_key(e: domain::campaign::AttachmentError) -> &'static str {
    match e {
        domain::campaign::AttachmentError::FileTooLarge { .. } => "app-err-file-too-large",
        domain::campaign::AttachmentError::TotalTooLarge { .. } => "app-err-total-too-large",
        domain::campaign::AttachmentError::Empty => "app-err-upload-empty",
        _ => "app-err-format",
    }
}

/// Reads, checks and stores an upload of one or more files, of one kind or of several: the
/// application page sends every file a parent chose in one request (a parent on a slow phone
/// picks the photos and the health forms, then presses one button), each under `file:<kind>`;
/// a form for one kind sends `kind` and then its files under `file`. `Err` carries the
/// translation key of what is wrong, and then nothing of the upload is kept.
pub(crate) async fn read_upload(
    state: &AppState,
    ctx: &Ctx,
    multipart: &mut Multipart,
    campaign: &Campaign,
    a: &ApplicationRecord,
    docs: &[DocumentRecord],
) -> AppResult<Result<Vec<CheckedUpload>, &'static str>> {
    let broken = |_| AppError::BadRequest("app-err-upload-broken");
    let mut csrf = String::new();
    let mut kind = String::new();
    // (kind, name, bytes), in the order they came.
    let mut files: Vec<(String, String, Vec<u8>)> = Vec::new();
    // What this request may still bring within the campaign's total, cut off as it arrives.
    let attached: u64 = docs.iter().map(|d| d.size_bytes as u64).sum();
    let mut room = campaign
        .attachments
        .max_total_bytes
        .saturating_sub(attached);
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let field_kind = match field.name().unwrap_or_default() {
            "csrf" => {
                csrf = field.text().await.map_err(broken)?;
                continue;
            }
            "kind" => {
                kind = field.text().await.map_err(broken)?;
                continue;
            }
            "file" => kind.clone(),
            other => match other.strip_prefix("file:") {
                Some(k) => k.to_owned(),
                None => continue,
            },
        };
        // The token must come first: nothing is read into memory for a forged form.
        ctx.check_csrf(&csrf)?;
        let name = label_of_upload(field.file_name());
        let limit = campaign.attachments.max_file_bytes;
        // The chunks are kept as they came and copied once, into a buffer of the right size.
        let mut chunks = Vec::new();
        let mut len = 0usize;
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            len += chunk.len();
            if len as u64 > limit {
                return Ok(Err("app-err-file-too-large"));
            }
            if len as u64 > room {
                return Ok(Err("app-err-total-too-large"));
            }
            chunks.push(chunk);
        }
        room = room.saturating_sub(len as u64);
        // A file input left empty sends a part with no name and no bytes.
        if len > 0 {
            let mut data = Vec::with_capacity(len);
            for chunk in &chunks {
                data.extend_from_slice(chunk);
            }
            files.push((field_kind, name, data));
        }
    }
    ctx.check_csrf(&csrf)?;
    if files.is_empty() {
        return Ok(Err("app-err-upload-empty"));
    }
    let slots = document_slots(ctx, campaign, a, docs);
    for (file_kind, _, _) in &files {
        let Some(slot) = slots.iter().find(|s| &s.kind == file_kind) else {
            return Ok(Err("app-err-upload-kind"));
        };
        let chosen = files.iter().filter(|(k, _, _)| k == file_kind).count();
        if slot.files.len() + chosen > usize::from(slot.max_files) {
            return Ok(Err("app-err-upload-enough"));
        }
    }
    let mut total = attached;
    let mut checked = Vec::with_capacity(files.len());
    for (file_kind, name, data) in files {
        match campaign.attachments.check_upload(
            &data[..data.len().min(64)],
            data.len() as u64,
            total,
        ) {
            Ok(format) => {
                total += data.len() as u64;
                checked.push((file_kind, name, data, format));
            }
            Err(e) => return Ok(Err(attachment_error_key(e))),
        }
    }
    // The checks and the writes are CPU and disk work: off the async workers, in one hop to a
    // blocking thread for the whole upload.
    let blobs = state.blobs.clone();
    let stored = tokio::task::spawn_blocking(move || -> Result<_, store::StoreError> {
        let mut cleaned = Vec::with_capacity(checked.len());
        for (kind, name, data, format) in checked {
            let is_photo = kind == domain::campaign::DocumentKind::PHOTO_3X4.as_str();
            match crate::images::clean(format, data, is_photo) {
                Ok(clean) => cleaned.push((kind, name, clean, format)),
                // One file refused: none of this upload is written.
                Err(key) => return Ok(Err(key)),
            }
        }
        let bytes: Vec<&[u8]> = cleaned.iter().map(|(_, _, data, _)| &data[..]).collect();
        let blobs = blobs.put_all_blocking(&bytes)?;
        let stored = cleaned
            .into_iter()
            .zip(blobs)
            .map(|((kind, name, _, format), blob)| CheckedUpload {
                kind,
                name,
                blob,
                format,
            })
            .collect();
        Ok(Ok(stored))
    })
    .await
    .map_err(|e| AppError::internal("upload check", e))??;
    Ok(stored)
}

/// Removes the stored files of an upload that will not be attached (one before them failed).
pub(crate) async fn discard_uploads(state: &AppState, rest: impl Iterator<Item = CheckedUpload>) {
    for u in rest {
        let _ = state.blobs.delete(&u.blob.key).await;
    }
}

/// The outcome of attaching a stored file: on failure the file is removed again, so that a
/// file never outlives a row that was not written.
pub(crate) async fn keep_or_discard(
    state: &AppState,
    blob: &store::StoredBlob,
    attached: Result<i64, store::StoreError>,
) -> AppResult<i64> {
    match attached {
        Ok(id) => Ok(id),
        Err(e) => {
            let _ = state.blobs.delete(&blob.key).await;
            Err(e.into())
        }
    }
}

pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let user = parent(&ctx)?;
    let (a, docs) = owned_with_documents(&state, user, id).await?;
    if !is_editable(&a) {
        return Err(AppError::NotFound);
    }
    let campaign = campaign_by_id(&state, a.campaign_id).await?;
    let uploads = match read_upload(&state, &ctx, &mut multipart, &campaign, &a, &docs).await? {
        Ok(u) => u,
        Err(key) => return Ok(back(id, key)),
    };
    // All or none, as they were checked: one transaction attaches every file of the upload.
    let attach: Vec<store::applications::DocumentUpload<'_>> = uploads
        .iter()
        .map(|u| store::applications::DocumentUpload {
            kind: &u.kind,
            blob: &u.blob,
            original_name: &u.name,
            content_type: u.format.mime_type(),
        })
        .collect();
    let attached = state
        .store
        .add_documents(id, user.person.id, &attach, &ctx.source, Utc::now())
        .await;
    drop(attach);
    if let Err(e) = attached {
        discard_uploads(&state, uploads.into_iter()).await;
        return Err(e.into());
    }
    Ok(Redirect::to(&format!("/applications/{id}#documents")).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn remove_document(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, doc)): Path<(i64, i64)>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    let user = parent(&ctx)?;
    let key = state
        .store
        .remove_document(id, user.person.id, doc, &ctx.source, Utc::now())
        .await?;
    state.blobs.delete(&key).await?;
    Ok(Redirect::to(&format!("/applications/{id}#documents")).into_response())
}

/// Shows a document to its parent. Only PDF, JPEG and PNG are ever stored (checked by content),
/// and they are served with their checked type, `nosniff` and a sandbox, never as HTML.
pub async fn view_document(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, doc)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let user = parent(&ctx)?;
    owned(&state, user, id).await?;
    serve_document(&state, id, doc).await
}

/// A receipt or refusal issued on the parent's application.
pub async fn issued_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, doc)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let user = parent(&ctx)?;
    owned(&state, user, id).await?;
    crate::routes::school::issued_pdf_of(&state, id, doc).await
}

pub async fn serve_document(
    state: &AppState,
    application_id: i64,
    doc: i64,
) -> AppResult<Response> {
    let d = state
        .store
        .documents(application_id)
        .await?
        .into_iter()
        .find(|d| d.id == doc)
        .ok_or(AppError::NotFound)?;
    let data = state.blobs.get(&d.storage_key).await?;
    let content_type = match d.content_type.as_str() {
        "application/pdf" | "image/jpeg" | "image/png" => d.content_type.clone(),
        _ => "application/octet-stream".into(),
    };
    let mut r = data.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(r)
}

/// The document the parent signs: the form and the SHA-256 of every file, in a fixed order.
/// The server rebuilds it at submission, so a signature over anything else is refused.
pub fn signed_document(a: &ApplicationRecord, parent_iin: &str, docs: &[DocumentRecord]) -> String {
    let mut files: Vec<serde_json::Value> = docs
        .iter()
        .map(|d| serde_json::json!({ "kind": d.kind, "sha256": d.sha256, "size": d.size_bytes }))
        .collect();
    files.sort_by(|x, y| x.to_string().cmp(&y.to_string()));
    // serde_json's map keeps keys sorted, so the text is the same every time it is built.
    serde_json::json!({
        "service": "mektep",
        "document": "application",
        "application_id": a.id,
        "campaign_id": a.campaign_id,
        "parent_iin": parent_iin,
        "child": {
            "iin": a.child_iin,
            "surname": a.child_surname,
            "given_name": a.child_given_name,
            "patronymic": a.child_patronymic,
            "birth_date": a.child_birth_date,
            "citizenship": a.citizenship,
            "born_abroad": a.born_abroad,
            "special_needs": a.special_needs,
        },
        "relation": a.relation,
        "address": { "street_id": a.street_id, "house": a.house, "flat": a.flat },
        "school_id": a.school_id,
        "language": a.language,
        "grade": a.grade,
        "study_form": a.study_form,
        "age_confirmed": a.age_confirmed,
        "documents": files,
    })
    .to_string()
}

#[derive(Template)]
#[template(path = "application_review.html")]
struct ReviewPage<'a> {
    ctx: &'a Ctx,
    a: &'a ApplicationRecord,
    school: String,
    slots: Vec<DocumentSlot>,
    missing: Vec<String>,
    window_error: Option<String>,
    document_base64: String,
    submit_key: String,
}

/// What stands between an application and its submission, with what the check loaded.
struct Readiness {
    campaign: std::sync::Arc<Campaign>,
    docs: Vec<DocumentRecord>,
    slots: Vec<DocumentSlot>,
    /// Titles of document kinds still short of files.
    missing: Vec<String>,
    /// Why the campaign's window does not take it today.
    window_error: Option<String>,
}

async fn readiness(
    state: &AppState,
    ctx: &Ctx,
    a: &ApplicationRecord,
    docs: Vec<DocumentRecord>,
) -> AppResult<Readiness> {
    let campaign = campaign_by_id(state, a.campaign_id).await?;
    let slots = document_slots(ctx, &campaign, a, &docs);
    let missing = slots
        .iter()
        .filter(|s| !s.complete)
        .map(|s| s.title.clone())
        .collect();
    let today = local_time(Utc::now()).date();
    let grade = u8::try_from(a.grade)
        .ok()
        .and_then(|g| Grade::try_from(g).ok())
        .unwrap_or(Grade::FIRST);
    let window_error = campaign
        .is_open_for(grade, today)
        .err()
        .map(|e| domain_message(&ctx.tr, e.message_key(), &e.message_args()));
    Ok(Readiness {
        campaign,
        docs,
        slots,
        missing,
        window_error,
    })
}

fn status_of(a: &ApplicationRecord) -> AppResult<ApplicationStatus> {
    ApplicationStatus::parse(&a.status).map_err(|e| AppError::internal("status", format!("{e:?}")))
}

/// A change the parent makes to their own application, from the state they saw.
async fn parent_transition(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    id: i64,
    (from, to): (ApplicationStatus, ApplicationStatus),
    action: &str,
    effect: Effect<'_>,
    notifications: &(dyn Fn(Option<&str>) -> Vec<store::outbox::OutboxMessage> + Sync),
) -> AppResult<TransitionOutcome> {
    let actor = ctx.actor();
    let t = Transition {
        application_id: id,
        scope: Scope::Parent(user.person.id),
        from: from.as_str(),
        to: to.as_str(),
        actor_id: Some(user.person.id),
        actor: &actor,
        action,
        source: &ctx.source,
        effect,
        notifications,
        issues: None,
    };
    Ok(state.store.transition_application(&t, Utc::now()).await?)
}

pub async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let user = parent(&ctx)?;
    let (a, docs) = owned_with_documents(&state, user, id).await?;
    if !is_editable(&a) {
        return Ok(Redirect::to(&format!("/applications/{id}")).into_response());
    }
    let Readiness {
        docs,
        slots,
        missing,
        window_error,
        ..
    } = readiness(&state, &ctx, &a, docs).await?;
    let school = match a.school_id {
        Some(s) => crate::service::school(&state, s)
            .await?
            .name(ctx.lang.code())
            .to_owned(),
        None => String::new(),
    };
    let document = signed_document(&a, &user.person.iin, &docs);
    let page = ReviewPage {
        ctx: &ctx,
        a: &a,
        school,
        slots,
        missing,
        window_error,
        document_base64: base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            document.as_bytes(),
        ),
        // One key per review page: a double click or a retry sends the same key, and the
        // store registers the submission once.
        submit_key: store::random_token(16),
    };
    Ok(render(&ctx, &page))
}

#[derive(Deserialize)]
pub struct SubmitForm {
    csrf: String,
    submit_key: String,
    #[serde(default)]
    cms: String,
    demo_sign: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<SubmitForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    let user = parent(&ctx)?;
    let (a, docs) = owned_with_documents(&state, user, id).await?;
    let status = status_of(&a)?;
    // A repeated submission (double click, retry) lands on the registered application.
    if a.submit_key.as_deref() == Some(f.submit_key.as_str())
        && status == ApplicationStatus::Submitted
    {
        return Ok(
            Redirect::to(&format!("/applications/{id}?notice=notice-submitted")).into_response(),
        );
    }
    let action = if status == ApplicationStatus::Returned {
        Action::Resubmit
    } else {
        Action::Submit
    };
    let Ok(next) = transition(status, action, ActorKind::Parent) else {
        return Ok(Redirect::to(&format!("/applications/{id}")).into_response());
    };
    let ready = readiness(&state, &ctx, &a, docs).await?;
    if ready.window_error.is_some() {
        return Ok(Redirect::to(&format!("/applications/{id}/review")).into_response());
    }
    if !ready.missing.is_empty() {
        return Ok(back(id, "app-err-documents-missing"));
    }
    let document = signed_document(&a, &user.person.iin, &ready.docs);
    let cms = if f.demo_sign.is_some() && state.config.demo {
        crate::eds::demo_signature(&state, &user.person.iin, &document)?
    } else {
        f.cms.clone()
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
            tracing::info!(reason = %r.detail, "application signature refused");
            let key = if r.message_key == "pki-err-message-digest-mismatch"
                || r.message_key == "pki-err-content-mismatch"
            {
                "app-err-changed-since-signing"
            } else {
                r.message_key
            };
            return Ok(Redirect::to(&format!("/applications/{id}?error={key}")).into_response());
        }
    };
    if verified.signer.iin.as_deref() != Some(user.person.iin.as_str()) {
        return Ok(
            Redirect::to(&format!("/applications/{id}?error=app-err-signed-by-other"))
                .into_response(),
        );
    }
    let calendar = working_calendar(&state).await?;
    let local = local_time(Utc::now());
    let received_on = calendar.receipt_day(local);
    let deadline = calendar.add_working_days(local, ready.campaign.receipt_deadline_working_days);
    let url = format!("{}/applications/{id}", state.config.public_url);
    let tell = |number: Option<&str>| {
        let event = NotificationEvent::Submitted {
            number: number.unwrap_or_default().to_owned(),
            deadline,
            url: url.clone(),
        };
        notices::to_person(&event, &user.person)
    };
    let effect = Effect::Submit {
        submit_key: &f.submit_key,
        signed_document: &document,
        signature_cms: &cms,
        received_on,
        deadline,
    };
    let outcome = parent_transition(
        &state,
        &ctx,
        user,
        id,
        (status, next),
        "submit",
        effect,
        &tell,
    )
    .await?;
    let target = match outcome {
        TransitionOutcome::Done { .. } | TransitionOutcome::AlreadyDone { .. } => {
            format!("/applications/{id}?notice=notice-submitted")
        }
        TransitionOutcome::StateChanged { .. } => format!("/applications/{id}"),
    };
    Ok(Redirect::to(&target).into_response())
}

pub async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&f.csrf)?;
    let user = parent(&ctx)?;
    let a = owned(&state, user, id).await?;
    let status = status_of(&a)?;
    let Ok(next) = transition(status, Action::Withdraw, ActorKind::Parent) else {
        return Ok(Redirect::to(&format!("/applications/{id}")).into_response());
    };
    parent_transition(
        &state,
        &ctx,
        user,
        id,
        (status, next),
        "withdraw",
        Effect::None,
        &no_notifications,
    )
    .await?;
    Ok(Redirect::to(&format!("/applications/{id}?notice=notice-withdrawn")).into_response())
}
