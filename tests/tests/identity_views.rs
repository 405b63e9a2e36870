//! The identity domain's API views against the contract and the official SDK: every view
//! an admin or public endpoint can send must match Kratos's `identity` schema and decode
//! with `ory-kratos-client`. (The endpoints themselves are tested where they are built.)

use blackbox::contract::assert_schema;
use kratos_core::identity::{
    AddressVia, CredentialsType, Identity, ImportedRecoveryAddress, ImportedVerifiableAddress,
    ViewOptions, oidc_identifier,
};
use kratos_core::schema::{SchemaRegistry, schema_url};
use serde_json::{Value, json};
use time::macros::datetime;

fn identity() -> Identity {
    let now = datetime!(2026-03-04 05:06:07.891 UTC);
    let mut identity = Identity::new(
        "default",
        json!({"email": "sdk@example.org", "name": {"first": "Ada"}}),
        now,
    );
    identity.import_addresses(
        vec![ImportedVerifiableAddress {
            value: "SDK@example.org".into(),
            verified: true,
            via: AddressVia::Email,
            status: None,
            verified_at: None,
        }],
        vec![ImportedRecoveryAddress {
            value: "sdk@example.org".into(),
            via: AddressVia::Email,
        }],
        now,
    );
    identity.validate(&SchemaRegistry::builtin(), now).unwrap();
    identity.upsert_credentials(
        CredentialsType::Password,
        json!({"hashed_password": "$2a$12$abcdefghijklmnopqrstuu"}),
        now,
    );
    let oidc = identity.upsert_credentials(
        CredentialsType::Oidc,
        json!({"providers": [{"provider": "github", "subject": "42",
            "initial_access_token": "sealed"}]}),
        now,
    );
    oidc.identifiers = vec![oidc_identifier("github", "42")];
    identity.metadata_public = Some(json!({"tier": 1}));
    identity.metadata_admin = Some(json!({"internal": "x"}));
    identity
}

fn rendered(options: &ViewOptions<'_>) -> Value {
    let identity = identity();
    let url = schema_url(
        &"http://127.0.0.1:4433/".parse().unwrap(),
        &identity.schema_id,
    );
    serde_json::to_value(identity.view(url, options)).unwrap()
}

fn assert_sdk_decodes(json: &Value) -> ory_kratos_client::models::Identity {
    serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("the SDK cannot decode {json}: {e}"))
}

#[test]
fn the_public_view_matches_the_contract_and_the_sdk() {
    let json = rendered(&ViewOptions::public());
    assert_schema(&json, "identity");
    let sdk = assert_sdk_decodes(&json);
    assert!(sdk.credentials.is_none());
    assert!(sdk.metadata_admin.is_none());
    assert_eq!(sdk.schema_url, "http://127.0.0.1:4433/schemas/ZGVmYXVsdA");
    let addresses = sdk.verifiable_addresses.unwrap();
    assert!(addresses[0].verified);
    assert_eq!(addresses[0].status, "completed");
}

#[test]
fn admin_views_with_credentials_match_the_contract_and_the_sdk() {
    let open = |_: &str| Some("opened".to_owned());
    let everything = CredentialsType::ALL;
    for options in [
        ViewOptions::admin(),
        ViewOptions::admin_with_credentials(&[], None),
        ViewOptions::admin_with_credentials(&everything, Some(&open)),
    ] {
        let json = rendered(&options);
        assert_schema(&json, "identity");
        let sdk = assert_sdk_decodes(&json);
        assert_eq!(sdk.metadata_admin, Some(Some(json!({"internal": "x"}))));
    }
    let json = rendered(&ViewOptions::admin_with_credentials(
        &everything,
        Some(&open),
    ));
    let sdk = assert_sdk_decodes(&json);
    let credentials = sdk.credentials.unwrap();
    let oidc = &credentials["oidc"];
    assert_eq!(
        oidc.config.as_ref().unwrap()["providers"][0]["initial_access_token"],
        "opened"
    );
    assert_eq!(
        credentials["password"].identifiers,
        Some(vec!["sdk@example.org".into()])
    );
}
