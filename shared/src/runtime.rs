//! Process entry points shared by every Lambda function.

use std::sync::Arc;

use axum::Router;

use crate::app::{App, AppState, read_config};
use crate::config::Config;

/// Loads config and builds the app once (the cold start), then serves `router` to
/// Lambda. Start-up errors are printed and end the process, so Lambda reports an init error.
pub async fn run_lambda_http(router: fn(AppState) -> Router) -> Result<(), lambda_http::Error> {
    let state = boot().await?;
    let app = crate::http::finish_router(router(state));
    lambda_http::run(app).await
}

/// Loads configuration and builds the [`App`]; also used by non-HTTP functions.
pub async fn boot() -> Result<AppState, lambda_http::Error> {
    let (source, origin) = read_config(None)?;
    let loaded = Config::load(&source)?;
    crate::telemetry::init(&loaded.config.log);
    let app = App::build(loaded, origin).await.inspect_err(|e| {
        tracing::error!(error = %e, "start-up failed");
    })?;
    Ok(Arc::new(app))
}
