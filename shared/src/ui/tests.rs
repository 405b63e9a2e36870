use serde_json::{Value, json};

use super::*;
use crate::schema::{IdentitySchema, SchemaRegistry};

fn names(container: &UiContainer) -> Vec<String> {
    container
        .nodes
        .iter()
        .map(|n| format!("{}:{}", n.group.as_str(), n.id()))
        .collect()
}

fn compile(document: Value) -> IdentitySchema {
    IdentitySchema::compile("test", "test://schema", document).expect("test schema compiles")
}

// ---- JSON shapes -----------------------------------------------------------------------

#[test]
fn the_csrf_node_is_a_required_hidden_input_of_the_default_group() {
    let node = serde_json::to_value(csrf_token_node("tok")).unwrap();
    assert_eq!(
        node,
        json!({
            "type": "input",
            "group": "default",
            "attributes": {
                "name": "csrf_token",
                "type": "hidden",
                "value": "tok",
                "required": true,
                "disabled": false,
                "node_type": "input"
            },
            "messages": [],
            "meta": {}
        })
    );
}

#[test]
fn password_inputs_ask_for_the_current_or_a_new_password() {
    let login = serde_json::to_value(password_node(PasswordPurpose::Current)).unwrap();
    assert_eq!(
        login,
        json!({
            "type": "input",
            "group": "password",
            "attributes": {
                "name": "password",
                "type": "password",
                "required": true,
                "autocomplete": "current-password",
                "disabled": false,
                "node_type": "input"
            },
            "messages": [],
            "meta": { "label": { "id": 1070001, "text": "Password", "type": "info" } }
        })
    );
    let registration = serde_json::to_value(password_node(PasswordPurpose::New)).unwrap();
    assert_eq!(
        registration["attributes"]["autocomplete"],
        json!("new-password")
    );
}

#[test]
fn a_method_button_is_a_labelled_submit_with_the_method_as_value() {
    let node = serde_json::to_value(method_button(
        "password",
        UiNodeGroup::Password,
        text::login_password(),
    ))
    .unwrap();
    assert_eq!(node["type"], "input");
    assert_eq!(node["group"], "password");
    assert_eq!(
        node["attributes"],
        json!({ "name": "method", "type": "submit", "value": "password", "disabled": false, "node_type": "input" })
    );
    assert_eq!(node["meta"]["label"]["id"], 1010022);
}

#[test]
fn the_login_identifier_starts_empty_required_and_labelled() {
    let node = serde_json::to_value(identifier_node(text::label_id(), "")).unwrap();
    assert_eq!(node["group"], "default");
    assert_eq!(node["attributes"]["name"], "identifier");
    assert_eq!(node["attributes"]["type"], "text");
    assert_eq!(node["attributes"]["value"], "");
    assert_eq!(node["attributes"]["required"], true);
    assert_eq!(node["meta"]["label"]["id"], 1070004);
}

#[test]
fn a_container_omits_messages_only_when_there_are_none() {
    let mut container = UiContainer::new("https://auth.example.com/self-service/login?flow=x");
    let empty = serde_json::to_value(&container).unwrap();
    assert_eq!(
        empty,
        json!({ "action": "https://auth.example.com/self-service/login?flow=x", "method": "POST", "nodes": [] })
    );
    container.add_message(text::login_reauth());
    let with_message = serde_json::to_value(&container).unwrap();
    assert_eq!(with_message["messages"][0]["id"], 1010003);
    assert_eq!(with_message["messages"][0]["type"], "info");
    assert!(with_message["messages"][0].get("context").is_none());
}

#[test]
fn every_node_kind_has_its_spec_attributes_and_round_trips() {
    let nodes = vec![
        UiNode::text("totp_secret_key", text::label_id(), UiNodeGroup::Totp),
        UiNode::anchor(
            "link",
            "https://example.com/",
            text::label_continue(),
            UiNodeGroup::Default,
        ),
        UiNode::image(
            "totp_qr",
            "data:image/png;base64,AAAA",
            256,
            256,
            UiNodeGroup::Totp,
        ),
        UiNode::script(
            "webauthn_script",
            "https://auth.example.com/.well-known/ory/webauthn.js",
            "sha512-abc",
            UiNodeGroup::Webauthn,
        ),
        UiNode::input(
            "traits.age",
            InputType::Number,
            UiNodeGroup::Profile,
            Some(json!(42)),
        )
        .with_maxlength(3)
        .with_pattern("[0-9]+")
        .with_disabled(true),
    ];
    let json = serde_json::to_value(&nodes).unwrap();
    assert_eq!(
        json[0]["attributes"],
        json!({ "text": { "id": 1070004, "text": "ID", "type": "info" }, "id": "totp_secret_key", "node_type": "text" })
    );
    assert_eq!(json[0]["type"], "text");
    assert_eq!(json[1]["type"], "a");
    assert_eq!(json[1]["attributes"]["href"], "https://example.com/");
    assert_eq!(json[1]["attributes"]["title"]["id"], 1070009);
    assert_eq!(json[1]["attributes"]["node_type"], "a");
    assert_eq!(json[2]["type"], "img");
    assert_eq!(json[2]["attributes"]["width"], 256);
    assert_eq!(json[3]["type"], "script");
    let script = json[3]["attributes"].as_object().unwrap();
    for key in [
        "src",
        "async",
        "referrerpolicy",
        "crossorigin",
        "integrity",
        "type",
        "id",
        "nonce",
        "node_type",
    ] {
        assert!(script.contains_key(key), "script attributes lack {key}");
    }
    assert_eq!(json[3]["attributes"]["async"], true);
    assert_eq!(json[4]["attributes"]["maxlength"], 3);
    assert_eq!(json[4]["attributes"]["pattern"], "[0-9]+");
    assert_eq!(json[4]["attributes"]["disabled"], true);
    assert_eq!(json[4]["attributes"]["value"], 42);

    let back: Vec<UiNode> = serde_json::from_value(json).unwrap();
    assert_eq!(back, nodes);
}

#[test]
fn a_node_whose_type_contradicts_its_attributes_does_not_parse() {
    let wrong = json!({
        "type": "text",
        "group": "default",
        "attributes": { "name": "x", "type": "text", "disabled": false, "node_type": "input" },
        "messages": [],
        "meta": {}
    });
    assert!(serde_json::from_value::<UiNode>(wrong).is_err());
}

#[test]
fn a_null_value_is_no_value() {
    let node = UiNode::input(
        "x",
        InputType::Text,
        UiNodeGroup::Default,
        Some(Value::Null),
    );
    let json = serde_json::to_value(&node).unwrap();
    assert!(json["attributes"].get("value").is_none());
}

// ---- nodes from the identity schema -----------------------------------------------------

#[test]
fn the_default_schema_yields_typed_required_labelled_trait_inputs() {
    let registry = SchemaRegistry::builtin();
    let nodes = trait_nodes(registry.default_schema(), UiNodeGroup::Default);
    let json = serde_json::to_value(&nodes).unwrap();
    assert_eq!(
        json,
        json!([
            {
                "type": "input",
                "group": "default",
                "attributes": {
                    "name": "traits.email",
                    "type": "email",
                    "required": true,
                    "autocomplete": "email",
                    "disabled": false,
                    "node_type": "input"
                },
                "messages": [],
                "meta": { "label": { "id": 1070002, "text": "E-Mail", "type": "info", "context": { "title": "E-Mail" } } }
            },
            {
                "type": "input",
                "group": "default",
                "attributes": { "name": "traits.name.first", "type": "text", "disabled": false, "node_type": "input" },
                "messages": [],
                "meta": { "label": { "id": 1070002, "text": "First name", "type": "info", "context": { "title": "First name" } } }
            },
            {
                "type": "input",
                "group": "default",
                "attributes": { "name": "traits.name.last", "type": "text", "disabled": false, "node_type": "input" },
                "messages": [],
                "meta": { "label": { "id": 1070002, "text": "Last name", "type": "info", "context": { "title": "Last name" } } }
            }
        ])
    );
}

fn every_type_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "definitions": {
            "phone": { "type": "string", "format": "tel", "title": "Phone" }
        },
        "properties": {
            "traits": {
                "type": "object",
                "required": ["username", "age"],
                "properties": {
                    "username": { "type": "string", "pattern": "^[a-z]+$" },
                    "age": { "type": "integer" },
                    "height": { "type": "number" },
                    "newsletter": { "type": "boolean" },
                    "birthday": { "type": "string", "format": "date" },
                    "last_seen": { "type": "string", "format": "date-time" },
                    "website": { "type": "string", "format": "uri" },
                    "phone": { "$ref": "#/definitions/phone" },
                    "tags": { "type": "array", "items": { "type": "string" } },
                    "addresses": { "type": "array", "items": { "type": "object", "properties": { "city": { "type": "string" } } } },
                    "nickname": { "type": ["string", "null"] },
                    "tier": { "const": "gold" },
                    "extra": { "allOf": [ { "properties": { "a": { "type": "string" } } } ], "type": "object" }
                }
            }
        }
    })
}

#[test]
fn input_types_follow_json_schema_types_and_formats() {
    let nodes = schema_nodes::nodes_from_document(&every_type_schema(), UiNodeGroup::Profile);
    let by_name = |name: &str| -> &InputAttributes {
        nodes
            .iter()
            .find(|n| n.id() == name)
            .unwrap_or_else(|| panic!("no node {name}"))
            .input_attributes()
            .unwrap()
    };
    assert_eq!(by_name("traits.username").input_type, InputType::Text);
    assert_eq!(
        by_name("traits.username").pattern.as_deref(),
        Some("^[a-z]+$")
    );
    assert!(by_name("traits.username").required);
    assert_eq!(by_name("traits.age").input_type, InputType::Number);
    assert!(by_name("traits.age").required);
    assert_eq!(by_name("traits.height").input_type, InputType::Number);
    assert!(!by_name("traits.height").required);
    assert_eq!(by_name("traits.newsletter").input_type, InputType::Checkbox);
    assert_eq!(by_name("traits.birthday").input_type, InputType::Date);
    assert_eq!(
        by_name("traits.last_seen").input_type,
        InputType::DatetimeLocal
    );
    assert_eq!(by_name("traits.website").input_type, InputType::Url);
    assert_eq!(
        by_name("traits.website").autocomplete,
        Some(Autocomplete::Url)
    );
    assert_eq!(by_name("traits.phone").input_type, InputType::Tel);
    assert_eq!(
        by_name("traits.phone").autocomplete,
        Some(Autocomplete::Tel)
    );
    assert_eq!(by_name("traits.tags").input_type, InputType::Text);
    assert_eq!(by_name("traits.tier").input_type, InputType::Text);
    assert_eq!(by_name("traits.extra.a").input_type, InputType::Text);
    // Objects, arrays of objects and multi-typed properties get no input, as in Kratos.
    for absent in [
        "traits",
        "traits.addresses",
        "traits.nickname",
        "traits.extra",
    ] {
        assert!(
            nodes.iter().all(|n| n.id() != absent),
            "{absent} has a node"
        );
    }
    assert!(nodes.iter().all(|n| n.group == UiNodeGroup::Profile));
    let phone = nodes.iter().find(|n| n.id() == "traits.phone").unwrap();
    assert_eq!(phone.meta.label.as_ref().unwrap().text, "Phone");
}

#[test]
fn the_identifier_label_is_the_title_of_the_only_titled_identifier() {
    let registry = SchemaRegistry::builtin();
    let label = identifier_label(registry.default_schema());
    assert_eq!(label.id, text::id::INFO_NODE_LABEL_GENERATED);
    assert_eq!(label.text, "E-Mail");

    let two = compile(json!({
        "type": "object",
        "properties": { "traits": { "type": "object", "properties": {
            "email": { "type": "string", "title": "Email", "ory.sh/kratos": { "credentials": { "password": { "identifier": true } } } },
            "username": { "type": "string", "title": "Username", "ory.sh/kratos": { "credentials": { "password": { "identifier": true } } } }
        } } }
    }));
    assert_eq!(identifier_label(&two).id, text::id::INFO_NODE_LABEL_ID);

    let untitled = compile(json!({
        "type": "object",
        "properties": { "traits": { "type": "object", "properties": {
            "email": { "type": "string", "ory.sh/kratos": { "credentials": { "password": { "identifier": true } } } }
        } } }
    }));
    assert_eq!(identifier_label(&untitled), text::label_id());
}

#[test]
fn schema_key_order_follows_the_document_not_the_alphabet() {
    let keys = schema_key_order(&json!({
        "type": "object",
        "properties": { "traits": { "type": "object", "properties": {
            "zeta": { "type": "string" },
            "alpha": { "type": "object", "properties": { "y": { "type": "string" }, "b": { "type": "string" } } },
            "dotted.key": { "type": "string" }
        } } }
    }));
    assert_eq!(
        keys,
        vec![
            "traits.zeta",
            "traits.alpha.y",
            "traits.alpha.b",
            "traits.dotted\\.key"
        ]
    );
}

// ---- values and messages ---------------------------------------------------------------

#[test]
fn values_fill_existing_inputs_and_unknown_ones_become_new_inputs() {
    let registry = SchemaRegistry::builtin();
    let mut ui = UiContainer::new("x");
    for node in trait_nodes(registry.default_schema(), UiNodeGroup::Default) {
        ui.upsert(node);
    }
    ui.update_values_from_json(
        &json!({
            "email": "a@example.com",
            "name": { "first": "Ada" },
            "emails": ["b@example.com", "c@example.com"],
            "age": 36,
            "admin": false,
            "odd.key": "x",
            "gone": null
        }),
        "traits",
        UiNodeGroup::Profile,
    );
    let email = ui.node("traits.email").unwrap();
    assert_eq!(email.value(), Some(&json!("a@example.com")));
    assert_eq!(email.group, UiNodeGroup::Profile);
    // The schema's typing survives: it is still an email input.
    assert_eq!(
        email.input_attributes().unwrap().input_type,
        InputType::Email
    );
    assert_eq!(
        ui.node("traits.name.first").unwrap().value(),
        Some(&json!("Ada"))
    );
    assert_eq!(ui.node("traits.name.last").unwrap().value(), None);
    assert_eq!(
        ui.node("traits.emails.1").unwrap().value(),
        Some(&json!("c@example.com"))
    );
    let age = ui.node("traits.age").unwrap().input_attributes().unwrap();
    assert_eq!(age.input_type, InputType::Number);
    let admin = ui.node("traits.admin").unwrap().input_attributes().unwrap();
    assert_eq!(admin.input_type, InputType::Checkbox);
    assert!(ui.node("traits.odd\\.key").is_some());
    assert_eq!(ui.node("traits.gone").unwrap().value(), None);
}

#[test]
fn messages_attach_to_named_nodes_and_a_missing_node_is_created_for_them() {
    let mut ui = UiContainer::new("x");
    ui.upsert(password_node(PasswordPurpose::New));
    ui.add_message_to("password", text::validation_password_min_length(8, 3));
    ui.add_message_to("traits.unknown", text::validation_required("unknown"));
    ui.add_message_to("", text::login_no_strategy_found());
    assert_eq!(ui.node("password").unwrap().messages[0].id, 4000032);
    let created = ui.node("traits.unknown").unwrap();
    assert_eq!(created.group, UiNodeGroup::Default);
    assert_eq!(
        created.input_attributes().unwrap().input_type,
        InputType::Text
    );
    assert_eq!(created.messages[0].id, 4000002);
    assert_eq!(ui.messages[0].id, 4010002);
    assert!(ui.has_errors());
}

#[test]
fn schema_violations_become_field_messages_with_kratos_context() {
    let registry = SchemaRegistry::builtin();
    let schema = registry.default_schema();
    let mut ui = UiContainer::new("x");
    for node in trait_nodes(schema, UiNodeGroup::Default) {
        ui.upsert(node);
    }
    let traits = json!({ "name": { "first": 5 } });
    let violations = schema.validate_traits(&traits).unwrap_err();
    ui.add_violations(&violations, Some(&json!({ "traits": traits })));

    let email = &ui.node("traits.email").unwrap().messages;
    assert_eq!(email.len(), 1);
    assert_eq!(email[0].id, text::id::ERROR_VALIDATION_REQUIRED);
    assert_eq!(email[0].context.as_ref().unwrap()["property"], "email");

    let first = &ui.node("traits.name.first").unwrap().messages;
    assert_eq!(first[0].id, text::id::ERROR_VALIDATION_WRONG_TYPE);
    let context = first[0].context.as_ref().unwrap();
    assert_eq!(context["allowed_types"], json!(["string"]));
    assert_eq!(context["actual_type"], "integer");

    let short = json!({ "email": "a@" });
    let violations = schema.validate_traits(&short).unwrap_err();
    let mut ui = UiContainer::new("x");
    ui.add_violations(&violations, None);
    let messages = &ui.node("traits.email").unwrap().messages;
    let min_length = messages
        .iter()
        .find(|m| m.id == text::id::ERROR_VALIDATION_MIN_LENGTH)
        .expect("a minLength message");
    assert_eq!(min_length.context.as_ref().unwrap()["min_length"], 3);
    assert_eq!(min_length.context.as_ref().unwrap()["actual_length"], 2);
}

#[test]
fn resetting_clears_messages_and_values_except_where_told() {
    let mut ui = UiContainer::new("x");
    ui.set_csrf("tok");
    ui.upsert(identifier_node(text::label_id(), "someone"));
    ui.upsert(password_node(PasswordPurpose::Current));
    ui.set_value("password", json!("hunter2"));
    ui.add_message(text::login_reauth());
    ui.add_message_to("identifier", text::validation_invalid_credentials());
    ui.add_message_to("password", text::validation_invalid_credentials());

    let mut messages_only = ui.clone();
    messages_only.reset_messages(&["password"]);
    assert!(messages_only.messages.is_empty());
    assert!(
        messages_only
            .node("identifier")
            .unwrap()
            .messages
            .is_empty()
    );
    assert_eq!(messages_only.node("password").unwrap().messages.len(), 1);
    assert_eq!(
        messages_only.node("password").unwrap().value(),
        Some(&json!("hunter2"))
    );

    let mut everything = ui.clone();
    everything.reset(&["csrf_token"]);
    assert_eq!(everything.csrf_token(), Some("tok"));
    assert_eq!(everything.node("identifier").unwrap().value(), None);
    assert_eq!(everything.node("password").unwrap().value(), None);
    assert!(!everything.has_errors());

    let mut some = ui;
    some.reset_nodes(&["password"]);
    assert_eq!(some.node("password").unwrap().value(), None);
    assert!(some.node("password").unwrap().messages.is_empty());
    assert_eq!(
        some.node("identifier").unwrap().value(),
        Some(&json!("someone"))
    );
    assert_eq!(some.messages.len(), 1);
}

#[test]
fn set_csrf_replaces_the_existing_token() {
    let mut ui = UiContainer::new("x");
    ui.set_csrf("one");
    ui.set_csrf("two");
    assert_eq!(ui.csrf_token(), Some("two"));
    assert_eq!(ui.nodes.len(), 1);
}

// ---- sorting ---------------------------------------------------------------------------

#[test]
fn login_forms_sort_social_first_then_identifier_password_and_method_last() {
    let mut ui = UiContainer::new("x");
    ui.append(method_button(
        "password",
        UiNodeGroup::Password,
        text::login_password(),
    ));
    ui.append(password_node(PasswordPurpose::Current));
    ui.append(identifier_node(text::label_id(), ""));
    ui.append(UiNode::input(
        "provider",
        InputType::Submit,
        UiNodeGroup::Oidc,
        Some(json!("google")),
    ));
    ui.append(UiNode::input(
        "provider",
        InputType::Submit,
        UiNodeGroup::Oidc,
        Some(json!("github")),
    ));
    ui.set_csrf("tok");
    ui.append(method_button("code", UiNodeGroup::Code, text::login_code()));
    ui.append(UiNode::input(
        "identifier",
        InputType::Text,
        UiNodeGroup::IdentifierFirst,
        None,
    ));
    ui.sort_nodes(&SortOptions::login());
    let providers: Vec<&Value> = ui
        .nodes
        .iter()
        .filter(|n| n.id() == "provider")
        .filter_map(UiNode::value)
        .collect();
    assert_eq!(providers, vec![&json!("github"), &json!("google")]);
    assert_eq!(
        names(&ui),
        vec![
            "identifier_first:identifier",
            "oidc:provider",
            "oidc:provider",
            "default:csrf_token",
            "default:identifier",
            "code:method",
            "password:password",
            "password:method",
        ]
    );
}

#[test]
fn registration_forms_follow_schema_order_with_the_password_after_the_first_key() {
    let registry = SchemaRegistry::builtin();
    let document = &registry.default_schema().document;
    let mut ui = UiContainer::new("x");
    ui.append(method_button(
        "password",
        UiNodeGroup::Password,
        text::registration(),
    ));
    ui.append(password_node(PasswordPurpose::New));
    let mut traits = trait_nodes(registry.default_schema(), UiNodeGroup::Password);
    traits.reverse();
    for node in traits {
        ui.append(node);
    }
    ui.set_csrf("tok");
    ui.sort_nodes(&SortOptions::registration(document));
    assert_eq!(
        names(&ui),
        vec![
            "default:csrf_token",
            "password:traits.email",
            "password:password",
            "password:traits.name.first",
            "password:traits.name.last",
            "password:method",
        ]
    );
}

#[test]
fn settings_forms_put_profile_before_password() {
    let registry = SchemaRegistry::builtin();
    let document = &registry.default_schema().document;
    let mut ui = UiContainer::new("x");
    ui.append(method_button(
        "password",
        UiNodeGroup::Password,
        text::label_save(),
    ));
    ui.append(password_node(PasswordPurpose::New));
    ui.append(method_button(
        "profile",
        UiNodeGroup::Profile,
        text::label_save(),
    ));
    for node in trait_nodes(registry.default_schema(), UiNodeGroup::Profile)
        .into_iter()
        .rev()
    {
        ui.append(node);
    }
    ui.set_csrf("tok");
    ui.sort_nodes(&SortOptions::settings(document));
    assert_eq!(
        names(&ui),
        vec![
            "default:csrf_token",
            "profile:traits.email",
            "profile:traits.name.first",
            "profile:traits.name.last",
            "profile:method",
            "password:password",
            "password:method",
        ]
    );
}

#[test]
fn without_a_group_order_nodes_only_move_within_runs_of_their_group() {
    let mut nodes = vec![
        UiNode::input("b", InputType::Text, UiNodeGroup::Password, None),
        UiNode::input("a", InputType::Text, UiNodeGroup::Password, None),
        UiNode::input("z", InputType::Text, UiNodeGroup::Default, None),
        UiNode::input("method", InputType::Submit, UiNodeGroup::Password, None),
        UiNode::input("c", InputType::Text, UiNodeGroup::Password, None),
    ];
    sort_nodes(
        &mut nodes,
        &SortOptions {
            groups: vec![],
            keys: vec!["a".into(), "b".into(), "c".into()],
        },
    );
    let order: Vec<&str> = nodes.iter().map(UiNode::id).collect();
    assert_eq!(order, vec!["a", "b", "z", "c", "method"]);
}
