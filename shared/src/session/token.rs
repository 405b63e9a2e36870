//! Session and logout tokens.
//!
//! A session token is `ory_st_` followed by URL-safe base64 (no padding) of 64 bytes:
//! the session ID (16), the identity ID (16) and 32 bytes from the operating system's
//! CSPRNG. The IDs let `whoami` read the session and the identity in one `BatchGetItem`
//! without an index; the random part is what makes the token unguessable. Only the
//! SHA-256 digest of the whole token is stored, and presented tokens are compared with
//! it in constant time.
//!
//! A logout token is `ory_lo_` followed by URL-safe base64 of the session ID (16), the
//! identity ID (16) and an HMAC-SHA256 (32) of both under a key derived from the cookie
//! secrets. It is derived rather than random because Kratos hands the same logout token
//! out for the whole life of a session (`GET /self-service/logout/browser` may be called
//! any number of times) while nothing readable is stored: a table dump alone cannot forge
//! or recover one. Every configured secret verifies, so secrets can be rotated.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::ids::{IdentityId, SessionId};

/// The prefix of every session token.
pub const SESSION_TOKEN_PREFIX: &str = "ory_st_";
/// The prefix of every logout token.
pub const LOGOUT_TOKEN_PREFIX: &str = "ory_lo_";

const ID_LEN: usize = 16;
const SECRET_LEN: usize = 32;
const PAYLOAD_LEN: usize = 2 * ID_LEN + SECRET_LEN;
/// The longest text that can be a token; longer input is refused before decoding.
const MAX_TOKEN_CHARS: usize = 128;

type HmacSha256 = Hmac<Sha256>;

/// The SHA-256 digest of a session token, as stored (lower-case hex).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenDigest(String);

impl TokenDigest {
    fn of(token: &str) -> Self {
        Self(crate::crypto::sha256_hex(token.as_bytes()))
    }

    /// Whether `token` hashes to this digest, in time independent of where they differ.
    pub fn matches(&self, token: &SessionToken) -> bool {
        let presented = Self::of(token.expose());
        crate::crypto::constant_time_eq(self.0.as_bytes(), presented.0.as_bytes())
    }

    /// A digest no token has, compared against when there is nothing stored, so that a
    /// missing session costs the same comparison as a wrong token.
    pub(crate) fn placeholder() -> Self {
        Self("0".repeat(64))
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest(..)")
    }
}

/// The bytes of a token after its prefix.
fn encode(session: SessionId, identity: IdentityId, tail: &[u8; SECRET_LEN]) -> String {
    let mut payload = Vec::with_capacity(PAYLOAD_LEN);
    payload.extend_from_slice(session.as_uuid().as_bytes());
    payload.extend_from_slice(identity.as_uuid().as_bytes());
    payload.extend_from_slice(tail);
    URL_SAFE_NO_PAD.encode(payload)
}

fn decode(text: &str, prefix: &str) -> Option<(SessionId, IdentityId, [u8; SECRET_LEN])> {
    if text.len() > MAX_TOKEN_CHARS {
        return None;
    }
    let payload = URL_SAFE_NO_PAD.decode(text.strip_prefix(prefix)?).ok()?;
    if payload.len() != PAYLOAD_LEN {
        return None;
    }
    let session = Uuid::from_slice(&payload[..ID_LEN]).ok()?;
    let identity = Uuid::from_slice(&payload[ID_LEN..2 * ID_LEN]).ok()?;
    let tail: [u8; SECRET_LEN] = payload[2 * ID_LEN..].try_into().ok()?;
    Some((SessionId(session), IdentityId(identity), tail))
}

/// A session token. `Debug` prints only the session ID; the token itself is reached
/// through [`SessionToken::expose`] where it is sent to its owner.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    text: String,
    session_id: SessionId,
    identity_id: IdentityId,
}

impl SessionToken {
    /// A new token for a session of `identity`, with 256 random bits.
    pub fn generate(session_id: SessionId, identity_id: IdentityId) -> Self {
        let random: [u8; SECRET_LEN] = crate::crypto::random_bytes(SECRET_LEN)
            .try_into()
            .expect("random_bytes returns the requested length");
        Self {
            text: format!(
                "{SESSION_TOKEN_PREFIX}{}",
                encode(session_id, identity_id, &random)
            ),
            session_id,
            identity_id,
        }
    }

    /// Reads a token a client presented. `None` if it cannot be one of ours (wrong prefix,
    /// length or encoding); such input never reaches the store.
    pub fn parse(text: &str) -> Option<Self> {
        let (session_id, identity_id, _) = decode(text.trim(), SESSION_TOKEN_PREFIX)?;
        Some(Self {
            text: text.trim().to_owned(),
            session_id,
            identity_id,
        })
    }

    /// The session this token claims to belong to (unverified until compared with the
    /// stored digest).
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    /// The identity this token claims to belong to (unverified, like the session ID).
    pub fn identity_id(&self) -> IdentityId {
        self.identity_id
    }

    /// The digest to store.
    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(&self.text)
    }

    /// The token itself, to send to its owner (response body, cookie). Never log it.
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// A logout token: proof that its holder may end one session. `Debug` prints only the
/// session ID.
#[derive(Clone, PartialEq, Eq)]
pub struct LogoutToken {
    text: String,
    session_id: SessionId,
    identity_id: IdentityId,
}

impl LogoutToken {
    /// Reads a token a client presented, without verifying it (see
    /// [`LogoutTokens::verify`]). `None` if it cannot be a logout token.
    pub fn parse(text: &str) -> Option<Self> {
        let (session_id, identity_id, _) = decode(text.trim(), LOGOUT_TOKEN_PREFIX)?;
        Some(Self {
            text: text.trim().to_owned(),
            session_id,
            identity_id,
        })
    }

    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    pub fn identity_id(&self) -> IdentityId {
        self.identity_id
    }

    /// The token itself, to put in a logout URL. Never log it.
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for LogoutToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutToken")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// Derives and verifies logout tokens. Built once per process from the cookie secrets.
#[derive(Clone)]
pub struct LogoutTokens {
    /// One HMAC key per secret; the first derives, all verify.
    keys: Vec<[u8; 32]>,
}

impl fmt::Debug for LogoutTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutTokens")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl LogoutTokens {
    /// `secrets` must not be empty.
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Self {
        assert!(
            !secrets.is_empty(),
            "logout tokens need at least one secret"
        );
        let keys = secrets
            .iter()
            .map(|secret| {
                let mut hasher = Sha256::new();
                hasher.update(b"serverless-kratos/logout-token\0");
                hasher.update(secret.as_ref().as_bytes());
                hasher.finalize().into()
            })
            .collect();
        Self { keys }
    }

    fn tag(key: &[u8; 32], session: SessionId, identity: IdentityId) -> [u8; SECRET_LEN] {
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(session.as_uuid().as_bytes());
        mac.update(identity.as_uuid().as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The logout token of a session: the same every time it is asked for.
    pub fn derive(&self, session_id: SessionId, identity_id: IdentityId) -> LogoutToken {
        let tag = Self::tag(&self.keys[0], session_id, identity_id);
        LogoutToken {
            text: format!(
                "{LOGOUT_TOKEN_PREFIX}{}",
                encode(session_id, identity_id, &tag)
            ),
            session_id,
            identity_id,
        }
    }

    /// Whether `token` was derived by this deployment (under any configured secret).
    pub fn verify(&self, token: &LogoutToken) -> bool {
        let Some((session, identity, tag)) = decode(&token.text, LOGOUT_TOKEN_PREFIX) else {
            return false;
        };
        let valid = self
            .keys
            .iter()
            .fold(subtle::Choice::from(0), |found, key| {
                found | Self::tag(key, session, identity)[..].ct_eq(&tag[..])
            });
        bool::from(valid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_token_carries_its_ids_and_at_least_128_random_bits() {
        let (sid, iid) = (SessionId::new(), IdentityId::new());
        let token = SessionToken::generate(sid, iid);
        assert!(token.expose().starts_with("ory_st_"));
        let parsed = SessionToken::parse(token.expose()).unwrap();
        assert_eq!(parsed.session_id(), sid);
        assert_eq!(parsed.identity_id(), iid);
        let other = SessionToken::generate(sid, iid);
        assert_ne!(token.expose(), other.expose(), "the random part differs");
        assert!(
            token
                .expose()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "cookie- and header-safe"
        );
    }

    #[test]
    fn only_the_digest_matches_and_a_changed_token_does_not() {
        let token = SessionToken::generate(SessionId::new(), IdentityId::new());
        let digest = token.digest();
        assert!(digest.matches(&token));
        let mut text = token.expose().to_owned();
        let last = text.pop().unwrap();
        text.push(if last == 'A' { 'B' } else { 'A' });
        if let Some(tampered) = SessionToken::parse(&text) {
            assert!(!digest.matches(&tampered));
        }
        assert!(!TokenDigest::placeholder().matches(&token));
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        for text in [
            "",
            "ory_st_",
            "ory_st_abc",
            "ory_lo_AAAA",
            "MP2YWEMeM8MxjkGKpH4dqOQ4Q4DlSPaj",
            "ory_st_!!!!",
        ] {
            assert!(SessionToken::parse(text).is_none(), "{text}");
        }
        let long = format!("ory_st_{}", "A".repeat(500));
        assert!(SessionToken::parse(&long).is_none());
        let logout = LogoutTokens::new(&["s"]).derive(SessionId::new(), IdentityId::new());
        assert!(SessionToken::parse(logout.expose()).is_none());
    }

    #[test]
    fn debug_never_prints_a_token() {
        let token = SessionToken::generate(SessionId::new(), IdentityId::new());
        let printed = format!("{token:?} {:?}", token.digest());
        assert!(!printed.contains(token.expose()));
        assert!(!printed.contains(&crate::crypto::sha256_hex(token.expose().as_bytes())));
        let logout = LogoutTokens::new(&["s"]).derive(SessionId::new(), IdentityId::new());
        assert!(!format!("{logout:?}").contains(logout.expose()));
    }

    #[test]
    fn logout_tokens_are_stable_verifiable_and_survive_rotation() {
        let (sid, iid) = (SessionId::new(), IdentityId::new());
        let old = LogoutTokens::new(&["old-secret"]);
        let token = old.derive(sid, iid);
        assert_eq!(token, old.derive(sid, iid));
        assert!(token.expose().starts_with("ory_lo_"));
        let parsed = LogoutToken::parse(token.expose()).unwrap();
        assert_eq!(parsed.session_id(), sid);
        assert!(old.verify(&parsed));
        let rotated = LogoutTokens::new(&["new-secret", "old-secret"]);
        assert!(rotated.verify(&parsed));
        assert!(!LogoutTokens::new(&["other"]).verify(&parsed));
        let forged =
            LogoutToken::parse(&format!("ory_lo_{}", encode(sid, iid, &[7u8; SECRET_LEN])))
                .unwrap();
        assert!(!old.verify(&forged));
    }
}
