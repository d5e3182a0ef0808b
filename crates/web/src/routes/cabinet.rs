//! The parent's personal cabinet (жеке кабинет): contacts confirmed at the first sign-in, and
//! the list of their applications. Also the demo-only page of outgoing messages.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use domain::ids::{Email, Phone};
use notify::{NotificationEvent, Recipient};
use rand::Rng;
use serde::Deserialize;
use store::ContactConfirmation;
use store::applications::ApplicationRecord;
use store::outbox::OutboxFilter;

use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::notices;
use crate::pages::render;
use crate::state::AppState;

/// A parent's view of one application in the list.
pub struct ApplicationRow {
    pub id: i64,
    pub number: String,
    pub child: String,
    pub status: String,
    pub status_label: String,
    pub deadline: String,
}

#[derive(Template)]
#[template(path = "cabinet.html")]
struct CabinetPage<'a> {
    ctx: &'a Ctx,
    email: String,
    email_confirmed: bool,
    pending_email: Option<String>,
    phone: String,
    phone_confirmed: bool,
    pending_phone: Option<String>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    applications: Vec<ApplicationRow>,
}

pub fn row(ctx: &Ctx, a: &ApplicationRecord) -> ApplicationRow {
    let status_label = domain::application::ApplicationStatus::parse(&a.status)
        .map(|s| ctx.t(s.label_key()))
        .unwrap_or_else(|_| a.status.clone());
    ApplicationRow {
        id: a.id,
        number: a.number.clone().unwrap_or_else(|| ctx.t("app-no-number")),
        child: a.child_full_name(),
        status: a.status.clone(),
        status_label,
        deadline: a
            .deadline
            .map(|d| d.format("%d.%m.%Y").to_string())
            .unwrap_or_default(),
    }
}

#[derive(Deserialize, Default)]
pub struct Notice {
    notice: Option<String>,
}

async fn cabinet_page(
    state: &AppState,
    ctx: &Ctx,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> AppResult<Response> {
    let user = ctx.require_user()?;
    let p = &user.person;
    let now = Utc::now();
    let applications = state
        .store
        .applications_of_parent(p.id)
        .await?
        .iter()
        .map(|a| row(ctx, a))
        .collect();
    let page = CabinetPage {
        ctx,
        email: p.email.clone().unwrap_or_default(),
        email_confirmed: p.email_confirmed_at.is_some(),
        pending_email: state.store.pending_contact(p.id, "email", now).await?,
        phone: pretty_phone(p.phone.as_deref().unwrap_or_default()),
        phone_confirmed: p.phone_confirmed_at.is_some(),
        pending_phone: state
            .store
            .pending_contact(p.id, "phone", now)
            .await?
            .map(|ph| pretty_phone(&ph)),
        errors,
        notice,
        applications,
    };
    Ok(render(ctx, &page))
}

pub async fn cabinet(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Notice>,
) -> AppResult<Response> {
    // Staff come here too, for their own contacts (the daily summary goes to their e-mail);
    // the page shows them no application list.
    let notice = q
        .notice
        .filter(|k| k.starts_with("notice-"))
        .map(|k| ctx.t(&k));
    cabinet_page(&state, &ctx, Vec::new(), notice).await
}

#[derive(Deserialize)]
pub struct ContactsForm {
    csrf: String,
    email: String,
    phone: String,
}

/// Starts confirming a changed e-mail (a link) and phone (a six-digit code by SMS).
pub async fn save_contacts(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<ContactsForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    let user = ctx.require_user()?;
    let p = &user.person;
    let mut errors = Vec::new();
    let email = Email::parse(&form.email)
        .map_err(|e| errors.push(("email".to_owned(), ctx.t(e.message_key()))))
        .ok();
    let phone = Phone::parse(&form.phone)
        .map_err(|e| errors.push(("phone".to_owned(), ctx.t(e.message_key()))))
        .ok();
    if !errors.is_empty() {
        return cabinet_page(&state, &ctx, errors, None).await;
    }
    let now = Utc::now();
    let lang = ctx.lang.code();
    if let Some(email) = email
        && p.email.as_deref() != Some(email.as_str())
    {
        let token = store::random_token(24);
        let expires = now + Duration::hours(48);
        let link = format!(
            "{}/cabinet/confirm-email?token={token}",
            state.config.public_url
        );
        let to = Recipient {
            email: Some(email.as_str().to_owned()),
            phone: None,
        };
        let told = notices::messages(
            &NotificationEvent::ContactEmailConfirmation { link },
            &to,
            lang,
        );
        state
            .store
            .start_contact_confirmation(
                p.id,
                "email",
                email.as_str(),
                &store::sha256_hex(token.as_bytes()),
                now,
                expires,
                &told,
            )
            .await?;
    }
    if let Some(phone) = phone
        && p.phone.as_deref() != Some(phone.as_str())
    {
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let expires = now + Duration::minutes(15);
        let to = Recipient {
            email: None,
            phone: Some(phone.as_str().to_owned()),
        };
        let told = notices::messages(
            &NotificationEvent::ContactPhoneCode { code: code.clone() },
            &to,
            lang,
        );
        state
            .store
            .start_contact_confirmation(
                p.id,
                "phone",
                phone.as_str(),
                &store::sha256_hex(code.as_bytes()),
                now,
                expires,
                &told,
            )
            .await?;
    }
    Ok(Redirect::to("/cabinet?notice=notice-contacts-sent").into_response())
}

#[derive(Deserialize)]
pub struct EmailToken {
    token: String,
}

pub async fn confirm_email(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<EmailToken>,
) -> AppResult<Response> {
    let user = ctx.require_user()?;
    let outcome = state
        .store
        .confirm_contact(
            user.person.id,
            "email",
            &store::sha256_hex(q.token.trim().as_bytes()),
            5,
            &ctx.source,
            Utc::now(),
        )
        .await?;
    let notice = match outcome {
        ContactConfirmation::Confirmed => "notice-email-confirmed",
        _ => "notice-email-link-invalid",
    };
    Ok(Redirect::to(&format!("/cabinet?notice={notice}")).into_response())
}

#[derive(Deserialize)]
pub struct PhoneCode {
    csrf: String,
    code: String,
}

pub async fn confirm_phone(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PhoneCode>,
) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    let user = ctx.require_user()?;
    let code: String = form.code.chars().filter(|c| c.is_ascii_digit()).collect();
    let outcome = state
        .store
        .confirm_contact(
            user.person.id,
            "phone",
            &store::sha256_hex(code.as_bytes()),
            5,
            &ctx.source,
            Utc::now(),
        )
        .await?;
    let error = match outcome {
        ContactConfirmation::Confirmed => {
            return Ok(Redirect::to("/cabinet?notice=notice-phone-confirmed").into_response());
        }
        ContactConfirmation::Wrong => "contact-code-wrong",
        ContactConfirmation::TooManyAttempts => "contact-code-too-many",
        ContactConfirmation::NothingPending => "contact-code-expired",
    };
    cabinet_page(&state, &ctx, vec![("code".into(), ctx.t(error))], None).await
}

pub struct OutboxRow {
    pub at: String,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "dev_outbox.html")]
struct DevOutboxPage<'a> {
    ctx: &'a Ctx,
    messages: Vec<OutboxRow>,
}

/// Demo mode only: what would have been sent by e-mail and SMS, newest first.
pub async fn dev_outbox(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    if !state.config.demo {
        return Err(AppError::NotFound);
    }
    let messages = state
        .store
        .outbox_log(&OutboxFilter::default(), 100)
        .await?
        .into_iter()
        .map(|m| OutboxRow {
            at: crate::service::local_time(m.created_at)
                .format("%d.%m.%Y %H:%M:%S")
                .to_string(),
            channel: ctx.t(&format!("outbox-channel-{}", m.channel.as_str())),
            recipient: m.recipient,
            subject: m.subject,
            body: m.body,
            status: ctx.t(&format!("outbox-status-{}", m.status.as_str())),
        })
        .collect();
    Ok(render(
        &ctx,
        &DevOutboxPage {
            ctx: &ctx,
            messages,
        },
    ))
}

/// `+7 701 234 56 78`, as people write it; stored numbers are normalised `+77012345678`.
fn pretty_phone(stored: &str) -> String {
    Phone::parse(stored)
        .map(|p| p.display_pretty())
        .unwrap_or_else(|_| stored.to_owned())
}
