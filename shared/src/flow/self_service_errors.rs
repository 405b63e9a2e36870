//! User-facing errors kept for the error UI. When a browser flow fails in a way its own
//! form cannot show, the error is stored and the browser is sent to
//! `selfservice.flows.error.ui_url?id=<id>`; the UI reads it from
//! `GET /self-service/errors?id=<id>` (the spec's `flowError`).
//!
//! Layout: item `ERR#<id>` / `ERR`, kind `self_service_error`, TTL [`ERROR_RETENTION`].
//! `create` is one PutItem, `get` one GetItem. Unlike Kratos, reading does not mark the
//! error as seen: nothing reads that mark, and it would cost a write per read.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::ids::SelfServiceErrorId;
use crate::store::{Condition, Item, SharedTable, StoreError, WriteOp, keys};

/// How long a stored error can be read.
pub const ERROR_RETENTION: time::Duration = time::Duration::days(7);

/// A stored error, shaped as the spec's `flowError`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfServiceError {
    pub id: SelfServiceErrorId,
    /// The error object as the JSON API would have sent it (`{id, code, status, ...}`).
    pub error: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// How a stored-error operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SelfServiceErrorStoreError {
    #[error("the error does not exist")]
    NotFound,
    #[error("stored error is malformed: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stored-error repository.
#[derive(Debug, Clone)]
pub struct SelfServiceErrorStore {
    table: SharedTable,
}

impl SelfServiceErrorStore {
    pub fn new(table: SharedTable) -> Self {
        Self { table }
    }

    /// Stores `error` (the inner error object of a JSON error body) and returns its record.
    pub async fn create(
        &self,
        error: Value,
        now: OffsetDateTime,
    ) -> Result<SelfServiceError, SelfServiceErrorStoreError> {
        let record = SelfServiceError {
            id: SelfServiceErrorId::new(),
            error,
            created_at: now,
            updated_at: now,
        };
        let body = serde_json::to_value(&record)
            .map_err(|e| SelfServiceErrorStoreError::Corrupt(e.to_string()))?;
        let item = Item::new(
            keys::self_service_error(record.id),
            keys::kind::SELF_SERVICE_ERROR,
            body,
        )
        .expiring_at((now + ERROR_RETENTION).unix_timestamp());
        self.table
            .write(vec![WriteOp::Put {
                item,
                condition: Condition::Absent,
            }])
            .await?;
        Ok(record)
    }

    /// Reads a stored error. Fails with `NotFound` if there is none or it has lapsed.
    pub async fn get(
        &self,
        id: SelfServiceErrorId,
    ) -> Result<SelfServiceError, SelfServiceErrorStoreError> {
        let item = self
            .table
            .get(&keys::self_service_error(id))
            .await?
            .ok_or(SelfServiceErrorStoreError::NotFound)?;
        serde_json::from_value(item.body)
            .map_err(|e| SelfServiceErrorStoreError::Corrupt(e.to_string()))
    }
}

/// The stub Kratos serves for `?id=stub:500`, so error UIs can be built without failures.
pub fn stub_500(now: OffsetDateTime) -> SelfServiceError {
    SelfServiceError {
        id: SelfServiceErrorId::new(),
        error: json!({
            "code": 500,
            "status": "Internal Server Error",
            "reason": "A sample error for building error pages.",
            "message": "An internal server error occurred, please contact the system administrator",
        }),
        created_at: now,
        updated_at: now,
    }
}
