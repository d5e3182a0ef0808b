//! Rate limits on the requests that cost the service (or a person) something when repeated:
//! sign-in challenges and signatures (each is a certificate check), contact changes and SMS codes
//! (each sends an SMS, and a code must not be guessed), and uploads (each is read and checked).
//! A token bucket per client address, and per session cookie when there is one, kept in memory:
//! after a restart everyone starts with a full bucket, which is harmless.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ctx::{SESSION_COOKIE, cookie};
use crate::error::AppError;
use crate::state::AppState;

/// A bucket of `burst` requests, refilled at `per_hour`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub burst: u32,
    pub per_hour: u32,
}

/// The limits of each kind of request (configurable; see the README).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimits {
    /// `POST /auth/challenge`, `/auth/login`, `/login/demo`.
    pub sign_in: Rate,
    /// `POST /cabinet/contacts` (sends an SMS code) and `/cabinet/confirm-phone` (checks one).
    pub sms: Rate,
    /// Document and scan uploads.
    pub upload: Rate,
}

impl Default for RateLimits {
    fn default() -> Self {
        // Per address the limits must allow a mobile operator's shared address (carrier-grade
        // NAT puts thousands of phones behind one), in the opening minute of a campaign: sign-in
        // and uploads are generous, because each needs a valid signature or a signed-in parent and
        // the overload limiter guards the capacity; SMS codes cost money and can be guessed.
        RateLimits {
            sign_in: Rate {
                burst: 1000,
                per_hour: 36_000,
            },
            sms: Rate {
                burst: 20,
                per_hour: 120,
            },
            upload: Rate {
                burst: 2000,
                per_hour: 72_000,
            },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    SignIn,
    Sms,
    Upload,
}

/// Which limited kind a request is, by its route.
fn kind_of(method: &Method, path: &str) -> Option<Kind> {
    if method != Method::POST {
        return None;
    }
    match path {
        "/auth/challenge" | "/auth/login" | "/login/demo" => return Some(Kind::SignIn),
        "/cabinet/contacts" | "/cabinet/confirm-phone" => return Some(Kind::Sms),
        _ => {}
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["applications", _, "documents"] | ["school", "applications", _, "scans"] => {
            Some(Kind::Upload)
        }
        _ => None,
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of all clients; one per router.
#[derive(Clone, Default)]
pub struct Limiter {
    buckets: Arc<Mutex<HashMap<(Kind, String), Bucket>>>,
}

/// Above this many buckets, full ones are forgotten (they would allow the burst anyway).
const MAX_BUCKETS: usize = 100_000;

impl Limiter {
    /// Takes one token; `Err` is how many seconds until one is back.
    fn take(&self, kind: Kind, key: String, rate: Rate, now: Instant) -> Result<(), u64> {
        let per_second = f64::from(rate.per_hour.max(1)) / 3600.0;
        let burst = f64::from(rate.burst.max(1));
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > MAX_BUCKETS {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < burst
            });
        }
        let b = buckets.entry((kind, key)).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_second).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The client's address: the peer's, or behind a reverse proxy that is trusted to say so, the
/// last address of `X-Forwarded-For` (the one the proxy itself appended; earlier ones are
/// whatever the client wrote).
pub(crate) fn client_address(
    peer: &str,
    headers: &axum::http::HeaderMap,
    trust_forwarded: bool,
) -> String {
    if trust_forwarded
        && let Some(last) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|a| a.parse::<std::net::IpAddr>().is_ok())
            .last()
    {
        return last.to_owned();
    }
    peer.to_owned()
}

/// Middleware: refuses a limited request over its client's budget with 429 and `Retry-After`.
pub async fn limit(
    State((state, limiter)): State<(AppState, Limiter)>,
    request: Request,
    next: Next,
) -> Response {
    let Some(kind) = kind_of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let limits = &state.config.rate_limits;
    let rate = match kind {
        Kind::SignIn => limits.sign_in,
        Kind::Sms => limits.sms,
        Kind::Upload => limits.upload,
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let address = client_address(&peer, request.headers(), state.config.trust_forwarded_for);
    let now = Instant::now();
    let mut keys = vec![format!("ip:{address}")];
    if let Some(session) = cookie(request.headers(), SESSION_COOKIE) {
        keys.push(format!("session:{}", store::sha256_hex(session.as_bytes())));
    }
    for key in keys {
        if let Err(wait) = limiter.take(kind, key, rate, now) {
            tracing::warn!(?kind, %address, "rate limit reached");
            let mut response = AppError::TooManyRequests.into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return response;
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let l = Limiter::default();
        let rate = Rate {
            burst: 3,
            per_hour: 3600,
        };
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.take(Kind::Sms, "a".into(), rate, t0), Ok(()));
        }
        assert_eq!(l.take(Kind::Sms, "a".into(), rate, t0), Err(1));
        assert_eq!(
            l.take(Kind::Sms, "b".into(), rate, t0),
            Ok(()),
            "another client has its own bucket"
        );
        assert_eq!(
            l.take(Kind::Upload, "a".into(), rate, t0),
            Ok(()),
            "another kind has its own bucket"
        );
        let later = t0 + Duration::from_secs(1);
        assert_eq!(l.take(Kind::Sms, "a".into(), rate, later), Ok(()));
    }

    #[test]
    fn behind_a_trusted_proxy_the_address_it_appended_counts() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.7"),
        );
        assert_eq!(client_address("127.0.0.1", &h, true), "203.0.113.7");
        assert_eq!(client_address("127.0.0.1", &h, false), "127.0.0.1");
        let empty = axum::http::HeaderMap::new();
        assert_eq!(client_address("10.0.0.2", &empty, true), "10.0.0.2");
    }

    #[test]
    fn the_limited_routes_are_recognised() {
        assert_eq!(
            kind_of(&Method::POST, "/auth/challenge"),
            Some(Kind::SignIn)
        );
        assert_eq!(
            kind_of(&Method::POST, "/cabinet/confirm-phone"),
            Some(Kind::Sms)
        );
        assert_eq!(
            kind_of(&Method::POST, "/applications/7/documents"),
            Some(Kind::Upload)
        );
        assert_eq!(
            kind_of(&Method::POST, "/school/applications/7/scans"),
            Some(Kind::Upload)
        );
        assert_eq!(kind_of(&Method::GET, "/applications/7/documents/1"), None);
        assert_eq!(kind_of(&Method::POST, "/applications/7/submit"), None);
    }
}
