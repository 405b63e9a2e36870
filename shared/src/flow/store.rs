//! The flow repository: any flow document in the single table.
//!
//! Layout (built in `store/keys.rs`): item `FLW#<id>` / `FLW`, kind `flow`; GSI1
//! `IDN#<identity>#FLW` / `<id>` when the flow is bound to an identity. The TTL is the
//! flow's `expires_at` plus [`FLOW_RETENTION`], so an expired flow still reads (and
//! answers 410 "expired") for a while instead of vanishing into a 404.
//!
//! Requests: `get` is one GetItem, `create` and `update` one conditional PutItem each,
//! `list_for_identity` one Query on GSI1. `create_op`/`update_op` give the same writes as
//! [`WriteOp`]s, to join a larger atomic [`crate::store::Table::write`].

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::{FlowCommon, FlowKind};
use crate::ids::{FlowId, IdentityId};
use crate::store::{
    Condition, Index, Item, Query, SharedTable, SortKeyCondition, StoreError, WriteOp, keys,
};

/// How long an expired flow is kept before the table's TTL removes it.
pub const FLOW_RETENTION: time::Duration = time::Duration::days(7);

/// A flow document the [`FlowStore`] can keep. Implemented by each flow's type.
pub trait FlowDocument: Serialize + DeserializeOwned + Send + Sync {
    const KIND: FlowKind;

    fn common(&self) -> &FlowCommon;

    fn common_mut(&mut self) -> &mut FlowCommon;

    /// The identity this flow belongs to, if any (settings flows; recovery and
    /// verification flows once the address is known). Indexed on GSI1.
    fn identity_id(&self) -> Option<IdentityId> {
        None
    }
}

/// A flow as stored: the public document plus what never leaves the server.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFlow<F> {
    pub flow: F,
    /// The masked anti-CSRF token the browser flow was issued with (Kratos's
    /// `csrf_token` column); `None` for API flows.
    pub csrf_token: Option<String>,
    /// Strategy state that is not part of the flow document (Kratos's
    /// `internal_context`): code attempt counters, pending traits, ...
    pub internal: Map<String, Value>,
    version: u64,
}

impl<F: FlowDocument> StoredFlow<F> {
    /// A flow not stored yet.
    pub fn new(flow: F) -> Self {
        Self {
            flow,
            csrf_token: None,
            internal: Map::new(),
            version: 0,
        }
    }

    pub fn with_csrf_token(mut self, token: impl Into<String>) -> Self {
        self.csrf_token = Some(token.into());
        self
    }

    pub fn id(&self) -> FlowId {
        self.flow.common().id
    }

    /// The version read from the table; 0 before the first write.
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// How a flow repository operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FlowStoreError {
    /// No live flow of the requested kind has this ID.
    #[error("the flow does not exist")]
    NotFound,
    /// The flow was changed since it was read (or already exists on create); nothing was
    /// written. Re-read and retry.
    #[error("the flow was changed concurrently")]
    Conflict,
    /// A stored flow could not be decoded, or a flow could not be encoded.
    #[error("stored flow is malformed: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for FlowStoreError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::ConditionFailed { .. } => FlowStoreError::Conflict,
            other => FlowStoreError::Store(other),
        }
    }
}

/// The flow repository. Cheap to construct per request.
#[derive(Debug, Clone)]
pub struct FlowStore {
    table: SharedTable,
    retention: time::Duration,
}

impl FlowStore {
    pub fn new(table: SharedTable) -> Self {
        Self {
            table,
            retention: FLOW_RETENTION,
        }
    }

    /// Keeps expired flows for `retention` instead of [`FLOW_RETENTION`].
    pub fn with_retention(mut self, retention: time::Duration) -> Self {
        self.retention = retention;
        self
    }

    fn item<F: FlowDocument>(
        &self,
        flow: &StoredFlow<F>,
        version: u64,
    ) -> Result<Item, FlowStoreError> {
        let common = flow.flow.common();
        let document = serde_json::to_value(&flow.flow)
            .map_err(|e| FlowStoreError::Corrupt(format!("cannot encode the flow: {e}")))?;
        let body = json!({
            "flow_kind": F::KIND,
            "flow": document,
            "csrf_token": flow.csrf_token,
            "internal": flow.internal,
        });
        let ttl = (common.expires_at + self.retention).unix_timestamp();
        let mut item = Item::new(keys::flow(common.id), keys::kind::FLOW, body)
            .expiring_at(ttl)
            .with_version(version);
        let owner = flow
            .flow
            .identity_id()
            .or_else(|| super::challenge::bound_identity(&flow.internal));
        if let Some(identity) = owner {
            item = item.with_gsi1(keys::flow_by_identity(identity, common.id));
        }
        Ok(item)
    }

    /// The write that stores a new flow; it fails if the ID is taken.
    pub fn create_op<F: FlowDocument>(
        &self,
        flow: &StoredFlow<F>,
    ) -> Result<WriteOp, FlowStoreError> {
        Ok(WriteOp::Put {
            item: self.item(flow, 1)?,
            condition: Condition::Absent,
        })
    }

    /// Stores a new flow. Fails with `Conflict` if a flow with this ID exists.
    pub async fn create<F: FlowDocument>(
        &self,
        flow: &mut StoredFlow<F>,
    ) -> Result<(), FlowStoreError> {
        let op = self.create_op(flow)?;
        self.table.write(vec![op]).await?;
        flow.version = 1;
        Ok(())
    }

    /// The write that replaces `flow` if nobody changed it since it was read. After the
    /// write succeeds, call [`FlowStore::applied`] (or use [`FlowStore::update`]).
    pub fn update_op<F: FlowDocument>(
        &self,
        flow: &StoredFlow<F>,
    ) -> Result<WriteOp, FlowStoreError> {
        Ok(WriteOp::Put {
            item: self.item(flow, flow.version + 1)?,
            condition: Condition::Version(flow.version),
        })
    }

    /// Records that an [`FlowStore::update_op`] or [`FlowStore::create_op`] of `flow`
    /// was written, so that the next update expects the new version.
    pub fn applied<F: FlowDocument>(&self, flow: &mut StoredFlow<F>) {
        flow.version += 1;
    }

    /// Replaces a flow read earlier. Fails with `Conflict` if it changed in between (or
    /// no longer exists).
    pub async fn update<F: FlowDocument>(
        &self,
        flow: &mut StoredFlow<F>,
    ) -> Result<(), FlowStoreError> {
        let op = self.update_op(flow)?;
        self.table.write(vec![op]).await?;
        self.applied(flow);
        Ok(())
    }

    /// Reads a flow of kind `F`, expired or not (check [`FlowCommon::check_expiry`]).
    /// Fails with `NotFound` if there is none, it is of another kind, or its retention
    /// has passed.
    pub async fn get<F: FlowDocument>(&self, id: FlowId) -> Result<StoredFlow<F>, FlowStoreError> {
        let item = self
            .table
            .get(&keys::flow(id))
            .await?
            .ok_or(FlowStoreError::NotFound)?;
        decode(item)?.ok_or(FlowStoreError::NotFound)
    }

    /// The flows of kind `F` bound to `identity`, at most `limit` (oldest IDs first,
    /// which is no particular time order).
    pub async fn list_for_identity<F: FlowDocument>(
        &self,
        identity: IdentityId,
        limit: usize,
    ) -> Result<Vec<StoredFlow<F>>, FlowStoreError> {
        let query = Query::new(Index::Gsi1, keys::flows_of_identity_partition(identity))
            .sort(SortKeyCondition::All)
            .limit(limit.max(1));
        let page = self.table.query(&query).await?;
        let mut flows = Vec::new();
        for item in page.items {
            if item.kind != keys::kind::FLOW {
                continue;
            }
            if let Some(flow) = decode(item)? {
                flows.push(flow);
            }
        }
        Ok(flows)
    }
}

/// Decodes a stored flow; `None` when it is a flow of another kind.
fn decode<F: FlowDocument>(item: Item) -> Result<Option<StoredFlow<F>>, FlowStoreError> {
    let corrupt = |what: &str| FlowStoreError::Corrupt(format!("flow {}: {what}", item.key.pk));
    let mut body = match item.body {
        Value::Object(ref map) => map.clone(),
        _ => return Err(corrupt("the body is not an object")),
    };
    let kind: FlowKind = body
        .get("flow_kind")
        .cloned()
        .and_then(|k| serde_json::from_value(k).ok())
        .ok_or_else(|| corrupt("no flow_kind"))?;
    if kind != F::KIND {
        return Ok(None);
    }
    let document = body.remove("flow").ok_or_else(|| corrupt("no flow"))?;
    let flow: F = serde_json::from_value(document).map_err(|e| corrupt(&e.to_string()))?;
    let csrf_token = body
        .remove("csrf_token")
        .and_then(|v| v.as_str().map(str::to_owned));
    let internal = match body.remove("internal") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    Ok(Some(StoredFlow {
        flow,
        csrf_token,
        internal,
        version: item.version,
    }))
}
