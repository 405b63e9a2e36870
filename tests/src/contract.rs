//! Checks response bodies against the Kratos v1.3 OpenAPI contract
//! (`tests/contract/kratos-v1.3-api.json`, written by `scripts/vendor-contract.py`).

use std::sync::OnceLock;

use serde_json::{Value, json};

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = include_str!("../contract/kratos-v1.3-api.json");
        let mut spec: Value = serde_json::from_str(text).expect("contract is JSON");
        openapi_to_json_schema(&mut spec);
        spec
    })
}

/// OpenAPI 3.0's `nullable: true` has no JSON Schema meaning; turn it into a type union.
fn openapi_to_json_schema(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.remove("nullable") == Some(Value::Bool(true)) {
                match map.get("type").cloned() {
                    Some(Value::String(t)) => {
                        map.insert("type".into(), json!([t, "null"]));
                    }
                    Some(_) => {}
                    None => {
                        if let Some(reference) = map.remove("$ref") {
                            map.insert(
                                "anyOf".into(),
                                json!([{ "$ref": reference }, { "type": "null" }]),
                            );
                        }
                    }
                }
            }
            for value in map.values_mut() {
                openapi_to_json_schema(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(openapi_to_json_schema),
        _ => {}
    }
}

fn validate(schema_ref: Value, instance: &Value, what: &str) {
    let mut root = json!({ "components": spec()["components"].clone() });
    root.as_object_mut()
        .unwrap()
        .extend(schema_ref.as_object().unwrap().clone());
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .with_format("uuid4", |s: &str| uuid::Uuid::parse_str(s).is_ok())
        .build(&root)
        .unwrap_or_else(|e| panic!("schema for {what} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "response does not match {what}:\n  {}\nbody: {}",
        errors.join("\n  "),
        serde_json::to_string_pretty(instance).unwrap()
    );
}

/// Asserts `instance` matches `#/components/schemas/<name>`.
pub fn assert_schema(instance: &Value, name: &str) {
    assert!(
        spec()["components"]["schemas"].get(name).is_some(),
        "no component schema named {name}"
    );
    validate(
        json!({ "$ref": format!("#/components/schemas/{name}") }),
        instance,
        name,
    );
}

/// Asserts `instance` matches the documented response of `method path` with `status`
/// (falling back to the `default` response, as OpenAPI does).
pub fn assert_response(method: &str, path: &str, status: u16, instance: &Value) {
    let operation = &spec()["paths"][path][method.to_ascii_lowercase()];
    assert!(
        operation.is_object(),
        "the contract has no operation {method} {path}"
    );
    let responses = &operation["responses"];
    let response = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
        .unwrap_or_else(|| panic!("{method} {path} documents no {status} response"));
    let response = resolve(response);
    let schema = response["content"]["application/json"]["schema"].clone();
    assert!(
        schema.is_object(),
        "{method} {path} {status} documents no JSON body"
    );
    validate(schema, instance, &format!("{method} {path} {status}"));
}

/// Whether the contract documents `status` (explicitly) for `method path`.
pub fn documents_status(method: &str, path: &str, status: u16) -> bool {
    spec()["paths"][path][method.to_ascii_lowercase()]["responses"]
        .get(status.to_string())
        .is_some()
}

fn resolve(node: &Value) -> Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(spec().pointer(pointer).expect("reference resolves"))
        }
        None => node.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_has_all_operations() {
        let count: usize = spec()["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(count, 53);
    }

    #[test]
    #[should_panic(expected = "does not match")]
    fn a_wrong_shape_is_caught() {
        assert_schema(&json!({ "id": 5 }), "identitySchemaContainer");
    }

    #[test]
    fn a_right_shape_passes() {
        assert_schema(
            &json!({ "id": "default", "schema": {} }),
            "identitySchemaContainer",
        );
        assert_response(
            "get",
            "/health/ready",
            503,
            &json!({ "errors": { "database": "down" } }),
        );
    }
}
