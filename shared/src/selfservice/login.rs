//! The login flow: its document (the spec's `loginFlow`), creation (first factor,
//! `refresh=true` re-authentication, `aal`), the dispatch of submissions to the login
//! strategies, and what happens on success: a session is issued (or the current one
//! re-authenticated), the `revoke_active_sessions` and `require_verified_address` hooks
//! run, and a stored hash in an old format is replaced, all in as few writes as possible.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;
use uuid::Uuid;

use super::hooks::{Hook, after_hooks};
use super::{
    ContinueWith, CurrentSession, FieldMessage, NewFlowContext, Submission, SubmitContext,
    SubmitError, show_messages,
};
use crate::app::App;
use crate::config::Config;
use crate::flow::return_to::ReturnToPolicy;
use crate::flow::store::{FlowDocument, FlowStore, StoredFlow};
use crate::flow::{FlowCommon, FlowError, FlowKind, FlowType};
use crate::identity::{CredentialsType, Identity};
use crate::session::{Aal, AuthenticationMethod, IssuedSession, RequiredAal, SessionError};
use crate::store::WriteOp;
use crate::ui::{SortOptions, text};

/// A login flow (`loginFlow`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginFlow {
    #[serde(flatten)]
    pub common: FlowCommon,
    /// The method that completed the flow, once one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<CredentialsType>,
    /// Whether the flow re-authenticates an existing session (`refresh=true`).
    pub refresh: bool,
    pub requested_aal: Aal,
    /// Always `null` here (organizations are an Ory Network feature).
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    /// Only in the response that creates an API flow with
    /// `return_session_token_exchange_code=true`; never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token_exchange_code: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl FlowDocument for LoginFlow {
    const KIND: FlowKind = FlowKind::Login;

    fn common(&self) -> &FlowCommon {
        &self.common
    }

    fn common_mut(&mut self) -> &mut FlowCommon {
        &mut self.common
    }
}

/// What a login strategy proved.
#[derive(Debug)]
pub struct Authenticated {
    pub identity: Identity,
    pub method: AuthenticationMethod,
    /// The strategy changed the identity (a password rehashed): write it back with the
    /// session.
    pub identity_changed: bool,
}

/// What the form of a new flow is for.
#[derive(Debug, Clone, Copy)]
pub enum LoginPurpose<'a> {
    /// Signing in: an identifier and a secret.
    FirstFactor,
    /// `refresh=true`: the signed-in identity proves itself again.
    Refresh(&'a Identity),
    /// `aal=aal2` on a one-factor session.
    SecondFactor(&'a Identity),
}

/// One login method.
#[async_trait::async_trait]
pub trait LoginStrategy: Send + Sync {
    fn id(&self) -> CredentialsType;

    fn enabled(&self, config: &Config) -> bool;

    /// Adds the method's nodes to a new flow. `csrf_token` is "" for API flows.
    fn populate(
        &self,
        app: &App,
        flow: &mut LoginFlow,
        csrf_token: &str,
        purpose: LoginPurpose<'_>,
    );

    /// Authenticates a submission, declining with [`SubmitError::NotResponsible`] if its
    /// `method` is another's.
    async fn login(
        &self,
        ctx: &SubmitContext<'_>,
        flow: &mut StoredFlow<LoginFlow>,
        submission: &Submission,
    ) -> Result<Authenticated, SubmitError>;
}

/// The login methods, in the order Kratos asks them.
pub fn strategies() -> [&'static dyn LoginStrategy; 1] {
    [&super::password::PasswordStrategy]
}

fn enabled_strategies(config: &Config) -> impl Iterator<Item = &'static dyn LoginStrategy> {
    strategies().into_iter().filter(|s| s.enabled(config))
}

pub fn sort_options() -> SortOptions {
    SortOptions::login()
}

/// What `GET /self-service/login/{browser,api}` asked for.
#[derive(Debug, Clone, Default)]
pub struct LoginRequest {
    pub refresh: bool,
    /// `aal` as given (empty for none).
    pub aal: String,
}

/// A new login flow, not stored yet. `session` is the request's session, if any.
///
/// Fails with `Flow(SessionAlreadyAvailable)` when the request is signed in and asks for
/// neither a refresh nor a higher AAL, `Aal1Required` for `aal2` without a session,
/// `BadRequest` for an unknown `aal`, and `ReturnTo` for a `return_to` not allowed.
pub fn new_flow(
    origin: &NewFlowContext<'_>,
    request: &LoginRequest,
    session: Option<&CurrentSession>,
) -> Result<StoredFlow<LoginFlow>, SubmitError> {
    let NewFlowContext {
        app,
        flow_type,
        request_url,
        public_base,
        now,
        csrf_token,
    } = *origin;
    let config = &app.config;
    let requested_aal = match request.aal.trim().to_ascii_lowercase().as_str() {
        "" | "aal1" => Aal::Aal1,
        "aal2" => Aal::Aal2,
        other => {
            return Err(SubmitError::BadRequest(format!(
                "Unable to parse AuthenticationMethod Assurance Level (AAL): expected one of [aal1, aal2] but got {other}"
            )));
        }
    };
    let mut refresh = request.refresh;
    let purpose = match session {
        None => {
            if requested_aal > Aal::Aal1 {
                return Err(SubmitError::Aal1Required);
            }
            refresh = false;
            LoginPurpose::FirstFactor
        }
        Some(current) if refresh => LoginPurpose::Refresh(&current.identity),
        Some(current) => {
            if requested_aal == Aal::Aal1 || requested_aal <= current.session.aal {
                return Err(FlowError::SessionAlreadyAvailable {
                    kind: FlowKind::Login,
                }
                .into());
            }
            LoginPurpose::SecondFactor(&current.identity)
        }
    };
    let common = FlowCommon::new(
        FlowKind::Login,
        flow_type,
        request_url,
        public_base,
        now,
        FlowKind::Login.lifespan(config),
    );
    ReturnToPolicy::from_config(config, public_base).resolve(common.return_to.as_deref())?;
    let mut flow = LoginFlow {
        common,
        active: None,
        refresh,
        requested_aal,
        organization_id: None,
        session_token_exchange_code: None,
        created_at: now,
        updated_at: now,
    };
    flow.common.ui.set_csrf(csrf_token);
    for strategy in enabled_strategies(config) {
        strategy.populate(app, &mut flow, csrf_token, purpose);
    }
    if refresh {
        flow.common.ui.messages = vec![text::login_reauth()];
    }
    if matches!(purpose, LoginPurpose::SecondFactor(_)) {
        flow.common.ui.add_message(text::login_mfa());
    }
    flow.common.ui.sort_nodes(&sort_options());
    let stored = StoredFlow::new(flow);
    Ok(if flow_type == FlowType::Browser {
        stored.with_csrf_token(csrf_token)
    } else {
        stored
    })
}

/// What a submission led to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// The form is shown again with messages. Already stored.
    ShowForm(Box<StoredFlow<LoginFlow>>),
    /// Signed in.
    LoggedIn(Box<LoggedIn>),
}

/// A completed login.
#[derive(Debug)]
pub struct LoggedIn {
    pub flow: StoredFlow<LoginFlow>,
    pub identity: Identity,
    pub issued: IssuedSession,
    pub continue_with: Vec<ContinueWith>,
    /// Where a browser goes next.
    pub return_to: Url,
    /// The identity has a second factor the configuration requires
    /// (`session.whoami.required_aal: highest_available`) and the session lacks it: send
    /// the browser to an `aal2` login, and leave the identity out of API responses.
    pub aal2_required: bool,
}

/// Handles a submission of a (live or expired) login flow. `session` is the request's
/// session, if any.
pub async fn submit(
    ctx: &SubmitContext<'_>,
    mut stored: StoredFlow<LoginFlow>,
    submission: &Submission,
    session: Option<CurrentSession>,
) -> Result<LoginOutcome, SubmitError> {
    let app = ctx.app;
    match &session {
        Some(current)
            if !stored.flow.refresh && stored.flow.requested_aal <= current.session.aal =>
        {
            // Kratos reports this on the form for scripts; browsers are sent on (the edge
            // decides, from `SessionAlreadyAvailable`).
            if stored.flow.common.flow_type == FlowType::Api || ctx.wants_json {
                return show_form_error(
                    ctx,
                    stored,
                    vec![FieldMessage::form(text::validation_generic(
                        "A valid session was detected and thus login is not possible. Did you \
                         forget to set `?refresh=true`?",
                    ))],
                )
                .await;
            }
            return Err(FlowError::SessionAlreadyAvailable {
                kind: FlowKind::Login,
            }
            .into());
        }
        None if stored.flow.requested_aal > Aal::Aal1 => return Err(SubmitError::Aal1Required),
        _ => {}
    }
    if stored.flow.common.is_expired(ctx.now) {
        return Err(replace_expired(ctx, &stored, session.as_ref()).await);
    }
    if let Some(message) = submission.body_error_message() {
        return show_form_error(ctx, stored, vec![message]).await;
    }
    let mut authenticated = None;
    for strategy in enabled_strategies(&app.config) {
        match strategy.login(ctx, &mut stored, submission).await {
            Err(SubmitError::NotResponsible) => continue,
            Ok(done) => {
                stored.flow.active = Some(strategy.id());
                authenticated = Some(done);
                break;
            }
            Err(SubmitError::Form(messages)) => {
                return show_form_error(ctx, stored, messages).await;
            }
            Err(other) => return Err(other),
        }
    }
    let Some(authenticated) = authenticated else {
        return show_form_error(
            ctx,
            stored,
            vec![FieldMessage::form(text::login_no_strategy_found())],
        )
        .await;
    };
    complete(ctx, stored, authenticated, session).await
}

async fn show_form_error(
    ctx: &SubmitContext<'_>,
    mut stored: StoredFlow<LoginFlow>,
    messages: Vec<FieldMessage>,
) -> Result<LoginOutcome, SubmitError> {
    show_messages(&mut stored.flow.common.ui, messages, &sort_options());
    if stored.flow.common.flow_type == FlowType::Browser {
        stored.flow.common.ui.set_csrf(&ctx.form_csrf_token);
    }
    stored.flow.updated_at = ctx.now;
    FlowStore::new(ctx.app.table.clone())
        .update(&mut stored)
        .await?;
    Ok(LoginOutcome::ShowForm(Box::new(stored)))
}

async fn replace_expired(
    ctx: &SubmitContext<'_>,
    old: &StoredFlow<LoginFlow>,
    session: Option<&CurrentSession>,
) -> SubmitError {
    let common = &old.flow.common;
    let request = LoginRequest {
        refresh: old.flow.refresh,
        aal: old.flow.requested_aal.as_str().to_owned(),
    };
    let origin = NewFlowContext {
        app: ctx.app,
        flow_type: common.flow_type,
        request_url: &common.request_url,
        public_base: &ctx.public_base,
        now: ctx.now,
        csrf_token: &ctx.form_csrf_token,
    };
    let mut replacement = match new_flow(&origin, &request, session) {
        Ok(flow) => flow,
        Err(error) => return error,
    };
    replacement
        .flow
        .common
        .ui
        .add_message(text::login_flow_expired(common.expires_at, ctx.now));
    if let Err(error) = FlowStore::new(ctx.app.table.clone())
        .create(&mut replacement)
        .await
    {
        return error.into();
    }
    super::expired_with_replacement(common.expires_at, ctx.now, replacement.id()).into()
}

/// Issues (or re-authenticates) the session and runs the hooks.
///
/// Writes: one. A new session is one PutItem; with a rehashed password it joins the
/// identity's write (one TransactWriteItems). A refresh of the current session is one
/// conditional PutItem. The flow itself is not written again.
async fn complete(
    ctx: &SubmitContext<'_>,
    stored: StoredFlow<LoginFlow>,
    authenticated: Authenticated,
    session: Option<CurrentSession>,
) -> Result<LoginOutcome, SubmitError> {
    let app = ctx.app;
    let config = &app.config;
    let Authenticated {
        mut identity,
        method,
        identity_changed,
    } = authenticated;
    let method_name = method.method.as_str();
    if !identity.is_active() {
        return Err(SubmitError::IdentityDisabled);
    }
    let hooks = after_hooks(config, FlowKind::Login, method_name);
    if hooks.contains(&Hook::RequireVerifiedAddress)
        && method.method == CredentialsType::Password
        && !identity.verifiable_addresses.iter().any(|a| a.verified)
    {
        if identity.verifiable_addresses.is_empty() {
            return Err(SubmitError::Internal(anyhow::anyhow!(
                "require_verified_address is configured but identity {} has no verifiable address",
                identity.id
            )));
        }
        return show_form_error(
            ctx,
            stored,
            vec![FieldMessage::form(text::validation_address_not_verified())],
        )
        .await;
    }
    let policy = ReturnToPolicy::from_config(config, &ctx.public_base);
    let default_return = config
        .selfservice
        .flows
        .login
        .after
        .return_url_for(method_name)
        .cloned()
        .unwrap_or_else(|| policy.default_url().clone());
    let return_to =
        policy.resolve_with_default(stored.flow.common.return_to.as_deref(), &default_return)?;

    // Re-authenticating the signed-in identity updates its session; anyone else (or no
    // session) gets a new one.
    let issued = match session {
        Some(mut current) if current.identity.id == identity.id => {
            if identity_changed {
                app.identities().update(&mut identity).await?;
            }
            app.sessions
                .reauthenticate(&mut current.session, &identity, method, ctx.device.clone())
                .await?
        }
        _ => {
            let mut issued = app
                .sessions
                .prepare(&identity, method, ctx.device.clone())?;
            let mut extra: Vec<WriteOp> = vec![app.sessions.store().create_op(&issued.session)?];
            if let Some(op) = super::exchange::bind_op_for_flow(
                app,
                &stored.internal,
                stored.flow.common.expires_at,
                &issued,
            )
            .await?
            {
                extra.push(op);
            }
            if identity_changed {
                app.identities().update_with(&mut identity, extra).await?;
            } else {
                app.table.write(extra).await?;
            }
            app.sessions.store().created(&mut issued.session);
            issued
        }
    };
    if hooks.contains(&Hook::RevokeActiveSessions) {
        let revoked = app
            .sessions
            .store()
            .revoke_all_except(identity.id, Some(issued.session.id))
            .await?;
        tracing::info!(identity.id = %identity.id, revoked, "revoked the identity's other sessions after login");
    }
    let aal2_required = matches!(
        app.sessions.check_aal(
            &issued.session,
            &identity,
            app.sessions.settings().whoami_required_aal
        ),
        Err(SessionError::AalNotSatisfied { .. })
    );
    let mut continue_with = Vec::new();
    if stored.flow.common.flow_type == FlowType::Browser && ctx.wants_json {
        continue_with.push(ContinueWith::redirect_browser_to(return_to.as_str()));
    }
    tracing::info!(identity.id = %identity.id, session.id = %issued.session.id, method = method_name, "signed in");
    Ok(LoginOutcome::LoggedIn(Box::new(LoggedIn {
        flow: stored,
        identity,
        issued,
        continue_with,
        return_to,
        aal2_required,
    })))
}

/// The settings' required level, for the edge's checks on settings endpoints.
pub fn settings_required_aal(config: &Config) -> RequiredAal {
    RequiredAal::from_config(&config.selfservice.flows.settings.required_aal)
}
