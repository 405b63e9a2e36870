//! `GET /self-service/errors?id=`: the errors browser flows store for the error UI.

use blackbox::contract::assert_response;
use blackbox::flows::{
    Browser, action, default_config, forwarded_error, location, native, query_param,
};
use blackbox::{Backend, TestApp, on_both_backends};
use ory_kratos_client::apis::frontend_api;
use reqwest::StatusCode;
use serde_json::Value;

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &default_config()).await
}

async fn the_stub_error_is_served_for_building_error_pages(backend: Backend) {
    let app = spawn(backend).await;
    let sdk = app.sdk(&app.public_url);
    let error = frontend_api::get_flow_error(&sdk, "stub:500")
        .await
        .unwrap();
    let body = serde_json::to_value(&error).unwrap();
    assert_response("get", "/self-service/errors", 200, &body);
    assert_eq!(body["error"]["code"], 500);
}

async fn a_browser_flow_error_is_stored_for_the_error_ui(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    let flow = browser.start(&app, "login", "").await;
    // A form post without its anti-CSRF token.
    let response = browser
        .post_form(
            &action(&flow),
            &[
                ("method", "password"),
                ("identifier", "x"),
                ("password", "y"),
            ],
        )
        .await;
    let location = location(&response);
    let id = query_param(&location, "id").unwrap();
    let stored = forwarded_error(&app, &response).await;
    assert_response("get", "/self-service/errors", 200, &stored);
    assert_eq!(stored["id"], id.as_str());
    assert_eq!(stored["error"]["id"], "security_csrf_violation");
    assert!(stored["created_at"].is_string());
    // The SDK reads it too.
    let read = frontend_api::get_flow_error(&app.sdk(&app.public_url), &id)
        .await
        .unwrap();
    assert_eq!(read.id, id);
    // Stored errors lapse after a week.
    app.clock
        .advance(std::time::Duration::from_secs(8 * 24 * 3600));
    let gone = native()
        .get(app.public(&format!("/self-service/errors?id={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

async fn unknown_malformed_and_missing_ids_are_refused(backend: Backend) {
    let app = spawn(backend).await;
    for (query, status) in [
        ("?id=00000000-0000-4000-8000-000000000000", 404),
        ("?id=not-an-id", 404),
        ("?id=", 404),
        ("", 404),
    ] {
        let response = native()
            .get(app.public(&format!("/self-service/errors{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_response("get", "/self-service/errors", status, &body);
    }
}

on_both_backends!(
    the_stub_error_is_served_for_building_error_pages,
    a_browser_flow_error_is_stored_for_the_error_ui,
    unknown_malformed_and_missing_ids_are_refused,
);
