//! Black-box test harness: a fresh local server (public and admin ports, both on port 0)
//! with a fresh store for every test, a real HTTP client, and the Kratos v1.3 contract to
//! check responses against.
//!
//! Write a case as `async fn case(backend: Backend)` and list it in [`on_both_backends!`],
//! which runs it on the embedded store and on DynamoDB (moto's server).

pub mod contract;
pub mod flows;
pub mod outbox;

use std::sync::Arc;

use kratos_core::app::{App, AppState, ConfigOrigin};
use kratos_core::clock::{ManualClock, SharedClock};
use kratos_core::config::{Config, ConfigSource};
use kratos_core::store::counting::{CountingTable, RequestCounts};
pub use kratos_core::testing::Backend;
use serverless_kratos::Running;
use tokio::net::TcpListener;

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub backend: Backend,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    /// Counts the store requests the server makes (see [`TestApp::store_requests`]).
    pub counter: Arc<CountingTable>,
    /// `http://127.0.0.1:<port>` of the public API, no trailing slash.
    pub public_url: String,
    /// `http://127.0.0.1:<port>` of the admin API, no trailing slash.
    pub admin_url: String,
    /// A client that does not follow redirects and keeps no cookies.
    pub http: reqwest::Client,
    running: Running,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.running.abort();
    }
}

/// Configuration every test server starts from. `{public}` and `{admin}` are replaced by
/// the servers' base URLs.
pub const BASE_CONFIG: &str = r#"
serve:
  public:
    base_url: "{public}/"
  admin:
    base_url: "{admin}/"
secrets:
  default:
    - test-secret-that-is-long-enough-0001
selfservice:
  default_browser_return_url: "http://127.0.0.1:4455/"
  allowed_return_urls:
    - "http://127.0.0.1:4455"
log:
  level: warning
"#;

impl TestApp {
    /// A server with [`BASE_CONFIG`].
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, BASE_CONFIG).await
    }

    /// A server with the given configuration (see [`BASE_CONFIG`] for the placeholders).
    /// Relative `file://` schema URLs resolve against the repository root.
    pub async fn spawn_with(backend: Backend, yaml: &str) -> TestApp {
        let public_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind public");
        let admin_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind admin");
        let public_url = format!("http://{}", public_listener.local_addr().unwrap());
        let admin_url = format!("http://{}", admin_listener.local_addr().unwrap());
        let yaml = yaml
            .replace("{public}", &public_url)
            .replace("{admin}", &admin_url);
        let loaded = Config::load(&ConfigSource {
            yaml: Some(yaml),
            env: Vec::new(),
        })
        .expect("test configuration loads");
        let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
        let shared_clock: SharedClock = clock.clone();
        let counter = CountingTable::new(backend.fresh_table(shared_clock.clone()).await);
        let table: kratos_core::store::SharedTable = counter.clone();
        let origin = ConfigOrigin {
            directory: Some(repository_root()),
        };
        let app = App::assemble(loaded.config, table, shared_clock, origin)
            .await
            .expect("test app assembles");
        let state = Arc::new(app);
        let running = serverless_kratos::serve(state.clone(), public_listener, admin_listener)
            .expect("servers start");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client builds");
        TestApp {
            backend,
            state,
            clock,
            counter,
            public_url,
            admin_url,
            http,
            running,
        }
    }

    /// The store requests made since the last call (or since start), and resets the count.
    /// Use it to pin an operation's cost: `app.store_requests(); call(); assert_eq!(app.store_requests().total(), 1)`.
    pub fn store_requests(&self) -> RequestCounts {
        self.counter.take()
    }

    pub fn public(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    pub fn admin(&self, path: &str) -> String {
        format!("{}{path}", self.admin_url)
    }

    /// The official Rust SDK's configuration, pointed at `base` (public or admin URL).
    pub fn sdk(&self, base: &str) -> ory_kratos_client::apis::configuration::Configuration {
        let mut config = ory_kratos_client::apis::configuration::Configuration::new();
        config.base_path = base.to_owned();
        config
    }
}

/// The workspace root, where `config/` lives.
pub fn repository_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Runs each listed `async fn(Backend)` once on SQLite and once on DynamoDB.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::Backend::Sqlite).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::Backend::DynamoDb).await;
                }
            )*
        }
    };
}
