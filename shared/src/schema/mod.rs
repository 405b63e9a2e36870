//! Identity schemas: JSON Schema documents with Kratos's `ory.sh/kratos` extension.
//!
//! Schemas are fetched and compiled once per cold start into a [`SchemaRegistry`]. The
//! extension tells which traits are credential identifiers and which are verifiable or
//! recovery addresses; [`IdentitySchema::trait_annotations`] reads those from a set of
//! traits so the identity module can derive identifiers and addresses.

mod loader;
mod violations;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

pub use loader::{LoadError, fetch_schema_document};
pub use violations::{Violation, ViolationKind};

/// The schema used when no identity schema is configured: an email that is the password
/// identifier and the verification and recovery address, plus an optional name.
pub const BUILTIN_DEFAULT_SCHEMA: &str = include_str!("default.schema.json");

/// One segment of the path from `traits` to an annotated field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Property(String),
    /// Every element of an array.
    EachItem,
}

/// What the `ory.sh/kratos` extension says about one field of the traits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldExtension {
    pub password_identifier: bool,
    pub webauthn_identifier: bool,
    pub passkey_display_name: bool,
    pub totp_account_name: bool,
    /// `credentials.code.identifier` with its `via` (`email` or `sms`).
    pub code_identifier_via: Option<String>,
    /// `verification.via`: `email` or `sms`.
    pub verification_via: Option<String>,
    /// `recovery.via`: `email` or `sms`.
    pub recovery_via: Option<String>,
    /// The field's JSON Schema `format`, used to normalise identifiers.
    pub format: Option<String>,
}

impl FieldExtension {
    fn is_empty(&self) -> bool {
        let Self { format: _, .. } = self;
        !(self.password_identifier
            || self.webauthn_identifier
            || self.passkey_display_name
            || self.totp_account_name
            || self.code_identifier_via.is_some()
            || self.verification_via.is_some()
            || self.recovery_via.is_some())
    }
}

/// An annotated field of the traits: where it is and what the extension says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotatedField {
    pub path: Vec<PathSegment>,
    /// The property path in dotted form (`email`, `emails`), as Kratos names nodes.
    pub dotted: String,
    pub extension: FieldExtension,
}

/// A value found in a set of traits at an annotated field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotatedValue<'a> {
    pub value: String,
    pub field: &'a AnnotatedField,
}

/// A compiled identity schema.
pub struct IdentitySchema {
    pub id: String,
    /// The URL it was loaded from, as configured.
    pub source_url: String,
    /// The document as served by `GET /schemas/{id}`.
    pub document: Value,
    pub fields: Vec<AnnotatedField>,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for IdentitySchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentitySchema")
            .field("id", &self.id)
            .field("source_url", &self.source_url)
            .field("fields", &self.fields)
            .finish()
    }
}

impl IdentitySchema {
    /// Compiles `document`. Fails if it is not a valid JSON Schema, has no `traits`
    /// object property, or carries a malformed extension.
    pub fn compile(id: &str, source_url: &str, document: Value) -> Result<Self, LoadError> {
        let invalid = |message: String| LoadError::Invalid {
            id: id.to_owned(),
            message,
        };
        let traits = document
            .get("properties")
            .and_then(|p| p.get("traits"))
            .ok_or_else(|| invalid("the schema has no `properties.traits`".into()))?;
        if traits.get("type").and_then(Value::as_str) != Some("object") {
            return Err(invalid(
                "`properties.traits` must have `type: object`".into(),
            ));
        }
        let mut fields = Vec::new();
        collect_fields(traits, &mut Vec::new(), &mut fields).map_err(invalid)?;
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .with_format("tel", violations::is_e164)
            .build(&document)
            .map_err(|e| invalid(format!("not a valid JSON Schema: {e}")))?;
        Ok(Self {
            id: id.to_owned(),
            source_url: source_url.to_owned(),
            document,
            fields,
            validator,
        })
    }

    /// Validates a whole identity document (`{"traits": ...}`) and lists every violation.
    pub fn validate_traits(&self, traits: &Value) -> Result<(), Vec<Violation>> {
        let instance = serde_json::json!({ "traits": traits });
        let violations: Vec<Violation> = self
            .validator
            .iter_errors(&instance)
            .map(|error| Violation::from_error(&error))
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }

    /// Every string value in `traits` that sits at an annotated field.
    pub fn trait_annotations<'a>(&'a self, traits: &Value) -> Vec<AnnotatedValue<'a>> {
        let mut found = Vec::new();
        for field in &self.fields {
            let mut values = Vec::new();
            collect_values(traits, &field.path, &mut values);
            for value in values {
                found.push(AnnotatedValue { value, field });
            }
        }
        found
    }
}

fn collect_fields(
    schema: &Value,
    path: &mut Vec<PathSegment>,
    out: &mut Vec<AnnotatedField>,
) -> Result<(), String> {
    if let Some(extension) = schema.get("ory.sh/kratos") {
        let parsed = parse_extension(extension, schema).map_err(|e| {
            format!(
                "invalid `ory.sh/kratos` extension at traits.{}: {e}",
                dotted(path)
            )
        })?;
        if !parsed.is_empty() {
            out.push(AnnotatedField {
                path: path.clone(),
                dotted: dotted(path),
                extension: parsed,
            });
        }
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            path.push(PathSegment::Property(name.clone()));
            collect_fields(child, path, out)?;
            path.pop();
        }
    }
    if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
        path.push(PathSegment::EachItem);
        collect_fields(items, path, out)?;
        path.pop();
    }
    Ok(())
}

fn dotted(path: &[PathSegment]) -> String {
    path.iter()
        .filter_map(|segment| match segment {
            PathSegment::Property(name) => Some(name.as_str()),
            PathSegment::EachItem => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn parse_extension(extension: &Value, field_schema: &Value) -> Result<FieldExtension, String> {
    let object = extension
        .as_object()
        .ok_or_else(|| "must be an object".to_owned())?;
    let flag = |value: Option<&Value>, name: &str| -> Result<bool, String> {
        match value {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("`{name}` must be a boolean")),
        }
    };
    let via = |value: Option<&Value>, name: &str| -> Result<Option<String>, String> {
        match value {
            None => Ok(None),
            Some(Value::String(s)) if s == "email" || s == "sms" => Ok(Some(s.clone())),
            Some(_) => Err(format!("`{name}` must be `email` or `sms`")),
        }
    };
    let mut parsed = FieldExtension {
        format: field_schema
            .get("format")
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..FieldExtension::default()
    };
    if let Some(credentials) = object.get("credentials") {
        let credentials = credentials
            .as_object()
            .ok_or_else(|| "`credentials` must be an object".to_owned())?;
        let get = |method: &str, key: &str| credentials.get(method).and_then(|m| m.get(key));
        parsed.password_identifier = flag(
            get("password", "identifier"),
            "credentials.password.identifier",
        )?;
        parsed.webauthn_identifier = flag(
            get("webauthn", "identifier"),
            "credentials.webauthn.identifier",
        )?;
        parsed.passkey_display_name = flag(
            get("passkey", "display_name"),
            "credentials.passkey.display_name",
        )?;
        parsed.totp_account_name =
            flag(get("totp", "account_name"), "credentials.totp.account_name")?;
        if flag(get("code", "identifier"), "credentials.code.identifier")? {
            parsed.code_identifier_via = Some(
                via(get("code", "via"), "credentials.code.via")?.unwrap_or_else(|| "email".into()),
            );
        }
    }
    parsed.verification_via = via(
        object.get("verification").and_then(|v| v.get("via")),
        "verification.via",
    )?;
    parsed.recovery_via = via(
        object.get("recovery").and_then(|v| v.get("via")),
        "recovery.via",
    )?;
    Ok(parsed)
}

fn collect_values(node: &Value, path: &[PathSegment], out: &mut Vec<String>) {
    match path.split_first() {
        None => match node {
            Value::String(s) => out.push(s.clone()),
            Value::Number(n) => out.push(n.to_string()),
            _ => {}
        },
        Some((PathSegment::Property(name), rest)) => {
            if let Some(child) = node.get(name) {
                collect_values(child, rest, out);
            }
        }
        Some((PathSegment::EachItem, rest)) => {
            if let Some(items) = node.as_array() {
                for item in items {
                    collect_values(item, rest, out);
                }
            }
        }
    }
}

/// Every configured identity schema, compiled.
#[derive(Debug, Clone)]
pub struct SchemaRegistry {
    schemas: BTreeMap<String, Arc<IdentitySchema>>,
    default_id: String,
}

impl SchemaRegistry {
    pub fn new(schemas: Vec<IdentitySchema>, default_id: &str) -> Result<Self, LoadError> {
        let schemas: BTreeMap<String, Arc<IdentitySchema>> = schemas
            .into_iter()
            .map(|s| (s.id.clone(), Arc::new(s)))
            .collect();
        if !schemas.contains_key(default_id) {
            return Err(LoadError::Invalid {
                id: default_id.to_owned(),
                message: "the default schema is not configured".into(),
            });
        }
        Ok(Self {
            schemas,
            default_id: default_id.to_owned(),
        })
    }

    /// The registry of the built-in default schema alone.
    pub fn builtin() -> Self {
        let document =
            serde_json::from_str(BUILTIN_DEFAULT_SCHEMA).expect("built-in schema is JSON");
        let schema = IdentitySchema::compile("default", "builtin://default", document)
            .expect("built-in schema compiles");
        Self::new(vec![schema], "default").expect("default present")
    }

    /// Fetches and compiles every schema in `config`, or the built-in one if none is configured.
    /// Relative `file://` paths resolve against `base_dir` first, then the working directory.
    pub async fn load(
        config: &crate::config::IdentityConfig,
        base_dir: Option<&std::path::Path>,
    ) -> Result<Self, LoadError> {
        if config.schemas.is_empty() {
            return Ok(Self::builtin());
        }
        let mut compiled = Vec::with_capacity(config.schemas.len());
        for entry in &config.schemas {
            let document = fetch_schema_document(&entry.id, &entry.url, base_dir).await?;
            compiled.push(IdentitySchema::compile(&entry.id, &entry.url, document)?);
        }
        Self::new(compiled, &config.default_schema_id)
    }

    pub fn default_schema(&self) -> &Arc<IdentitySchema> {
        &self.schemas[&self.default_id]
    }

    pub fn default_id(&self) -> &str {
        &self.default_id
    }

    pub fn get(&self, id: &str) -> Option<&Arc<IdentitySchema>> {
        self.schemas.get(id)
    }

    /// Looks a schema up by its ID or by the URL-safe base64 of its ID, as Kratos's
    /// `schema_url` links carry it.
    pub fn find(&self, id_or_encoded: &str) -> Option<&Arc<IdentitySchema>> {
        use base64::Engine;
        self.get(id_or_encoded).or_else(|| {
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(id_or_encoded.trim_end_matches('='))
                .ok()?;
            self.get(std::str::from_utf8(&decoded).ok()?)
        })
    }

    /// All schemas in ID order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<IdentitySchema>> {
        self.schemas.values()
    }

    pub fn len(&self) -> usize {
        self.schemas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
    }
}

/// The `schema_url` of an identity: the public URL of its schema, ID base64-encoded.
pub fn schema_url(public_base: &url::Url, schema_id: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(schema_id);
    let base = public_base.as_str().trim_end_matches('/');
    format!("{base}/schemas/{encoded}")
}

#[cfg(test)]
mod tests;
