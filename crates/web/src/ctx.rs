//! The request context every page handler takes: language, the signed-in person and their
//! staff roles, the CSRF token for forms, and the request id.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use store::{Person, StaffRole, StaffRoleKind};

use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "mektep_session";
pub const ANON_COOKIE: &str = "mektep_anon";
pub const LANG_COOKIE: &str = "mektep_lang";

/// The signed-in person.
#[derive(Clone, Debug)]
pub struct User {
    pub person: Person,
    pub roles: Vec<StaffRole>,
    pub session_token: String,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.roles
            .iter()
            .any(|r| r.kind() == Some(StaffRoleKind::Admin))
    }

    /// The school this person works for as clerk or director, if any.
    pub fn staff_school(&self) -> Option<i64> {
        self.roles
            .iter()
            .find(|r| {
                matches!(
                    r.kind(),
                    Some(StaffRoleKind::Clerk | StaffRoleKind::Director)
                )
            })
            .and_then(|r| r.school_id)
    }

    pub fn is_director_of(&self, school_id: i64) -> bool {
        self.roles
            .iter()
            .any(|r| r.kind() == Some(StaffRoleKind::Director) && r.school_id == Some(school_id))
    }

    pub fn is_staff(&self) -> bool {
        !self.roles.is_empty()
    }
}

#[derive(Clone, Debug)]
pub struct Ctx {
    pub lang: Lang,
    pub tr: Tr,
    pub user: Option<User>,
    /// Token to put in every form of this page.
    pub csrf: String,
    /// A fresh anonymous id to set as a cookie (first visit), so that anonymous forms such
    /// as sign-in carry a CSRF token too.
    pub new_anon: Option<String>,
    pub request_id: String,
    /// Path and query of this page, for the language switcher's return link.
    pub path: String,
    /// Client address, for the audit log.
    pub source: String,
    pub demo: bool,
    /// Cookies this response sets are `Secure` (the service is reached over HTTPS).
    pub secure_cookies: bool,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }

    pub fn ta(&self, key: &str, args: &[(&str, String)]) -> String {
        self.tr.ta(key, args)
    }

    pub fn require_user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or(AppError::SignInRequired)
    }

    /// Checks the token a form or script sent back (constant time).
    pub fn check_csrf(&self, token: &str) -> Result<(), AppError> {
        let same = !self.csrf.is_empty() && same_secret(&self.csrf, token.trim());
        if same { Ok(()) } else { Err(AppError::Csrf) }
    }

    /// The audit actor of this request.
    pub fn actor(&self) -> String {
        match &self.user {
            Some(u) => format!("person:{}", u.person.id),
            None => "anonymous".into(),
        }
    }

    pub fn user_name(&self) -> String {
        self.user
            .as_ref()
            .map(|u| u.person.full_name())
            .unwrap_or_default()
    }

    pub fn is_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_staff())
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_admin())
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Whether two secrets are equal, in a time that does not tell how much of them matched.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub fn csrf_token(key: &[u8], binding: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(binding.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

pub fn request_id(parts: &Parts) -> String {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, AppError> {
        let mut user = None;
        if let Some(token) = session_token(parts) {
            let found = state
                .store
                .signed_in(token, Utc::now(), idle_timeout(state))
                .await?;
            user = User::signed_in(token, found);
        }
        Ok(Ctx::new(parts, state, user))
    }
}

/// The session cookie's token, if the request carries one.
pub fn session_token(parts: &Parts) -> Option<&str> {
    cookie(&parts.headers, SESSION_COOKIE)
}

/// How long a session may go unused before it ends.
pub fn idle_timeout(state: &AppState) -> Duration {
    Duration::minutes(state.config.session_idle_minutes)
}

impl User {
    /// The person signed in with `token`, as the store found them (none if not signed in).
    pub fn signed_in(
        token: &str,
        found: Option<(store::SessionRecord, Person, Vec<StaffRole>)>,
    ) -> Option<User> {
        found.map(|(_session, person, roles)| User {
            person,
            roles,
            session_token: token.to_owned(),
        })
    }
}

impl Ctx {
    /// The context of a request whose signed-in person (if any) is already known: a handler
    /// that reads who is signed in together with its own data builds it itself.
    pub fn new(parts: &Parts, state: &AppState, user: Option<User>) -> Ctx {
        let lang = cookie(&parts.headers, LANG_COOKIE)
            .and_then(Lang::parse)
            .or_else(|| user.as_ref().and_then(|u| Lang::parse(&u.person.language)))
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or_default();
        let mut new_anon = None;
        let binding = match (&user, cookie(&parts.headers, ANON_COOKIE)) {
            (Some(u), _) => format!("s:{}", u.session_token),
            (None, Some(anon)) => format!("a:{anon}"),
            (None, None) => {
                let anon = store::random_token(16);
                let b = format!("a:{anon}");
                new_anon = Some(anon);
                b
            }
        };
        // The audit log's "from where": behind a trusted proxy, the client it names, as the rate
        // limits count it.
        let peer = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "-".into());
        let source = crate::rate_limit::client_address(
            &peer,
            &parts.headers,
            state.config.trust_forwarded_for,
        );
        Ctx {
            lang,
            tr: Tr::new(lang),
            user,
            csrf: csrf_token(&state.csrf_key, &binding),
            new_anon,
            request_id: request_id(parts),
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
            source,
            demo: state.config.demo,
            secure_cookies: state.config.cookie_secure,
        }
    }
}
