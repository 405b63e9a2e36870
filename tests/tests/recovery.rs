//! The recovery flow: `/self-service/recovery/{browser,api,flows}` and `POST`/`GET
//! /self-service/recovery` with the `code` and `link` methods, delivery through SES on
//! moto, the privileged session and settings flow a recovery ends with, and the admin
//! endpoints `POST /admin/recovery/code` and `POST /admin/recovery/link`.

use blackbox::contract::{assert_response, assert_schema};
use blackbox::flows::{login_native, native, whoami_token};
use blackbox::outbox::{
    Flows, code_in, create_identity, deliver, emails_to, link_in, messages_to, only_message_to,
    spawn_flows, stored_identity, unique_email,
};
use blackbox::{Backend, TestApp, on_both_backends};
use kratos_core::clock::Clock;
use kratos_core::courier::TemplateType;
use kratos_core::identity::{CredentialsType, Identity};
use kratos_core::session::{AuthenticationMethod, DeviceInfo};
use ory_kratos_client::apis::identity_api;
use ory_kratos_client::models;
use serde_json::{Value, json};

const JSON: &str = "application/json";
const PASSWORD: &str = "a long enough password 1";
const NEW_PASSWORD: &str = "another long password 2";

async fn spawn(backend: Backend) -> TestApp {
    spawn_flows(backend, Flows::default(), "").await
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in a {} answer", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

fn flow_id_in(url: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "flow" || k == "id")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no flow ID in {url}"))
}

fn node<'a>(flow: &'a Value, name: &str) -> Option<&'a Value> {
    flow["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == name || n["attributes"]["id"] == name)
}

fn message_ids(flow: &Value) -> Vec<i64> {
    flow["ui"]["messages"]
        .as_array()
        .map(|all| all.iter().map(|m| m["id"].as_i64().unwrap()).collect())
        .unwrap_or_default()
}

fn set_cookie_names(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split('=').next().unwrap().to_owned())
        .collect()
}

async fn someone(app: &TestApp, email: &str) -> Identity {
    create_identity(app, json!({ "email": email }), PASSWORD).await
}

async fn api_flow(app: &TestApp) -> Value {
    let response = app
        .http
        .get(app.public("/self-service/recovery/api"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let flow: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/recovery/api", 200, &flow);
    flow
}

async fn fetch_api_flow(app: &TestApp, id: &str) -> Value {
    let response = app
        .http
        .get(app.public(&format!("/self-service/recovery/flows?id={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn submit(app: &TestApp, flow: &Value, body: Value) -> reqwest::Response {
    let id = flow["id"].as_str().unwrap();
    app.http
        .post(app.public(&format!("/self-service/recovery?flow={id}")))
        .header("accept", JSON)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn submit_json(app: &TestApp, flow: &Value, body: Value) -> (u16, Value) {
    let response = submit(app, flow, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Asks for a code for `email` on a new API flow; the flow and the code.
async fn code_for(app: &TestApp, email: &str) -> (Value, String) {
    let flow = api_flow(app).await;
    let (status, sent) = submit_json(app, &flow, json!({"method": "code", "email": email})).await;
    assert_eq!(status, 200, "{sent}");
    let code = code_in(&only_message_to(app, email).await.body);
    (flow, code)
}

/// Sets a new password through a settings flow, as the recovered session.
async fn set_password(app: &TestApp, token: &str, settings_id: &str, password: &str) {
    let client = native();
    let response = client
        .get(app.public(&format!("/self-service/settings/flows?id={settings_id}")))
        .header("X-Session-Token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "the recovered session can read its settings flow"
    );
    let settings: Value = response.json().await.unwrap();
    assert_eq!(message_ids(&settings), vec![1060001]);
    let response = client
        .post(app.public(&format!("/self-service/settings?flow={settings_id}")))
        .header("X-Session-Token", token)
        .json(&json!({"method": "password", "password": password}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        status, 200,
        "the password changes without a new login: {body}"
    );
}

async fn login_fails(app: &TestApp, email: &str, password: &str) -> bool {
    let client = native();
    let flow: Value = client
        .get(app.public("/self-service/login/api"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = client
        .post(flow["ui"]["action"].as_str().unwrap())
        .json(&json!({ "method": "password", "identifier": email, "password": password }))
        .send()
        .await
        .unwrap();
    response.status() == 400
}

fn settings_flow_in(flow: &Value) -> (String, String) {
    let entry = flow["continue_with"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == "show_settings_ui")
        .unwrap_or_else(|| panic!("no show_settings_ui in {flow}"));
    (
        entry["flow"]["id"].as_str().unwrap().to_owned(),
        entry["flow"]["url"].as_str().unwrap().to_owned(),
    )
}

fn session_token_in(flow: &Value) -> String {
    flow["continue_with"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == "set_ory_session_token")
        .and_then(|c| c["ory_session_token"].as_str())
        .unwrap_or_else(|| panic!("no session token in {flow}"))
        .to_owned()
}

// ---- creating and fetching flows -------------------------------------------------------

async fn a_browser_is_sent_to_the_ui_of_a_new_flow(backend: Backend) {
    let app = spawn(backend).await;
    let browser = browser();
    let response = browser
        .get(app.public("/self-service/recovery/browser"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(
        to.starts_with("http://127.0.0.1:4455/recovery?flow="),
        "{to}"
    );
    let response = browser
        .get(app.public(&format!(
            "/self-service/recovery/flows?id={}",
            flow_id_in(&to)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let flow: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/recovery/flows", 200, &flow);
    assert_eq!(flow["state"], "choose_method");
    assert_eq!(flow["active"], "code");
    assert_eq!(
        node(&flow, "email").unwrap()["attributes"]["required"],
        true
    );
    assert_eq!(
        node(&flow, "method").unwrap()["attributes"]["value"],
        "code"
    );
    assert!(node(&flow, "csrf_token").is_some());
    // Another browser may not read it.
    let response = app
        .http
        .get(app.public(&format!(
            "/self-service/recovery/flows?id={}",
            flow_id_in(&to)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

async fn a_signed_in_client_cannot_start_recovery(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("signed-in");
    let identity = someone(&app, &email).await;
    let issued = app
        .state
        .sessions
        .issue(
            &identity,
            AuthenticationMethod::first_factor(CredentialsType::Password, app.clock.now()),
            DeviceInfo::default(),
        )
        .await
        .unwrap();
    let token = issued.token.expose().to_owned();
    let response = app
        .http
        .get(app.public("/self-service/recovery/api"))
        .header("X-Session-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_response("get", "/self-service/recovery/api", 400, &body);
    assert_eq!(body["error"]["id"], "session_already_available");
    // Nor ask for a code with a flow started before.
    let flow = api_flow(&app).await;
    let response = app
        .http
        .post(app.public(&format!(
            "/self-service/recovery?flow={}",
            flow["id"].as_str().unwrap()
        )))
        .header("X-Session-Token", &token)
        .json(&json!({"method": "code", "email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["id"], "session_already_available");
    assert!(messages_to(&app, &email).await.is_empty());
}

async fn recovery_turned_off_refuses_flows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/self-service/recovery/api",
        "/self-service/recovery/browser",
    ] {
        let response = app
            .http
            .get(app.public(path))
            .header("accept", JSON)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{path}");
    }
}

async fn an_expired_flow_is_replaced_when_submitted(backend: Backend) {
    let app = spawn(backend).await;
    let flow = api_flow(&app).await;
    app.clock.advance(std::time::Duration::from_secs(3601));
    let response = app
        .http
        .get(app.public(&format!(
            "/self-service/recovery/flows?id={}",
            flow["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 410);
    let response = submit(
        &app,
        &flow,
        json!({"method": "code", "email": "a@example.com"}),
    )
    .await;
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(to.contains("/self-service/recovery/flows?id="), "{to}");
    let replacement = fetch_api_flow(&app, &flow_id_in(&to)).await;
    assert_eq!(replacement["type"], "api");
    assert_eq!(message_ids(&replacement), vec![4060005]);
}

// ---- the code method, end to end -------------------------------------------------------

async fn recovery_by_code_ends_with_a_new_password_that_signs_in(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("recover");
    let identity = someone(&app, &email).await;
    let flow = api_flow(&app).await;

    app.store_requests();
    let (status, sent) = submit_json(&app, &flow, json!({"method": "code", "email": email})).await;
    // The flow, the recovery address claim, the identity; one write (flow and message).
    assert_eq!(
        app.store_requests().to_string(),
        "4 total (3 get, 0 batch get, 0 query, 1 write)"
    );
    assert_eq!(status, 200, "{sent}");
    assert_response("post", "/self-service/recovery", 200, &sent);
    assert_eq!(sent["state"], "sent_email");
    assert_eq!(message_ids(&sent), vec![1060003]);
    let code_node = node(&sent, "code").unwrap();
    assert_eq!(code_node["attributes"]["pattern"], "[0-9]+");
    assert_eq!(code_node["attributes"]["maxlength"], 6);
    assert_eq!(code_node["meta"]["label"]["id"], 1070010);
    let queued = only_message_to(&app, &email).await;
    assert_eq!(queued.template_type, TemplateType::RecoveryCodeValid);

    // The courier sends it through SES; the code is read back from the emulator.
    assert_eq!(deliver(&app).await, 1);
    let delivered = emails_to(&email).await;
    assert_eq!(delivered.len(), 1);
    let code = code_in(delivered[0]["body"].as_str().unwrap());

    app.store_requests();
    let (status, done) = submit_json(&app, &flow, json!({"method": "code", "code": code})).await;
    // The flow, the identity; one write (flow, session, settings flow, and the address
    // verified by the way).
    assert_eq!(
        app.store_requests().to_string(),
        "3 total (2 get, 0 batch get, 0 query, 1 write)"
    );
    assert_eq!(status, 200, "{done}");
    assert_response("post", "/self-service/recovery", 200, &done);
    assert_eq!(done["state"], "passed_challenge");
    let token = session_token_in(&done);
    let (settings_id, settings_url) = settings_flow_in(&done);
    assert_eq!(
        settings_url,
        format!("http://127.0.0.1:4455/settings?flow={settings_id}")
    );
    // The flow as stored never shows them again.
    assert!(
        fetch_api_flow(&app, flow["id"].as_str().unwrap())
            .await
            .get("continue_with")
            .is_none()
    );

    let whoami: Value = whoami_token(&app, &token).await.json().await.unwrap();
    assert_eq!(whoami["identity"]["id"], identity.id.to_string());
    assert_eq!(
        whoami["authentication_methods"][0]["method"],
        "code_recovery"
    );
    assert_eq!(whoami["authenticator_assurance_level"], "aal1");
    assert!(stored_identity(&app, &identity).await.verifiable_addresses[0].verified);

    set_password(&app, &token, &settings_id, NEW_PASSWORD).await;
    let signed_in = login_native(&app, &email, NEW_PASSWORD).await;
    assert!(signed_in["session_token"].is_string());
    assert!(login_fails(&app, &email, PASSWORD).await);
}

async fn a_browser_recovers_and_is_sent_to_settings_signed_in(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("browser");
    someone(&app, &email).await;
    let browser = browser();
    let flow: Value = browser
        .get(app.public("/self-service/recovery/browser"))
        .header("accept", JSON)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = flow["id"].as_str().unwrap().to_owned();
    let csrf = node(&flow, "csrf_token").unwrap()["attributes"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let submit_url = app.public(&format!("/self-service/recovery?flow={id}"));
    let response = browser
        .post(&submit_url)
        .form(&[
            ("method", "code"),
            ("email", email.as_str()),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        format!("http://127.0.0.1:4455/recovery?flow={id}")
    );
    let shown: Value = browser
        .get(app.public(&format!("/self-service/recovery/flows?id={id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = node(&shown, "csrf_token").unwrap()["attributes"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = code_in(&only_message_to(&app, &email).await.body);
    // Without the anti-CSRF token, the code is not even looked at.
    let response = browser
        .post(&submit_url)
        .header("accept", JSON)
        .form(&[("method", "code"), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = browser
        .post(&submit_url)
        .form(&[
            ("method", "code"),
            ("code", code.as_str()),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(
        to.starts_with("http://127.0.0.1:4455/settings?flow="),
        "{to}"
    );
    assert!(set_cookie_names(&response).contains(&"ory_kratos_session".to_owned()));
    let response = browser
        .get(app.public("/sessions/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let settings = browser
        .get(app.public(&format!(
            "/self-service/settings/flows?id={}",
            flow_id_in(&to)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        settings.status(),
        200,
        "the browser may read its settings flow"
    );
}

async fn a_script_is_told_where_the_browser_goes_next(backend: Backend) {
    for transitions in [false, true] {
        let flows = Flows {
            continue_with_transitions: transitions,
            ..Flows::default()
        };
        let app = spawn_flows(backend, flows, "").await;
        let email = unique_email("spa");
        someone(&app, &email).await;
        let browser = browser();
        let flow: Value = browser
            .get(app.public("/self-service/recovery/browser"))
            .header("accept", JSON)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let url = app.public(&format!(
            "/self-service/recovery?flow={}",
            flow["id"].as_str().unwrap()
        ));
        let csrf = node(&flow, "csrf_token").unwrap()["attributes"]["value"]
            .as_str()
            .unwrap()
            .to_owned();
        let response = browser
            .post(&url)
            .header("accept", JSON)
            .json(&json!({"method": "code", "email": email, "csrf_token": csrf}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let code = code_in(&only_message_to(&app, &email).await.body);
        let response = browser
            .post(&url)
            .header("accept", JSON)
            .json(&json!({"method": "code", "code": code, "csrf_token": csrf}))
            .send()
            .await
            .unwrap();
        assert!(set_cookie_names(&response).contains(&"ory_kratos_session".to_owned()));
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        if transitions {
            assert_eq!(status, 200, "{body}");
            assert_response("post", "/self-service/recovery", 200, &body);
            let (_, url) = settings_flow_in(&body);
            assert!(url.starts_with("http://127.0.0.1:4455/settings?flow="));
            assert!(!body.to_string().contains("ory_session_token"));
        } else {
            assert_eq!(status, 422, "{body}");
            // As Kratos sends it: `error` is not nested as the contract has it (see
            // docs/self-service.md).
            assert_schema(&body["error"], "genericError");
            assert_eq!(body["error"]["id"], "browser_location_change_required");
            assert!(
                body["redirect_browser_to"]
                    .as_str()
                    .unwrap()
                    .starts_with("http://127.0.0.1:4455/settings?flow=")
            );
        }
    }
}

async fn a_wrong_code_is_refused_on_the_same_flow(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("wrong");
    someone(&app, &email).await;
    let (flow, code) = code_for(&app, &email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, refused) =
        submit_json(&app, &flow, json!({"method": "code", "code": wrong})).await;
    assert_eq!(status, 200, "{refused}");
    assert_response("post", "/self-service/recovery", 200, &refused);
    assert_eq!(refused["id"], flow["id"]);
    assert_eq!(message_ids(&refused), vec![4060006]);
    let (status, _) = submit_json(&app, &flow, json!({"method": "code", "code": code})).await;
    assert_eq!(status, 200);
}

async fn the_sixth_code_is_refused_even_when_it_is_right(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("sixth");
    someone(&app, &email).await;
    let (flow, code) = code_for(&app, &email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (status, refused) =
            submit_json(&app, &flow, json!({"method": "code", "code": wrong})).await;
        assert_eq!(status, 200);
        assert_eq!(message_ids(&refused), vec![4060006]);
    }
    let response = submit(&app, &flow, json!({"method": "code", "code": code})).await;
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(to.contains("/self-service/recovery/flows?id="), "{to}");
    let replacement = fetch_api_flow(&app, &flow_id_in(&to)).await;
    assert_eq!(message_ids(&replacement), vec![4000001]);
    assert!(
        set_cookie_names(&response)
            .iter()
            .all(|c| c != "ory_kratos_session")
    );
}

async fn an_expired_code_is_refused_with_a_new_flow(backend: Backend) {
    let flows = Flows {
        code_lifespan: "10m",
        ..Flows::default()
    };
    let app = spawn_flows(backend, flows, "").await;
    let email = unique_email("expired");
    someone(&app, &email).await;
    let (flow, code) = code_for(&app, &email).await;
    app.clock.advance(std::time::Duration::from_secs(11 * 60));
    let response = submit(&app, &flow, json!({"method": "code", "code": code})).await;
    assert_eq!(response.status(), 303);
    let replacement = fetch_api_flow(&app, &flow_id_in(&location(&response))).await;
    assert_eq!(message_ids(&replacement), vec![4060005]);
}

async fn a_used_code_recovers_once(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("reuse");
    someone(&app, &email).await;
    let (flow, code) = code_for(&app, &email).await;
    let (status, _) = submit_json(&app, &flow, json!({"method": "code", "code": code})).await;
    assert_eq!(status, 200);
    let response = submit(&app, &flow, json!({"method": "code", "code": code})).await;
    assert_eq!(response.status(), 303);
    let replacement = fetch_api_flow(&app, &flow_id_in(&location(&response))).await;
    assert_eq!(message_ids(&replacement), vec![4000001]);
}

async fn an_unknown_address_gets_the_same_answer_and_no_message(backend: Backend) {
    let app = spawn(backend).await;
    let known = unique_email("known");
    someone(&app, &known).await;
    let unknown = unique_email("unknown");
    let (known_status, known_flow) = submit_json(
        &app,
        &api_flow(&app).await,
        json!({"method": "code", "email": known}),
    )
    .await;
    let flow = api_flow(&app).await;
    app.store_requests();
    let (status, body) =
        submit_json(&app, &flow, json!({"method": "code", "email": unknown})).await;
    assert_eq!(
        app.store_requests().to_string(),
        "3 total (2 get, 0 batch get, 0 query, 1 write)"
    );
    assert_eq!(status, known_status);
    assert_eq!(body["state"], known_flow["state"]);
    assert_eq!(message_ids(&body), message_ids(&known_flow));
    let names = |f: &Value| -> Vec<String> {
        f["ui"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["attributes"]["name"].to_string())
            .collect()
    };
    assert_eq!(names(&body), names(&known_flow));
    assert!(messages_to(&app, &unknown).await.is_empty());
    let (status, refused) =
        submit_json(&app, &body, json!({"method": "code", "code": "123456"})).await;
    assert_eq!(status, 200);
    assert_eq!(message_ids(&refused), vec![4060006]);
}

async fn an_unknown_address_is_told_so_when_notify_unknown_recipients_is_on(backend: Backend) {
    let flows = Flows {
        notify_unknown_recipients: true,
        ..Flows::default()
    };
    let app = spawn_flows(backend, flows, "").await;
    let unknown = unique_email("notify");
    let (status, _) = submit_json(
        &app,
        &api_flow(&app).await,
        json!({"method": "code", "email": unknown}),
    )
    .await;
    assert_eq!(status, 200);
    let message = only_message_to(&app, &unknown).await;
    assert_eq!(message.template_type, TemplateType::RecoveryCodeInvalid);
    assert_eq!(deliver(&app).await, 1);
    assert_eq!(emails_to(&unknown).await.len(), 1);
    // An address longer than any mailbox (the format allows display text) is refused on
    // the form, not queued.
    let long = format!("{} <{unknown}>", "x".repeat(400));
    let (status, body) = submit_json(
        &app,
        &api_flow(&app).await,
        json!({"method": "code", "email": long}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let email_node = body["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["attributes"]["name"] == "email")
        .unwrap();
    assert_eq!(email_node["messages"][0]["id"], 4000001, "{body}");
}

async fn revoke_active_sessions_ends_the_other_sessions(backend: Backend) {
    for revoke in [false, true] {
        let flows = Flows {
            revoke_sessions_after_recovery: revoke,
            ..Flows::default()
        };
        let app = spawn_flows(backend, flows, "").await;
        let email = unique_email("revoke");
        someone(&app, &email).await;
        let old = login_native(&app, &email, PASSWORD).await;
        let old_token = old["session_token"].as_str().unwrap().to_owned();
        let (flow, code) = code_for(&app, &email).await;
        let (status, done) =
            submit_json(&app, &flow, json!({"method": "code", "code": code})).await;
        assert_eq!(status, 200);
        let expected = if revoke { 401 } else { 200 };
        assert_eq!(
            whoami_token(&app, &old_token).await.status(),
            expected,
            "revoke: {revoke}"
        );
        assert_eq!(
            whoami_token(&app, &session_token_in(&done)).await.status(),
            200
        );
    }
}

// ---- the link method -------------------------------------------------------------------

async fn the_link_method_recovers_in_the_browser_that_opens_the_link(backend: Backend) {
    let flows = Flows {
        recovery: "link",
        ..Flows::default()
    };
    let app = spawn_flows(backend, flows, "").await;
    let email = unique_email("link");
    let identity = someone(&app, &email).await;
    let flow = api_flow(&app).await;
    assert_eq!(flow["active"], "link");
    let (status, sent) = submit_json(&app, &flow, json!({"method": "link", "email": email})).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(message_ids(&sent), vec![1060002]);
    let message = only_message_to(&app, &email).await;
    assert_eq!(message.template_type, TemplateType::RecoveryValid);
    assert_eq!(deliver(&app).await, 1);
    let link = link_in(
        emails_to(&email).await[0]["body"].as_str().unwrap(),
        "token=",
    );

    let browser = browser();
    let response = browser.get(&link).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(
        to.starts_with("http://127.0.0.1:4455/settings?flow="),
        "{to}"
    );
    assert!(set_cookie_names(&response).contains(&"ory_kratos_session".to_owned()));
    let whoami: Value = browser
        .get(app.public("/sessions/whoami"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(whoami["identity"]["id"], identity.id.to_string());
    assert_eq!(
        whoami["authentication_methods"][0]["method"],
        "link_recovery"
    );

    // Once only.
    let response = app.http.get(&link).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("http://127.0.0.1:4455/recovery?flow="));
}

async fn a_tampered_link_starts_a_new_flow_with_an_error(backend: Backend) {
    let flows = Flows {
        recovery: "link",
        ..Flows::default()
    };
    let app = spawn_flows(backend, flows, "").await;
    let email = unique_email("tamper");
    someone(&app, &email).await;
    let flow = api_flow(&app).await;
    submit_json(&app, &flow, json!({"method": "link", "email": email})).await;
    let link = link_in(&only_message_to(&app, &email).await.body, "token=");
    let (head, token) = link.split_once("token=").unwrap();
    let mut tampered: Vec<char> = token.chars().collect();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == 'a' { 'b' } else { 'a' };
    let tampered = format!("{head}token={}", tampered.into_iter().collect::<String>());
    let browser = browser();
    let response = browser.get(&tampered).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(
        to.starts_with("http://127.0.0.1:4455/recovery?flow="),
        "{to}"
    );
    assert!(
        set_cookie_names(&response)
            .iter()
            .all(|c| c != "ory_kratos_session")
    );
    let replacement: Value = browser
        .get(app.public(&format!(
            "/self-service/recovery/flows?id={}",
            flow_id_in(&to)
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(message_ids(&replacement), vec![4060004]);
}

// ---- the admin endpoints ---------------------------------------------------------------

async fn an_administrator_creates_a_recovery_code_with_the_sdk(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("admin-code");
    let identity = someone(&app, &email).await;
    let config = app.sdk(&app.admin_url);
    let body = models::CreateRecoveryCodeForIdentityBody {
        identity_id: identity.id.to_string(),
        expires_in: Some("30m".into()),
        flow_type: None,
    };
    app.store_requests();
    let created = identity_api::create_recovery_code_for_identity(&config, Some(body))
        .await
        .expect("the SDK reads the code");
    assert_eq!(
        app.store_requests().to_string(),
        "2 total (1 get, 0 batch get, 0 query, 1 write)"
    );
    assert_eq!(created.recovery_code.len(), 6);
    assert!(
        created
            .recovery_link
            .starts_with("http://127.0.0.1:4455/recovery?flow=")
    );
    let expires_at = time::OffsetDateTime::parse(
        created.expires_at.as_deref().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let lifespan = expires_at - app.clock.now();
    assert!(
        (29 * 60..=30 * 60).contains(&lifespan.whole_seconds()),
        "{lifespan}"
    );
    assert!(
        messages_to(&app, &email).await.is_empty(),
        "nothing is sent"
    );

    // The user opens the link in a browser that has no anti-CSRF cookie, and types the code.
    let id = flow_id_in(&created.recovery_link);
    let flow = fetch_api_flow(&app, &id).await;
    assert_eq!(flow["type"], "browser");
    assert_eq!(flow["state"], "sent_email");
    assert!(node(&flow, "email").is_none());
    let browser = browser();
    let response = browser
        .post(app.public(&format!("/self-service/recovery?flow={id}")))
        .form(&[("method", "code"), ("code", created.recovery_code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("http://127.0.0.1:4455/settings?flow="));
    // An administrator's code proves no address.
    assert!(!stored_identity(&app, &identity).await.verifiable_addresses[0].verified);
}

async fn an_administrator_code_for_a_native_app(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("admin-api");
    someone(&app, &email).await;
    let identity = stored_identity_by_email(&app, &email).await;
    let response = app
        .http
        .post(app.admin("/admin/recovery/code"))
        .json(&json!({"identity_id": identity.id, "flow_type": "api"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_response("post", "/admin/recovery/code", 201, &created);
    let flow = fetch_api_flow(
        &app,
        &flow_id_in(created["recovery_link"].as_str().unwrap()),
    )
    .await;
    assert_eq!(flow["type"], "api");
    let (status, done) = submit_json(
        &app,
        &flow,
        json!({"method": "code", "code": created["recovery_code"]}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let token = session_token_in(&done);
    let (settings_id, _) = settings_flow_in(&done);
    set_password(&app, &token, &settings_id, NEW_PASSWORD).await;
    login_native(&app, &email, NEW_PASSWORD).await;
}

/// Deleting an identity also deletes the recovery flows that hold a code for it
/// (issue 3: nothing the identity owned is left behind).
async fn deleting_the_identity_removes_its_pending_recovery_flows(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("deleted");
    someone(&app, &email).await;
    let identity = stored_identity_by_email(&app, &email).await;
    let created: Value = app
        .http
        .post(app.admin("/admin/recovery/code"))
        .json(&json!({"identity_id": identity.id, "flow_type": "api"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = flow_id_in(created["recovery_link"].as_str().unwrap());
    fetch_api_flow(&app, &id).await;
    let response = app
        .http
        .delete(app.admin(&format!("/admin/identities/{}", identity.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = app
        .http
        .get(app.public(&format!("/self-service/recovery/flows?id={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

async fn stored_identity_by_email(app: &TestApp, email: &str) -> Identity {
    kratos_core::identity::IdentityStore::new(app.state.table.clone(), app.state.clock.clone())
        .find_by_identifier(CredentialsType::Password, email)
        .await
        .unwrap()
        .unwrap()
}

async fn admin_code_requests_are_checked(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("admin-bad");
    let identity = someone(&app, &email).await;
    let post = |body: String| {
        app.http
            .post(app.admin("/admin/recovery/code"))
            .header("content-type", JSON)
            .body(body)
            .send()
    };
    let unknown = post(json!({"identity_id": uuid::Uuid::new_v4()}).to_string())
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert_response("post", "/admin/recovery/code", 404, &body);
    for bad in [
        "{not json".to_owned(),
        "[]".to_owned(),
        json!({}).to_string(),
        json!({"identity_id": "not-a-uuid"}).to_string(),
        json!({"identity_id": 5}).to_string(),
        json!({"identity_id": identity.id, "expires_in": "soon"}).to_string(),
        json!({"identity_id": identity.id, "expires_in": "-1h"}).to_string(),
        json!({"identity_id": identity.id, "expires_in": "0s"}).to_string(),
        json!({"identity_id": identity.id, "expires_in": "99999999999999999h"}).to_string(),
        json!({"identity_id": identity.id, "flow_type": "desktop"}).to_string(),
        json!({"identity_id": identity.id, "flow_type": 1}).to_string(),
    ] {
        let response = post(bad.clone()).await.unwrap();
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_response("post", "/admin/recovery/code", 400, &body);
    }
    let response = app
        .http
        .post(app.admin("/admin/recovery/code"))
        .body(json!({"identity_id": identity.id}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "a body that is not declared JSON");
    assert!(messages_to(&app, &email).await.is_empty());
}

async fn an_administrator_creates_a_recovery_link(backend: Backend) {
    let app = spawn(backend).await;
    let email = unique_email("admin-link");
    let identity = someone(&app, &email).await;
    let config = app.sdk(&app.admin_url);
    let body = models::CreateRecoveryLinkForIdentityBody {
        identity_id: identity.id.to_string(),
        expires_in: Some("2h".into()),
    };
    let created = identity_api::create_recovery_link_for_identity(&config, None, Some(body))
        .await
        .expect("the SDK reads the link");
    assert!(
        created
            .recovery_link
            .starts_with(&app.public("/self-service/recovery?flow=")),
        "{}",
        created.recovery_link
    );
    let browser = browser();
    let response = browser.get(&created.recovery_link).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("http://127.0.0.1:4455/settings?flow="));
    assert!(set_cookie_names(&response).contains(&"ory_kratos_session".to_owned()));

    let response = app
        .http
        .post(app.admin("/admin/recovery/link"))
        .json(&json!({"identity_id": uuid::Uuid::new_v4()}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        400,
        "an unknown identity, as Kratos answers it"
    );
    let body: Value = response.json().await.unwrap();
    assert_response("post", "/admin/recovery/link", 400, &body);
    let response = app
        .http
        .post(app.admin("/admin/recovery/link"))
        .json(&json!({"identity_id": identity.id, "expires_in": "1 hour"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

async fn admin_endpoints_of_disabled_methods_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let identity = create_identity(&app, json!({"email": unique_email("off")}), PASSWORD).await;
    // `link` is off by default.
    let response = app
        .http
        .post(app.admin("/admin/recovery/link"))
        .json(&json!({"identity_id": identity.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_response("post", "/admin/recovery/link", 404, &body);
}

on_both_backends!(
    deleting_the_identity_removes_its_pending_recovery_flows,
    a_browser_is_sent_to_the_ui_of_a_new_flow,
    a_signed_in_client_cannot_start_recovery,
    recovery_turned_off_refuses_flows,
    an_expired_flow_is_replaced_when_submitted,
    recovery_by_code_ends_with_a_new_password_that_signs_in,
    a_browser_recovers_and_is_sent_to_settings_signed_in,
    a_script_is_told_where_the_browser_goes_next,
    a_wrong_code_is_refused_on_the_same_flow,
    the_sixth_code_is_refused_even_when_it_is_right,
    an_expired_code_is_refused_with_a_new_flow,
    a_used_code_recovers_once,
    an_unknown_address_gets_the_same_answer_and_no_message,
    an_unknown_address_is_told_so_when_notify_unknown_recipients_is_on,
    revoke_active_sessions_ends_the_other_sessions,
    the_link_method_recovers_in_the_browser_that_opens_the_link,
    a_tampered_link_starts_a_new_flow_with_an_error,
    an_administrator_creates_a_recovery_code_with_the_sdk,
    an_administrator_code_for_a_native_app,
    admin_code_requests_are_checked,
    an_administrator_creates_a_recovery_link,
    admin_endpoints_of_disabled_methods_are_not_found,
);
