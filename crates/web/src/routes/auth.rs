//! Signing in and out. A person signs a fresh server challenge with their AUTH key through
//! NCALayer; the server verifies it, then opens a session for the person the certificate
//! names. Staff rights come only from roles an administrator granted to that IIN.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use chrono::{Duration, Utc};
use pki::Purpose;
use pki::testca::CmsSigner;
use serde::Deserialize;

use crate::ctx::{Ctx, SESSION_COOKIE, User};
use crate::eds::{self, SignatureRefused};
use crate::error::{AppError, AppResult};
use crate::pages::{render, set_cookie};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    demo_people: Vec<(usize, String, String)>,
    error: Option<String>,
}

pub async fn login_page(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    if let Some(user) = &ctx.user {
        return Ok(Redirect::to(home_of(user)).into_response());
    }
    Ok(render_login(&state, &ctx, None))
}

fn render_login(state: &AppState, ctx: &Ctx, error: Option<String>) -> Response {
    let demo_people = state
        .demo_people
        .iter()
        .enumerate()
        .map(|(i, p)| (i, ctx.t(p.role_key), p.name.clone()))
        .collect();
    render(
        ctx,
        &LoginPage {
            ctx,
            demo_people,
            error,
        },
    )
}

/// Where a person lands after signing in.
pub fn home_of(user: &User) -> &'static str {
    if user.is_admin() {
        "/admin"
    } else if user.staff_school().is_some() {
        "/school"
    } else {
        "/cabinet"
    }
}

fn csrf_header(headers: &HeaderMap) -> &str {
    headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// What a person signs to sign in: the service's name and the challenge.
fn login_text(id: &str) -> String {
    format!("mektep-login:{id}")
}

/// A fresh challenge for NCALayer to sign (JSON, for the page's script).
pub async fn challenge(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
) -> AppResult<Response> {
    ctx.check_csrf(csrf_header(&headers))?;
    let c = eds::issue_challenge(&state, "login", login_text);
    Ok(Json(serde_json::json!({ "id": c.id, "data": eds::challenge_base64(&c), "expires_at": c.expires_at })).into_response())
}

#[derive(Deserialize)]
pub struct EdsLogin {
    challenge_id: String,
    cms: String,
}

fn refusal_json(ctx: &Ctx, r: &SignatureRefused) -> Response {
    tracing::info!(reason = %r.detail, "signature refused");
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(serde_json::json!({ "error": r.message_key, "message": ctx.t(r.message_key) })),
    )
        .into_response()
}

pub async fn eds_login(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Json(body): Json<EdsLogin>,
) -> AppResult<Response> {
    ctx.check_csrf(csrf_header(&headers))?;
    let (verified, challenge) = match eds::verify_challenge(
        &state,
        &body.challenge_id,
        "login",
        login_text,
        &body.cms,
        Purpose::Login,
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return Ok(refusal_json(&ctx, &r)),
    };
    let (user, mut response) = match open_session(&state, &ctx, &verified, &challenge).await? {
        Ok(opened) => opened,
        Err(r) => return Ok(refusal_json(&ctx, &r)),
    };
    let target = home_of(&user);
    *response.body_mut() =
        axum::body::Body::from(serde_json::json!({ "redirect": target }).to_string());
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct DemoLogin {
    csrf: String,
    person: usize,
}

/// Demo mode only: the server signs the challenge with the demo person's key, and the result
/// goes through exactly the verification a real signature does.
pub async fn demo_login(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<DemoLogin>,
) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    let person = state
        .demo_people
        .get(form.person)
        .ok_or(AppError::NotFound)?;
    let c = eds::issue_challenge(&state, "login", login_text);
    let signer =
        CmsSigner::from_issued(&person.auth).map_err(|e| AppError::internal("demo key", e))?;
    let cms = signer
        .sign(c.payload.as_bytes(), true)
        .map_err(|e| AppError::internal("demo signing", e))?;
    let cms = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, cms);
    let opened =
        match eds::verify_challenge(&state, &c.id, "login", login_text, &cms, Purpose::Login).await
        {
            Ok((verified, challenge)) => open_session(&state, &ctx, &verified, &challenge).await?,
            Err(r) => Err(r),
        };
    let (user, mut response) = match opened {
        Ok(opened) => opened,
        // The same answer a real signature gets (e.g. revocation status unknown because the
        // configured OCSP responder does not answer), on the login page.
        Err(r) => {
            tracing::info!(reason = %r.detail, "demo signature refused");
            let page = render_login(&state, &ctx, Some(ctx.t(r.message_key)));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().insert(
        axum::http::header::LOCATION,
        axum::http::HeaderValue::from_static(home_of(&user)),
    );
    Ok(response)
}

/// Creates (or updates) the person and a new session; an older session of this browser is
/// ended, so a session id fixed before sign-in is worthless after it. The challenge is used up
/// in the same transaction: a replayed one opens nothing.
async fn open_session(
    state: &AppState,
    ctx: &Ctx,
    verified: &pki::VerifiedSignature,
    challenge: &store::Challenge,
) -> AppResult<Result<(User, Response), eds::SignatureRefused>> {
    let signer = &verified.signer;
    let iin = signer
        .iin
        .as_deref()
        .ok_or(AppError::BadRequest("auth-no-iin"))?;
    let surname = signer.surname.clone().unwrap_or_default();
    let given = signer.given_name.clone().unwrap_or_default();
    let now = Utc::now();
    let token = store::random_token(32);
    let csrf_secret = store::random_token(16);
    let signed_in = state
        .store
        .sign_in(
            &store::Signer {
                iin,
                surname: &surname,
                given_name: &given,
                patronymic: signer.patronymic.as_deref(),
                language: ctx.lang.code(),
            },
            &store::NewSession {
                token: &token,
                csrf_secret: &csrf_secret,
                absolute_ttl: Duration::hours(state.config.session_absolute_hours),
                answers: Some(challenge),
            },
            ctx.user.as_ref().map(|old| old.session_token.as_str()),
            &ctx.source,
            now,
        )
        .await?;
    let (person, roles) = match signed_in {
        Ok(signed_in) => signed_in,
        Err(refusal) => return Ok(Err(eds::challenge_refused(refusal))),
    };
    let user = User {
        person,
        roles,
        session_token: token.clone(),
    };
    let mut response = StatusCode::OK.into_response();
    set_cookie(
        &mut response,
        SESSION_COOKIE,
        &token,
        None,
        state.config.cookie_secure,
    );
    Ok(Ok((user, response)))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CsrfOnly>,
) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    if let Some(user) = &ctx.user {
        state.store.delete_session(&user.session_token).await?;
    }
    let mut response = Redirect::to("/").into_response();
    set_cookie(
        &mut response,
        SESSION_COOKIE,
        "",
        Some(0),
        state.config.cookie_secure,
    );
    Ok(response)
}
