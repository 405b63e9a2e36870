use serde_json::json;

use super::*;

fn example_schema() -> IdentitySchema {
    IdentitySchema::compile(
        "test",
        "base64://",
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {
                "traits": {
                    "type": "object",
                    "properties": {
                        "email": {
                            "type": "string",
                            "format": "email",
                            "ory.sh/kratos": {
                                "credentials": {"password": {"identifier": true}, "code": {"identifier": true, "via": "email"}},
                                "verification": {"via": "email"},
                                "recovery": {"via": "email"}
                            }
                        },
                        "phones": {
                            "type": "array",
                            "items": {
                                "type": "string",
                                "format": "tel",
                                "ory.sh/kratos": {"verification": {"via": "sms"}}
                            }
                        },
                        "age": {"type": "integer", "minimum": 0}
                    },
                    "required": ["email"],
                    "additionalProperties": false
                }
            }
        }),
    )
    .unwrap()
}

#[test]
fn the_extension_marks_identifiers_and_addresses() {
    let schema = example_schema();
    let email = schema.fields.iter().find(|f| f.dotted == "email").unwrap();
    assert!(email.extension.password_identifier);
    assert_eq!(
        email.extension.code_identifier_via.as_deref(),
        Some("email")
    );
    assert_eq!(email.extension.verification_via.as_deref(), Some("email"));
    assert_eq!(email.extension.recovery_via.as_deref(), Some("email"));
    assert_eq!(email.extension.format.as_deref(), Some("email"));
    let phones = schema.fields.iter().find(|f| f.dotted == "phones").unwrap();
    assert_eq!(
        phones.path,
        vec![
            PathSegment::Property("phones".into()),
            PathSegment::EachItem
        ]
    );
    assert_eq!(phones.extension.verification_via.as_deref(), Some("sms"));
}

#[test]
fn annotated_values_are_read_from_traits_including_arrays() {
    let schema = example_schema();
    let values = schema.trait_annotations(
        &json!({"email": "a@example.com", "phones": ["+4917612345678", "+15551234567"]}),
    );
    let texts: Vec<&str> = values.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(texts, ["a@example.com", "+4917612345678", "+15551234567"]);
}

#[test]
fn valid_traits_pass() {
    assert!(
        example_schema()
            .validate_traits(&json!({"email": "a@example.com", "age": 3}))
            .is_ok()
    );
}

#[test]
fn violations_carry_their_field_and_kind() {
    let schema = example_schema();
    let violations = schema
        .validate_traits(&json!({"phones": ["12"], "age": -1}))
        .unwrap_err();
    let required = violations
        .iter()
        .find(|v| matches!(v.kind, ViolationKind::Required { .. }))
        .unwrap();
    assert_eq!(required.field_name(), "traits.email");
    let format = violations
        .iter()
        .find(|v| matches!(v.kind, ViolationKind::Format { .. }))
        .unwrap();
    assert_eq!(format.field_name(), "traits.phones.0");
    assert!(
        violations
            .iter()
            .any(|v| matches!(v.kind, ViolationKind::Minimum { .. }))
    );

    let violations = schema
        .validate_traits(&json!({"email": "not-an-email"}))
        .unwrap_err();
    assert!(
        matches!(&violations[0].kind, ViolationKind::Format { format, .. } if format == "email")
    );

    let violations = schema.validate_traits(&json!({"email": 12})).unwrap_err();
    assert!(
        matches!(&violations[0].kind, ViolationKind::Type { expected, actual } if expected == "string" && actual == "integer")
    );
}

#[test]
fn a_schema_without_traits_is_refused() {
    let err = IdentitySchema::compile("x", "base64://", json!({"type": "object"})).unwrap_err();
    assert!(err.to_string().contains("traits"));
}

#[test]
fn a_malformed_extension_is_refused() {
    let err = IdentitySchema::compile(
        "x",
        "base64://",
        json!({"properties": {"traits": {"type": "object", "properties": {"email": {"type": "string", "ory.sh/kratos": {"verification": {"via": "pigeon"}}}}}}}),
    )
    .unwrap_err();
    assert!(err.to_string().contains("verification.via"), "{err}");
}

#[test]
fn the_builtin_schema_compiles_with_email_identifier() {
    let registry = SchemaRegistry::builtin();
    let schema = registry.default_schema();
    assert_eq!(schema.id, "default");
    assert!(
        schema
            .fields
            .iter()
            .any(|f| f.dotted == "email" && f.extension.password_identifier)
    );
}

#[test]
fn schemas_are_found_by_id_or_base64_id() {
    let registry = SchemaRegistry::builtin();
    assert!(registry.find("default").is_some());
    assert!(registry.find("ZGVmYXVsdA").is_some());
    assert!(registry.find("ZGVmYXVsdA==").is_some());
    assert!(registry.find("unknown").is_none());
}

#[test]
fn schema_urls_encode_the_id() {
    let base = url::Url::parse("http://127.0.0.1:4433/").unwrap();
    assert_eq!(
        schema_url(&base, "default"),
        "http://127.0.0.1:4433/schemas/ZGVmYXVsdA"
    );
}

#[tokio::test]
async fn base64_and_file_urls_load() {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(BUILTIN_DEFAULT_SCHEMA);
    let doc = fetch_schema_document("a", &format!("base64://{encoded}"), None)
        .await
        .unwrap();
    assert!(doc.get("properties").is_some());

    let dir = std::env::temp_dir().join(format!("schema-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("s.json"), BUILTIN_DEFAULT_SCHEMA).unwrap();
    let doc = fetch_schema_document("a", "file://./s.json", Some(&dir))
        .await
        .unwrap();
    assert!(doc.get("properties").is_some());
    let err = fetch_schema_document("a", "file://./missing.json", Some(&dir))
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::Fetch { .. }));
    let err = fetch_schema_document("a", "ftp://x", None)
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::Fetch { .. }));
    std::fs::remove_dir_all(dir).ok();
}
