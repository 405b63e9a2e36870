//! How session operations fail. `http/session.rs` maps each case to Kratos's error body.

use super::aal::Aal;
use crate::ids::{IdentityId, SessionId};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The request presents no usable session: no token at all (`credentials_missing`), or
    /// one that is malformed, forged, of another session, revoked or expired, or whose
    /// identity is disabled. Kratos answers all of these alike, so nothing tells them apart.
    #[error("no active session")]
    NoActiveSession { credentials_missing: bool },
    /// An active session, but below the level the endpoint requires.
    #[error("the session is {actual} but {required} is required")]
    AalNotSatisfied { actual: Aal, required: Aal },
    /// A session may not be issued for a disabled identity.
    #[error("identity {0} is disabled")]
    IdentityDisabled(IdentityId),
    #[error("session {0} does not exist")]
    NotFound(SessionId),
    /// Deleting an identity's sessions found none (Kratos answers 404).
    #[error("identity {0} has no sessions")]
    NoSessions(IdentityId),
    /// `DELETE /sessions/{id}` named the caller's own session; the logout flow ends that.
    #[error("the current session cannot be revoked here")]
    CurrentSession,
    /// Someone else changed the session between our read and our write, on every attempt.
    #[error("session {0} was changed concurrently")]
    Stale(SessionId),
    /// A page cursor from another listing.
    #[error("the page cursor does not belong to this listing")]
    InvalidCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SessionError {
    /// No usable session, with a token (or cookie) present.
    pub fn inactive() -> Self {
        SessionError::NoActiveSession {
            credentials_missing: false,
        }
    }

    /// No token or cookie at all.
    pub fn missing() -> Self {
        SessionError::NoActiveSession {
            credentials_missing: true,
        }
    }
}
