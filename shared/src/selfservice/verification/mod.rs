//! The verification flow: proving control of an e-mail address or phone number (the
//! spec's `verificationFlow`).
//!
//! A flow starts in `choose_method` with the active method's form (the method
//! `selfservice.flows.verification.use` names). Submitting an address sends a code or a
//! link to it (`sent_email`); submitting the code, or following the link, marks the
//! address verified (`verified: true`, `status: completed`, `verified_at`) and moves the
//! flow to `passed_challenge`. Addresses nobody holds get the same answer, and a message
//! only when `notify_unknown_recipients` is on, so the flow reveals no account.
//!
//! Registration (and settings) start verification flows of their own through
//! [`hook::Verifier`], which sends the message at once (Kratos's implicit `verification`
//! hook); see `selfservice::hooks`.
//!
//! Store requests (happy paths): creating a flow is 1 PutItem; sending to a known
//! address 2 GetItem (the address claim, the identity) + 1 TransactWriteItems (flow,
//! message, and the address's status `sent` when it changes); to an unknown address 1
//! GetItem + 1 PutItem (2 writes in one transaction with `notify_unknown_recipients`);
//! submitting a code or following a link 1 GetItem (flow) + 1 GetItem (identity) + 1
//! TransactWriteItems (identity and flow). A wrong code is 1 GetItem + 1 PutItem.

pub mod hook;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;

pub(crate) use super::out_of_band::save;
use super::out_of_band::{self, Reply, RetryAnswer, ScriptAnswer, show_form_error};
use super::{FieldMessage, NewFlowContext, Submission, SubmitContext, SubmitError};
use crate::app::App;
use crate::config::{CodeOrLink, Config};
use crate::courier::TemplateType;
use crate::flow::challenge::{
    Attempts, ChallengeAddress, ChallengeError, ChallengeKeys, ChallengeKind, ChallengeRequest,
    Issuer,
};
use crate::flow::return_to::ReturnToPolicy;
use crate::flow::store::{FlowDocument, FlowStore, StoredFlow};
use crate::flow::{FlowCommon, FlowKind, FlowState, FlowType};
use crate::identity::{AddressVia, Identity, IdentityError, VerificationStatus};
use crate::store::WriteOp;
use crate::ui::{UiContainer, UiNode, UiNodeGroup, text};

/// A verification flow (`verificationFlow`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationFlow {
    #[serde(flatten)]
    pub common: FlowCommon,
    /// The method the flow uses (`code` or `link`), set when it is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<String>,
}

impl out_of_band::OutOfBandFlow for VerificationFlow {
    fn active_mut(&mut self) -> &mut Option<String> {
        &mut self.active
    }
}

impl FlowDocument for VerificationFlow {
    const KIND: FlowKind = FlowKind::Verification;

    fn common(&self) -> &FlowCommon {
        &self.common
    }

    fn common_mut(&mut self) -> &mut FlowCommon {
        &mut self.common
    }
}

/// How a submission arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// A form or JSON body (`POST`).
    Form,
    /// A link from a message, followed with `GET` (`?flow=&code=` or `?flow=&token=`).
    Link,
}

/// What a strategy did with a submission it handled. The flow it was given has been
/// stored in its new state unless the step says otherwise.
#[derive(Debug)]
pub enum Step {
    /// Show the flow (stored), answering scripts with 200.
    Show(out_of_band::RedirectRule),
    /// Send the browser to the flow's UI (stored) whatever it asked for.
    ShowInUi,
    /// A new flow (stored) replaced this one.
    Replaced(Box<StoredFlow<VerificationFlow>>, ScriptAnswer),
}

/// One verification method.
#[async_trait::async_trait]
pub trait VerificationStrategy: Send + Sync {
    /// The method's name: `method` in submissions and the flow's `active`.
    fn id(&self) -> &'static str;

    fn group(&self) -> UiNodeGroup;

    /// `selfservice.methods.<id>.enabled`.
    fn enabled(&self, config: &Config) -> bool;

    /// Adds the `choose_method` form (`csrf_token` is "" for API flows).
    fn populate(&self, flow: &mut VerificationFlow, csrf_token: &str);

    /// Adds the form a flow shows once a message was sent (`sent_email`).
    fn populate_sent(&self, flow: &mut VerificationFlow, csrf_token: &str);

    /// What this method sends.
    fn challenge_kind(&self) -> ChallengeKind;

    /// Handles a submission, declining with [`SubmitError::NotResponsible`] if it is
    /// another method's. `Form` errors are shown on `stored` (the strategy may have put
    /// the submitted values back into its nodes first).
    async fn verify(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<VerificationFlow>,
        submission: &Submission,
        submitted: Submitted,
    ) -> Result<Step, SubmitError>;
}

/// The verification methods.
pub fn strategies() -> [&'static dyn VerificationStrategy; 2] {
    [&super::code::CodeStrategy, &super::link::LinkStrategy]
}

/// The method `selfservice.flows.verification.use` names. Fails with `BadRequest` when
/// that method is disabled.
pub fn active_strategy(config: &Config) -> Result<&'static dyn VerificationStrategy, SubmitError> {
    let wanted = match config.selfservice.flows.verification.use_method {
        CodeOrLink::Code => "code",
        CodeOrLink::Link => "link",
    };
    strategies()
        .into_iter()
        .find(|s| s.id() == wanted && s.enabled(config))
        .ok_or_else(|| {
            SubmitError::BadRequest(format!(
                "Verification uses the `{wanted}` method, which is not enabled \
                 (selfservice.methods.{wanted}.enabled)."
            ))
        })
}

/// Fails with `BadRequest` when verification is turned off.
pub fn ensure_enabled(config: &Config) -> Result<(), SubmitError> {
    if config.selfservice.flows.verification.enabled {
        Ok(())
    } else {
        Err(SubmitError::BadRequest(
            "Verification is turned off in this deployment (selfservice.flows.verification.enabled)."
                .into(),
        ))
    }
}

/// A new verification flow in `choose_method`, not stored yet.
///
/// Fails with `BadRequest` when the active method is disabled, and with `ReturnTo` when
/// the request's `return_to` is not allowed.
pub fn new_flow(origin: &NewFlowContext<'_>) -> Result<StoredFlow<VerificationFlow>, SubmitError> {
    let app = origin.app;
    let strategy = active_strategy(&app.config)?;
    let common = FlowCommon::new(
        FlowKind::Verification,
        origin.flow_type,
        origin.request_url,
        origin.public_base,
        origin.now,
        FlowKind::Verification.lifespan(&app.config),
    );
    ReturnToPolicy::from_config(&app.config, origin.public_base)
        .resolve(common.return_to.as_deref())?;
    let mut flow = VerificationFlow {
        common,
        active: Some(strategy.id().to_owned()),
    };
    strategy.populate(&mut flow, origin.csrf_token);
    let stored = StoredFlow::new(flow);
    Ok(match origin.flow_type {
        FlowType::Browser => stored.with_csrf_token(origin.csrf_token),
        FlowType::Api => stored,
    })
}

/// Creates and stores a new flow. Fails with `BadRequest` when verification is off.
/// Requests: 1 PutItem.
pub async fn create_flow(
    origin: &NewFlowContext<'_>,
) -> Result<StoredFlow<VerificationFlow>, SubmitError> {
    ensure_enabled(&origin.app.config)?;
    let mut stored = new_flow(origin)?;
    FlowStore::new(origin.app.table.clone())
        .create(&mut stored)
        .await?;
    Ok(stored)
}

fn origin<'a>(
    ctx: &'a SubmitContext<'a>,
    flow_type: FlowType,
    request_url: &'a str,
) -> NewFlowContext<'a> {
    NewFlowContext {
        app: ctx.app,
        flow_type,
        request_url,
        public_base: &ctx.public_base,
        now: ctx.now,
        csrf_token: &ctx.form_csrf_token,
    }
}

/// Handles a submission of a (live or expired) flow.
pub async fn submit(
    ctx: &SubmitContext<'_>,
    mut stored: StoredFlow<VerificationFlow>,
    submission: &Submission,
    submitted: Submitted,
) -> Result<Reply<VerificationFlow>, SubmitError> {
    if stored.flow.common.is_expired(ctx.now) {
        return replace_expired(ctx, &stored).await;
    }
    if let Some(message) = submission.body_error_message() {
        return show_form_error(ctx, stored, UiNodeGroup::Default, vec![message]).await;
    }
    let active = stored.flow.active.clone();
    for strategy in strategies() {
        if active.as_deref().is_some_and(|a| a != strategy.id())
            || !strategy.enabled(&ctx.app.config)
        {
            continue;
        }
        match strategy
            .verify(ctx, &mut stored, submission, submitted)
            .await
        {
            Err(SubmitError::NotResponsible) => continue,
            Err(SubmitError::Form(messages)) => {
                return show_form_error(ctx, stored, strategy.group(), messages).await;
            }
            Err(other) => return Err(other),
            Ok(Step::Show(redirect)) => return Ok(Reply::show(stored, redirect)),
            Ok(Step::ShowInUi) => return Ok(Reply::ShowInUi(Box::new(stored))),
            Ok(Step::Replaced(flow, scripts)) => return Ok(Reply::Replaced { flow, scripts }),
        }
    }
    show_form_error(
        ctx,
        stored,
        UiNodeGroup::Default,
        vec![FieldMessage::form(text::verification_no_strategy_found())],
    )
    .await
}

/// An expired flow was submitted: a new one (same type) carries the "expired" message.
/// Scripts and API flows are sent to fetch it; browsers to its UI.
///
/// Kratos turns an expired API flow into a browser flow here (it may have been opened
/// from a message in a browser); this keeps the type, so a native app can go on.
async fn replace_expired(
    ctx: &SubmitContext<'_>,
    old: &StoredFlow<VerificationFlow>,
) -> Result<Reply<VerificationFlow>, SubmitError> {
    let common = &old.flow.common;
    let mut replacement = new_flow(&origin(ctx, common.flow_type, &common.request_url))?;
    replacement
        .flow
        .common
        .ui
        .add_message(text::verification_flow_expired(common.expires_at, ctx.now));
    FlowStore::new(ctx.app.table.clone())
        .create(&mut replacement)
        .await?;
    Ok(Reply::replaced(replacement, ScriptAnswer::FetchRedirect))
}

/// Starts a fresh flow of `flow_type` for the same request as `old`, carrying `message`,
/// to replace a flow that cannot go on. Requests: 1 PutItem.
pub async fn retry(
    ctx: &SubmitContext<'_>,
    old: &StoredFlow<VerificationFlow>,
    flow_type: FlowType,
    message: crate::ui::UiText,
    answer: RetryAnswer,
) -> Result<Step, SubmitError> {
    let mut flow = new_flow(&origin(ctx, flow_type, &old.flow.common.request_url))?;
    flow.flow.common.ui.add_message(message);
    FlowStore::new(ctx.app.table.clone())
        .create(&mut flow)
        .await?;
    let scripts = answer.for_flow(flow.id(), ctx.now);
    Ok(Step::Replaced(Box::new(flow), scripts))
}

/// How a challenge failure is answered: a fresh flow with the matching message. Link
/// failures make a browser flow shown in the UI (they come from a followed link).
pub async fn retry_after(
    ctx: &SubmitContext<'_>,
    old: &StoredFlow<VerificationFlow>,
    error: ChallengeError,
    kind: ChallengeKind,
) -> Result<Step, SubmitError> {
    let (message, answer) = match (&error, kind) {
        (ChallengeError::Expired { expired_at }, ChallengeKind::Code) => (
            text::verification_flow_expired(*expired_at, ctx.now),
            RetryAnswer::Expired(*expired_at),
        ),
        (ChallengeError::Expired { expired_at }, ChallengeKind::Link) => (
            text::verification_flow_expired(*expired_at, ctx.now),
            RetryAnswer::Ui,
        ),
        (ChallengeError::Invalid | ChallengeError::AlreadyUsed, ChallengeKind::Link) => (
            text::verification_token_invalid_or_already_used(),
            RetryAnswer::Ui,
        ),
        (ChallengeError::AlreadyUsed, ChallengeKind::Code) => (
            text::validation_generic("This code was used already. Ask for a new one."),
            RetryAnswer::Replaced,
        ),
        (ChallengeError::TooManyAttempts, _) => (
            text::validation_generic(TOO_MANY_ATTEMPTS),
            RetryAnswer::Replaced,
        ),
        (ChallengeError::Invalid, ChallengeKind::Code) => (
            text::verification_code_invalid_or_already_used(),
            RetryAnswer::Replaced,
        ),
    };
    let flow_type = match kind {
        ChallengeKind::Link => FlowType::Browser,
        ChallengeKind::Code => old.flow.common.flow_type,
    };
    retry(ctx, old, flow_type, message, answer).await
}

/// The reason shown (4000001) when a flow has evaluated its five codes.
pub const TOO_MANY_ATTEMPTS: &str =
    "Too many codes were submitted for this request. Ask for a new code.";

/// Sends a code or link for `address` (an e-mail address, as the form asks for) with
/// this flow, replacing any sent before. An address nobody holds gets the
/// `*_invalid` message only with `notify_unknown_recipients`, and the flow moves on
/// exactly as for a known one. The flow is stored with the message in one write.
pub async fn send_to_address(
    ctx: &SubmitContext<'_>,
    stored: &mut StoredFlow<VerificationFlow>,
    strategy: &dyn VerificationStrategy,
    address: &str,
) -> Result<(), SubmitError> {
    let app = ctx.app;
    let store = app.identities();
    let holder = store
        .find_by_verifiable_address(AddressVia::Email, address)
        .await?;
    let kind = strategy.challenge_kind();
    let mut attempts = Attempts::load(&stored.internal);
    let flows = FlowStore::new(app.table.clone());
    match holder {
        Some(mut identity) => {
            let via = AddressVia::Email;
            let value = crate::identity::normalize::address(address);
            let prepared = prepare_message(
                app,
                &ctx.public_base,
                stored,
                &identity,
                via,
                &value,
                kind,
                ctx.now,
            )
            .await?;
            attempts.replace(Some(prepared.challenge));
            attempts.store(&mut stored.internal);
            let mut ops = vec![flows.update_op(stored)?];
            ops.extend(prepared.message_ops);
            write_with_status(app, &mut identity, via, &value, ops).await?;
            flows.applied(stored);
        }
        None => {
            tracing::info!(
                flow.id = %stored.id(),
                notified = app.config.selfservice.flows.verification.notify_unknown_recipients,
                "verification was requested for an address no identity holds"
            );
            attempts.replace(None);
            attempts.store(&mut stored.internal);
            let mut ops = vec![flows.update_op(stored)?];
            if app
                .config
                .selfservice
                .flows
                .verification
                .notify_unknown_recipients
            {
                let template = match kind {
                    ChallengeKind::Code => TemplateType::VerificationCodeInvalid,
                    ChallengeKind::Link => TemplateType::VerificationInvalid,
                };
                let data = out_of_band::template_data(
                    address.trim(),
                    &stored.flow.common.request_url,
                    stored.flow.common.transient_payload.as_ref(),
                );
                let (_, message_ops) =
                    out_of_band::compose(app, AddressVia::Email, template, &data, ctx.now).await?;
                ops.extend(message_ops);
            }
            app.table.write(ops).await.map_err(flow_write_error)?;
            flows.applied(stored);
        }
    }
    Ok(())
}

/// A challenge for `address` in `stored`'s flow and the writes that queue its message.
pub struct PreparedMessage {
    pub challenge: crate::flow::challenge::Challenge,
    pub message_ops: Vec<WriteOp>,
}

/// Issues a challenge of `kind` for `identity`'s address (`via`, normalised `value`) in
/// this flow and renders its message (`verification_code_valid` or `verification_valid`,
/// by e-mail or SMS). Nothing is written.
#[allow(clippy::too_many_arguments)]
pub async fn prepare_message(
    app: &App,
    public_base: &Url,
    stored: &StoredFlow<VerificationFlow>,
    identity: &Identity,
    via: AddressVia,
    value: &str,
    kind: ChallengeKind,
    now: OffsetDateTime,
) -> Result<PreparedMessage, SubmitError> {
    let lifespan = match kind {
        ChallengeKind::Code => app.config.selfservice.methods.code.config.lifespan,
        ChallengeKind::Link => app.config.selfservice.methods.link.config.lifespan,
    }
    .as_duration();
    let expires_at = now + time::Duration::try_from(lifespan).unwrap_or(time::Duration::HOUR);
    let issued = ChallengeKeys::new(&app.cookie_secrets).issue(
        stored.id(),
        ChallengeRequest {
            kind,
            issuer: Issuer::SelfService,
            identity_id: identity.id,
            address: Some(ChallengeAddress {
                via,
                value: value.to_owned(),
            }),
            expires_at,
        },
    );
    let common = &stored.flow.common;
    let mut data = out_of_band::template_data(
        value,
        &common.request_url,
        common.transient_payload.as_ref(),
    );
    data.identity = Some(out_of_band::identity_for_templates(public_base, identity));
    let (param, template) = match kind {
        ChallengeKind::Code => ("code", TemplateType::VerificationCodeValid),
        ChallengeKind::Link => ("token", TemplateType::VerificationValid),
    };
    data.verification_url = Some(out_of_band::flow_link(
        app,
        public_base,
        FlowKind::Verification,
        stored.id(),
        param,
        issued.value.expose(),
    ));
    if kind == ChallengeKind::Code {
        data.verification_code = Some(issued.value.expose().to_owned());
    }
    let (_, message_ops) = out_of_band::compose(app, via, template, &data, now).await?;
    Ok(PreparedMessage {
        challenge: issued.challenge,
        message_ops,
    })
}

/// Writes `ops` together with the address's status `sent` when it is still `pending`,
/// in one atomic write.
async fn write_with_status(
    app: &App,
    identity: &mut Identity,
    via: AddressVia,
    value: &str,
    ops: Vec<WriteOp>,
) -> Result<(), SubmitError> {
    let pending = identity
        .verifiable_address_mut(via, value)
        .filter(|a| a.status == VerificationStatus::Pending);
    match pending {
        Some(address) => {
            address.status = VerificationStatus::Sent;
            address.updated_at = crate::identity::timestamp::truncate(app.clock.now());
            app.identities()
                .update_with(identity, ops)
                .await
                .map_err(identity_write_error)
        }
        None => app.table.write(ops).await.map_err(flow_write_error),
    }
}

/// A failed condition on the flow (another submission won) is a conflict.
pub(crate) fn flow_write_error(error: crate::store::StoreError) -> SubmitError {
    match error {
        crate::store::StoreError::ConditionFailed { .. } => SubmitError::Conflict,
        other => SubmitError::Store(other),
    }
}

/// An identity write with the flow: a changed identity or flow is a conflict.
pub(crate) fn identity_write_error(error: IdentityError) -> SubmitError {
    match error {
        IdentityError::Stale(_) => SubmitError::Conflict,
        IdentityError::Store(store) => flow_write_error(store),
        other => other.into(),
    }
}

/// Checks a submitted code or token of `kind` against the flow and, when it is right,
/// verifies the address and completes the flow in one write. A wrong code is shown on
/// the flow (and counted); every other failure starts a fresh flow.
pub async fn use_challenge(
    ctx: &SubmitContext<'_>,
    stored: &mut StoredFlow<VerificationFlow>,
    kind: ChallengeKind,
    submitted: &str,
    group: UiNodeGroup,
) -> Result<Step, SubmitError> {
    let app = ctx.app;
    let flows = FlowStore::new(app.table.clone());
    let keys = ChallengeKeys::new(&app.cookie_secrets);
    let mut attempts = Attempts::load(&stored.internal);
    let result = match kind {
        ChallengeKind::Code => attempts.use_code(&keys, stored.id(), submitted, ctx.now),
        ChallengeKind::Link => attempts.use_token(&keys, stored.id(), submitted, ctx.now),
    };
    let challenge = match result {
        Ok(challenge) => challenge,
        Err(ChallengeError::Invalid) if kind == ChallengeKind::Code => {
            attempts.store(&mut stored.internal);
            let ui = &mut stored.flow.common.ui;
            ui.reset_messages(&[]);
            ui.add_message(text::verification_code_invalid_or_already_used());
            save(app, stored).await?;
            return Ok(Step::Show(out_of_band::RedirectRule::BrowserNavigation));
        }
        Err(error) => {
            return retry_after(ctx, stored, error, kind).await;
        }
    };
    let store = app.identities();
    let found = match store.get(challenge.identity_id).await {
        Ok(identity) => Some(identity),
        Err(IdentityError::NotFound(_)) => None,
        Err(other) => return Err(other.into()),
    };
    let address = challenge.address.clone();
    let Some((mut identity, address)) = found.zip(address).filter(|(identity, address)| {
        identity
            .verifiable_address(address.via, &address.value)
            .is_some()
    }) else {
        // The identity or the address is gone since the message was sent.
        return retry_after(ctx, stored, ChallengeError::Invalid, kind).await;
    };
    if let Some(verifiable) = identity.verifiable_address_mut(address.via, &address.value) {
        verifiable.mark_verified(ctx.now);
    }
    attempts.store(&mut stored.internal);
    complete_flow(ctx, stored, group);
    let op = flows.update_op(stored)?;
    store
        .update_with(&mut identity, vec![op])
        .await
        .map_err(identity_write_error)?;
    flows.applied(stored);
    tracing::info!(identity.id = %identity.id, via = %address.via, "an address was verified");
    Ok(Step::Show(out_of_band::RedirectRule::BrowserNavigation))
}

/// The flow after success: `passed_challenge`, the success message, and a link onwards
/// (a `GET` form whose action is where to continue).
fn complete_flow(
    ctx: &SubmitContext<'_>,
    stored: &mut StoredFlow<VerificationFlow>,
    group: UiNodeGroup,
) {
    let common = &mut stored.flow.common;
    let next = out_of_band::continue_url(
        ctx.app,
        &ctx.public_base,
        FlowKind::Verification,
        common.return_to.as_deref(),
    );
    let mut ui = UiContainer::new(next.as_str());
    ui.method = "GET".into();
    ui.set_csrf(&ctx.form_csrf_token);
    ui.add_message(text::verification_successful());
    ui.append(
        UiNode::anchor("continue", next.as_str(), text::label_continue(), group)
            .with_label(text::label_continue()),
    );
    common.ui = ui;
    common.state = FlowState::PassedChallenge;
    if !ctx.form_csrf_token.is_empty() {
        stored.csrf_token = Some(ctx.form_csrf_token.clone());
    }
}
