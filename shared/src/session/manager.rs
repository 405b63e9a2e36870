//! What the flows and the session endpoints call: issuing a session after an
//! authentication, adding a factor or re-authenticating, reading the session a token
//! belongs to, checking the assurance level, and logout tokens. Knows nothing of HTTP;
//! `http/session.rs` reads tokens from requests and writes cookies.

use std::time::Duration;

use tracing::instrument;

use super::aal::{Aal, AalPolicy, RequiredAal};
use super::error::SessionError;
use super::model::{AuthenticationMethod, DeviceInfo, Session};
use super::store::{Extension, SessionStore};
use super::token::{LogoutToken, LogoutTokens, SessionToken};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::identity::Identity;
use crate::store::SharedTable;

/// The session settings of `kratos.yml`, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSettings {
    /// `session.lifespan`.
    pub lifespan: Duration,
    /// `session.earliest_possible_extend`; `None`: always extendable.
    pub earliest_possible_extend: Option<Duration>,
    /// `session.whoami.required_aal`.
    pub whoami_required_aal: RequiredAal,
    /// Which credentials count as factors.
    pub aal_policy: AalPolicy,
}

impl SessionSettings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            lifespan: config.session.lifespan.as_duration(),
            earliest_possible_extend: config
                .session
                .earliest_possible_extend
                .as_ref()
                .map(|d| d.as_duration()),
            whoami_required_aal: RequiredAal::from_config(&config.session.whoami.required_aal),
            aal_policy: AalPolicy::from_config(config),
        }
    }
}

/// A session just issued or re-authenticated, with what its owner must receive.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub session: Session,
    /// The new token: the `session_token` of API flows, the cookie value of browser flows.
    pub token: SessionToken,
    /// The session's logout token (the same for the session's whole life).
    pub logout_token: LogoutToken,
}

/// Sessions: the use cases over [`SessionStore`]. Built once per process (`App::sessions`).
#[derive(Debug, Clone)]
pub struct SessionManager {
    store: SessionStore,
    settings: SessionSettings,
    logout_tokens: LogoutTokens,
    clock: SharedClock,
}

impl SessionManager {
    pub fn new(
        table: SharedTable,
        clock: SharedClock,
        settings: SessionSettings,
        logout_tokens: LogoutTokens,
    ) -> Self {
        Self {
            store: SessionStore::new(table, clock.clone()),
            settings,
            logout_tokens,
            clock,
        }
    }

    /// The repository, for listings and admin operations.
    pub fn store(&self) -> &SessionStore {
        &self.store
    }

    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// Issues a new session for `identity` after `method` succeeded (login, registration's
    /// `session` hook, recovery), from the client `device`. Always a new session with a
    /// new token.
    ///
    /// Requests: 1 `PutItem`. Fails with `IdentityDisabled` or `Store`.
    #[instrument(skip_all, fields(identity.id = %identity.id, method = %method.method))]
    pub async fn issue(
        &self,
        identity: &Identity,
        method: AuthenticationMethod,
        device: DeviceInfo,
    ) -> Result<IssuedSession, SessionError> {
        let mut issued = self.prepare(identity, method, device)?;
        self.store.create(&mut issued.session).await?;
        Ok(issued)
    }

    /// Records another completed authentication on an existing session: a refresh login
    /// (`refresh=true`) or a second factor (`aal=aal2`). The session is re-issued as Kratos
    /// re-activates it (`authenticated_at`, `issued_at` now, expiry now + lifespan, the
    /// device added, the AAL recomputed) and gets a **new token**, so a token captured
    /// before the new authentication stops working. `session` must come from this store
    /// (e.g. [`SessionManager::authenticate`]); it is updated in place.
    ///
    /// Requests: 1 conditional `PutItem` (+1 `GetItem` when it fails).
    /// Fails with `IdentityDisabled`, `NotFound` (revoked sessions count as gone),
    /// `Stale` (changed since read) or `Store`.
    #[instrument(skip_all, fields(session.id = %session.id, method = %method.method))]
    pub async fn reauthenticate(
        &self,
        session: &mut Session,
        identity: &Identity,
        method: AuthenticationMethod,
        device: DeviceInfo,
    ) -> Result<IssuedSession, SessionError> {
        if identity.id != session.identity_id {
            return Err(SessionError::inactive());
        }
        if !identity.is_active() {
            return Err(SessionError::IdentityDisabled(identity.id));
        }
        let now = crate::identity::timestamp::truncate(self.clock.now());
        if !session.active || session.is_expired(now) {
            return Err(SessionError::NotFound(session.id));
        }
        let mut updated = session.clone();
        updated.add_method(method);
        updated.add_device(device);
        updated.authenticated_at = now;
        updated.issued_at = now;
        updated.expires_at = crate::identity::timestamp::truncate(now + self.settings.lifespan);
        let token = updated.rotate_token();
        self.store.update(&mut updated).await?;
        *session = updated;
        Ok(IssuedSession {
            session: session.clone(),
            token,
            logout_token: self.logout_token(session),
        })
    }

    /// The active session a token belongs to, with its identity.
    /// Requests: exactly 1 `BatchGetItem`; no write. See [`SessionStore::authenticate`].
    pub async fn authenticate(
        &self,
        token: &SessionToken,
    ) -> Result<(Session, Identity), SessionError> {
        self.store.authenticate(token).await
    }

    /// The highest level `identity`'s current credentials allow (never a stored value).
    pub fn available_aal(&self, identity: &Identity) -> Aal {
        self.settings.aal_policy.available_aal(identity)
    }

    /// Whether `session` meets `required` for `identity`: `aal1` is met by any session
    /// with a completed method; `highest_available` also needs `aal2` when the identity's
    /// live credentials offer a second factor. Fails with `AalNotSatisfied`.
    pub fn check_aal(
        &self,
        session: &Session,
        identity: &Identity,
        required: RequiredAal,
    ) -> Result<(), SessionError> {
        let actual = Aal::of_methods(&session.authentication_methods);
        if actual >= Aal::Aal2 {
            return Ok(());
        }
        let needed = match required {
            RequiredAal::Aal1 => Aal::Aal1,
            RequiredAal::HighestAvailable => self.available_aal(identity).max(Aal::Aal1),
        };
        if actual >= needed {
            Ok(())
        } else {
            Err(SessionError::AalNotSatisfied {
                actual,
                required: needed,
            })
        }
    }

    /// The session's logout token (no store request).
    pub fn logout_token(&self, session: &Session) -> LogoutToken {
        self.logout_tokens.derive(session.id, session.identity_id)
    }

    /// The session a logout token was issued for, active or not (the caller decides what
    /// a revoked one means). Requests: 1 `GetItem`; none for a token that does not verify.
    /// Fails with `NoActiveSession` when the token is not ours or its session is gone.
    pub async fn session_for_logout_token(
        &self,
        token: &LogoutToken,
    ) -> Result<Session, SessionError> {
        if !self.logout_tokens.verify(token) {
            return Err(SessionError::inactive());
        }
        match self.store.get(token.session_id()).await {
            Ok(session) if session.identity_id == token.identity_id() => Ok(session),
            Ok(_) | Err(SessionError::NotFound(_)) => Err(SessionError::inactive()),
            Err(e) => Err(e),
        }
    }

    /// Extends a session by the configured lifespan, honouring
    /// `earliest_possible_extend`. See [`SessionStore::extend`].
    pub async fn extend(&self, id: crate::ids::SessionId) -> Result<Extension, SessionError> {
        self.store
            .extend(
                id,
                self.settings.lifespan,
                self.settings.earliest_possible_extend,
            )
            .await
    }
}

/// Issuing a session as part of a larger atomic write.
impl SessionManager {
    /// A new session for `identity` after `method` succeeded, not stored yet: store it with
    /// [`SessionStore::create_op`] in the same write as whatever must happen with it, then
    /// call [`SessionStore::created`]. Fails with `IdentityDisabled`.
    pub fn prepare(
        &self,
        identity: &Identity,
        method: AuthenticationMethod,
        device: DeviceInfo,
    ) -> Result<IssuedSession, SessionError> {
        if !identity.is_active() {
            return Err(SessionError::IdentityDisabled(identity.id));
        }
        let (session, token) = Session::new(
            identity.id,
            method,
            device,
            self.settings.lifespan,
            self.clock.now(),
        );
        let logout_token = self.logout_token(&session);
        Ok(IssuedSession {
            session,
            token,
            logout_token,
        })
    }
}
