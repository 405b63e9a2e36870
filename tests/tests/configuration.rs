//! Start-up from the reference configurations, and CORS from `serve.public.cors`.

use std::sync::Arc;

use blackbox::{Backend, TestApp, on_both_backends, repository_root};
use kratos_core::app::{App, ConfigOrigin};
use kratos_core::clock::SystemClock;
use kratos_core::config::{Config, ConfigSource};
use kratos_core::store::sqlite::SqliteTable;

/// Every kratos.yml in config/examples loads and its identity schema compiles.
#[tokio::test]
async fn every_reference_configuration_starts() {
    let examples = repository_root().join("config/examples");
    let mut started = Vec::new();
    for entry in std::fs::read_dir(&examples).unwrap() {
        let dir = entry.unwrap().path();
        let yaml = std::fs::read_to_string(dir.join("kratos.yml")).unwrap();
        let loaded = Config::load(&ConfigSource {
            yaml: Some(yaml),
            env: vec![],
        })
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let table = Arc::new(SqliteTable::in_memory(Arc::new(SystemClock)).unwrap());
        let app = App::assemble(
            loaded.config,
            table,
            Arc::new(SystemClock),
            ConfigOrigin {
                directory: Some(dir.clone()),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert!(app.schemas.get("default").is_some());
        started.push(dir.file_name().unwrap().to_string_lossy().into_owned());
    }
    started.sort();
    assert_eq!(
        started,
        [
            "all-strategies",
            "email-password",
            "passkey",
            "phone-password",
            "webauthn"
        ]
    );
}

const CORS: &str = r#"
serve:
  public:
    base_url: "{public}/"
    cors:
      enabled: true
      allowed_origins: ["http://127.0.0.1:4455", "https://*.example.com"]
secrets:
  default: [test-secret-that-is-long-enough-0001]
log:
  level: warning
"#;

async fn cors_preflight_allows_configured_origins_with_credentials(backend: Backend) {
    let app = TestApp::spawn_with(backend, CORS).await;
    for origin in ["http://127.0.0.1:4455", "https://app.example.com"] {
        let response = app
            .http
            .request(reqwest::Method::OPTIONS, app.public("/health/alive"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "x-session-token")
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{origin}: {}",
            response.status()
        );
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], origin);
        assert_eq!(headers["access-control-allow-credentials"], "true");
    }
    let response = app
        .http
        .get(app.public("/health/alive"))
        .header("Origin", "http://127.0.0.1:4455")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://127.0.0.1:4455"
    );
}

async fn cors_ignores_other_origins(backend: Backend) {
    let app = TestApp::spawn_with(backend, CORS).await;
    let response = app
        .http
        .get(app.public("/health/alive"))
        .header("Origin", "https://evil.example.org")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

async fn cors_is_off_by_default(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .http
        .get(app.public("/health/alive"))
        .header("Origin", "http://127.0.0.1:4455")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

on_both_backends!(
    cors_preflight_allows_configured_origins_with_credentials,
    cors_ignores_other_origins,
    cors_is_off_by_default,
);
