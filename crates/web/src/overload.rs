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

/// Cheap answers that never queue: static files and health checks.
fn always_served(path: &str) -> bool {
    path.starts_with("/static/") || path == "/healthz" || path == "/readyz"
}

fn is_newcomer(path: &str) -> bool {
    path == "/" || path == "/login" || path.starts_with("/auth/") || path.starts_with("/login/")
}

pub async fn admit(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if always_served(path) {
        return next.run(request).await;
    }
    let wait = if is_newcomer(path) {
        NEWCOMER_WAIT
    } else {
        PARENT_WAIT
    };
    match tokio::time::timeout(wait, TURNS.acquire()).await {
        Ok(Ok(_turn)) => next.run(request).await,
        _ => {
            tracing::warn!(path, "overloaded: request refused");
            let mut response = AppError::Overloaded.into_response();
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            response
        }
    }
}
