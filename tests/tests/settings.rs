//! Settings: profile and password changes from browsers, SPAs and native apps; privileged
//! changes (refresh required, and the browser's round trip through a refresh login);
//! ownership, expiry, CSRF, validation and store costs.

use blackbox::contract::assert_response;
use blackbox::flows::{
    Browser, UI, action, assert_error_response, csrf_token, default_config, form_message_ids,
    location, login_native, native, node, node_message_ids, node_names, post_native, query_param,
    register_native, whoami_token,
};
use blackbox::{Backend, TestApp, on_both_backends};
use ory_kratos_client::apis::frontend_api;
use ory_kratos_client::models::{UpdateSettingsFlowBody, UpdateSettingsFlowWithPasswordMethod};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "correct-horse-battery-staple";
const NEW_PASSWORD: &str = "an-entirely-new-passphrase";

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &default_config()).await
}

/// A native app's settings flow for `token`.
async fn native_flow(app: &TestApp, token: &str) -> Value {
    let response = native()
        .get(app.public("/self-service/settings/api"))
        .header("X-Session-Token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn submit_native(url: &str, token: &str, body: &Value) -> reqwest::Response {
    native()
        .post(url)
        .header("X-Session-Token", token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn signed_up(app: &TestApp, email: &str) -> String {
    register_native(app, email, PASSWORD).await["session_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn settings_need_a_session(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    let response = browser
        .get(&app.public(
            "/self-service/settings/browser?return_to=http%3A%2F%2F127.0.0.1%3A4455%2Fprofile",
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(&response);
    assert!(
        target.starts_with(&app.public("/self-service/login/browser")),
        "{target}"
    );
    assert_eq!(
        query_param(&target, "return_to").as_deref(),
        Some("http://127.0.0.1:4455/profile")
    );
    let response = browser
        .get_json(&app.public("/self-service/settings/browser"))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/settings/browser", 401, &body);
    assert_eq!(body["error"]["id"], "session_inactive");
    let sdk = app.sdk(&app.public_url);
    match frontend_api::create_native_settings_flow(&sdk, None).await {
        Err(ory_kratos_client::apis::Error::ResponseError(response)) => {
            assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    match frontend_api::create_native_settings_flow(&sdk, Some("ory_st_forged")).await {
        Err(ory_kratos_client::apis::Error::ResponseError(response)) => {
            assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        }
        other => panic!("expected a 401, got {other:?}"),
    }
}

async fn a_browser_settings_flow_shows_the_profile_and_the_password(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser
        .register(&app, "profile@example.com", PASSWORD)
        .await;
    let flow = browser.start(&app, "settings", "").await;
    assert_response("get", "/self-service/settings/flows", 200, &flow);
    assert_eq!(flow["state"], "show_form");
    assert_eq!(flow["identity"]["traits"]["email"], "profile@example.com");
    assert!(flow["identity"].get("credentials").is_none());
    assert_eq!(
        node_names(&flow),
        [
            "csrf_token",
            "traits.email",
            "traits.name.first",
            "traits.name.last",
            "method",
            "password",
            "method"
        ]
    );
    assert_eq!(node(&flow, "traits.email").unwrap()["group"], "profile");
    assert_eq!(
        node(&flow, "traits.email").unwrap()["attributes"]["value"],
        "profile@example.com"
    );
    let password = node(&flow, "password").unwrap();
    assert_eq!(password["attributes"]["autocomplete"], "new-password");
    for method in flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["attributes"]["name"] == "method")
    {
        assert_eq!(method["meta"]["label"]["id"], 1070003);
    }
}

async fn a_browser_changes_its_name_and_returns_to_the_settings_ui(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser.register(&app, "name@example.com", PASSWORD).await;
    let flow = browser.start(&app, "settings", "").await;
    let id = flow["id"].as_str().unwrap();
    let response = browser
        .post_form(
            &action(&flow),
            &[
                ("csrf_token", &csrf_token(&flow)),
                ("traits.email", "name@example.com"),
                ("traits.name.first", "Grace"),
                ("method", "profile"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{UI}/settings?flow={id}"));
    let done = browser.fetch(&app, "settings", id).await;
    assert_eq!(done["state"], "success");
    assert_eq!(form_message_ids(&done), [1050001]);
    assert_eq!(done["identity"]["traits"]["name"]["first"], "Grace");
    assert_eq!(
        node(&done, "traits.name.first").unwrap()["attributes"]["value"],
        "Grace"
    );
    let session: Value = browser.whoami(&app).await.json().await.unwrap();
    assert_eq!(session["identity"]["traits"]["name"]["first"], "Grace");
}

async fn a_native_app_changes_its_password(backend: Backend) {
    let app = spawn(backend).await;
    let token = signed_up(&app, "pw@example.com").await;
    let flow = native_flow(&app, &token).await;
    assert_response("get", "/self-service/settings/api", 200, &flow);
    assert_eq!(flow["type"], "api");
    let response = submit_native(
        &action(&flow),
        &token,
        &json!({"method": "password", "password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let done: Value = response.json().await.unwrap();
    assert_response("post", "/self-service/settings", 200, &done);
    assert_eq!(done["state"], "success");
    assert_eq!(done["active"], "password");
    assert_eq!(form_message_ids(&done), [1050001]);
    login_native(&app, "pw@example.com", NEW_PASSWORD).await;
    let flow = blackbox::flows::api_flow(&app, "login").await;
    let old = post_native(
        &action(&flow),
        &json!({"method": "password", "identifier": "pw@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(old.status(), StatusCode::BAD_REQUEST);
    // The SDK reports a refused password as the 400 it is.
    let flow = native_flow(&app, &token).await;
    let sdk = app.sdk(&app.public_url);
    let short = frontend_api::update_settings_flow(
        &sdk,
        flow["id"].as_str().unwrap(),
        UpdateSettingsFlowBody::Password(Box::new(UpdateSettingsFlowWithPasswordMethod::new(
            "password".into(),
            "short".into(),
        ))),
        Some(&token),
        None,
    )
    .await;
    match short {
        Err(ory_kratos_client::apis::Error::ResponseError(response)) => {
            assert_eq!(response.status, StatusCode::BAD_REQUEST);
            let flow: Value = serde_json::from_str(&response.content).unwrap();
            assert_eq!(node_message_ids(&flow, "password"), [4000032]);
        }
        other => panic!("expected a 400, got {other:?}"),
    }
}

async fn a_spa_gets_the_flow_and_where_to_go_next(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser
        .register(&app, "spa-settings@example.com", PASSWORD)
        .await;
    let flow: Value = browser
        .get_json(&app.public("/self-service/settings/browser"))
        .await
        .json()
        .await
        .unwrap();
    assert_response("get", "/self-service/settings/browser", 200, &flow);
    let response = browser
        .post_json(
            &action(&flow),
            &json!({"method": "profile", "csrf_token": csrf_token(&flow), "traits": {"email": "spa-settings@example.com", "name": {"last": "Hopper"}}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let done: Value = response.json().await.unwrap();
    assert_response("post", "/self-service/settings", 200, &done);
    assert_eq!(
        done["continue_with"],
        json!([{"action": "redirect_browser_to", "redirect_browser_to": format!("{UI}/settings?flow={}", flow["id"].as_str().unwrap())}])
    );
}

async fn old_sessions_must_refresh_before_privileged_changes(backend: Backend) {
    let app = spawn(backend).await;
    let token = signed_up(&app, "old@example.com").await;
    // The session is two hours old; the flow is new.
    app.clock.advance(std::time::Duration::from_secs(2 * 3600));
    let flow = native_flow(&app, &token).await;
    let response = submit_native(
        &action(&flow),
        &token,
        &json!({"method": "password", "password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_response("post", "/self-service/settings", 403, &body);
    assert_eq!(body["error"]["id"], "session_refresh_required");
    let target = body["redirect_browser_to"].as_str().unwrap();
    assert!(target.starts_with(&app.public("/self-service/login/browser?refresh=true")));
    // Changing the email (an identifier) is privileged too; the name is not.
    let response = submit_native(
        &action(&flow),
        &token,
        &json!({"method": "profile", "traits": {"email": "new-old@example.com"}}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = submit_native(
        &action(&flow),
        &token,
        &json!({"method": "profile", "traits": {"email": "old@example.com", "name": {"first": "Old"}}}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn a_browser_refreshes_its_login_and_the_change_is_applied(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser
        .register(&app, "roundtrip@example.com", PASSWORD)
        .await;
    app.clock.advance(std::time::Duration::from_secs(2 * 3600));
    let flow = browser.start(&app, "settings", "").await;
    let id = flow["id"].as_str().unwrap().to_owned();
    let response = browser
        .post_form(
            &action(&flow),
            &[
                ("csrf_token", &csrf_token(&flow)),
                ("password", NEW_PASSWORD),
                ("method", "password"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let refresh = location(&response);
    assert!(refresh.starts_with(&app.public("/self-service/login/browser?refresh=true")));
    assert_eq!(
        query_param(&refresh, "return_to").unwrap(),
        app.public(&format!("/self-service/settings?flow={id}"))
    );
    // The refresh login.
    let response = browser.get(&refresh).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let login_id = query_param(&location(&response), "flow").unwrap();
    let login = browser.fetch(&app, "login", &login_id).await;
    assert_eq!(login["refresh"], true);
    let response = browser
        .post_form(
            &action(&login),
            &[
                ("csrf_token", &csrf_token(&login)),
                ("identifier", "roundtrip@example.com"),
                ("password", PASSWORD),
                ("method", "password"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert_eq!(
        back,
        app.public(&format!("/self-service/settings?flow={id}"))
    );
    // Back at settings, the waiting change is applied.
    let response = browser.get(&back).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{UI}/settings?flow={id}"));
    let done = browser.fetch(&app, "settings", &id).await;
    assert_eq!(done["state"], "success");
    login_native(&app, "roundtrip@example.com", NEW_PASSWORD).await;
    // Coming back again applies nothing more.
    let response = browser.get(&back).await;
    assert_eq!(location(&response), format!("{UI}/settings?flow={id}"));
}

async fn another_identity_cannot_use_the_flow(backend: Backend) {
    let app = spawn(backend).await;
    let owner = signed_up(&app, "owner@example.com").await;
    let stranger = signed_up(&app, "stranger@example.com").await;
    let flow = native_flow(&app, &owner).await;
    let id = flow["id"].as_str().unwrap();
    let response = native()
        .get(app.public(&format!("/self-service/settings/flows?id={id}")))
        .header("X-Session-Token", &stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/settings/flows", 403, &body);
    assert_eq!(body["error"]["id"], "security_identity_mismatch");
    let response = submit_native(
        &action(&flow),
        &stranger,
        &json!({"method": "password", "password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Without a session the flow is not shown at all.
    let response = native()
        .get(app.public(&format!("/self-service/settings/flows?id={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = native()
        .get(app.public("/self-service/settings/flows?id=00000000-0000-4000-8000-000000000000"))
        .header("X-Session-Token", &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // The owner may.
    let response = native()
        .get(app.public(&format!("/self-service/settings/flows?id={id}")))
        .header("X-Session-Token", &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn an_expired_flow_is_replaced(backend: Backend) {
    let app = spawn(backend).await;
    let token = signed_up(&app, "expired-settings@example.com").await;
    let flow = native_flow(&app, &token).await;
    app.clock.advance(std::time::Duration::from_secs(3601));
    let response = submit_native(
        &action(&flow),
        &token,
        &json!({"method": "profile", "traits": {"email": "expired-settings@example.com"}}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::GONE);
    let body: Value = response.json().await.unwrap();
    assert_response("post", "/self-service/settings", 410, &body);
    let replacement = body["use_flow_id"].as_str().unwrap();
    let fresh: Value = native()
        .get(app.public(&format!("/self-service/settings/flows?id={replacement}")))
        .header("X-Session-Token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form_message_ids(&fresh), [4050001]);
    let response = native()
        .get(app.public(&format!(
            "/self-service/settings/flows?id={}",
            flow["id"].as_str().unwrap()
        )))
        .header("X-Session-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GONE);
    let body: Value = response.json().await.unwrap();
    assert_error_response("get", "/self-service/settings/flows", 410, &body);
}

async fn invalid_changes_are_shown_on_the_form(backend: Backend) {
    let app = spawn(backend).await;
    let token = signed_up(&app, "invalid@example.com").await;
    signed_up(&app, "taken-settings@example.com").await;
    let flow = native_flow(&app, &token).await;
    let url = action(&flow);
    let cases = [
        (
            json!({"method": "password", "password": "invalid@example.com"}),
            "password",
            4000031,
        ),
        (json!({"method": "password"}), "password", 4000002),
        (
            json!({"method": "password", "password": 5}),
            "password",
            4000026,
        ),
        (json!({"method": "profile"}), "traits", 4000002),
        (
            json!({"method": "profile", "traits": []}),
            "traits",
            4000026,
        ),
        (
            json!({"method": "profile", "traits": {"email": "invalid@example.com", "name": {"first": 7}}}),
            "traits.name.first",
            4000026,
        ),
    ];
    for (body, field, id) in cases {
        let response = submit_native(&url, &token, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let flow: Value = response.json().await.unwrap();
        assert_response("post", "/self-service/settings", 400, &flow);
        assert!(
            node_message_ids(&flow, field).contains(&id),
            "{body}: {}",
            flow["ui"]
        );
    }
    let response = submit_native(&url, &token, &json!({"method": "telepathy"})).await;
    let flow: Value = response.json().await.unwrap();
    assert_eq!(form_message_ids(&flow), [4010004]);
    let response = submit_native(
        &url,
        &token,
        &json!({"method": "profile", "traits": {"email": "taken-settings@example.com"}}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let flow: Value = response.json().await.unwrap();
    assert_eq!(form_message_ids(&flow), [4000007]);
    let response = native()
        .post(&url)
        .header("X-Session-Token", &token)
        .header("Content-Type", "application/json")
        .body("{{{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = native()
        .post(app.public("/self-service/settings?flow=bad"))
        .header("X-Session-Token", &token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn browser_changes_need_the_anti_csrf_token(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser
        .register(&app, "csrf-settings@example.com", PASSWORD)
        .await;
    let flow = browser.start(&app, "settings", "").await;
    let response = browser
        .post_json(
            &action(&flow),
            &json!({"method": "profile", "traits": {"email": "csrf-settings@example.com", "name": {"first": "X"}}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_error_response("post", "/self-service/settings", 403, &body);
    assert_eq!(body["error"]["id"], "security_csrf_violation");
    let session: Value = browser.whoami(&app).await.json().await.unwrap();
    assert!(session["identity"]["traits"].get("name").is_none());
}

async fn revoke_active_sessions_after_a_change(backend: Backend) {
    let yaml = default_config().replace(
        "      ui_url: \"http://127.0.0.1:4455/settings\"\n",
        "      ui_url: \"http://127.0.0.1:4455/settings\"\n      after:\n        password:\n          hooks:\n            - hook: revoke_active_sessions\n",
    );
    let app = TestApp::spawn_with(backend, &yaml).await;
    let token = signed_up(&app, "revoker@example.com").await;
    let other = login_native(&app, "revoker@example.com", PASSWORD).await["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let flow = native_flow(&app, &token).await;
    let response = submit_native(
        &action(&flow),
        &token,
        &json!({"method": "password", "password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        whoami_token(&app, &other).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(whoami_token(&app, &token).await.status(), StatusCode::OK);
}

async fn settings_costs_pinned_store_requests(backend: Backend) {
    let app = spawn(backend).await;
    let token = signed_up(&app, "settings-cost@example.com").await;
    app.store_requests();
    let flow = native_flow(&app, &token).await;
    let init = app.store_requests();
    assert_eq!(
        (init.get_many, init.write, init.total()),
        (1, 1, 2),
        "init: the session read, the flow written"
    );
    submit_native(
        &action(&flow),
        &token,
        &json!({"method": "profile", "traits": {"email": "settings-cost@example.com", "name": {"first": "C"}}}),
    )
    .await;
    let change = app.store_requests();
    assert_eq!(
        (change.get, change.get_many, change.write, change.total()),
        (1, 1, 1, 3),
        "a change: the flow, the session with its identity; identity and flow in one write"
    );
}

on_both_backends!(
    settings_need_a_session,
    a_browser_settings_flow_shows_the_profile_and_the_password,
    a_browser_changes_its_name_and_returns_to_the_settings_ui,
    a_native_app_changes_its_password,
    a_spa_gets_the_flow_and_where_to_go_next,
    old_sessions_must_refresh_before_privileged_changes,
    a_browser_refreshes_its_login_and_the_change_is_applied,
    another_identity_cannot_use_the_flow,
    an_expired_flow_is_replaced,
    invalid_changes_are_shown_on_the_form,
    browser_changes_need_the_anti_csrf_token,
    revoke_active_sessions_after_a_change,
    settings_costs_pinned_store_requests,
);
