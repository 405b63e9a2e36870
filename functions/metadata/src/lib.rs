//! `/health/alive`, `/health/ready` and `/version`, on both the public and admin APIs.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use http::StatusCode;
use kratos_core::app::AppState;
use kratos_core::http::json_response;
use serde_json::json;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health/alive", get(alive))
        .route("/health/ready", get(ready))
        .route("/version", get(version))
        .with_state(state)
}

/// Kratos's admin port also serves health and version under `/admin`; probes written for
/// it use those paths.
pub fn admin_aliases_router(state: AppState) -> Router {
    Router::new()
        .route("/admin/health/alive", get(alive))
        .route("/admin/health/ready", get(ready))
        .route("/admin/version", get(version))
        .with_state(state)
}

/// Everything API Gateway routes to the `metadata` Lambda (from both APIs).
pub fn lambda_router(state: AppState) -> Router {
    router(state.clone()).merge(admin_aliases_router(state))
}

/// The process answers: nothing else is checked.
async fn alive() -> Response {
    json_response(StatusCode::OK, &json!({ "status": "ok" }))
}

/// The store answers too. One read of a probe item; 503 in the `healthNotReadyStatus` shape if not.
async fn ready(State(app): State<AppState>) -> Response {
    match app.table.ping().await {
        Ok(()) => json_response(StatusCode::OK, &json!({ "status": "ok" })),
        Err(err) => {
            tracing::warn!(error = ?err, "readiness check failed");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "errors": { "database": "the store is not reachable" } }),
            )
        }
    }
}

async fn version() -> Response {
    json_response(StatusCode::OK, &json!({ "version": kratos_core::VERSION }))
}
