//! `/self-service/recovery/{browser,api,flows}` and `POST`/`GET /self-service/recovery`
//! (a form, or a link from a message).

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use kratos_core::app::{App, AppState};
use kratos_core::flow::challenge::ChallengeKind;
use kratos_core::flow::store::FlowStore;
use kratos_core::flow::{FlowError, FlowKind, FlowType};
use kratos_core::http::csrf::verify_flow_csrf;
use kratos_core::http::selfservice::{
    FlowFailure, SelfServiceRequest, created_flow, csrf_check, current_session, expired_on_fetch,
    fetch_flow_id, form_csrf, json, redirect, submit_context,
};
use kratos_core::http::session::set_session_cookie;
use kratos_core::http::{ApiError, QueryParams};
use kratos_core::selfservice::recovery::{
    self, Recovered, RecoveryFlow, RecoveryOutcome, RecoveryRequest,
};
use kratos_core::selfservice::{NewFlowContext, SubmitError};

use crate::common::{self, Failure, Query};
use crate::out_of_band;

/// `GET /self-service/recovery/browser`.
pub async fn browser(State(app): State<AppState>, request: SelfServiceRequest) -> Response {
    create(&app, &request, FlowType::Browser).await
}

/// `GET /self-service/recovery/api`.
pub async fn api(State(app): State<AppState>, request: SelfServiceRequest) -> Response {
    create(&app, &request, FlowType::Api).await
}

async fn create(app: &App, request: &SelfServiceRequest, flow_type: FlowType) -> Response {
    let result = async {
        if current_session(app, &request.headers).await?.is_some() {
            if flow_type == FlowType::Api || request.wants_json() {
                return Ok(ApiError::from(FlowError::SessionAlreadyAvailable {
                    kind: FlowKind::Recovery,
                })
                .into_response());
            }
            return Ok(common::already_signed_in(app, request, FlowKind::Recovery).await);
        }
        recovery::ensure_enabled(&app.config)?;
        let csrf = form_csrf(app, request, flow_type)?;
        let request_url = request.request_url(app);
        let public_base = request.public_base(app);
        let stored = recovery::create_flow(&NewFlowContext {
            app,
            flow_type,
            request_url: &request_url,
            public_base: &public_base,
            now: app.clock.now(),
            csrf_token: &csrf.token,
        })
        .await?;
        Ok::<_, Failure>(created_flow(app, request, &stored.flow, &csrf.cookies()))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(Failure::Flow(error)) => common::forward(app, request, error.into()).await,
        Err(Failure::Api(error)) => common::forward(app, request, error).await,
    }
}

/// `GET /self-service/recovery/flows?id=`. Flows an administrator created with a code
/// need no anti-CSRF cookie.
pub async fn fetch(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    if let Err(error) = recovery::ensure_enabled(&app.config) {
        return common::forward(&app, &request, error.into()).await;
    }
    let result = async {
        let id = fetch_flow_id(common::param(&query, "id"))?;
        let stored = FlowStore::new(app.table.clone())
            .get::<RecoveryFlow>(id)
            .await?;
        let common = &stored.flow.common;
        if common.flow_type == FlowType::Browser && !recovery::skips_csrf(&stored) {
            verify_flow_csrf(
                &app,
                &request.headers,
                &request.public_base(&app),
                stored.csrf_token.as_deref(),
            )?;
        }
        if common.is_expired(app.clock.now()) {
            return Err(expired_on_fetch(
                &app,
                &request,
                FlowKind::Recovery,
                common.flow_type,
                common.return_to.clone(),
            ));
        }
        Ok(stored)
    }
    .await;
    match result {
        Ok(stored) => json(StatusCode::OK, &stored.flow, &[]),
        Err(error) => error.into_response(),
    }
}

/// `POST /self-service/recovery?flow=`: the form (an address, or a code).
pub async fn submit(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match common::body(body) {
        Ok(body) => body,
        Err(error) => return common::forward(&app, &request, error).await,
    };
    handle(&app, &request, &query, Some(&body)).await
}

/// `GET /self-service/recovery?flow=&token=`: a link from a message (or an
/// administrator).
pub async fn follow_link(
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
    body: Option<&Bytes>,
) -> Response {
    let mut failure = FlowFailure {
        kind: FlowKind::Recovery,
        flow_type: None,
        flow_id: None,
    };
    let (submission, submitted) = out_of_band::submission(app, request, query, body);
    let found = async {
        let has_session = current_session(app, &request.headers).await?.is_some();
        let id = common::submitted_flow_id(query)?;
        failure.flow_id = Some(id);
        let stored = FlowStore::new(app.table.clone())
            .get::<RecoveryFlow>(id)
            .await?;
        failure.flow_type = Some(stored.flow.common.flow_type);
        let csrf =
            out_of_band::submission_csrf(app, request, stored.flow.common.flow_type, submitted)?;
        Ok::<_, Failure>((id, stored, csrf, has_session))
    }
    .await;
    let (id, stored, csrf, has_session) = match found {
        Ok(found) => found,
        Err(Failure::Flow(SubmitError::Flow(error))) => {
            return common::forward(app, request, ApiError::from(error)).await;
        }
        Err(error) => return common::answer(app, request, failure, error, &[]).await,
    };
    let check = csrf_check(app, request, stored.flow.common.flow_type, &submission);
    let ctx = submit_context(app, request, check, &csrf);
    let cookies = csrf.cookies();
    let recovery_request = RecoveryRequest {
        submitted,
        has_session,
    };
    let mut stored = stored;
    let mut attempt = 1;
    // A submission that lost a race with another one for the same flow wrote nothing:
    // it is run again on the flow as it is now (each code attempt still counts once).
    let outcome = loop {
        match recovery::submit(&ctx, stored, &submission, recovery_request).await {
            Err(SubmitError::Conflict) if attempt < out_of_band::SUBMIT_ATTEMPTS => {
                attempt += 1;
                out_of_band::pause_before_retry().await;
                match FlowStore::new(app.table.clone())
                    .get::<RecoveryFlow>(id)
                    .await
                {
                    Ok(fresh) => stored = fresh,
                    Err(error) => break Err(error.into()),
                }
            }
            other => break other,
        }
    };
    match outcome {
        Ok(RecoveryOutcome::Reply(reply)) => out_of_band::answer(app, request, reply, &cookies),
        Ok(RecoveryOutcome::Recovered(done)) => recovered(app, request, *done, cookies),
        Err(error) => common::answer(app, request, failure, error.into(), &cookies).await,
    }
}

/// A completed recovery. Browser flows get the session cookie. A followed link always
/// sends the browser to the settings flow, as does a browser posting the code form. A
/// script on a browser flow gets 422 `browser_location_change_required` pointing there
/// (or, with `feature_flags.use_continue_with_transitions`, the flow with its
/// `continue_with`). A native app gets the flow with `continue_with` holding the session
/// token and the settings flow, whatever the flag says: Kratos answers it 422 without the
/// flag, which leaves the app without its session token.
fn recovered(
    app: &App,
    request: &SelfServiceRequest,
    done: Recovered,
    mut cookies: Vec<HeaderValue>,
) -> Response {
    let flow_type = done.flow.flow.common.flow_type;
    let browser_session = done.method == ChallengeKind::Link || flow_type == FlowType::Browser;
    if browser_session {
        match set_session_cookie(app, &request.headers, &done.session) {
            Ok(cookie) => cookies.push(cookie),
            Err(error) => return error.into_response(),
        }
    }
    if done.method == ChallengeKind::Link {
        return redirect(&done.settings_url, &cookies);
    }
    if flow_type == FlowType::Api {
        return json(StatusCode::OK, &done.flow.flow, &cookies);
    }
    if !request.wants_json() {
        return redirect(&done.settings_url, &cookies);
    }
    if app.config.feature_flags.use_continue_with_transitions {
        return json(StatusCode::OK, &done.flow.flow, &cookies);
    }
    kratos_core::http::selfservice::with_cookies(
        ApiError::from(FlowError::BrowserLocationChangeRequired {
            redirect_browser_to: done.settings_url,
        })
        .into_response(),
        &cookies,
    )
}
