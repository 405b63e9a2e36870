//! What the identity schema's `ory.sh/kratos` extension derives from a set of traits:
//! credential identifiers, the code credential's addresses, verifiable addresses and
//! recovery addresses. [`Identity::validate`] checks the traits and folds the result into
//! the identity, keeping the state of addresses that are still present.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use base64::Engine;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::error::IdentityError;
use super::model::{
    AddressVia, Credentials, CredentialsType, Identity, RecoveryAddress, VerifiableAddress,
};
use super::normalize;
use super::timestamp;
use crate::schema::{
    AnnotatedField, IdentitySchema, PathSegment, SchemaRegistry, Violation, ViolationKind,
};

/// One entry of the code credential's config (`{"addresses": [...]}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CodeAddress {
    pub channel: AddressVia,
    pub address: String,
}

/// Everything the extension derives from one set of traits, normalised and de-duplicated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// Sorted identifiers per credential type (password, webauthn, code), only for types
    /// the traits yield at least one identifier for.
    pub identifiers: BTreeMap<CredentialsType, Vec<String>>,
    /// The code credential's addresses, sorted by address, then channel.
    pub code_addresses: Vec<CodeAddress>,
    /// Verifiable addresses in the order the schema's fields are walked.
    pub verifiable: Vec<(AddressVia, String)>,
    /// Recovery addresses in the order the schema's fields are walked.
    pub recovery: Vec<(AddressVia, String)>,
}

/// Derives identifiers and addresses from `traits`. The traits should have passed
/// [`IdentitySchema::validate_traits`]; this adds the extension's own checks (email shape of
/// email addresses, phone numbers for SMS codes) as violations.
pub fn derive(schema: &IdentitySchema, traits: &Value) -> Result<Derived, Vec<Violation>> {
    let mut derived = Derived::default();
    let mut violations = Vec::new();
    let mut code = Vec::new();
    for annotated in schema.trait_annotations(traits) {
        let field = annotated.field;
        let extension = &field.extension;
        let value = annotated.value.as_str();
        let mut identifier = |credentials_type: CredentialsType| {
            let normalised = normalize::identifier(credentials_type, value);
            if normalised.is_empty() {
                violations.push(violation(
                    field,
                    "an identifier must not be empty".into(),
                    None,
                ));
            } else {
                derived
                    .identifiers
                    .entry(credentials_type)
                    .or_default()
                    .push(normalised);
            }
        };
        if extension.password_identifier {
            identifier(CredentialsType::Password);
        }
        if extension.webauthn_identifier {
            identifier(CredentialsType::Webauthn);
        }
        if let Some(via) = extension.code_identifier_via.as_deref() {
            match AddressVia::from_name(via)
                .map(|via| (via, normalize::code_identifier(via, value)))
            {
                Some((via, Ok(address))) if !address.is_empty() => code.push(CodeAddress {
                    channel: via,
                    address,
                }),
                Some((_, Ok(_))) => violations.push(violation(
                    field,
                    "an identifier must not be empty".into(),
                    None,
                )),
                Some((_, Err(reason))) => violations.push(violation(field, reason, None)),
                None => violations.push(violation(
                    field,
                    format!("channel type \"{via}\" must be one of email, sms"),
                    None,
                )),
            }
        }
        if let Some(via) = extension.verification_via.as_deref() {
            match (AddressVia::from_name(via), extension.format.as_deref()) {
                (Some(AddressVia::Email), None) if !is_email(value) => {
                    violations.push(not_an_email(field, value));
                }
                (Some(AddressVia::Sms), None) => violations.push(violation(
                    field,
                    "no format specified. A format is required if verification is enabled. \
                     If this was intentional, please set \"format\" to \"no-validate\""
                        .into(),
                    None,
                )),
                (Some(via), _) => push_unique(&mut derived.verifiable, via, value),
                (None, _) => violations.push(violation(
                    field,
                    format!("verification.via has unknown value \"{via}\""),
                    None,
                )),
            }
        }
        if let Some(via) = extension.recovery_via.as_deref() {
            // Kratos v1.3 recovers through email only; an SMS recovery address fails the traits.
            match AddressVia::from_name(via) {
                Some(AddressVia::Email) if is_email(value) => {
                    push_unique(&mut derived.recovery, AddressVia::Email, value);
                }
                Some(AddressVia::Email) => violations.push(not_an_email(field, value)),
                _ => violations.push(violation(
                    field,
                    format!("recovery.via has unknown value \"{via}\""),
                    None,
                )),
            }
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    for identifiers in derived.identifiers.values_mut() {
        identifiers.sort();
        identifiers.dedup();
    }
    code.sort_by(|a, b| {
        a.address
            .cmp(&b.address)
            .then_with(|| a.channel.cmp(&b.channel))
    });
    code.dedup();
    if !code.is_empty() {
        let mut identifiers: Vec<String> = code
            .iter()
            .map(|c| normalize::identifier(CredentialsType::Code, &c.address))
            .collect();
        identifiers.sort();
        identifiers.dedup();
        derived
            .identifiers
            .insert(CredentialsType::Code, identifiers);
    }
    derived.code_addresses = code;
    Ok(derived)
}

impl Identity {
    /// Validates the traits against the identity's schema (the default schema if
    /// `schema_id` is empty, which it then names) and applies what the schema derives:
    /// see [`Identity::apply_derived`].
    ///
    /// Fails with `UnknownSchema` or `Validation`; the identity is unchanged on failure
    /// except for an empty `schema_id` being filled in.
    pub fn validate(
        &mut self,
        schemas: &SchemaRegistry,
        now: OffsetDateTime,
    ) -> Result<(), IdentityError> {
        if self.schema_id.is_empty() {
            self.schema_id = schemas.default_id().to_owned();
        }
        let schema = schemas
            .get(&self.schema_id)
            .ok_or_else(|| IdentityError::UnknownSchema(self.schema_id.clone()))?
            .clone();
        self.validate_against(&schema, now)
    }

    /// [`Identity::validate`] with a given schema.
    pub fn validate_against(
        &mut self,
        schema: &IdentitySchema,
        now: OffsetDateTime,
    ) -> Result<(), IdentityError> {
        schema
            .validate_traits(&self.traits)
            .map_err(IdentityError::Validation)?;
        let derived = derive(schema, &self.traits).map_err(IdentityError::Validation)?;
        self.apply_derived(derived, now);
        Ok(())
    }

    /// Folds derived identifiers and addresses into the identity, as Kratos does:
    ///
    /// - each credential type with derived identifiers gets exactly those identifiers; a
    ///   missing credential is created with an empty config (`{}`), the code credential
    ///   with version 1 and its addresses as config, the webauthn credential with version 1
    ///   and the identity's ID (base64) as `user_handle`. Types with no derived identifier
    ///   keep theirs.
    /// - verifiable and recovery addresses become those the traits hold, in schema field
    ///   order; an address already present (same via and value) keeps its ID, verification
    ///   state and timestamps, a new one starts unverified (`pending`).
    pub fn apply_derived(&mut self, derived: Derived, now: OffsetDateTime) {
        let now = timestamp::truncate(now);
        let user_handle =
            base64::engine::general_purpose::STANDARD.encode(self.id.as_uuid().as_bytes());
        for (credentials_type, identifiers) in derived.identifiers {
            let credentials = self.credentials.entry(credentials_type).or_insert_with(|| {
                let mut created = Credentials::new(credentials_type, json!({}), now);
                match credentials_type {
                    CredentialsType::Code => created.version = 1,
                    // Kratos upgrades a fresh webauthn credential to version 1 on every
                    // read, adding the identity's ID as its WebAuthn user handle.
                    CredentialsType::Webauthn => {
                        created.version = 1;
                        created.config = json!({ "user_handle": user_handle });
                    }
                    _ => {}
                }
                created
            });
            let mut changed = credentials.identifiers != identifiers;
            credentials.identifiers = identifiers;
            if credentials_type == CredentialsType::Code {
                let config = json!({ "addresses": derived.code_addresses });
                if credentials.config != config {
                    credentials.config = config;
                    changed = true;
                }
            }
            if changed {
                credentials.updated_at = now;
            }
        }
        self.verifiable_addresses = derived
            .verifiable
            .into_iter()
            .map(|(via, value)| {
                self.verifiable_address(via, &value)
                    .cloned()
                    .unwrap_or_else(|| VerifiableAddress::new(via, &value, now))
            })
            .collect();
        self.recovery_addresses = derived
            .recovery
            .into_iter()
            .map(|(via, value)| {
                self.recovery_address(via, &value)
                    .cloned()
                    .unwrap_or_else(|| RecoveryAddress::new(via, &value, now))
            })
            .collect();
    }
}

fn push_unique(list: &mut Vec<(AddressVia, String)>, via: AddressVia, raw: &str) {
    let value = normalize::address(raw);
    if !list
        .iter()
        .any(|(v, existing)| *v == via && *existing == value)
    {
        list.push((via, value));
    }
}

static EMAIL_FORMAT: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&json!({"type": "string", "format": "email"}))
        .expect("the email format schema compiles")
});

/// The JSON Schema `email` format, as identity schemas and submission forms check it.
pub(crate) fn is_email(value: &str) -> bool {
    EMAIL_FORMAT.is_valid(&Value::String(value.to_owned()))
}

fn not_an_email(field: &AnnotatedField, value: &str) -> Violation {
    violation(
        field,
        format!("\"{value}\" is not valid \"email\""),
        Some(ViolationKind::Format {
            format: "email".into(),
            value: value.to_owned(),
        }),
    )
}

fn violation(field: &AnnotatedField, message: String, kind: Option<ViolationKind>) -> Violation {
    let mut pointer = String::from("/traits");
    for segment in &field.path {
        if let PathSegment::Property(name) = segment {
            pointer.push('/');
            pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
    }
    Violation {
        instance_path: pointer,
        kind: kind.unwrap_or_else(|| ViolationKind::Other {
            reason: message.clone(),
        }),
        message,
    }
}
