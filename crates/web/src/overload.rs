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
            let drained = drain(request).await;
            let mut response = AppError::Overloaded.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            if !drained {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    }
}

/// The most of a refused request's body that is read to keep its connection (an upload is at
/// most 20 MiB by default); a larger one is not read, and its connection is closed.
const DRAIN_LIMIT: u64 = 32 * 1024 * 1024;
/// How long the rest of a refused request's body may take to arrive.
const DRAIN_TIME: Duration = Duration::from_secs(20);

/// Reads what is left of a refused request's body and throws it away; `false` when it was left
/// unread (too large, too slow, or broken), and the connection must close.
///
/// Why: a browser sending documents is still sending when the refusal is ready. A server that
/// answers and closes the connection with the rest unread makes the kernel reset it, and the
/// browser then shows "connection reset" instead of the translated page: under overload that was
/// the parents in the middle of an upload (bench/README.md, "Fourteenth round"). Reading costs a
/// copy from the socket; the body is neither kept nor parsed.
async fn drain(request: Request) -> bool {
    use axum::body::HttpBody;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > DRAIN_LIMIT) {
        return false;
    }
    let mut body = request.into_body();
    if body.is_end_stream() {
        return true;
    }
    let read_all = async {
        let mut read = 0u64;
        loop {
            match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
                None => return true,
                Some(Err(_)) => return false,
                Some(Ok(frame)) => {
                    read += frame.data_ref().map_or(0, |d| d.len() as u64);
                    if read > DRAIN_LIMIT {
                        return false;
                    }
                }
            }
        }
    };
    tokio::time::timeout(DRAIN_TIME, read_all)
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use axum::body::{Body, Bytes};
    use axum::http::StatusCode;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    /// A body sent in chunks, counting what the server read of it; `fail_after` chunks, if
    /// set, it breaks off as a dropped connection would.
    struct Counted {
        chunks: usize,
        chunk: usize,
        fail_after: Option<usize>,
        read: Arc<AtomicU64>,
    }

    impl axum::body::HttpBody for Counted {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            if self.fail_after == Some(0) {
                return Poll::Ready(Some(Err(std::io::ErrorKind::ConnectionReset.into())));
            }
            if self.chunks == 0 {
                return Poll::Ready(None);
            }
            self.chunks -= 1;
            self.fail_after = self.fail_after.map(|n| n - 1);
            self.read.fetch_add(self.chunk as u64, Ordering::Relaxed);
            Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from(vec![
                0u8;
                self.chunk
            ])))))
        }
    }

    async fn refused(declared: u64, fail_after: Option<usize>) -> (Response, u64) {
        let read = Arc::new(AtomicU64::new(0));
        let body = Counted {
            chunks: 10,
            chunk: 32 * 1024,
            fail_after,
            read: read.clone(),
        };
        let app = axum::Router::new()
            .route("/auth/login", post(|| async { "signed in" }))
            .layer(axum::middleware::from_fn(admit));
        let request = Request::post("/auth/login")
            .header(header::CONTENT_LENGTH, declared)
            .body(Body::new(body))
            .expect("request");
        let response = app.oneshot(request).await.expect("infallible");
        (response, read.load(Ordering::Relaxed))
    }

    #[tokio::test]
    async fn a_refused_request_is_read_to_its_end_unless_it_is_too_large() {
        // Every turn taken and as many waiting: a newcomer is refused at once.
        let _turns = TURNS.acquire_many(IN_FLIGHT as u32).await.expect("turns");
        let _waiting: Vec<Waiting> = (0..IN_FLIGHT).map(|_| Waiting::start()).collect();

        let whole = 10 * 32 * 1024;
        let (response, read) = refused(whole, None).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], RETRY_AFTER_SECONDS);
        assert_eq!(read, whole, "the body is read to its end");
        assert!(
            !response.headers().contains_key(header::CONNECTION),
            "the connection stays open for the next request"
        );

        let (response, read) = refused(DRAIN_LIMIT + 1, None).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(read, 0, "a body over the limit is not read");
        assert_eq!(response.headers()[header::CONNECTION], "close");

        let (response, _) = refused(whole, Some(3)).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::CONNECTION], "close");
    }
}
