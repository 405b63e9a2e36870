//! Identity management as Kratos's admin API performs it: create (alone or in batches)
//! from import bodies, replace, JSON Patch, and removal of one credential. Each operation
//! reads, changes, re-validates against the identity schema and writes through
//! [`IdentityStore`], whose atomic writes keep identifiers unique.
//!
//! Changes to a stored identity are optimistic: if another writer changed it between the
//! read and the write, the operation reads it again and re-applies the same change (up to
//! [`UPDATE_ATTEMPTS`] times), so concurrent changes are never lost.

use std::collections::HashSet;

use futures::StreamExt;
use serde_json::Value;
use time::OffsetDateTime;
use tracing::instrument;

use super::error::IdentityError;
use super::import::{
    BodyError, CreateIdentityBody, PasswordPlan, UpdateIdentityBody, imported_addresses, metadata,
    migration_hook_config, oidc_links, parse_state, parse_status, password_config, traits_or_empty,
};
use super::model::{
    AddressVia, Claim, CredentialsType, Identity, IdentityState, RecoveryAddress,
    VerifiableAddress, VerificationStatus, oidc_identifier,
};
use super::patch::{IdentityPatch, PatchError, PatchedIdentity};
use super::store::IdentityStore;
use super::timestamp;
use super::view::ViewOptions;
use crate::clock::SharedClock;
use crate::hash::{HashError, PasswordHasher};
use crate::ids::{AddressId, IdentityId};
use crate::schema::SchemaRegistry;

/// The most patches one batch request may hold (Kratos v1.3's `BatchPatchIdentitiesLimit`).
pub const BATCH_LIMIT: usize = 2000;
/// The most clear-text passwords one batch may ask to hash. Kratos v1.3 has no such limit
/// (later versions refuse more than 200): hashing is the slow part of an import, and a
/// batch must finish within the function's timeout or its outcome is lost.
pub const BATCH_PLAINTEXT_PASSWORD_LIMIT: usize = 200;
/// How often a change is tried when the identity keeps changing under it.
pub const UPDATE_ATTEMPTS: u32 = 3;
/// How many identities of a batch are written at a time.
const BATCH_WRITE_CONCURRENCY: usize = 16;

/// Why creating or replacing an identity failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The body asks for something no identity can have.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// Validation, uniqueness, storage: see [`IdentityError`].
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<HashError> for ImportError {
    fn from(error: HashError) -> Self {
        ImportError::Body(BodyError::Hash(error))
    }
}

/// Why a batch was refused as a whole (individual failures are per item).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("The maximum number of identities that can be created or deleted at once is {limit}.")]
    TooManyPatches { limit: usize },
    #[error(
        "The maximum number of identities per request that can be created with a plaintext password is {limit}."
    )]
    TooManyPlaintextPasswords { limit: usize },
}

/// Why a JSON Patch of an identity failed.
#[derive(Debug, thiserror::Error)]
pub enum PatchIdentityError {
    /// The patch is malformed, refused, or does not apply.
    #[error(transparent)]
    Patch(#[from] PatchError),
    /// The patched state is neither `active` nor `inactive`.
    #[error("The supplied state ('{0}') was not valid. Valid states are ('active', 'inactive').")]
    InvalidState(String),
    /// The patched addresses are not valid addresses.
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// Why removing a credential failed. Messages follow Kratos's.
#[derive(Debug, thiserror::Error)]
pub enum RemoveCredentialsError {
    /// The identity has no credential of this type (or the type does not exist).
    #[error("You tried to remove a {0} but this user have no {0} set up.")]
    NotSetUp(String),
    /// Password and code credentials are first factors and cannot be removed this way.
    #[error("You cannot remove first factor credentials.")]
    FirstFactor,
    /// A type this operation does not remove (passkey, profile, ...).
    #[error("Unknown credentials type {0}.")]
    Unsupported(String),
    /// Removing an OIDC link needs the link's identifier (`provider:subject`).
    #[error("You must provide an identifier to delete this credential.")]
    IdentifierRequired,
    /// No OIDC link has this identifier.
    #[error("The identifier `{0}` was not found among OIDC credentials.")]
    IdentifierNotFound(String),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// What one `create` of a batch became. `None` for a patch without `create`.
pub type BatchOutcome = Option<Result<Identity, ImportError>>;

/// Identity management over one store, schema registry and hasher. Cheap to build per
/// request (`App::identity_manager`).
#[derive(Debug, Clone)]
pub struct IdentityManager<'a> {
    store: IdentityStore,
    schemas: &'a SchemaRegistry,
    hasher: &'a PasswordHasher,
    clock: SharedClock,
}

impl<'a> IdentityManager<'a> {
    pub fn new(
        store: IdentityStore,
        schemas: &'a SchemaRegistry,
        hasher: &'a PasswordHasher,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            schemas,
            hasher,
            clock,
        }
    }

    /// Creates an identity from an import body: state, metadata, imported addresses (which
    /// keep their verification state if the traits hold them), a password (clear text,
    /// hashed here; a hash in any supported format; or the migration hook) and OIDC links.
    ///
    /// Cheap checks run first (state, hash format, traits), so a bad body never costs a
    /// password hashing. Requests: see [`IdentityStore::create`].
    ///
    /// Fails with `Body` (bad state, address status, OIDC link, hash; a clear-text password
    /// too long to hash) or `Identity` (`UnknownSchema`, `Validation`, `Conflict`,
    /// `TooLarge`, `Invalid`, `Store`).
    #[instrument(skip_all)]
    pub async fn create(&self, body: CreateIdentityBody) -> Result<Identity, ImportError> {
        let mut identity = self.prepare(body).await?;
        self.store.create(&mut identity).await?;
        Ok(identity)
    }

    /// Checks a create body and builds the identity it describes, hashing its clear-text
    /// password, without storing anything.
    async fn prepare(&self, body: CreateIdentityBody) -> Result<Identity, ImportError> {
        let now = self.now();
        let state = parse_state(body.state.as_deref())?;
        let credentials = body.credentials.unwrap_or_default();
        let password = credentials
            .password
            .as_ref()
            .map(PasswordPlan::of)
            .transpose()?;
        let links = credentials
            .oidc
            .as_ref()
            .map(oidc_links)
            .transpose()?
            .unwrap_or_default();
        let (verifiable, recovery) = imported_addresses(
            body.verifiable_addresses.unwrap_or_default(),
            body.recovery_addresses.unwrap_or_default(),
        )?;
        let mut identity = Identity::new(
            body.schema_id.unwrap_or_default(),
            traits_or_empty(body.traits),
            now,
        );
        if let Some(state) = state {
            identity.set_state(state, now);
        }
        identity.metadata_public = metadata(body.metadata_public);
        identity.metadata_admin = metadata(body.metadata_admin);
        identity.import_addresses(verifiable, recovery, now);
        identity.validate(self.schemas, now)?;
        identity.link_oidc(&links, now);
        if let Some(plan) = password {
            let config = self.password_config(plan).await?;
            identity.upsert_credentials(CredentialsType::Password, config, now);
        }
        Ok(identity)
    }

    /// Creates many identities, each on its own: one failure never affects the others.
    /// Results are in the order of `bodies`; a `None` body (a patch without `create`) gives
    /// `None`.
    ///
    /// Identities are prepared (clear-text passwords hashed) a few at a time on the
    /// blocking pool, then written up to 16 at a time, one atomic write each. An identity
    /// that claims an identifier or address an earlier identity of the same batch claims
    /// fails with `Conflict`, as the earlier one is written first in Kratos too.
    ///
    /// Requests: one `TransactWriteItems` (or `PutItem`) per valid identity, plus one
    /// `GetItem` per identity that conflicts with a stored one.
    ///
    /// Fails as a whole only when the batch is over [`BATCH_LIMIT`] or holds more than
    /// [`BATCH_PLAINTEXT_PASSWORD_LIMIT`] clear-text passwords; nothing is written then.
    #[instrument(skip_all, fields(count = bodies.len()))]
    pub async fn create_many(
        &self,
        bodies: Vec<Option<CreateIdentityBody>>,
    ) -> Result<Vec<BatchOutcome>, BatchError> {
        if bodies.len() > BATCH_LIMIT {
            return Err(BatchError::TooManyPatches { limit: BATCH_LIMIT });
        }
        let plaintext = bodies
            .iter()
            .flatten()
            .filter(|body| has_plaintext_password(body))
            .count();
        if plaintext > BATCH_PLAINTEXT_PASSWORD_LIMIT {
            return Err(BatchError::TooManyPlaintextPasswords {
                limit: BATCH_PLAINTEXT_PASSWORD_LIMIT,
            });
        }
        let hashing = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 8);
        let prepared: Vec<Option<Result<Identity, ImportError>>> =
            futures::stream::iter(bodies.into_iter().map(|body| async move {
                match body {
                    Some(body) => Some(self.prepare(body).await),
                    None => None,
                }
            }))
            .buffered(hashing)
            .collect()
            .await;

        // Claims of earlier valid identities of this batch, so later duplicates fail as
        // conflicts without a write.
        let mut claimed: HashSet<Claim> = HashSet::new();
        let mut outcomes: Vec<BatchOutcome> = Vec::with_capacity(prepared.len());
        let mut to_write: Vec<(usize, Identity)> = Vec::new();
        for (index, item) in prepared.into_iter().enumerate() {
            match item {
                Some(Ok(mut identity)) => {
                    identity.normalize(self.now());
                    let claims = identity.claims();
                    if let Some(taken) = claims.iter().find(|c| claimed.contains(*c)) {
                        outcomes.push(Some(Err(ImportError::Identity(IdentityError::Conflict {
                            claim: taken.clone(),
                            holder: None,
                        }))));
                        continue;
                    }
                    claimed.extend(claims);
                    outcomes.push(None);
                    to_write.push((index, identity));
                }
                other => outcomes.push(other),
            }
        }
        let written: Vec<(usize, Result<Identity, ImportError>)> =
            futures::stream::iter(to_write.into_iter().map(|(index, mut identity)| {
                let store = self.store.clone();
                async move {
                    let result = store.create(&mut identity).await.map(|()| identity);
                    (index, result.map_err(ImportError::from))
                }
            }))
            .buffer_unordered(BATCH_WRITE_CONCURRENCY)
            .collect()
            .await;
        for (index, result) in written {
            outcomes[index] = Some(result);
        }
        Ok(outcomes)
    }

    /// Replaces an identity's traits and metadata (and its schema and state when given)
    /// and imports the body's credentials on top of the existing ones: a password replaces
    /// the password, OIDC links are added to the existing links. Identifiers and addresses
    /// are re-derived from the new traits; addresses still held keep their state.
    ///
    /// Requests: 1 `GetItem` + 1 write ([`IdentityStore::update`]); again per retry.
    ///
    /// Fails like [`IdentityManager::create`], plus `NotFound` and `Stale` (changed
    /// concurrently on every attempt).
    #[instrument(skip(self, body))]
    pub async fn replace(
        &self,
        id: IdentityId,
        body: UpdateIdentityBody,
    ) -> Result<Identity, ImportError> {
        // Read first: an unknown identity is 404 whatever the body, as in Kratos, and no
        // password is hashed for it.
        let mut identity = self.store.get(id).await?;
        let state = parse_state(body.state.as_deref())?;
        let credentials = body.credentials.clone().unwrap_or_default();
        let password = credentials
            .password
            .as_ref()
            .map(PasswordPlan::of)
            .transpose()?;
        let links = credentials
            .oidc
            .as_ref()
            .map(oidc_links)
            .transpose()?
            .unwrap_or_default();
        let password = match password {
            Some(plan) => Some(self.password_config(plan).await?),
            None => None,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.now();
            if let Some(schema_id) = body.schema_id.as_deref().filter(|s| !s.is_empty()) {
                identity.schema_id = schema_id.to_owned();
            }
            if let Some(state) = state {
                identity.set_state(state, now);
            }
            identity.traits = traits_or_empty(body.traits.clone());
            identity.metadata_public = metadata(body.metadata_public.clone());
            identity.metadata_admin = metadata(body.metadata_admin.clone());
            if let Some(config) = &password {
                // A fresh credential: its identifiers come from the traits below.
                identity.remove_credentials(CredentialsType::Password);
                identity.upsert_credentials(CredentialsType::Password, config.clone(), now);
            }
            identity.link_oidc(&links, now);
            identity.validate(self.schemas, now)?;
            match self.store.update(&mut identity).await {
                Err(IdentityError::Stale(_)) if attempt < UPDATE_ATTEMPTS => {
                    identity = self.store.get(id).await?;
                }
                result => return result.map(|()| identity).map_err(ImportError::from),
            }
        }
    }

    /// Applies a JSON Patch (see [`super::patch`]) to an identity's admin view and stores
    /// the result, re-validated. A changed state stamps `state_changed_at`; a changed
    /// address stamps its `updated_at`.
    ///
    /// The identity is read before the patch is parsed, so an unknown identity is 404
    /// whatever the body, as in Kratos. Requests: 1 `GetItem` + 1 write; again per retry.
    ///
    /// Fails with `Patch`, `InvalidState`, `Body` (an address with an unknown status) or
    /// `Identity` (`NotFound`, `UnknownSchema`, `Validation`, `Conflict`, `Stale`, ...).
    #[instrument(skip(self, body, schema_url))]
    pub async fn patch(
        &self,
        id: IdentityId,
        body: &[u8],
        schema_url: impl Fn(&str) -> String,
    ) -> Result<Identity, PatchIdentityError> {
        let mut identity = self.store.get(id).await?;
        let patch = IdentityPatch::parse(body)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.now();
            let mut document = serde_json::to_value(
                identity.view(schema_url(&identity.schema_id), &ViewOptions::admin()),
            )
            .map_err(|e| PatchError::Failed(e.to_string()))?;
            patch.apply(&mut document)?;
            let patched = PatchedIdentity::from_document(document)?;
            let mut changed = identity.clone();
            apply_patched(&mut changed, patched, now)?;
            changed.validate(self.schemas, now)?;
            stamp_changed_addresses(&identity, &mut changed, now);
            match self.store.update(&mut changed).await {
                Err(IdentityError::Stale(_)) if attempt < UPDATE_ATTEMPTS => {
                    identity = self.store.get(id).await?;
                }
                result => return result.map(|()| changed).map_err(PatchIdentityError::from),
            }
        }
    }

    /// Removes one credential of an identity, as Kratos allows:
    /// `lookup_secret` and `totp` entirely; `webauthn` keeps only passwordless keys (and
    /// goes when none is left); `oidc` loses the one link named by `identifier`
    /// (`provider:subject`). `password` and `code` are refused as first factors; other
    /// types as unknown. The identity is re-validated and stored.
    ///
    /// Requests: 1 `GetItem` + 1 write; again per retry.
    #[instrument(skip(self, identifier))]
    pub async fn remove_credentials(
        &self,
        id: IdentityId,
        type_name: &str,
        identifier: Option<&str>,
    ) -> Result<(), RemoveCredentialsError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.now();
            let mut identity = self.store.get(id).await?;
            let held = CredentialsType::from_name(type_name)
                .filter(|t| identity.credentials(*t).is_some())
                .ok_or_else(|| RemoveCredentialsError::NotSetUp(type_name.to_owned()))?;
            match held {
                CredentialsType::LookupSecret | CredentialsType::Totp => {
                    identity.remove_credentials(held);
                }
                CredentialsType::Webauthn => remove_mfa_webauthn(&mut identity, now),
                CredentialsType::Password | CredentialsType::Code => {
                    return Err(RemoveCredentialsError::FirstFactor);
                }
                CredentialsType::Oidc => {
                    let identifier = identifier
                        .filter(|i| !i.is_empty())
                        .ok_or(RemoveCredentialsError::IdentifierRequired)?;
                    unlink_oidc(&mut identity, identifier, now)?;
                }
                other => return Err(RemoveCredentialsError::Unsupported(other.to_string())),
            }
            identity.validate(self.schemas, now)?;
            match self.store.update(&mut identity).await {
                Err(IdentityError::Stale(_)) if attempt < UPDATE_ATTEMPTS => continue,
                result => return result.map_err(RemoveCredentialsError::from),
            }
        }
    }

    async fn password_config(&self, plan: PasswordPlan) -> Result<Value, ImportError> {
        Ok(match plan {
            PasswordPlan::Hashed(hash) => password_config(hash.expose()),
            PasswordPlan::Plain(password) => {
                password_config(&self.hasher.hash_async(password).await?)
            }
            PasswordPlan::MigrationHook => migration_hook_config(),
        })
    }

    fn now(&self) -> OffsetDateTime {
        timestamp::truncate(self.clock.now())
    }
}

fn has_plaintext_password(body: &CreateIdentityBody) -> bool {
    body.credentials
        .as_ref()
        .and_then(|c| c.password.as_ref())
        .and_then(|p| PasswordPlan::of(p).ok())
        .is_some_and(|plan| plan.is_plain())
}

/// Takes the operator-owned fields of a patched document into the identity.
fn apply_patched(
    identity: &mut Identity,
    patched: PatchedIdentity,
    now: OffsetDateTime,
) -> Result<(), PatchIdentityError> {
    identity.schema_id = patched.schema_id.unwrap_or_default();
    if let Some(at) = patched.state_changed_at {
        identity.state_changed_at = Some(at);
    }
    let state = patched.state.unwrap_or_default();
    if state != identity.state.as_str() {
        let state = IdentityState::from_name(&state)
            .ok_or_else(|| PatchIdentityError::InvalidState(state.clone()))?;
        identity.set_state(state, now);
    }
    identity.traits = traits_or_empty(patched.traits);
    identity.metadata_public = metadata(patched.metadata_public);
    identity.metadata_admin = metadata(patched.metadata_admin);
    identity.organization_id = patched.organization_id;
    let mut verifiable = Vec::new();
    for address in patched.verifiable_addresses.unwrap_or_default() {
        let Some(via) = address.via.as_deref().and_then(AddressVia::from_name) else {
            continue;
        };
        let verified = address.verified.unwrap_or(false);
        let status = parse_status(address.status.as_deref())?.unwrap_or(if verified {
            VerificationStatus::Completed
        } else {
            VerificationStatus::Pending
        });
        verifiable.push(VerifiableAddress {
            id: address.id.map(AddressId).unwrap_or_default(),
            value: address.value.unwrap_or_default(),
            verified,
            via,
            status,
            verified_at: address.verified_at,
            created_at: address.created_at.unwrap_or(now),
            updated_at: address.updated_at.unwrap_or(now),
        });
    }
    identity.verifiable_addresses = verifiable;
    identity.recovery_addresses = patched
        .recovery_addresses
        .unwrap_or_default()
        .into_iter()
        .filter_map(|address| {
            let via = address.via.as_deref().and_then(AddressVia::from_name)?;
            Some(RecoveryAddress {
                id: address.id.map(AddressId).unwrap_or_default(),
                value: address.value.unwrap_or_default(),
                via,
                created_at: address.created_at.unwrap_or(now),
                updated_at: address.updated_at.unwrap_or(now),
            })
        })
        .collect();
    Ok(())
}

/// Stamps `updated_at` on every verifiable address whose verification changed.
fn stamp_changed_addresses(before: &Identity, after: &mut Identity, now: OffsetDateTime) {
    for address in &mut after.verifiable_addresses {
        let unchanged = before.verifiable_addresses.iter().any(|old| {
            old.via == address.via
                && old.value == address.value
                && old.verified == address.verified
                && old.status == address.status
                && old.verified_at == address.verified_at
        });
        if !unchanged {
            address.updated_at = now;
        }
    }
}

/// Keeps only passwordless WebAuthn keys; removes the credential when none is left.
fn remove_mfa_webauthn(identity: &mut Identity, now: OffsetDateTime) {
    let Some(credentials) = identity.credentials(CredentialsType::Webauthn) else {
        return;
    };
    let mut config = credentials.config.clone();
    let keys: Vec<Value> = config
        .get("credentials")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter(|key| key.get("is_passwordless").and_then(Value::as_bool) == Some(true))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() {
        identity.remove_credentials(CredentialsType::Webauthn);
        return;
    }
    config["credentials"] = Value::Array(keys);
    identity.upsert_credentials(CredentialsType::Webauthn, config, now);
}

/// Removes the OIDC link `provider:subject`; the credential stays, possibly without links.
fn unlink_oidc(
    identity: &mut Identity,
    identifier: &str,
    now: OffsetDateTime,
) -> Result<(), RemoveCredentialsError> {
    let config = identity
        .credentials(CredentialsType::Oidc)
        .map(|c| c.config.clone())
        .unwrap_or_default();
    let providers: Vec<Value> = config
        .get("providers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let link_of = |p: &Value| {
        oidc_identifier(
            p.get("provider")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            p.get("subject").and_then(Value::as_str).unwrap_or_default(),
        )
    };
    let (removed, kept): (Vec<Value>, Vec<Value>) = providers
        .into_iter()
        .partition(|p| link_of(p) == identifier);
    if removed.is_empty() {
        return Err(RemoveCredentialsError::IdentifierNotFound(
            identifier.to_owned(),
        ));
    }
    let identifiers: Vec<String> = kept.iter().map(link_of).collect();
    let mut config = config;
    config["providers"] = Value::Array(kept);
    let credentials = identity.upsert_credentials(CredentialsType::Oidc, config, now);
    credentials.identifiers = identifiers;
    Ok(())
}
