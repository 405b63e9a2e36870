//! The self-service endpoints of Kratos's public API: login, registration and settings
//! (each with browser and API initialisation, fetching and submitting), logout (browser
//! and native) and the error endpoint browser flows send users to.
//!
//! Handlers only read the request, call `kratos_core::selfservice`, and answer through
//! `kratos_core::http::selfservice`.

mod common;
mod errors;
mod login;
mod logout;
mod registration;
mod settings;

use axum::Router;
use axum::routing::{delete, get, post};
use kratos_core::app::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/self-service/login/browser", get(login::browser))
        .route("/self-service/login/api", get(login::api))
        .route("/self-service/login/flows", get(login::fetch))
        .route("/self-service/login", post(login::submit))
        .route(
            "/self-service/registration/browser",
            get(registration::browser),
        )
        .route("/self-service/registration/api", get(registration::api))
        .route("/self-service/registration/flows", get(registration::fetch))
        .route("/self-service/registration", post(registration::submit))
        .route("/self-service/settings/browser", get(settings::browser))
        .route("/self-service/settings/api", get(settings::api))
        .route("/self-service/settings/flows", get(settings::fetch))
        .route(
            "/self-service/settings",
            post(settings::submit).get(settings::resume),
        )
        .route("/self-service/logout/browser", get(logout::browser))
        .route("/self-service/logout", get(logout::logout))
        .route("/self-service/logout/api", delete(logout::api))
        .route("/self-service/errors", get(errors::fetch))
        .with_state(state)
}
