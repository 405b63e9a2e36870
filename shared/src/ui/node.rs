//! Form nodes (`uiNode`): inputs, texts, images, anchors and scripts, each in a method
//! group, plus builders for the nodes every flow shares.
//!
//! A node's `type` is never stored separately: it is derived from its attributes, whose
//! `node_type` tag says which of the spec's `uiNodeAttributes` variants they are.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::text::{self, UiText};

/// The name of the hidden anti-CSRF input.
pub const CSRF_TOKEN_NODE: &str = "csrf_token";
/// The name of the submit buttons that select a method.
pub const METHOD_NODE: &str = "method";
/// The login identifier input.
pub const IDENTIFIER_NODE: &str = "identifier";
/// The password input.
pub const PASSWORD_NODE: &str = "password";

/// Which method a node belongs to (`uiNode.group`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UiNodeGroup {
    Default,
    Password,
    Oidc,
    Profile,
    Link,
    Code,
    Totp,
    LookupSecret,
    Webauthn,
    Passkey,
    IdentifierFirst,
}

impl UiNodeGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            UiNodeGroup::Default => "default",
            UiNodeGroup::Password => "password",
            UiNodeGroup::Oidc => "oidc",
            UiNodeGroup::Profile => "profile",
            UiNodeGroup::Link => "link",
            UiNodeGroup::Code => "code",
            UiNodeGroup::Totp => "totp",
            UiNodeGroup::LookupSecret => "lookup_secret",
            UiNodeGroup::Webauthn => "webauthn",
            UiNodeGroup::Passkey => "passkey",
            UiNodeGroup::IdentifierFirst => "identifier_first",
        }
    }
}

/// `uiNode.type`, mirrored by `attributes.node_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UiNodeType {
    #[serde(rename = "input")]
    Input,
    #[serde(rename = "text")]
    Text,
    #[serde(rename = "img")]
    Image,
    #[serde(rename = "a")]
    Anchor,
    #[serde(rename = "script")]
    Script,
}

/// The HTML `type` of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputType {
    Text,
    Password,
    Number,
    Checkbox,
    Hidden,
    Email,
    Tel,
    Submit,
    Button,
    DatetimeLocal,
    Date,
    Url,
}

/// The HTML `autocomplete` hint of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Autocomplete {
    Email,
    Tel,
    Url,
    CurrentPassword,
    NewPassword,
    OneTimeCode,
}

/// A function of Ory's browser script that an input triggers (WebAuthn, passkeys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebAuthnTrigger {
    #[serde(rename = "oryWebAuthnRegistration")]
    WebAuthnRegistration,
    #[serde(rename = "oryWebAuthnLogin")]
    WebAuthnLogin,
    #[serde(rename = "oryPasskeyLogin")]
    PasskeyLogin,
    #[serde(rename = "oryPasskeyLoginAutocompleteInit")]
    PasskeyLoginAutocompleteInit,
    #[serde(rename = "oryPasskeyRegistration")]
    PasskeyRegistration,
    #[serde(rename = "oryPasskeySettingsRegistration")]
    PasskeySettingsRegistration,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// `uiNodeInputAttributes`. Optional fields are left out of the JSON when unset, as Kratos
/// does; `disabled` is always present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputAttributes {
    pub name: String,
    #[serde(rename = "type")]
    pub input_type: InputType,
    /// `None` is absent from the JSON; a JSON `null` reads as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autocomplete: Option<Autocomplete>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<UiText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onclick: Option<String>,
    #[serde(
        rename = "onclickTrigger",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub onclick_trigger: Option<WebAuthnTrigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onload: Option<String>,
    #[serde(
        rename = "onloadTrigger",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub onload_trigger: Option<WebAuthnTrigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxlength: Option<u32>,
}

impl InputAttributes {
    pub fn new(name: impl Into<String>, input_type: InputType) -> Self {
        Self {
            name: name.into(),
            input_type,
            value: None,
            required: false,
            autocomplete: None,
            label: None,
            pattern: None,
            disabled: false,
            onclick: None,
            onclick_trigger: None,
            onload: None,
            onload_trigger: None,
            maxlength: None,
        }
    }
}

/// `uiNodeTextAttributes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextAttributes {
    pub text: UiText,
    pub id: String,
}

/// `uiNodeImageAttributes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageAttributes {
    pub src: String,
    pub id: String,
    pub width: i64,
    pub height: i64,
}

/// `uiNodeAnchorAttributes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnchorAttributes {
    pub href: String,
    pub title: UiText,
    pub id: String,
}

/// `uiNodeScriptAttributes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptAttributes {
    pub src: String,
    #[serde(rename = "async")]
    pub is_async: bool,
    pub referrerpolicy: String,
    pub crossorigin: String,
    pub integrity: String,
    #[serde(rename = "type")]
    pub script_type: String,
    pub id: String,
    pub nonce: String,
}

/// `uiNodeAttributes`: the variants are told apart by `node_type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "node_type")]
pub enum UiNodeAttributes {
    #[serde(rename = "input")]
    Input(InputAttributes),
    #[serde(rename = "text")]
    Text(TextAttributes),
    #[serde(rename = "img")]
    Image(ImageAttributes),
    #[serde(rename = "a")]
    Anchor(AnchorAttributes),
    #[serde(rename = "script")]
    Script(ScriptAttributes),
}

impl UiNodeAttributes {
    pub fn node_type(&self) -> UiNodeType {
        match self {
            UiNodeAttributes::Input(_) => UiNodeType::Input,
            UiNodeAttributes::Text(_) => UiNodeType::Text,
            UiNodeAttributes::Image(_) => UiNodeType::Image,
            UiNodeAttributes::Anchor(_) => UiNodeType::Anchor,
            UiNodeAttributes::Script(_) => UiNodeType::Script,
        }
    }

    /// The node's identity within a form: an input's `name`, any other node's `id`.
    pub fn id(&self) -> &str {
        match self {
            UiNodeAttributes::Input(a) => &a.name,
            UiNodeAttributes::Text(a) => &a.id,
            UiNodeAttributes::Image(a) => &a.id,
            UiNodeAttributes::Anchor(a) => &a.id,
            UiNodeAttributes::Script(a) => &a.id,
        }
    }
}

/// `uiNodeMeta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UiNodeMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<UiText>,
}

/// One node of a form (`uiNode`).
#[derive(Debug, Clone, PartialEq)]
pub struct UiNode {
    pub group: UiNodeGroup,
    pub attributes: UiNodeAttributes,
    pub messages: Vec<UiText>,
    pub meta: UiNodeMeta,
}

#[derive(Serialize)]
struct NodeOut<'a> {
    #[serde(rename = "type")]
    node_type: UiNodeType,
    group: UiNodeGroup,
    attributes: &'a UiNodeAttributes,
    messages: &'a [UiText],
    meta: &'a UiNodeMeta,
}

#[derive(Deserialize)]
struct NodeIn {
    #[serde(rename = "type")]
    node_type: Option<UiNodeType>,
    group: UiNodeGroup,
    attributes: UiNodeAttributes,
    #[serde(default)]
    messages: Option<Vec<UiText>>,
    #[serde(default)]
    meta: Option<UiNodeMeta>,
}

impl Serialize for UiNode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        NodeOut {
            node_type: self.attributes.node_type(),
            group: self.group,
            attributes: &self.attributes,
            messages: &self.messages,
            meta: &self.meta,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for UiNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = NodeIn::deserialize(deserializer)?;
        if let Some(declared) = raw.node_type
            && declared != raw.attributes.node_type()
        {
            return Err(D::Error::custom(format!(
                "node type {declared:?} does not match its attributes ({:?})",
                raw.attributes.node_type()
            )));
        }
        Ok(UiNode {
            group: raw.group,
            attributes: raw.attributes,
            messages: raw.messages.unwrap_or_default(),
            meta: raw.meta.unwrap_or_default(),
        })
    }
}

impl UiNode {
    pub fn new(group: UiNodeGroup, attributes: UiNodeAttributes) -> Self {
        Self {
            group,
            attributes,
            messages: Vec::new(),
            meta: UiNodeMeta::default(),
        }
    }

    /// An input node.
    pub fn input(
        name: impl Into<String>,
        input_type: InputType,
        group: UiNodeGroup,
        value: Option<Value>,
    ) -> Self {
        let mut attributes = InputAttributes::new(name, input_type);
        attributes.value = value.filter(|v| !v.is_null());
        Self::new(group, UiNodeAttributes::Input(attributes))
    }

    /// An input whose type follows a JSON value, as Kratos does for values without a
    /// schema: numbers are `number`, booleans `checkbox`, everything else `text`.
    pub fn input_from_value(name: impl Into<String>, value: Value, group: UiNodeGroup) -> Self {
        let name = name.into();
        let input_type = if name == CSRF_TOKEN_NODE {
            InputType::Hidden
        } else if name == PASSWORD_NODE {
            InputType::Password
        } else {
            match value {
                Value::Number(_) => InputType::Number,
                Value::Bool(_) => InputType::Checkbox,
                _ => InputType::Text,
            }
        };
        Self::input(name, input_type, group, Some(value))
    }

    /// A text node.
    pub fn text(id: impl Into<String>, text: UiText, group: UiNodeGroup) -> Self {
        Self::new(
            group,
            UiNodeAttributes::Text(TextAttributes {
                text,
                id: id.into(),
            }),
        )
    }

    /// An anchor node.
    pub fn anchor(
        id: impl Into<String>,
        href: impl Into<String>,
        title: UiText,
        group: UiNodeGroup,
    ) -> Self {
        Self::new(
            group,
            UiNodeAttributes::Anchor(AnchorAttributes {
                href: href.into(),
                title,
                id: id.into(),
            }),
        )
    }

    /// An image node.
    pub fn image(
        id: impl Into<String>,
        src: impl Into<String>,
        width: i64,
        height: i64,
        group: UiNodeGroup,
    ) -> Self {
        Self::new(
            group,
            UiNodeAttributes::Image(ImageAttributes {
                src: src.into(),
                id: id.into(),
                width,
                height,
            }),
        )
    }

    /// A script node with the attributes Kratos gives its own scripts (async, no referrer,
    /// anonymous CORS) and a fresh CSP nonce.
    pub fn script(
        id: impl Into<String>,
        src: impl Into<String>,
        integrity: impl Into<String>,
        group: UiNodeGroup,
    ) -> Self {
        Self::new(
            group,
            UiNodeAttributes::Script(ScriptAttributes {
                src: src.into(),
                is_async: true,
                referrerpolicy: "no-referrer".into(),
                crossorigin: "anonymous".into(),
                integrity: integrity.into(),
                script_type: "text/javascript".into(),
                id: id.into(),
                nonce: uuid::Uuid::new_v4().to_string(),
            }),
        )
    }

    /// The node's name (inputs) or ID (everything else).
    pub fn id(&self) -> &str {
        self.attributes.id()
    }

    pub fn node_type(&self) -> UiNodeType {
        self.attributes.node_type()
    }

    /// The input attributes, if this is an input.
    pub fn input_attributes(&self) -> Option<&InputAttributes> {
        match &self.attributes {
            UiNodeAttributes::Input(a) => Some(a),
            _ => None,
        }
    }

    pub fn input_attributes_mut(&mut self) -> Option<&mut InputAttributes> {
        match &mut self.attributes {
            UiNodeAttributes::Input(a) => Some(a),
            _ => None,
        }
    }

    /// The input's value, if this is an input that has one.
    pub fn value(&self) -> Option<&Value> {
        self.input_attributes().and_then(|a| a.value.as_ref())
    }

    /// Sets the value of an input (a JSON `null` clears it); other nodes keep theirs.
    pub fn set_value(&mut self, value: Option<Value>) {
        if let Some(attributes) = self.input_attributes_mut() {
            attributes.value = value.filter(|v| !v.is_null());
        }
    }

    pub fn with_label(mut self, label: UiText) -> Self {
        self.meta.label = Some(label);
        self
    }

    pub fn with_required(mut self) -> Self {
        if let Some(a) = self.input_attributes_mut() {
            a.required = true;
        }
        self
    }

    pub fn with_autocomplete(mut self, autocomplete: Autocomplete) -> Self {
        if let Some(a) = self.input_attributes_mut() {
            a.autocomplete = Some(autocomplete);
        }
        self
    }

    pub fn with_maxlength(mut self, maxlength: u32) -> Self {
        if let Some(a) = self.input_attributes_mut() {
            a.maxlength = Some(maxlength);
        }
        self
    }

    pub fn with_pattern(mut self, pattern: impl Into<String>) -> Self {
        if let Some(a) = self.input_attributes_mut() {
            a.pattern = Some(pattern.into());
        }
        self
    }

    pub fn with_disabled(mut self, disabled: bool) -> Self {
        if let Some(a) = self.input_attributes_mut() {
            a.disabled = disabled;
        }
        self
    }

    pub fn with_message(mut self, message: UiText) -> Self {
        self.messages.push(message);
        self
    }

    /// The message-free, value-free form of the node (Kratos's node reset): an input
    /// loses its value; other nodes are unchanged.
    pub fn reset(&mut self) {
        self.messages.clear();
        self.set_value(None);
    }
}

// ---- the nodes every flow shares -------------------------------------------------------

/// The hidden anti-CSRF input of browser flows (group `default`, required).
pub fn csrf_token_node(token: &str) -> UiNode {
    UiNode::input(
        CSRF_TOKEN_NODE,
        InputType::Hidden,
        UiNodeGroup::Default,
        Some(Value::String(token.to_owned())),
    )
    .with_required()
}

/// A submit button `method=<method>` in `group`, labelled `label`.
pub fn method_button(method: &str, group: UiNodeGroup, label: UiText) -> UiNode {
    UiNode::input(
        METHOD_NODE,
        InputType::Submit,
        group,
        Some(Value::String(method.to_owned())),
    )
    .with_label(label)
}

/// Whether a password input asks for the existing password or a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordPurpose {
    /// Login and re-authentication: `autocomplete="current-password"`.
    Current,
    /// Registration and settings: `autocomplete="new-password"`.
    New,
}

/// The required `password` input of the password method.
pub fn password_node(purpose: PasswordPurpose) -> UiNode {
    let autocomplete = match purpose {
        PasswordPurpose::Current => Autocomplete::CurrentPassword,
        PasswordPurpose::New => Autocomplete::NewPassword,
    };
    UiNode::input(
        PASSWORD_NODE,
        InputType::Password,
        UiNodeGroup::Password,
        None,
    )
    .with_required()
    .with_autocomplete(autocomplete)
    .with_label(text::label_password())
}

/// The required `identifier` input of login, labelled as [`super::schema_nodes::identifier_label`]
/// decides. Its value starts as the empty string, as in Kratos.
pub fn identifier_node(label: UiText, value: &str) -> UiNode {
    UiNode::input(
        IDENTIFIER_NODE,
        InputType::Text,
        UiNodeGroup::Default,
        Some(Value::String(value.to_owned())),
    )
    .with_required()
    .with_label(label)
}
