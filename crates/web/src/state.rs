//! What every request handler shares.

use std::sync::Arc;

use pki::Verifier;
use pki::testca::IssuedKey;
use store::{BlobStore, Store};

/// Settings of the web layer (the binary reads them from the config file and environment).
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// The address people open, used in links sent by e-mail and in QR codes.
    pub public_url: String,
    /// Demo mode: demo people sign in with a click and messages show at `/dev/outbox`.
    pub demo: bool,
    /// Mark cookies `Secure`; on whenever the service is reached over HTTPS.
    pub cookie_secure: bool,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub challenge_ttl_seconds: i64,
    /// Largest request body outside uploads.
    pub max_form_bytes: usize,
    /// Largest single upload request (the campaign's limits are checked on top, as it arrives).
    /// The application page sends every chosen file in one request: the default holds every
    /// document of the default limits (20 MiB in all) with room for the form around them.
    pub max_upload_bytes: usize,
    /// Accept AUTH keys for signing an application (NCA issues both; the standard names SIGN).
    pub accept_auth_keys_for_signing: bool,
    /// Limits on sign-in, SMS codes and uploads per client.
    pub rate_limits: crate::rate_limit::RateLimits,
    /// Longest time one request may take, reading its body included.
    pub request_timeout_seconds: u64,
    /// Behind a reverse proxy: rate limits count the address the proxy appends to
    /// `X-Forwarded-For` (otherwise every client would share the proxy's address).
    pub trust_forwarded_for: bool,
    /// Days after which the periodic jobs delete the uploaded documents of refused and
    /// withdrawn applications; 0 keeps them.
    pub retention_refused_and_withdrawn_days: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: "http://127.0.0.1:8080".into(),
            demo: false,
            cookie_secure: false,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            challenge_ttl_seconds: 300,
            max_form_bytes: 64 * 1024,
            max_upload_bytes: 24 * 1024 * 1024,
            accept_auth_keys_for_signing: true,
            rate_limits: Default::default(),
            request_timeout_seconds: 60,
            trust_forwarded_for: false,
            retention_refused_and_withdrawn_days: 0,
        }
    }
}

/// A demo person who signs in with a click; the server holds their keys.
#[derive(Clone, Debug)]
pub struct DemoPerson {
    /// Translation key of the role shown on the login page.
    pub role_key: &'static str,
    pub name: String,
    pub iin: String,
    pub auth: IssuedKey,
    pub sign: IssuedKey,
}

#[derive(Clone)]
pub struct AppState(pub Arc<AppInner>);

pub struct AppInner {
    pub store: Store,
    pub blobs: BlobStore,
    pub verifier: Arc<Verifier>,
    pub config: WebConfig,
    /// Key of the CSRF token MAC; generated once per installation and kept in the database.
    pub csrf_key: Vec<u8>,
    pub demo_people: Vec<DemoPerson>,
    /// Parsed campaigns and the working calendar (see [`crate::service`]).
    pub cache: crate::service::ReferenceCache,
}

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}
