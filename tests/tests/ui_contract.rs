//! The self-service building blocks serialise to the shapes of the Kratos v1.3 contract:
//! forms (`uiContainer`), flow documents, stored errors (`flowError`) and flow errors.

use std::time::Duration;

use blackbox::contract::assert_schema;
use kratos_core::flow::self_service_errors::stub_500;
use kratos_core::flow::{ExpiredFlowNext, FlowCommon, FlowError, FlowExpired, FlowKind, FlowType};
use kratos_core::http::ApiError;
use kratos_core::http::csrf::CsrfViolation;
use kratos_core::ids::FlowId;
use kratos_core::schema::SchemaRegistry;
use kratos_core::ui::{
    InputType, PasswordPurpose, UiContainer, UiNode, UiNodeGroup, csrf_token_node,
    identifier_label, identifier_node, method_button, password_node, text, trait_nodes,
};
use serde_json::{Value, json};
use time::macros::datetime;
use url::Url;

fn every_kind_of_node() -> UiContainer {
    let registry = SchemaRegistry::builtin();
    let schema = registry.default_schema();
    let mut ui = UiContainer::new("https://auth.example.com/self-service/registration?flow=x");
    ui.append(csrf_token_node("token"));
    for node in trait_nodes(schema, UiNodeGroup::Default) {
        ui.append(node);
    }
    ui.append(identifier_node(identifier_label(schema), ""));
    ui.append(password_node(PasswordPurpose::New));
    ui.append(method_button(
        "password",
        UiNodeGroup::Password,
        text::registration(),
    ));
    ui.append(UiNode::text(
        "totp_secret_key",
        text::label_generated("secret"),
        UiNodeGroup::Totp,
    ));
    ui.append(UiNode::image(
        "totp_qr",
        "data:image/png;base64,AA==",
        256,
        256,
        UiNodeGroup::Totp,
    ));
    ui.append(UiNode::anchor(
        "back",
        "https://app.example.com/",
        text::registration_back(),
        UiNodeGroup::Default,
    ));
    ui.append(UiNode::script(
        "webauthn_script",
        "https://auth.example.com/.well-known/ory/webauthn.js",
        "sha512-x",
        UiNodeGroup::Webauthn,
    ));
    ui.append(
        UiNode::input(
            "traits.age",
            InputType::Number,
            UiNodeGroup::Profile,
            Some(json!(3)),
        )
        .with_maxlength(3)
        .with_pattern("[0-9]+"),
    );
    ui.add_message(text::login_flow_expired(
        datetime!(2026-01-01 00:00:00 UTC),
        datetime!(2026-01-01 00:05:00 UTC),
    ));
    ui.add_message_to("password", text::validation_password_min_length(8, 3));
    ui.add_message_to("traits.email", text::validation_required("email"));
    ui.add_message_to(
        "traits.unknown",
        text::validation_wrong_type(&["string".into()], "integer"),
    );
    ui
}

#[test]
fn forms_with_every_node_kind_match_ui_container() {
    let json = serde_json::to_value(every_kind_of_node()).unwrap();
    assert_schema(&json, "uiContainer");
    for node in json["nodes"].as_array().unwrap() {
        assert_schema(node, "uiNode");
        assert_eq!(node["type"], node["attributes"]["node_type"]);
    }
}

#[test]
fn an_empty_form_matches_ui_container() {
    assert_schema(
        &serde_json::to_value(UiContainer::new("https://x/")).unwrap(),
        "uiContainer",
    );
}

#[test]
fn every_catalog_message_matches_ui_text() {
    let at = datetime!(2026-01-01 00:00:00 UTC);
    let messages = vec![
        text::login_with("GitHub", "github"),
        text::login_link("a@b", "github", "https://x/", &["password".into()], &[]),
        text::recovery_successful(at, at),
        text::validation_minimum(&json!(1.5), &json!(0)),
        text::validation_duplicate_credentials_with_hints(&[], &[], ""),
        text::system_generic("x"),
    ];
    for message in messages {
        assert_schema(&serde_json::to_value(message).unwrap(), "uiText");
    }
}

fn flow_document(kind: FlowKind) -> Value {
    let mut common = FlowCommon::new(
        kind,
        FlowType::Browser,
        "https://auth.example.com/self-service/login/browser?return_to=https://app.example.com/",
        &Url::parse("https://auth.example.com/").unwrap(),
        datetime!(2026-01-01 00:00:00 UTC),
        Duration::from_secs(3600),
    );
    common.ui = every_kind_of_node();
    serde_json::to_value(common).unwrap()
}

#[test]
fn the_common_flow_fields_match_the_flow_schemas() {
    assert_schema(&flow_document(FlowKind::Login), "loginFlow");
    assert_schema(&flow_document(FlowKind::Registration), "registrationFlow");
    assert_schema(&flow_document(FlowKind::Recovery), "recoveryFlow");
    assert_schema(&flow_document(FlowKind::Verification), "verificationFlow");
    let mut settings = flow_document(FlowKind::Settings);
    // Settings flows also carry the identity, which the settings flow adds.
    settings["identity"] = json!({
        "id": "9f425a8d-7efc-4768-8f23-7647a74fdf13",
        "schema_id": "default",
        "schema_url": "https://auth.example.com/schemas/ZGVmYXVsdA",
        "traits": {}
    });
    assert_schema(&settings, "settingsFlow");
}

#[test]
fn stored_errors_match_flow_error() {
    let error = stub_500(datetime!(2026-01-01 00:00:00 UTC));
    assert_schema(&serde_json::to_value(error).unwrap(), "flowError");
}

#[test]
fn flow_errors_match_their_error_schemas() {
    let expired = ApiError::from(FlowError::Expired(FlowExpired {
        expired_at: datetime!(2026-01-01 00:00:00 UTC),
        since: time::Duration::minutes(2),
        use_flow_id: Some(FlowId::new()),
    }))
    .body();
    assert_schema(&expired, "selfServiceFlowExpiredError");

    let replaced = ApiError::from(FlowError::Replaced {
        use_flow_id: FlowId::new(),
    })
    .body();
    assert_schema(&replaced, "errorFlowReplaced");

    for error in [
        FlowError::ReturnToForbidden {
            requested: "https://evil.example/".into(),
        },
        FlowError::SessionAlreadyAvailable {
            kind: FlowKind::Login,
        },
        FlowError::IdentityMismatch,
        FlowError::Disabled {
            kind: FlowKind::Registration,
        },
        FlowError::MissingFlowId,
        FlowError::NotFound,
    ] {
        assert_schema(&ApiError::from(error).body(), "errorGeneric");
    }
}

/// Kratos sends `details` on these errors although the spec's `genericError.details`
/// admits no properties; everything else about them matches the contract.
#[test]
fn errors_with_details_match_the_contract_apart_from_details() {
    let strip = |mut body: Value| {
        let details = body["error"]
            .as_object_mut()
            .unwrap()
            .remove("details")
            .expect("the error has details");
        assert!(details.is_object());
        body
    };
    let csrf = ApiError::from(CsrfViolation {
        error: kratos_core::flow::csrf::CsrfError::Mismatch,
        any_cookies: true,
        ajax: true,
    })
    .body();
    assert_eq!(csrf["error"]["id"], "security_csrf_violation");
    assert_schema(&strip(csrf), "errorGeneric");

    let expired_fetch = ApiError::from(FlowError::ExpiredOnFetch {
        kind: FlowKind::Login,
        next: ExpiredFlowNext::Api {
            init_url: "https://auth.example.com/self-service/login/api".into(),
        },
    })
    .body();
    assert_schema(&strip(expired_fetch), "errorGeneric");
}

/// `errorBrowserLocationChangeRequired` is sent as Kratos sends it: the spec nests its
/// `error` one level deeper than Kratos (and this implementation) actually do.
#[test]
fn location_change_errors_have_kratos_wire_shape() {
    let body = ApiError::from(FlowError::BrowserLocationChangeRequired {
        redirect_browser_to: "https://app.example.com/verify".into(),
    })
    .body();
    assert_schema(&json!({ "error": body["error"].clone() }), "errorGeneric");
    assert_eq!(
        body["redirect_browser_to"],
        "https://app.example.com/verify"
    );
    assert_eq!(body["error"]["code"], 422);
}

/// Guards the checks above: a node the spec rejects is caught.
#[test]
#[should_panic(expected = "does not match")]
fn an_input_without_disabled_fails_the_contract() {
    let mut node = serde_json::to_value(csrf_token_node("t")).unwrap();
    node["attributes"]
        .as_object_mut()
        .unwrap()
        .remove("disabled");
    assert_schema(&node, "uiNode");
}
