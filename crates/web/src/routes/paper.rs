//! The paper channel: a parent hands in the documents at the school's office and the clerk
//! registers the application — the same form, the parent's own data, the paper signature noted —
//! then attaches the scans. From there it is reviewed like any other application, and the
//! receipt is printed.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use domain::application::Grade;
use domain::ids::{Email, Iin, PersonName, Phone};
use notify::NotificationEvent;
use serde::Deserialize;
use store::applications::{PaperSubmission, Scope};

use crate::ctx::{Ctx, User};
use crate::error::{AppError, AppResult};
use crate::i18n::domain_message;
use crate::notices;
use crate::pages::render;
use crate::routes::application::{
    FormChoices, FormFields, discard_uploads, form_choices, keep_or_discard, parse_form,
    read_upload,
};
use crate::service::{campaign_by_id, current_campaign, local_time, working_calendar};
use crate::state::AppState;

fn clerk(ctx: &Ctx) -> AppResult<(&User, i64)> {
    let user = ctx.require_user()?;
    let school = user.staff_school().ok_or(AppError::NotFound)?;
    Ok((user, school))
}

#[derive(Deserialize, Default, Clone)]
pub struct ParentFields {
    #[serde(default)]
    parent_iin: String,
    #[serde(default)]
    parent_surname: String,
    #[serde(default)]
    parent_given_name: String,
    #[serde(default)]
    parent_patronymic: String,
    #[serde(default)]
    parent_phone: String,
    #[serde(default)]
    parent_email: String,
    paper_signature: Option<String>,
}

#[derive(Deserialize)]
pub struct PaperForm {
    #[serde(flatten)]
    parent: ParentFields,
    #[serde(flatten)]
    app: FormFields,
}

#[derive(Template)]
#[template(path = "paper_form.html")]
struct PaperPage<'a> {
    ctx: &'a Ctx,
    p: ParentFields,
    f: FormFields,
    errors: Vec<(String, String)>,
    c: FormChoices,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    school: i64,
    p: ParentFields,
    f: FormFields,
    errors: Vec<(String, String)>,
) -> AppResult<Response> {
    let f = f.for_school(school);
    let c = form_choices(state, ctx, &f).await?;
    Ok(render(
        ctx,
        &PaperPage {
            ctx,
            p,
            f,
            errors,
            c,
        },
    ))
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let (_, school) = clerk(&ctx)?;
    page(
        &state,
        &ctx,
        school,
        ParentFields::default(),
        FormFields::default(),
        Vec::new(),
    )
    .await
}

pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PaperForm>,
) -> AppResult<Response> {
    let (user, school) = clerk(&ctx)?;
    let f = form.app.for_school(school);
    ctx.check_csrf(&f.csrf)?;
    let p = form.parent;
    let (campaign_id, campaign) = current_campaign(&state).await?;
    let mut errors: Vec<(String, String)> = Vec::new();
    let iin = Iin::parse(&p.parent_iin)
        .map_err(|e| errors.push(("parent_iin".into(), ctx.t(e.message_key()))))
        .ok();
    let surname = PersonName::parse(&p.parent_surname)
        .map_err(|e| errors.push(("parent_surname".into(), ctx.t(e.message_key()))))
        .ok();
    let given = PersonName::parse(&p.parent_given_name)
        .map_err(|e| errors.push(("parent_given_name".into(), ctx.t(e.message_key()))))
        .ok();
    let patronymic = if p.parent_patronymic.trim().is_empty() {
        None
    } else {
        PersonName::parse(&p.parent_patronymic)
            .map_err(|e| errors.push(("parent_patronymic".into(), ctx.t(e.message_key()))))
            .ok()
    };
    let phone = Phone::parse(&p.parent_phone)
        .map_err(|e| errors.push(("parent_phone".into(), ctx.t(e.message_key()))))
        .ok();
    let email = if p.parent_email.trim().is_empty() {
        None
    } else {
        Email::parse(&p.parent_email)
            .map_err(|e| errors.push(("parent_email".into(), ctx.t(e.message_key()))))
            .ok()
    };
    if p.paper_signature.is_none() {
        errors.push(("paper_signature".into(), ctx.t("paper-err-signature")));
    }
    let parsed = parse_form(&state, &ctx, &campaign, &f).await?;
    let application = match parsed {
        Ok(a) => Some(a),
        Err(mut e) => {
            errors.append(&mut e);
            None
        }
    };
    let today = local_time(Utc::now()).date();
    let grade = f.grade_value().unwrap_or(Grade::FIRST);
    if let Err(w) = campaign.is_open_for(grade, today) {
        errors.push((
            "grade".into(),
            domain_message(&ctx.tr, w.message_key(), &w.message_args()),
        ));
    }
    let (Some(iin), Some(surname), Some(given), Some(phone), Some(application), true) =
        (iin, surname, given, phone, application, errors.is_empty())
    else {
        return page(&state, &ctx, school, p, f, errors).await;
    };
    let now = Utc::now();
    let parent = state
        .store
        .walk_in_parent(
            iin.as_str(),
            surname.as_str(),
            given.as_str(),
            patronymic.as_ref().map(|n| n.as_str()),
            Some(phone.as_str()),
            email.as_ref().map(|e| e.as_str()),
            ctx.lang.code(),
            now,
        )
        .await?;
    let calendar = working_calendar(&state).await?;
    let local = local_time(now);
    let received_on = calendar.receipt_day(local);
    let deadline = calendar.add_working_days(local, campaign.receipt_deadline_working_days);
    let document = serde_json::json!({
        "service": "mektep",
        "document": "application",
        "channel": "paper",
        "signed_on_paper": true,
        "registered_by": user.person.iin,
        "parent_iin": parent.iin,
        "child_iin": application.child_iin,
        "school_id": school,
    })
    .to_string();
    let url = format!("{}/applications", state.config.public_url);
    let tell = |number: &str| {
        let event = NotificationEvent::Submitted {
            number: number.to_owned(),
            deadline,
            url: url.clone(),
        };
        notices::to_person(&event, &parent)
    };
    let submission = PaperSubmission {
        campaign_id,
        parent_id: parent.id,
        school_id: school,
        clerk_id: user.person.id,
        signed_document: &document,
        received_on,
        deadline,
    };
    match state
        .store
        .create_paper_application(&submission, &application, &tell, &ctx.source, now)
        .await
    {
        Ok((id, _)) => {
            Ok(Redirect::to(&format!("/school/applications/{id}#scans")).into_response())
        }
        Err(store::StoreError::Conflict("child_has_application")) => {
            let msg = ctx.t("app-err-child-has-application-plain");
            page(&state, &ctx, school, p, f, vec![("child_iin".into(), msg)]).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The clerk attaches a scanned document to a paper application.
pub async fn upload_scan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let (user, school) = clerk(&ctx)?;
    let a = state
        .store
        .application(id, Scope::School(school))
        .await?
        .ok_or(AppError::NotFound)?;
    if a.channel != "paper" {
        return Err(AppError::NotFound);
    }
    let campaign = campaign_by_id(&state, a.campaign_id).await?;
    let docs = state.store.documents(id).await?;
    let uploads = match read_upload(&state, &ctx, &mut multipart, &campaign, &a, &docs).await? {
        Ok(u) => u,
        Err(key) => {
            return Ok(
                Redirect::to(&format!("/school/applications/{id}?error={key}#scans"))
                    .into_response(),
            );
        }
    };
    let mut rest = uploads.into_iter();
    while let Some(u) = rest.next() {
        let attached = state
            .store
            .add_paper_document(
                id,
                school,
                user.person.id,
                &u.kind,
                &u.blob,
                &u.name,
                u.format.mime_type(),
                &ctx.source,
                Utc::now(),
            )
            .await;
        if let Err(e) = keep_or_discard(&state, &u.blob, attached).await {
            discard_uploads(&state, rest).await;
            return Err(e);
        }
    }
    Ok(Redirect::to(&format!("/school/applications/{id}#scans")).into_response())
}
