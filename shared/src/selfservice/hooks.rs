//! The hooks that run after a flow succeeded, as configured under
//! `selfservice.flows.<flow>.after[.<method>].hooks`.
//!
//! | hook | registration | login | settings |
//! |---|---|---|---|
//! | `session` | issues a session (a cookie for browsers, a token for native apps); always the last hook, as in Kratos | (login always issues one) | - |
//! | `revoke_active_sessions` | - | revokes the identity's other sessions | revokes the identity's other sessions |
//! | `require_verified_address` | - | refuses a password login until an address is verified (4000010) | - |
//! | `show_verification_ui` | sends browsers to the verification UI of the first started verification | - | - |
//!
//! Verification itself (starting a verification flow for each unverified address when
//! `selfservice.flows.verification.enabled` is on, as Kratos's implicit `verification`
//! hook does) is an [`AddressVerifier`] that the verification flow provides through
//! `App::verifier`. Each flow it starts becomes a `show_verification_ui` item of the
//! response's `continue_with`. Without a verifier, nothing is started.
//!
//! Hooks this implementation lacks (`web_hook`, ...) are ignored with a warning when the
//! configuration loads.

use async_trait::async_trait;

use super::ContinueWith;
use crate::config::{AfterFlow, Config, HookConfig};
use crate::flow::FlowKind;
use crate::identity::Identity;

/// A hook that runs after success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Session,
    RevokeActiveSessions,
    RequireVerifiedAddress,
    ShowVerificationUi,
}

impl Hook {
    fn parse(name: &str) -> Option<Hook> {
        match name {
            "session" => Some(Hook::Session),
            "revoke_active_sessions" => Some(Hook::RevokeActiveSessions),
            "require_verified_address" => Some(Hook::RequireVerifiedAddress),
            "show_verification_ui" => Some(Hook::ShowVerificationUi),
            _ => None,
        }
    }

    /// Whether `kind` runs this hook at all (Kratos ignores the others).
    fn applies_to(self, kind: FlowKind) -> bool {
        match self {
            Hook::Session | Hook::ShowVerificationUi => kind == FlowKind::Registration,
            Hook::RevokeActiveSessions => matches!(kind, FlowKind::Login | FlowKind::Settings),
            Hook::RequireVerifiedAddress => kind == FlowKind::Login,
        }
    }
}

fn after(config: &Config, kind: FlowKind) -> Option<&AfterFlow> {
    let flows = &config.selfservice.flows;
    match kind {
        FlowKind::Login => Some(&flows.login.after),
        FlowKind::Registration => Some(&flows.registration.after),
        FlowKind::Settings => Some(&flows.settings.after),
        FlowKind::Recovery | FlowKind::Verification => None,
    }
}

/// The hooks to run after `method` completed a `kind` flow, in order (`session` last).
pub fn after_hooks(config: &Config, kind: FlowKind, method: &str) -> Vec<Hook> {
    let configured: &[HookConfig] = after(config, kind)
        .map(|a| a.hooks_for(method))
        .unwrap_or_default();
    let mut hooks: Vec<Hook> = configured
        .iter()
        .filter_map(|h| Hook::parse(&h.hook))
        .filter(|h| h.applies_to(kind) && *h != Hook::Session)
        .collect();
    hooks.dedup();
    if configured
        .iter()
        .any(|h| Hook::parse(&h.hook) == Some(Hook::Session))
        && Hook::Session.applies_to(kind)
    {
        hooks.push(Hook::Session);
    }
    hooks
}

/// Start-up warnings for configured hooks that will not run.
pub fn config_warnings(config: &Config) -> Vec<String> {
    let mut warnings = Vec::new();
    for kind in [FlowKind::Login, FlowKind::Registration, FlowKind::Settings] {
        let Some(after) = after(config, kind) else {
            continue;
        };
        let lists = std::iter::once(("".to_owned(), &after.hooks)).chain(
            after
                .methods
                .iter()
                .map(|(method, m)| (format!(".{method}"), &m.hooks)),
        );
        for (scope, hooks) in lists {
            for (i, hook) in hooks.iter().enumerate() {
                let key = format!("selfservice.flows.{}.after{scope}.hooks.{i}", kind.as_str());
                match Hook::parse(&hook.hook) {
                    Some(h) if h.applies_to(kind) => {}
                    Some(_) => warnings.push(format!(
                        "{key}: the `{}` hook does nothing after a {} flow; it is ignored",
                        hook.hook,
                        kind.as_str()
                    )),
                    None => warnings.push(format!(
                        "{key}: the `{}` hook is not supported by serverless-kratos; it is ignored",
                        hook.hook
                    )),
                }
            }
        }
    }
    warnings
}

/// A verification flow started for one address of an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedVerification {
    pub flow_id: crate::ids::FlowId,
    pub address: String,
    /// The verification UI URL with the flow, for browser flows.
    pub url: Option<String>,
}

impl StartedVerification {
    pub fn continue_with(&self) -> ContinueWith {
        ContinueWith::verification_ui(self.flow_id, self.address.clone(), self.url.clone())
    }
}

/// Starts verification of an identity's addresses after registration, login or settings
/// (Kratos's `verification` hook). Provided by the verification flow; see the module docs.
#[async_trait]
pub trait AddressVerifier: Send + Sync + std::fmt::Debug {
    /// Starts a verification flow (and sends its message) for each address that needs one:
    /// after registration and login every unverified address, after settings every
    /// address still `pending`. `completed` is the flow that succeeded (its type, request
    /// URL and transient payload carry over), a flow of `completed_kind`; `ctx` is its
    /// submission (the anti-CSRF token of browser flows carries over too).
    async fn start_verifications(
        &self,
        ctx: &super::SubmitContext<'_>,
        completed: &crate::flow::FlowCommon,
        completed_kind: FlowKind,
        identity: &Identity,
    ) -> anyhow::Result<Vec<StartedVerification>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigSource;

    fn config(yaml: &str) -> Config {
        Config::load(&ConfigSource {
            yaml: Some(yaml.into()),
            env: vec![],
        })
        .unwrap()
        .config
    }

    #[test]
    fn the_session_hook_runs_last_and_only_after_registration() {
        let config = config(
            "selfservice:\n  flows:\n    registration:\n      after:\n        password:\n          hooks:\n            - hook: session\n            - hook: show_verification_ui\n    login:\n      after:\n        hooks:\n          - hook: session\n          - hook: revoke_active_sessions\n",
        );
        assert_eq!(
            after_hooks(&config, FlowKind::Registration, "password"),
            vec![Hook::ShowVerificationUi, Hook::Session]
        );
        assert_eq!(
            after_hooks(&config, FlowKind::Registration, "profile"),
            vec![]
        );
        assert_eq!(
            after_hooks(&config, FlowKind::Login, "password"),
            vec![Hook::RevokeActiveSessions]
        );
    }

    #[test]
    fn unsupported_and_misplaced_hooks_are_warned_about() {
        let config = config(
            "selfservice:\n  flows:\n    login:\n      after:\n        password:\n          hooks:\n            - hook: web_hook\n            - hook: session\n",
        );
        let warnings = config_warnings(&config);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("login.after.password.hooks.0"));
    }
}
