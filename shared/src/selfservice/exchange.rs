//! Session token exchange codes: a native app that starts an API flow with
//! `return_session_token_exchange_code=true` gets an `init_code` with the new flow; when a
//! flow completes in a browser the app does not control (social sign-in), the app's return
//! URL receives a `return_to_code`, and `GET /sessions/token-exchange` with both codes
//! answers the session and its token.
//!
//! Layout (built in `store/keys.rs`): one item `TOK#session_token_exchange#<SHA-256 of the
//! init code>` / `TOK`, kind `flow_token`, expiring an hour after its flow does. It holds
//! the flow's ID, the digest of the return-to code and that code sealed (for the redirect
//! that delivers it), and once the flow completed, the session's ID and its token, sealed
//! with `secrets.cipher`. The flow remembers the item's digest in its internal state.
//!
//! Unlike Kratos, where the codes stay usable for an hour, an exchange works once: the item
//! is deleted when the token is handed out. Kratos binds a session only when a social
//! sign-in completes through a redirect; here any API flow that completes with a session
//! binds it, which changes nothing for clients (the return-to code is only ever delivered
//! by that redirect).
//!
//! Requests: creating is one `WriteOp` in the flow's own write; binding one `WriteOp` in
//! the completing write; exchanging is 1 GetItem + 1 conditional DeleteItem.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::crypto::{Sealer, constant_time_eq, random_alphanumeric, sha256_hex};
use crate::ids::{FlowId, SessionId};
use crate::secret::Secret;
use crate::store::{Condition, Item, SharedTable, StoreError, WriteOp, keys};

/// The purpose under which the item's secrets are sealed.
pub const SEALING_PURPOSE: &str = "session-token-exchange";
/// The name of the flow's internal field that holds the item's digest.
pub const INTERNAL_FIELD: &str = "session_token_exchange";
/// Codes are 64 alphanumeric characters, as in Kratos (about 380 bits).
const CODE_LENGTH: usize = 64;
/// How long after its flow an exchange can still be completed.
const RETENTION: time::Duration = time::Duration::hours(1);

/// The two codes of an exchange.
#[derive(Debug, Clone)]
pub struct ExchangeCodes {
    pub init_code: Secret,
    pub return_to_code: Secret,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    flow_id: FlowId,
    return_to_code_digest: String,
    return_to_code_sealed: String,
    #[serde(default)]
    session_id: Option<SessionId>,
    #[serde(default)]
    session_token_sealed: Option<String>,
}

/// A new exchange: its codes, the digest the flow must remember, and the write.
#[derive(Debug)]
pub struct NewExchange {
    pub codes: ExchangeCodes,
    pub digest: String,
    pub op: WriteOp,
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// No completed exchange has these codes (unknown, wrong return-to code, not completed
    /// yet, already used or lapsed).
    #[error("no session for these codes")]
    NotFound,
    #[error("the stored exchange is malformed: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The exchange repository. Cheap to construct per request.
#[derive(Debug, Clone)]
pub struct TokenExchanges<'a> {
    table: SharedTable,
    sealer: &'a Sealer,
}

impl<'a> TokenExchanges<'a> {
    pub fn new(table: SharedTable, sealer: &'a Sealer) -> Self {
        Self { table, sealer }
    }

    /// Codes for a new API flow that lives until `flow_expires_at`.
    pub fn create(&self, flow_id: FlowId, flow_expires_at: OffsetDateTime) -> NewExchange {
        let codes = ExchangeCodes {
            init_code: Secret::new(random_alphanumeric(CODE_LENGTH)),
            return_to_code: Secret::new(random_alphanumeric(CODE_LENGTH)),
        };
        let digest = sha256_hex(codes.init_code.expose().as_bytes());
        let record = Record {
            flow_id,
            return_to_code_digest: sha256_hex(codes.return_to_code.expose().as_bytes()),
            return_to_code_sealed: self.sealer.seal(codes.return_to_code.expose().as_bytes()),
            session_id: None,
            session_token_sealed: None,
        };
        let op = WriteOp::Put {
            item: item(&digest, &record, flow_expires_at),
            condition: Condition::Absent,
        };
        NewExchange { codes, digest, op }
    }

    /// The write that records the session a flow completed with (the exchange must still
    /// exist, or the whole write fails).
    pub async fn bind_op(
        &self,
        digest: &str,
        session_id: SessionId,
        token: &Secret,
        flow_expires_at: OffsetDateTime,
    ) -> Result<Option<WriteOp>, ExchangeError> {
        let Some((mut record, _)) = self.read(digest).await? else {
            return Ok(None);
        };
        record.session_id = Some(session_id);
        record.session_token_sealed = Some(self.sealer.seal(token.expose().as_bytes()));
        Ok(Some(WriteOp::Put {
            item: item(digest, &record, flow_expires_at),
            condition: Condition::Present,
        }))
    }

    /// The return-to code of an exchange, for the redirect that completes a flow.
    pub async fn return_to_code(&self, digest: &str) -> Result<Option<Secret>, ExchangeError> {
        let Some((record, _)) = self.read(digest).await? else {
            return Ok(None);
        };
        let code = self
            .sealer
            .open(&record.return_to_code_sealed)
            .map_err(|_| ExchangeError::Corrupt("the return-to code does not open".into()))?;
        String::from_utf8(code)
            .map(|c| Some(Secret::new(c)))
            .map_err(|_| ExchangeError::Corrupt("the return-to code is not text".into()))
    }

    /// Hands out the session of a completed exchange, once.
    pub async fn exchange(
        &self,
        init_code: &str,
        return_to_code: &str,
    ) -> Result<(SessionId, Secret), ExchangeError> {
        if init_code.is_empty() || return_to_code.is_empty() || init_code.len() > 256 {
            return Err(ExchangeError::NotFound);
        }
        let digest = sha256_hex(init_code.as_bytes());
        let Some((record, version)) = self.read(&digest).await? else {
            return Err(ExchangeError::NotFound);
        };
        let given = sha256_hex(return_to_code.as_bytes());
        if !constant_time_eq(given.as_bytes(), record.return_to_code_digest.as_bytes()) {
            return Err(ExchangeError::NotFound);
        }
        let (Some(session_id), Some(sealed)) = (record.session_id, record.session_token_sealed)
        else {
            return Err(ExchangeError::NotFound);
        };
        let token = self
            .sealer
            .open(&sealed)
            .ok()
            .and_then(|t| String::from_utf8(t).ok())
            .ok_or_else(|| ExchangeError::Corrupt("the session token does not open".into()))?;
        match self
            .table
            .write(vec![WriteOp::Delete {
                key: keys::session_token_exchange(&digest),
                condition: Condition::Version(version),
            }])
            .await
        {
            Ok(()) => Ok((session_id, Secret::new(token))),
            // Someone else exchanged it in between.
            Err(StoreError::ConditionFailed { .. }) => Err(ExchangeError::NotFound),
            Err(other) => Err(other.into()),
        }
    }

    async fn read(&self, digest: &str) -> Result<Option<(Record, u64)>, ExchangeError> {
        let Some(item) = self
            .table
            .get(&keys::session_token_exchange(digest))
            .await?
        else {
            return Ok(None);
        };
        let version = item.version;
        let record: Record =
            serde_json::from_value(item.body).map_err(|e| ExchangeError::Corrupt(e.to_string()))?;
        Ok(Some((record, version)))
    }
}

fn item(digest: &str, record: &Record, flow_expires_at: OffsetDateTime) -> Item {
    let body = serde_json::to_value(record).unwrap_or(Value::Null);
    Item::new(
        keys::session_token_exchange(digest),
        keys::kind::FLOW_TOKEN,
        body,
    )
    .expiring_at((flow_expires_at + RETENTION).unix_timestamp())
}

/// For a flow that completes with `issued`: the write that binds the session to the flow's
/// exchange, if the flow was started with one (its digest is in the flow's internal
/// state). Requests: 1 GetItem when it was; none otherwise.
pub async fn bind_op_for_flow(
    app: &crate::app::App,
    internal: &serde_json::Map<String, Value>,
    flow_expires_at: OffsetDateTime,
    issued: &crate::session::IssuedSession,
) -> Result<Option<WriteOp>, super::SubmitError> {
    let Some(digest) = internal.get(INTERNAL_FIELD).and_then(Value::as_str) else {
        return Ok(None);
    };
    TokenExchanges::new(app.table.clone(), &app.exchange_sealer)
        .bind_op(
            digest,
            issued.session.id,
            &Secret::new(issued.token.expose()),
            flow_expires_at,
        )
        .await
        .map_err(|e| match e {
            ExchangeError::Store(store) => super::SubmitError::Store(store),
            other => super::SubmitError::Internal(anyhow::Error::new(other)),
        })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::{ManualClock, SharedClock};
    use crate::store::sqlite::SqliteTable;

    #[tokio::test]
    async fn a_bound_exchange_hands_out_its_token_once() {
        let clock: SharedClock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        let table: SharedTable = Arc::new(SqliteTable::in_memory(clock.clone()).unwrap());
        let sealer = Sealer::new(SEALING_PURPOSE, &["a-secret-long-enough-for-this"]);
        let exchanges = TokenExchanges::new(table.clone(), &sealer);
        let expires = clock.now() + time::Duration::hours(1);
        let created = exchanges.create(FlowId::new(), expires);
        table.write(vec![created.op]).await.unwrap();
        let codes = created.codes;
        // Not completed yet.
        assert!(matches!(
            exchanges
                .exchange(codes.init_code.expose(), codes.return_to_code.expose())
                .await,
            Err(ExchangeError::NotFound)
        ));
        let session = SessionId::new();
        let op = exchanges
            .bind_op(
                &created.digest,
                session,
                &Secret::new("ory_st_abc"),
                expires,
            )
            .await
            .unwrap()
            .unwrap();
        table.write(vec![op]).await.unwrap();
        assert_eq!(
            exchanges
                .return_to_code(&created.digest)
                .await
                .unwrap()
                .unwrap()
                .expose(),
            codes.return_to_code.expose()
        );
        assert!(matches!(
            exchanges.exchange(codes.init_code.expose(), "wrong").await,
            Err(ExchangeError::NotFound)
        ));
        let (id, token) = exchanges
            .exchange(codes.init_code.expose(), codes.return_to_code.expose())
            .await
            .unwrap();
        assert_eq!(id, session);
        assert_eq!(token.expose(), "ory_st_abc");
        assert!(matches!(
            exchanges
                .exchange(codes.init_code.expose(), codes.return_to_code.expose())
                .await,
            Err(ExchangeError::NotFound)
        ));
    }
}
