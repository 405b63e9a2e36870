//! One-time codes and link tokens that prove control of an address (verification,
//! recovery), kept inside the flow they belong to.
//!
//! A flow holds at most one live [`Challenge`], in its internal state (never in the
//! public document): the HMAC of the code or token, its expiry, the identity and address
//! it is for, and whether it was used. Issuing a new one replaces the previous one, so
//! resending invalidates the code sent before. Every code submission counts against the
//! flow ([`Attempts`]); the sixth is refused whatever it holds, as in Kratos. The flow
//! item is updated on its version, so concurrent submissions are counted one by one and
//! a challenge is used at most once.
//!
//! Digests are HMAC-SHA256 under keys derived from the cookie secrets (all configured
//! secrets verify, the first signs), over the flow ID, the kind and the value: a six-digit
//! code cannot be recovered from a table dump by trying all million values, and a digest
//! is worthless in another flow.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::identity::AddressVia;
use crate::ids::{FlowId, IdentityId};
use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Digits in a one-time code.
pub const CODE_LENGTH: usize = 6;
/// Characters in a link token (alphanumeric, about 190 bits).
pub const TOKEN_LENGTH: usize = 32;
/// Code submissions a flow evaluates; the next one is refused.
pub const MAX_SUBMISSIONS: u32 = 5;
/// The longest code or token worth comparing; longer input is simply wrong.
const MAX_INPUT_LEN: usize = 256;

const CHALLENGE_FIELD: &str = "challenge";
const SUBMISSIONS_FIELD: &str = "code_submissions";

/// What kind of secret a challenge holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeKind {
    /// A six-digit code the user types.
    Code,
    /// A token inside a link the user follows.
    Link,
}

impl ChallengeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::Code => "code",
            ChallengeKind::Link => "link",
        }
    }
}

/// Who issued a challenge: a user asking for it (bound to an address), or an
/// administrator (`POST /admin/recovery/*`, bound to the identity only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Issuer {
    SelfService,
    Admin,
}

/// The address a challenge was sent to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeAddress {
    pub via: AddressVia,
    pub value: String,
}

/// The identity a flow's pending challenge belongs to, if it has one. The flow store
/// indexes such a flow under that identity, so deleting the identity removes it.
pub fn bound_identity(internal: &Map<String, Value>) -> Option<IdentityId> {
    internal
        .get(CHALLENGE_FIELD)
        .and_then(|challenge| challenge.get("identity_id"))
        .and_then(Value::as_str)
        .and_then(|id| id.parse().ok())
}

/// A one-time code or token, as stored: never the value itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Challenge {
    pub kind: ChallengeKind,
    pub issuer: Issuer,
    digest: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub identity_id: IdentityId,
    #[serde(default)]
    pub address: Option<ChallengeAddress>,
    #[serde(default)]
    pub used: bool,
}

/// Why a submitted code or token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// No live challenge matches (wrong value, none issued, or issued for another flow).
    #[error("the code or token is not valid")]
    Invalid,
    /// It matches, but was used already.
    #[error("the code or token was used already")]
    AlreadyUsed,
    /// It matches, but expired at this time.
    #[error("the code or token expired")]
    Expired { expired_at: OffsetDateTime },
    /// The flow evaluated [`MAX_SUBMISSIONS`] codes already.
    #[error("too many codes were submitted to this flow")]
    TooManyAttempts,
}

/// The HMAC keys challenges are digested with. Cheap to build per request.
#[derive(Clone)]
pub struct ChallengeKeys {
    keys: Vec<[u8; 32]>,
}

impl std::fmt::Debug for ChallengeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChallengeKeys")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl ChallengeKeys {
    /// One key per secret; `secrets` must not be empty.
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Self {
        assert!(!secrets.is_empty(), "challenges need at least one secret");
        let keys = secrets
            .iter()
            .map(|secret| {
                let mut hasher = Sha256::new();
                hasher.update(b"serverless-kratos/one-time-challenge\0");
                hasher.update(secret.as_ref().as_bytes());
                hasher.finalize().into()
            })
            .collect();
        Self { keys }
    }

    fn mac(key: &[u8; 32], flow: FlowId, kind: ChallengeKind, value: &str) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(flow.to_string().as_bytes());
        mac.update(b"\0");
        mac.update(kind.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn digest(&self, flow: FlowId, kind: ChallengeKind, value: &str) -> String {
        hex::encode(Self::mac(&self.keys[0], flow, kind, value))
    }

    /// Whether `value` is the secret behind `digest` under any configured key, compared in
    /// constant time.
    fn matches(&self, flow: FlowId, kind: ChallengeKind, value: &str, digest: &str) -> bool {
        let Ok(stored) = hex::decode(digest) else {
            return false;
        };
        let found = self
            .keys
            .iter()
            .fold(subtle::Choice::from(0), |found, key| {
                found | Self::mac(key, flow, kind, value)[..].ct_eq(&stored[..])
            });
        found.into()
    }
}

/// A freshly issued challenge and the value to send (never stored).
#[derive(Debug, Clone)]
pub struct Issued {
    pub challenge: Challenge,
    pub value: Secret,
}

/// What a new challenge is for.
#[derive(Debug, Clone)]
pub struct ChallengeRequest {
    pub kind: ChallengeKind,
    pub issuer: Issuer,
    pub identity_id: IdentityId,
    pub address: Option<ChallengeAddress>,
    pub expires_at: OffsetDateTime,
}

impl ChallengeKeys {
    /// A new random code (six digits) or token (32 alphanumerics) for `flow`.
    pub fn issue(&self, flow: FlowId, request: ChallengeRequest) -> Issued {
        let value = match request.kind {
            ChallengeKind::Code => crate::crypto::random_digits(CODE_LENGTH),
            ChallengeKind::Link => crate::crypto::random_alphanumeric(TOKEN_LENGTH),
        };
        let challenge = Challenge {
            kind: request.kind,
            issuer: request.issuer,
            digest: self.digest(flow, request.kind, &value),
            expires_at: request.expires_at,
            identity_id: request.identity_id,
            address: request.address,
            used: false,
        };
        Issued {
            challenge,
            value: Secret::new(value),
        }
    }
}

/// A flow's challenge state, read from and written back to its internal state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attempts {
    pub challenge: Option<Challenge>,
    /// Code submissions evaluated so far (link tokens are not counted: they cannot be
    /// guessed).
    pub submissions: u32,
}

impl Attempts {
    /// The state kept in a flow's `internal` map (empty when there is none).
    pub fn load(internal: &Map<String, Value>) -> Self {
        Self {
            challenge: internal
                .get(CHALLENGE_FIELD)
                .cloned()
                .and_then(|v| serde_json::from_value(v).ok()),
            submissions: internal
                .get(SUBMISSIONS_FIELD)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
        }
    }

    /// Writes the state back into `internal`.
    pub fn store(&self, internal: &mut Map<String, Value>) {
        match &self.challenge {
            Some(challenge) => {
                internal.insert(
                    CHALLENGE_FIELD.into(),
                    serde_json::to_value(challenge).unwrap_or(Value::Null),
                );
            }
            None => {
                internal.remove(CHALLENGE_FIELD);
            }
        }
        internal.insert(SUBMISSIONS_FIELD.into(), Value::from(self.submissions));
    }

    /// Replaces any previous challenge (so a code sent before no longer works).
    pub fn replace(&mut self, challenge: Option<Challenge>) {
        self.challenge = challenge;
    }

    /// Checks a submitted code and, if it is accepted, marks the challenge used. Counts
    /// the submission first: the sixth and later are refused unseen. The caller must
    /// store the state (on the flow's version) whatever the result, so that the count
    /// sticks.
    pub fn use_code(
        &mut self,
        keys: &ChallengeKeys,
        flow: FlowId,
        submitted: &str,
        now: OffsetDateTime,
    ) -> Result<Challenge, ChallengeError> {
        self.submissions = self.submissions.saturating_add(1);
        if self.submissions > MAX_SUBMISSIONS {
            return Err(ChallengeError::TooManyAttempts);
        }
        self.consume(keys, flow, ChallengeKind::Code, submitted, now)
    }

    /// Checks a submitted link token and, if it is accepted, marks the challenge used.
    pub fn use_token(
        &mut self,
        keys: &ChallengeKeys,
        flow: FlowId,
        submitted: &str,
        now: OffsetDateTime,
    ) -> Result<Challenge, ChallengeError> {
        self.consume(keys, flow, ChallengeKind::Link, submitted, now)
    }

    fn consume(
        &mut self,
        keys: &ChallengeKeys,
        flow: FlowId,
        kind: ChallengeKind,
        submitted: &str,
        now: OffsetDateTime,
    ) -> Result<Challenge, ChallengeError> {
        let submitted = submitted.trim();
        if submitted.is_empty() || submitted.len() > MAX_INPUT_LEN {
            return Err(ChallengeError::Invalid);
        }
        let Some(challenge) = self.challenge.as_mut() else {
            return Err(ChallengeError::Invalid);
        };
        if challenge.kind != kind || !keys.matches(flow, kind, submitted, &challenge.digest) {
            return Err(ChallengeError::Invalid);
        }
        if challenge.used {
            return Err(ChallengeError::AlreadyUsed);
        }
        if challenge.expires_at < now {
            return Err(ChallengeError::Expired {
                expired_at: challenge.expires_at,
            });
        }
        challenge.used = true;
        Ok(challenge.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ChallengeKeys {
        ChallengeKeys::new(&["secret-one"])
    }

    fn request(kind: ChallengeKind, expires_at: OffsetDateTime) -> ChallengeRequest {
        ChallengeRequest {
            kind,
            issuer: Issuer::SelfService,
            identity_id: IdentityId::new(),
            address: Some(ChallengeAddress {
                via: AddressVia::Email,
                value: "a@example.com".into(),
            }),
            expires_at,
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn codes_are_six_digits_tokens_32_alphanumerics_and_neither_is_stored() {
        let flow = FlowId::new();
        let code = keys().issue(flow, request(ChallengeKind::Code, now()));
        assert_eq!(code.value.expose().len(), CODE_LENGTH);
        assert!(code.value.expose().chars().all(|c| c.is_ascii_digit()));
        let token = keys().issue(flow, request(ChallengeKind::Link, now()));
        assert_eq!(token.value.expose().len(), TOKEN_LENGTH);
        let stored = serde_json::to_string(&token.challenge).unwrap();
        assert!(!stored.contains(token.value.expose()));
        assert!(!format!("{code:?}").contains(code.value.expose()));
    }

    #[test]
    fn a_code_is_accepted_once() {
        let flow = FlowId::new();
        let issued = keys().issue(
            flow,
            request(ChallengeKind::Code, now() + time::Duration::HOUR),
        );
        let mut attempts = Attempts::default();
        attempts.replace(Some(issued.challenge));
        assert!(
            attempts
                .use_code(&keys(), flow, issued.value.expose(), now())
                .is_ok()
        );
        assert_eq!(
            attempts.use_code(&keys(), flow, issued.value.expose(), now()),
            Err(ChallengeError::AlreadyUsed)
        );
    }

    #[test]
    fn the_sixth_submission_is_refused_even_with_the_right_code() {
        let flow = FlowId::new();
        let issued = keys().issue(
            flow,
            request(ChallengeKind::Code, now() + time::Duration::HOUR),
        );
        let mut attempts = Attempts::default();
        attempts.replace(Some(issued.challenge));
        for _ in 0..MAX_SUBMISSIONS {
            assert_eq!(
                attempts.use_code(&keys(), flow, "not-it", now()),
                Err(ChallengeError::Invalid)
            );
        }
        assert_eq!(
            attempts.use_code(&keys(), flow, issued.value.expose(), now()),
            Err(ChallengeError::TooManyAttempts)
        );
    }

    #[test]
    fn an_expired_code_reports_its_expiry() {
        let flow = FlowId::new();
        let at = now() - time::Duration::MINUTE;
        let issued = keys().issue(flow, request(ChallengeKind::Code, at));
        let mut attempts = Attempts::default();
        attempts.replace(Some(issued.challenge));
        assert_eq!(
            attempts.use_code(&keys(), flow, issued.value.expose(), now()),
            Err(ChallengeError::Expired { expired_at: at })
        );
    }

    #[test]
    fn a_digest_is_bound_to_its_flow_kind_and_keys() {
        let flow = FlowId::new();
        let issued = keys().issue(
            flow,
            request(ChallengeKind::Link, now() + time::Duration::HOUR),
        );
        let mut elsewhere = Attempts::default();
        elsewhere.replace(Some(issued.challenge.clone()));
        assert_eq!(
            elsewhere.use_token(&keys(), FlowId::new(), issued.value.expose(), now()),
            Err(ChallengeError::Invalid)
        );
        assert_eq!(
            elsewhere.use_code(&keys(), flow, issued.value.expose(), now()),
            Err(ChallengeError::Invalid)
        );
        let other = ChallengeKeys::new(&["another-secret"]);
        assert_eq!(
            elsewhere.use_token(&other, flow, issued.value.expose(), now()),
            Err(ChallengeError::Invalid)
        );
        let rotated = ChallengeKeys::new(&["another-secret", "secret-one"]);
        assert!(
            elsewhere
                .use_token(&rotated, flow, issued.value.expose(), now())
                .is_ok()
        );
    }

    #[test]
    fn the_state_round_trips_through_the_internal_map() {
        let flow = FlowId::new();
        let issued = keys().issue(flow, request(ChallengeKind::Code, now()));
        let attempts = Attempts {
            challenge: Some(issued.challenge),
            submissions: 3,
        };
        let mut internal = Map::new();
        attempts.store(&mut internal);
        assert_eq!(Attempts::load(&internal), attempts);
        let cleared = Attempts {
            challenge: None,
            submissions: 3,
        };
        cleared.store(&mut internal);
        assert_eq!(Attempts::load(&internal), cleared);
    }
}
