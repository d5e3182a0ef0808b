//! The start page and the language switch.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::ctx::{Ctx, LANG_COOKIE};
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::pages::{render, set_cookie};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
}

pub async fn home(ctx: Ctx) -> AppResult<Response> {
    Ok(render(&ctx, &HomePage { ctx: &ctx }))
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Switches the language and remembers it (a cookie for a year, and the person's profile, so
/// that notifications come in the same language). A link from another site changes only this
/// browser's cookie: it is a GET without a CSRF token, and must not change what a person's
/// notifications are written in.
pub async fn set_language(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<Next>,
) -> AppResult<Response> {
    let lang = Lang::parse(&code).unwrap_or_default();
    // Only a local path: never redirect to another site.
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".into());
    if let Some(user) = ctx
        .user
        .as_ref()
        .filter(|_| !crate::security::is_cross_site(&headers))
    {
        state
            .store
            .set_person_language(user.person.id, lang.code())
            .await?;
    }
    let mut response = Redirect::to(&next).into_response();
    set_cookie(
        &mut response,
        LANG_COOKIE,
        lang.code(),
        Some(365 * 24 * 3600),
        state.config.cookie_secure,
    );
    Ok(response)
}
