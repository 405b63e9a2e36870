//! Registration: browser (form posts with a cookie jar), SPA (JSON) and native (the
//! official SDK) flows, two-step registration, validation, the password policy, the
//! breach check against a local range API, CSRF, `return_to`, expiry and store costs.

use blackbox::contract::assert_response;
use blackbox::flows::{
    Browser, UI, action, api_flow, assert_error_response, config, csrf_token, default_config,
    form_message_ids, forwarded_error, location, native, node, node_message_ids, node_messages,
    node_names, nodes, post_native, query_param, register_native, set_cookies, whoami_token,
};
use blackbox::{Backend, TestApp, on_both_backends};
use ory_kratos_client::apis::frontend_api;
use ory_kratos_client::models::{
    UpdateRegistrationFlowBody, UpdateRegistrationFlowWithPasswordMethod,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "correct-horse-battery-staple";

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &default_config()).await
}

async fn a_browser_starts_a_two_step_flow_at_the_ui_with_an_anti_csrf_cookie(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    let response = browser
        .get(&app.public("/self-service/registration/browser"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with(&format!("{UI}/registration?flow=")));
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.starts_with("csrf_token_") && c.contains("HttpOnly")),
        "{:?}",
        set_cookies(&response)
    );
    let id = query_param(&location(&response), "flow").unwrap();
    let flow = browser.fetch(&app, "registration", &id).await;
    assert_response("get", "/self-service/registration/flows", 200, &flow);
    assert_eq!(flow["type"], "browser");
    assert_eq!(flow["state"], "choose_method");
    assert!(flow["organization_id"].is_null());
    // Step one: the traits and the profile button; the password waits for step two.
    // Kratos sorts the default group by the schema's keys, so csrf_token comes last.
    assert_eq!(
        node_names(&flow),
        [
            "traits.email",
            "traits.name.first",
            "traits.name.last",
            "csrf_token",
            "method"
        ]
    );
    let email = node(&flow, "traits.email").unwrap();
    assert_eq!(email["group"], "default");
    assert_eq!(email["attributes"]["type"], "email");
    assert_eq!(email["attributes"]["required"], true);
    assert_eq!(email["attributes"]["autocomplete"], "email");
    assert_eq!(email["meta"]["label"]["id"], 1070002);
    assert_eq!(email["meta"]["label"]["context"]["title"], "E-Mail");
    let method = node(&flow, "method").unwrap();
    assert_eq!(method["attributes"]["value"], "profile");
    assert_eq!(method["group"], "profile");
    assert_eq!(method["meta"]["label"]["id"], 1040001);
    assert!(node(&flow, "password").is_none());
    assert!(!csrf_token(&flow).is_empty());
    assert_eq!(
        flow["ui"]["action"],
        app.public(&format!("/self-service/registration?flow={id}"))
    );
}

async fn two_step_registration_shows_the_credentials_then_signs_the_browser_in(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    let flow = browser.start(&app, "registration", "").await;
    let csrf = csrf_token(&flow);
    let response = browser
        .post_form(
            &action(&flow),
            &[
                ("csrf_token", &csrf),
                ("traits.email", "ada@example.com"),
                ("traits.name.first", "Ada"),
                ("method", "profile"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = flow["id"].as_str().unwrap();
    assert_eq!(location(&response), format!("{UI}/registration?flow={id}"));
    let step_two = browser.fetch(&app, "registration", id).await;
    assert_response("get", "/self-service/registration/flows", 200, &step_two);
    assert_eq!(form_message_ids(&step_two), [1040009]);
    let password = node(&step_two, "password").unwrap();
    assert_eq!(password["attributes"]["type"], "password");
    assert_eq!(password["attributes"]["autocomplete"], "new-password");
    assert_eq!(password["meta"]["label"]["id"], 1070001);
    let email = node(&step_two, "traits.email").unwrap();
    assert_eq!(email["attributes"]["type"], "hidden");
    assert_eq!(email["attributes"]["value"], "ada@example.com");
    let back = node(&step_two, "screen").unwrap();
    assert_eq!(back["attributes"]["value"], "previous");
    assert_eq!(back["meta"]["label"]["id"], 1040008);
    let methods: Vec<&Value> = nodes(&step_two, "method");
    assert_eq!(methods.len(), 1);
    assert_eq!(methods[0]["attributes"]["value"], "password");

    // Back to the first step keeps what was typed.
    let response = browser
        .post_form(
            &action(&step_two),
            &[
                ("csrf_token", &csrf_token(&step_two)),
                ("traits.email", "ada@example.com"),
                ("screen", "previous"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let step_one = browser.fetch(&app, "registration", id).await;
    assert_eq!(
        node(&step_one, "traits.email").unwrap()["attributes"]["value"],
        "ada@example.com"
    );
    assert_eq!(
        node(&step_one, "method").unwrap()["attributes"]["value"],
        "profile"
    );

    let response = browser
        .post_form(
            &action(&step_two),
            &[
                ("csrf_token", &csrf_token(&step_two)),
                ("traits.email", "ada@example.com"),
                ("traits.name.first", "Ada"),
                ("password", PASSWORD),
                ("method", "password"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{UI}/"));
    let cookies = set_cookies(&response);
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("ory_kratos_session="))
        .expect("the session hook sets the session cookie");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
    let whoami = browser.whoami(&app).await;
    assert_eq!(whoami.status(), StatusCode::OK);
    let session: Value = whoami.json().await.unwrap();
    assert_eq!(session["identity"]["traits"]["email"], "ada@example.com");
    assert_eq!(session["identity"]["traits"]["name"]["first"], "Ada");
    assert_eq!(session["authentication_methods"][0]["method"], "password");
}

async fn a_spa_registers_with_json_and_gets_the_session_without_a_token(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    let response = browser
        .get_json(&app.public("/self-service/registration/browser"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let flow: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/registration/browser", 200, &flow);
    let response = browser
        .post_json(
            &action(&flow),
            &json!({
                "method": "password",
                "csrf_token": csrf_token(&flow),
                "traits": {"email": "spa@example.com"},
                "password": PASSWORD,
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.starts_with("ory_kratos_session="))
    );
    let body: Value = response.json().await.unwrap();
    assert_response("post", "/self-service/registration", 200, &body);
    assert_eq!(body["identity"]["traits"]["email"], "spa@example.com");
    assert!(body["identity"].get("credentials").is_none());
    assert_eq!(body["session"]["identity"]["id"], body["identity"]["id"]);
    assert!(body.get("session_token").is_none());
    assert_eq!(
        body["continue_with"],
        json!([{"action": "redirect_browser_to", "redirect_browser_to": format!("{UI}/")}])
    );
    assert_eq!(browser.whoami(&app).await.status(), StatusCode::OK);
}

async fn a_native_app_registers_with_the_sdk(backend: Backend) {
    // Without the session hook: the official Rust SDK 1.3.8 cannot read a non-empty
    // `continue_with` (its internally tagged enum consumes `action`, which each variant
    // then requires), nor any flow with form nodes (likewise with `node_type`), against
    // Kratos as much as here. So the flow is created with a plain request, and the
    // session hook's answer is checked without the SDK (`register_native`).
    let yaml = default_config().replace(
        "      after:\n        password:\n          hooks:\n            - hook: session\n",
        "",
    );
    let app = TestApp::spawn_with(backend, &yaml).await;
    let sdk = app.sdk(&app.public_url);
    let flow = api_flow(&app, "registration").await;
    assert_response("get", "/self-service/registration/api", 200, &flow);
    assert_eq!(flow["type"], "api");
    let csrf = node(&flow, "csrf_token").expect("API flows carry a csrf_token node too");
    assert_eq!(
        csrf["attributes"]["value"], "",
        "empty on API flows, as in Kratos"
    );
    let body = UpdateRegistrationFlowBody::Password(Box::new(
        UpdateRegistrationFlowWithPasswordMethod::new(
            "password".into(),
            PASSWORD.into(),
            json!({"email": "native@example.com"}),
        ),
    ));
    let done =
        frontend_api::update_registration_flow(&sdk, flow["id"].as_str().unwrap(), body, None)
            .await
            .unwrap();
    assert!(done.session_token.is_none());
    assert_eq!(
        done.identity.traits,
        Some(json!({"email": "native@example.com"}))
    );
    // A second attempt with the same identifier is a 400 the SDK reports as an error.
    let flow = api_flow(&app, "registration").await;
    let again = frontend_api::update_registration_flow(
        &sdk,
        flow["id"].as_str().unwrap(),
        UpdateRegistrationFlowBody::Password(Box::new(
            UpdateRegistrationFlowWithPasswordMethod::new(
                "password".into(),
                PASSWORD.into(),
                json!({"email": "native@example.com"}),
            ),
        )),
        None,
    )
    .await;
    match again {
        Err(ory_kratos_client::apis::Error::ResponseError(response)) => {
            assert_eq!(response.status, StatusCode::BAD_REQUEST);
            assert!(response.content.contains("4000007"));
        }
        other => panic!("expected a 400, got {other:?}"),
    }
}

async fn a_native_app_gets_a_session_token_from_the_session_hook(backend: Backend) {
    let app = spawn(backend).await;
    let body = register_native(&app, "native@example.com", PASSWORD).await;
    assert_response("post", "/self-service/registration", 200, &body);
    let token = body["session_token"]
        .as_str()
        .expect("the session hook issues a token");
    assert!(token.starts_with("ory_st_"));
    assert_eq!(
        body["identity"]["traits"],
        json!({"email": "native@example.com"})
    );
    assert_eq!(body["session"]["identity"]["id"], body["identity"]["id"]);
    assert_eq!(
        body["continue_with"],
        json!([{"action": "set_ory_session_token", "ory_session_token": token}])
    );
    let session = frontend_api::to_session(&app.sdk(&app.public_url), Some(token), None, None)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(session.identity.unwrap().id).unwrap(),
        body["identity"]["id"]
    );
    assert_eq!(whoami_token(&app, token).await.status(), StatusCode::OK);
}

async fn without_the_session_hook_registration_answers_only_the_identity(backend: Backend) {
    let yaml = default_config().replace(
        "      after:\n        password:\n          hooks:\n            - hook: session\n",
        "",
    );
    let app = TestApp::spawn_with(backend, &yaml).await;
    let body = register_native(&app, "nohook@example.com", PASSWORD).await;
    assert_response("post", "/self-service/registration", 200, &body);
    assert!(body.get("session").is_none());
    assert!(body.get("session_token").is_none());
    assert_eq!(body["continue_with"], json!([]));
    // The identity can sign in.
    blackbox::flows::login_native(&app, "nohook@example.com", PASSWORD).await;
}

async fn a_taken_identifier_is_reported_as_4000007(backend: Backend) {
    let app = spawn(backend).await;
    register_native(&app, "taken@example.com", PASSWORD).await;
    let flow = api_flow(&app, "registration").await;
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "traits": {"email": "Taken@Example.com"}, "password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let flow: Value = response.json().await.unwrap();
    assert_response("post", "/self-service/registration", 400, &flow);
    assert_eq!(form_message_ids(&flow), [4000007]);
    // The password is never echoed.
    assert!(!flow.to_string().contains(PASSWORD));
}

async fn with_login_hints_a_taken_identifier_names_how_to_sign_in(backend: Backend) {
    let yaml = config("", "").replace(
        "      ui_url: \"http://127.0.0.1:4455/registration\"\n",
        "      ui_url: \"http://127.0.0.1:4455/registration\"\n      login_hints: true\n",
    );
    let app = TestApp::spawn_with(backend, &yaml).await;
    register_native(&app, "hinted@example.com", PASSWORD).await;
    let flow = api_flow(&app, "registration").await;
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "traits": {"email": "hinted@example.com"}, "password": PASSWORD}),
    )
    .await;
    let flow: Value = response.json().await.unwrap();
    let message = &flow["ui"]["messages"][0];
    assert_eq!(message["id"], 4000028);
    // Kratos lists every first factor the account has, by name.
    assert_eq!(
        message["context"]["available_credential_types"],
        json!(["code", "password"])
    );
    assert_eq!(
        message["context"]["credential_identifier_hint"],
        "hinted@example.com"
    );
}

async fn schema_violations_are_reported_on_their_fields_with_kratos_ids(backend: Backend) {
    let app = spawn(backend).await;
    let flow = api_flow(&app, "registration").await;
    let url = action(&flow);
    let cases = [
        (
            json!({}),
            "traits.email",
            4000002,
            json!({"property": "email"}),
        ),
        (
            json!({"email": 5}),
            "traits.email",
            4000026,
            json!({"allowed_types": ["string"], "actual_type": "integer"}),
        ),
        (
            json!({"email": "a@b.c", "name": {"first": "x".repeat(300)}}),
            "traits.name.first",
            4000017,
            json!({"max_length": 256, "actual_length": 300}),
        ),
        (
            json!({"email": "ab"}),
            "traits.email",
            4000003,
            json!({"min_length": 3, "actual_length": 2}),
        ),
    ];
    for (traits, field, id, context) in cases {
        let response = post_native(
            &url,
            &json!({"method": "password", "traits": traits, "password": PASSWORD}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{traits}");
        let flow: Value = response.json().await.unwrap();
        assert_response("post", "/self-service/registration", 400, &flow);
        let messages = node_messages(&flow, field);
        let message = messages
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("{id} on {field}: {}", flow["ui"]));
        assert_eq!(message["type"], "error");
        for (key, value) in context.as_object().unwrap() {
            assert_eq!(&message["context"][key], value, "{field} {key}");
        }
    }
    // An email that is not one is refused by the schema's format (4000001 with a reason).
    let response = post_native(
        &url,
        &json!({"method": "password", "traits": {"email": "not-an-email"}, "password": PASSWORD}),
    )
    .await;
    let flow: Value = response.json().await.unwrap();
    assert_eq!(node_message_ids(&flow, "traits.email"), [4000001]);
    // A missing password is reported with the traits' problems.
    let response = post_native(&url, &json!({"method": "password", "traits": {}})).await;
    let flow: Value = response.json().await.unwrap();
    assert_eq!(node_message_ids(&flow, "password"), [4000002]);
    assert_eq!(node_message_ids(&flow, "traits.email"), [4000002]);
}

async fn the_password_policy_refuses_short_similar_and_overlong_passwords(backend: Backend) {
    let app = spawn(backend).await;
    let flow = api_flow(&app, "registration").await;
    let url = action(&flow);
    let cases = [
        (
            "short",
            4000032,
            json!({"min_length": 8, "actual_length": 5}),
        ),
        ("policy@example.com", 4000031, json!(null)),
        ("policy@example.com2024", 4000031, json!(null)),
        (
            &*"p".repeat(1025),
            4000033,
            json!({"max_length": 1024, "actual_length": 1025}),
        ),
    ];
    for (password, id, context) in cases {
        let response = post_native(
            &url,
            &json!({"method": "password", "traits": {"email": "policy@example.com"}, "password": password}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let flow: Value = response.json().await.unwrap();
        let messages = node_messages(&flow, "password");
        assert_eq!(messages.len(), 1, "{}", flow["ui"]);
        assert_eq!(messages[0]["id"], id);
        if !context.is_null() {
            assert_eq!(messages[0]["context"], context);
        }
    }
    let configured = TestApp::spawn_with(
        backend,
        &config("", "      config:\n        min_password_length: 12\n"),
    )
    .await;
    let flow = api_flow(&configured, "registration").await;
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "traits": {"email": "min@example.com"}, "password": "elevenchars"}),
    )
    .await;
    let flow: Value = response.json().await.unwrap();
    assert_eq!(
        node_messages(&flow, "password")[0]["context"],
        json!({"min_length": 12, "actual_length": 11})
    );
}

/// A local stand-in for the haveibeenpwned range API: `breached` passwords with counts.
async fn range_stub(breached: &[(&str, u64)]) -> (String, tokio::task::JoinHandle<()>) {
    use sha1::{Digest, Sha1};
    let listing: Vec<(String, String)> = breached
        .iter()
        .map(|(password, count)| {
            let digest = hex_upper(&Sha1::digest(password.as_bytes()));
            (digest[..5].to_owned(), format!("{}:{count}", &digest[5..]))
        })
        .collect();
    let router = axum::Router::new().route(
        "/range/{prefix}",
        axum::routing::get(
            move |axum::extract::Path(prefix): axum::extract::Path<String>| {
                let listing = listing.clone();
                async move {
                    let mut body = String::from("0000000000000000000000000000000000A:3\r\n");
                    for (p, line) in &listing {
                        if *p == prefix {
                            body.push_str(line);
                            body.push_str("\r\n");
                        }
                    }
                    body
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (url, task)
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

async fn breached_passwords_are_refused_through_the_range_api(backend: Backend) {
    let (stub, task) = range_stub(&[("breached-password-1", 42)]).await;
    let methods = format!(
        "      config:\n        haveibeenpwned_enabled: true\n        haveibeenpwned_host: \"{stub}\"\n        ignore_network_errors: false\n"
    );
    let app = TestApp::spawn_with(backend, &config("", &methods)).await;
    let flow = api_flow(&app, "registration").await;
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "traits": {"email": "hibp@example.com"}, "password": "breached-password-1"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let flow: Value = response.json().await.unwrap();
    let message = &node_messages(&flow, "password")[0];
    assert_eq!(message["id"], 4000034);
    assert_eq!(message["context"]["breaches"], 42);
    // A password the service does not list passes.
    let done = register_native(&app, "hibp@example.com", "never-breached-password-9").await;
    assert_eq!(done["identity"]["traits"]["email"], "hibp@example.com");
    // With the service down, the check fails closed unless network errors are ignored.
    task.abort();
    let _ = task.await;
    let flow = api_flow(&app, "registration").await;
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "traits": {"email": "down@example.com"}, "password": "another-fine-password-7"}),
    )
    .await;
    let flow: Value = response.json().await.unwrap();
    assert_eq!(node_message_ids(&flow, "password"), [4000005]);
    let lenient = TestApp::spawn_with(
        backend,
        &config(
            "",
            &methods.replace(
                "ignore_network_errors: false",
                "ignore_network_errors: true",
            ),
        ),
    )
    .await;
    register_native(&lenient, "down@example.com", "another-fine-password-7").await;
}

async fn an_expired_flow_is_replaced_with_a_message(backend: Backend) {
    let app = spawn(backend).await;
    let flow = api_flow(&app, "registration").await;
    app.clock.advance(std::time::Duration::from_secs(3601));
    let response = post_native(
        &action(&flow),
        &json!({"method": "password", "traits": {"email": "late@example.com"}, "password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::GONE);
    let body: Value = response.json().await.unwrap();
    assert_response("post", "/self-service/registration", 410, &body);
    assert_eq!(body["error"]["id"], "self_service_flow_expired");
    let replacement = body["use_flow_id"].as_str().unwrap();
    assert_ne!(replacement, flow["id"].as_str().unwrap());
    let fresh: Value = native()
        .get(app.public(&format!(
            "/self-service/registration/flows?id={replacement}"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form_message_ids(&fresh), [4040001]);
    // Fetching the expired flow says where to start again.
    let gone = native()
        .get(app.public(&format!(
            "/self-service/registration/flows?id={}",
            flow["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::GONE);
    let body: Value = gone.json().await.unwrap();
    assert_eq!(
        body["error"]["details"]["api"],
        app.public("/self-service/registration/api")
    );

    // A browser is sent to the replacement's UI.
    let browser = Browser::new();
    let flow = browser.start(&app, "registration", "").await;
    app.clock.advance(std::time::Duration::from_secs(3601));
    let response = browser
        .post_form(
            &action(&flow),
            &[("csrf_token", &csrf_token(&flow)), ("method", "profile")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(&response);
    assert!(target.starts_with(&format!("{UI}/registration?flow=")));
    assert_ne!(
        query_param(&target, "flow").unwrap(),
        flow["id"].as_str().unwrap()
    );
}

async fn browser_submissions_need_the_anti_csrf_token_of_their_own_cookie(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    let flow = browser.start(&app, "registration", "").await;
    let fields = |csrf: &str| {
        vec![
            ("csrf_token".to_owned(), csrf.to_owned()),
            ("traits.email".to_owned(), "csrf@example.com".to_owned()),
            ("method".to_owned(), "profile".to_owned()),
        ]
    };
    // Missing: the browser goes to the error UI, where the error is a 403.
    let response = browser
        .client
        .post(action(&flow))
        .form(&[("traits.email", "csrf@example.com"), ("method", "profile")])
        .send()
        .await
        .unwrap();
    let error = forwarded_error(&app, &response).await;
    assert_response("get", "/self-service/errors", 200, &error);
    assert_eq!(error["error"]["id"], "security_csrf_violation");
    assert_eq!(error["error"]["code"], 403);
    // Wrong: a script gets the 403 itself.
    let response = browser
        .post_json(
            &action(&flow),
            &json!({"method": "profile", "csrf_token": "forged", "traits": {"email": "csrf@example.com"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["id"], "security_csrf_violation");
    assert!(body["error"]["details"]["reject_reason"].is_string());
    // Another browser's valid token does not fit this browser's cookie.
    let other = Browser::new();
    let other_flow = other.start(&app, "registration", "").await;
    let response = browser
        .client
        .post(action(&flow))
        .header("Accept", "application/json")
        .form(&fields(&csrf_token(&other_flow)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The X-CSRF-Token header is accepted in place of the field.
    let response = browser
        .client
        .post(action(&flow))
        .header("Accept", "application/json")
        .header("X-CSRF-Token", csrf_token(&flow))
        .json(&json!({"method": "profile", "traits": {"email": "csrf@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "the next step is shown"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(form_message_ids(&body), [1040009]);
}

async fn another_browser_cannot_fetch_the_flow(backend: Backend) {
    let app = spawn(backend).await;
    let owner = Browser::new();
    let flow = owner.start(&app, "registration", "").await;
    let id = flow["id"].as_str().unwrap();
    let stranger = Browser::new();
    let response = stranger
        .get_json(&app.public(&format!("/self-service/registration/flows?id={id}")))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_error_response("get", "/self-service/registration/flows", 403, &body);
    assert_eq!(body["error"]["id"], "security_csrf_violation");
    // Unknown and malformed IDs are 404.
    for id in ["00000000-0000-4000-8000-000000000000", "not-a-uuid", ""] {
        let response = owner
            .get_json(&app.public(&format!("/self-service/registration/flows?id={id}")))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{id}");
        let body: Value = response.json().await.unwrap();
        assert_response("get", "/self-service/registration/flows", 404, &body);
    }
}

async fn api_flows_refuse_requests_made_by_browsers(backend: Backend) {
    let app = spawn(backend).await;
    let flow = api_flow(&app, "registration").await;
    let response = native()
        .post(action(&flow))
        .header("Cookie", "session=whatever; __cfduid=ok")
        .json(&json!({"method": "password", "traits": {"email": "x@example.com"}, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let flow: Value = response.json().await.unwrap();
    assert_eq!(form_message_ids(&flow), [4000001]);
    let response = native()
        .post(action(&flow))
        .header("Origin", "https://evil.example")
        .json(&json!({"method": "password", "traits": {"email": "x@example.com"}, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn malformed_submissions_are_answered_with_400s(backend: Backend) {
    let app = spawn(backend).await;
    let flow = api_flow(&app, "registration").await;
    let url = action(&flow);
    // Bodies that are not JSON objects, or not JSON at all.
    for (body, content_type) in [
        ("{\"method\":", "application/json"),
        ("[1,2]", "application/json"),
        ("method=password", "text/plain"),
    ] {
        let response = native()
            .post(&url)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let flow: Value = response.json().await.unwrap();
        assert_response("post", "/self-service/registration", 400, &flow);
        assert_eq!(form_message_ids(&flow), [4000001], "{body}");
    }
    // An unknown method, wrong types.
    let response = post_native(&url, &json!({"method": "carrier-pigeon"})).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(form_message_ids(&body), [4010003]);
    let response = post_native(
        &url,
        &json!({"method": "password", "traits": "me", "password": 12345678}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(node_message_ids(&body, "traits"), [4000026]);
    assert_eq!(node_message_ids(&body, "password"), [4000026]);
    // A huge body is refused before anything is read.
    let response = native()
        .post(&url)
        .header("Content-Type", "application/json")
        .body(format!(
            "{{\"method\":\"{}\"}}",
            "x".repeat(2 * 1024 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // No flow, an unknown flow, a malformed flow ID.
    let response = post_native(&app.public("/self-service/registration"), &json!({})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["id"], "bad_request");
    let response = post_native(
        &app.public("/self-service/registration?flow=00000000-0000-4000-8000-000000000000"),
        &json!({}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = post_native(
        &app.public("/self-service/registration?flow=nope"),
        &json!({}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // Unsupported methods on the routes.
    let response = native()
        .put(app.public("/self-service/registration"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// Open-redirect tricks, all refused as `return_to`.
const OPEN_REDIRECTS: [&str; 12] = [
    "https://evil.example/",
    "//evil.example/",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http:/\\evil.example",
    "http://127.0.0.1:4455@evil.example/",
    "http://user:pass@127.0.0.1:4455/",
    "javascript:alert(1)",
    "http://127.0.0.1:4456/",
    "https://127.0.0.1:4455/",
    "http://evil.example/?http://127.0.0.1:4455",
];

async fn return_to_must_be_on_the_allow_list(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    for target in OPEN_REDIRECTS {
        let url = format!(
            "{}?return_to={}",
            app.public("/self-service/registration/browser"),
            urlencode(target)
        );
        let response = browser.get_json(&url).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{target}");
        let body: Value = response.json().await.unwrap();
        assert_response("get", "/self-service/registration/browser", 400, &body);
        assert!(
            ["self_service_flow_return_to_forbidden", "bad_request"]
                .contains(&body["error"]["id"].as_str().unwrap()),
            "{target}: {body}"
        );
        // A navigating browser is sent to the error UI instead.
        let response = browser.get(&url).await;
        let error = forwarded_error(&app, &response).await;
        assert_eq!(error["error"]["code"], 400);
    }
    // An allowed target is kept and used after registration.
    let flow = browser
        .start(
            &app,
            "registration",
            &format!(
                "?return_to={}",
                urlencode("https://app.example.com/welcome?x=1")
            ),
        )
        .await;
    assert_eq!(flow["return_to"], "https://app.example.com/welcome?x=1");
    let response = browser
        .post_form(
            &action(&flow),
            &[
                ("csrf_token", &csrf_token(&flow)),
                ("traits.email", "back@example.com"),
                ("password", PASSWORD),
                ("method", "password"),
            ],
        )
        .await;
    assert_eq!(location(&response), "https://app.example.com/welcome?x=1");
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn a_signed_in_client_cannot_register_again(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    browser.register(&app, "again@example.com", PASSWORD).await;
    let response = browser
        .get(&app.public("/self-service/registration/browser"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{UI}/"));
    let response = browser
        .get_json(&app.public("/self-service/registration/browser"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["id"], "session_already_available");
    let token = register_native(&app, "native-again@example.com", PASSWORD).await["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = native()
        .get(app.public("/self-service/registration/api"))
        .header("X-Session-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/registration/api", 400, &body);
    assert_eq!(body["error"]["id"], "session_already_available");
}

async fn registration_can_be_disabled(backend: Backend) {
    let yaml = default_config().replace(
        "      ui_url: \"http://127.0.0.1:4455/registration\"\n",
        "      ui_url: \"http://127.0.0.1:4455/registration\"\n      enabled: false\n",
    );
    let app = TestApp::spawn_with(backend, &yaml).await;
    let response = native()
        .get(app.public("/self-service/registration/api"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["id"], "self_service_flow_disabled");
}

async fn legacy_one_step_registration_shows_every_field_at_once(backend: Backend) {
    let yaml = default_config().replace(
        "      ui_url: \"http://127.0.0.1:4455/registration\"\n",
        "      ui_url: \"http://127.0.0.1:4455/registration\"\n      enable_legacy_one_step: true\n",
    );
    let app = TestApp::spawn_with(backend, &yaml).await;
    let flow = api_flow(&app, "registration").await;
    assert_eq!(
        node_names(&flow),
        [
            "csrf_token",
            "traits.email",
            "password",
            "traits.name.first",
            "traits.name.last",
            "method"
        ]
    );
    assert_eq!(node(&flow, "traits.email").unwrap()["group"], "password");
    let response = post_native(&action(&flow), &json!({"method": "profile", "traits": {}})).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        form_message_ids(&body),
        [4010003],
        "no profile step in one-step mode"
    );
}

async fn a_native_flow_can_hand_out_a_token_exchange_code(backend: Backend) {
    let app = spawn(backend).await;
    let response = native()
        .get(app.public("/self-service/registration/api?return_session_token_exchange_code=true"))
        .send()
        .await
        .unwrap();
    let flow: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/registration/api", 200, &flow);
    let init_code = flow["session_token_exchange_code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(init_code.len(), 64);
    // Only the creating response carries the code.
    let fetched: Value = native()
        .get(app.public(&format!(
            "/self-service/registration/flows?id={}",
            flow["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(fetched.get("session_token_exchange_code").is_none());
    let done: Value = post_native(
        &action(&flow),
        &json!({"method": "password", "traits": {"email": "exchange@example.com"}, "password": PASSWORD}),
    )
    .await
    .json()
    .await
    .unwrap();
    // The return-to code reaches apps only through a social sign-in's redirect; read it
    // from the exchange as that redirect would.
    let digest = kratos_core::crypto::sha256_hex(init_code.as_bytes());
    let exchanges = kratos_core::selfservice::exchange::TokenExchanges::new(
        app.state.table.clone(),
        &app.state.exchange_sealer,
    );
    let return_to_code = exchanges.return_to_code(&digest).await.unwrap().unwrap();
    let sdk = app.sdk(&app.public_url);
    let exchanged = frontend_api::exchange_session_token(&sdk, &init_code, return_to_code.expose())
        .await
        .unwrap();
    assert_eq!(
        exchanged.session_token.as_deref(),
        done["session_token"].as_str()
    );
    // Once only; and both codes are needed.
    let again = native()
        .get(app.public(&format!(
            "/sessions/token-exchange?init_code={init_code}&return_to_code={}",
            return_to_code.expose()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let body: Value = again.json().await.unwrap();
    assert_response("get", "/sessions/token-exchange", 404, &body);
    let missing = native()
        .get(app.public(&format!("/sessions/token-exchange?init_code={init_code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
}

async fn registration_costs_pinned_store_requests(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::new();
    app.store_requests();
    let response = browser
        .get(&app.public("/self-service/registration/browser"))
        .await;
    let id = query_param(&location(&response), "flow").unwrap();
    let init = app.store_requests();
    assert_eq!((init.reads(), init.write), (0, 1), "init: 1 PutItem");
    let flow = browser.fetch(&app, "registration", &id).await;
    let fetch = app.store_requests();
    assert_eq!((fetch.get, fetch.total()), (1, 1), "fetch: 1 GetItem");
    browser
        .post_form(
            &action(&flow),
            &[
                ("csrf_token", &csrf_token(&flow)),
                ("traits.email", "cost@example.com"),
                ("method", "profile"),
            ],
        )
        .await;
    let step = app.store_requests();
    assert_eq!(
        (step.get, step.write, step.total()),
        (1, 1, 2),
        "profile step"
    );
    let response = browser
        .post_form(
            &action(&flow),
            &[
                ("csrf_token", &csrf_token(&flow)),
                ("traits.email", "cost@example.com"),
                ("password", PASSWORD),
                ("method", "password"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let done = app.store_requests();
    assert_eq!(
        (done.get, done.write, done.total()),
        (1, 1, 2),
        "registration: the flow read, then identity + claims + session in one transaction"
    );
}

on_both_backends!(
    a_browser_starts_a_two_step_flow_at_the_ui_with_an_anti_csrf_cookie,
    two_step_registration_shows_the_credentials_then_signs_the_browser_in,
    a_spa_registers_with_json_and_gets_the_session_without_a_token,
    a_native_app_registers_with_the_sdk,
    a_native_app_gets_a_session_token_from_the_session_hook,
    without_the_session_hook_registration_answers_only_the_identity,
    a_taken_identifier_is_reported_as_4000007,
    with_login_hints_a_taken_identifier_names_how_to_sign_in,
    schema_violations_are_reported_on_their_fields_with_kratos_ids,
    the_password_policy_refuses_short_similar_and_overlong_passwords,
    breached_passwords_are_refused_through_the_range_api,
    an_expired_flow_is_replaced_with_a_message,
    browser_submissions_need_the_anti_csrf_token_of_their_own_cookie,
    another_browser_cannot_fetch_the_flow,
    api_flows_refuse_requests_made_by_browsers,
    malformed_submissions_are_answered_with_400s,
    return_to_must_be_on_the_allow_list,
    a_signed_in_client_cannot_register_again,
    registration_can_be_disabled,
    legacy_one_step_registration_shows_every_field_at_once,
    a_native_flow_can_hand_out_a_token_exchange_code,
    registration_costs_pinned_store_requests,
);
