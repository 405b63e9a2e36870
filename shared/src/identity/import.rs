//! The request bodies an operator uses to create and replace identities (Kratos's
//! `createIdentityBody`, `updateIdentityBody` and their credential imports), and how their
//! parts become parts of an [`Identity`].
//!
//! Fields are lenient where Kratos's Go decoder is: `null` reads as absent, addresses and
//! timestamps the identity will re-derive anyway are accepted and ignored. Whether unknown
//! fields are refused is the caller's choice (Kratos refuses them on create, not on
//! replace), so these types do not decide it.

use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::model::{
    AddressVia, CredentialsType, Identity, IdentityState, ImportedRecoveryAddress,
    ImportedVerifiableAddress, VerificationStatus, oidc_identifier,
};
use super::timestamp;
use crate::hash::{HashError, validate_hash};
use crate::secret::Secret;

/// `POST /admin/identities` (and each `create` of a batch).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateIdentityBody {
    /// The default schema when empty.
    #[serde(default)]
    pub schema_id: Option<String>,
    /// `{}` when absent.
    #[serde(default)]
    pub traits: Option<Value>,
    #[serde(default)]
    pub credentials: Option<ImportCredentials>,
    #[serde(default)]
    pub verifiable_addresses: Option<Vec<VerifiableAddressImport>>,
    #[serde(default)]
    pub recovery_addresses: Option<Vec<RecoveryAddressImport>>,
    #[serde(default)]
    pub metadata_public: Option<Value>,
    #[serde(default)]
    pub metadata_admin: Option<Value>,
    /// `active` (the default) or `inactive`.
    #[serde(default)]
    pub state: Option<String>,
}

/// `PUT /admin/identities/{id}`: replaces traits and metadata; schema and state only when
/// given; credentials are imported on top of the existing ones.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UpdateIdentityBody {
    #[serde(default)]
    pub schema_id: Option<String>,
    #[serde(default)]
    pub traits: Option<Value>,
    #[serde(default)]
    pub credentials: Option<ImportCredentials>,
    #[serde(default)]
    pub metadata_public: Option<Value>,
    #[serde(default)]
    pub metadata_admin: Option<Value>,
    #[serde(default)]
    pub state: Option<String>,
}

/// `credentials` of a create or update body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImportCredentials {
    #[serde(default)]
    pub password: Option<PasswordImport>,
    #[serde(default)]
    pub oidc: Option<OidcImport>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PasswordImport {
    #[serde(default)]
    pub config: Option<PasswordImportConfig>,
}

/// A password to import: in clear text (hashed with the configured hasher), as a hash in
/// one of the formats `crate::hash` verifies, or neither, with the migration hook on.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PasswordImportConfig {
    #[serde(default)]
    pub hashed_password: Option<Secret>,
    #[serde(default)]
    pub password: Option<Secret>,
    #[serde(default)]
    pub use_password_migration_hook: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OidcImport {
    #[serde(default)]
    pub config: Option<OidcImportConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OidcImportConfig {
    /// Present in Kratos's contract (a password config nested in the OIDC one) and ignored
    /// by Kratos; accepted and ignored here too.
    #[serde(default)]
    pub config: Option<PasswordImportConfig>,
    #[serde(default)]
    pub providers: Option<Vec<OidcProviderImport>>,
}

/// One social sign-in link: the provider's ID in the configuration and the subject the
/// provider knows the user by.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OidcProviderImport {
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
}

/// An entry of `verifiable_addresses` in a create body, or of a patched identity. `id`,
/// `created_at` and `updated_at` are accepted because Kratos's address type carries them;
/// a create ignores them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VerifiableAddressImport {
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub verified: Option<bool>,
    #[serde(default)]
    pub via: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, with = "timestamp::option")]
    pub verified_at: Option<OffsetDateTime>,
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<OffsetDateTime>,
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<OffsetDateTime>,
}

/// An entry of `recovery_addresses` in a create body, or of a patched identity.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecoveryAddressImport {
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub via: Option<String>,
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<OffsetDateTime>,
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<OffsetDateTime>,
}

/// Why a create or update body cannot be turned into an identity (before any store work).
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// `state` is neither `active` nor `inactive`.
    #[error("identity state is not valid")]
    InvalidState(String),
    /// An imported address has a verification status Kratos does not define.
    #[error("the verifiable address status `{0}` is not one of pending, sent, completed")]
    InvalidAddressStatus(String),
    /// An OIDC link without a provider or a subject.
    #[error("every imported oidc provider needs a non-empty `provider` and `subject`")]
    IncompleteOidcProvider,
    /// The imported password hash is unusable (or the password to hash is too long).
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// The state a body asks for; `None` or empty means "not given".
pub fn parse_state(state: Option<&str>) -> Result<Option<IdentityState>, BodyError> {
    match state {
        None | Some("") => Ok(None),
        Some(name) => IdentityState::from_name(name)
            .map(Some)
            .ok_or_else(|| BodyError::InvalidState(name.to_owned())),
    }
}

/// What to store as the password credential's config.
#[derive(Debug, Clone)]
pub enum PasswordPlan {
    /// Store this hash (already validated).
    Hashed(Secret),
    /// Hash this password with the configured hasher, then store it.
    Plain(Secret),
    /// Store no hash; the login's password migration hook will check the password.
    MigrationHook,
}

impl PasswordPlan {
    /// Decides how a password import is stored, as Kratos does: the migration hook wins, then
    /// a clear-text password, then the hash, which must be in a supported format (an
    /// absent one is an unknown format too). Checks hashes fully but computes nothing.
    pub fn of(import: &PasswordImport) -> Result<PasswordPlan, BodyError> {
        let config = import.config.clone().unwrap_or_default();
        if config.use_password_migration_hook == Some(true) {
            return Ok(PasswordPlan::MigrationHook);
        }
        if let Some(password) = config.password.filter(|p| !p.is_empty()) {
            return Ok(PasswordPlan::Plain(password));
        }
        let hash = config.hashed_password.unwrap_or_default();
        validate_hash(hash.expose())?;
        Ok(PasswordPlan::Hashed(hash))
    }

    pub fn is_plain(&self) -> bool {
        matches!(self, PasswordPlan::Plain(_))
    }
}

/// The password credential's config for a stored hash (Kratos's `CredentialsPassword`).
pub fn password_config(hash: &str) -> Value {
    json!({ "hashed_password": hash })
}

/// The password credential's config when only the migration hook can check passwords.
pub fn migration_hook_config() -> Value {
    json!({ "hashed_password": "", "use_password_migration_hook": true })
}

/// The OIDC links of an import, as `(provider, subject)`, checked and de-duplicated.
pub fn oidc_links(import: &OidcImport) -> Result<Vec<(String, String)>, BodyError> {
    let providers = import
        .config
        .as_ref()
        .and_then(|c| c.providers.clone())
        .unwrap_or_default();
    let mut links: Vec<(String, String)> = Vec::with_capacity(providers.len());
    for provider in providers {
        let name = provider.provider.unwrap_or_default();
        let subject = provider.subject.unwrap_or_default();
        if name.is_empty() || subject.is_empty() {
            return Err(BodyError::IncompleteOidcProvider);
        }
        if !links.iter().any(|(p, s)| *p == name && *s == subject) {
            links.push((name, subject));
        }
    }
    Ok(links)
}

impl Identity {
    /// Adds OIDC links to the identity's `oidc` credential (creating it if needed), as the
    /// import does: each link becomes a provider entry without tokens and an identifier
    /// `provider:subject`; links the identity already has are kept once.
    pub fn link_oidc(&mut self, links: &[(String, String)], now: OffsetDateTime) {
        if links.is_empty() {
            return;
        }
        let existing = self
            .credentials(CredentialsType::Oidc)
            .map(|c| (c.identifiers.clone(), c.config.clone()));
        let (mut identifiers, config) = existing.unwrap_or_default();
        let mut providers: Vec<Value> = config
            .get("providers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (provider, subject) in links {
            let held = providers.iter().any(|p| {
                p.get("provider").and_then(Value::as_str) == Some(provider)
                    && p.get("subject").and_then(Value::as_str) == Some(subject)
            });
            if !held {
                providers.push(json!({
                    "subject": subject,
                    "provider": provider,
                    "initial_id_token": "",
                    "initial_access_token": "",
                    "initial_refresh_token": "",
                }));
            }
            identifiers.push(oidc_identifier(provider, subject));
        }
        let credentials = self.upsert_credentials(
            CredentialsType::Oidc,
            json!({ "providers": providers }),
            now,
        );
        credentials.identifiers = identifiers;
    }
}

/// The addresses of a create body in the model's import form. Entries with a channel
/// other than email or SMS are dropped: no schema derives such an address, so Kratos drops
/// them when it validates the traits.
pub fn imported_addresses(
    verifiable: Vec<VerifiableAddressImport>,
    recovery: Vec<RecoveryAddressImport>,
) -> Result<(Vec<ImportedVerifiableAddress>, Vec<ImportedRecoveryAddress>), BodyError> {
    let mut verifiable_out = Vec::with_capacity(verifiable.len());
    for address in verifiable {
        let Some(via) = address.via.as_deref().and_then(AddressVia::from_name) else {
            continue;
        };
        verifiable_out.push(ImportedVerifiableAddress {
            value: address.value.unwrap_or_default(),
            verified: address.verified.unwrap_or(false),
            via,
            status: parse_status(address.status.as_deref())?,
            verified_at: address.verified_at,
        });
    }
    let recovery_out = recovery
        .into_iter()
        .filter_map(|address| {
            let via = address.via.as_deref().and_then(AddressVia::from_name)?;
            Some(ImportedRecoveryAddress {
                value: address.value.unwrap_or_default(),
                via,
            })
        })
        .collect();
    Ok((verifiable_out, recovery_out))
}

/// A verification status name; `None` or empty means "derive it from `verified`".
pub fn parse_status(status: Option<&str>) -> Result<Option<VerificationStatus>, BodyError> {
    match status {
        None | Some("") => Ok(None),
        Some("pending") => Ok(Some(VerificationStatus::Pending)),
        Some("sent") => Ok(Some(VerificationStatus::Sent)),
        Some("completed") => Ok(Some(VerificationStatus::Completed)),
        Some(other) => Err(BodyError::InvalidAddressStatus(other.to_owned())),
    }
}

/// Traits as stored: an absent or `null` value is the empty object, as in Kratos.
pub fn traits_or_empty(traits: Option<Value>) -> Value {
    match traits {
        None | Some(Value::Null) => json!({}),
        Some(traits) => traits,
    }
}

/// Metadata as stored: `null` is the same as absent.
pub fn metadata(value: Option<Value>) -> Option<Value> {
    value.filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    fn password(config: Value) -> PasswordImport {
        serde_json::from_value(json!({ "config": config })).unwrap()
    }

    #[test]
    fn the_migration_hook_wins_then_the_clear_text_password_then_the_hash() {
        let hash = "$md5$nMKuihunqT2jm0b8EBnEgQ==";
        let plan = |config| PasswordPlan::of(&password(config)).unwrap();
        assert!(matches!(
            plan(
                json!({"use_password_migration_hook": true, "password": "x", "hashed_password": hash})
            ),
            PasswordPlan::MigrationHook
        ));
        assert!(plan(json!({"password": "x", "hashed_password": hash})).is_plain());
        assert!(matches!(
            plan(json!({"password": "", "hashed_password": hash})),
            PasswordPlan::Hashed(h) if h.expose() == hash
        ));
    }

    #[test]
    fn no_password_and_no_hash_is_an_unknown_hash_format() {
        for config in [json!({}), json!(null), json!({"hashed_password": ""})] {
            assert!(matches!(
                PasswordPlan::of(&password(config)),
                Err(BodyError::Hash(HashError::UnknownFormat))
            ));
        }
        assert!(matches!(
            PasswordPlan::of(&password(json!({"hashed_password": "$2a$10$short"}))),
            Err(BodyError::Hash(HashError::Malformed { .. }))
        ));
    }

    #[test]
    fn oidc_links_need_provider_and_subject_and_are_kept_once() {
        let import = |providers: Value| -> OidcImport {
            serde_json::from_value(json!({"config": {"providers": providers}})).unwrap()
        };
        assert_eq!(
            oidc_links(&import(json!([
                {"provider": "github", "subject": "1"},
                {"provider": "github", "subject": "1"},
                {"provider": "google", "subject": "1"}
            ])))
            .unwrap(),
            vec![("github".into(), "1".into()), ("google".into(), "1".into())]
        );
        assert!(oidc_links(&import(json!([{"provider": "github"}]))).is_err());
        assert!(oidc_links(&import(json!([{"provider": "", "subject": "1"}]))).is_err());
    }

    #[test]
    fn linking_adds_to_existing_links_without_repeating_them() {
        let now = datetime!(2026-01-01 00:00 UTC);
        let mut identity = Identity::new("default", json!({}), now);
        identity.link_oidc(&[("github".into(), "1".into())], now);
        identity.link_oidc(
            &[
                ("github".into(), "1".into()),
                ("google".into(), "Two".into()),
            ],
            now,
        );
        identity.normalize(now);
        let oidc = identity.credentials(CredentialsType::Oidc).unwrap();
        assert_eq!(oidc.identifiers, vec!["github:1", "google:Two"]);
        let providers = oidc.config["providers"].as_array().unwrap();
        assert_eq!(providers.len(), 2);
        assert_eq!(providers[1]["subject"], "Two");
        assert_eq!(providers[1]["initial_access_token"], "");
    }

    #[test]
    fn states_statuses_and_empty_values_parse_as_kratos_reads_them() {
        assert_eq!(parse_state(None).unwrap(), None);
        assert_eq!(parse_state(Some("")).unwrap(), None);
        assert_eq!(
            parse_state(Some("inactive")).unwrap(),
            Some(IdentityState::Inactive)
        );
        assert!(matches!(
            parse_state(Some("Active")),
            Err(BodyError::InvalidState(_))
        ));
        assert_eq!(
            parse_status(Some("sent")).unwrap(),
            Some(VerificationStatus::Sent)
        );
        assert!(parse_status(Some("lost")).is_err());
        assert_eq!(traits_or_empty(Some(Value::Null)), json!({}));
        assert_eq!(metadata(Some(Value::Null)), None);
    }

    #[test]
    fn imported_addresses_with_unknown_channels_are_dropped() {
        let verifiable: Vec<VerifiableAddressImport> = serde_json::from_value(json!([
            {"value": "a@b.co", "via": "email", "verified": true, "id": Uuid::nil(),
             "created_at": "2020-01-01T00:00:00Z"},
            {"value": "x", "via": "pigeon"}
        ]))
        .unwrap();
        let (verifiable, recovery) = imported_addresses(verifiable, Vec::new()).unwrap();
        assert_eq!(verifiable.len(), 1);
        assert!(verifiable[0].verified);
        assert!(recovery.is_empty());
    }
}
