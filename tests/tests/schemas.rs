//! `GET /schemas` and `GET /schemas/{id}`.

use blackbox::contract::{assert_response, assert_schema};
use blackbox::{Backend, TestApp, on_both_backends};
use serde_json::Value;

const TWO_SCHEMAS: &str = r#"
serve:
  public:
    base_url: "{public}/"
  admin:
    base_url: "{admin}/"
secrets:
  default: [test-secret-that-is-long-enough-0001]
identity:
  default_schema_id: default
  schemas:
    - id: default
      url: file://config/examples/email-password/identity.schema.json
    - id: phone
      url: file://config/examples/phone-password/identity.schema.json
log:
  level: warning
"#;

async fn list_returns_every_configured_schema(backend: Backend) {
    let app = TestApp::spawn_with(backend, TWO_SCHEMAS).await;
    let response = app.http.get(app.public("/schemas")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains("rel=\"first\"") && !link.contains("rel=\"next\""),
        "{link}"
    );
    let body: Value = response.json().await.unwrap();
    assert_response("get", "/schemas", 200, &body);
    let ids: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["default", "phone"]);
    assert!(body[0]["schema"]["properties"]["traits"].is_object());
}

async fn list_paginates_with_sealed_tokens(backend: Backend) {
    let app = TestApp::spawn_with(backend, TWO_SCHEMAS).await;
    let first = app
        .http
        .get(app.public("/schemas?page_size=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    let body: Value = first.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(body[0]["id"], "default");
    let next = link
        .split(',')
        .find(|l| l.contains("rel=\"next\""))
        .expect("a next link")
        .trim();
    let path = &next[1..next.find('>').unwrap()];
    assert!(!path.contains("phone"), "tokens are opaque: {path}");
    let second = app.http.get(app.public(path)).send().await.unwrap();
    assert_eq!(second.status(), 200);
    assert!(
        !second.headers()["link"]
            .to_str()
            .unwrap()
            .contains("rel=\"next\"")
    );
    let body: Value = second.json().await.unwrap();
    assert_eq!(body[0]["id"], "phone");

    // The legacy page/per_page pair counts pages from zero.
    let legacy: Value = app
        .http
        .get(app.public("/schemas?per_page=1&page=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(legacy[0]["id"], "phone");
}

async fn list_refuses_bad_paging_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for query in [
        "page_size=0",
        "page_size=501",
        "page_size=abc",
        "page_token=forged",
        "page=-1",
    ] {
        let response = app
            .http
            .get(app.public(&format!("/schemas?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], 400);
        assert_schema(&body, "errorGeneric");
    }
}

async fn get_returns_the_raw_schema_by_id_or_encoded_id(backend: Backend) {
    let app = TestApp::spawn_with(backend, TWO_SCHEMAS).await;
    for id in ["phone", "cGhvbmU"] {
        let response = app
            .http
            .get(app.public(&format!("/schemas/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{id}");
        let body: Value = response.json().await.unwrap();
        assert_response("get", "/schemas/{id}", 200, &body);
        assert!(
            body["properties"]["traits"]["properties"]["phone"].is_object(),
            "{body}"
        );
    }
}

async fn get_of_an_unknown_schema_is_404_in_kratos_format(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .http
        .get(app.public("/schemas/does-not-exist"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_response("get", "/schemas/{id}", 404, &body);
    assert_eq!(body["error"]["code"], 404);
    assert!(
        body["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("does-not-exist")
    );
}

async fn the_official_sdk_lists_and_reads_schemas(backend: Backend) {
    let app = TestApp::spawn_with(backend, TWO_SCHEMAS).await;
    let config = app.sdk(&app.public_url);
    let list = ory_kratos_client::apis::identity_api::list_identity_schemas(
        &config, None, None, None, None,
    )
    .await
    .unwrap();
    assert_eq!(list.len(), 2);
    let schema = ory_kratos_client::apis::identity_api::get_identity_schema(&config, "default")
        .await
        .unwrap();
    assert!(schema.get("properties").is_some());
    let missing =
        ory_kratos_client::apis::identity_api::get_identity_schema(&config, "missing").await;
    assert!(missing.is_err());
}

on_both_backends!(
    list_returns_every_configured_schema,
    list_paginates_with_sealed_tokens,
    list_refuses_bad_paging_input,
    get_returns_the_raw_schema_by_id_or_encoded_id,
    get_of_an_unknown_schema_is_404_in_kratos_format,
    the_official_sdk_lists_and_reads_schemas,
);
