//! The web face of Mektep: server-rendered pages (askama) in Kazakh, Russian and English, with a
//! little plain JavaScript where a browser must talk to NCALayer or show upload progress.
//! Every page works without a single-page-app build.

pub mod csv;
pub mod ctx;
pub mod eds;
pub mod error;
pub mod i18n;
pub mod images;
pub mod jobs;
pub mod notices;
pub mod overload;
pub mod pages;
pub mod pdf_check;
pub mod rate_limit;
pub mod routes;
pub mod security;
pub mod service;
pub mod state;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::{get, post};
// A declared length over the limit is refused before a byte of the body is read.
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use state::{AppInner, AppState, DemoPerson, WebConfig};

#[derive(Clone, Default)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        axum::http::HeaderValue::from_str(&store::random_token(8))
            .ok()
            .map(RequestId::new)
    }
}

pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let max_form = state.config.max_form_bytes;
    let upload_limit = state.config.max_upload_bytes;
    let timeout = Duration::from_secs(state.config.request_timeout_seconds);
    let limits = (state.clone(), rate_limit::Limiter::default());
    Router::new()
        .route("/", get(routes::home::home))
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/lang/{code}", get(routes::home::set_language))
        .route("/login", get(routes::auth::login_page))
        .route("/login/demo", post(routes::auth::demo_login))
        .route("/auth/challenge", post(routes::auth::challenge))
        .route("/auth/login", post(routes::auth::eds_login))
        .route("/logout", post(routes::auth::logout))
        .route("/cabinet", get(routes::cabinet::cabinet))
        .route("/cabinet/contacts", post(routes::cabinet::save_contacts))
        .route("/cabinet/confirm-email", get(routes::cabinet::confirm_email))
        .route("/cabinet/confirm-phone", post(routes::cabinet::confirm_phone))
        .route("/dev/outbox", get(routes::cabinet::dev_outbox))
        .route("/applications/new", get(routes::application::new_form).post(routes::application::create))
        .route("/applications/{id}", get(routes::application::show))
        .route("/applications/{id}/edit", get(routes::application::edit_form).post(routes::application::update))
        .route(
            "/applications/{id}/documents",
            post(routes::application::upload).layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(upload_limit)).layer(RequestBodyLimitLayer::new(upload_limit)),
        )
        .route("/applications/{id}/documents/{doc}", get(routes::application::view_document))
        .route("/applications/{id}/documents/{doc}/delete", post(routes::application::remove_document))
        .route("/applications/{id}/review", get(routes::application::review))
        .route("/applications/{id}/submit", post(routes::application::submit))
        .route("/applications/{id}/withdraw", post(routes::application::withdraw))
        .route("/applications/{id}/issued/{doc}", get(routes::application::issued_pdf))
        .route("/school", get(routes::school::queue))
        .route("/school/applications/{id}", get(routes::school::review))
        .route("/school/applications/{id}/documents/{doc}", get(routes::school::view_document))
        .route("/school/applications/{id}/issued/{doc}", get(routes::school::issued_pdf))
        .route("/school/applications/{id}/return", post(routes::school::return_for_correction))
        .route("/school/applications/{id}/decide", post(routes::school::decide))
        .route("/school/applications/{id}/sign", post(routes::school::sign_decision))
        .route("/verify/{code}", get(routes::school::verify))
        .route("/school/export/{format}", get(routes::order::queue_export))
        .route("/school/paper/new", get(routes::paper::new_form).post(routes::paper::register))
        .route(
            "/school/applications/{id}/scans",
            post(routes::paper::upload_scan).layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(upload_limit)).layer(RequestBodyLimitLayer::new(upload_limit)),
        )
        .route("/school/walkin", get(routes::walkin::desk))
        .route("/school/walkin/next", post(routes::walkin::call_next))
        .route("/school/walkin/{id}/finish", post(routes::walkin::finish))
        .route("/walkin/{school}", get(routes::walkin::board))
        .route("/walkin/{school}/ticket", post(routes::walkin::take))
        .route("/walkin/ticket/{id}", get(routes::walkin::ticket))
        .route("/school/order", get(routes::order::page))
        .route("/school/order/review", post(routes::order::review))
        .route("/school/order/sign", post(routes::order::sign))
        .route("/school/orders/{doc}/{format}", get(routes::order::order_file))
        .route("/admin", get(routes::admin::home))
        .route("/admin/calendar", get(routes::admin::calendar).post(routes::admin::set_day))
        .route("/admin/campaigns", get(routes::admin::campaigns))
        .route("/admin/campaigns/new", post(routes::admin::create_campaign))
        .route("/admin/campaigns/{id}", post(routes::admin::update_campaign))
        .route("/admin/campaigns/{id}/documents", post(routes::admin::update_documents))
        .route("/admin/staff", get(routes::admin::staff).post(routes::admin::grant))
        .route("/admin/staff/{id}/revoke", post(routes::admin::revoke))
        .route("/admin/outbox", get(routes::admin::delivery_log))
        .route("/admin/reports", get(routes::admin::reports))
        .route("/admin/reports/export/{format}", get(routes::admin::reports_export))
        .route("/admin/audit", get(routes::admin::audit))
        .route("/admin/schools", get(routes::imports::schools))
        .route("/admin/schools/export/{format}", get(routes::imports::export))
        .route("/admin/import/{what}", post(routes::imports::preview))
        .route("/admin/import/{what}/apply", post(routes::imports::apply).layer(DefaultBodyLimit::max(4 * 1024 * 1024)))
        .route("/admin/outbox/{id}/resend", post(routes::admin::resend))
        .route("/static/{name}", get(routes::assets::asset))
        .layer(DefaultBodyLimit::max(max_form))
        .layer(axum::middleware::from_fn_with_state(limits, rate_limit::limit))
        .layer(axum::middleware::from_fn(security::refuse_cross_site))
        // Inside the error pages, so that a refusal is a translated page.
        .layer(axum::middleware::from_fn(overload::admit))
        // Inside the error pages and headers too: a request cut off for taking too long gets the
        // translated page with the security headers, like every other refusal.
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(axum::middleware::from_fn(pages::render_error_pages))
        .layer(axum::middleware::from_fn(security::security_headers))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
        }).on_failure(log_failure))
        .layer(SetRequestIdLayer::new(request_id, RandomRequestId))
        .with_state(state)
}

/// A failed response in the log, except "503 Service Unavailable": every one of those is either a
/// polite refusal in an overload, which `overload` sums up once a second, or the database or
/// storage out of reach, which `error` logs with its cause. One ERROR line per refusal was a
/// million lines (350 MB) in a run at ten times the service's capacity, written while it was
/// busiest.
fn log_failure(
    failure: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    if is_logged_failure(&failure) {
        tracing::error!(classification = %failure, latency_ms = latency.as_millis() as u64, "response failed");
    }
}

fn is_logged_failure(failure: &tower_http::classify::ServerErrorsFailureClass) -> bool {
    use tower_http::classify::ServerErrorsFailureClass as F;
    !matches!(failure, F::StatusCode(s) if *s == axum::http::StatusCode::SERVICE_UNAVAILABLE)
}

#[cfg(test)]
mod failure_log_tests {
    use tower_http::classify::ServerErrorsFailureClass as F;

    #[test]
    fn refusals_are_summed_up_elsewhere_and_other_failures_are_logged() {
        use axum::http::StatusCode;
        assert!(!super::is_logged_failure(&F::StatusCode(
            StatusCode::SERVICE_UNAVAILABLE
        )));
        assert!(super::is_logged_failure(&F::StatusCode(
            StatusCode::INTERNAL_SERVER_ERROR
        )));
        assert!(super::is_logged_failure(&F::StatusCode(
            StatusCode::GATEWAY_TIMEOUT
        )));
        assert!(super::is_logged_failure(&F::Error(
            "connection reset".into()
        )));
    }
}
