//! A [`Table`] decorator that counts requests, so tests and the benchmark can state how
//! many store round trips an operation costs (e.g. "whoami is one read").
//!
//! One call is one request, except that a DynamoDB `query` continues past pages of
//! expired items and `get_many` retries unprocessed keys; those rare extra round trips
//! are not counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use super::{Item, Key, Query, QueryPage, SharedTable, StoreError, Table, WriteOp};

/// Requests seen so far, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub get: usize,
    pub get_many: usize,
    pub query: usize,
    pub write: usize,
}

impl RequestCounts {
    pub fn reads(&self) -> usize {
        self.get + self.get_many + self.query
    }

    pub fn total(&self) -> usize {
        self.reads() + self.write
    }
}

impl std::fmt::Display for RequestCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} total ({} get, {} batch get, {} query, {} write)",
            self.total(),
            self.get,
            self.get_many,
            self.query,
            self.write
        )
    }
}

/// Counts every request made through it, then forwards it.
#[derive(Debug)]
pub struct CountingTable {
    inner: SharedTable,
    get: AtomicUsize,
    get_many: AtomicUsize,
    query: AtomicUsize,
    write: AtomicUsize,
}

impl CountingTable {
    pub fn new(inner: SharedTable) -> Arc<Self> {
        Arc::new(Self {
            inner,
            get: AtomicUsize::new(0),
            get_many: AtomicUsize::new(0),
            query: AtomicUsize::new(0),
            write: AtomicUsize::new(0),
        })
    }

    pub fn counts(&self) -> RequestCounts {
        RequestCounts {
            get: self.get.load(Ordering::SeqCst),
            get_many: self.get_many.load(Ordering::SeqCst),
            query: self.query.load(Ordering::SeqCst),
            write: self.write.load(Ordering::SeqCst),
        }
    }

    /// Returns the counts so far and starts again from zero.
    pub fn take(&self) -> RequestCounts {
        RequestCounts {
            get: self.get.swap(0, Ordering::SeqCst),
            get_many: self.get_many.swap(0, Ordering::SeqCst),
            query: self.query.swap(0, Ordering::SeqCst),
            write: self.write.swap(0, Ordering::SeqCst),
        }
    }
}

#[async_trait]
impl Table for CountingTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.get.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.get_many.fetch_add(1, Ordering::SeqCst);
        self.inner.get_many(keys).await
    }

    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError> {
        self.query.fetch_add(1, Ordering::SeqCst);
        self.inner.query(query).await
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.write.fetch_add(1, Ordering::SeqCst);
        self.inner.write(ops).await
    }

    /// The readiness probe is one `GetItem` on DynamoDB, so it counts as a get.
    async fn ping(&self) -> Result<(), StoreError> {
        self.get.fetch_add(1, Ordering::SeqCst);
        self.inner.ping().await
    }
}
