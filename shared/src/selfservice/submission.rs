//! A submitted self-service form, as JSON whatever way it arrived.
//!
//! Browsers post `application/x-www-form-urlencoded`; scripts and native apps post
//! `application/json`. Like Kratos's form decoder, form fields named with dots
//! (`traits.name.first`) become nested objects and take the JSON type the identity schema
//! gives their path (`traits.age=42` is the number 42, a checkbox's `true` the boolean),
//! so that strategies read one shape and validation messages are the same for both.
//!
//! Reading a field checks its type: a missing required field is message 4000002 and a
//! field of the wrong type 4000026, both on the field's node, as Kratos's payload schemas
//! report them.

use serde_json::{Map, Number, Value};

use crate::schema::IdentitySchema;
use crate::ui::{FormFieldType, FormScalar, UiText, form_field_types, text};

/// Why a request body could not be read as a submission. Kratos reports these as a
/// generic message (4000001) on the flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request body must be a JSON object")]
    NotAnObject,
    #[error("the request body is not a valid form: {0}")]
    MalformedForm(String),
    #[error(
        "the request's Content-Type must be application/json or application/x-www-form-urlencoded"
    )]
    UnsupportedMediaType,
}

/// A message for one field of the form (`None`: for the form as a whole).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMessage {
    pub field: Option<String>,
    /// Boxed: results carrying a message stay small.
    pub message: Box<UiText>,
}

impl FieldMessage {
    pub fn on(field: impl Into<String>, message: UiText) -> Self {
        Self {
            field: Some(field.into()),
            message: Box::new(message),
        }
    }

    pub fn form(message: UiText) -> Self {
        Self {
            field: None,
            message: Box::new(message),
        }
    }
}

/// The submitted body, as a JSON object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Submission {
    body: Map<String, Value>,
    /// Why the body could not be read, if it could not; the flow reports it on the form.
    error: Option<BodyError>,
}

impl Submission {
    pub fn new(body: Map<String, Value>) -> Self {
        Self { body, error: None }
    }

    /// A body that could not be read: every flow answers it with a generic message on
    /// its form (4000001), as Kratos does for undecodable payloads.
    pub fn unreadable(error: BodyError) -> Self {
        Self {
            body: Map::new(),
            error: Some(error),
        }
    }

    /// The body-level error as the form message to show, if any.
    pub fn body_error_message(&self) -> Option<FieldMessage> {
        self.error
            .as_ref()
            .map(|e| FieldMessage::form(text::validation_generic(&e.to_string())))
    }

    /// A JSON body; it must be an object.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(body)) => Ok(Self::new(body)),
            Ok(_) => Err(BodyError::NotAnObject),
            Err(e) => Err(BodyError::MalformedJson(e.to_string())),
        }
    }

    /// A form body. Fields under `traits.` are typed after `schema`.
    pub fn from_form(bytes: &[u8], schema: Option<&IdentitySchema>) -> Result<Self, BodyError> {
        if std::str::from_utf8(bytes).is_err() {
            return Err(BodyError::MalformedForm("the body is not UTF-8".into()));
        }
        let types: Vec<(String, FormFieldType)> = schema
            .map(|s| form_field_types(&s.document))
            .unwrap_or_default();
        let type_of = |name: &str| types.iter().find(|(path, _)| path == name).map(|(_, t)| *t);
        let mut body = Map::new();
        for (key, value) in url::form_urlencoded::parse(bytes) {
            let key = key.trim();
            if key.is_empty() {
                continue;
            }
            let segments = split_path(key);
            let field_type = type_of(key);
            let value = match field_type {
                Some(FormFieldType::Array(item)) => match coerce_scalar(&value, item) {
                    Some(v) => Value::Array(vec![v]),
                    None => continue,
                },
                Some(FormFieldType::String) | None => {
                    if key == "transient_payload" {
                        serde_json::from_str::<Value>(&value)
                            .ok()
                            .filter(Value::is_object)
                            .unwrap_or(Value::String(value.into_owned()))
                    } else {
                        Value::String(value.into_owned())
                    }
                }
                Some(FormFieldType::Number) => match coerce_scalar(&value, FormScalar::Number) {
                    Some(v) => v,
                    None => continue,
                },
                Some(FormFieldType::Integer) => match coerce_scalar(&value, FormScalar::Integer) {
                    Some(v) => v,
                    None => continue,
                },
                Some(FormFieldType::Boolean) => match coerce_scalar(&value, FormScalar::Boolean) {
                    Some(v) => v,
                    None => continue,
                },
            };
            let append = matches!(field_type, Some(FormFieldType::Array(_)));
            insert_path(&mut body, &segments, value, append)
                .map_err(|e| BodyError::MalformedForm(format!("field `{key}`: {e}")))?;
        }
        Ok(Self::new(body))
    }

    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.body.get(name)
    }

    /// `method`, if it is a string.
    pub fn method(&self) -> Option<&str> {
        self.body.get("method").and_then(Value::as_str)
    }

    /// `csrf_token`, if it is a string.
    pub fn csrf_token(&self) -> Option<&str> {
        self.body.get("csrf_token").and_then(Value::as_str)
    }

    /// An optional string field: 4000026 if present with another type (`null` counts as
    /// absent).
    pub fn optional_string(&self, name: &str) -> Result<Option<&str>, FieldMessage> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(wrong_type(name, "string", other)),
        }
    }

    /// A required, non-empty string field: 4000002 when missing or empty (Kratos's
    /// payload schemas say `minLength: 1`), 4000026 for another type.
    pub fn required_string(&self, name: &str) -> Result<&str, FieldMessage> {
        match self.optional_string(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(FieldMessage::on(name, text::validation_required(name))),
        }
    }

    /// An optional object field: 4000026 for another type.
    pub fn optional_object(&self, name: &str) -> Result<Option<&Map<String, Value>>, FieldMessage> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(wrong_type(name, "object", other)),
        }
    }

    /// `transient_payload`, which must be an object if given, and small and shallow
    /// enough to be stored with the flow (at most [`MAX_TRANSIENT_PAYLOAD_BYTES`]).
    pub fn transient_payload(&self) -> Result<Option<Map<String, Value>>, FieldMessage> {
        let Some(payload) = self.optional_object("transient_payload")? else {
            return Ok(None);
        };
        let size = serde_json::to_vec(payload).map_or(usize::MAX, |b| b.len());
        let problem = if size > MAX_TRANSIENT_PAYLOAD_BYTES {
            Some(format!(
                "transient_payload is {size} bytes; at most {MAX_TRANSIENT_PAYLOAD_BYTES} are kept"
            ))
        } else {
            payload
                .values()
                .find_map(|v| crate::store::check_free_form(v).err())
                .map(|reason| format!("transient_payload: {reason}"))
        };
        match problem {
            Some(reason) => Err(FieldMessage::on(
                "transient_payload",
                text::validation_generic(&reason),
            )),
            None => Ok(Some(payload.clone())),
        }
    }
}

/// The largest `transient_payload` a flow keeps. It is stored with the flow (and copied
/// into courier messages), and a DynamoDB item holds at most 400 KB.
pub const MAX_TRANSIENT_PAYLOAD_BYTES: usize = 64 * 1024;

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn wrong_type(name: &str, expected: &str, actual: &Value) -> FieldMessage {
    FieldMessage::on(
        name,
        text::validation_wrong_type(&[expected.to_owned()], json_type_name(actual)),
    )
}

fn coerce_scalar(raw: &str, scalar: FormScalar) -> Option<Value> {
    let trimmed = raw.trim();
    match scalar {
        FormScalar::String => Some(Value::String(raw.to_owned())),
        FormScalar::Integer => {
            if trimmed.is_empty() {
                return None;
            }
            trimmed
                .parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| Some(Value::String(raw.to_owned())))
        }
        FormScalar::Number => {
            if trimmed.is_empty() {
                return None;
            }
            if let Ok(i) = trimmed.parse::<i64>() {
                return Some(Value::from(i));
            }
            Some(
                trimmed
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(raw.to_owned())),
            )
        }
        FormScalar::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "on" | "1" => Some(Value::Bool(true)),
            "false" | "off" | "0" => Some(Value::Bool(false)),
            "" => None,
            _ => Some(Value::String(raw.to_owned())),
        },
    }
}

/// Splits `a.b\.c` into `["a", "b.c"]`.
fn split_path(key: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                current.push('.');
                chars.next();
            }
            '.' => segments.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
    }
    segments.push(current);
    segments
}

/// Deepest nesting a form field name may ask for.
const MAX_FORM_DEPTH: usize = 16;

fn insert_path(
    map: &mut Map<String, Value>,
    segments: &[String],
    value: Value,
    append: bool,
) -> Result<(), String> {
    if segments.len() > MAX_FORM_DEPTH {
        return Err("the name is nested too deeply".into());
    }
    let (last, parents) = segments.split_last().ok_or("the name is empty")?;
    let mut current = map;
    for segment in parents {
        let entry = current
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            // A scalar and an object under one name: the object wins, as the later field.
            *entry = Value::Object(Map::new());
        }
        current = entry.as_object_mut().ok_or("not an object")?;
    }
    match (append, current.get_mut(last), value) {
        (true, Some(Value::Array(existing)), Value::Array(mut new)) => existing.append(&mut new),
        (_, _, value) => {
            current.insert(last.clone(), value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::SchemaRegistry;

    fn schema() -> IdentitySchema {
        IdentitySchema::compile(
            "t",
            "file://t.json",
            json!({
                "type": "object",
                "properties": {"traits": {"type": "object", "properties": {
                    "email": {"type": "string"},
                    "age": {"type": "integer"},
                    "score": {"type": "number"},
                    "newsletter": {"type": "boolean"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "name": {"type": "object", "properties": {"first": {"type": "string"}}}
                }}}
            }),
        )
        .unwrap()
    }

    #[test]
    fn form_fields_become_nested_json_typed_by_the_schema() {
        let body = b"method=password&traits.email=a%40b.c&traits.age=42&traits.score=1.5\
            &traits.newsletter=true&traits.tags=x&traits.tags=y&traits.name.first=Ann&password=p";
        let submission = Submission::from_form(body, Some(&schema())).unwrap();
        assert_eq!(
            Value::Object(submission.body().clone()),
            json!({
                "method": "password",
                "traits": {
                    "email": "a@b.c", "age": 42, "score": 1.5, "newsletter": true,
                    "tags": ["x", "y"], "name": {"first": "Ann"}
                },
                "password": "p"
            })
        );
    }

    #[test]
    fn unparsable_numbers_stay_text_so_validation_reports_the_type() {
        let submission =
            Submission::from_form(b"traits.age=old&traits.score=", Some(&schema())).unwrap();
        assert_eq!(submission.body()["traits"], json!({"age": "old"}));
    }

    #[test]
    fn json_bodies_must_be_objects() {
        assert!(matches!(
            Submission::from_json(b"[1]"),
            Err(BodyError::NotAnObject)
        ));
        assert!(matches!(
            Submission::from_json(b"{\"a\":"),
            Err(BodyError::MalformedJson(_))
        ));
        assert_eq!(Submission::from_json(b"  ").unwrap(), Submission::default());
    }

    #[test]
    fn fields_are_type_checked_with_kratos_messages() {
        let submission =
            Submission::from_json(br#"{"identifier": 5, "password": "", "traits": "x"}"#).unwrap();
        let wrong = submission.required_string("identifier").unwrap_err();
        assert_eq!(wrong.field.as_deref(), Some("identifier"));
        assert_eq!(wrong.message.id, text::id::ERROR_VALIDATION_WRONG_TYPE);
        let empty = submission.required_string("password").unwrap_err();
        assert_eq!(empty.message.id, text::id::ERROR_VALIDATION_REQUIRED);
        let missing = submission.required_string("method").unwrap_err();
        assert_eq!(missing.message.context.unwrap()["property"], "method");
        assert!(submission.optional_object("traits").is_err());
    }

    #[test]
    fn escaped_dots_stay_in_the_name_and_deep_names_are_refused() {
        let registry = SchemaRegistry::builtin();
        let submission =
            Submission::from_form(b"a\\.b=1", Some(registry.default_schema())).unwrap();
        assert_eq!(submission.body()["a.b"], "1");
        let deep = "a.".repeat(40) + "b=1";
        assert!(Submission::from_form(deep.as_bytes(), None).is_err());
    }
}
