//! The self-service endpoints of Kratos's public API: login, registration, settings,
//! verification and recovery (each with browser and API initialisation, fetching and
//! submitting), logout (browser and native) and the error endpoint browser flows send
//! users to.
//!
//! Handlers only read the request, call `kratos_core::selfservice`, and answer through
//! `kratos_core::http::selfservice`.

mod common;
mod errors;
mod login;
mod logout;
mod out_of_band;
mod recovery;
mod registration;
mod settings;
mod verification;

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
        .route(
            "/self-service/verification/browser",
            get(verification::browser),
        )
        .route("/self-service/verification/api", get(verification::api))
        .route("/self-service/verification/flows", get(verification::fetch))
        .route(
            "/self-service/verification",
            post(verification::submit).get(verification::follow_link),
        )
        .route("/self-service/recovery/browser", get(recovery::browser))
        .route("/self-service/recovery/api", get(recovery::api))
        .route("/self-service/recovery/flows", get(recovery::fetch))
        .route(
            "/self-service/recovery",
            post(recovery::submit).get(recovery::follow_link),
        )
        .with_state(state)
}
