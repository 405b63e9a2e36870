//! `/self-service/login/{browser,api,flows}` and `POST /self-service/login`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use kratos_core::app::{App, AppState};
use kratos_core::flow::store::FlowStore;
use kratos_core::flow::{FlowError, FlowKind, FlowType, join_path};
use kratos_core::http::selfservice::{
    FlowFailure, SelfServiceRequest, created_flow, csrf_check, current_session, error_response,
    form_csrf, json, query_bool, read_submission, redirect, show_form, submit_context,
    with_cookies,
};
use kratos_core::http::session::{session_view, set_session_cookie};
use kratos_core::http::{ApiError, QueryParams};
use kratos_core::selfservice::login::{self, LoggedIn, LoginFlow, LoginOutcome, LoginRequest};
use kratos_core::selfservice::{NewFlowContext, SubmitError};
use serde_json::json;

use crate::common::{self, Failure, Query, param};

fn login_request(query: &Query) -> LoginRequest {
    LoginRequest {
        refresh: query_bool(param(query, "refresh")),
        aal: param(query, "aal").unwrap_or_default().to_owned(),
    }
}

/// `GET /self-service/login/browser`.
pub async fn browser(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    match create(&app, &request, &query, FlowType::Browser).await {
        Ok(response) => response,
        Err(Failure::Flow(SubmitError::Flow(FlowError::SessionAlreadyAvailable { .. }))) => {
            common::already_signed_in(&app, &request, FlowKind::Login).await
        }
        Err(error) => {
            let failure = FlowFailure {
                kind: FlowKind::Login,
                flow_type: Some(FlowType::Browser),
                flow_id: None,
            };
            common::answer(&app, &request, failure, error, &[]).await
        }
    }
}

/// `GET /self-service/login/api`.
pub async fn api(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    match create(&app, &request, &query, FlowType::Api).await {
        Ok(response) => response,
        Err(error) => {
            let failure = FlowFailure {
                kind: FlowKind::Login,
                flow_type: Some(FlowType::Api),
                flow_id: None,
            };
            common::answer(&app, &request, failure, error, &[]).await
        }
    }
}

async fn create(
    app: &App,
    request: &SelfServiceRequest,
    query: &Query,
    flow_type: FlowType,
) -> Result<Response, Failure> {
    if flow_type == FlowType::Browser {
        common::refuse_login_challenge(query)?;
    }
    let session = current_session(app, &request.headers).await?;
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
    let mut stored = login::new_flow(&origin, &login_request(query), session.as_ref())?;
    let code = common::store_new(app, query, &mut stored).await?;
    let mut flow = stored.flow;
    flow.session_token_exchange_code = code;
    Ok(created_flow(app, request, &flow, &csrf.cookies()))
}

/// `GET /self-service/login/flows?id=`.
pub async fn fetch(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Result<Response, ApiError> {
    let stored = common::fetch::<LoginFlow>(&app, &request, &query).await?;
    Ok(json(StatusCode::OK, &stored.flow, &[]))
}

/// `POST /self-service/login?flow=`.
pub async fn submit(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut failure = FlowFailure {
        kind: FlowKind::Login,
        flow_type: None,
        flow_id: None,
    };
    let result = async {
        let body = common::body(body)?;
        let id = common::submitted_flow_id(&query)?;
        failure.flow_id = Some(id);
        let stored = FlowStore::new(app.table.clone())
            .get::<LoginFlow>(id)
            .await?;
        failure.flow_type = Some(stored.flow.common.flow_type);
        Ok::<_, Failure>((body, stored))
    }
    .await;
    let (body, stored) = match result {
        Ok(found) => found,
        Err(error) => return common::answer(&app, &request, failure, error, &[]).await,
    };
    let flow_type = stored.flow.common.flow_type;
    let session = match current_session(&app, &request.headers).await {
        Ok(session) => session,
        Err(error) => return common::answer(&app, &request, failure, error.into(), &[]).await,
    };
    let submission = read_submission(&request.headers, &body, app.schemas.default_schema());
    let csrf = match form_csrf(&app, &request, flow_type) {
        Ok(csrf) => csrf,
        Err(error) => return common::answer(&app, &request, failure, error.into(), &[]).await,
    };
    let check = csrf_check(&app, &request, flow_type, &submission);
    let ctx = submit_context(&app, &request, check, &csrf);
    let cookies = csrf.cookies();
    match login::submit(&ctx, stored, &submission, session).await {
        Ok(LoginOutcome::ShowForm(stored)) => show_form(&app, &request, &stored, &cookies),
        Ok(LoginOutcome::LoggedIn(done)) => logged_in(&app, &request, *done, cookies),
        Err(error) => error_response(&app, &request, failure, error, &cookies).await,
    }
}

/// Native apps get the session and its token; scripts get the session and a cookie;
/// browsers get the cookie and a redirect. An identity that must still complete a
/// second factor is sent (or pointed) to an `aal2` login instead.
fn logged_in(
    app: &App,
    request: &SelfServiceRequest,
    done: LoggedIn,
    mut cookies: Vec<http::HeaderValue>,
) -> Response {
    let public = request.public_base(app);
    let identity = (!done.aal2_required).then_some(&done.identity);
    let session = session_view(
        &public,
        app.clock.now(),
        &done.issued.session,
        identity,
        Some(done.identity.is_active()),
        true,
    );
    if done.flow.flow.common.flow_type == FlowType::Api {
        return json(
            StatusCode::OK,
            &json!({
                "session": session,
                "session_token": done.issued.token.expose(),
                "continue_with": done.continue_with,
            }),
            &cookies,
        );
    }
    match set_session_cookie(app, &request.headers, &done.issued) {
        Ok(cookie) => cookies.push(cookie),
        Err(error) => return error.into_response(),
    }
    let aal2_login = done.aal2_required.then(|| {
        let mut url = join_path(&public, &FlowKind::Login.browser_init_route());
        url.query_pairs_mut()
            .append_pair("aal", "aal2")
            .append_pair("return_to", done.return_to.as_str());
        url.to_string()
    });
    if request.wants_json() {
        if let Some(target) = aal2_login {
            let error = ApiError::from(FlowError::BrowserLocationChangeRequired {
                redirect_browser_to: target,
            });
            return with_cookies(error.into_response(), &cookies);
        }
        return json(
            StatusCode::OK,
            &json!({ "session": session, "continue_with": done.continue_with }),
            &cookies,
        );
    }
    let target = aal2_login.unwrap_or_else(|| done.return_to.to_string());
    redirect(&target, &cookies)
}
