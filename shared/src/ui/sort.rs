//! Node order, as Kratos sorts form nodes: first by group in a per-flow group order
//! (groups not in the list come first), then within each group by the position of the
//! first key the node's name starts with (`csrf_token`, schema keys such as
//! `traits.email`, ...), names matching no key after those, and the `method` buttons
//! last; ties fall back to comparing the nodes' values as text.

use serde_json::Value;

use super::node::{METHOD_NODE, UiNode, UiNodeGroup};
use super::schema_nodes::schema_key_order;

/// How to order a form's nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SortOptions {
    /// Group order; groups not listed sort before all listed ones.
    pub groups: Vec<UiNodeGroup>,
    /// Name prefixes in order.
    pub keys: Vec<String>,
}

impl SortOptions {
    /// Login: social first, then the identifier and password.
    pub fn login() -> Self {
        Self {
            groups: vec![
                UiNodeGroup::Oidc,
                UiNodeGroup::Default,
                UiNodeGroup::Webauthn,
                UiNodeGroup::Passkey,
                UiNodeGroup::Code,
                UiNodeGroup::Password,
                UiNodeGroup::Totp,
                UiNodeGroup::LookupSecret,
            ],
            keys: ["csrf_token", "identifier", "password"]
                .map(String::from)
                .to_vec(),
        }
    }

    /// Registration: schema order, with `password` right after the first schema key.
    pub fn registration(schema_document: &Value) -> Self {
        let mut keys = schema_key_order(schema_document);
        // Kratos places the password after the first key (usually the identifier).
        let at = keys.len().min(1);
        keys.insert(at, "password".to_owned());
        keys.extend(
            [
                "webauthn_remove",
                "webauthn_register_displayname",
                "webauthn_register",
            ]
            .map(String::from),
        );
        Self {
            groups: vec![
                UiNodeGroup::Oidc,
                UiNodeGroup::Default,
                UiNodeGroup::Webauthn,
                UiNodeGroup::Passkey,
                UiNodeGroup::Code,
                UiNodeGroup::Password,
                UiNodeGroup::Profile,
            ],
            keys,
        }
    }

    /// Settings: profile before the password and second factors, schema order within.
    pub fn settings(schema_document: &Value) -> Self {
        let mut keys = schema_key_order(schema_document);
        keys.extend(
            [
                "lookup_secret_reveal",
                "lookup_secret_regenerate",
                "lookup_secret_codes",
                "lookup_secret_confirm",
                "webauthn_remove",
                "webauthn_register_displayname",
                "webauthn_register",
                "totp_qr",
                "totp_secret_key",
                "totp_unlink",
                "totp_code",
            ]
            .map(String::from),
        );
        Self {
            groups: vec![
                UiNodeGroup::Default,
                UiNodeGroup::Profile,
                UiNodeGroup::Password,
                UiNodeGroup::Oidc,
                UiNodeGroup::LookupSecret,
                UiNodeGroup::Webauthn,
                UiNodeGroup::Totp,
            ],
            keys,
        }
    }
}

/// Sorts `nodes` in place as Kratos does (see the module docs).
pub fn sort_nodes(nodes: &mut [UiNode], options: &SortOptions) {
    if !options.groups.is_empty() {
        let group_rank = |node: &UiNode| -> i64 {
            options
                .groups
                .iter()
                .position(|g| *g == node.group)
                .map_or(-1, |i| i as i64)
        };
        nodes.sort_by_key(group_rank);
    }
    let total = nodes.len();
    let key_position = |node: &UiNode| -> usize {
        if node.id() == METHOD_NODE {
            return total + options.keys.len() + 1;
        }
        options
            .keys
            .iter()
            .position(|key| node.id().starts_with(key.as_str()))
            .unwrap_or(options.keys.len())
    };
    // Nodes only move within runs of one group, as in Kratos's comparison.
    let mut start = 0;
    while start < nodes.len() {
        let group = nodes[start].group;
        let end = nodes[start..]
            .iter()
            .position(|n| n.group != group)
            .map_or(nodes.len(), |offset| start + offset);
        nodes[start..end].sort_by_cached_key(|node| (key_position(node), value_text(node)));
        start = end;
    }
}

/// A node's value as text, the tiebreaker between nodes at the same position.
fn value_text(node: &UiNode) -> String {
    match node.value() {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
