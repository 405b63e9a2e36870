//! Form nodes derived from an identity schema, the way Kratos derives them: one input per
//! leaf property of the schema (`traits.email`, `traits.name.first`, ...), typed after the
//! property's JSON Schema `type` and `format`, required as the parent's `required` says,
//! labelled with its `title`. Also the login identifier's label and the schema's key
//! order that node sorting follows.

use serde_json::{Map, Value};

use super::node::{Autocomplete, InputType, UiNode, UiNodeGroup};
use super::text::{self, UiText};
use crate::schema::{IdentitySchema, PathSegment};

/// How deep `$ref`s are followed before a cycle is assumed.
const MAX_REF_DEPTH: usize = 16;

/// What the schema says about one leaf property.
#[derive(Debug, Clone, PartialEq)]
struct LeafPath {
    name: String,
    kind: LeafKind,
    format: Option<String>,
    pattern: Option<String>,
    title: Option<String>,
    required: bool,
    form_type: FormFieldType,
}

/// The type class Kratos infers for a path (its "type hint").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LeafKind {
    String,
    Number,
    Boolean,
    /// An array of strings, numbers or booleans: rendered as a single text input.
    ScalarArray,
}

/// How a form field's text becomes JSON, by the type the schema gives its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormFieldType {
    String,
    Number,
    Integer,
    Boolean,
    /// Repeated fields collect into an array whose items have this type.
    Array(FormScalar),
}

/// The item type of an array field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormScalar {
    String,
    Number,
    Integer,
    Boolean,
}

/// The type of every leaf path of an identity schema document (`traits.age` → `Integer`),
/// for turning `application/x-www-form-urlencoded` submissions into JSON, as Kratos's form
/// decoder does with the schema at hand.
pub fn form_field_types(document: &Value) -> Vec<(String, FormFieldType)> {
    let mut paths = Vec::new();
    collect_paths(document, document, &mut Vec::new(), None, 0, &mut paths);
    let mut seen = std::collections::HashSet::new();
    paths
        .into_iter()
        .filter(|p| seen.insert(p.name.clone()))
        .map(|p| (p.name, p.form_type))
        .collect()
}

fn scalar_type(schema: &Value) -> Option<FormScalar> {
    match single_type(schema)? {
        Ok("string") => Some(FormScalar::String),
        Ok("number") => Some(FormScalar::Number),
        Ok("integer") => Some(FormScalar::Integer),
        Ok("boolean") => Some(FormScalar::Boolean),
        _ => None,
    }
}

fn form_type(root: &Value, schema: &Value, kind: LeafKind) -> FormFieldType {
    match kind {
        LeafKind::String => FormFieldType::String,
        LeafKind::Boolean => FormFieldType::Boolean,
        LeafKind::Number => match scalar_type(schema) {
            Some(FormScalar::Integer) => FormFieldType::Integer,
            _ => match schema.get("const") {
                Some(Value::Number(n)) if n.is_i64() || n.is_u64() => FormFieldType::Integer,
                _ => FormFieldType::Number,
            },
        },
        LeafKind::ScalarArray => {
            let item = schema
                .get("items")
                .map(|items| resolve_ref(root, items).unwrap_or(items))
                .and_then(scalar_type)
                .unwrap_or(FormScalar::String);
            FormFieldType::Array(item)
        }
    }
}

/// One input per leaf property of `schema` (the whole identity schema, so names start with
/// `traits.`), in schema order, in `group`. Objects and arrays of objects produce no node
/// of their own; properties with several types produce none, as in Kratos.
pub fn trait_nodes(schema: &IdentitySchema, group: UiNodeGroup) -> Vec<UiNode> {
    nodes_from_document(&schema.document, group)
}

/// [`trait_nodes`] on a raw schema document.
pub fn nodes_from_document(document: &Value, group: UiNodeGroup) -> Vec<UiNode> {
    let mut paths = Vec::new();
    collect_paths(document, document, &mut Vec::new(), None, 0, &mut paths);
    // Kratos lists each path once, even when `allOf`/`anyOf` branches repeat it.
    let mut seen = std::collections::HashSet::new();
    paths.retain(|p| seen.insert(p.name.clone()));
    paths.into_iter().map(|p| node_for(p, group)).collect()
}

fn node_for(path: LeafPath, group: UiNodeGroup) -> UiNode {
    let mut input_type = match path.kind {
        LeafKind::Number => InputType::Number,
        LeafKind::Boolean => InputType::Checkbox,
        LeafKind::String | LeafKind::ScalarArray => InputType::Text,
    };
    let mut autocomplete = None;
    match path.format.as_deref() {
        Some("date-time") => input_type = InputType::DatetimeLocal,
        Some("email") => {
            input_type = InputType::Email;
            autocomplete = Some(Autocomplete::Email);
        }
        Some("tel") => {
            input_type = InputType::Tel;
            autocomplete = Some(Autocomplete::Tel);
        }
        Some("date") => input_type = InputType::Date,
        Some("uri") => {
            input_type = InputType::Url;
            autocomplete = Some(Autocomplete::Url);
        }
        Some("regex") => input_type = InputType::Text,
        _ => {}
    }
    let mut node = UiNode::input(path.name, input_type, group, None);
    if path.required {
        node = node.with_required();
    }
    if let Some(autocomplete) = autocomplete {
        node = node.with_autocomplete(autocomplete);
    }
    if let Some(pattern) = path.pattern {
        node = node.with_pattern(pattern);
    }
    if let Some(title) = path.title.filter(|t| !t.is_empty()) {
        node = node.with_label(text::label_generated(&title));
    }
    node
}

/// Follows a local `$ref` (`#/definitions/x`, `#/$defs/x`, any JSON pointer).
fn resolve_ref<'a>(root: &'a Value, schema: &'a Value) -> Option<&'a Value> {
    let reference = schema.get("$ref")?.as_str()?;
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

fn single_type(schema: &Value) -> Option<Result<&str, usize>> {
    match schema.get("type")? {
        Value::String(t) => Some(Ok(t.as_str())),
        Value::Array(types) if types.len() == 1 => types[0].as_str().map(Ok),
        Value::Array(types) => Some(Err(types.len())),
        _ => None,
    }
}

fn leaf_kind(root: &Value, schema: &Value) -> Option<LeafKind> {
    if let Some(constant) = schema.get("const") {
        return match constant {
            Value::String(_) => Some(LeafKind::String),
            Value::Number(_) => Some(LeafKind::Number),
            Value::Bool(_) => Some(LeafKind::Boolean),
            _ => None,
        };
    }
    let has_default = schema.get("default").is_some();
    match single_type(schema)? {
        // Kratos keeps untyped paths only when they carry a default, as plain text inputs.
        Ok("null") | Err(2) if has_default => Some(LeafKind::String),
        Ok("string") => Some(LeafKind::String),
        Ok("number") | Ok("integer") => Some(LeafKind::Number),
        Ok("boolean") => Some(LeafKind::Boolean),
        Ok("array") => {
            let items = schema.get("items")?;
            let items = resolve_ref(root, items).unwrap_or(items);
            match single_type(items)? {
                Ok("string") | Ok("number") | Ok("integer") | Ok("boolean") => {
                    Some(LeafKind::ScalarArray)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn collect_paths(
    root: &Value,
    schema: &Value,
    parents: &mut Vec<String>,
    parent: Option<&Value>,
    depth: usize,
    out: &mut Vec<LeafPath>,
) {
    if depth > MAX_REF_DEPTH {
        return;
    }
    if let (Some(name), Some(kind)) = (parents.last(), leaf_kind(root, schema)) {
        let required = parent
            .and_then(|p| p.get("required"))
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|v| v.as_str() == Some(name)));
        out.push(LeafPath {
            name: parents.join("."),
            kind,
            format: schema
                .get("format")
                .and_then(Value::as_str)
                .map(str::to_owned),
            pattern: schema
                .get("pattern")
                .and_then(Value::as_str)
                .map(str::to_owned),
            title: schema
                .get("title")
                .and_then(Value::as_str)
                .map(str::to_owned),
            required,
            form_type: form_type(root, schema, kind),
        });
    }
    if let Some(target) = resolve_ref(root, schema) {
        collect_paths(root, target, parents, Some(schema), depth + 1, out);
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        if let Some(branches) = schema.get(combinator).and_then(Value::as_array) {
            for branch in branches {
                collect_paths(root, branch, parents, Some(schema), depth + 1, out);
            }
        }
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            if !child.is_object() {
                continue;
            }
            parents.push(name.clone());
            collect_paths(root, child, parents, Some(schema), depth, out);
            parents.pop();
        }
    }
}

/// The schema's leaf keys in document order (`traits.email`, `traits.name.first`, ...),
/// which Kratos sorts schema-derived nodes by. Dots inside property names are escaped
/// as `\.`, as in Kratos.
pub fn schema_key_order(document: &Value) -> Vec<String> {
    let mut keys = Vec::new();
    key_positions(document, &mut Vec::new(), &mut keys);
    keys
}

fn key_positions(schema: &Value, parents: &mut Vec<String>, out: &mut Vec<String>) {
    let is_object = schema.get("type").and_then(Value::as_str) == Some("object");
    if is_object {
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, child) in properties {
                parents.push(name.replace('.', "\\."));
                key_positions(child, parents, out);
                parents.pop();
            }
        }
    } else {
        out.push(parents.join("."));
    }
}

/// The label of the login `identifier` input: the `title` of the schema's identifier field
/// when exactly one identifier field has a title, else the generic "ID" label.
pub fn identifier_label(schema: &IdentitySchema) -> UiText {
    let traits = schema
        .document
        .get("properties")
        .and_then(|p| p.get("traits"));
    let titles: Vec<&str> = schema
        .fields
        .iter()
        .filter(|field| {
            let e = &field.extension;
            e.password_identifier
                || e.webauthn_identifier
                || e.passkey_display_name
                || e.totp_account_name
                || e.code_identifier_via.is_some()
        })
        .filter_map(|field| {
            let node = traits.and_then(|t| schema_at(t, &field.path))?;
            node.get("title")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
        })
        .collect();
    match titles.as_slice() {
        [title] => text::label_generated(title),
        _ => text::label_id(),
    }
}

/// The sub-schema at `path` below `schema` (through `properties` and `items`).
fn schema_at<'a>(schema: &'a Value, path: &[PathSegment]) -> Option<&'a Value> {
    path.iter().try_fold(schema, |node, segment| match segment {
        PathSegment::Property(name) => node.get("properties")?.get(name),
        PathSegment::EachItem => node.get("items"),
    })
}

/// Flattens a JSON object into `prefix.key.sub` paths the way Kratos names form fields:
/// arrays are indexed (`emails.0`), dots inside keys are escaped as `\.`, and only scalar
/// leaves are listed.
pub fn flatten(value: &Value, prefix: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut parents: Vec<String> = if prefix.is_empty() {
        Vec::new()
    } else {
        vec![prefix.to_owned()]
    };
    if value.is_object() {
        flatten_into(value, &mut parents, &mut out);
    }
    out
}

fn flatten_into(value: &Value, parents: &mut Vec<String>, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => flatten_object(map, parents, out),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                parents.push(index.to_string());
                flatten_into(item, parents, out);
                parents.pop();
            }
        }
        scalar => out.push((parents.join("."), scalar.clone())),
    }
}

fn flatten_object(
    map: &Map<String, Value>,
    parents: &mut Vec<String>,
    out: &mut Vec<(String, Value)>,
) {
    for (key, child) in map {
        parents.push(key.replace('.', "\\."));
        flatten_into(child, parents, out);
        parents.pop();
    }
}
