use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::schema::{IdentitySchema, SchemaRegistry, ViolationKind};

const T0: OffsetDateTime = datetime!(2026-01-02 03:04:05.123456789 UTC);
const T1: OffsetDateTime = datetime!(2026-02-03 04:05:06 UTC);

fn schema(traits: Value) -> IdentitySchema {
    IdentitySchema::compile(
        "test",
        "base64://",
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"traits": traits}
        }),
    )
    .unwrap()
}

/// Email (password + code identifier, verification, recovery), a phone for SMS codes and
/// verification, a username for passwords, and a list of extra emails to verify.
fn rich_schema() -> IdentitySchema {
    schema(json!({
        "type": "object",
        "properties": {
            "email": {
                "type": "string", "format": "email",
                "ory.sh/kratos": {
                    "credentials": {
                        "password": {"identifier": true},
                        "code": {"identifier": true, "via": "email"},
                        "webauthn": {"identifier": true}
                    },
                    "verification": {"via": "email"},
                    "recovery": {"via": "email"}
                }
            },
            "phone": {
                "type": "string",
                "ory.sh/kratos": {
                    "credentials": {"code": {"identifier": true, "via": "sms"}}
                }
            },
            "mobile": {
                "type": "string", "format": "tel",
                "ory.sh/kratos": {"verification": {"via": "sms"}}
            },
            "username": {
                "type": "string",
                "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}
            },
            "emails": {
                "type": "array",
                "items": {
                    "type": "string", "format": "email",
                    "ory.sh/kratos": {"verification": {"via": "email"}}
                }
            }
        },
        "required": ["email"]
    }))
}

fn identity(traits: Value) -> Identity {
    Identity::new("test", traits, T0)
}

// ---- serialisation -----------------------------------------------------------------

#[test]
fn timestamps_print_like_go_rfc3339_nano_at_microsecond_precision() {
    assert_eq!(
        timestamp::format(timestamp::truncate(T0)),
        "2026-01-02T03:04:05.123456Z"
    );
    assert_eq!(
        timestamp::format(datetime!(2026-01-02 03:04:05.1 UTC)),
        "2026-01-02T03:04:05.1Z"
    );
    assert_eq!(timestamp::format(T1), "2026-02-03T04:05:06Z");
    assert_eq!(
        timestamp::format(datetime!(2026-01-02 05:04:05 +02:00)),
        "2026-01-02T03:04:05Z"
    );
}

#[test]
fn credentials_types_use_kratos_names() {
    let names: Vec<&str> = CredentialsType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(
        names,
        [
            "password",
            "oidc",
            "totp",
            "lookup_secret",
            "webauthn",
            "code",
            "passkey",
            "profile",
            "link_recovery",
            "code_recovery"
        ]
    );
    for t in CredentialsType::ALL {
        assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
        assert_eq!(CredentialsType::from_name(t.as_str()), Some(t));
    }
    assert_eq!(CredentialsType::parse_include_credential("profile"), None);
    assert_eq!(
        CredentialsType::parse_include_credential("oidc"),
        Some(CredentialsType::Oidc)
    );
    assert_eq!(CredentialsType::from_name("saml"), None);
}

#[test]
fn the_stored_document_round_trips_without_its_version() {
    let mut original = identity(json!({"email": "a@example.org"}));
    original.metadata_public = Some(json!({"plan": "pro"}));
    original.metadata_admin = Some(json!({"note": 1}));
    original.organization_id = Some(uuid::Uuid::new_v4());
    original.validate_against(&rich_schema(), T0).unwrap();
    original.version = 7;
    let body = serde_json::to_value(&original).unwrap();
    assert!(body.get("version").is_none());
    assert!(body.get("schema_url").is_none());
    let mut read: Identity = serde_json::from_value(body).unwrap();
    assert_eq!(read.version(), 0);
    read.version = 7;
    assert_eq!(read, original);
}

#[test]
fn credentials_debug_output_hides_the_config() {
    let credentials = Credentials::new(
        CredentialsType::Password,
        json!({"hashed_password": "$argon2id$secret"}),
        T0,
    );
    let printed = format!("{credentials:?}");
    assert!(!printed.contains("argon2id"), "{printed}");
    assert!(printed.contains("redacted"));
}

// ---- views -------------------------------------------------------------------------

fn stored_example() -> Identity {
    let mut i = identity(json!({"email": "a@example.org"}));
    i.validate_against(&rich_schema(), T0).unwrap();
    i.upsert_credentials(
        CredentialsType::Password,
        json!({"hashed_password": "$2a$12$hash"}),
        T0,
    );
    let oidc = i.upsert_credentials(
        CredentialsType::Oidc,
        json!({"providers": [{
            "subject": "sub-1", "provider": "github",
            "initial_id_token": "sealed:id", "initial_access_token": "sealed:access",
            "initial_refresh_token": "", "use_auto_link": true
        }]}),
        T0,
    );
    oidc.identifiers = vec![oidc_identifier("github", "sub-1")];
    i.metadata_admin = Some(json!({"internal": true}));
    i
}

#[test]
fn the_public_view_shows_neither_credentials_nor_admin_metadata() {
    let i = stored_example();
    let json =
        serde_json::to_value(i.view("http://x/schemas/dGVzdA".into(), &ViewOptions::public()))
            .unwrap();
    let object = json.as_object().unwrap();
    assert!(!object.contains_key("credentials"));
    assert!(!object.contains_key("metadata_admin"));
    assert_eq!(json["metadata_public"], Value::Null);
    assert_eq!(json["organization_id"], Value::Null);
    assert_eq!(json["schema_url"], "http://x/schemas/dGVzdA");
    assert_eq!(json["state"], "active");
    assert_eq!(json["created_at"], "2026-01-02T03:04:05.123456Z");
    assert_eq!(json["verifiable_addresses"][0]["status"], "pending");
    assert!(json["verifiable_addresses"][0].get("verified_at").is_none());
}

#[test]
fn empty_address_lists_and_credentials_are_left_out_like_kratos_omitempty() {
    let i = identity(json!({}));
    let json = serde_json::to_value(i.view(
        String::new(),
        &ViewOptions::admin_with_credentials(&[], None),
    ))
    .unwrap();
    let object = json.as_object().unwrap();
    for absent in [
        "credentials",
        "verifiable_addresses",
        "recovery_addresses",
        "metadata_admin",
    ] {
        assert!(!object.contains_key(absent), "{absent} should be omitted");
    }
    for present in [
        "metadata_public",
        "organization_id",
        "state_changed_at",
        "traits",
    ] {
        assert!(object.contains_key(present), "{present} should be present");
    }
}

#[test]
fn admin_views_show_every_credential_without_config_unless_declassified() {
    let i = stored_example();
    let view = i.view(
        String::new(),
        &ViewOptions::admin_with_credentials(&[], None),
    );
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["metadata_admin"], json!({"internal": true}));
    for t in ["password", "oidc", "code", "webauthn"] {
        let c = &json["credentials"][t];
        assert_eq!(c["type"], t);
        assert!(c.get("config").is_none(), "{t} config must be hidden");
        assert!(c["identifiers"].is_array());
        assert!(c["version"].is_i64());
    }
    assert_eq!(
        json["credentials"]["password"]["identifiers"],
        json!(["a@example.org"])
    );

    let declassify = [CredentialsType::Password];
    let json = serde_json::to_value(i.view(
        String::new(),
        &ViewOptions::admin_with_credentials(&declassify, None),
    ))
    .unwrap();
    assert_eq!(
        json["credentials"]["password"]["config"],
        json!({"hashed_password": "$2a$12$hash"})
    );
    assert!(json["credentials"]["oidc"].get("config").is_none());
}

#[test]
fn declassified_oidc_credentials_show_opened_tokens_and_nothing_else() {
    let i = stored_example();
    let opener = |sealed: &str| sealed.strip_prefix("sealed:").map(str::to_owned);
    let declassify = [CredentialsType::Oidc];
    let view = i.view(
        String::new(),
        &ViewOptions::admin_with_credentials(&declassify, Some(&opener)),
    );
    assert_eq!(
        view.credentials[&CredentialsType::Oidc].config,
        Some(json!({"providers": [{
            "initial_id_token": "id",
            "initial_access_token": "access",
            "initial_refresh_token": "",
            "subject": "sub-1",
            "provider": "github",
            "organization": ""
        }]}))
    );
    // Without an opener, tokens cannot be shown.
    let view = i.view(
        String::new(),
        &ViewOptions::admin_with_credentials(&declassify, None),
    );
    assert_eq!(
        view.credentials[&CredentialsType::Oidc]
            .config
            .as_ref()
            .unwrap()["providers"][0]["initial_id_token"],
        ""
    );
}

#[test]
fn an_oidc_credential_without_providers_shows_no_config() {
    let mut i = identity(json!({}));
    i.upsert_credentials(CredentialsType::Oidc, json!({"providers": []}), T0);
    let declassify = [CredentialsType::Oidc];
    let view = i.view(
        String::new(),
        &ViewOptions::admin_with_credentials(&declassify, None),
    );
    assert_eq!(view.credentials[&CredentialsType::Oidc].config, None);
}

#[test]
fn a_view_deserialises_back_to_itself() {
    let i = stored_example();
    let declassify = [CredentialsType::Password];
    let view = i.view(
        "u".into(),
        &ViewOptions::admin_with_credentials(&declassify, None),
    );
    let text = serde_json::to_string(&view).unwrap();
    assert_eq!(serde_json::from_str::<IdentityView>(&text).unwrap(), view);
}

// ---- derivation --------------------------------------------------------------------

#[test]
fn identifiers_and_addresses_are_derived_and_normalised() {
    let mut i = identity(json!({
        "email": "  Alice@Example.ORG ",
        "phone": "+49 176 1234 5678",
        "username": "Alice_1",
        "mobile": "+4917600000000",
        "emails": ["Second@Example.org", "alice@example.org", "second@example.org"]
    }));
    // A `format: email` field fails on surrounding blanks, so trim before validating it.
    i.traits["email"] = json!("Alice@Example.ORG");
    i.validate_against(&rich_schema(), T0).unwrap();
    let password = i.credentials(CredentialsType::Password).unwrap();
    assert_eq!(password.identifiers, ["alice@example.org", "alice_1"]);
    assert_eq!(password.config, json!({}));
    assert_eq!(password.version, 0);
    let webauthn = i.credentials(CredentialsType::Webauthn).unwrap();
    assert_eq!(webauthn.identifiers, ["alice@example.org"]);
    assert_eq!(webauthn.version, 1);
    assert_eq!(
        webauthn.config,
        json!({"user_handle": STANDARD.encode(i.id.as_uuid().as_bytes())})
    );
    let code = i.credentials(CredentialsType::Code).unwrap();
    assert_eq!(code.identifiers, ["+4917612345678", "alice@example.org"]);
    assert_eq!(code.version, 1);
    assert_eq!(
        code.config,
        json!({"addresses": [
            {"channel": "sms", "address": "+4917612345678"},
            {"channel": "email", "address": "alice@example.org"}
        ]})
    );
    let verifiable: Vec<(AddressVia, &str)> = i
        .verifiable_addresses
        .iter()
        .map(|a| (a.via, a.value.as_str()))
        .collect();
    assert_eq!(
        verifiable,
        // Schema order: serde_json keeps the document's key order (`preserve_order`).
        [
            (AddressVia::Email, "alice@example.org"),
            (AddressVia::Sms, "+4917600000000"),
            (AddressVia::Email, "second@example.org"),
        ]
    );
    assert!(i.verifiable_addresses.iter().all(|a| !a.verified
        && a.status == VerificationStatus::Pending
        && a.verified_at.is_none()));
    let recovery: Vec<&str> = i
        .recovery_addresses
        .iter()
        .map(|a| a.value.as_str())
        .collect();
    assert_eq!(recovery, ["alice@example.org"]);
}

#[test]
fn addresses_still_in_the_traits_keep_their_id_and_verification_state() {
    let schema = rich_schema();
    let mut i = identity(json!({"email": "a@example.org", "emails": ["b@example.org"]}));
    i.validate_against(&schema, T0).unwrap();
    let kept_id = i.verifiable_addresses[0].id;
    i.verifiable_addresses[0].mark_verified(T0);
    let recovery_id = i.recovery_addresses[0].id;

    i.traits = json!({"email": "a@example.org", "emails": ["c@example.org"]});
    i.validate_against(&schema, T1).unwrap();

    let a = i
        .verifiable_address(AddressVia::Email, "a@example.org")
        .unwrap();
    assert_eq!(a.id, kept_id);
    assert!(a.verified);
    assert_eq!(a.status, VerificationStatus::Completed);
    assert_eq!(a.verified_at, Some(timestamp::truncate(T0)));
    assert!(
        i.verifiable_address(AddressVia::Email, "b@example.org")
            .is_none()
    );
    let c = i
        .verifiable_address(AddressVia::Email, "c@example.org")
        .unwrap();
    assert!(!c.verified);
    assert_eq!(c.created_at, T1);
    assert_eq!(i.recovery_addresses[0].id, recovery_id);
}

#[test]
fn imported_addresses_keep_their_state_only_if_the_traits_hold_them() {
    let mut i = identity(json!({"email": "a@example.org"}));
    i.import_addresses(
        vec![
            ImportedVerifiableAddress {
                value: " A@Example.org".into(),
                verified: true,
                via: AddressVia::Email,
                status: None,
                verified_at: None,
            },
            ImportedVerifiableAddress {
                value: "gone@example.org".into(),
                verified: true,
                via: AddressVia::Email,
                status: Some(VerificationStatus::Completed),
                verified_at: Some(T0),
            },
        ],
        vec![ImportedRecoveryAddress {
            value: "A@EXAMPLE.ORG".into(),
            via: AddressVia::Email,
        }],
        T1,
    );
    i.validate_against(&rich_schema(), T1).unwrap();
    assert_eq!(i.verifiable_addresses.len(), 1);
    let a = &i.verifiable_addresses[0];
    assert_eq!(a.value, "a@example.org");
    assert!(a.verified);
    assert_eq!(a.status, VerificationStatus::Completed);
    assert_eq!(
        a.verified_at,
        Some(T1),
        "a verified import without a time is verified now"
    );
    assert_eq!(i.recovery_addresses.len(), 1);
}

#[test]
fn an_unverified_import_has_no_verified_at_and_defaults_to_pending() {
    let mut i = identity(json!({"email": "a@example.org"}));
    i.import_addresses(
        vec![ImportedVerifiableAddress {
            value: "a@example.org".into(),
            verified: false,
            via: AddressVia::Email,
            status: None,
            verified_at: Some(T0),
        }],
        vec![],
        T1,
    );
    assert_eq!(
        i.verifiable_addresses[0].status,
        VerificationStatus::Pending
    );
    assert_eq!(i.verifiable_addresses[0].verified_at, None);
}

#[test]
fn credentials_the_traits_do_not_mention_are_left_alone() {
    let mut i = identity(json!({"email": "a@example.org"}));
    let oidc = i.upsert_credentials(CredentialsType::Oidc, json!({"providers": []}), T0);
    oidc.identifiers = vec!["GitHub:Sub".into()];
    i.validate_against(&rich_schema(), T0).unwrap();
    assert_eq!(
        i.credentials(CredentialsType::Oidc).unwrap().identifiers,
        ["GitHub:Sub"]
    );
}

#[test]
fn changing_the_email_replaces_the_identifiers_and_stamps_the_credential() {
    let schema = rich_schema();
    let mut i = identity(json!({"email": "a@example.org"}));
    i.validate_against(&schema, T0).unwrap();
    i.upsert_credentials(
        CredentialsType::Password,
        json!({"hashed_password": "h"}),
        T0,
    );
    i.traits = json!({"email": "b@example.org"});
    i.validate_against(&schema, T1).unwrap();
    let password = i.credentials(CredentialsType::Password).unwrap();
    assert_eq!(password.identifiers, ["b@example.org"]);
    assert_eq!(password.config, json!({"hashed_password": "h"}));
    assert_eq!(password.updated_at, T1);
    assert_eq!(password.created_at, timestamp::truncate(T0));
}

#[test]
fn an_invalid_phone_number_for_sms_codes_is_a_violation_on_its_field() {
    let mut i = identity(json!({"email": "a@example.org", "phone": "12345"}));
    let Err(IdentityError::Validation(violations)) = i.validate_against(&rich_schema(), T0) else {
        panic!("expected a validation error");
    };
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].field_name(), "traits.phone");
    assert!(violations[0].message.contains("not a valid phone number"));
}

#[test]
fn schema_violations_are_surfaced_before_anything_is_derived() {
    let mut i = identity(json!({"email": "not-an-email"}));
    let Err(IdentityError::Validation(violations)) = i.validate_against(&rich_schema(), T0) else {
        panic!("expected a validation error");
    };
    assert!(matches!(violations[0].kind, ViolationKind::Format { .. }));
    assert!(i.credentials.is_empty());
}

#[test]
fn verification_by_email_without_a_format_still_requires_an_email() {
    let s = schema(json!({
        "type": "object",
        "properties": {"contact": {"type": "string",
            "ory.sh/kratos": {"verification": {"via": "email"}}}}
    }));
    let mut i = identity(json!({"contact": "nope"}));
    assert!(matches!(
        i.validate_against(&s, T0),
        Err(IdentityError::Validation(v)) if v[0].field_name() == "traits.contact"
    ));
    let mut i = identity(json!({"contact": "Yes@Example.org"}));
    i.validate_against(&s, T0).unwrap();
    assert_eq!(i.verifiable_addresses[0].value, "yes@example.org");
}

#[test]
fn verification_by_sms_needs_a_declared_format() {
    let s = schema(json!({
        "type": "object",
        "properties": {"phone": {"type": "string",
            "ory.sh/kratos": {"verification": {"via": "sms"}}}}
    }));
    let mut i = identity(json!({"phone": "+4917612345678"}));
    let Err(IdentityError::Validation(v)) = i.validate_against(&s, T0) else {
        panic!("expected a validation error");
    };
    assert!(v[0].message.contains("no format specified"));
}

#[test]
fn recovery_by_sms_is_refused_as_in_kratos_1_3() {
    let s = schema(json!({
        "type": "object",
        "properties": {"phone": {"type": "string", "format": "tel",
            "ory.sh/kratos": {"recovery": {"via": "sms"}}}}
    }));
    let mut i = identity(json!({"phone": "+4917612345678"}));
    let Err(IdentityError::Validation(v)) = i.validate_against(&s, T0) else {
        panic!("expected a validation error");
    };
    assert!(
        v[0].message
            .contains("recovery.via has unknown value \"sms\"")
    );
}

#[test]
fn an_empty_identifier_is_a_violation_not_a_storage_error() {
    let s = schema(json!({
        "type": "object",
        "properties": {"username": {"type": "string",
            "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}}
    }));
    let mut i = identity(json!({"username": "  "}));
    assert!(matches!(
        i.validate_against(&s, T0),
        Err(IdentityError::Validation(_))
    ));
}

#[test]
fn validate_uses_the_default_schema_for_an_empty_schema_id_and_refuses_unknown_ones() {
    let registry = SchemaRegistry::builtin();
    let mut i = Identity::new("", json!({"email": "a@example.org"}), T0);
    i.validate(&registry, T0).unwrap();
    assert_eq!(i.schema_id, "default");
    assert_eq!(
        i.credentials(CredentialsType::Password)
            .unwrap()
            .identifiers,
        ["a@example.org"]
    );
    let mut i = Identity::new("missing", json!({}), T0);
    assert!(matches!(
        i.validate(&registry, T0),
        Err(IdentityError::UnknownSchema(id)) if id == "missing"
    ));
}

#[test]
fn derive_is_a_pure_function_of_the_traits() {
    let derived = derive(
        &rich_schema(),
        &json!({"email": "X@Y.Z", "username": "x@y.z"}),
    )
    .unwrap();
    assert_eq!(
        derived.identifiers[&CredentialsType::Password],
        ["x@y.z"],
        "one identifier per type, however many fields carry it"
    );
    assert_eq!(derived.recovery, [(AddressVia::Email, "x@y.z".to_owned())]);
}

#[test]
fn the_state_change_time_moves_only_when_the_state_changes() {
    let mut i = identity(json!({}));
    i.set_state(IdentityState::Active, T1);
    assert_eq!(i.state_changed_at, Some(timestamp::truncate(T0)));
    i.set_state(IdentityState::Inactive, T1);
    assert_eq!(i.state_changed_at, Some(T1));
    assert!(!i.is_active());
}

#[test]
fn claims_cover_identifiers_and_both_kinds_of_address() {
    let mut i = identity(json!({"email": "a@example.org"}));
    i.validate_against(&rich_schema(), T0).unwrap();
    let claims = i.claims();
    let identifier = |t| Claim::Identifier {
        credentials_type: t,
        identifier: "a@example.org".into(),
    };
    assert!(claims.contains(&identifier(CredentialsType::Password)));
    assert!(claims.contains(&identifier(CredentialsType::Code)));
    assert!(claims.contains(&identifier(CredentialsType::Webauthn)));
    assert!(claims.contains(&Claim::VerifiableAddress {
        via: AddressVia::Email,
        value: "a@example.org".into()
    }));
    assert!(claims.contains(&Claim::RecoveryAddress {
        via: AddressVia::Email,
        value: "a@example.org".into()
    }));
    assert_eq!(claims.len(), 5);
}
