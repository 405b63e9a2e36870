//! Schema violations in a form the UI layer can turn into Kratos's 4000xxx messages.

use serde_json::Value;

/// What a violation is about, with the values Kratos puts in a message's `context`.
#[derive(Debug, Clone, PartialEq)]
pub enum ViolationKind {
    Required {
        property: String,
    },
    MinLength {
        min_length: u64,
        actual_length: usize,
    },
    MaxLength {
        max_length: u64,
        actual_length: usize,
    },
    Format {
        format: String,
        value: String,
    },
    Type {
        expected: String,
        actual: String,
    },
    Minimum {
        minimum: Value,
        actual: Value,
    },
    ExclusiveMinimum {
        minimum: Value,
        actual: Value,
    },
    Maximum {
        maximum: Value,
        actual: Value,
    },
    ExclusiveMaximum {
        maximum: Value,
        actual: Value,
    },
    MultipleOf {
        base: Value,
        actual: Value,
    },
    MinItems {
        min_items: u64,
        actual_items: usize,
    },
    MaxItems {
        max_items: u64,
        actual_items: usize,
    },
    UniqueItems,
    Const {
        expected: Value,
    },
    Enum {
        allowed: Value,
    },
    Pattern {
        pattern: String,
    },
    AdditionalProperties {
        unexpected: Vec<String>,
    },
    Other {
        reason: String,
    },
}

/// One violation of an identity schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// JSON pointer into the identity document, e.g. `/traits/email`.
    pub instance_path: String,
    pub kind: ViolationKind,
    /// A readable description.
    pub message: String,
}

impl Violation {
    /// The node name a UI form uses for the violating field (`traits.email`).
    pub fn field_name(&self) -> String {
        let dotted = self
            .instance_path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect::<Vec<_>>()
            .join(".");
        match &self.kind {
            // A missing property is reported on the object; name the property itself.
            ViolationKind::Required { property } if dotted.is_empty() => property.clone(),
            ViolationKind::Required { property } => format!("{dotted}.{property}"),
            _ => dotted,
        }
    }

    pub(super) fn from_error(error: &jsonschema::ValidationError<'_>) -> Self {
        use jsonschema::error::ValidationErrorKind as K;
        let instance = error.instance();
        let text_len = || instance.as_str().map_or(0, |s| s.chars().count());
        let items_len = || instance.as_array().map_or(0, Vec::len);
        let kind = match error.kind() {
            K::Required { property } => ViolationKind::Required {
                property: property
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| property.to_string()),
            },
            K::MinLength { limit } => ViolationKind::MinLength {
                min_length: *limit,
                actual_length: text_len(),
            },
            K::MaxLength { limit } => ViolationKind::MaxLength {
                max_length: *limit,
                actual_length: text_len(),
            },
            K::Format { format } => ViolationKind::Format {
                format: format.clone(),
                value: instance.as_str().map(str::to_owned).unwrap_or_default(),
            },
            K::Type { kind } => ViolationKind::Type {
                expected: type_names(kind),
                actual: json_type(instance).to_owned(),
            },
            K::Minimum { limit } => ViolationKind::Minimum {
                minimum: limit.clone(),
                actual: instance.clone().into_owned(),
            },
            K::ExclusiveMinimum { limit } => ViolationKind::ExclusiveMinimum {
                minimum: limit.clone(),
                actual: instance.clone().into_owned(),
            },
            K::Maximum { limit } => ViolationKind::Maximum {
                maximum: limit.clone(),
                actual: instance.clone().into_owned(),
            },
            K::ExclusiveMaximum { limit } => ViolationKind::ExclusiveMaximum {
                maximum: limit.clone(),
                actual: instance.clone().into_owned(),
            },
            K::MultipleOf { multiple_of, .. } => ViolationKind::MultipleOf {
                base: serde_json::json!(multiple_of),
                actual: instance.clone().into_owned(),
            },
            K::MinItems { limit } => ViolationKind::MinItems {
                min_items: *limit,
                actual_items: items_len(),
            },
            K::MaxItems { limit } => ViolationKind::MaxItems {
                max_items: *limit,
                actual_items: items_len(),
            },
            K::UniqueItems => ViolationKind::UniqueItems,
            K::Constant { expected_value } => ViolationKind::Const {
                expected: (**expected_value).clone(),
            },
            K::Enum { options } => ViolationKind::Enum {
                allowed: (**options).clone(),
            },
            K::Pattern { pattern } => ViolationKind::Pattern {
                pattern: pattern.clone(),
            },
            K::AdditionalProperties { unexpected } => ViolationKind::AdditionalProperties {
                unexpected: unexpected.clone(),
            },
            _ => ViolationKind::Other {
                reason: error.to_string(),
            },
        };
        Violation {
            instance_path: error.instance_path().to_string(),
            kind,
            message: error.to_string(),
        }
    }
}

fn type_names(kind: &jsonschema::error::TypeKind) -> String {
    match kind {
        jsonschema::error::TypeKind::Single(t) => t.to_string(),
        jsonschema::error::TypeKind::Multiple(types) => {
            let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
            names.join(", ")
        }
    }
}

fn json_type(value: &Value) -> &'static str {
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

/// The `tel` format: an E.164 number such as `+4917612345678`.
pub(crate) fn is_e164(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}
