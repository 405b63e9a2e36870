//! Environment overrides in Kratos's style: `SERVE_PUBLIC_BASE_URL=...` sets
//! `serve.public.base_url`. A variable applies when its name, lower-cased, equals the
//! path of a known key with dots turned into underscores. Known keys are the leaves of the
//! default configuration, so only keys this implementation reads can be overridden.

use serde_json::{Map, Value};

use super::{Config, ConfigError};

/// Sets each matching environment variable's value at its key's path in `tree`.
pub(super) fn apply_overrides(
    tree: &mut Value,
    env: &[(String, String)],
) -> Result<(), ConfigError> {
    if env.is_empty() {
        return Ok(());
    }
    let defaults = serde_json::to_value(Config::default()).expect("defaults serialise");
    let mut leaves = Vec::new();
    collect_leaves(&defaults, &mut Vec::new(), &mut leaves);
    for (name, raw) in env {
        if raw.is_empty() {
            // An empty variable counts as unset, which is how SAM passes optional parameters.
            continue;
        }
        let wanted = name.to_ascii_lowercase();
        let Some((path, default)) = leaves.iter().find(|(path, _)| path.join("_") == wanted) else {
            continue;
        };
        let value = coerce(raw, default).map_err(|message| ConfigError::InvalidValue {
            key: format!("{} (from environment variable {name})", path.join(".")),
            message,
        })?;
        set_path(tree, path, value);
    }
    Ok(())
}

fn collect_leaves(value: &Value, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                prefix.push(key.clone());
                collect_leaves(child, prefix, out);
                prefix.pop();
            }
        }
        _ => out.push((prefix.clone(), value.clone())),
    }
}

/// Converts the variable's text to the type of the key's default value.
fn coerce(raw: &str, default: &Value) -> Result<Value, String> {
    match default {
        Value::Bool(_) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            other => Err(format!("`{other}` is not a boolean")),
        },
        Value::Number(_) => serde_json::from_str::<serde_json::Number>(raw.trim())
            .map(Value::Number)
            .map_err(|_| format!("`{raw}` is not a number")),
        Value::Array(_) => {
            let trimmed = raw.trim();
            if trimmed.starts_with('[') {
                serde_json::from_str(trimmed).map_err(|e| format!("not a JSON array: {e}"))
            } else {
                Ok(Value::Array(
                    trimmed
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                ))
            }
        }
        Value::Object(_) => {
            serde_json::from_str(raw).map_err(|e| format!("not a JSON object: {e}"))
        }
        Value::String(_) => Ok(Value::String(raw.to_owned())),
        // Optional keys: a JSON scalar if the text is one (numbers, booleans), else text.
        Value::Null => Ok(match serde_json::from_str::<Value>(raw.trim()) {
            Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
            _ => Value::String(raw.to_owned()),
        }),
    }
}

fn set_path(tree: &mut Value, path: &[String], value: Value) {
    let mut node = tree;
    for key in &path[..path.len() - 1] {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        node = node
            .as_object_mut()
            .expect("just made an object")
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    node.as_object_mut()
        .expect("just made an object")
        .insert(path[path.len() - 1].clone(), value);
}
