//! `/health/alive`, `/health/ready` and `/version` on both ports, both stores.

use blackbox::contract::assert_response;
use blackbox::{Backend, TestApp, on_both_backends};
use serde_json::Value;

async fn alive_answers_ok_on_both_ports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for base in [&app.public_url, &app.admin_url] {
        let response = app
            .http
            .get(format!("{base}/health/alive"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_response("get", "/health/alive", 200, &body);
    }
}

async fn ready_checks_the_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .http
        .get(app.admin("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_response("get", "/health/ready", 200, &body);
}

async fn version_reports_the_kratos_api_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.http.get(app.public("/version")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["version"].as_str().unwrap().starts_with("v1.3."));
    assert_response("get", "/version", 200, &body);
}

async fn the_official_sdk_reads_health_and_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let config = app.sdk(&app.admin_url);
    let alive = ory_kratos_client::apis::metadata_api::is_alive(&config)
        .await
        .unwrap();
    assert_eq!(alive.status, "ok");
    let ready = ory_kratos_client::apis::metadata_api::is_ready(&config)
        .await
        .unwrap();
    assert_eq!(ready.status, "ok");
    let version = ory_kratos_client::apis::metadata_api::get_version(&config)
        .await
        .unwrap();
    assert!(version.version.starts_with("v1.3."));
}

async fn health_refuses_other_methods_in_kratos_format(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .http
        .post(app.public("/health/alive"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], 405);
    blackbox::contract::assert_schema(&body, "errorGeneric");
}

async fn unknown_paths_answer_404_in_kratos_format(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for url in [
        app.public("/health/nope"),
        app.admin("/admin/not-built"),
        app.public("/"),
    ] {
        let response = app.http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 404, "{url}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], 404);
        assert_eq!(body["error"]["status"], "Not Found");
        blackbox::contract::assert_schema(&body, "errorGeneric");
    }
}

on_both_backends!(
    alive_answers_ok_on_both_ports,
    ready_checks_the_store,
    version_reports_the_kratos_api_version,
    the_official_sdk_reads_health_and_version,
    health_refuses_other_methods_in_kratos_format,
    unknown_paths_answer_404_in_kratos_format,
);

/// A store that cannot be reached makes readiness fail with 503 in the documented shape,
/// while liveness stays up. (DynamoDB on a port where nothing listens.)
#[tokio::test]
async fn ready_answers_503_when_the_store_is_down() {
    use std::sync::Arc;

    use kratos_core::app::{App, ConfigOrigin};
    use kratos_core::clock::SystemClock;
    use kratos_core::config::{Config, ConfigSource};
    use kratos_core::store::dynamodb::DynamoTable;

    let dead_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sdk_config = aws_config_for(&format!("http://127.0.0.1:{dead_port}")).await;
    let table = DynamoTable::new(
        aws_sdk_dynamodb_client(&sdk_config),
        "missing",
        Arc::new(SystemClock),
    );
    let config = Config::load(&ConfigSource::default()).unwrap().config;
    let app = App::assemble(
        config,
        Arc::new(table),
        Arc::new(SystemClock),
        ConfigOrigin::default(),
    )
    .await
    .unwrap();
    let router = fn_metadata::router(Arc::new(app));
    let response = call(router.clone(), "/health/ready").await;
    assert_eq!(response.0, 503);
    assert_eq!(
        response.1["errors"]["database"],
        "the store is not reachable"
    );
    assert_response("get", "/health/ready", 503, &response.1);
    assert_eq!(call(router, "/health/alive").await.0, 200);
}

async fn aws_config_for(endpoint: &str) -> kratos_core::app::SdkConfig {
    kratos_core::app::aws_sdk_config_with_endpoint(endpoint).await
}

fn aws_sdk_dynamodb_client(
    config: &kratos_core::app::SdkConfig,
) -> kratos_core::app::DynamoDbClient {
    kratos_core::app::DynamoDbClient::new(config)
}

async fn call(router: axum::Router, path: &str) -> (u16, Value) {
    use tower::ServiceExt;
    let request = http::Request::get(path)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// Readiness costs exactly one store read; liveness and version cost none.
#[tokio::test]
async fn health_and_version_store_costs_are_pinned() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.store_requests();
    app.http
        .get(app.public("/health/alive"))
        .send()
        .await
        .unwrap();
    app.http.get(app.public("/version")).send().await.unwrap();
    assert_eq!(app.store_requests().total(), 0);
    app.http
        .get(app.public("/health/ready"))
        .send()
        .await
        .unwrap();
    let counts = app.store_requests();
    assert_eq!((counts.get, counts.total()), (1, 1), "{counts}");
}

/// Kratos's admin port also answers `/admin/health/*`, `/admin/version` and the schema
/// routes; clients and probes written for Kratos call them there.
#[tokio::test]
async fn the_admin_port_answers_kratos_admin_aliases() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for path in [
        "/admin/health/alive",
        "/admin/health/ready",
        "/admin/version",
        "/schemas",
        "/schemas/default",
    ] {
        let response = app.http.get(app.admin(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let config = app.sdk(&app.admin_url);
    let schemas = ory_kratos_client::apis::identity_api::list_identity_schemas(
        &config, None, None, None, None,
    )
    .await
    .unwrap();
    assert_eq!(schemas.len(), 1);
    // The public port does not grow admin paths.
    let response = app
        .http
        .get(app.public("/admin/version"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
