//! The form model every self-service flow carries (`ui` in each flow): a container with
//! an action URL, a method, nodes and messages, serialised exactly as the spec's
//! `uiContainer`. Strategies add their nodes; flows attach messages; clients render it.

pub mod node;
pub mod schema_nodes;
pub mod sort;
pub mod text;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use node::{
    Autocomplete, InputAttributes, InputType, PasswordPurpose, UiNode, UiNodeAttributes,
    UiNodeGroup, UiNodeMeta, UiNodeType, csrf_token_node, identifier_node, method_button,
    password_node,
};
pub use schema_nodes::{
    FormFieldType, FormScalar, form_field_types, identifier_label, schema_key_order, trait_nodes,
};
pub use sort::{SortOptions, sort_nodes};
pub use text::{MessageId, UiText, UiTextType};

use crate::schema::Violation;

/// A form (`uiContainer`). `messages` is left out of the JSON when empty, as in Kratos.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UiContainer {
    pub action: String,
    pub method: String,
    #[serde(default)]
    pub nodes: Vec<UiNode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<UiText>,
}

impl UiContainer {
    /// An empty `POST` form submitting to `action`.
    pub fn new(action: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            method: "POST".into(),
            nodes: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// The first node named `name`.
    pub fn node(&self, name: &str) -> Option<&UiNode> {
        self.nodes.iter().find(|n| n.id() == name)
    }

    pub fn node_mut(&mut self, name: &str) -> Option<&mut UiNode> {
        self.nodes.iter_mut().find(|n| n.id() == name)
    }

    /// Replaces the first node with the same name, or appends. Two `method` buttons of
    /// different groups share a name, so use [`UiContainer::append`] for those.
    pub fn upsert(&mut self, node: UiNode) {
        match self.nodes.iter_mut().find(|n| n.id() == node.id()) {
            Some(existing) => *existing = node,
            None => self.nodes.push(node),
        }
    }

    pub fn append(&mut self, node: UiNode) {
        self.nodes.push(node);
    }

    /// Removes every node with one of these names.
    pub fn remove(&mut self, names: &[&str]) {
        self.nodes.retain(|n| !names.contains(&n.id()));
    }

    /// Sets (or replaces) the hidden `csrf_token` input.
    pub fn set_csrf(&mut self, token: &str) {
        self.upsert(csrf_token_node(token));
    }

    /// The value of the `csrf_token` input, if present.
    pub fn csrf_token(&self) -> Option<&str> {
        self.node(node::CSRF_TOKEN_NODE)
            .and_then(UiNode::value)
            .and_then(Value::as_str)
    }

    /// Sets the value of the input named `name`; `false` if there is no such node.
    pub fn set_value(&mut self, name: &str, value: Value) -> bool {
        match self.node_mut(name) {
            Some(node) => {
                node.set_value(Some(value));
                true
            }
            None => false,
        }
    }

    /// Adds a message to the form as a whole.
    pub fn add_message(&mut self, message: UiText) {
        self.messages.push(message);
    }

    /// Adds a message to the node named `name`. As in Kratos, a missing node is created as
    /// a text input of the `default` group so the message is not lost.
    pub fn add_message_to(&mut self, name: &str, message: UiText) {
        if name.trim().is_empty() {
            self.add_message(message);
            return;
        }
        match self.node_mut(name) {
            Some(node) => node.messages.push(message),
            None => self.nodes.push(
                UiNode::input(name, InputType::Text, UiNodeGroup::Default, None)
                    .with_message(message),
            ),
        }
    }

    /// Attaches each schema violation to its field (`traits.email`), or to the form when
    /// it concerns the document as a whole. `document` is the validated identity document.
    pub fn add_violations(&mut self, violations: &[Violation], document: Option<&Value>) {
        for violation in violations {
            let message = text::from_violation(violation, document);
            self.add_message_to(&violation.field_name(), message);
        }
    }

    /// Clears the form's and every node's messages, except on the named nodes.
    pub fn reset_messages(&mut self, except: &[&str]) {
        self.messages.clear();
        for node in &mut self.nodes {
            if !except.contains(&node.id()) {
                node.messages.clear();
            }
        }
    }

    /// Clears all messages, and every input value except on the named nodes.
    pub fn reset(&mut self, except: &[&str]) {
        self.messages.clear();
        for node in &mut self.nodes {
            node.messages.clear();
            if !except.contains(&node.id()) {
                node.set_value(None);
            }
        }
    }

    /// Clears the values and messages of the named nodes only.
    pub fn reset_nodes(&mut self, names: &[&str]) {
        for node in &mut self.nodes {
            if names.contains(&node.id()) {
                node.reset();
            }
        }
    }

    /// Fills values from a JSON object, each leaf named `prefix.path` (see
    /// [`schema_nodes::flatten`]). Existing nodes take the value and move to `group`;
    /// leaves without a node become new inputs typed after their value, as in Kratos.
    pub fn update_values_from_json(&mut self, values: &Value, prefix: &str, group: UiNodeGroup) {
        for (name, value) in schema_nodes::flatten(values, prefix) {
            match self.node_mut(&name) {
                Some(node) => {
                    node.set_value(Some(value));
                    node.group = group;
                }
                None => self.upsert(UiNode::input_from_value(name, value, group)),
            }
        }
    }

    /// Sorts the nodes as Kratos does (see [`sort`]).
    pub fn sort_nodes(&mut self, options: &SortOptions) {
        sort_nodes(&mut self.nodes, options);
    }

    /// Whether the form or any node carries an error message.
    pub fn has_errors(&self) -> bool {
        self.messages.iter().any(UiText::is_error)
            || self
                .nodes
                .iter()
                .any(|n| n.messages.iter().any(UiText::is_error))
    }
}

#[cfg(test)]
mod tests;
