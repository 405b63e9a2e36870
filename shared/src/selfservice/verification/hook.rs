//! Verification after registration, login or settings (Kratos's implicit `verification`
//! hook, which runs whenever `selfservice.flows.verification.enabled` is on): one new
//! verification flow per address that needs it, already in `sent_email`, with its code
//! or link sent. Each becomes a `show_verification_ui` item of the completed flow's
//! `continue_with`.
//!
//! Which addresses: after registration and login every unverified one; after settings
//! those still `pending` (an address whose message went out already is left alone).
//! The new flows take the completed flow's type, transient payload and request URL (its
//! `after_verification_return_to`, if any, becomes `return_to`).
//!
//! Requests: 1 TransactWriteItems for all addresses (each flow, each message, and the
//! identity with the addresses' status `sent`).

use url::Url;

use super::{VerificationFlow, active_strategy, new_flow, prepare_message};
use crate::flow::challenge::Attempts;
use crate::flow::store::{FlowStore, StoredFlow};
use crate::flow::{FlowCommon, FlowKind, FlowType, with_flow_id};
use crate::identity::{Identity, VerificationStatus};
use crate::selfservice::hooks::StartedVerification;
use crate::selfservice::{NewFlowContext, SubmitContext, SubmitError};
use crate::store::WriteOp;

/// Starts verification of an identity's addresses. Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct Verifier;

impl Verifier {
    /// Starts a verification flow, and sends its message, for each address of `identity`
    /// (as just stored) that needs one after `completed` (a flow of `completed_kind`).
    /// Nothing is started when verification is off.
    pub async fn start(
        &self,
        ctx: &SubmitContext<'_>,
        completed: &FlowCommon,
        completed_kind: FlowKind,
        identity: &Identity,
    ) -> Result<Vec<StartedVerification>, SubmitError> {
        let app = ctx.app;
        if !app.config.selfservice.flows.verification.enabled {
            return Ok(Vec::new());
        }
        let strategy = active_strategy(&app.config)?;
        let after_settings = completed_kind == FlowKind::Settings;
        let addresses: Vec<_> = identity
            .verifiable_addresses
            .iter()
            .filter(|a| {
                if after_settings {
                    a.status == VerificationStatus::Pending
                } else {
                    !a.verified
                }
            })
            .map(|a| (a.via, a.value.clone()))
            .collect();
        if addresses.is_empty() {
            return Ok(Vec::new());
        }
        let request_url = post_hook_request_url(&completed.request_url);
        let csrf_token = match completed.flow_type {
            FlowType::Browser => ctx.form_csrf_token.as_str(),
            FlowType::Api => "",
        };
        let flows = FlowStore::new(app.table.clone());
        let mut identity = identity.clone();
        let mut ops: Vec<WriteOp> = Vec::new();
        let mut started = Vec::new();
        for (via, value) in addresses {
            let mut stored = self.new_sent_flow(ctx, completed, &request_url, csrf_token)?;
            strategy.populate_sent(&mut stored.flow, csrf_token);
            let prepared = prepare_message(
                app,
                &ctx.public_base,
                &stored,
                &identity,
                via,
                &value,
                strategy.challenge_kind(),
                ctx.now,
            )
            .await?;
            let mut attempts = Attempts::default();
            attempts.replace(Some(prepared.challenge));
            attempts.store(&mut stored.internal);
            ops.push(flows.create_op(&stored)?);
            ops.extend(prepared.message_ops);
            if let Some(address) = identity.verifiable_address_mut(via, &value)
                && address.status == VerificationStatus::Pending
            {
                address.status = VerificationStatus::Sent;
            }
            let url = (completed.flow_type == FlowType::Browser).then(|| {
                with_flow_id(FlowKind::Verification.ui_url(&app.config), stored.id()).to_string()
            });
            started.push(StartedVerification {
                flow_id: stored.id(),
                address: value,
                url,
            });
        }
        app.identities()
            .update_with(&mut identity, ops)
            .await
            .map_err(super::identity_write_error)?;
        tracing::info!(
            identity.id = %identity.id,
            flows = started.len(),
            "verification started after a {} flow",
            completed_kind.as_str()
        );
        Ok(started)
    }

    fn new_sent_flow(
        &self,
        ctx: &SubmitContext<'_>,
        completed: &FlowCommon,
        request_url: &str,
        csrf_token: &str,
    ) -> Result<StoredFlow<VerificationFlow>, SubmitError> {
        let app = ctx.app;
        let make = |url: &str| {
            new_flow(&NewFlowContext {
                app,
                flow_type: completed.flow_type,
                request_url: url,
                public_base: &ctx.public_base,
                now: ctx.now,
                csrf_token,
            })
        };
        let mut stored = match make(request_url) {
            Ok(stored) => stored,
            // A `return_to` that is not allowed is dropped rather than failing the flow
            // that already succeeded.
            Err(SubmitError::ReturnTo(_)) => make(&without_return_to(request_url))?,
            Err(other) => return Err(other),
        };
        stored.flow.common.transient_payload = completed.transient_payload.clone();
        Ok(stored)
    }
}

#[async_trait::async_trait]
impl crate::selfservice::hooks::AddressVerifier for Verifier {
    async fn start_verifications(
        &self,
        ctx: &SubmitContext<'_>,
        completed: &FlowCommon,
        completed_kind: FlowKind,
        identity: &Identity,
    ) -> anyhow::Result<Vec<StartedVerification>> {
        self.start(ctx, completed, completed_kind, identity)
            .await
            .map_err(|e| anyhow::anyhow!("could not start verification: {e}"))
    }
}

/// The completed flow's request URL with its `after_verification_return_to` (if any) as
/// `return_to`.
fn post_hook_request_url(request_url: &str) -> String {
    let Ok(url) = Url::parse(request_url) else {
        return request_url.to_owned();
    };
    let after: Option<String> = url
        .query_pairs()
        .find(|(k, _)| k == "after_verification_return_to")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty());
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "after_verification_return_to")
        .filter(|(k, _)| after.is_none() || k != "return_to")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(after) = after {
        pairs.push(("return_to".into(), after));
    }
    rebuild(url, &pairs)
}

fn without_return_to(request_url: &str) -> String {
    let Ok(url) = Url::parse(request_url) else {
        return request_url.to_owned();
    };
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "return_to")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    rebuild(url, &pairs)
}

fn rebuild(mut url: Url, pairs: &[(String, String)]) -> String {
    url.set_query(None);
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_verification_return_to_becomes_return_to() {
        assert_eq!(
            post_hook_request_url(
                "https://a/self-service/registration/browser?return_to=https%3A%2F%2Fx%2F1&after_verification_return_to=https%3A%2F%2Fx%2F2"
            ),
            "https://a/self-service/registration/browser?return_to=https%3A%2F%2Fx%2F2"
        );
        assert_eq!(
            post_hook_request_url(
                "https://a/self-service/registration/api?return_to=https%3A%2F%2Fx%2F1"
            ),
            "https://a/self-service/registration/api?return_to=https%3A%2F%2Fx%2F1"
        );
        assert_eq!(
            without_return_to("https://a/r?return_to=x&b=1"),
            "https://a/r?b=1"
        );
    }
}
