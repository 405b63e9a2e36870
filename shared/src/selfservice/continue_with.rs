//! `continue_with`: what a client should do after a flow completed (the spec's
//! `continueWith`, told apart by `action`).
//!
//! Hooks add items as they run (the `session` hook adds `set_ory_session_token` for native
//! apps, browser flows answered as JSON get `redirect_browser_to`). The verification flow
//! adds `show_verification_ui` through [`ContinueWith::verification_ui`] when its
//! `show_verification_ui` hook runs after registration or settings.

use serde::{Deserialize, Serialize};

use crate::ids::FlowId;

/// One follow-up action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ContinueWith {
    /// A verification flow was started for an address of the new identity.
    ShowVerificationUi { flow: VerificationUiFlow },
    /// A native app should use this session token from now on.
    SetOrySessionToken { ory_session_token: String },
    /// Show the settings UI (after recovery).
    ShowSettingsUi { flow: FlowReference },
    /// Show the recovery UI.
    ShowRecoveryUi { flow: FlowReference },
    /// A browser driven by a script should navigate here.
    RedirectBrowserTo { redirect_browser_to: String },
}

/// `continueWithVerificationUiFlow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationUiFlow {
    pub id: FlowId,
    pub verifiable_address: String,
    /// Where a browser renders the flow; absent for native apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `continueWithSettingsUiFlow` / `continueWithRecoveryUiFlow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowReference {
    pub id: FlowId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl ContinueWith {
    pub fn session_token(token: impl Into<String>) -> Self {
        ContinueWith::SetOrySessionToken {
            ory_session_token: token.into(),
        }
    }

    pub fn redirect_browser_to(url: impl Into<String>) -> Self {
        ContinueWith::RedirectBrowserTo {
            redirect_browser_to: url.into(),
        }
    }

    pub fn verification_ui(id: FlowId, address: impl Into<String>, url: Option<String>) -> Self {
        ContinueWith::ShowVerificationUi {
            flow: VerificationUiFlow {
                id,
                verifiable_address: address.into(),
                url,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn items_are_tagged_by_action_with_the_spec_field_names() {
        let id = FlowId::new();
        let items = vec![
            ContinueWith::session_token("ory_st_x"),
            ContinueWith::redirect_browser_to("https://app/"),
            ContinueWith::verification_ui(id, "a@b.c", None),
        ];
        assert_eq!(
            serde_json::to_value(items).unwrap(),
            json!([
                {"action": "set_ory_session_token", "ory_session_token": "ory_st_x"},
                {"action": "redirect_browser_to", "redirect_browser_to": "https://app/"},
                {"action": "show_verification_ui", "flow": {"id": id, "verifiable_address": "a@b.c"}}
            ])
        );
    }
}
