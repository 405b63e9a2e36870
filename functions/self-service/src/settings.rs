//! `/self-service/settings/{browser,api,flows}`, `POST /self-service/settings`, and
//! `GET /self-service/settings?flow=`, where a browser comes back after re-authenticating
//! for a privileged change.
//!
//! Every endpoint needs a session (whoami's read: 1 BatchGetItem) that meets
//! `selfservice.flows.settings.required_aal`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use kratos_core::app::{App, AppState};
use kratos_core::flow::store::{FlowStore, StoredFlow};
use kratos_core::flow::{FlowError, FlowKind, FlowType, join_path, return_to_of, with_flow_id};
use kratos_core::http::selfservice::{
    FlowFailure, SelfServiceRequest, created_flow, csrf_check, current_session, expired_on_fetch,
    fetch_flow_id, form_csrf, json, read_submission, redirect, show_form, submit_context,
};
use kratos_core::http::session::{aal2_required, no_active_session};
use kratos_core::http::{ApiError, QueryParams};
use kratos_core::selfservice::login::settings_required_aal;
use kratos_core::selfservice::settings::{self, SettingsFlow, SettingsOutcome, Updated};
use kratos_core::selfservice::{CurrentSession, NewFlowContext};
use kratos_core::session::SessionError;

use crate::common::{self, Failure, Query};

/// Why a request may not use settings: no session, or one below the required AAL.
enum Unauthorized {
    NoSession,
    Aal2Required,
}

async fn signed_in(
    app: &App,
    request: &SelfServiceRequest,
) -> Result<Result<CurrentSession, Unauthorized>, ApiError> {
    let Some(current) = current_session(app, &request.headers).await? else {
        return Ok(Err(Unauthorized::NoSession));
    };
    match app.sessions.check_aal(
        &current.session,
        &current.identity,
        settings_required_aal(&app.config),
    ) {
        Ok(()) => Ok(Ok(current)),
        Err(SessionError::AalNotSatisfied { .. }) => Ok(Err(Unauthorized::Aal2Required)),
        Err(other) => Err(other.into()),
    }
}

/// Answers a request without a usable session: browsers are sent to sign in (keeping
/// `return_to`) or to the second factor; scripts and native apps get 401 or 403.
fn unauthorized(
    app: &App,
    request: &SelfServiceRequest,
    reason: Unauthorized,
    browser: bool,
    return_to: Option<&str>,
) -> Response {
    let public = request.public_base(app);
    match reason {
        Unauthorized::NoSession if browser => {
            let mut login = join_path(&public, &FlowKind::Login.browser_init_route());
            if let Some(return_to) = return_to {
                login.query_pairs_mut().append_pair("return_to", return_to);
            }
            redirect(login.as_str(), &[])
        }
        Unauthorized::NoSession => no_active_session().into_response(),
        Unauthorized::Aal2Required => {
            let error = aal2_required(&public, return_to);
            if browser
                && let Some(target) = error
                    .extra
                    .get("redirect_browser_to")
                    .and_then(|v| v.as_str())
            {
                return redirect(target, &[]);
            }
            error.into_response()
        }
    }
}

/// `GET /self-service/settings/browser`.
pub async fn browser(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    // Read only so that a malformed query string is refused as on the other flows.
    QueryParams(_): QueryParams<Query>,
) -> Response {
    create(&app, &request, FlowType::Browser).await
}

/// `GET /self-service/settings/api`.
pub async fn api(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(_): QueryParams<Query>,
) -> Response {
    create(&app, &request, FlowType::Api).await
}

async fn create(app: &App, request: &SelfServiceRequest, flow_type: FlowType) -> Response {
    let failure = FlowFailure {
        kind: FlowKind::Settings,
        flow_type: Some(flow_type),
        flow_id: None,
    };
    let browser = flow_type == FlowType::Browser && !request.wants_json();
    let current = match signed_in(app, request).await {
        Ok(Ok(current)) => current,
        Ok(Err(reason)) => {
            let return_to = return_to_of(&request.request_url(app));
            return unauthorized(app, request, reason, browser, return_to.as_deref());
        }
        Err(error) => return common::answer(app, request, failure, error.into(), &[]).await,
    };
    let result = async {
        let csrf = form_csrf(app, request, flow_type)?;
        let request_url = request.request_url(app);
        let public_base = request.public_base(app);
        let origin = NewFlowContext {
            app,
            flow_type,
            request_url: &request_url,
            public_base: &public_base,
            now: app.clock.now(),
            csrf_token: &csrf.token,
        };
        let mut stored = settings::new_flow(&origin, &current.identity)?;
        // No token exchange: settings never issues a session to exchange.
        FlowStore::new(app.table.clone())
            .create(&mut stored)
            .await?;
        Ok::<_, Failure>(created_flow(app, request, &stored.flow, &csrf.cookies()))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(error) => common::answer(app, request, failure, error, &[]).await,
    }
}

/// `GET /self-service/settings/flows?id=`: only for the identity the flow belongs to.
pub async fn fetch(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    let result = async {
        let id = fetch_flow_id(common::param(&query, "id"))?;
        let stored: StoredFlow<SettingsFlow> = FlowStore::new(app.table.clone()).get(id).await?;
        let current = match signed_in(&app, &request).await? {
            Ok(current) => current,
            Err(Unauthorized::NoSession) => return Err(no_active_session()),
            Err(Unauthorized::Aal2Required) => {
                let ui = with_flow_id(FlowKind::Settings.ui_url(&app.config), id);
                return Err(aal2_required(&request.public_base(&app), Some(ui.as_str())));
            }
        };
        if stored.flow.identity.id != current.identity.id {
            return Err(FlowError::IdentityMismatch.into());
        }
        let common = &stored.flow.common;
        if common.is_expired(app.clock.now()) {
            return Err(expired_on_fetch(
                &app,
                &request,
                FlowKind::Settings,
                common.flow_type,
                common.return_to.clone(),
            ));
        }
        let mut flow = stored.flow;
        flow.refresh_identity(&current.identity, &request.public_base(&app));
        Ok(json(StatusCode::OK, &flow, &[]))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /self-service/settings?flow=`.
pub async fn submit(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&app, &request, &query, Some(body)).await
}

/// `GET /self-service/settings?flow=`: a browser back from re-authenticating; applies the
/// change that waited for it, if any, else shows the flow.
pub async fn resume(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    handle(&app, &request, &query, None).await
}

async fn handle(
    app: &App,
    request: &SelfServiceRequest,
    query: &Query,
    body: Option<Result<Bytes, BytesRejection>>,
) -> Response {
    let mut failure = FlowFailure {
        kind: FlowKind::Settings,
        flow_type: None,
        flow_id: None,
    };
    let loaded = async {
        let id = common::submitted_flow_id(query)?;
        failure.flow_id = Some(id);
        let stored: StoredFlow<SettingsFlow> = FlowStore::new(app.table.clone()).get(id).await?;
        failure.flow_type = Some(stored.flow.common.flow_type);
        Ok::<_, Failure>(stored)
    }
    .await;
    let stored = match loaded {
        Ok(stored) => stored,
        Err(error) => return common::answer(app, request, failure, error, &[]).await,
    };
    let flow_type = stored.flow.common.flow_type;
    let browser = flow_type == FlowType::Browser && !request.wants_json();
    let current = match signed_in(app, request).await {
        Ok(Ok(current)) => current,
        Ok(Err(Unauthorized::NoSession)) if browser => {
            // Kratos sends these browsers to the login UI itself.
            return redirect(FlowKind::Login.ui_url(&app.config).as_str(), &[]);
        }
        Ok(Err(reason)) => {
            let back = request.request_url(app);
            return unauthorized(app, request, reason, browser, Some(&back));
        }
        Err(error) => return common::answer(app, request, failure, error.into(), &[]).await,
    };
    let csrf = match form_csrf(app, request, flow_type) {
        Ok(csrf) => csrf,
        Err(error) => return common::answer(app, request, failure, error.into(), &[]).await,
    };
    let cookies = csrf.cookies();
    let outcome = match body {
        Some(body) => {
            let body = match common::body(body) {
                Ok(body) => body,
                Err(error) => {
                    return common::answer(app, request, failure, error.into(), &cookies).await;
                }
            };
            let schema = app
                .schemas
                .get(&current.identity.schema_id)
                .unwrap_or_else(|| app.schemas.default_schema());
            let submission = read_submission(&request.headers, &body, schema);
            let check = csrf_check(app, request, flow_type, &submission);
            let ctx = submit_context(app, request, check, &csrf);
            settings::submit(&ctx, stored, &submission, &current).await
        }
        None => {
            // Only the browser the flow was issued to may resume it.
            if flow_type == FlowType::Browser
                && kratos_core::http::csrf::verify_flow_csrf(
                    app,
                    &request.headers,
                    &request.public_base(app),
                    stored.csrf_token.as_deref(),
                )
                .is_err()
            {
                return show_again(app, request, stored, &current, &cookies);
            }
            let ctx = submit_context(
                app,
                request,
                kratos_core::selfservice::CsrfCheck::Passed,
                &csrf,
            );
            // `resume` takes the flow; with nothing to apply it did no I/O, so the copy
            // is what the store holds.
            let unchanged = stored.clone();
            match settings::resume(&ctx, stored, &current).await {
                Ok(Some(outcome)) => Ok(outcome),
                Ok(None) => return show_again(app, request, unchanged, &current, &cookies),
                Err(error) => Err(error),
            }
        }
    };
    match outcome {
        Ok(SettingsOutcome::ShowForm(stored)) => show_form(app, request, &stored, &cookies),
        Ok(SettingsOutcome::Updated(done)) => updated(app, request, *done, &cookies),
        Err(error) => common::answer(app, request, failure, error.into(), &cookies).await,
    }
}

/// A flow with nothing to apply: browsers go to its UI; scripts get it.
fn show_again(
    app: &App,
    request: &SelfServiceRequest,
    stored: StoredFlow<SettingsFlow>,
    current: &CurrentSession,
    cookies: &[http::HeaderValue],
) -> Response {
    let mut flow = stored.flow;
    flow.refresh_identity(&current.identity, &request.public_base(app));
    if flow.common.flow_type == FlowType::Browser && !request.wants_json() {
        let ui = with_flow_id(FlowKind::Settings.ui_url(&app.config), flow.common.id);
        return redirect(ui.as_str(), cookies);
    }
    json(StatusCode::OK, &flow, cookies)
}

/// Native apps and scripts get the updated flow (state `success`); browsers are sent to
/// `return_to` (by default the settings UI showing the flow).
fn updated(
    app: &App,
    request: &SelfServiceRequest,
    done: Updated,
    cookies: &[http::HeaderValue],
) -> Response {
    let flow_type = done.flow.flow.common.flow_type;
    if flow_type == FlowType::Api || request.wants_json() {
        return json(StatusCode::OK, &done.flow.flow, cookies);
    }
    let _ = app;
    redirect(done.return_to.as_str(), cookies)
}
