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

async fn invoke(router: axum::Router, event_file: &str) -> (u16, Value) {
    let path = blackbox::repository_root().join("events").join(event_file);
    let text = std::fs::read_to_string(&path).unwrap();
    let request =
        lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{event_file}: {e}"));
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
