//! Authenticator assurance levels: what a session has proven (from its completed methods)
//! and what its identity could prove (from the identity's credentials as they are now).
//!
//! The available level is always computed from the live credentials, never read from a
//! stored value: a stored level that lagged behind a newly added second factor let a
//! one-factor session pass `highest_available` (Kratos advisory GHSA-wc43-73w7-x2f5).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::AuthenticationMethod;
use crate::config::Config;
use crate::identity::{CredentialsType, Identity};

/// An authenticator assurance level (`authenticatorAssuranceLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aal {
    Aal0,
    Aal1,
    Aal2,
    Aal3,
}

impl Aal {
    pub fn as_str(self) -> &'static str {
        match self {
            Aal::Aal0 => "aal0",
            Aal::Aal1 => "aal1",
            Aal::Aal2 => "aal2",
            Aal::Aal3 => "aal3",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "aal0" => Some(Aal::Aal0),
            "aal1" => Some(Aal::Aal1),
            "aal2" => Some(Aal::Aal2),
            "aal3" => Some(Aal::Aal3),
            _ => None,
        }
    }

    /// The level a list of completed methods proves, by Kratos's rule: a first and a second
    /// factor make `aal2`; any other non-empty list makes `aal1`; no method, `aal0`.
    pub fn of_methods(methods: &[AuthenticationMethod]) -> Aal {
        let first = methods.iter().any(|m| m.aal == Aal::Aal1);
        let second = methods.iter().any(|m| m.aal >= Aal::Aal2);
        match (first, second, methods.is_empty()) {
            (_, _, true) => Aal::Aal0,
            (true, true, _) => Aal::Aal2,
            _ => Aal::Aal1,
        }
    }
}

impl std::fmt::Display for Aal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an endpoint demands of a session (`session.whoami.required_aal`,
/// `selfservice.flows.settings.required_aal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequiredAal {
    /// Any authenticated session.
    Aal1,
    /// The highest level the identity's credentials allow.
    HighestAvailable,
}

impl RequiredAal {
    /// `aal1` or `highest_available`; anything else is read as `highest_available`, the
    /// stricter choice (the configuration loader warns about unknown values).
    pub fn from_config(value: &str) -> Self {
        match value {
            "aal1" => RequiredAal::Aal1,
            _ => RequiredAal::HighestAvailable,
        }
    }
}

/// The parts of the configuration that decide which credentials count as factors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AalPolicy {
    /// `selfservice.methods.code.mfa_enabled`: every identity can do a second factor by code.
    pub code_mfa: bool,
    /// `selfservice.methods.code.passwordless_enabled`: every identity can sign in by code.
    pub code_passwordless: bool,
}

impl AalPolicy {
    pub fn from_config(config: &Config) -> Self {
        let code = &config.selfservice.methods.code;
        Self {
            code_mfa: code.enabled && code.mfa_enabled,
            code_passwordless: code.enabled && code.passwordless_enabled,
        }
    }

    /// The highest level `identity`'s current credentials allow: `aal2` if it has a usable
    /// second factor, else `aal1` if it has a usable first factor, else `aal0`.
    pub fn available_aal(&self, identity: &Identity) -> Aal {
        let second_factors = identity
            .credentials
            .values()
            .filter(|c| match c.credentials_type {
                CredentialsType::Totp => text(&c.config, "totp_url").is_some(),
                CredentialsType::LookupSecret => c
                    .config
                    .get("recovery_codes")
                    .and_then(Value::as_array)
                    .is_some_and(|codes| !codes.is_empty()),
                CredentialsType::Webauthn => webauthn_keys(&c.config, &c.identifiers, false) > 0,
                _ => false,
            })
            .count();
        if second_factors > 0 || self.code_mfa {
            return Aal::Aal2;
        }
        let first_factors = identity
            .credentials
            .values()
            .filter(|c| {
                let has_identifier = c.identifiers.iter().any(|i| !i.is_empty());
                match c.credentials_type {
                    CredentialsType::Password => {
                        has_identifier
                            && (text(&c.config, "hashed_password").is_some()
                                || c.config.get("use_password_migration_hook")
                                    == Some(&Value::Bool(true)))
                    }
                    CredentialsType::Oidc => c
                        .config
                        .get("providers")
                        .and_then(Value::as_array)
                        .is_some_and(|p| !p.is_empty()),
                    CredentialsType::Webauthn => webauthn_keys(&c.config, &c.identifiers, true) > 0,
                    CredentialsType::Passkey => c
                        .config
                        .get("credentials")
                        .and_then(Value::as_array)
                        .is_some_and(|p| !p.is_empty()),
                    _ => false,
                }
            })
            .count();
        if first_factors > 0 || self.code_passwordless {
            Aal::Aal1
        } else {
            Aal::Aal0
        }
    }
}

fn text<'a>(config: &'a Value, key: &str) -> Option<&'a str> {
    config
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Webauthn keys that are (or are not) passwordless. A passwordless key counts only when
/// the credential has an identifier to find the identity by.
fn webauthn_keys(config: &Value, identifiers: &[String], passwordless: bool) -> usize {
    let has_identifier = identifiers.iter().any(|i| !i.is_empty());
    config
        .get("credentials")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter(|key| {
                    let is_passwordless = key.get("is_passwordless") == Some(&Value::Bool(true));
                    is_passwordless == passwordless && (!is_passwordless || has_identifier)
                })
                .count()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn method(kind: CredentialsType, aal: Aal) -> AuthenticationMethod {
        AuthenticationMethod::new(kind, aal, datetime!(2026-01-01 00:00:00 UTC))
    }

    #[test]
    fn the_session_level_follows_the_completed_factors() {
        assert_eq!(Aal::of_methods(&[]), Aal::Aal0);
        let password = method(CredentialsType::Password, Aal::Aal1);
        let totp = method(CredentialsType::Totp, Aal::Aal2);
        assert_eq!(Aal::of_methods(std::slice::from_ref(&password)), Aal::Aal1);
        assert_eq!(Aal::of_methods(&[password, totp.clone()]), Aal::Aal2);
        assert_eq!(Aal::of_methods(&[totp]), Aal::Aal1, "a second factor alone");
    }

    fn identity_with(credentials: &[(CredentialsType, Value, &[&str])]) -> Identity {
        let now = datetime!(2026-01-01 00:00:00 UTC);
        let mut identity = Identity::new("default", json!({}), now);
        for (kind, config, identifiers) in credentials {
            let c = identity.upsert_credentials(*kind, config.clone(), now);
            c.identifiers = identifiers.iter().map(|s| s.to_string()).collect();
        }
        identity
    }

    #[test]
    fn the_available_level_comes_from_the_live_credentials() {
        let policy = AalPolicy::default();
        assert_eq!(policy.available_aal(&identity_with(&[])), Aal::Aal0);
        let password = (
            CredentialsType::Password,
            json!({"hashed_password": "$argon2id$..."}),
            &["a@b.c"][..],
        );
        assert_eq!(
            policy.available_aal(&identity_with(std::slice::from_ref(&password))),
            Aal::Aal1
        );
        let no_hash = (CredentialsType::Password, json!({}), &["a@b.c"][..]);
        assert_eq!(policy.available_aal(&identity_with(&[no_hash])), Aal::Aal0);
        let totp = (
            CredentialsType::Totp,
            json!({"totp_url": "otpauth://totp/x?secret=ABC"}),
            &[][..],
        );
        assert_eq!(
            policy.available_aal(&identity_with(&[password.clone(), totp])),
            Aal::Aal2
        );
        let empty_lookup = (
            CredentialsType::LookupSecret,
            json!({"recovery_codes": []}),
            &[][..],
        );
        assert_eq!(
            policy.available_aal(&identity_with(&[password.clone(), empty_lookup])),
            Aal::Aal1
        );
        let security_key = (
            CredentialsType::Webauthn,
            json!({"credentials": [{"is_passwordless": false}]}),
            &[][..],
        );
        assert_eq!(
            policy.available_aal(&identity_with(&[password.clone(), security_key])),
            Aal::Aal2
        );
        let code_mfa = AalPolicy {
            code_mfa: true,
            code_passwordless: false,
        };
        assert_eq!(
            code_mfa.available_aal(&identity_with(&[password])),
            Aal::Aal2
        );
    }
}
