//! The recovery flow: regaining a lost account through a recovery address (the spec's
//! `recoveryFlow`).
//!
//! A flow starts in `choose_method` with the active method's form
//! (`selfservice.flows.recovery.use`). Submitting an e-mail address sends a code or link to
//! it (`sent_email`) if it is a recovery address of an identity, and nothing (or the
//! `*_invalid` message with `notify_unknown_recipients`) otherwise, with the same answer
//! either way. The right code, or the link, completes it (`passed_challenge`): the user
//! gets a new session, privileged for `selfservice.flows.settings.privileged_session_max_age`
//! (method `code_recovery` or `link_recovery`, AAL1), and a settings flow to set a new
//! password. Browsers are sent to that settings flow; scripts find it in `continue_with`
//! (`show_settings_ui`, and `set_ory_session_token` for native apps).
//!
//! Administrators create flows with a code or link for an identity ([`admin`]).
//!
//! Store requests (happy paths): creating a flow 1 PutItem; sending to a known address 2
//! GetItem + 1 TransactWriteItems (flow and message); to an unknown one 1 GetItem + 1
//! PutItem; a right code or link 1 GetItem (flow) + 1 GetItem (identity) + 1
//! TransactWriteItems (flow, new session, settings flow, and the identity when the address
//! becomes verified), plus the `revoke_active_sessions` hook's requests when configured.

pub mod admin;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

use super::out_of_band::{self, Reply, RetryAnswer, ScriptAnswer, save, show_form_error};
use super::{ContinueWith, FieldMessage, NewFlowContext, Submission, SubmitContext, SubmitError};
use crate::app::App;
use crate::config::{CodeOrLink, Config};
use crate::courier::TemplateType;
use crate::flow::challenge::{
    Attempts, Challenge, ChallengeAddress, ChallengeError, ChallengeKeys, ChallengeKind,
    ChallengeRequest, Issuer,
};
use crate::flow::return_to::ReturnToPolicy;
use crate::flow::store::{FlowDocument, FlowStore, StoredFlow};
use crate::flow::{FlowCommon, FlowKind, FlowState, FlowType, join_path, with_flow_id};
use crate::identity::{AddressVia, CredentialsType, Identity, IdentityError};
use crate::ids::FlowId;
use crate::session::{AuthenticationMethod, IssuedSession};
use crate::ui::{UiNodeGroup, text};

/// Internal state: the flow was created by an administrator and needs no anti-CSRF
/// token (Kratos's `DangerousSkipCSRFCheck`), since its code reaches the user elsewhere.
const SKIP_CSRF: &str = "skip_csrf_check";

/// A recovery flow (`recoveryFlow`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryFlow {
    #[serde(flatten)]
    pub common: FlowCommon,
    /// The method the flow uses (`code` or `link`), set when it is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<String>,
    /// Only in the answer that completes the flow; never stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub continue_with: Vec<ContinueWith>,
}

impl out_of_band::OutOfBandFlow for RecoveryFlow {
    fn active_mut(&mut self) -> &mut Option<String> {
        &mut self.active
    }
}

impl FlowDocument for RecoveryFlow {
    const KIND: FlowKind = FlowKind::Recovery;

    fn common(&self) -> &FlowCommon {
        &self.common
    }

    fn common_mut(&mut self) -> &mut FlowCommon {
        &mut self.common
    }
}

pub use super::verification::Submitted;

/// What a strategy did with a submission it handled (the flow is stored).
#[derive(Debug)]
pub enum Step {
    Show(out_of_band::RedirectRule),
    ShowInUi,
    Replaced(Box<StoredFlow<RecoveryFlow>>, ScriptAnswer),
    Recovered(Box<Recovered>),
}

/// A completed recovery.
#[derive(Debug)]
pub struct Recovered {
    /// The flow in `passed_challenge`; its `continue_with` holds the next steps (only in
    /// this answer).
    pub flow: StoredFlow<RecoveryFlow>,
    /// The new, privileged session. Browser flows get it as a cookie.
    pub session: IssuedSession,
    pub settings_flow: FlowId,
    /// `selfservice.flows.settings.ui_url?flow=<id>`.
    pub settings_url: String,
    /// The method that completed the flow.
    pub method: ChallengeKind,
}

/// What a submission led to.
#[derive(Debug)]
pub enum RecoveryOutcome {
    Reply(Reply<RecoveryFlow>),
    Recovered(Box<Recovered>),
}

/// What the edge knows of the request besides the body.
#[derive(Debug, Clone, Copy)]
pub struct RecoveryRequest {
    pub submitted: Submitted,
    /// The request carries a valid session: asking for a message is refused then
    /// (`session_already_available`), using a code or link is not.
    pub has_session: bool,
}

/// One recovery method.
#[async_trait::async_trait]
pub trait RecoveryStrategy: Send + Sync {
    /// The method's name: `method` in submissions and the flow's `active`.
    fn id(&self) -> &'static str;

    fn group(&self) -> UiNodeGroup;

    /// `selfservice.methods.<id>.enabled`.
    fn enabled(&self, config: &Config) -> bool;

    /// Adds the `choose_method` form (`csrf_token` is "" for API flows).
    fn populate(&self, flow: &mut RecoveryFlow, csrf_token: &str);

    /// Handles a submission, declining with [`SubmitError::NotResponsible`] if it is
    /// another method's. `Form` errors are shown on `stored`.
    async fn recover(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<RecoveryFlow>,
        submission: &Submission,
        request: RecoveryRequest,
    ) -> Result<Step, SubmitError>;
}

/// The recovery methods.
pub fn strategies() -> [&'static dyn RecoveryStrategy; 2] {
    [&super::code::CodeStrategy, &super::link::LinkStrategy]
}

/// The method `selfservice.flows.recovery.use` names. Fails with `BadRequest` when that
/// method is disabled.
pub fn active_strategy(config: &Config) -> Result<&'static dyn RecoveryStrategy, SubmitError> {
    let wanted = match config.selfservice.flows.recovery.use_method {
        CodeOrLink::Code => "code",
        CodeOrLink::Link => "link",
    };
    strategy(config, wanted).ok_or_else(|| {
        SubmitError::BadRequest(format!(
            "Recovery uses the `{wanted}` method, which is not enabled \
             (selfservice.methods.{wanted}.enabled)."
        ))
    })
}

/// The enabled method named `id`.
pub fn strategy(config: &Config, id: &str) -> Option<&'static dyn RecoveryStrategy> {
    strategies()
        .into_iter()
        .find(|s| s.id() == id && s.enabled(config))
}

/// Fails with `BadRequest` when recovery is turned off.
pub fn ensure_enabled(config: &Config) -> Result<(), SubmitError> {
    if config.selfservice.flows.recovery.enabled {
        Ok(())
    } else {
        Err(SubmitError::BadRequest(
            "Recovery is turned off in this deployment (selfservice.flows.recovery.enabled)."
                .into(),
        ))
    }
}

/// A new recovery flow of `strategy` in `choose_method`, valid for `lifespan`, not stored
/// yet. Fails with `ReturnTo` when the request's `return_to` is not allowed.
pub fn new_flow_with(
    origin: &NewFlowContext<'_>,
    strategy: &dyn RecoveryStrategy,
    lifespan: std::time::Duration,
) -> Result<StoredFlow<RecoveryFlow>, SubmitError> {
    let common = FlowCommon::new(
        FlowKind::Recovery,
        origin.flow_type,
        origin.request_url,
        origin.public_base,
        origin.now,
        lifespan,
    );
    ReturnToPolicy::from_config(&origin.app.config, origin.public_base)
        .resolve(common.return_to.as_deref())?;
    let mut flow = RecoveryFlow {
        common,
        active: Some(strategy.id().to_owned()),
        continue_with: Vec::new(),
    };
    strategy.populate(&mut flow, origin.csrf_token);
    let stored = StoredFlow::new(flow);
    Ok(match origin.flow_type {
        FlowType::Browser => stored.with_csrf_token(origin.csrf_token),
        FlowType::Api => stored,
    })
}

/// A new recovery flow of the active method, not stored yet.
pub fn new_flow(origin: &NewFlowContext<'_>) -> Result<StoredFlow<RecoveryFlow>, SubmitError> {
    let strategy = active_strategy(&origin.app.config)?;
    new_flow_with(
        origin,
        strategy,
        FlowKind::Recovery.lifespan(&origin.app.config),
    )
}

/// Creates and stores a new flow. Requests: 1 PutItem.
pub async fn create_flow(
    origin: &NewFlowContext<'_>,
) -> Result<StoredFlow<RecoveryFlow>, SubmitError> {
    ensure_enabled(&origin.app.config)?;
    let mut stored = new_flow(origin)?;
    FlowStore::new(origin.app.table.clone())
        .create(&mut stored)
        .await?;
    Ok(stored)
}

/// Whether fetching or submitting this browser flow skips the anti-CSRF check (flows an
/// administrator created with a code).
pub fn skips_csrf(stored: &StoredFlow<RecoveryFlow>) -> bool {
    stored
        .internal
        .get(SKIP_CSRF)
        .and_then(Value::as_bool)
        .unwrap_or(false)
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
    mut stored: StoredFlow<RecoveryFlow>,
    submission: &Submission,
    request: RecoveryRequest,
) -> Result<RecoveryOutcome, SubmitError> {
    if stored.flow.common.is_expired(ctx.now) {
        return replace_expired(ctx, &stored)
            .await
            .map(RecoveryOutcome::Reply);
    }
    if let Some(message) = submission.body_error_message() {
        return show_form_error(ctx, stored, UiNodeGroup::Default, vec![message])
            .await
            .map(RecoveryOutcome::Reply);
    }
    let active = stored.flow.active.clone();
    for strategy in strategies() {
        if active.as_deref().is_some_and(|a| a != strategy.id())
            || !strategy.enabled(&ctx.app.config)
        {
            continue;
        }
        let step = match strategy
            .recover(ctx, &mut stored, submission, request)
            .await
        {
            Err(SubmitError::NotResponsible) => continue,
            Err(SubmitError::Form(messages)) => {
                return show_form_error(ctx, stored, strategy.group(), messages)
                    .await
                    .map(RecoveryOutcome::Reply);
            }
            Err(other) => return Err(other),
            Ok(step) => step,
        };
        return Ok(match step {
            Step::Show(redirect) => RecoveryOutcome::Reply(Reply::show(stored, redirect)),
            Step::ShowInUi => RecoveryOutcome::Reply(Reply::ShowInUi(Box::new(stored))),
            Step::Replaced(flow, scripts) => {
                RecoveryOutcome::Reply(Reply::Replaced { flow, scripts })
            }
            Step::Recovered(recovered) => RecoveryOutcome::Recovered(recovered),
        });
    }
    show_form_error(
        ctx,
        stored,
        UiNodeGroup::Default,
        vec![FieldMessage::form(text::recovery_no_strategy_found())],
    )
    .await
    .map(RecoveryOutcome::Reply)
}

/// An expired flow was submitted: a new one carries the "expired" message. A link flow
/// becomes a browser flow (its link is opened in a browser); a code flow keeps its type.
async fn replace_expired(
    ctx: &SubmitContext<'_>,
    old: &StoredFlow<RecoveryFlow>,
) -> Result<Reply<RecoveryFlow>, SubmitError> {
    let common = &old.flow.common;
    let flow_type = match old.flow.active.as_deref() {
        Some("link") => FlowType::Browser,
        _ => common.flow_type,
    };
    let strategy = old
        .flow
        .active
        .as_deref()
        .and_then(|id| strategy(&ctx.app.config, id))
        .map(Ok)
        .unwrap_or_else(|| active_strategy(&ctx.app.config))?;
    let mut replacement = new_flow_with(
        &origin(ctx, flow_type, &common.request_url),
        strategy,
        FlowKind::Recovery.lifespan(&ctx.app.config),
    )?;
    replacement
        .flow
        .common
        .ui
        .add_message(text::recovery_flow_expired(common.expires_at, ctx.now));
    FlowStore::new(ctx.app.table.clone())
        .create(&mut replacement)
        .await?;
    Ok(Reply::replaced(replacement, ScriptAnswer::FetchRedirect))
}

/// Starts a fresh flow of `flow_type` for the same request as `old`, carrying `message`.
/// Requests: 1 PutItem.
pub async fn retry(
    ctx: &SubmitContext<'_>,
    old: &StoredFlow<RecoveryFlow>,
    flow_type: FlowType,
    message: crate::ui::UiText,
    answer: RetryAnswer,
) -> Result<Step, SubmitError> {
    let strategy = active_strategy(&ctx.app.config)?;
    let mut flow = new_flow_with(
        &origin(ctx, flow_type, &old.flow.common.request_url),
        strategy,
        FlowKind::Recovery.lifespan(&ctx.app.config),
    )?;
    flow.flow.common.ui.add_message(message);
    FlowStore::new(ctx.app.table.clone())
        .create(&mut flow)
        .await?;
    let scripts = answer.for_flow(flow.id(), ctx.now);
    Ok(Step::Replaced(Box::new(flow), scripts))
}

/// How a challenge failure is answered: a fresh flow with the matching message. Link
/// failures make a browser flow shown in the UI.
pub async fn retry_after(
    ctx: &SubmitContext<'_>,
    old: &StoredFlow<RecoveryFlow>,
    error: ChallengeError,
    kind: ChallengeKind,
) -> Result<Step, SubmitError> {
    let (message, answer) = match (&error, kind) {
        (ChallengeError::Expired { expired_at }, ChallengeKind::Code) => (
            text::recovery_flow_expired(*expired_at, ctx.now),
            RetryAnswer::FetchRedirect,
        ),
        (ChallengeError::Expired { expired_at }, ChallengeKind::Link) => (
            text::recovery_flow_expired(*expired_at, ctx.now),
            RetryAnswer::Ui,
        ),
        (ChallengeError::Invalid | ChallengeError::AlreadyUsed, ChallengeKind::Link) => (
            text::recovery_token_invalid_or_already_used(),
            RetryAnswer::Ui,
        ),
        (ChallengeError::AlreadyUsed, ChallengeKind::Code) => (
            text::validation_generic("This code was used already. Ask for a new one."),
            RetryAnswer::FetchRedirect,
        ),
        (ChallengeError::TooManyAttempts, _) => (
            text::validation_generic(super::verification::TOO_MANY_ATTEMPTS),
            RetryAnswer::FetchRedirect,
        ),
        (ChallengeError::Invalid, ChallengeKind::Code) => (
            text::recovery_code_invalid_or_already_used(),
            RetryAnswer::FetchRedirect,
        ),
    };
    let flow_type = match kind {
        ChallengeKind::Link => FlowType::Browser,
        ChallengeKind::Code => old.flow.common.flow_type,
    };
    retry(ctx, old, flow_type, message, answer).await
}

/// Sends a code or link to `address` if it is a recovery address, replacing any sent
/// before; an unknown address gets the `*_invalid` message only with
/// `notify_unknown_recipients`. The flow (already moved on by the strategy) is stored
/// with the message in one write.
pub async fn send_to_address(
    ctx: &SubmitContext<'_>,
    stored: &mut StoredFlow<RecoveryFlow>,
    kind: ChallengeKind,
    address: &str,
) -> Result<(), SubmitError> {
    let app = ctx.app;
    let holder = app
        .identities()
        .find_by_recovery_address(AddressVia::Email, address)
        .await?;
    let mut attempts = Attempts::load(&stored.internal);
    let flows = FlowStore::new(app.table.clone());
    let common = stored.flow.common.clone();
    let mut message_ops = Vec::new();
    match holder {
        Some(identity) => {
            let value = crate::identity::normalize::address(address);
            let lifespan = match kind {
                ChallengeKind::Code => app.config.selfservice.methods.code.config.lifespan,
                ChallengeKind::Link => app.config.selfservice.methods.link.config.lifespan,
            };
            let issued = ChallengeKeys::new(&app.cookie_secrets).issue(
                stored.id(),
                ChallengeRequest {
                    kind,
                    issuer: Issuer::SelfService,
                    identity_id: identity.id,
                    address: Some(ChallengeAddress {
                        via: AddressVia::Email,
                        value: value.clone(),
                    }),
                    expires_at: ctx.now + lifespan.as_time(),
                },
            );
            let mut data = out_of_band::template_data(
                &value,
                &common.request_url,
                common.transient_payload.as_ref(),
            );
            data.identity = Some(out_of_band::identity_for_templates(
                &ctx.public_base,
                &identity,
            ));
            let template = match kind {
                ChallengeKind::Code => {
                    data.recovery_code = Some(issued.value.expose().to_owned());
                    TemplateType::RecoveryCodeValid
                }
                ChallengeKind::Link => {
                    data.recovery_url = Some(out_of_band::flow_link(
                        app,
                        &ctx.public_base,
                        FlowKind::Recovery,
                        stored.id(),
                        "token",
                        issued.value.expose(),
                    ));
                    TemplateType::RecoveryValid
                }
            };
            let (_, ops) =
                out_of_band::compose(app, AddressVia::Email, template, &data, ctx.now).await?;
            message_ops = ops;
            attempts.replace(Some(issued.challenge));
        }
        None => {
            let notify = app
                .config
                .selfservice
                .flows
                .recovery
                .notify_unknown_recipients;
            tracing::info!(flow.id = %stored.id(), notified = notify, "recovery was requested for an address no identity holds");
            attempts.replace(None);
            if notify {
                let template = match kind {
                    ChallengeKind::Code => TemplateType::RecoveryCodeInvalid,
                    ChallengeKind::Link => TemplateType::RecoveryInvalid,
                };
                let data = out_of_band::template_data(
                    address.trim(),
                    &common.request_url,
                    common.transient_payload.as_ref(),
                );
                let (_, ops) =
                    out_of_band::compose(app, AddressVia::Email, template, &data, ctx.now).await?;
                message_ops = ops;
            }
        }
    }
    attempts.store(&mut stored.internal);
    let mut ops = vec![flows.update_op(stored)?];
    ops.extend(message_ops);
    app.table
        .write(ops)
        .await
        .map_err(super::verification::flow_write_error)?;
    flows.applied(stored);
    Ok(())
}

/// Checks a submitted code or token of `kind` and, when it is right, completes the
/// recovery. A wrong code is shown on the flow (and counted); every other failure starts
/// a fresh flow.
pub async fn use_challenge(
    ctx: &SubmitContext<'_>,
    stored: &mut StoredFlow<RecoveryFlow>,
    kind: ChallengeKind,
    submitted: &str,
) -> Result<Step, SubmitError> {
    let keys = ChallengeKeys::new(&ctx.app.cookie_secrets);
    let mut attempts = Attempts::load(&stored.internal);
    let result = match kind {
        ChallengeKind::Code => attempts.use_code(&keys, stored.id(), submitted, ctx.now),
        ChallengeKind::Link => attempts.use_token(&keys, stored.id(), submitted, ctx.now),
    };
    match result {
        Ok(challenge) => {
            attempts.store(&mut stored.internal);
            complete(ctx, stored, challenge).await
        }
        Err(ChallengeError::Invalid) if kind == ChallengeKind::Code => {
            attempts.store(&mut stored.internal);
            let ui = &mut stored.flow.common.ui;
            ui.reset_messages(&[]);
            ui.add_message(text::recovery_code_invalid_or_already_used());
            save(ctx.app, stored).await?;
            Ok(Step::Show(out_of_band::RedirectRule::BrowserFlowUnlessJson))
        }
        Err(error) => retry_after(ctx, stored, error, kind).await,
    }
}

/// The recovery succeeded: one write stores the completed flow, the new session, the
/// settings flow and (for a self-service challenge) the recovery address verified.
async fn complete(
    ctx: &SubmitContext<'_>,
    stored: &mut StoredFlow<RecoveryFlow>,
    challenge: Challenge,
) -> Result<Step, SubmitError> {
    let app = ctx.app;
    let store = app.identities();
    let mut identity = match store.get(challenge.identity_id).await {
        Ok(identity) => identity,
        Err(IdentityError::NotFound(_)) => {
            return retry_after(ctx, stored, ChallengeError::Invalid, challenge.kind).await;
        }
        Err(other) => return Err(other.into()),
    };
    if !identity.is_active() {
        return Err(SubmitError::IdentityDisabled);
    }
    let verified_now = match (&challenge.issuer, &challenge.address) {
        (Issuer::SelfService, Some(address)) => mark_verified(&mut identity, address, ctx.now),
        _ => false,
    };
    let (method, flow_type) = match challenge.kind {
        ChallengeKind::Code => (CredentialsType::CodeRecovery, stored.flow.common.flow_type),
        ChallengeKind::Link => (CredentialsType::LinkRecovery, FlowType::Browser),
    };
    let session = app.sessions.prepare(
        &identity,
        AuthenticationMethod::first_factor(method, ctx.now),
        ctx.device.clone(),
    )?;

    let settings_request = settings_request_url(ctx, stored);
    let settings_origin = NewFlowContext {
        app,
        flow_type,
        request_url: &settings_request,
        public_base: &ctx.public_base,
        now: ctx.now,
        csrf_token: &ctx.form_csrf_token,
    };
    let mut settings = super::settings::new_flow(&settings_origin, &identity)?;
    let privileged_until = ctx.now
        + app
            .config
            .selfservice
            .flows
            .settings
            .privileged_session_max_age
            .as_time();
    settings
        .flow
        .common
        .ui
        .add_message(text::recovery_successful(privileged_until, ctx.now));

    let flow = &mut stored.flow;
    flow.common.state = FlowState::PassedChallenge;
    flow.common.ui.reset_messages(&[]);
    if flow.common.flow_type == FlowType::Browser && !ctx.form_csrf_token.is_empty() {
        flow.common.ui.set_csrf(&ctx.form_csrf_token);
        stored.csrf_token = Some(ctx.form_csrf_token.clone());
    }
    stored.internal.insert(
        "recovered_identity_id".into(),
        Value::String(identity.id.to_string()),
    );

    let flows = FlowStore::new(app.table.clone());
    let mut ops = vec![
        flows.update_op(stored)?,
        app.sessions.store().create_op(&session.session)?,
        flows.create_op(&settings)?,
    ];
    if verified_now {
        store
            .update_with(&mut identity, std::mem::take(&mut ops))
            .await
            .map_err(super::verification::identity_write_error)?;
    } else {
        app.table
            .write(ops)
            .await
            .map_err(super::verification::flow_write_error)?;
    }
    flows.applied(stored);
    flows.applied(&mut settings);
    let mut session = session;
    app.sessions.store().created(&mut session.session);
    tracing::info!(identity.id = %identity.id, method = method.as_str(), "an account was recovered");

    run_after_hooks(app, &identity, &session).await?;

    let settings_url =
        with_flow_id(FlowKind::Settings.ui_url(&app.config), settings.id()).to_string();
    let mut answered = stored.clone();
    if flow_type == FlowType::Api {
        answered
            .flow
            .continue_with
            .push(ContinueWith::session_token(session.token.expose()));
    }
    answered
        .flow
        .continue_with
        .push(ContinueWith::ShowSettingsUi {
            flow: super::continue_with::FlowReference {
                id: settings.id(),
                url: Some(settings_url.clone()),
            },
        });
    Ok(Step::Recovered(Box::new(Recovered {
        flow: answered,
        session,
        settings_flow: settings.id(),
        settings_url,
        method: challenge.kind,
    })))
}

/// Marks the verifiable address with the recovery address's value verified, as a
/// recovery proves control of it. Whether anything changed.
fn mark_verified(identity: &mut Identity, address: &ChallengeAddress, now: OffsetDateTime) -> bool {
    match identity
        .verifiable_addresses
        .iter_mut()
        .find(|a| a.value == address.value)
    {
        Some(verifiable) if !verifiable.verified => {
            verifiable.mark_verified(now);
            true
        }
        _ => false,
    }
}

/// The settings flow's request URL: the recovery endpoint with the recovery flow's
/// `return_to` (or `selfservice.flows.recovery.after.default_browser_return_url`), so the
/// settings flow sends the user on to the same place.
fn settings_request_url(ctx: &SubmitContext<'_>, stored: &StoredFlow<RecoveryFlow>) -> String {
    let mut url = join_path(&ctx.public_base, &FlowKind::Recovery.submit_route());
    url.query_pairs_mut()
        .append_pair("flow", &stored.id().to_string());
    let return_to = stored.flow.common.return_to.clone().or_else(|| {
        ctx.app
            .config
            .selfservice
            .flows
            .recovery
            .after
            .default_browser_return_url
            .as_ref()
            .map(Url::to_string)
    });
    if let Some(return_to) = return_to {
        url.query_pairs_mut().append_pair("return_to", &return_to);
    }
    url.into()
}

/// The hooks of `selfservice.flows.recovery.after.hooks`: `revoke_active_sessions` ends
/// the identity's other sessions (the usual reason to recover an account).
async fn run_after_hooks(
    app: &App,
    identity: &Identity,
    session: &IssuedSession,
) -> Result<(), SubmitError> {
    let revoke = app
        .config
        .selfservice
        .flows
        .recovery
        .after
        .hooks
        .iter()
        .any(|h| h.hook == "revoke_active_sessions");
    if revoke {
        let revoked = app
            .sessions
            .store()
            .revoke_all_except(identity.id, Some(session.session.id))
            .await?;
        tracing::info!(identity.id = %identity.id, revoked, "other sessions revoked after recovery");
    }
    Ok(())
}
