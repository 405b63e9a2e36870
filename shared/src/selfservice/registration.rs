//! The registration flow: its document (the spec's `registrationFlow`), creation, the
//! dispatch of submissions to the registration strategies, and what happens on success
//! (the identity is created; the `session` hook, when configured, signs the user in).
//!
//! Two-step registration (the default, `enable_legacy_one_step: false`) works as in
//! Kratos: a new flow shows the traits (group `default`) and the `profile` method's
//! button; the other methods' nodes wait in the flow's internal state. Submitting
//! `method=profile` validates the traits and shows the credential step (the traits as
//! hidden inputs, the password, and a `screen=previous` button back); the password method
//! then completes the registration.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;
use uuid::Uuid;

use super::hooks::{Hook, StartedVerification, after_hooks};
use super::{
    ContinueWith, FieldMessage, NewFlowContext, Submission, SubmitContext, SubmitError,
    show_messages,
};
use crate::app::App;
use crate::config::Config;
use crate::flow::return_to::ReturnToPolicy;
use crate::flow::store::{FlowDocument, FlowStore, StoredFlow};
use crate::flow::{FlowCommon, FlowError, FlowKind, FlowType};
use crate::identity::{CredentialsType, Identity, IdentityError};
use crate::ids::IdentityId;
use crate::session::{AuthenticationMethod, IssuedSession};
use crate::store::WriteOp;
use crate::ui::{SortOptions, UiNode, UiNodeGroup, text};

/// Internal fields holding the two steps' nodes.
pub const STEP_ONE_NODES: &str = "step_one_nodes";
pub const STEP_TWO_NODES: &str = "step_two_nodes";

/// A registration flow (`registrationFlow`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationFlow {
    #[serde(flatten)]
    pub common: FlowCommon,
    /// The method that completed (or is completing) the flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<CredentialsType>,
    /// Always `null` here (organizations are an Ory Network feature).
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    /// Only in the response that creates an API flow with
    /// `return_session_token_exchange_code=true`; never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token_exchange_code: Option<String>,
}

impl FlowDocument for RegistrationFlow {
    const KIND: FlowKind = FlowKind::Registration;

    fn common(&self) -> &FlowCommon {
        &self.common
    }

    fn common_mut(&mut self) -> &mut FlowCommon {
        &mut self.common
    }
}

/// What a strategy did with a submission it handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterStep {
    /// The identity is complete (traits and credentials): create it.
    Registered,
    /// The flow moved to another step; show it again (two-step registration).
    ShowForm,
}

/// One registration method.
#[async_trait::async_trait]
pub trait RegistrationStrategy: Send + Sync {
    /// The method's name (`method` in submissions) and credential type.
    fn id(&self) -> CredentialsType;

    /// Whether the method takes part in registration.
    fn enabled(&self, config: &Config) -> bool;

    /// Adds the method's nodes to a new flow. `csrf_token` is the form's token ("" for
    /// API flows).
    fn populate(&self, app: &App, flow: &mut RegistrationFlow, csrf_token: &str);

    /// Handles a submission, declining with [`SubmitError::NotResponsible`] if its
    /// `method` is another's. On `Registered`, `identity` holds the validated traits and
    /// the method's credentials.
    async fn register(
        &self,
        ctx: &SubmitContext<'_>,
        flow: &mut StoredFlow<RegistrationFlow>,
        submission: &Submission,
        identity: &mut Identity,
    ) -> Result<RegisterStep, SubmitError>;
}

/// The registration methods, in the order Kratos asks them.
pub fn strategies() -> [&'static dyn RegistrationStrategy; 2] {
    [
        &super::password::PasswordStrategy,
        &super::profile::ProfileStrategy,
    ]
}

fn enabled_strategies(config: &Config) -> impl Iterator<Item = &'static dyn RegistrationStrategy> {
    strategies().into_iter().filter(|s| s.enabled(config))
}

/// Whether registration shows the traits first (`enable_legacy_one_step: false`).
pub fn two_steps(config: &Config) -> bool {
    !config.selfservice.flows.registration.enable_legacy_one_step
}

/// How registration forms are sorted (by the default schema's keys).
pub fn sort_options(app: &App) -> SortOptions {
    SortOptions::registration(&app.schemas.default_schema().document)
}

/// A new registration flow, not stored yet (see [`create_ops`]).
///
/// Fails with `Disabled` when registration is off, and with `ReturnTo` when the request
/// URL's `return_to` is not allowed.
pub fn new_flow(origin: &NewFlowContext<'_>) -> Result<StoredFlow<RegistrationFlow>, SubmitError> {
    let NewFlowContext {
        app,
        flow_type,
        request_url,
        public_base,
        now,
        csrf_token,
    } = *origin;
    let config = &app.config;
    if !config.selfservice.flows.registration.enabled {
        return Err(FlowError::Disabled {
            kind: FlowKind::Registration,
        }
        .into());
    }
    let common = FlowCommon::new(
        FlowKind::Registration,
        flow_type,
        request_url,
        public_base,
        now,
        FlowKind::Registration.lifespan(config),
    );
    ReturnToPolicy::from_config(config, public_base).resolve(common.return_to.as_deref())?;
    let mut flow = RegistrationFlow {
        common,
        active: None,
        organization_id: None,
        session_token_exchange_code: None,
    };
    for strategy in enabled_strategies(config) {
        strategy.populate(app, &mut flow, csrf_token);
    }
    flow.common.ui.sort_nodes(&sort_options(app));
    let mut stored = StoredFlow::new(flow);
    if two_steps(config) {
        split_steps(&mut stored);
    }
    if flow_type == FlowType::Browser {
        stored = stored.with_csrf_token(csrf_token);
    }
    Ok(stored)
}

/// Keeps the traits, the default nodes and the profile button on screen and the other
/// methods' nodes for the second step, as Kratos's two-step pre-hook does.
fn split_steps(stored: &mut StoredFlow<RegistrationFlow>) {
    let nodes = std::mem::take(&mut stored.flow.common.ui.nodes);
    let (one, two): (Vec<UiNode>, Vec<UiNode>) = nodes.into_iter().partition(|n| {
        matches!(
            n.group,
            UiNodeGroup::Profile | UiNodeGroup::Oidc | UiNodeGroup::Default
        )
    });
    stored.internal.insert(
        STEP_ONE_NODES.into(),
        serde_json::to_value(&one).unwrap_or(Value::Null),
    );
    stored.internal.insert(
        STEP_TWO_NODES.into(),
        serde_json::to_value(&two).unwrap_or(Value::Null),
    );
    stored.flow.common.ui.nodes = one;
}

/// The nodes of a step kept in the flow's internal state.
pub fn step_nodes(stored: &StoredFlow<RegistrationFlow>, step: &str) -> Option<Vec<UiNode>> {
    stored
        .internal
        .get(step)
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
}

/// What a submission led to.
#[derive(Debug)]
pub enum RegistrationOutcome {
    /// The form is shown again (with messages, or at its next step). Already stored.
    ShowForm(Box<StoredFlow<RegistrationFlow>>),
    /// The identity was created.
    Registered(Box<Registered>),
}

/// A completed registration.
#[derive(Debug)]
pub struct Registered {
    pub flow: StoredFlow<RegistrationFlow>,
    pub identity: Identity,
    /// The session the `session` hook issued, if it is configured.
    pub session: Option<IssuedSession>,
    pub continue_with: Vec<ContinueWith>,
    /// Where a browser goes next (`return_to`, the method's or flow's default, or the
    /// verification UI when `show_verification_ui` asks for it).
    pub return_to: Url,
}

/// Handles a submission of a (live or expired) registration flow. The caller has checked
/// that the request carries no session.
pub async fn submit(
    ctx: &SubmitContext<'_>,
    mut stored: StoredFlow<RegistrationFlow>,
    submission: &Submission,
) -> Result<RegistrationOutcome, SubmitError> {
    let app = ctx.app;
    if stored.flow.common.is_expired(ctx.now) {
        return Err(replace_expired(ctx, &stored).await);
    }
    if let Some(message) = submission.body_error_message() {
        return show_form_error(ctx, stored, vec![message]).await;
    }
    let mut identity = Identity::new(
        app.schemas.default_id(),
        Value::Object(Default::default()),
        ctx.now,
    );
    for strategy in enabled_strategies(&app.config) {
        match strategy
            .register(ctx, &mut stored, submission, &mut identity)
            .await
        {
            Err(SubmitError::NotResponsible) => continue,
            Ok(RegisterStep::ShowForm) => {
                save(ctx, &mut stored).await?;
                return Ok(RegistrationOutcome::ShowForm(Box::new(stored)));
            }
            Ok(RegisterStep::Registered) => {
                stored.flow.active = Some(strategy.id());
                if let Some(payload) = submission.transient_payload().ok().flatten() {
                    stored.flow.common.transient_payload = Some(payload);
                }
                return complete(ctx, stored, identity, strategy.id()).await;
            }
            Err(SubmitError::Form(messages)) => {
                return show_form_error(ctx, stored, messages).await;
            }
            Err(other) => return Err(other),
        }
    }
    show_form_error(
        ctx,
        stored,
        vec![FieldMessage::form(text::registration_no_strategy_found())],
    )
    .await
}

/// Shows `messages` on the flow, stores it and answers it.
async fn show_form_error(
    ctx: &SubmitContext<'_>,
    mut stored: StoredFlow<RegistrationFlow>,
    messages: Vec<FieldMessage>,
) -> Result<RegistrationOutcome, SubmitError> {
    show_messages(&mut stored.flow.common.ui, messages, &sort_options(ctx.app));
    if stored.flow.common.flow_type == FlowType::Browser {
        stored.flow.common.ui.set_csrf(&ctx.form_csrf_token);
    }
    save(ctx, &mut stored).await?;
    Ok(RegistrationOutcome::ShowForm(Box::new(stored)))
}

async fn save(
    ctx: &SubmitContext<'_>,
    stored: &mut StoredFlow<RegistrationFlow>,
) -> Result<(), SubmitError> {
    FlowStore::new(ctx.app.table.clone()).update(stored).await?;
    Ok(())
}

/// Creates a replacement for an expired flow, with the "expired" message, and answers
/// the error that names it.
async fn replace_expired(
    ctx: &SubmitContext<'_>,
    old: &StoredFlow<RegistrationFlow>,
) -> SubmitError {
    let common = &old.flow.common;
    let replacement = new_flow(&NewFlowContext {
        app: ctx.app,
        flow_type: common.flow_type,
        request_url: &common.request_url,
        public_base: &ctx.public_base,
        now: ctx.now,
        csrf_token: &ctx.form_csrf_token,
    });
    let mut replacement = match replacement {
        Ok(flow) => flow,
        Err(error) => return error,
    };
    replacement
        .flow
        .common
        .ui
        .add_message(text::registration_flow_expired(common.expires_at, ctx.now));
    if let Err(error) = FlowStore::new(ctx.app.table.clone())
        .create(&mut replacement)
        .await
    {
        return error.into();
    }
    super::expired_with_replacement(common.expires_at, ctx.now, replacement.id()).into()
}

/// Creates the identity (and the session the `session` hook asks for) in one atomic
/// write, then runs the other hooks.
async fn complete(
    ctx: &SubmitContext<'_>,
    stored: StoredFlow<RegistrationFlow>,
    mut identity: Identity,
    method: CredentialsType,
) -> Result<RegistrationOutcome, SubmitError> {
    let app = ctx.app;
    let config = &app.config;
    let hooks = after_hooks(config, FlowKind::Registration, method.as_str());
    let policy = ReturnToPolicy::from_config(config, &ctx.public_base);
    let default_return = config
        .selfservice
        .flows
        .registration
        .after
        .return_url_for(method.as_str())
        .cloned()
        .unwrap_or_else(|| policy.default_url().clone());
    let mut return_to =
        policy.resolve_with_default(stored.flow.common.return_to.as_deref(), &default_return)?;

    let mut session = if hooks.contains(&Hook::Session) {
        let method = AuthenticationMethod::first_factor(method, ctx.now);
        Some(
            app.sessions
                .prepare(&identity, method, ctx.device.clone())?,
        )
    } else {
        None
    };
    let mut extra: Vec<WriteOp> = Vec::new();
    if let Some(issued) = &session {
        extra.push(app.sessions.store().create_op(&issued.session)?);
        if let Some(op) = super::exchange::bind_op_for_flow(
            app,
            &stored.internal,
            stored.flow.common.expires_at,
            issued,
        )
        .await?
        {
            extra.push(op);
        }
    }
    let store = app.identities();
    match store.create_with(&mut identity, extra).await {
        Ok(()) => {}
        Err(IdentityError::Conflict { holder, .. }) => {
            let message = duplicate_message(app, holder).await;
            return show_form_error(ctx, stored, vec![FieldMessage::form(message)]).await;
        }
        Err(other) => return Err(other.into()),
    }
    if let Some(issued) = &mut session {
        app.sessions.store().created(&mut issued.session);
    }
    tracing::info!(identity.id = %identity.id, method = method.as_str(), "a new identity registered");

    let mut continue_with = Vec::new();
    let verifications = start_verifications(ctx, &identity, &stored.flow.common).await;
    continue_with.extend(verifications.iter().map(StartedVerification::continue_with));
    if hooks.contains(&Hook::ShowVerificationUi)
        && !ctx.wants_json
        && let Some(url) = verifications.iter().find_map(|v| v.url.as_deref())
        && let Ok(url) = Url::parse(url)
    {
        return_to = url;
    }
    if let Some(session) = &session
        && stored.flow.common.flow_type == FlowType::Api
    {
        continue_with.push(ContinueWith::session_token(session.token.expose()));
    }
    if stored.flow.common.flow_type == FlowType::Browser && ctx.wants_json {
        continue_with.push(ContinueWith::redirect_browser_to(return_to.as_str()));
    }
    Ok(RegistrationOutcome::Registered(Box::new(Registered {
        flow: stored,
        identity,
        session,
        continue_with,
        return_to,
    })))
}

/// Starts verification of the new identity's addresses when verification is on and a
/// verifier is installed. A failure is logged: the identity exists either way.
async fn start_verifications(
    ctx: &SubmitContext<'_>,
    identity: &Identity,
    completed: &crate::flow::FlowCommon,
) -> Vec<StartedVerification> {
    let app = ctx.app;
    if !app.config.selfservice.flows.verification.enabled {
        return Vec::new();
    }
    let Some(verifier) = &app.verifier else {
        return Vec::new();
    };
    match verifier
        .start_verifications(ctx, completed, FlowKind::Registration, identity)
        .await
    {
        Ok(started) => started,
        Err(error) => {
            tracing::error!(error = ?error, "could not start verification after registration");
            Vec::new()
        }
    }
}

/// 4000007, or with `login_hints` on, 4000028 naming how the existing account signs in.
async fn duplicate_message(app: &App, holder: Option<IdentityId>) -> crate::ui::UiText {
    if !app.config.selfservice.flows.registration.login_hints {
        return text::validation_duplicate_credentials();
    }
    let Some(holder) = holder else {
        return text::validation_duplicate_credentials();
    };
    let Ok(existing) = app.identities().get(holder).await else {
        return text::validation_duplicate_credentials();
    };
    // By type name, as Kratos orders them; the last one's identifier is the hint.
    let mut credentials: Vec<_> = existing.credentials.values().collect();
    credentials.sort_by_key(|c| c.credentials_type.as_str());
    let mut types = Vec::new();
    let mut hint = String::new();
    for credentials in credentials {
        let usable = match credentials.credentials_type {
            CredentialsType::Password => credentials
                .config
                .get("hashed_password")
                .and_then(Value::as_str)
                .is_some_and(|h| !h.is_empty()),
            CredentialsType::Code => true,
            _ => false,
        };
        if usable {
            types.push(credentials.credentials_type.as_str().to_owned());
            if let Some(first) = credentials.identifiers.first() {
                hint = first.clone();
            }
        }
    }
    if types.is_empty() {
        return text::validation_duplicate_credentials();
    }
    text::validation_duplicate_credentials_with_hints(&types, &[], &hint)
}
