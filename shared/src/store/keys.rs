//! The single-table layout: every key string in the system is built here and nowhere else.
//! `docs/data-model.md` documents the same layout for humans; keep the two in step.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{IndexKey, Key};
use crate::ids::{FlowId, IdentityId, MessageId, SelfServiceErrorId, SessionId};

/// The `kind` attribute of each item type.
pub mod kind {
    pub const IDENTITY: &str = "identity";
    pub const IDENTIFIER: &str = "identifier";
    pub const VERIFIABLE_ADDRESS: &str = "verifiable_address";
    pub const RECOVERY_ADDRESS: &str = "recovery_address";
    pub const SESSION: &str = "session";
    pub const FLOW: &str = "flow";
    pub const FLOW_TOKEN: &str = "flow_token";
    pub const SELF_SERVICE_ERROR: &str = "self_service_error";
    pub const MESSAGE: &str = "message";
    pub const HEALTH: &str = "health";
}

/// A timestamp whose string order is its time order (fixed width, UTC, microseconds).
pub fn sortable_time(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let micros = utc.microsecond();
    let whole = utc
        .replace_nanosecond(0)
        .expect("zero nanoseconds is valid");
    let text = whole.format(&Rfc3339).expect("UTC timestamps format");
    // `text` ends in `Z`; splice the fixed-width fraction in before it.
    format!("{}.{micros:06}Z", &text[..text.len() - 1])
}

// ---- identities ----------------------------------------------------------------------

/// The identity document, credentials and addresses included.
pub fn identity(id: IdentityId) -> Key {
    Key::new(format!("IDN#{id}"), "IDN")
}

/// GSI1 entry listing every identity in ID order.
pub const IDENTITY_LISTING: &str = "IDNS";
pub fn identity_listing(id: IdentityId) -> IndexKey {
    IndexKey::new(IDENTITY_LISTING, id.to_string())
}

/// The claim on a credential identifier (unique per credential type).
pub fn identifier(credential_type: &str, identifier: &str) -> Key {
    Key::new(identifier_partition(identifier), credential_type)
}

/// All claims on one identifier, across credential types.
pub fn identifier_partition(identifier: &str) -> String {
    format!("CID#{identifier}")
}

/// GSI1 entry ordering every identifier, for prefix search.
pub const IDENTIFIER_LISTING: &str = "CIDS";
pub fn identifier_listing(credential_type: &str, identifier: &str) -> IndexKey {
    IndexKey::new(
        IDENTIFIER_LISTING,
        format!("{identifier}#{credential_type}"),
    )
}

/// The claim on a verifiable address (unique per channel).
pub fn verifiable_address(via: &str, value: &str) -> Key {
    Key::new(format!("VAD#{via}#{value}"), "VAD")
}

/// The claim on a recovery address (unique per channel).
pub fn recovery_address(via: &str, value: &str) -> Key {
    Key::new(format!("RAD#{via}#{value}"), "RAD")
}

// ---- sessions ------------------------------------------------------------------------

pub fn session(id: SessionId) -> Key {
    Key::new(format!("SES#{id}"), "SES")
}

/// GSI1 entry: one identity's sessions, newest last.
pub fn sessions_of_identity_partition(identity: IdentityId) -> String {
    format!("IDN#{identity}#SES")
}
pub fn session_by_identity(
    identity: IdentityId,
    created: OffsetDateTime,
    id: SessionId,
) -> IndexKey {
    IndexKey::new(
        sessions_of_identity_partition(identity),
        format!("{}#{id}", sortable_time(created)),
    )
}

/// GSI2 entry: every session, newest last.
pub const SESSION_LISTING: &str = "SESS";
pub fn session_listing(created: OffsetDateTime, id: SessionId) -> IndexKey {
    IndexKey::new(SESSION_LISTING, format!("{}#{id}", sortable_time(created)))
}

// ---- flows ---------------------------------------------------------------------------

pub fn flow(id: FlowId) -> Key {
    Key::new(format!("FLW#{id}"), "FLW")
}

/// GSI1 entry: the flows bound to one identity (settings, recovery, verification).
pub fn flows_of_identity_partition(identity: IdentityId) -> String {
    format!("IDN#{identity}#FLW")
}
pub fn flow_by_identity(identity: IdentityId, id: FlowId) -> IndexKey {
    IndexKey::new(flows_of_identity_partition(identity), id.to_string())
}

/// A one-time token or code that leads to a flow, keyed by its digest.
pub fn flow_token(purpose: &str, digest: &str) -> Key {
    Key::new(format!("TOK#{purpose}#{digest}"), "TOK")
}

/// A session token exchange (`GET /sessions/token-exchange`), keyed by the digest of its
/// init code.
pub fn session_token_exchange(init_code_digest: &str) -> Key {
    flow_token("session_token_exchange", init_code_digest)
}

/// A user-facing error kept for the error UI (`GET /self-service/errors?id=`).
pub fn self_service_error(id: SelfServiceErrorId) -> Key {
    Key::new(format!("ERR#{id}"), "ERR")
}

// ---- courier -------------------------------------------------------------------------

pub fn message(id: MessageId) -> Key {
    Key::new(format!("MSG#{id}"), "MSG")
}

/// GSI1 entry: every message, oldest first.
pub const MESSAGE_LISTING: &str = "MSGS";
pub fn message_listing(created: OffsetDateTime, id: MessageId) -> IndexKey {
    IndexKey::new(MESSAGE_LISTING, format!("{}#{id}", sortable_time(created)))
}

/// GSI2 entry: messages by status.
pub fn messages_by_status_partition(status: &str) -> String {
    format!("MSGS#STATUS#{status}")
}
pub fn message_by_status(status: &str, created: OffsetDateTime, id: MessageId) -> IndexKey {
    IndexKey::new(
        messages_by_status_partition(status),
        format!("{}#{id}", sortable_time(created)),
    )
}

/// GSI3 entry: messages by recipient.
pub fn messages_by_recipient_partition(recipient: &str) -> String {
    format!("MSGS#TO#{recipient}")
}
pub fn message_by_recipient(recipient: &str, created: OffsetDateTime, id: MessageId) -> IndexKey {
    IndexKey::new(
        messages_by_recipient_partition(recipient),
        format!("{}#{id}", sortable_time(created)),
    )
}

// ---- operations ----------------------------------------------------------------------

/// The item `/health/ready` reads to prove the table answers. It need not exist.
pub fn health_probe() -> Key {
    Key::new("HEALTH", "HEALTH")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sortable_time_is_fixed_width_and_ordered() {
        let a = sortable_time(datetime!(2026-01-02 03:04:05.000007 UTC));
        let b = sortable_time(datetime!(2026-01-02 03:04:05.1 UTC));
        assert_eq!(a, "2026-01-02T03:04:05.000007Z");
        assert_eq!(b, "2026-01-02T03:04:05.100000Z");
        assert!(a < b);
    }
}
