//! Probes for the load balancer and the operator.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::state::AppState;

/// Alive: the process answers.
pub async fn healthz() -> impl IntoResponse {
    "ok"
}

/// Ready: the database answers and holds this build's schema.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.readiness().await {
        Ok(()) => (StatusCode::OK, "ready".to_owned()),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready".to_owned())
        }
    }
}
