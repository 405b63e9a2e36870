//! The identity as stored: one document holding traits, metadata, credentials and
//! addresses. Field names are Kratos's, so the stored body reads like Kratos's JSON; the
//! API form (with `schema_url`, and with secrets and admin fields filtered) is
//! [`super::view::IdentityView`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::normalize;
use super::timestamp;
use crate::ids::{AddressId, IdentityId};

/// Whether an identity may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IdentityState {
    #[default]
    Active,
    Inactive,
}

impl IdentityState {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityState::Active => "active",
            IdentityState::Inactive => "inactive",
        }
    }

    /// Parses Kratos's state names (`active`, `inactive`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "active" => Some(IdentityState::Active),
            "inactive" => Some(IdentityState::Inactive),
            _ => None,
        }
    }
}

/// A kind of credential, named as Kratos names it (the keys of `identity.credentials`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialsType {
    Password,
    Oidc,
    Totp,
    LookupSecret,
    Webauthn,
    Code,
    Passkey,
    Profile,
    LinkRecovery,
    CodeRecovery,
}

impl CredentialsType {
    pub const ALL: [CredentialsType; 10] = [
        CredentialsType::Password,
        CredentialsType::Oidc,
        CredentialsType::Totp,
        CredentialsType::LookupSecret,
        CredentialsType::Webauthn,
        CredentialsType::Code,
        CredentialsType::Passkey,
        CredentialsType::Profile,
        CredentialsType::LinkRecovery,
        CredentialsType::CodeRecovery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialsType::Password => "password",
            CredentialsType::Oidc => "oidc",
            CredentialsType::Totp => "totp",
            CredentialsType::LookupSecret => "lookup_secret",
            CredentialsType::Webauthn => "webauthn",
            CredentialsType::Code => "code",
            CredentialsType::Passkey => "passkey",
            CredentialsType::Profile => "profile",
            CredentialsType::LinkRecovery => "link_recovery",
            CredentialsType::CodeRecovery => "code_recovery",
        }
    }

    /// Any of the names above.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// A value of the admin API's `include_credential` parameter. Kratos's parser knows
    /// every name except `profile`, which it answers with 400.
    pub fn parse_include_credential(name: &str) -> Option<Self> {
        Self::from_name(name).filter(|t| *t != CredentialsType::Profile)
    }
}

impl fmt::Display for CredentialsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One credential of an identity. `config` is opaque here: the strategy owning the type
/// reads and writes it (a password hash, OIDC providers with sealed tokens, a TOTP URL...).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(rename = "type")]
    pub credentials_type: CredentialsType,
    /// Unique per credential type across all identities; stored normalised and sorted.
    pub identifiers: Vec<String>,
    pub config: Value,
    pub version: i64,
    #[serde(with = "timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    pub updated_at: OffsetDateTime,
}

impl Credentials {
    /// A credential with no identifiers and the given config.
    pub fn new(credentials_type: CredentialsType, config: Value, now: OffsetDateTime) -> Self {
        let now = timestamp::truncate(now);
        Self {
            credentials_type,
            identifiers: Vec::new(),
            config,
            version: 0,
            created_at: now,
            updated_at: now,
        }
    }
}

// `config` holds hashes, seeds and tokens: keep it out of logs.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("credentials_type", &self.credentials_type)
            .field("identifiers", &self.identifiers)
            .field("config", &"<redacted>")
            .field("version", &self.version)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// The channel an address is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressVia {
    Email,
    Sms,
}

impl AddressVia {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressVia::Email => "email",
            AddressVia::Sms => "sms",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "email" => Some(AddressVia::Email),
            "sms" => Some(AddressVia::Sms),
            _ => None,
        }
    }
}

impl fmt::Display for AddressVia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a verifiable address is in its verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    Pending,
    Sent,
    Completed,
}

/// An address the identity can prove it controls (`verifiable_addresses[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiableAddress {
    pub id: AddressId,
    /// Lower-cased and trimmed; unique per `via` across all identities.
    pub value: String,
    pub verified: bool,
    pub via: AddressVia,
    pub status: VerificationStatus,
    #[serde(
        default,
        with = "timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub verified_at: Option<OffsetDateTime>,
    #[serde(with = "timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    pub updated_at: OffsetDateTime,
}

impl VerifiableAddress {
    /// A new, unverified address.
    pub fn new(via: AddressVia, value: &str, now: OffsetDateTime) -> Self {
        let now = timestamp::truncate(now);
        Self {
            id: AddressId::new(),
            value: normalize::address(value),
            verified: false,
            via,
            status: VerificationStatus::Pending,
            verified_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Marks the address verified now, as a completed verification flow does.
    pub fn mark_verified(&mut self, now: OffsetDateTime) {
        let now = timestamp::truncate(now);
        self.verified = true;
        self.status = VerificationStatus::Completed;
        self.verified_at = Some(now);
        self.updated_at = now;
    }
}

/// An address a recovery message can be sent to (`recovery_addresses[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryAddress {
    pub id: AddressId,
    /// Lower-cased and trimmed; unique per `via` across all identities.
    pub value: String,
    pub via: AddressVia,
    #[serde(with = "timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    pub updated_at: OffsetDateTime,
}

impl RecoveryAddress {
    pub fn new(via: AddressVia, value: &str, now: OffsetDateTime) -> Self {
        let now = timestamp::truncate(now);
        Self {
            id: AddressId::new(),
            value: normalize::address(value),
            via,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A verifiable address in a create body (`createIdentityBody.verifiable_addresses[]`):
/// imports keep their verification state if the traits still hold the address.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImportedVerifiableAddress {
    pub value: String,
    #[serde(default)]
    pub verified: bool,
    pub via: AddressVia,
    /// Defaults to `completed` for a verified address, `pending` otherwise.
    #[serde(default)]
    pub status: Option<VerificationStatus>,
    /// Defaults to the import time for a verified address; dropped for an unverified one.
    #[serde(default, with = "timestamp::option")]
    pub verified_at: Option<OffsetDateTime>,
}

/// A recovery address in a create body (`createIdentityBody.recovery_addresses[]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImportedRecoveryAddress {
    pub value: String,
    pub via: AddressVia,
}

/// Something only one identity may hold at a time. Each claim is an item of its own, written
/// in the same transaction as the identity document, so the document and its claims never
/// disagree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Claim {
    /// A credential identifier, unique per credential type.
    Identifier {
        credentials_type: CredentialsType,
        identifier: String,
    },
    /// A verifiable address, unique per channel.
    VerifiableAddress { via: AddressVia, value: String },
    /// A recovery address, unique per channel.
    RecoveryAddress { via: AddressVia, value: String },
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Identifier {
                credentials_type,
                identifier,
            } => write!(f, "{credentials_type} identifier `{identifier}`"),
            Claim::VerifiableAddress { via, value } => {
                write!(f, "verifiable {via} address `{value}`")
            }
            Claim::RecoveryAddress { via, value } => write!(f, "recovery {via} address `{value}`"),
        }
    }
}

/// An identity: a person or machine that can authenticate.
///
/// `version` is the optimistic-concurrency version of the stored document; it is never part
/// of any API body. An identity read through [`super::IdentityStore`] also remembers the
/// claims its stored document held, so an update can release exactly those.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub id: IdentityId,
    pub schema_id: String,
    pub state: IdentityState,
    #[serde(default, with = "timestamp::option")]
    pub state_changed_at: Option<OffsetDateTime>,
    pub traits: Value,
    /// Visible to the identity itself (sessions, whoami). `None` prints as `null`.
    #[serde(default)]
    pub metadata_public: Option<Value>,
    /// Visible on admin APIs only.
    #[serde(default)]
    pub metadata_admin: Option<Value>,
    #[serde(default)]
    pub verifiable_addresses: Vec<VerifiableAddress>,
    #[serde(default)]
    pub recovery_addresses: Vec<RecoveryAddress>,
    #[serde(default)]
    pub credentials: BTreeMap<CredentialsType, Credentials>,
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    #[serde(with = "timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    pub updated_at: OffsetDateTime,
    /// 0 until stored; then the stored document's version.
    #[serde(skip)]
    pub(crate) version: u64,
    /// The claims of the stored document at `version`, when read through the store.
    #[serde(skip)]
    pub(crate) stored_claims: Option<BTreeSet<Claim>>,
}

impl Identity {
    /// A new, active identity with a fresh ID, not yet stored. Call
    /// [`Identity::validate`] to check its traits and derive identifiers and addresses.
    pub fn new(schema_id: impl Into<String>, traits: Value, now: OffsetDateTime) -> Self {
        let now = timestamp::truncate(now);
        Self {
            id: IdentityId::new(),
            schema_id: schema_id.into(),
            state: IdentityState::Active,
            state_changed_at: Some(now),
            traits,
            metadata_public: None,
            metadata_admin: None,
            verifiable_addresses: Vec::new(),
            recovery_addresses: Vec::new(),
            credentials: BTreeMap::new(),
            organization_id: None,
            created_at: now,
            updated_at: now,
            version: 0,
            stored_claims: None,
        }
    }

    /// The stored document's version; 0 for an identity never stored.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn is_active(&self) -> bool {
        self.state == IdentityState::Active
    }

    /// Changes the state, stamping `state_changed_at` only if it really changes.
    pub fn set_state(&mut self, state: IdentityState, now: OffsetDateTime) {
        if self.state != state {
            self.state = state;
            self.state_changed_at = Some(timestamp::truncate(now));
        }
    }

    pub fn credentials(&self, credentials_type: CredentialsType) -> Option<&Credentials> {
        self.credentials.get(&credentials_type)
    }

    /// Sets the config of one credential, creating the credential if the identity has none
    /// of that type (its identifiers then come from [`Identity::validate`] or the caller).
    pub fn upsert_credentials(
        &mut self,
        credentials_type: CredentialsType,
        config: Value,
        now: OffsetDateTime,
    ) -> &mut Credentials {
        let now = timestamp::truncate(now);
        let credentials = self.credentials.entry(credentials_type).or_insert_with(|| {
            Credentials::new(credentials_type, Value::Object(Default::default()), now)
        });
        credentials.config = config;
        credentials.updated_at = now;
        credentials
    }

    /// Removes a credential and with it its identifiers' claims (on the next update).
    pub fn remove_credentials(&mut self, credentials_type: CredentialsType) -> Option<Credentials> {
        self.credentials.remove(&credentials_type)
    }

    /// The verifiable address with this channel and (normalised) value.
    pub fn verifiable_address(&self, via: AddressVia, value: &str) -> Option<&VerifiableAddress> {
        let value = normalize::address(value);
        self.verifiable_addresses
            .iter()
            .find(|a| a.via == via && a.value == value)
    }

    pub fn verifiable_address_mut(
        &mut self,
        via: AddressVia,
        value: &str,
    ) -> Option<&mut VerifiableAddress> {
        let value = normalize::address(value);
        self.verifiable_addresses
            .iter_mut()
            .find(|a| a.via == via && a.value == value)
    }

    pub fn recovery_address(&self, via: AddressVia, value: &str) -> Option<&RecoveryAddress> {
        let value = normalize::address(value);
        self.recovery_addresses
            .iter()
            .find(|a| a.via == via && a.value == value)
    }

    /// Takes the addresses of a create body. Values are normalised; an address keeps its
    /// verification state only if [`Identity::validate`] finds it in the traits, as in Kratos
    /// (addresses the traits do not hold are dropped). Imported IDs are never used: every
    /// address gets a fresh one.
    pub fn import_addresses(
        &mut self,
        verifiable: Vec<ImportedVerifiableAddress>,
        recovery: Vec<ImportedRecoveryAddress>,
        now: OffsetDateTime,
    ) {
        let now = timestamp::truncate(now);
        self.verifiable_addresses = verifiable
            .into_iter()
            .map(|imported| {
                let mut address = VerifiableAddress::new(imported.via, &imported.value, now);
                address.verified = imported.verified;
                address.status = imported.status.unwrap_or(if imported.verified {
                    VerificationStatus::Completed
                } else {
                    VerificationStatus::Pending
                });
                address.verified_at = imported.verified_at.map(timestamp::truncate);
                address
            })
            .collect();
        self.recovery_addresses = recovery
            .into_iter()
            .map(|imported| RecoveryAddress::new(imported.via, &imported.value, now))
            .collect();
        self.normalize(now);
    }

    /// Every claim this document makes: its credential identifiers and its addresses.
    pub fn claims(&self) -> BTreeSet<Claim> {
        let identifiers = self.credentials.values().flat_map(|credentials| {
            credentials
                .identifiers
                .iter()
                .map(|identifier| Claim::Identifier {
                    credentials_type: credentials.credentials_type,
                    identifier: identifier.clone(),
                })
        });
        let verifiable = self
            .verifiable_addresses
            .iter()
            .map(|a| Claim::VerifiableAddress {
                via: a.via,
                value: a.value.clone(),
            });
        let recovery = self
            .recovery_addresses
            .iter()
            .map(|a| Claim::RecoveryAddress {
                via: a.via,
                value: a.value.clone(),
            });
        identifiers.chain(verifiable).chain(recovery).collect()
    }

    /// Brings the document to its stored form, as Kratos's persister does before writing:
    /// identifiers normalised per type, sorted and de-duplicated; address values lower-cased
    /// and trimmed, one address per (via, value); verification state made consistent
    /// (a verified address has `verified_at`, an unverified one has none).
    pub(crate) fn normalize(&mut self, now: OffsetDateTime) {
        let now = timestamp::truncate(now);
        for (credentials_type, credentials) in &mut self.credentials {
            credentials.credentials_type = *credentials_type;
            let mut identifiers: Vec<String> = credentials
                .identifiers
                .iter()
                .map(|raw| normalize::identifier(*credentials_type, raw))
                .collect();
            identifiers.sort();
            identifiers.dedup();
            credentials.identifiers = identifiers;
        }
        let mut seen = BTreeSet::new();
        self.verifiable_addresses.retain_mut(|address| {
            address.value = normalize::address(&address.value);
            if address.verified && address.verified_at.is_none() {
                address.verified_at = Some(now);
            }
            if !address.verified {
                address.verified_at = None;
            }
            seen.insert((address.via, address.value.clone()))
        });
        let mut seen = BTreeSet::new();
        self.recovery_addresses.retain_mut(|address| {
            address.value = normalize::address(&address.value);
            seen.insert((address.via, address.value.clone()))
        });
    }
}

/// The identifier of one OIDC connection, as Kratos forms it: `provider:subject`.
pub fn oidc_identifier(provider: &str, subject: &str) -> String {
    format!("{provider}:{subject}")
}
