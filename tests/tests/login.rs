//! Login: browser (form posts with a cookie jar), SPA (JSON) and native (the official
//! SDK) flows; wrong passwords and unknown users alike; refresh; `aal`; hooks; imported
//! hashes rehashed on login; CSRF, `return_to`, expiry and store costs.

use blackbox::contract::assert_response;
use blackbox::flows::{
    Browser, UI, action, api_flow, assert_error_response, csrf_token, default_config,
    form_message_ids, forwarded_error, location, login_native, native, node, node_message_ids,
    node_names, post_native, query_param, register_native, set_cookies, whoami_token,
};
use blackbox::{Backend, TestApp, on_both_backends};
use kratos_core::identity::{CredentialsType, Identity, IdentityStore};
use ory_kratos_client::apis::frontend_api;
use ory_kratos_client::models::{UpdateLoginFlowBody, UpdateLoginFlowWithPasswordMethod};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "correct-horse-battery-staple";

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &default_config()).await
}

/// The configuration with `after` hooks for password logins.
fn with_login_hooks(hooks: &[&str]) -> String {
    let list: String = hooks
        .iter()
        .map(|h| format!("            - hook: {h}\n"))
        .collect();
    default_config().replace(
        "      ui_url: \"http://127.0.0.1:4455/login\"\n",
        &format!(
            "      ui_url: \"http://127.0.0.1:4455/login\"\n      after:\n        password:\n          hooks:\n{list}"
        ),
    )
}

async fn a_browser_login_flow_offers_identifier_and_password(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    let response = browser
        .get(&app.public("/self-service/login/browser"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with(&format!("{UI}/login?flow=")));
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.starts_with("csrf_token_"))
    );
    let id = query_param(&location(&response), "flow").unwrap();
    let flow = browser.fetch(&app, "login", &id).await;
    assert_response("get", "/self-service/login/flows", 200, &flow);
    assert_eq!(flow["refresh"], false);
    assert_eq!(flow["requested_aal"], "aal1");
    assert_eq!(flow["state"], "choose_method");
    assert!(flow["created_at"].is_string());
    assert_eq!(
        node_names(&flow),
        ["csrf_token", "identifier", "password", "method"]
    );
    let identifier = node(&flow, "identifier").unwrap();
    assert_eq!(identifier["attributes"]["value"], "");
    assert_eq!(identifier["attributes"]["required"], true);
    assert_eq!(identifier["meta"]["label"]["id"], 1070002);
    assert_eq!(identifier["meta"]["label"]["context"]["title"], "E-Mail");
    let password = node(&flow, "password").unwrap();
    assert_eq!(password["attributes"]["autocomplete"], "current-password");
    let method = node(&flow, "method").unwrap();
    assert_eq!(method["attributes"]["value"], "password");
    assert_eq!(method["meta"]["label"]["id"], 1010022);
    // The SPA variant answers the flow itself.
    let response = browser
        .get_json(&app.public("/self-service/login/browser"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let flow: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/login/browser", 200, &flow);
    assert_eq!(flow["type"], "browser");
}

async fn a_browser_signs_in_with_a_form_and_gets_a_session_cookie(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "form@example.com", PASSWORD).await;
    let browser = Browser::new();
    let response = browser.login(&app, "Form@Example.com", PASSWORD).await;
    assert_eq!(location(&response), format!("{UI}/"));
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("ory_kratos_session=ory_st_"))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("Path=/") && cookie.contains("Max-Age"));
    let whoami = browser.whoami(&app).await;
    assert_eq!(whoami.status(), StatusCode::OK);
    let session: Value = whoami.json().await.unwrap();
    assert_eq!(session["identity"]["traits"]["email"], "form@example.com");
    assert_eq!(session["authenticator_assurance_level"], "aal1");
    assert_eq!(session["authentication_methods"][0]["method"], "password");
}

async fn a_spa_signs_in_with_json(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "spa@example.com", PASSWORD).await;
    let browser = Browser::new();
    let flow: Value = browser
        .get_json(&app.public("/self-service/login/browser"))
        .await
        .json()
        .await
        .unwrap();
    let response = browser
        .post_json(
            &action(&flow),
            &json!({"method": "password", "csrf_token": csrf_token(&flow), "identifier": "spa@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.starts_with("ory_kratos_session="))
    );
    let body: Value = response.json().await.unwrap();
    assert_response("post", "/self-service/login", 200, &body);
    assert!(
        body.get("session_token").is_none(),
        "browsers get cookies, not tokens"
    );
    assert_eq!(
        body["session"]["identity"]["traits"]["email"],
        "spa@example.com"
    );
    assert_eq!(
        body["continue_with"],
        json!([{"action": "redirect_browser_to", "redirect_browser_to": format!("{UI}/")}])
    );
    assert_eq!(browser.whoami(&app).await.status(), StatusCode::OK);
}

async fn a_native_app_signs_in_with_the_sdk(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "native@example.com", PASSWORD).await;
    let sdk = app.sdk(&app.public_url);
    // The SDK cannot read flows (see registration.rs); the flow comes from a plain request.
    let flow = api_flow(&app, "login").await;
    assert_response("get", "/self-service/login/api", 200, &flow);
    let body = |password: &str| {
        UpdateLoginFlowBody::Password(Box::new(UpdateLoginFlowWithPasswordMethod::new(
            "native@example.com".into(),
            "password".into(),
            password.into(),
        )))
    };
    let id = flow["id"].as_str().unwrap();
    let done = frontend_api::update_login_flow(&sdk, id, body(PASSWORD), None, None)
        .await
        .unwrap();
    let token = done.session_token.expect("native logins get a token");
    assert!(token.starts_with("ory_st_"));
    let session = frontend_api::to_session(&sdk, Some(&token), None, None)
        .await
        .unwrap();
    assert_eq!(session.id, done.session.id);
    // Bearer works too.
    let whoami = native()
        .get(app.public("/sessions/whoami"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status(), StatusCode::OK);
    // A wrong password is a 400 the SDK reports with the flow.
    let flow = api_flow(&app, "login").await;
    let wrong = frontend_api::update_login_flow(
        &sdk,
        flow["id"].as_str().unwrap(),
        body("wrong-password-123"),
        None,
        None,
    )
    .await;
    match wrong {
        Err(ory_kratos_client::apis::Error::ResponseError(response)) => {
            assert_eq!(response.status, StatusCode::BAD_REQUEST);
            assert!(response.content.contains("4000006"));
        }
        other => panic!("expected a 400, got {other:?}"),
    }
}

async fn a_wrong_password_and_an_unknown_user_get_the_same_answer(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "known@example.com", PASSWORD).await;
    let mut answers = Vec::new();
    for (identifier, password) in [
        ("known@example.com", "not-the-password"),
        ("unknown@example.com", "not-the-password"),
        ("unknown@example.com", PASSWORD),
    ] {
        let flow = api_flow(&app, "login").await;
        let response = post_native(
            &action(&flow),
            &json!({"method": "password", "identifier": identifier, "password": password}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let flow: Value = response.json().await.unwrap();
        assert_response("post", "/self-service/login", 400, &flow);
        assert_eq!(form_message_ids(&flow), [4000006]);
        assert_eq!(
            node(&flow, "identifier").unwrap()["attributes"]["value"],
            identifier
        );
        assert!(
            node(&flow, "password").unwrap()["attributes"]
                .get("value")
                .is_none()
        );
        let message = flow["ui"]["messages"][0].clone();
        answers.push((message, node_names(&flow)));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
}

async fn an_unknown_user_costs_the_reads_of_a_known_one(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "counted@example.com", PASSWORD).await;
    let mut costs = Vec::new();
    for identifier in ["counted@example.com", "nobody@example.com"] {
        let flow = api_flow(&app, "login").await;
        app.store_requests();
        post_native(
            &action(&flow),
            &json!({"method": "password", "identifier": identifier, "password": "wrong-password"}),
        )
        .await;
        costs.push(app.store_requests());
    }
    assert_eq!(costs[0], costs[1], "{} vs {}", costs[0], costs[1]);
    assert_eq!(
        (costs[0].get, costs[0].write),
        (3, 1),
        "flow, claim, identity; the flow's messages"
    );
}

async fn login_costs_pinned_store_requests(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "cost@example.com", PASSWORD).await;
    app.store_requests();
    let flow = api_flow(&app, "login").await;
    let init = app.store_requests();
    assert_eq!((init.reads(), init.write), (0, 1), "init: 1 PutItem");
    post_native(
        &action(&flow),
        &json!({"method": "password", "identifier": "cost@example.com", "password": PASSWORD}),
    )
    .await;
    let done = app.store_requests();
    assert_eq!(
        (done.get, done.get_many, done.query, done.write),
        (3, 0, 0, 1),
        "login: the flow, the identifier's claim, the identity; the session"
    );
}

async fn an_imported_hash_verifies_and_is_rehashed_in_the_login_write(backend: Backend) {
    let app = spawn(backend).await;
    let store = IdentityStore::new(app.state.table.clone(), app.state.clock.clone());
    let now = app.state.clock.now();
    let mut identity = Identity::new("", json!({"email": "imported@example.com"}), now);
    identity.upsert_credentials(
        CredentialsType::Password,
        json!({"hashed_password": "{SSHA}ekj/xxJPqn9rpdNpJV0CRC5AfNMBQAgh"}),
        now,
    );
    identity.validate(&app.state.schemas, now).unwrap();
    store.create(&mut identity).await.unwrap();
    let flow = api_flow(&app, "login").await;
    app.store_requests();
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "identifier": "imported@example.com", "password": "correct horse battery staple"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cost = app.store_requests();
    assert_eq!(
        (cost.get, cost.write),
        (3, 1),
        "rehash and session in one write"
    );
    let stored = store.get(identity.id).await.unwrap();
    let hash = stored.credentials[&CredentialsType::Password].config["hashed_password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    // The new hash works, and is not rehashed again.
    login_native(&app, "imported@example.com", "correct horse battery staple").await;
    let again = store.get(identity.id).await.unwrap();
    assert_eq!(
        again.credentials[&CredentialsType::Password].config["hashed_password"],
        hash.as_str()
    );
}

async fn an_expired_flow_is_replaced(backend: Backend) {
    let app = spawn(backend).await;
    let flow = api_flow(&app, "login").await;
    app.clock.advance(std::time::Duration::from_secs(3601));
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "identifier": "a@b.c", "password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::GONE);
    let body: Value = response.json().await.unwrap();
    assert_response("post", "/self-service/login", 410, &body);
    let replacement = body["use_flow_id"].as_str().unwrap();
    let fresh: Value = native()
        .get(app.public(&format!("/self-service/login/flows?id={replacement}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form_message_ids(&fresh), [4010001]);
    assert!(fresh["ui"]["messages"][0]["context"]["expired_at"].is_string());
    // A browser fetching its expired flow learns where to start again.
    let browser = Browser::new();
    let flow = browser
        .start(
            &app,
            "login",
            "?return_to=http%3A%2F%2F127.0.0.1%3A4455%2Fhome",
        )
        .await;
    app.clock.advance(std::time::Duration::from_secs(3601));
    let response = browser
        .get_json(&app.public(&format!(
            "/self-service/login/flows?id={}",
            flow["id"].as_str().unwrap()
        )))
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    let body: Value = response.json().await.unwrap();
    assert_error_response("get", "/self-service/login/flows", 410, &body);
    assert_eq!(
        body["error"]["details"]["return_to"],
        "http://127.0.0.1:4455/home"
    );
    assert!(
        body["error"]["details"]["redirect_to"]
            .as_str()
            .unwrap()
            .starts_with(&app.public("/self-service/login/browser?return_to="))
    );
}

async fn browser_logins_need_a_matching_anti_csrf_token(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "csrf@example.com", PASSWORD).await;
    let browser = Browser::new();
    let flow = browser.start(&app, "login", "").await;
    let response = browser
        .post_form(
            &action(&flow),
            &[
                ("identifier", "csrf@example.com"),
                ("password", PASSWORD),
                ("method", "password"),
            ],
        )
        .await;
    let error = forwarded_error(&app, &response).await;
    assert_eq!(error["error"]["id"], "security_csrf_violation");
    let other = Browser::new();
    let foreign = other.start(&app, "login", "").await;
    let response = browser
        .post_json(
            &action(&flow),
            &json!({"method": "password", "csrf_token": csrf_token(&foreign), "identifier": "csrf@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_error_response("post", "/self-service/login", 403, &body);
    assert_eq!(body["error"]["id"], "security_csrf_violation");
    assert_eq!(
        browser.whoami(&app).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A flow fetched by another browser is refused.
    let response = other
        .get_json(&app.public(&format!(
            "/self-service/login/flows?id={}",
            flow["id"].as_str().unwrap()
        )))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn return_to_is_checked_and_honoured(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "ret@example.com", PASSWORD).await;
    let browser = Browser::new();
    for target in [
        "//evil.example",
        "https:evil.example",
        "/\\evil.example",
        "http://a@evil.example",
    ] {
        let url = format!(
            "{}?return_to={}",
            app.public("/self-service/login/api"),
            url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
        );
        let response = native().get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{target}");
        let body: Value = response.json().await.unwrap();
        assert_response("get", "/self-service/login/api", 400, &body);
    }
    let flow = browser
        .start(
            &app,
            "login",
            "?return_to=http%3A%2F%2F127.0.0.1%3A4455%2Fdashboard%3Ftab%3D1",
        )
        .await;
    let response = browser
        .post_form(
            &action(&flow),
            &[
                ("csrf_token", &csrf_token(&flow)),
                ("identifier", "ret@example.com"),
                ("password", PASSWORD),
                ("method", "password"),
            ],
        )
        .await;
    assert_eq!(location(&response), "http://127.0.0.1:4455/dashboard?tab=1");
}

async fn a_signed_in_client_must_ask_for_a_refresh(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser.register(&app, "signed@example.com", PASSWORD).await;
    let response = browser
        .get(&app.public("/self-service/login/browser"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{UI}/"));
    let response = browser
        .get_json(&app.public("/self-service/login/browser"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["id"], "session_already_available");
    // A native app submitting with its token is told on the form.
    let token = login_native(&app, "signed@example.com", PASSWORD).await["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let flow = api_flow(&app, "login").await;
    let response = native()
        .post(action(&flow))
        .header("X-Session-Token", &token)
        .json(&json!({"method": "password", "identifier": "signed@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let flow: Value = response.json().await.unwrap();
    assert_eq!(form_message_ids(&flow), [4000001]);
}

async fn refresh_re_authenticates_the_session_with_a_new_token(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser.register(&app, "fresh@example.com", PASSWORD).await;
    let before: Value = browser.whoami(&app).await.json().await.unwrap();
    let flow = browser.start(&app, "login", "?refresh=true").await;
    assert_eq!(flow["refresh"], true);
    assert_eq!(form_message_ids(&flow), [1010003]);
    let identifier = node(&flow, "identifier").unwrap();
    assert_eq!(identifier["attributes"]["type"], "hidden");
    assert_eq!(identifier["attributes"]["value"], "fresh@example.com");
    assert_eq!(
        node(&flow, "method").unwrap()["meta"]["label"]["id"],
        1010001
    );
    app.clock.advance(std::time::Duration::from_secs(120));
    let response = browser
        .post_form(
            &action(&flow),
            &[
                ("csrf_token", &csrf_token(&flow)),
                ("identifier", "fresh@example.com"),
                ("password", PASSWORD),
                ("method", "password"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after: Value = browser.whoami(&app).await.json().await.unwrap();
    assert_eq!(after["id"], before["id"], "the same session");
    assert_ne!(after["authenticated_at"], before["authenticated_at"]);
    assert_eq!(after["authentication_methods"].as_array().unwrap().len(), 2);
    // Without a session, refresh=true is an ordinary login flow.
    let flow: Value = native()
        .get(app.public("/self-service/login/api?refresh=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(flow["refresh"], false);
}

async fn aal2_needs_a_session_and_unknown_levels_are_refused(backend: Backend) {
    let app = spawn(backend).await;
    let response = native()
        .get(app.public("/self-service/login/api?aal=aal2"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["id"], "session_aal1_required");
    let response = native()
        .get(app.public("/self-service/login/api?aal=aal7"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/login/api", 400, &body);
    // `via` (deprecated) and `organization` are accepted and change nothing here.
    let response = native()
        .get(app.public("/self-service/login/api?via=email&organization=not-a-uuid"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn revoke_active_sessions_ends_the_other_sessions(backend: Backend) {
    let app = TestApp::spawn_with(backend, &with_login_hooks(&["revoke_active_sessions"])).await;
    register_native(&app, "revoke@example.com", PASSWORD).await;
    let first = login_native(&app, "revoke@example.com", PASSWORD).await;
    let first = first["session_token"].as_str().unwrap();
    assert_eq!(whoami_token(&app, first).await.status(), StatusCode::OK);
    let second = login_native(&app, "revoke@example.com", PASSWORD).await;
    assert_eq!(
        whoami_token(&app, first).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        whoami_token(&app, second["session_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
}

async fn require_verified_address_refuses_unverified_accounts(backend: Backend) {
    let app = TestApp::spawn_with(backend, &with_login_hooks(&["require_verified_address"])).await;
    register_native(&app, "unverified@example.com", PASSWORD).await;
    let flow = api_flow(&app, "login").await;
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "identifier": "unverified@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let flow: Value = response.json().await.unwrap();
    assert_eq!(form_message_ids(&flow), [4000010]);
}

async fn a_disabled_identity_cannot_sign_in(backend: Backend) {
    let app = spawn(backend).await;
    let body = register_native(&app, "disabled@example.com", PASSWORD).await;
    let registered_token = body["session_token"].as_str().unwrap();
    let store = IdentityStore::new(app.state.table.clone(), app.state.clock.clone());
    let id = body["identity"]["id"].as_str().unwrap().parse().unwrap();
    let mut identity = store.get(id).await.unwrap();
    identity.set_state(
        kratos_core::identity::IdentityState::Inactive,
        app.state.clock.now(),
    );
    store.update(&mut identity).await.unwrap();
    let flow = api_flow(&app, "login").await;
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "identifier": "disabled@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_error_response("post", "/self-service/login", 401, &body);
    // Its earlier session stopped working too.
    assert_eq!(
        whoami_token(&app, registered_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn sessions_stop_working_after_revocation_and_expiry(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "ends@example.com", PASSWORD).await;
    let token = login_native(&app, "ends@example.com", PASSWORD).await["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(whoami_token(&app, &token).await.status(), StatusCode::OK);
    app.clock
        .advance(std::time::Duration::from_secs(24 * 3600 + 1));
    assert_eq!(
        whoami_token(&app, &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let token = login_native(&app, "ends@example.com", PASSWORD).await["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sdk = app.sdk(&app.public_url);
    frontend_api::perform_native_logout(
        &sdk,
        ory_kratos_client::models::PerformNativeLogoutBody::new(token.clone()),
    )
    .await
    .unwrap();
    assert_eq!(
        whoami_token(&app, &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn malformed_submissions_are_answered_with_400s(backend: Backend) {
    let app = spawn(backend).await;
    let flow = api_flow(&app, "login").await;
    let url = action(&flow);
    let response = native()
        .post(&url)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(form_message_ids(&body), [4000001]);
    let response = post_native(&url, &json!({"method": "password"})).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(node_message_ids(&body, "identifier"), [4000002]);
    assert_eq!(node_message_ids(&body, "password"), [4000002]);
    assert_eq!(
        node(&body, "identifier").unwrap()["messages"][0]["context"]["property"],
        "identifier"
    );
    let response = post_native(
        &url,
        &json!({"method": "password", "identifier": ["a"], "password": {"x": 1}}),
    )
    .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(node_message_ids(&body, "identifier"), [4000026]);
    assert_eq!(node_message_ids(&body, "password"), [4000026]);
    let response = post_native(&url, &json!({"method": "smoke-signals"})).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(form_message_ids(&body), [4010002]);
    // The deprecated `password_identifier` still works.
    register_native(&app, "legacy@example.com", PASSWORD).await;
    let flow = api_flow(&app, "login").await;
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "password_identifier": "legacy@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Form posts work for native clients too.
    let flow = api_flow(&app, "login").await;
    let response = native()
        .post(action(&flow))
        .form(&[
            ("method", "password"),
            ("identifier", "legacy@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn a_native_login_can_hand_out_a_token_exchange_code(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "swap@example.com", PASSWORD).await;
    let flow: Value = native()
        .get(app.public("/self-service/login/api?return_session_token_exchange_code=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let init_code = flow["session_token_exchange_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let done: Value = post_native(
        &action(&flow),
        &json!({"method": "password", "identifier": "swap@example.com", "password": PASSWORD}),
    )
    .await
    .json()
    .await
    .unwrap();
    let digest = kratos_core::crypto::sha256_hex(init_code.as_bytes());
    let code = kratos_core::selfservice::exchange::TokenExchanges::new(
        app.state.table.clone(),
        &app.state.exchange_sealer,
    )
    .return_to_code(&digest)
    .await
    .unwrap()
    .unwrap();
    let response = native()
        .get(app.public(&format!(
            "/sessions/token-exchange?init_code={init_code}&return_to_code={}",
            code.expose()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_response("get", "/sessions/token-exchange", 200, &body);
    assert_eq!(body["session_token"], done["session_token"]);
    assert_eq!(body["session"]["id"], done["session"]["id"]);
}

async fn an_identity_with_a_second_factor_is_sent_on_to_aal2(backend: Backend) {
    let app = spawn(backend).await;
    let store = IdentityStore::new(app.state.table.clone(), app.state.clock.clone());
    let now = app.state.clock.now();
    let mut identity = Identity::new("", json!({"email": "mfa@example.com"}), now);
    identity.upsert_credentials(CredentialsType::Password, json!({}), now);
    identity.validate(&app.state.schemas, now).unwrap();
    let hash = app.state.hasher.hash(&PASSWORD.into()).unwrap();
    identity.upsert_credentials(
        CredentialsType::Password,
        json!({"hashed_password": hash}),
        now,
    );
    identity.upsert_credentials(
        CredentialsType::Totp,
        json!({"totp_url": "otpauth://totp/x:mfa@example.com?secret=JBSWY3DPEHPK3PXP&issuer=x"}),
        now,
    );
    store.create(&mut identity).await.unwrap();
    // Native apps get the session without the identity.
    let body = login_native(&app, "mfa@example.com", PASSWORD).await;
    assert_response("post", "/self-service/login", 200, &body);
    assert!(body["session"].get("identity").is_none());
    assert_eq!(body["session"]["authenticator_assurance_level"], "aal1");
    // Scripts are told to navigate; browsers are sent.
    let browser = Browser::new();
    let flow: Value = browser
        .get_json(&app.public("/self-service/login/browser"))
        .await
        .json()
        .await
        .unwrap();
    let response = browser
        .post_json(
            &action(&flow),
            &json!({"method": "password", "csrf_token": csrf_token(&flow), "identifier": "mfa@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["id"], "browser_location_change_required");
    let target = body["redirect_browser_to"].as_str().unwrap();
    assert!(
        target.starts_with(&app.public("/self-service/login/browser?aal=aal2")),
        "{target}"
    );
    let other = Browser::new();
    let response = other.login(&app, "mfa@example.com", PASSWORD).await;
    let target = location(&response);
    assert!(
        target.starts_with(&app.public("/self-service/login/browser?aal=aal2")),
        "{target}"
    );
    // That flow asks for the second factor (none of which is implemented yet).
    let response = other.get(&target).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = query_param(&location(&response), "flow").unwrap();
    let flow = other.fetch(&app, "login", &id).await;
    assert_eq!(flow["requested_aal"], "aal2");
    assert_eq!(form_message_ids(&flow), [1010004]);
    assert_eq!(node_names(&flow), ["csrf_token"]);
}

on_both_backends!(
    an_identity_with_a_second_factor_is_sent_on_to_aal2,
    a_browser_login_flow_offers_identifier_and_password,
    a_browser_signs_in_with_a_form_and_gets_a_session_cookie,
    a_spa_signs_in_with_json,
    a_native_app_signs_in_with_the_sdk,
    a_wrong_password_and_an_unknown_user_get_the_same_answer,
    an_unknown_user_costs_the_reads_of_a_known_one,
    login_costs_pinned_store_requests,
    an_imported_hash_verifies_and_is_rehashed_in_the_login_write,
    an_expired_flow_is_replaced,
    browser_logins_need_a_matching_anti_csrf_token,
    return_to_is_checked_and_honoured,
    a_signed_in_client_must_ask_for_a_refresh,
    refresh_re_authenticates_the_session_with_a_new_token,
    aal2_needs_a_session_and_unknown_levels_are_refused,
    revoke_active_sessions_ends_the_other_sessions,
    require_verified_address_refuses_unverified_accounts,
    a_disabled_identity_cannot_sign_in,
    sessions_stop_working_after_revocation_and_expiry,
    malformed_submissions_are_answered_with_400s,
    a_native_login_can_hand_out_a_token_exchange_code,
);
