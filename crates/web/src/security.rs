//! Security middleware: response headers every page carries, and refusal of state-changing
//! requests that another site's page sends (defence in depth behind the CSRF tokens).

use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// No inline script or style: the NCALayer client and the upload progress live in /static.
/// `connect-src` allows NCALayer's local websocket. No page is ever framed, by this site or
/// another (clickjacking a "sign" button), and none frames anything.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self' wss://127.0.0.1:13579; frame-src 'none'; frame-ancestors 'none'; form-action 'self'; \
    base-uri 'none'; object-src 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Whether the browser says the request comes from another site (`Sec-Fetch-Site`).
pub fn is_cross_site(headers: &axum::http::HeaderMap) -> bool {
    headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site")
}

/// Browsers say where a request comes from; a POST from another site is refused outright.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    if request.method() != Method::GET
        && request.method() != Method::HEAD
        && is_cross_site(request.headers())
    {
        return AppError::Csrf.into_response();
    }
    next.run(request).await
}
