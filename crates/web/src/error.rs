//! One error type for every handler. It becomes a short translated page (or JSON for API
//! callers) carrying the request id, so that a person can quote it and an operator can find the
//! log line; internal details go to the log only.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Marks a response as an error to be rendered by [`crate::pages::render_error_pages`], which
/// knows the request's language and id.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub status: StatusCode,
    /// Translation key of the message.
    pub message_key: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("sign in required")]
    SignInRequired,
    #[error("forbidden")]
    Forbidden,
    #[error("csrf token missing or wrong")]
    Csrf,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("too many requests")]
    TooManyRequests,
    #[error("service overloaded")]
    Overloaded,
    #[error("document storage is full: {0}")]
    StorageFull(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(context: &str, e: impl std::fmt::Display) -> AppError {
        AppError::Internal(format!("{context}: {e}"))
    }
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::NotFound => AppError::NotFound,
            e if e.is_storage_full() => AppError::StorageFull(e.to_string()),
            e if e.is_unavailable() => AppError::Unavailable(e.to_string()),
            other => AppError::Internal(format!("store: {other}")),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, key) = match &self {
            AppError::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
            AppError::SignInRequired => {
                return axum::response::Redirect::to("/login").into_response();
            }
            AppError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
            AppError::Csrf => (StatusCode::FORBIDDEN, "error-csrf"),
            AppError::BadRequest(key) => (StatusCode::BAD_REQUEST, *key),
            AppError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "error-too-many-requests"),
            AppError::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "error-overloaded"),
            AppError::StorageFull(detail) => {
                tracing::error!(error = %detail, "document storage is full");
                (StatusCode::INSUFFICIENT_STORAGE, "error-storage-full")
            }
            AppError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "error-unavailable")
            }
            AppError::Internal(detail) => {
                // Library errors may echo what they were given (an address, a number).
                tracing::error!(
                    error = %domain::redact::personal_data(detail),
                    "internal error"
                );
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorPage {
            status,
            message_key: key,
        });
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;
