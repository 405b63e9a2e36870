//! RFC 6902 JSON Patch on an identity, with Kratos's admissions:
//!
//! - only `add`, `remove` and `replace` are accepted (Kratos refuses `move`, `copy` and
//!   `test` as unsupported);
//! - `/id` and `/credentials` cannot be patched (nor, here, anything under
//!   `/credentials/`; Kratos silently drops such changes instead);
//! - a `replace` of a path that does not end in an array index acts as an `add`, and an
//!   `add` creates the missing objects and arrays on its way, so patching a key that is not
//!   there yet works;
//! - the patch applies to the identity's admin view without credentials, and only the
//!   fields an operator owns are taken back: schema, state (and when it changed), traits,
//!   metadata, addresses and organization. Timestamps and the schema URL are recomputed.
//!
//! The patching is done by the `json-patch` crate; this module only decides what to feed it.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use super::import::{RecoveryAddressImport, VerifiableAddressImport};
use super::timestamp;

/// Paths Kratos refuses to patch (its list has `/stateChangedAt` too, a path no identity
/// document has).
const DENIED_PATHS: [&str; 3] = ["/id", "/stateChangedAt", "/credentials"];

/// Why a JSON Patch was refused or could not be applied. Messages follow Kratos's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The body is not a JSON array of patch operations.
    #[error("{0}")]
    Malformed(String),
    /// An operation other than add, remove or replace.
    #[error("unsupported operation: {0}")]
    UnsupportedOperation(String),
    /// A path that must not be patched.
    #[error("patch includes denied path: {0}")]
    DeniedPath(String),
    /// An operation failed (a missing path to remove, an index out of range), or the
    /// patched document no longer has an identity's shape.
    #[error("{0}")]
    Failed(String),
}

/// A parsed, admitted patch, ready to apply to as many documents as needed (a retry after
/// a concurrent change applies it again to the fresh identity).
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityPatch {
    operations: Vec<json_patch::PatchOperation>,
}

impl IdentityPatch {
    /// Parses a request body. An empty body is malformed, as in Kratos.
    pub fn parse(body: &[u8]) -> Result<IdentityPatch, PatchError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(PatchError::Malformed("unexpected end of JSON input".into()));
        }
        let document: Value =
            serde_json::from_slice(body).map_err(|e| PatchError::Malformed(e.to_string()))?;
        let Value::Array(raw) = document else {
            return Err(PatchError::Malformed(
                "a JSON Patch must be an array of operations".into(),
            ));
        };
        let mut operations = Vec::with_capacity(raw.len());
        for (index, raw) in raw.into_iter().enumerate() {
            operations.push(admit(index, raw)?);
        }
        Ok(IdentityPatch { operations })
    }

    /// Applies the patch to `document` (an identity's admin view as JSON).
    pub fn apply(&self, document: &mut Value) -> Result<(), PatchError> {
        for operation in &self.operations {
            if let json_patch::PatchOperation::Add(add) = operation {
                ensure_parents(document, add.path.as_str());
            }
            json_patch::patch(document, std::slice::from_ref(operation))
                .map_err(|e| PatchError::Failed(e.to_string()))?;
        }
        Ok(())
    }
}

fn admit(index: usize, raw: Value) -> Result<json_patch::PatchOperation, PatchError> {
    let Value::Object(mut fields) = raw else {
        return Err(PatchError::Malformed(format!(
            "error parsing patch operations: operation {index} is not an object"
        )));
    };
    let kind = fields
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_owned();
    if !matches!(kind.as_str(), "add" | "remove" | "replace") {
        return Err(PatchError::UnsupportedOperation(kind));
    }
    let path = match fields.get("path") {
        Some(Value::String(path)) => path.clone(),
        _ => {
            return Err(PatchError::Malformed(format!(
                "error parsing patch operations: operation {index} has no path"
            )));
        }
    };
    if DENIED_PATHS.contains(&path.as_str()) || path.starts_with("/credentials/") {
        return Err(PatchError::DeniedPath(path));
    }
    if kind != "remove" && !fields.contains_key("value") {
        return Err(PatchError::Malformed(format!(
            "error parsing patch operations: operation {index} ({kind} {path}) has no value"
        )));
    }
    let kind = if kind == "replace" && !is_element_access(&path) {
        "add".to_owned()
    } else {
        kind
    };
    let mut operation = Map::new();
    operation.insert("op".into(), Value::String(kind));
    operation.insert("path".into(), Value::String(path));
    if let Some(value) = fields.remove("value") {
        operation.insert("value".into(), value);
    }
    serde_json::from_value(Value::Object(operation)).map_err(|e| {
        PatchError::Malformed(format!(
            "error parsing patch operations: operation {index}: {e}"
        ))
    })
}

/// Whether a path ends in an array position (`/emails/0`, `/emails/-`).
fn is_element_access(path: &str) -> bool {
    match path.rsplit_once('/') {
        Some((_, last)) => last == "-" || last.parse::<i64>().is_ok(),
        None => false,
    }
}

/// Creates the containers an `add` at `path` needs: a missing (or `null`) step becomes an
/// array when the next token is an index or `-`, an object otherwise.
fn ensure_parents(document: &mut Value, path: &str) {
    let tokens: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    if tokens.len() < 2 {
        return;
    }
    let mut current = document;
    for (position, token) in tokens[..tokens.len() - 1].iter().enumerate() {
        let next_is_index = {
            let next = &tokens[position + 1];
            next == "-" || next.parse::<usize>().is_ok()
        };
        let fresh = || {
            if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        };
        current = match current {
            Value::Object(map) => {
                let slot = map.entry(token.clone()).or_insert(Value::Null);
                if slot.is_null() {
                    *slot = fresh();
                }
                slot
            }
            Value::Array(items) => match token.parse::<usize>() {
                Ok(index) if index < items.len() => {
                    if items[index].is_null() {
                        items[index] = fresh();
                    }
                    &mut items[index]
                }
                // Leave it to the patch to report the bad index.
                _ => return,
            },
            _ => return,
        };
    }
}

/// The parts of a patched identity document an operator may change.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PatchedIdentity {
    #[serde(default)]
    pub schema_id: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default, with = "timestamp::option")]
    pub state_changed_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub traits: Option<Value>,
    #[serde(default)]
    pub metadata_public: Option<Value>,
    #[serde(default)]
    pub metadata_admin: Option<Value>,
    #[serde(default)]
    pub verifiable_addresses: Option<Vec<VerifiableAddressImport>>,
    #[serde(default)]
    pub recovery_addresses: Option<Vec<RecoveryAddressImport>>,
    #[serde(default)]
    pub organization_id: Option<Uuid>,
}

impl PatchedIdentity {
    /// Reads a patched document back. Fails if a field has the wrong type.
    pub fn from_document(document: Value) -> Result<PatchedIdentity, PatchError> {
        serde_path_to_error::deserialize(document).map_err(|e| PatchError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patched(document: Value, patch: Value) -> Result<Value, PatchError> {
        let patch = IdentityPatch::parse(patch.to_string().as_bytes())?;
        let mut document = document;
        patch.apply(&mut document)?;
        Ok(document)
    }

    #[test]
    fn only_add_remove_and_replace_are_admitted() {
        for op in ["move", "copy", "test"] {
            let error = IdentityPatch::parse(
                json!([{"op": op, "path": "/traits", "from": "/x", "value": 1}])
                    .to_string()
                    .as_bytes(),
            )
            .unwrap_err();
            assert_eq!(error.to_string(), format!("unsupported operation: {op}"));
        }
        let error = IdentityPatch::parse(br#"[{"path": "/traits"}]"#).unwrap_err();
        assert_eq!(error.to_string(), "unsupported operation: unknown");
    }

    #[test]
    fn protected_paths_are_refused_with_kratos_message() {
        for path in ["/id", "/credentials", "/credentials/password/config"] {
            let error = IdentityPatch::parse(
                json!([{"op": "replace", "path": path, "value": "x"}])
                    .to_string()
                    .as_bytes(),
            )
            .unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("patch includes denied path: {path}")
            );
        }
    }

    #[test]
    fn empty_and_non_array_bodies_are_malformed() {
        assert_eq!(
            IdentityPatch::parse(b"").unwrap_err().to_string(),
            "unexpected end of JSON input"
        );
        assert!(matches!(
            IdentityPatch::parse(b"{}"),
            Err(PatchError::Malformed(_))
        ));
        assert!(matches!(
            IdentityPatch::parse(b"[1]"),
            Err(PatchError::Malformed(_))
        ));
        assert!(matches!(
            IdentityPatch::parse(br#"[{"op":"add","path":"/x"}]"#),
            Err(PatchError::Malformed(_))
        ));
        assert!(matches!(
            IdentityPatch::parse(br#"[{"op":"add","path":"no-slash","value":1}]"#),
            Err(PatchError::Malformed(_))
        ));
    }

    #[test]
    fn replace_of_a_missing_key_adds_it_and_add_creates_parents() {
        let document = json!({"traits": {"email": "a@b.c"}, "metadata_public": null});
        let result = patched(
            document,
            json!([
                {"op": "replace", "path": "/metadata_admin", "value": {"a": 1}},
                {"op": "add", "path": "/metadata_public/nested/deep", "value": true},
                {"op": "add", "path": "/traits/emails/0", "value": "x@y.z"},
            ]),
        )
        .unwrap();
        assert_eq!(result["metadata_admin"], json!({"a": 1}));
        assert_eq!(result["metadata_public"], json!({"nested": {"deep": true}}));
        assert_eq!(result["traits"]["emails"], json!(["x@y.z"]));
    }

    #[test]
    fn replace_of_a_missing_array_element_fails() {
        let error = patched(
            json!({"traits": {"emails": []}}),
            json!([{"op": "replace", "path": "/traits/emails/3", "value": "x"}]),
        )
        .unwrap_err();
        assert!(matches!(error, PatchError::Failed(_)), "{error:?}");
    }

    #[test]
    fn removing_a_missing_path_fails() {
        let error = patched(json!({}), json!([{"op": "remove", "path": "/traits/x"}])).unwrap_err();
        assert!(matches!(error, PatchError::Failed(_)));
    }

    #[test]
    fn a_patched_document_with_wrong_types_does_not_read_back() {
        let error = PatchedIdentity::from_document(json!({"state": 5})).unwrap_err();
        assert!(error.to_string().contains("state"), "{error}");
        let read = PatchedIdentity::from_document(json!({
            "id": "ignored", "schema_url": "ignored", "created_at": "ignored",
            "state": "inactive", "traits": {"a": 1}
        }))
        .unwrap();
        assert_eq!(read.state.as_deref(), Some("inactive"));
    }
}
