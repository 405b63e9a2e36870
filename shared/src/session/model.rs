//! The session as stored and as the APIs show it (Kratos's `session` schema).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::aal::Aal;
use super::token::{SessionToken, TokenDigest};
use crate::identity::timestamp;
use crate::identity::{CredentialsType, Identity, IdentityView};
use crate::ids::{IdentityId, SessionId};

/// The most devices one session remembers; the oldest are dropped first. Keeps the item
/// far below DynamoDB's 400 KB however often a session re-authenticates.
pub const MAX_DEVICES: usize = 32;
/// The most authentication methods one session remembers, oldest dropped first.
pub const MAX_AUTHENTICATION_METHODS: usize = 64;
/// Longest stored user agent and location, in bytes (Kratos cuts both at 512).
pub const MAX_DEVICE_TEXT_BYTES: usize = 512;

/// One completed authentication of a session (`sessionAuthenticationMethod`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationMethod {
    pub method: CredentialsType,
    pub aal: Aal,
    #[serde(with = "timestamp")]
    pub completed_at: OffsetDateTime,
    /// The OIDC or SAML provider, for those methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
}

impl AuthenticationMethod {
    /// `method` completed at `now`, granting `aal`.
    pub fn new(method: CredentialsType, aal: Aal, now: OffsetDateTime) -> Self {
        Self {
            method,
            aal,
            completed_at: timestamp::truncate(now),
            provider: None,
            organization: None,
        }
    }

    /// A first factor (password, code, passwordless webauthn, passkey, oidc): `aal1`.
    pub fn first_factor(method: CredentialsType, now: OffsetDateTime) -> Self {
        Self::new(method, Aal::Aal1, now)
    }
}

/// Where a request came from, as the HTTP edge read it (`http::session::client_device`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// Kratos fills this from Cloudflare's `Cf-Ipcity`/`Cf-Ipcountry`; empty otherwise.
    pub location: Option<String>,
}

/// A device a session was used from (`sessionDevice`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Device {
    pub fn new(info: DeviceInfo) -> Self {
        Self {
            id: Uuid::new_v4(),
            ip_address: info.ip_address.map(|ip| cut(ip, MAX_DEVICE_TEXT_BYTES)),
            user_agent: info.user_agent.map(|ua| cut(ua, MAX_DEVICE_TEXT_BYTES)),
            location: info.location.map(|l| cut(l, MAX_DEVICE_TEXT_BYTES)),
        }
    }

    fn same_client(&self, other: &Device) -> bool {
        self.ip_address == other.ip_address
            && self.user_agent == other.user_agent
            && self.location == other.location
    }
}

/// `text` cut to at most `max` bytes on a character boundary.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// A session as stored. The API form is [`SessionView`] (see [`Session::view`]).
///
/// `active` here is only "not revoked": whether the session counts as active also depends
/// on its expiry and on its identity's state ([`Session::is_active`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: SessionId,
    pub identity_id: IdentityId,
    pub active: bool,
    #[serde(with = "timestamp")]
    pub expires_at: OffsetDateTime,
    /// When the last factor was completed.
    #[serde(with = "timestamp")]
    pub authenticated_at: OffsetDateTime,
    /// When the session (or its current token) was issued.
    #[serde(with = "timestamp")]
    pub issued_at: OffsetDateTime,
    pub aal: Aal,
    pub authentication_methods: Vec<AuthenticationMethod>,
    pub devices: Vec<Device>,
    /// Fixes the session's place in the listings; never changes.
    #[serde(with = "timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    pub updated_at: OffsetDateTime,
    /// The digest of the current token.
    pub(crate) token_digest: TokenDigest,
    /// 0 until stored; then the stored item's version.
    #[serde(skip)]
    pub(crate) version: u64,
}

impl Session {
    /// A new, active session of `identity_id` after `method` completed at `now`, lasting
    /// `lifespan`, and its token. Not stored yet.
    pub fn new(
        identity_id: IdentityId,
        method: AuthenticationMethod,
        device: DeviceInfo,
        lifespan: std::time::Duration,
        now: OffsetDateTime,
    ) -> (Self, SessionToken) {
        let now = timestamp::truncate(now);
        let id = SessionId::new();
        let token = SessionToken::generate(id, identity_id);
        let mut session = Self {
            id,
            identity_id,
            active: true,
            expires_at: timestamp::truncate(now + lifespan),
            authenticated_at: now,
            issued_at: now,
            aal: Aal::Aal0,
            authentication_methods: Vec::new(),
            devices: Vec::new(),
            created_at: now,
            updated_at: now,
            token_digest: token.digest(),
            version: 0,
        };
        session.add_method(method);
        session.add_device(device);
        (session, token)
    }

    /// The stored item's version; 0 for a session never stored.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether `token` is this session's current token (constant-time).
    pub fn token_matches(&self, token: &SessionToken) -> bool {
        token.session_id() == self.id
            && token.identity_id() == self.identity_id
            && self.token_digest.matches(token)
    }

    /// Replaces the token (on every new authentication of this session); the old one stops
    /// working once the session is written back.
    pub fn rotate_token(&mut self) -> SessionToken {
        let token = SessionToken::generate(self.id, self.identity_id);
        self.token_digest = token.digest();
        token
    }

    /// Whether the session has passed its expiry at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at <= now
    }

    /// Kratos's notion of active: not revoked, not expired, and (when the identity is
    /// known) the identity is active.
    pub fn is_active(&self, now: OffsetDateTime, identity: Option<&Identity>) -> bool {
        self.active && !self.is_expired(now) && identity.is_none_or(Identity::is_active)
    }

    /// Records a completed authentication method and recomputes the AAL.
    pub fn add_method(&mut self, method: AuthenticationMethod) {
        self.authentication_methods.push(method);
        let excess = self
            .authentication_methods
            .len()
            .saturating_sub(MAX_AUTHENTICATION_METHODS);
        self.authentication_methods.drain(..excess);
        self.aal = Aal::of_methods(&self.authentication_methods);
    }

    /// Records the device of a new authentication, unless the last one is the same client.
    pub fn add_device(&mut self, info: DeviceInfo) {
        let device = Device::new(info);
        if self.devices.last().is_some_and(|d| d.same_client(&device)) {
            return;
        }
        self.devices.push(device);
        let excess = self.devices.len().saturating_sub(MAX_DEVICES);
        self.devices.drain(..excess);
    }

    /// The API form at `now`. `identity` is the embedded identity, shown only when given
    /// (build it with `ViewOptions::public()`: sessions never show credentials or admin
    /// metadata); `devices` false shows an empty list, as Kratos does when devices are not
    /// expanded. `identity_state` decides `active` when the identity was read, whether or
    /// not it is shown.
    pub fn view(
        &self,
        now: OffsetDateTime,
        identity: Option<IdentityView>,
        identity_active: Option<bool>,
        devices: bool,
    ) -> SessionView {
        SessionView {
            id: self.id,
            active: self.active && !self.is_expired(now) && identity_active.unwrap_or(true),
            expires_at: self.expires_at,
            authenticated_at: self.authenticated_at,
            authenticator_assurance_level: self.aal,
            authentication_methods: self.authentication_methods.clone(),
            issued_at: self.issued_at,
            identity,
            devices: if devices {
                self.devices.clone()
            } else {
                Vec::new()
            },
            tokenized: None,
        }
    }
}

/// A session as the APIs show it (Kratos's `session` schema, in Kratos's key order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: SessionId,
    pub active: bool,
    #[serde(with = "timestamp")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    pub authenticated_at: OffsetDateTime,
    pub authenticator_assurance_level: Aal,
    pub authentication_methods: Vec<AuthenticationMethod>,
    #[serde(with = "timestamp")]
    pub issued_at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityView>,
    #[serde(default)]
    pub devices: Vec<Device>,
    /// The session as a signed token, when `tokenize_as` asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenized: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn now() -> OffsetDateTime {
        datetime!(2026-01-01 00:00:00 UTC)
    }

    fn password(at: OffsetDateTime) -> AuthenticationMethod {
        AuthenticationMethod::first_factor(CredentialsType::Password, at)
    }

    #[test]
    fn a_new_session_is_active_aal1_and_expires_after_its_lifespan() {
        let (session, token) = Session::new(
            IdentityId::new(),
            password(now()),
            DeviceInfo::default(),
            std::time::Duration::from_secs(3600),
            now(),
        );
        assert!(session.is_active(now(), None));
        assert_eq!(session.aal, Aal::Aal1);
        assert_eq!(session.expires_at, now() + time::Duration::hours(1));
        assert!(session.token_matches(&token));
        assert!(!session.is_active(now() + time::Duration::hours(1), None));
    }

    #[test]
    fn rotating_the_token_invalidates_the_old_one() {
        let (mut session, old) = Session::new(
            IdentityId::new(),
            password(now()),
            DeviceInfo::default(),
            std::time::Duration::from_secs(60),
            now(),
        );
        let new = session.rotate_token();
        assert!(session.token_matches(&new));
        assert!(!session.token_matches(&old));
    }

    #[test]
    fn devices_are_capped_and_a_repeated_client_is_not_added_twice() {
        let info = |n: usize| DeviceInfo {
            ip_address: Some(format!("10.0.0.{n}")),
            user_agent: Some("x".repeat(2000)),
            location: None,
        };
        let (mut session, _) = Session::new(
            IdentityId::new(),
            password(now()),
            info(0),
            std::time::Duration::from_secs(60),
            now(),
        );
        session.add_device(info(0));
        assert_eq!(session.devices.len(), 1);
        assert_eq!(
            session.devices[0].user_agent.as_ref().unwrap().len(),
            MAX_DEVICE_TEXT_BYTES
        );
        for n in 1..100 {
            session.add_device(info(n));
        }
        assert_eq!(session.devices.len(), MAX_DEVICES);
        assert_eq!(
            session.devices.last().unwrap().ip_address.as_deref(),
            Some("10.0.0.99")
        );
    }

    #[test]
    fn the_view_hides_devices_unless_asked_and_reflects_the_identity_state() {
        let (session, _) = Session::new(
            IdentityId::new(),
            password(now()),
            DeviceInfo {
                ip_address: Some("1.2.3.4".into()),
                ..Default::default()
            },
            std::time::Duration::from_secs(60),
            now(),
        );
        let view = session.view(now(), None, None, false);
        assert!(view.devices.is_empty());
        assert!(view.active);
        let json = serde_json::to_value(&view).unwrap();
        assert!(json.get("identity").is_none());
        assert!(json.get("tokenized").is_none());
        assert_eq!(json["authenticator_assurance_level"], "aal1");
        assert_eq!(json["authentication_methods"][0]["method"], "password");
        let with_devices = session.view(now(), None, Some(false), true);
        assert_eq!(with_devices.devices.len(), 1);
        assert!(
            !with_devices.active,
            "an inactive identity makes the session inactive"
        );
    }
}
