//! Storage: one logical table, two backends.
//!
//! Every record of the system (identities, identifier claims, sessions, flows, courier
//! messages) is an [`Item`] in one table, laid out as `docs/data-model.md` describes.
//! [`Table`] is the port; [`dynamodb::DynamoTable`] and [`sqlite::SqliteTable`] are its
//! backends, and `tests/table_contract.rs` holds the one contract suite both must pass.
//! Key strings are built only in [`keys`].

pub mod counting;
pub mod definition;
pub mod dynamodb;
pub mod keys;
pub mod page;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

pub use page::{PageCursor, PageTokenError, PageTokens};

/// How deep a caller-supplied JSON value may nest inside an item body. DynamoDB stores
/// at most 32 levels of nested attributes; the body and the field holding the value take
/// two, and a margin keeps room for the record's own wrapping.
pub const MAX_FREE_FORM_DEPTH: usize = 28;

/// Checks that a caller-supplied JSON value (traits, metadata, a transient payload) can
/// be stored by every backend: it nests at most [`MAX_FREE_FORM_DEPTH`] levels and holds
/// no number outside DynamoDB's range (magnitudes 1e-130 to 9.99e125, or zero).
/// The error says what is wrong, for a 400 answer.
pub fn check_free_form(value: &Value) -> Result<(), String> {
    fn walk(value: &Value, depth: usize) -> Result<(), String> {
        if depth > MAX_FREE_FORM_DEPTH {
            return Err(format!(
                "the value nests deeper than {MAX_FREE_FORM_DEPTH} levels"
            ));
        }
        match value {
            Value::Number(n) => match n.as_f64() {
                Some(f) if f == 0.0 || (1e-130..1e126).contains(&f.abs()) => Ok(()),
                _ => Err(format!("the number {n} is outside the storable range")),
            },
            Value::Array(items) => items.iter().try_for_each(|v| walk(v, depth + 1)),
            Value::Object(fields) => fields.values().try_for_each(|v| walk(v, depth + 1)),
            _ => Ok(()),
        }
    }
    walk(value, 1)
}

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// A partition and sort key pair in one of the secondary indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

impl IndexKey {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// Which key a query runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
    Gsi3,
}

impl Index {
    /// The DynamoDB index name, `None` for the table itself.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Gsi2 => Some("gsi2"),
            Index::Gsi3 => Some("gsi3"),
        }
    }
}

/// One record. `body` is the record's own document; the other fields are the layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    /// The record type (`identity`, `session`, `message`, ...), stored as `kind`.
    pub kind: String,
    pub gsi1: Option<IndexKey>,
    pub gsi2: Option<IndexKey>,
    pub gsi3: Option<IndexKey>,
    /// Seconds since the epoch after which the item is treated as absent (the TTL attribute).
    pub expires_at: Option<i64>,
    /// Optimistic-concurrency version; a successful put stores exactly this value.
    pub version: u64,
    pub body: Value,
}

impl Item {
    pub fn new(key: Key, kind: impl Into<String>, body: Value) -> Self {
        Self {
            key,
            kind: kind.into(),
            gsi1: None,
            gsi2: None,
            gsi3: None,
            expires_at: None,
            version: 1,
            body,
        }
    }

    pub fn with_gsi1(mut self, key: IndexKey) -> Self {
        self.gsi1 = Some(key);
        self
    }

    pub fn with_gsi2(mut self, key: IndexKey) -> Self {
        self.gsi2 = Some(key);
        self
    }

    pub fn with_gsi3(mut self, key: IndexKey) -> Self {
        self.gsi3 = Some(key);
        self
    }

    pub fn expiring_at(mut self, unix_seconds: i64) -> Self {
        self.expires_at = Some(unix_seconds);
        self
    }

    pub fn with_version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }

    /// The key of this item in `index`, if it is projected there.
    pub fn index_key(&self, index: Index) -> Option<IndexKey> {
        match index {
            Index::Table => Some(IndexKey::new(&self.key.pk, &self.key.sk)),
            Index::Gsi1 => self.gsi1.clone(),
            Index::Gsi2 => self.gsi2.clone(),
            Index::Gsi3 => self.gsi3.clone(),
        }
    }

    /// Whether the item is logically gone at `now` (its TTL has passed).
    pub fn is_expired(&self, now_unix: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now_unix)
    }
}

/// What must hold for a write to apply. Expired items count as absent throughout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Always applies.
    None,
    /// The key holds no live item.
    Absent,
    /// The key holds a live item.
    Present,
    /// The key holds a live item whose version is exactly this.
    Version(u64),
}

/// One part of an atomic write.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // Batches hold at most 100 ops; boxing buys nothing.
pub enum WriteOp {
    Put {
        item: Item,
        condition: Condition,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Writes nothing; fails the whole write if the condition does not hold.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl WriteOp {
    pub fn key(&self) -> &Key {
        match self {
            WriteOp::Put { item, .. } => &item.key,
            WriteOp::Delete { key, .. } | WriteOp::Check { key, .. } => key,
        }
    }

    pub fn condition(&self) -> Condition {
        match self {
            WriteOp::Put { condition, .. }
            | WriteOp::Delete { condition, .. }
            | WriteOp::Check { condition, .. } => *condition,
        }
    }
}

/// Which sort keys a query selects within its partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKeyCondition {
    All,
    BeginsWith(String),
    /// Inclusive on both ends.
    Between(String, String),
}

/// A query on one partition of the table or of an index.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub index: Index,
    pub partition: String,
    pub sort: SortKeyCondition,
    /// Resume strictly after this position (from a previous page).
    pub after: Option<PageCursor>,
    /// At most this many live items are returned.
    pub limit: usize,
    /// Descending sort-key order when true.
    pub descending: bool,
}

impl Query {
    pub fn new(index: Index, partition: impl Into<String>) -> Self {
        Self {
            index,
            partition: partition.into(),
            sort: SortKeyCondition::All,
            after: None,
            limit: 100,
            descending: false,
        }
    }

    pub fn sort(mut self, sort: SortKeyCondition) -> Self {
        self.sort = sort;
        self
    }

    pub fn after(mut self, cursor: Option<PageCursor>) -> Self {
        self.after = cursor;
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    pub fn descending(mut self, descending: bool) -> Self {
        self.descending = descending;
        self
    }
}

/// A page of query results in index order.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPage {
    pub items: Vec<Item>,
    /// Where the next page starts; `None` when this page is the last.
    pub next: Option<PageCursor>,
}

/// How a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition of the write at this position in the batch did not hold; nothing was written.
    #[error("condition failed for write #{index}")]
    ConditionFailed { index: usize },
    /// Another writer touched the same items at the same moment; nothing was written. Retryable.
    #[error("the write conflicted with a concurrent transaction")]
    TransactionConflict,
    /// The request was refused as malformed or too large (e.g. more than 100 writes).
    #[error("invalid storage request: {0}")]
    Invalid(String),
    /// A stored item could not be decoded.
    #[error("stored item is corrupt: {0}")]
    Corrupt(String),
    /// The backend could not be reached or failed internally.
    #[error("storage unavailable")]
    Unavailable(#[source] anyhow::Error),
}

/// The most writes one atomic [`Table::write`] may hold (DynamoDB's transaction limit).
pub const MAX_WRITE_OPS: usize = 100;

/// The single table. Implementations must pass `tests/table_contract.rs`.
///
/// Items whose `expires_at` has passed are invisible to every method, before and after the
/// backend physically removes them.
#[async_trait]
pub trait Table: Send + Sync + std::fmt::Debug {
    /// Reads one item by key (strongly consistent).
    /// Fails with `Unavailable` or `Corrupt` only; a missing item is `Ok(None)`.
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// Reads several items in one request; missing keys are left out, order is unspecified.
    /// At most 100 keys. Fails like [`Table::get`].
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError>;

    /// Reads a page of one partition in sort-key order (index queries are eventually
    /// consistent on DynamoDB). Fails like [`Table::get`].
    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError>;

    /// Applies all `ops` atomically, or none of them. Fails with `ConditionFailed` naming
    /// the first op whose condition did not hold, `TransactionConflict`, `Invalid` for an
    /// empty batch, more than [`MAX_WRITE_OPS`] ops or two ops on one key, or `Unavailable`.
    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;

    /// Checks that the table can be reached; used by `/health/ready`.
    async fn ping(&self) -> Result<(), StoreError>;
}

pub type SharedTable = Arc<dyn Table>;

/// Checks the batch rules every backend enforces the same way.
pub(crate) fn validate_batch(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() {
        return Err(StoreError::Invalid("empty write".into()));
    }
    if ops.len() > MAX_WRITE_OPS {
        return Err(StoreError::Invalid(format!(
            "{} writes exceed the limit of {MAX_WRITE_OPS}",
            ops.len()
        )));
    }
    let mut seen = std::collections::HashSet::with_capacity(ops.len());
    for op in ops {
        if !seen.insert(op.key()) {
            return Err(StoreError::Invalid(format!(
                "two writes on one key ({}, {})",
                op.key().pk,
                op.key().sk
            )));
        }
    }
    Ok(())
}

/// Trims a backend's `limit + 1` live items to a page and its continuation cursor.
pub(crate) fn finish_page(mut items: Vec<Item>, query: &Query) -> QueryPage {
    let next = if items.len() > query.limit {
        items.truncate(query.limit);
        items.last().map(|item| cursor_of(item, query.index))
    } else {
        None
    };
    QueryPage { items, next }
}

/// The position of `item` in `index`.
pub fn cursor_of(item: &Item, index: Index) -> PageCursor {
    let index_key = item
        .index_key(index)
        .unwrap_or_else(|| IndexKey::new(&item.key.pk, &item.key.sk));
    PageCursor {
        index_pk: index_key.pk,
        index_sk: index_key.sk,
        pk: item.key.pk.clone(),
        sk: item.key.sk.clone(),
    }
}
