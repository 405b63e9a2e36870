//! The flow repository and the stored-error repository, on SQLite and on DynamoDB
//! (moto's server). Each case is an async function taking the backend; the macro at the
//! bottom runs it once per backend.

use std::sync::Arc;
use std::time::Duration;

use kratos_core::clock::{Clock, ManualClock, SharedClock};
use kratos_core::flow::self_service_errors::{
    ERROR_RETENTION, SelfServiceErrorStore, SelfServiceErrorStoreError,
};
use kratos_core::flow::store::{
    FLOW_RETENTION, FlowDocument, FlowStore, FlowStoreError, StoredFlow,
};
use kratos_core::flow::{FlowCommon, FlowError, FlowKind, FlowType};
use kratos_core::ids::{FlowId, IdentityId, SelfServiceErrorId};
use kratos_core::store::{Condition, Item, Key, SharedTable, StoreError, WriteOp, keys};
use kratos_core::testing::Backend;
use kratos_core::ui::{PasswordPurpose, password_node, text};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::macros::datetime;
use url::Url;

/// A login-like flow document with a field of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LoginDoc {
    #[serde(flatten)]
    common: FlowCommon,
    refresh: bool,
}

impl FlowDocument for LoginDoc {
    const KIND: FlowKind = FlowKind::Login;

    fn common(&self) -> &FlowCommon {
        &self.common
    }

    fn common_mut(&mut self) -> &mut FlowCommon {
        &mut self.common
    }
}

/// A settings-like flow document bound to an identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SettingsDoc {
    #[serde(flatten)]
    common: FlowCommon,
    identity_id: IdentityId,
}

impl FlowDocument for SettingsDoc {
    const KIND: FlowKind = FlowKind::Settings;

    fn common(&self) -> &FlowCommon {
        &self.common
    }

    fn common_mut(&mut self) -> &mut FlowCommon {
        &mut self.common
    }

    fn identity_id(&self) -> Option<IdentityId> {
        Some(self.identity_id)
    }
}

struct Fixture {
    table: SharedTable,
    clock: Arc<ManualClock>,
    flows: FlowStore,
}

async fn fixture(backend: Backend) -> Fixture {
    let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 00:00:00 UTC)));
    let shared: SharedClock = clock.clone();
    let table = backend.fresh_table(shared).await;
    Fixture {
        flows: FlowStore::new(table.clone()),
        table,
        clock,
    }
}

fn base() -> Url {
    Url::parse("https://auth.example.com/").unwrap()
}

fn common(f: &Fixture, kind: FlowKind) -> FlowCommon {
    FlowCommon::new(
        kind,
        FlowType::Browser,
        "https://auth.example.com/self-service/x/browser?return_to=https://app.example.com/",
        &base(),
        f.clock.now(),
        Duration::from_secs(3600),
    )
}

fn login(f: &Fixture) -> StoredFlow<LoginDoc> {
    let mut doc = LoginDoc {
        common: common(f, FlowKind::Login),
        refresh: true,
    };
    doc.common.ui.set_csrf("masked-token");
    doc.common
        .ui
        .upsert(password_node(PasswordPurpose::Current));
    let mut stored = StoredFlow::new(doc).with_csrf_token("masked-token");
    stored.internal.insert("attempts".into(), json!(2));
    stored
}

fn settings(f: &Fixture, identity: IdentityId) -> StoredFlow<SettingsDoc> {
    StoredFlow::new(SettingsDoc {
        common: common(f, FlowKind::Settings),
        identity_id: identity,
    })
}

async fn a_created_flow_reads_back_whole(backend: Backend) {
    let f = fixture(backend).await;
    let mut flow = login(&f);
    assert_eq!(flow.version(), 0);
    f.flows.create(&mut flow).await.unwrap();
    assert_eq!(flow.version(), 1);

    let read: StoredFlow<LoginDoc> = f.flows.get(flow.id()).await.unwrap();
    assert_eq!(read, flow);
    assert_eq!(read.csrf_token.as_deref(), Some("masked-token"));
    assert_eq!(read.internal["attempts"], 2);
    assert_eq!(
        read.flow.common.return_to.as_deref(),
        Some("https://app.example.com/")
    );
    // What never leaves the server is not in the public document.
    let public = serde_json::to_value(&read.flow).unwrap();
    assert!(public.get("internal").is_none());
    assert_eq!(
        public["ui"]["nodes"][0]["attributes"]["value"],
        "masked-token"
    );
}

async fn an_unknown_flow_is_not_found(backend: Backend) {
    let f = fixture(backend).await;
    let result = f.flows.get::<LoginDoc>(FlowId::new()).await;
    assert!(
        matches!(result, Err(FlowStoreError::NotFound)),
        "{result:?}"
    );
}

async fn a_flow_of_another_kind_is_not_found(backend: Backend) {
    let f = fixture(backend).await;
    let mut flow = login(&f);
    f.flows.create(&mut flow).await.unwrap();
    let result = f.flows.get::<SettingsDoc>(flow.id()).await;
    assert!(
        matches!(result, Err(FlowStoreError::NotFound)),
        "{result:?}"
    );
}

async fn creating_the_same_flow_twice_conflicts(backend: Backend) {
    let f = fixture(backend).await;
    let mut flow = login(&f);
    f.flows.create(&mut flow).await.unwrap();
    let mut again = flow.clone();
    let result = f.flows.create(&mut again).await;
    assert!(
        matches!(result, Err(FlowStoreError::Conflict)),
        "{result:?}"
    );
}

async fn updates_apply_in_order_and_stale_ones_conflict(backend: Backend) {
    let f = fixture(backend).await;
    let mut flow = login(&f);
    f.flows.create(&mut flow).await.unwrap();

    let mut first: StoredFlow<LoginDoc> = f.flows.get(flow.id()).await.unwrap();
    let mut second: StoredFlow<LoginDoc> = f.flows.get(flow.id()).await.unwrap();

    first
        .flow
        .common
        .ui
        .add_message_to("password", text::validation_invalid_credentials());
    first.internal.insert("attempts".into(), json!(3));
    f.flows.update(&mut first).await.unwrap();
    assert_eq!(first.version(), 2);

    second.flow.refresh = false;
    let result = f.flows.update(&mut second).await;
    assert!(
        matches!(result, Err(FlowStoreError::Conflict)),
        "{result:?}"
    );
    assert_eq!(
        second.version(),
        1,
        "a failed update leaves the version alone"
    );

    let read: StoredFlow<LoginDoc> = f.flows.get(flow.id()).await.unwrap();
    assert_eq!(read, first);
    assert!(read.flow.refresh, "the stale update wrote nothing");

    let mut reread = read;
    f.flows.update(&mut reread).await.unwrap();
    assert_eq!(reread.version(), 3);
}

async fn updating_a_flow_never_stored_conflicts(backend: Backend) {
    let f = fixture(backend).await;
    let mut flow = login(&f);
    let result = f.flows.update(&mut flow).await;
    assert!(
        matches!(result, Err(FlowStoreError::Conflict)),
        "{result:?}"
    );
}

async fn expired_flows_still_read_until_their_retention_ends(backend: Backend) {
    let f = fixture(backend).await;
    let mut flow = login(&f);
    f.flows.create(&mut flow).await.unwrap();

    f.clock.advance(Duration::from_secs(2 * 3600));
    let read: StoredFlow<LoginDoc> = f.flows.get(flow.id()).await.unwrap();
    match read.flow.common.check_expiry(f.clock.now()) {
        Err(FlowError::Expired(expired)) => {
            assert_eq!(expired.expired_at, flow.flow.common.expires_at);
            assert_eq!(expired.since, time::Duration::hours(1));
        }
        other => panic!("expected the flow to be expired, got {other:?}"),
    }

    let retention = Duration::try_from(FLOW_RETENTION).unwrap();
    f.clock.advance(retention);
    let result = f.flows.get::<LoginDoc>(flow.id()).await;
    assert!(
        matches!(result, Err(FlowStoreError::NotFound)),
        "{result:?}"
    );
}

async fn a_shorter_retention_drops_expired_flows_sooner(backend: Backend) {
    let f = fixture(backend).await;
    let flows = FlowStore::new(f.table.clone()).with_retention(time::Duration::minutes(10));
    let mut flow = login(&f);
    flows.create(&mut flow).await.unwrap();
    f.clock.advance(Duration::from_secs(3600 + 5 * 60));
    assert!(flows.get::<LoginDoc>(flow.id()).await.is_ok());
    f.clock.advance(Duration::from_secs(10 * 60));
    assert!(matches!(
        flows.get::<LoginDoc>(flow.id()).await,
        Err(FlowStoreError::NotFound)
    ));
}

async fn flows_bound_to_an_identity_are_listed_by_identity(backend: Backend) {
    let f = fixture(backend).await;
    let alice = IdentityId::new();
    let bob = IdentityId::new();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let mut flow = settings(&f, alice);
        f.flows.create(&mut flow).await.unwrap();
        ids.push(flow.id());
    }
    let mut bobs = settings(&f, bob);
    f.flows.create(&mut bobs).await.unwrap();
    let mut unbound = login(&f);
    f.flows.create(&mut unbound).await.unwrap();

    let listed: Vec<StoredFlow<SettingsDoc>> = f.flows.list_for_identity(alice, 10).await.unwrap();
    let mut listed_ids: Vec<FlowId> = listed.iter().map(StoredFlow::id).collect();
    listed_ids.sort();
    ids.sort();
    assert_eq!(listed_ids, ids);
    assert!(
        listed
            .iter()
            .all(|s| s.flow.identity_id == alice && s.version() == 1)
    );

    let logins: Vec<StoredFlow<LoginDoc>> = f.flows.list_for_identity(alice, 10).await.unwrap();
    assert!(logins.is_empty(), "flows of other kinds are left out");
    let limited: Vec<StoredFlow<SettingsDoc>> = f.flows.list_for_identity(alice, 2).await.unwrap();
    assert_eq!(limited.len(), 2);
}

async fn flow_writes_join_a_larger_atomic_write(backend: Backend) {
    let f = fixture(backend).await;
    let mut flow = login(&f);
    f.flows.create(&mut flow).await.unwrap();
    let mut read: StoredFlow<LoginDoc> = f.flows.get(flow.id()).await.unwrap();
    read.flow.refresh = false;

    // Another write in the batch fails: the flow update must not happen either.
    let blocker = Key::new("TEST#blocker", "TEST");
    let result = f
        .table
        .write(vec![
            f.flows.update_op(&read).unwrap(),
            WriteOp::Check {
                key: blocker.clone(),
                condition: Condition::Present,
            },
        ])
        .await;
    assert!(
        matches!(result, Err(StoreError::ConditionFailed { index: 1 })),
        "{result:?}"
    );
    let unchanged: StoredFlow<LoginDoc> = f.flows.get(flow.id()).await.unwrap();
    assert!(unchanged.flow.refresh);

    // With the other item in place, both writes apply together.
    f.table
        .write(vec![WriteOp::Put {
            item: Item::new(blocker.clone(), "test", json!({})),
            condition: Condition::Absent,
        }])
        .await
        .unwrap();
    let mut other = login(&f);
    f.table
        .write(vec![
            f.flows.update_op(&read).unwrap(),
            f.flows.create_op(&other).unwrap(),
            WriteOp::Check {
                key: blocker,
                condition: Condition::Present,
            },
        ])
        .await
        .unwrap();
    f.flows.applied(&mut read);
    f.flows.applied(&mut other);
    let updated: StoredFlow<LoginDoc> = f.flows.get(flow.id()).await.unwrap();
    assert_eq!(updated, read);
    assert_eq!(updated.version(), 2);
    let created: StoredFlow<LoginDoc> = f.flows.get(other.id()).await.unwrap();
    assert_eq!(created.version(), 1);
}

async fn a_corrupt_flow_item_is_reported_not_panicked_on(backend: Backend) {
    let f = fixture(backend).await;
    let id = FlowId::new();
    f.table
        .write(vec![WriteOp::Put {
            item: Item::new(
                keys::flow(id),
                keys::kind::FLOW,
                json!({ "flow_kind": "login", "flow": { "id": "not a uuid" } }),
            ),
            condition: Condition::None,
        }])
        .await
        .unwrap();
    let result = f.flows.get::<LoginDoc>(id).await;
    assert!(
        matches!(result, Err(FlowStoreError::Corrupt(_))),
        "{result:?}"
    );
}

async fn stored_errors_read_back_until_they_lapse(backend: Backend) {
    let f = fixture(backend).await;
    let errors = SelfServiceErrorStore::new(f.table.clone());
    let error: Value = json!({ "code": 403, "status": "Forbidden", "id": "security_csrf_violation", "message": "m" });
    let created = errors.create(error.clone(), f.clock.now()).await.unwrap();
    let read = errors.get(created.id).await.unwrap();
    assert_eq!(read, created);
    assert_eq!(read.error, error);

    assert!(matches!(
        errors.get(SelfServiceErrorId::new()).await,
        Err(SelfServiceErrorStoreError::NotFound)
    ));

    f.clock
        .advance(Duration::try_from(ERROR_RETENTION).unwrap() + Duration::from_secs(1));
    assert!(matches!(
        errors.get(created.id).await,
        Err(SelfServiceErrorStoreError::NotFound)
    ));
}

kratos_core::on_both_backends!(
    a_created_flow_reads_back_whole,
    an_unknown_flow_is_not_found,
    a_flow_of_another_kind_is_not_found,
    creating_the_same_flow_twice_conflicts,
    updates_apply_in_order_and_stale_ones_conflict,
    updating_a_flow_never_stored_conflicts,
    expired_flows_still_read_until_their_retention_ends,
    a_shorter_retention_drops_expired_flows_sooner,
    flows_bound_to_an_identity_are_listed_by_identity,
    flow_writes_join_a_larger_atomic_write,
    a_corrupt_flow_item_is_reported_not_panicked_on,
    stored_errors_read_back_until_they_lapse,
);
