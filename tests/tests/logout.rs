//! Logout: the browser's logout URL and token, following it (303, or 204 for scripts),
//! replayed and wrong tokens, and the native logout with the official SDK.

use blackbox::contract::assert_response;
use blackbox::flows::{
    Browser, UI, default_config, forwarded_error, location, login_native, native, query_param,
    register_native, set_cookies, whoami_token,
};
use blackbox::{Backend, TestApp, on_both_backends};
use ory_kratos_client::apis::frontend_api;
use ory_kratos_client::models::PerformNativeLogoutBody;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "correct-horse-battery-staple";

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &default_config()).await
}

async fn logout_flow(app: &TestApp, browser: &Browser, query: &str) -> Value {
    let response = browser
        .get_json(&app.public(&format!("/self-service/logout/browser{query}")))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/logout/browser", 200, &body);
    body
}

async fn a_browser_logs_out_through_its_logout_url(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser.register(&app, "bye@example.com", PASSWORD).await;
    let flow = logout_flow(&app, &browser, "").await;
    let token = flow["logout_token"].as_str().unwrap();
    assert!(token.starts_with("ory_lo_"));
    let url = flow["logout_url"].as_str().unwrap();
    assert!(url.starts_with(&app.public("/self-service/logout?token=")));
    // The token is the session's: asking again gives the same one.
    assert_eq!(logout_flow(&app, &browser, "").await["logout_token"], token);
    let response = browser.get(url).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{UI}/"));
    let cookies = set_cookies(&response);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("ory_kratos_session=;") && c.contains("Max-Age=0")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("csrf_token_")),
        "a fresh anti-CSRF cookie"
    );
    assert_eq!(
        browser.whoami(&app).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn a_replayed_logout_url_finds_no_session(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser.register(&app, "replay@example.com", PASSWORD).await;
    let flow = logout_flow(&app, &browser, "").await;
    let url = flow["logout_url"].as_str().unwrap().to_owned();
    // An attacker replaying the URL with the old cookie finds the session gone.
    let old_cookie = browser.cookie_header(&app.public("/")).unwrap();
    let response = browser.get(&url).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let replayed = native()
        .get(&url)
        .header("Cookie", &old_cookie)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED);
    let body: Value = replayed.json().await.unwrap();
    assert_eq!(body["error"]["id"], "session_inactive");
    let replayed = native()
        .get(&url)
        .header("Cookie", &old_cookie)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let error = forwarded_error(&app, &replayed).await;
    assert_eq!(error["error"]["code"], 401);
    // The old cookie no longer signs anyone in.
    let whoami = native()
        .get(app.public("/sessions/whoami"))
        .header("Cookie", &old_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status(), StatusCode::UNAUTHORIZED);
}

async fn a_logout_token_only_ends_its_own_session(backend: Backend) {
    let app = spawn(backend).await;
    let alice = Browser::new();
    alice.register(&app, "alice@example.com", PASSWORD).await;
    let bob = Browser::new();
    bob.register(&app, "bob@example.com", PASSWORD).await;
    let alice_flow = logout_flow(&app, &alice, "").await;
    let token = alice_flow["logout_token"].as_str().unwrap();
    let response = bob
        .get_json(&app.public(&format!("/self-service/logout?token={token}")))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(bob.whoami(&app).await.status(), StatusCode::OK);
    assert_eq!(alice.whoami(&app).await.status(), StatusCode::OK);
    let response = bob
        .get_json(&app.public("/self-service/logout?token="))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = bob.get_json(&app.public("/self-service/logout")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn scripts_get_204_and_return_to_is_checked(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser.register(&app, "script@example.com", PASSWORD).await;
    let response = browser
        .get_json(
            &app.public("/self-service/logout/browser?return_to=https%3A%2F%2Fevil.example%2F"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["id"], "self_service_flow_return_to_forbidden");
    let flow = logout_flow(
        &app,
        &browser,
        "?return_to=https%3A%2F%2Fapp.example.com%2Fwelcome%2Fbye",
    )
    .await;
    let url = flow["logout_url"].as_str().unwrap();
    assert_eq!(
        query_param(url, "return_to").as_deref(),
        Some("https://app.example.com/welcome/bye")
    );
    let response = browser.get_json(url).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        browser.whoami(&app).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Logging out needs a session.
    let response = browser
        .get_json(&app.public("/self-service/logout/browser"))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/logout/browser", 401, &body);
}

async fn a_browser_is_sent_to_return_to_after_logging_out(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser.register(&app, "away@example.com", PASSWORD).await;
    let flow = logout_flow(
        &app,
        &browser,
        "?return_to=https%3A%2F%2Fapp.example.com%2Fwelcome%2Fbye",
    )
    .await;
    let response = browser.get(flow["logout_url"].as_str().unwrap()).await;
    assert_eq!(location(&response), "https://app.example.com/welcome/bye");
}

async fn a_native_app_logs_out_with_the_sdk(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "native-bye@example.com", PASSWORD).await;
    let token = login_native(&app, "native-bye@example.com", PASSWORD).await["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sdk = app.sdk(&app.public_url);
    app.store_requests();
    frontend_api::perform_native_logout(&sdk, PerformNativeLogoutBody::new(token.clone()))
        .await
        .unwrap();
    let cost = app.store_requests();
    assert_eq!((cost.get, cost.write, cost.total()), (1, 1, 2));
    assert_eq!(
        whoami_token(&app, &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Again: the session is already revoked; nothing to do (as in Kratos).
    frontend_api::perform_native_logout(&sdk, PerformNativeLogoutBody::new(token.clone()))
        .await
        .unwrap();
    for unknown in ["ory_st_made-up", "", &token.replace("ory_st_", "ory_st_A")] {
        let response = native()
            .delete(app.public("/self-service/logout/api"))
            .json(&json!({"session_token": unknown}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{unknown}");
        let body: Value = response.json().await.unwrap();
        assert_response("delete", "/self-service/logout/api", 403, &body);
    }
    for (body, content_type) in [
        ("{}", "application/json"),
        ("{\"session_token\": 5}", "application/json"),
        ("nope", "application/json"),
    ] {
        let response = native()
            .delete(app.public("/self-service/logout/api"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let body: Value = response.json().await.unwrap();
        assert_response("delete", "/self-service/logout/api", 400, &body);
    }
}

async fn logout_costs_pinned_store_requests(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser
        .register(&app, "cost-bye@example.com", PASSWORD)
        .await;
    app.store_requests();
    let flow = logout_flow(&app, &browser, "").await;
    let create = app.store_requests();
    assert_eq!(
        (create.get_many, create.total()),
        (1, 1),
        "the logout URL: whoami's read"
    );
    browser.get(flow["logout_url"].as_str().unwrap()).await;
    let done = app.store_requests();
    assert_eq!(
        (done.get_many, done.write, done.total()),
        (1, 1, 2),
        "logout: whoami's read and the revocation"
    );
}

on_both_backends!(
    a_browser_logs_out_through_its_logout_url,
    a_replayed_logout_url_finds_no_session,
    a_logout_token_only_ends_its_own_session,
    scripts_get_204_and_return_to_is_checked,
    a_browser_is_sent_to_return_to_after_logging_out,
    a_native_app_logs_out_with_the_sdk,
    logout_costs_pinned_store_requests,
);
