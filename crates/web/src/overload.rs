//! Past its capacity the service says so at once: "too many people are applying right now,
//! your draft is saved, try again in a minute" (503 with Retry-After, translated by the error
//! page layer), instead of letting every request queue until it times out.
//!
//! A fixed number of requests is worked on at a time; the others wait their turn in order.
//! A request that cannot start within its wait is refused. Parents already signed in and
//! filling in or submitting an application wait longer than newcomers at the sign-in page, so
//! that under overload the service finishes what it started before taking new people in. A
//! refusal happens before the handler runs, so nothing of a refused request is half done; an
//! acknowledged submission is committed before it is acknowledged.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Requests worked on at once: enough to keep both the CPU and the database busy (requests
/// wait on the database and on signature checks), few enough that each finishes quickly.
const IN_FLIGHT: usize = 64;

/// How long a newcomer (sign-in page, challenge, sign-in) waits for a turn.
const NEWCOMER_WAIT: Duration = Duration::from_millis(150);
/// How long a signed-in parent's step waits for a turn.
const PARENT_WAIT: Duration = Duration::from_millis(1500);

/// What the refusal asks the browser to wait, in seconds.
const RETRY_AFTER_SECONDS: &str = "60";

static TURNS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(IN_FLIGHT));

/// Requests waiting for a turn. When as many wait as are being worked on, a newcomer is
/// refused at once: waiting would only make the answer slower, not different.
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// Counts a waiting request for as long as it waits.
struct Waiting;

impl Waiting {
    fn start() -> Waiting {
        WAITING.fetch_add(1, Ordering::Relaxed);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Cheap answers that never queue: static files and health checks.
fn always_served(path: &str) -> bool {
    path.starts_with("/static/") || path == "/healthz" || path == "/readyz"
}

fn is_newcomer(path: &str) -> bool {
    path == "/" || path == "/login" || path.starts_with("/auth/") || path.starts_with("/login/")
}

static REFUSED: AtomicU64 = AtomicU64::new(0);
static LAST_WARNING: AtomicU64 = AtomicU64::new(0);

/// One warning a second at most, with the count since the last one: a flood of refusals must
/// not become a flood of log lines.
fn note_refusal() {
    let refused = REFUSED.fetch_add(1, Ordering::Relaxed) + 1;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let last = LAST_WARNING.load(Ordering::Relaxed);
    if now > last
        && LAST_WARNING
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        tracing::warn!(
            refused_since_start = refused,
            "overloaded: refusing requests"
        );
    }
}

pub async fn admit(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if always_served(path) {
        return next.run(request).await;
    }
    let newcomer = is_newcomer(path);
    let wait = if newcomer { NEWCOMER_WAIT } else { PARENT_WAIT };
    let turn = match TURNS.try_acquire() {
        Ok(turn) => Some(turn),
        Err(_) if newcomer && WAITING.load(Ordering::Relaxed) >= IN_FLIGHT => None,
        Err(_) => {
            let _waiting = Waiting::start();
            tokio::time::timeout(wait, TURNS.acquire())
                .await
                .ok()
                .and_then(Result::ok)
        }
    };
    match turn {
        Some(_turn) => next.run(request).await,
        None => {
            note_refusal();
            let mut response = AppError::Overloaded.into_response();
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            response
        }
    }
}
