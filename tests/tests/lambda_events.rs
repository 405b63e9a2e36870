//! The sample API Gateway events in `events/` run through the functions' routers exactly
//! as Lambda delivers them.

use std::sync::Arc;

use blackbox::contract::assert_response;
use kratos_core::app::{App, ConfigOrigin};
use kratos_core::clock::SystemClock;
use kratos_core::config::{Config, ConfigSource};
use kratos_core::store::sqlite::SqliteTable;
use serde_json::Value;
use tower::ServiceExt;

async fn state() -> kratos_core::app::AppState {
    let config = Config::load(&ConfigSource::default()).unwrap().config;
    let table = Arc::new(SqliteTable::in_memory(Arc::new(SystemClock)).unwrap());
    Arc::new(
        App::assemble(
            config,
            table,
            Arc::new(SystemClock),
            ConfigOrigin::default(),
        )
        .await
        .unwrap(),
    )
}

fn event_text(event_file: &str) -> String {
    let path = blackbox::repository_root().join("events").join(event_file);
    std::fs::read_to_string(&path).unwrap()
}

async fn invoke(router: axum::Router, event_file: &str) -> (u16, Value) {
    invoke_text(router, &event_text(event_file), event_file).await
}

async fn invoke_text(router: axum::Router, text: &str, what: &str) -> (u16, Value) {
    let request = lambda_http::request::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}"));
    let router = kratos_core::http::finish_router(router);
    let request = request.map(|body| axum::body::Body::from(body.to_vec()));
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn metadata_events_are_answered() {
    let router = fn_metadata::router(state().await);
    let (status, body) = invoke(router.clone(), "health-alive.json").await;
    assert_eq!((status, &body["status"]), (200, &Value::from("ok")));
    let (status, body) = invoke(router.clone(), "health-ready.json").await;
    assert_eq!(status, 200);
    assert_response("get", "/health/ready", 200, &body);
    let (status, body) = invoke(router, "version.json").await;
    assert_eq!(status, 200);
    assert_response("get", "/version", 200, &body);
}

#[tokio::test]
async fn schemas_events_are_answered() {
    let router = fn_schemas::router(state().await);
    let (status, body) = invoke(router.clone(), "schemas-list.json").await;
    assert_eq!(status, 200);
    assert_response("get", "/schemas", 200, &body);
    let (status, body) = invoke(router.clone(), "schemas-get.json").await;
    assert_eq!(status, 200);
    assert!(body["properties"]["traits"].is_object());
    let (status, body) = invoke(router, "schemas-get-unknown.json").await;
    assert_eq!(status, 404);
    assert_response("get", "/schemas/{id}", 404, &body);
}

#[tokio::test]
async fn admin_courier_events_are_answered() {
    let router = fn_admin_courier::router(state().await);
    let (status, body) = invoke(router.clone(), "admin-courier-list.json").await;
    assert_eq!(status, 200);
    assert_response("get", "/admin/courier/messages", 200, &body);
    let (status, body) = invoke(router, "admin-courier-get-unknown.json").await;
    assert_eq!(status, 404);
    assert_response("get", "/admin/courier/messages/{id}", 404, &body);
}

#[tokio::test]
async fn sessions_events_are_answered() {
    use kratos_core::identity::{CredentialsType, Identity, IdentityStore};
    use kratos_core::session::{AuthenticationMethod, DeviceInfo};

    let state = state().await;
    let router = fn_sessions::router(state.clone());
    let (status, body) = invoke(router.clone(), "sessions-whoami.json").await;
    assert_eq!(status, 401);
    assert_response("get", "/sessions/whoami", 401, &body);
    assert_eq!(body["error"]["id"], "session_inactive");

    // API Gateway delivers browser cookies in `cookies`, not in a `cookie` header.
    let now = state.clock.now();
    let mut identity = Identity::new(
        "default",
        serde_json::json!({"email": "l@example.com"}),
        now,
    );
    identity.validate(&state.schemas, now).unwrap();
    IdentityStore::new(state.table.clone(), state.clock.clone())
        .create(&mut identity)
        .await
        .unwrap();
    let issued = state
        .sessions
        .issue(
            &identity,
            AuthenticationMethod::first_factor(CredentialsType::Password, now),
            DeviceInfo::default(),
        )
        .await
        .unwrap();
    let mut event: Value = serde_json::from_str(&event_text("sessions-whoami.json")).unwrap();
    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("x-session-token");
    event["cookies"] = serde_json::json!([
        "theme=dark",
        format!("ory_kratos_session={}", issued.token.expose())
    ]);
    let (status, body) = invoke_text(router, &event.to_string(), "whoami with a cookie").await;
    assert_eq!(status, 200, "{body}");
    assert_response("get", "/sessions/whoami", 200, &body);
    assert_eq!(body["identity"]["id"], identity.id.to_string());
}

#[tokio::test]
async fn admin_sessions_events_are_answered() {
    let router = fn_admin_sessions::router(state().await);
    let (status, body) = invoke(router, "admin-sessions-list.json").await;
    assert_eq!(status, 200);
    assert_response("get", "/admin/sessions", 200, &body);
}

#[tokio::test]
async fn admin_identities_events_are_answered() {
    let router = fn_admin_identities::router(state().await);
    let (status, body) = invoke(router.clone(), "admin-identities-create.json").await;
    assert_eq!(status, 201, "{body}");
    assert_response("post", "/admin/identities", 201, &body);
    assert_eq!(body["traits"]["email"], "foo@example.com");
    let (status, body) = invoke(router.clone(), "admin-identities-list.json").await;
    assert_eq!(status, 200);
    assert_response("get", "/admin/identities", 200, &body);
    assert_eq!(body.as_array().map(Vec::len), Some(1));
    let (status, body) = invoke(router.clone(), "admin-identities-create.json").await;
    assert_eq!(status, 409, "the same e-mail again");
    assert_response("post", "/admin/identities", 409, &body);
    let (status, body) = invoke(router, "admin-identities-get-unknown.json").await;
    assert_eq!(status, 404);
    assert_response("get", "/admin/identities/{id}", 404, &body);
}

/// The admin-identities Lambda also answers `/admin/identities/{id}/sessions`, which API
/// Gateway routes to it, with the sessions code rather than its 404 fallback.
#[tokio::test]
async fn the_admin_identities_lambda_serves_identity_sessions() {
    let state = state().await;
    let router =
        kratos_core::http::finish_router(fn_admin_identities::lambda_router(state.clone()));
    let request = http::Request::get(format!(
        "/admin/identities/{}/sessions",
        uuid::Uuid::new_v4()
    ))
    .body(axum::body::Body::empty())
    .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_response("get", "/admin/identities/{id}/sessions", 200, &body);
    assert_eq!(body, serde_json::json!([]));

    // `/admin/recovery/*` reaches the recovery code too: a body without an identity is a 400.
    let router = kratos_core::http::finish_router(fn_admin_identities::lambda_router(state));
    let request = http::Request::post("/admin/recovery/code")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{}"))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 400);
}
