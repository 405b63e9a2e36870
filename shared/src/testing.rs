//! Test support: fresh tables on every backend, so one suite runs against all of them.
//!
//! DynamoDB tests talk to the emulator named by `AWS_ENDPOINT_URL` (moto's server, which
//! `scripts/test.sh` starts). Without it they fail loudly rather than skip.

pub mod hash_vectors;

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::store::SharedTable;
use crate::store::dynamodb::DynamoTable;
use crate::store::sqlite::SqliteTable;

/// A storage backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    DynamoDb,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::DynamoDb];

    /// The backend selected by `KRATOS_TEST_BACKEND` (`sqlite` or `dynamodb`), default SQLite.
    pub fn from_env() -> Backend {
        match std::env::var("KRATOS_TEST_BACKEND").as_deref() {
            Ok("dynamodb") => Backend::DynamoDb,
            _ => Backend::Sqlite,
        }
    }

    /// A new, empty table on this backend.
    pub async fn fresh_table(self, clock: SharedClock) -> SharedTable {
        match self {
            Backend::Sqlite => {
                Arc::new(SqliteTable::in_memory(clock).expect("in-memory SQLite opens"))
            }
            Backend::DynamoDb => Arc::new(fresh_dynamo_table(clock).await),
        }
    }
}

/// Whether the DynamoDB emulator is configured.
pub fn emulator_configured() -> bool {
    std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| v.starts_with("http://127.0.0.1"))
}

/// A new table with a unique name on the emulator, created like `create-table` does.
pub async fn fresh_dynamo_table(clock: SharedClock) -> DynamoTable {
    assert!(
        emulator_configured(),
        "DynamoDB tests need moto's server on 127.0.0.1: run them through scripts/test.sh, \
         or start `.venv/bin/python scripts/moto_server.py -H 127.0.0.1 -p 5005` and export AWS_ENDPOINT_URL=http://127.0.0.1:5005 \
         AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1"
    );
    let client = crate::app::dynamodb_client().await;
    let name = format!("kratos-test-{}", uuid::Uuid::new_v4().simple());
    let table = DynamoTable::new(client, name, clock);
    table
        .create_table_with(false)
        .await
        .expect("the emulator creates tables");
    table
}

/// An application on a fresh in-memory SQLite table, configured by `yaml` (a
/// `kratos.yml`), with a manual clock at `start`. For unit tests of the HTTP edge.
pub async fn sqlite_app(
    yaml: &str,
    start: time::OffsetDateTime,
) -> (crate::app::App, Arc<crate::clock::ManualClock>) {
    let loaded = crate::config::Config::load(&crate::config::ConfigSource {
        yaml: Some(yaml.to_owned()),
        env: Vec::new(),
    })
    .expect("test configuration loads");
    let clock = Arc::new(crate::clock::ManualClock::new(start));
    let shared: SharedClock = clock.clone();
    let table: SharedTable =
        Arc::new(SqliteTable::in_memory(shared.clone()).expect("in-memory SQLite opens"));
    let app = crate::app::App::assemble(
        loaded.config,
        table,
        shared,
        crate::app::ConfigOrigin::default(),
    )
    .await
    .expect("test application assembles");
    (app, clock)
}
