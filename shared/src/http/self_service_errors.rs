//! Sending a failed browser request to the error UI: the error is stored and the browser
//! redirected to `selfservice.flows.error.ui_url?id=<id>`, where the UI fetches it from
//! `GET /self-service/errors?id=<id>`. Scripts (JSON clients) get the error directly.

use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use url::Url;

use super::error::ApiError;
use super::request::{accepts_json, is_json_request, redirect_see_other};
use crate::app::App;
use crate::config::Config;
use crate::flow::self_service_errors::{SelfServiceError, SelfServiceErrorStore, stub_500};
use crate::flow::with_query_param;
use crate::ids::SelfServiceErrorId;

/// `selfservice.flows.error.ui_url?id=<id>`.
pub fn error_ui_url(config: &Config, id: SelfServiceErrorId) -> Url {
    with_query_param(
        &config.selfservice.flows.error.ui_url,
        "id",
        &id.to_string(),
    )
}

/// Answers a failed request: JSON clients get `error` as JSON; browsers are redirected to
/// the error UI with the error stored for it (one PutItem). If storing fails, the error
/// is answered as JSON after all.
pub async fn forward_error(app: &App, headers: &HeaderMap, error: ApiError) -> Response {
    if is_json_request(headers) {
        return error.into_response();
    }
    let body = error.body();
    let stored = SelfServiceErrorStore::new(app.table.clone())
        .create(body["error"].clone(), app.clock.now())
        .await;
    match stored {
        Ok(record) => {
            if accepts_json(headers) {
                return error.into_response();
            }
            match &error.cause {
                Some(cause) if error.status.is_server_error() => tracing::error!(
                    status = %error.status, error = ?cause, error_id = %record.id,
                    "request failed; forwarded to the error UI"
                ),
                _ => tracing::info!(
                    status = %error.status, error_id = %record.id,
                    "request failed; forwarded to the error UI"
                ),
            }
            redirect_see_other(error_ui_url(&app.config, record.id).as_str())
        }
        Err(store_error) => {
            tracing::error!(error = %store_error, "could not store an error for the error UI");
            error.into_response()
        }
    }
}

/// The stored error for `GET /self-service/errors?id=` (also `?error=`, which Kratos
/// accepts too). `stub:500` returns a sample error. One GetItem. A missing or malformed
/// ID is 404, as in Kratos (which reads it as the nil UUID) and as the contract documents.
pub async fn fetch_error(app: &App, id: Option<&str>) -> Result<SelfServiceError, ApiError> {
    let id = id.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
        ApiError::not_found("No error with this ID exists: the id query parameter is missing.")
    })?;
    if id == "stub:500" {
        return Ok(stub_500(app.clock.now()));
    }
    let id: SelfServiceErrorId = id
        .parse()
        .map_err(|_| ApiError::not_found("No error with this ID exists."))?;
    Ok(SelfServiceErrorStore::new(app.table.clone())
        .get(id)
        .await?)
}

#[cfg(test)]
mod tests {
    use http::{HeaderValue, StatusCode, header};
    use time::macros::datetime;

    use super::*;
    use crate::testing::sqlite_app;

    const CONFIG: &str =
        "selfservice:\n  flows:\n    error:\n      ui_url: https://app.example.com/error?lang=en\n";

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[tokio::test]
    async fn browsers_are_sent_to_the_error_ui_with_the_error_stored() {
        let (app, _) = sqlite_app(CONFIG, datetime!(2026-01-01 00:00:00 UTC)).await;
        let response = forward_error(
            &app,
            &accept("text/html"),
            ApiError::bad_request("The thing was wrong."),
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = Url::parse(response.headers()[header::LOCATION].to_str().unwrap()).unwrap();
        assert_eq!(location.path(), "/error");
        let id = location
            .query_pairs()
            .find(|(k, _)| k == "id")
            .map(|(_, v)| v.into_owned())
            .expect("the error ID is in the URL");
        assert!(location.query().unwrap().starts_with("lang=en&"));

        let stored = fetch_error(&app, Some(&id)).await.unwrap();
        assert_eq!(stored.id.to_string(), id);
        assert_eq!(stored.error["code"], 400);
        assert_eq!(stored.error["id"], "bad_request");
        assert_eq!(stored.error["reason"], "The thing was wrong.");
        let json = serde_json::to_value(&stored).unwrap();
        assert_eq!(json["created_at"], "2026-01-01T00:00:00Z");
        assert!(json["updated_at"].is_string());
    }

    #[tokio::test]
    async fn json_clients_get_the_error_itself() {
        let (app, _) = sqlite_app(CONFIG, datetime!(2026-01-01 00:00:00 UTC)).await;
        let response =
            forward_error(&app, &accept("application/json"), ApiError::forbidden("no")).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn fetching_errors_handles_stubs_unknown_and_malformed_ids() {
        let (app, _) = sqlite_app(CONFIG, datetime!(2026-01-01 00:00:00 UTC)).await;
        let stub = fetch_error(&app, Some("stub:500")).await.unwrap();
        assert_eq!(stub.error["code"], 500);
        let unknown = fetch_error(&app, Some(&SelfServiceErrorId::new().to_string()))
            .await
            .unwrap_err();
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let malformed = fetch_error(&app, Some("not-a-uuid")).await.unwrap_err();
        assert_eq!(malformed.status, StatusCode::NOT_FOUND);
        let missing = fetch_error(&app, None).await.unwrap_err();
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn stored_errors_lapse_after_their_retention() {
        let (app, clock) = sqlite_app(CONFIG, datetime!(2026-01-01 00:00:00 UTC)).await;
        let response = forward_error(&app, &accept("text/html"), ApiError::bad_request("x")).await;
        let location = Url::parse(response.headers()[header::LOCATION].to_str().unwrap()).unwrap();
        let id = location
            .query_pairs()
            .find(|(k, _)| k == "id")
            .unwrap()
            .1
            .into_owned();
        clock.advance(std::time::Duration::from_secs(8 * 24 * 3600));
        let gone = fetch_error(&app, Some(&id)).await.unwrap_err();
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
    }
}
