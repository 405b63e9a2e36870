//! `/self-service/registration/{browser,api,flows}` and `POST /self-service/registration`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use kratos_core::app::{App, AppState};
use kratos_core::flow::store::FlowStore;
use kratos_core::flow::{FlowError, FlowKind, FlowType};
use kratos_core::http::selfservice::{
    FlowFailure, SelfServiceRequest, created_flow, csrf_check, current_session, form_csrf, json,
    read_submission, redirect, show_form, submit_context,
};
use kratos_core::http::session::{session_view, set_session_cookie};
use kratos_core::http::{ApiError, QueryParams};
use kratos_core::identity::ViewOptions;
use kratos_core::schema::schema_url;
use kratos_core::selfservice::NewFlowContext;
use kratos_core::selfservice::registration::{
    self, Registered, RegistrationFlow, RegistrationOutcome,
};
use serde_json::{Map, Value, json};

use crate::common::{self, Failure, Query};

/// `GET /self-service/registration/browser`.
pub async fn browser(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    match create(&app, &request, &query, FlowType::Browser).await {
        Ok(response) => response,
        Err(error) => {
            let failure = FlowFailure {
                kind: FlowKind::Registration,
                flow_type: Some(FlowType::Browser),
                flow_id: None,
            };
            common::answer(&app, &request, failure, error, &[]).await
        }
    }
}

/// `GET /self-service/registration/api`.
pub async fn api(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    match create(&app, &request, &query, FlowType::Api).await {
        Ok(response) => response,
        Err(error) => {
            let failure = FlowFailure {
                kind: FlowKind::Registration,
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
    if current_session(app, &request.headers).await?.is_some() {
        if flow_type == FlowType::Api {
            return Err(ApiError::from(FlowError::SessionAlreadyAvailable {
                kind: FlowKind::Registration,
            })
            .into());
        }
        return Ok(common::already_signed_in(app, request, FlowKind::Registration).await);
    }
    let csrf = form_csrf(app, request, flow_type)?;
    let request_url = request.request_url(app);
    let public_base = request.public_base(app);
    let mut stored = registration::new_flow(&NewFlowContext {
        app,
        flow_type,
        request_url: &request_url,
        public_base: &public_base,
        now: app.clock.now(),
        csrf_token: &csrf.token,
    })?;
    let code = common::store_new(app, query, &mut stored).await?;
    let mut flow = stored.flow;
    flow.session_token_exchange_code = code;
    Ok(created_flow(app, request, &flow, &csrf.cookies()))
}

/// `GET /self-service/registration/flows?id=`.
pub async fn fetch(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    if !app.config.selfservice.flows.registration.enabled {
        let error = ApiError::from(FlowError::Disabled {
            kind: FlowKind::Registration,
        });
        return common::forward(&app, &request, error).await;
    }
    match common::fetch::<RegistrationFlow>(&app, &request, &query).await {
        Ok(stored) => json(StatusCode::OK, &stored.flow, &[]),
        Err(error) => error.into_response(),
    }
}

/// `POST /self-service/registration?flow=`.
pub async fn submit(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut failure = FlowFailure {
        kind: FlowKind::Registration,
        flow_type: None,
        flow_id: None,
    };
    // A signed-in client cannot register, whatever the flow: browsers go to the default
    // return URL, scripts get 400 `session_already_available`.
    match current_session(&app, &request.headers).await {
        Ok(None) => {}
        Ok(Some(_)) => {
            if request.wants_json() {
                return ApiError::from(FlowError::SessionAlreadyAvailable {
                    kind: FlowKind::Registration,
                })
                .into_response();
            }
            let default = app
                .config
                .selfservice
                .default_browser_return_url
                .clone()
                .unwrap_or_else(|| request.public_base(&app));
            return redirect(default.as_str(), &[]);
        }
        Err(error) => return common::answer(&app, &request, failure, error.into(), &[]).await,
    }
    let result = async {
        let body = common::body(body)?;
        let id = common::submitted_flow_id(&query)?;
        failure.flow_id = Some(id);
        let stored = FlowStore::new(app.table.clone())
            .get::<RegistrationFlow>(id)
            .await?;
        failure.flow_type = Some(stored.flow.common.flow_type);
        let csrf = form_csrf(&app, &request, stored.flow.common.flow_type)?;
        Ok::<_, Failure>((body, stored, csrf))
    }
    .await;
    let (body, stored, csrf) = match result {
        Ok(found) => found,
        Err(error) => return common::answer(&app, &request, failure, error, &[]).await,
    };
    let flow_type = stored.flow.common.flow_type;
    let submission = read_submission(&request.headers, &body, app.schemas.default_schema());
    let check = csrf_check(&app, &request, flow_type, &submission);
    let ctx = submit_context(&app, &request, check, &csrf);
    let cookies = csrf.cookies();
    match registration::submit(&ctx, stored, &submission).await {
        Ok(RegistrationOutcome::ShowForm(stored)) => show_form(&app, &request, &stored, &cookies),
        Ok(RegistrationOutcome::Registered(done)) => registered(&app, &request, *done, cookies),
        Err(error) => common::answer(&app, &request, failure, error.into(), &cookies).await,
    }
}

/// Native apps get the identity (and the session and its token, with the `session`
/// hook); scripts get the identity and the session; browsers get a redirect (and the
/// session cookie, with the `session` hook).
fn registered(
    app: &App,
    request: &SelfServiceRequest,
    done: Registered,
    mut cookies: Vec<http::HeaderValue>,
) -> Response {
    let public = request.public_base(app);
    let flow_type = done.flow.flow.common.flow_type;
    let identity = done.identity.view(
        schema_url(&public, &done.identity.schema_id),
        &ViewOptions::public(),
    );
    let mut body = Map::new();
    body.insert("identity".into(), json!(identity));
    if let Some(issued) = &done.session {
        let session = session_view(
            &public,
            app.clock.now(),
            &issued.session,
            Some(&done.identity),
            Some(true),
            true,
        );
        body.insert("session".into(), json!(session));
        if flow_type == FlowType::Api {
            body.insert(
                "session_token".into(),
                Value::String(issued.token.expose().to_owned()),
            );
        } else {
            match set_session_cookie(app, &request.headers, issued) {
                Ok(cookie) => cookies.push(cookie),
                Err(error) => return error.into_response(),
            }
        }
    }
    body.insert("continue_with".into(), json!(done.continue_with));
    if flow_type == FlowType::Api || request.wants_json() {
        return json(StatusCode::OK, &body, &cookies);
    }
    redirect(done.return_to.as_str(), &cookies)
}
