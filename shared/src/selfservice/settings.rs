//! The settings flow: its document (the spec's `settingsFlow`, bound to the signed-in
//! identity), creation, the dispatch of submissions to the settings strategies, privileged
//! changes, and what happens on success (the identity and the flow are written together;
//! the `revoke_active_sessions` hook runs).
//!
//! **Privileged changes.** Changing the password, or traits that are identifiers or
//! verifiable addresses, needs a login younger than
//! `selfservice.flows.settings.privileged_session_max_age`. Scripts and native apps get
//! 403 `session_refresh_required` with `redirect_browser_to`, a refresh login. A browser
//! posting a form is sent to that refresh login with `return_to` back to
//! `/self-service/settings?flow=<id>`; the change waits in the flow (for 15 minutes, as
//! Kratos's continuity container) and is applied when the browser comes back signed in
//! again. A waiting password change is kept as its hash, never as the password.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use url::Url;

use super::hooks::{Hook, StartedVerification, after_hooks};
use super::{
    ContinueWith, CurrentSession, FieldMessage, NewFlowContext, Submission, SubmitContext,
    SubmitError, show_messages,
};
use crate::app::App;
use crate::config::Config;
use crate::flow::return_to::ReturnToPolicy;
use crate::flow::store::{FlowDocument, FlowStore, StoredFlow};
use crate::flow::{FlowCommon, FlowError, FlowKind, FlowState, FlowType, with_flow_id};
use crate::identity::{Identity, IdentityError, IdentityView, ViewOptions};
use crate::ids::IdentityId;
use crate::schema::schema_url;
use crate::ui::{SortOptions, text};

/// The internal field holding a change waiting for re-authentication.
pub const PENDING_CHANGE: &str = "pending_change";
/// How long a change waits for the re-authentication (Kratos's continuity lifespan).
pub const PENDING_LIFESPAN: time::Duration = time::Duration::minutes(15);

/// A settings flow (`settingsFlow`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsFlow {
    #[serde(flatten)]
    pub common: FlowCommon,
    /// The method of the last completed change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<String>,
    /// The identity whose settings these are (its current state when answered).
    pub identity: IdentityView,
    /// Only in responses: what follows a completed change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub continue_with: Vec<ContinueWith>,
}

impl FlowDocument for SettingsFlow {
    const KIND: FlowKind = FlowKind::Settings;

    fn common(&self) -> &FlowCommon {
        &self.common
    }

    fn common_mut(&mut self) -> &mut FlowCommon {
        &mut self.common
    }

    fn identity_id(&self) -> Option<IdentityId> {
        Some(self.identity.id)
    }
}

impl SettingsFlow {
    /// Shows `identity` as it is now (the flow stores a snapshot).
    pub fn refresh_identity(&mut self, identity: &Identity, public_base: &Url) {
        self.identity = identity_view(identity, public_base);
    }
}

fn identity_view(identity: &Identity, public_base: &Url) -> IdentityView {
    identity.view(
        schema_url(public_base, &identity.schema_id),
        &ViewOptions::public(),
    )
}

/// One settings method.
#[async_trait::async_trait]
pub trait SettingsStrategy: Send + Sync {
    /// The method's name (`method` in submissions).
    fn id(&self) -> &'static str;

    fn enabled(&self, config: &Config) -> bool;

    /// Adds the method's nodes for `identity` to a flow. `csrf_token` is "" for API flows.
    fn populate(&self, app: &App, identity: &Identity, flow: &mut SettingsFlow, csrf_token: &str);

    /// Applies a submission to `identity` (a copy of the signed-in identity), declining
    /// with [`SubmitError::NotResponsible`] if its `method` is another's. A change that
    /// needs a fresher login fails with `RefreshRequired`; for browsers posting forms the
    /// strategy first stores the change with [`pause`].
    async fn update(
        &self,
        ctx: &SubmitContext<'_>,
        flow: &mut StoredFlow<SettingsFlow>,
        submission: &Submission,
        current: &CurrentSession,
        identity: &mut Identity,
    ) -> Result<(), SubmitError>;

    /// Applies a change paused by [`SettingsStrategy::update`] (its `data`).
    async fn resume(
        &self,
        ctx: &SubmitContext<'_>,
        data: &Value,
        identity: &mut Identity,
    ) -> Result<(), SubmitError>;
}

/// The settings methods, in the order Kratos asks them.
pub fn strategies() -> [&'static dyn SettingsStrategy; 2] {
    [
        &super::profile::ProfileStrategy,
        &super::password::PasswordStrategy,
    ]
}

fn enabled_strategies(config: &Config) -> impl Iterator<Item = &'static dyn SettingsStrategy> {
    strategies().into_iter().filter(|s| s.enabled(config))
}

pub fn sort_options(app: &App, identity: &Identity) -> SortOptions {
    let document = app
        .schemas
        .get(&identity.schema_id)
        .unwrap_or_else(|| app.schemas.default_schema());
    SortOptions::settings(&document.document)
}

/// Whether `session` signed in recently enough for privileged changes.
pub fn is_privileged(app: &App, current: &CurrentSession, now: OffsetDateTime) -> bool {
    let max_age = app
        .config
        .selfservice
        .flows
        .settings
        .privileged_session_max_age
        .as_duration();
    let max_age = time::Duration::try_from(max_age).unwrap_or(time::Duration::HOUR);
    current.session.authenticated_at + max_age >= now
}

/// Stores a change to apply after re-authentication (browser forms only).
pub fn pause(
    stored: &mut StoredFlow<SettingsFlow>,
    method: &str,
    data: Value,
    now: OffsetDateTime,
) {
    stored.internal.insert(
        PENDING_CHANGE.into(),
        json!({
            "method": method,
            "data": data,
            "expires_at": (now + PENDING_LIFESPAN).unix_timestamp(),
            "identity_id": stored.flow.identity.id,
        }),
    );
}

/// A new settings flow for `identity`, not stored yet. Fails with `ReturnTo` when the
/// request URL's `return_to` is not allowed.
pub fn new_flow(
    origin: &NewFlowContext<'_>,
    identity: &Identity,
) -> Result<StoredFlow<SettingsFlow>, SubmitError> {
    let NewFlowContext {
        app,
        flow_type,
        request_url,
        public_base,
        now,
        csrf_token,
    } = *origin;
    let config = &app.config;
    let common = FlowCommon::new(
        FlowKind::Settings,
        flow_type,
        request_url,
        public_base,
        now,
        FlowKind::Settings.lifespan(config),
    );
    ReturnToPolicy::from_config(config, public_base).resolve(common.return_to.as_deref())?;
    let mut flow = SettingsFlow {
        common,
        active: None,
        identity: identity_view(identity, public_base),
        continue_with: Vec::new(),
    };
    populate(app, identity, &mut flow, csrf_token);
    let stored = StoredFlow::new(flow);
    Ok(if flow_type == FlowType::Browser {
        stored.with_csrf_token(csrf_token)
    } else {
        stored
    })
}

fn populate(app: &App, identity: &Identity, flow: &mut SettingsFlow, csrf_token: &str) {
    flow.common.ui.nodes.clear();
    for strategy in enabled_strategies(&app.config) {
        strategy.populate(app, identity, flow, csrf_token);
    }
    flow.common.ui.sort_nodes(&sort_options(app, identity));
}

/// What a submission led to.
#[derive(Debug)]
pub enum SettingsOutcome {
    /// The form is shown again with messages. Already stored.
    ShowForm(Box<StoredFlow<SettingsFlow>>),
    /// The change was saved.
    Updated(Box<Updated>),
}

/// A completed change.
#[derive(Debug)]
pub struct Updated {
    /// The flow, in state `success` with a fresh form and the success message.
    pub flow: StoredFlow<SettingsFlow>,
    pub identity: Identity,
    /// Where a browser goes next (by default back to the settings UI with this flow).
    pub return_to: Url,
}

/// Handles a submission of a settings flow by the signed-in `current` session.
pub async fn submit(
    ctx: &SubmitContext<'_>,
    mut stored: StoredFlow<SettingsFlow>,
    submission: &Submission,
    current: &CurrentSession,
) -> Result<SettingsOutcome, SubmitError> {
    let app = ctx.app;
    if stored.flow.common.is_expired(ctx.now) {
        return Err(replace_expired(ctx, &stored, current).await);
    }
    if stored.flow.identity.id != current.identity.id {
        return Err(FlowError::IdentityMismatch.into());
    }
    if let Some(message) = submission.body_error_message() {
        return show_form_error(ctx, stored, &current.identity, vec![message]).await;
    }
    let mut identity = current.identity.clone();
    for strategy in enabled_strategies(&app.config) {
        match strategy
            .update(ctx, &mut stored, submission, current, &mut identity)
            .await
        {
            Err(SubmitError::NotResponsible) => continue,
            Ok(()) => {
                stored.internal.remove(PENDING_CHANGE);
                return complete(ctx, stored, identity, current, strategy.id()).await;
            }
            Err(SubmitError::Form(messages)) => {
                return show_form_error(ctx, stored, &current.identity, messages).await;
            }
            Err(SubmitError::RefreshRequired) => {
                if stored.internal.contains_key(PENDING_CHANGE) {
                    save(ctx, &mut stored).await?;
                }
                return Err(SubmitError::RefreshRequired);
            }
            Err(other) => return Err(other),
        }
    }
    show_form_error(
        ctx,
        stored,
        &current.identity,
        vec![FieldMessage::form(text::settings_no_strategy_found())],
    )
    .await
}

/// Applies the change a browser was sent to re-authenticate for, if one is waiting and
/// the session is now recent enough. `Ok(None)`: nothing to resume.
pub async fn resume(
    ctx: &SubmitContext<'_>,
    mut stored: StoredFlow<SettingsFlow>,
    current: &CurrentSession,
) -> Result<Option<SettingsOutcome>, SubmitError> {
    if stored.flow.identity.id != current.identity.id {
        return Err(FlowError::IdentityMismatch.into());
    }
    let Some(pending) = stored.internal.get(PENDING_CHANGE).cloned() else {
        return Ok(None);
    };
    let expires_at = pending
        .get("expires_at")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    let owner = pending.get("identity_id").and_then(Value::as_str);
    if expires_at < ctx.now.unix_timestamp()
        || owner != Some(current.identity.id.to_string().as_str())
        || stored.flow.common.is_expired(ctx.now)
    {
        return Ok(None);
    }
    if !is_privileged(ctx.app, current, ctx.now) {
        return Err(SubmitError::RefreshRequired);
    }
    let method = pending
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(strategy) = enabled_strategies(&ctx.app.config).find(|s| s.id() == method) else {
        return Ok(None);
    };
    let mut identity = current.identity.clone();
    let data = pending.get("data").cloned().unwrap_or(Value::Null);
    match strategy.resume(ctx, &data, &mut identity).await {
        Ok(()) => {
            stored.internal.remove(PENDING_CHANGE);
            complete(ctx, stored, identity, current, strategy.id())
                .await
                .map(Some)
        }
        Err(SubmitError::Form(messages)) => {
            stored.internal.remove(PENDING_CHANGE);
            show_form_error(ctx, stored, &current.identity, messages)
                .await
                .map(Some)
        }
        Err(other) => Err(other),
    }
}

async fn save(
    ctx: &SubmitContext<'_>,
    stored: &mut StoredFlow<SettingsFlow>,
) -> Result<(), SubmitError> {
    FlowStore::new(ctx.app.table.clone()).update(stored).await?;
    Ok(())
}

async fn show_form_error(
    ctx: &SubmitContext<'_>,
    mut stored: StoredFlow<SettingsFlow>,
    identity: &Identity,
    messages: Vec<FieldMessage>,
) -> Result<SettingsOutcome, SubmitError> {
    show_messages(
        &mut stored.flow.common.ui,
        messages,
        &sort_options(ctx.app, identity),
    );
    if stored.flow.common.flow_type == FlowType::Browser {
        stored.flow.common.ui.set_csrf(&ctx.form_csrf_token);
    }
    stored.flow.refresh_identity(identity, &ctx.public_base);
    save(ctx, &mut stored).await?;
    Ok(SettingsOutcome::ShowForm(Box::new(stored)))
}

async fn replace_expired(
    ctx: &SubmitContext<'_>,
    old: &StoredFlow<SettingsFlow>,
    current: &CurrentSession,
) -> SubmitError {
    let common = &old.flow.common;
    let origin = NewFlowContext {
        app: ctx.app,
        flow_type: common.flow_type,
        request_url: &common.request_url,
        public_base: &ctx.public_base,
        now: ctx.now,
        csrf_token: &ctx.form_csrf_token,
    };
    let mut replacement = match new_flow(&origin, &current.identity) {
        Ok(flow) => flow,
        Err(error) => return error,
    };
    replacement
        .flow
        .common
        .ui
        .add_message(text::settings_flow_expired(common.expires_at, ctx.now));
    if let Err(error) = FlowStore::new(ctx.app.table.clone())
        .create(&mut replacement)
        .await
    {
        return error.into();
    }
    super::expired_with_replacement(common.expires_at, ctx.now, replacement.id()).into()
}

/// Writes the identity and the flow (state `success`, a fresh form, the success message)
/// in one atomic write, then runs the hooks.
async fn complete(
    ctx: &SubmitContext<'_>,
    mut stored: StoredFlow<SettingsFlow>,
    mut identity: Identity,
    current: &CurrentSession,
    method: &str,
) -> Result<SettingsOutcome, SubmitError> {
    let app = ctx.app;
    let config = &app.config;
    let settings_ui = with_flow_id(FlowKind::Settings.ui_url(config), stored.id());
    let default_return = config
        .selfservice
        .flows
        .settings
        .after
        .return_url_for(method)
        .cloned()
        .unwrap_or(settings_ui);
    let return_to = ReturnToPolicy::from_config(config, &ctx.public_base)
        .resolve_with_default(stored.flow.common.return_to.as_deref(), &default_return)?;

    let csrf = if stored.flow.common.flow_type == FlowType::Browser {
        ctx.form_csrf_token.clone()
    } else {
        String::new()
    };
    let flow = &mut stored.flow;
    flow.common.state = FlowState::Success;
    flow.active = Some(method.to_owned());
    flow.refresh_identity(&identity, &ctx.public_base);
    populate(app, &identity, flow, &csrf);
    flow.common.ui.reset_messages(&[]);
    flow.common.ui.add_message(text::settings_update_success());
    let flows = FlowStore::new(app.table.clone());
    let flow_op = flows.update_op(&stored)?;
    let identities = app.identities();
    match identities.update_with(&mut identity, vec![flow_op]).await {
        Ok(()) => flows.applied(&mut stored),
        Err(IdentityError::Conflict { .. }) => {
            return show_form_error(
                ctx,
                stored,
                &current.identity,
                vec![FieldMessage::form(text::validation_duplicate_credentials())],
            )
            .await;
        }
        Err(IdentityError::Store(crate::store::StoreError::ConditionFailed { .. })) => {
            return Err(SubmitError::Conflict);
        }
        Err(other) => return Err(other.into()),
    }
    // The stored form shows the identity as written (timestamps included).
    stored.flow.refresh_identity(&identity, &ctx.public_base);
    let hooks = after_hooks(config, FlowKind::Settings, method);
    if hooks.contains(&Hook::RevokeActiveSessions) {
        let revoked = app
            .sessions
            .store()
            .revoke_all_except(identity.id, Some(current.session.id))
            .await?;
        tracing::info!(identity.id = %identity.id, revoked, "revoked the identity's other sessions after a settings change");
    }
    let started = start_verifications(ctx, &identity, &stored.flow.common).await;
    stored
        .flow
        .continue_with
        .extend(started.iter().map(StartedVerification::continue_with));
    if stored.flow.common.flow_type == FlowType::Browser && ctx.wants_json {
        stored
            .flow
            .continue_with
            .push(ContinueWith::redirect_browser_to(return_to.as_str()));
    }
    tracing::info!(identity.id = %identity.id, method, "settings updated");
    Ok(SettingsOutcome::Updated(Box::new(Updated {
        flow: stored,
        identity,
        return_to,
    })))
}

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
        .start_verifications(ctx, completed, FlowKind::Settings, identity)
        .await
    {
        Ok(started) => started,
        Err(error) => {
            tracing::error!(error = ?error, "could not start verification after a settings change");
            Vec::new()
        }
    }
}
