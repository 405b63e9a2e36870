//! The `password` method: sign up with traits and a password, sign in with an identifier
//! and a password, change the password in settings.
//!
//! Passwords are checked against the [`policy::PasswordPolicy`] and hashed with the
//! configured hasher on tokio's blocking pool. Signing in with an unknown identifier
//! spends one dummy verification and answers the same 4000006 as a wrong password. A
//! stored hash in another format or with other parameters than configured (an import)
//! is replaced after a successful sign-in, in the same write that records the sign-in.

pub mod hibp;
mod login;
pub mod policy;
mod registration;
mod settings;

use serde_json::{Value, json};

use crate::identity::{CredentialsType, Identity};

/// The password method. Stateless; its configuration is read from the [`crate::app::App`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordStrategy;

impl PasswordStrategy {
    pub const METHOD: &'static str = "password";
}

/// The stored hash of an identity's password credential, if it has one.
pub fn hashed_password(identity: &Identity) -> Option<&str> {
    identity
        .credentials(CredentialsType::Password)
        .and_then(|c| c.config.get("hashed_password"))
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())
}

/// The password credential's config for a hash.
pub fn password_config(hash: &str) -> Value {
    json!({ "hashed_password": hash })
}

/// The identity's password identifiers (to check new passwords against).
pub fn password_identifiers(identity: &Identity) -> Vec<String> {
    identity
        .credentials(CredentialsType::Password)
        .map(|c| c.identifiers.clone())
        .unwrap_or_default()
}
