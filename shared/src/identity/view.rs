//! The identity as the APIs show it (Kratos's `identity` schema), and which parts each API
//! shows. Kratos's rules:
//!
//! | where | credentials | `metadata_admin` |
//! |---|---|---|
//! | sessions, whoami, self-service flows | never | never |
//! | `GET /admin/identities/{id}` | every type, `config` only for types in `include_credential` | yes |
//! | `GET /admin/identities` | only with `credentials_identifier`, `preview_credentials_identifier_similar` or `include_credential`; then as for a single identity | yes |
//! | create, update and patch responses | every type, never `config` | yes |
//!
//! A shown `config` is the stored one, except for `oidc`: there each provider shows
//! `initial_id_token`, `initial_access_token` and `initial_refresh_token` opened from their
//! sealed form (`""` when absent or unreadable), `subject`, `provider` and `organization`
//! (`""` when absent), and nothing else. An `oidc` credential without providers shows no
//! `config`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::model::{
    Credentials, CredentialsType, Identity, IdentityState, RecoveryAddress, VerifiableAddress,
};
use super::timestamp;
use crate::ids::IdentityId;

/// Opens a sealed OIDC token for display; `None` if it cannot be opened.
pub type TokenOpener<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// Which credentials a view shows.
#[derive(Clone, Copy)]
pub enum CredentialsVisibility<'a> {
    /// No `credentials` key at all.
    Hidden,
    /// Every credential; `config` only for the types in `declassify`.
    Shown {
        declassify: &'a [CredentialsType],
        /// Opens OIDC tokens when `oidc` is declassified; without it tokens show as `""`.
        open_token: Option<TokenOpener<'a>>,
    },
}

impl std::fmt::Debug for CredentialsVisibility<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialsVisibility::Hidden => f.write_str("Hidden"),
            CredentialsVisibility::Shown { declassify, .. } => f
                .debug_struct("Shown")
                .field("declassify", declassify)
                .finish_non_exhaustive(),
        }
    }
}

/// What an API response shows of an identity.
#[derive(Debug, Clone, Copy)]
pub struct ViewOptions<'a> {
    pub credentials: CredentialsVisibility<'a>,
    pub metadata_admin: bool,
}

impl<'a> ViewOptions<'a> {
    /// Sessions, whoami and self-service flows: no credentials, no admin metadata.
    pub fn public() -> Self {
        Self {
            credentials: CredentialsVisibility::Hidden,
            metadata_admin: false,
        }
    }

    /// Admin listings without credential filters: admin metadata, no credentials.
    pub fn admin() -> Self {
        Self {
            credentials: CredentialsVisibility::Hidden,
            metadata_admin: true,
        }
    }

    /// Admin responses with credentials; `config` only for `declassify`.
    pub fn admin_with_credentials(
        declassify: &'a [CredentialsType],
        open_token: Option<TokenOpener<'a>>,
    ) -> Self {
        Self {
            credentials: CredentialsVisibility::Shown {
                declassify,
                open_token,
            },
            metadata_admin: true,
        }
    }
}

/// A credential as an API shows it (`identityCredentials`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialsView {
    #[serde(rename = "type")]
    pub credentials_type: CredentialsType,
    pub identifiers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    pub version: i64,
    #[serde(with = "timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    pub updated_at: OffsetDateTime,
}

/// An identity as an API shows it: Kratos's `identity` schema, with Kratos's rules for
/// which keys are left out when empty (`credentials`, `state_changed_at`, the address lists,
/// `metadata_admin`) and which print as `null` (`metadata_public`, `organization_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityView {
    pub id: IdentityId,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub credentials: BTreeMap<CredentialsType, CredentialsView>,
    pub schema_id: String,
    pub schema_url: String,
    pub state: IdentityState,
    #[serde(
        default,
        with = "timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub state_changed_at: Option<OffsetDateTime>,
    pub traits: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verifiable_addresses: Vec<VerifiableAddress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery_addresses: Vec<RecoveryAddress>,
    #[serde(default)]
    pub metadata_public: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_admin: Option<Value>,
    #[serde(with = "timestamp")]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    pub updated_at: OffsetDateTime,
    #[serde(default)]
    pub organization_id: Option<Uuid>,
}

impl Identity {
    /// The identity as an API response shows it. `schema_url` is where its schema is served
    /// (`crate::schema::schema_url(public_base_url, &identity.schema_id)`).
    pub fn view(&self, schema_url: String, options: &ViewOptions<'_>) -> IdentityView {
        let credentials = match options.credentials {
            CredentialsVisibility::Hidden => BTreeMap::new(),
            CredentialsVisibility::Shown {
                declassify,
                open_token,
            } => self
                .credentials
                .iter()
                .map(|(t, c)| {
                    let config = declassify
                        .contains(t)
                        .then(|| declassified_config(c, open_token))
                        .flatten();
                    (*t, credentials_view(c, config))
                })
                .collect(),
        };
        IdentityView {
            id: self.id,
            credentials,
            schema_id: self.schema_id.clone(),
            schema_url,
            state: self.state,
            state_changed_at: self.state_changed_at,
            traits: self.traits.clone(),
            verifiable_addresses: self.verifiable_addresses.clone(),
            recovery_addresses: self.recovery_addresses.clone(),
            metadata_public: self.metadata_public.clone().filter(|v| !v.is_null()),
            metadata_admin: if options.metadata_admin {
                self.metadata_admin.clone().filter(|v| !v.is_null())
            } else {
                None
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            organization_id: self.organization_id,
        }
    }
}

fn credentials_view(credentials: &Credentials, config: Option<Value>) -> CredentialsView {
    CredentialsView {
        credentials_type: credentials.credentials_type,
        identifiers: credentials.identifiers.clone(),
        config,
        version: credentials.version,
        created_at: credentials.created_at,
        updated_at: credentials.updated_at,
    }
}

fn declassified_config(
    credentials: &Credentials,
    open_token: Option<TokenOpener<'_>>,
) -> Option<Value> {
    if credentials.credentials_type != CredentialsType::Oidc {
        return Some(credentials.config.clone());
    }
    let providers = credentials.config.get("providers")?.as_array()?;
    if providers.is_empty() {
        return None;
    }
    let text = |provider: &Value, key: &str| {
        provider
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let open = |provider: &Value, key: &str| {
        let sealed = text(provider, key);
        if sealed.is_empty() {
            return String::new();
        }
        open_token
            .and_then(|open| open(&sealed))
            .unwrap_or_default()
    };
    let shown: Vec<Value> = providers
        .iter()
        .map(|provider| {
            let mut entry = Map::new();
            for token in [
                "initial_id_token",
                "initial_access_token",
                "initial_refresh_token",
            ] {
                entry.insert(token.into(), Value::String(open(provider, token)));
            }
            for key in ["subject", "provider", "organization"] {
                entry.insert(key.into(), Value::String(text(provider, key)));
            }
            Value::Object(entry)
        })
        .collect();
    Some(json!({ "providers": shown }))
}
