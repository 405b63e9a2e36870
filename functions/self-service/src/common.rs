//! Glue every flow's handlers share: query parameters, bodies, storing new flows (with
//! their token exchange), fetching flows, and the "already signed in" answer.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use kratos_core::app::App;
use kratos_core::flow::return_to::ReturnToPolicy;
use kratos_core::flow::store::{FlowDocument, FlowStore, StoredFlow};
use kratos_core::flow::{FlowError, FlowKind, FlowType, return_to_of};
use kratos_core::http::ApiError;
use kratos_core::http::csrf::verify_flow_csrf;
use kratos_core::http::self_service_errors::forward_error;
use kratos_core::http::selfservice::{
    FlowFailure, SelfServiceRequest, error_response, expired_on_fetch, fetch_flow_id, query_bool,
    redirect, with_cookies,
};
use kratos_core::ids::FlowId;
use kratos_core::selfservice::SubmitError;
use kratos_core::selfservice::exchange::{INTERNAL_FIELD, TokenExchanges};
use kratos_core::store::WriteOp;

/// Query parameters, unknown ones ignored (the last of repeated ones wins).
pub type Query = HashMap<String, String>;

pub fn param<'a>(query: &'a Query, name: &str) -> Option<&'a str> {
    query.get(name).map(String::as_str)
}

/// The request body, or Kratos's 413 when it is over the limit.
pub fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(rejection.body_text())
        } else {
            ApiError::bad_request(rejection.body_text())
        }
    })
}

/// `?flow=` of a submission.
pub fn submitted_flow_id(query: &Query) -> Result<FlowId, FlowError> {
    kratos_core::flow::parse_flow_id(param(query, "flow"))
}

/// Browser-only init endpoints refuse `login_challenge`: there is no OAuth2 provider to
/// cooperate with (Kratos answers the same without `oauth2_provider.url`).
pub fn refuse_login_challenge(query: &Query) -> Result<(), ApiError> {
    if query.contains_key("login_challenge") {
        return Err(ApiError::bad_request(
            "refusing to parse login_challenge query parameter because \
             oauth2_provider.url is not configured",
        ));
    }
    Ok(())
}

/// Answers an error outside any flow: JSON for scripts, else the error UI.
pub async fn forward(app: &App, request: &SelfServiceRequest, error: ApiError) -> Response {
    forward_error(app, &request.headers, error).await
}

/// Stores a new flow, with a session token exchange when an API flow asks for one
/// (`return_session_token_exchange_code=true`), in one write. Returns the exchange's init
/// code, which only this response carries.
pub async fn store_new<F: FlowDocument>(
    app: &App,
    query: &Query,
    stored: &mut StoredFlow<F>,
) -> Result<Option<String>, ApiError> {
    let flows = FlowStore::new(app.table.clone());
    let mut ops: Vec<WriteOp> = Vec::new();
    let mut code = None;
    let common = stored.flow.common();
    if common.flow_type == FlowType::Api
        && query_bool(param(query, "return_session_token_exchange_code"))
    {
        let exchange = TokenExchanges::new(app.table.clone(), &app.exchange_sealer)
            .create(common.id, common.expires_at);
        stored.internal.insert(
            INTERNAL_FIELD.into(),
            serde_json::Value::String(exchange.digest.clone()),
        );
        code = Some(exchange.codes.init_code.expose().to_owned());
        ops.push(exchange.op);
    }
    ops.insert(0, flows.create_op(stored)?);
    app.table.write(ops).await?;
    flows.applied(stored);
    Ok(code)
}

/// `GET /self-service/<kind>/flows?id=` for login and registration: the flow, if this
/// browser holds the anti-CSRF cookie it was issued for, and it has not expired.
/// Requests: 1 GetItem.
pub async fn fetch<F: FlowDocument>(
    app: &App,
    request: &SelfServiceRequest,
    query: &Query,
) -> Result<StoredFlow<F>, ApiError> {
    let id = fetch_flow_id(param(query, "id"))?;
    let stored: StoredFlow<F> = FlowStore::new(app.table.clone()).get(id).await?;
    let common = stored.flow.common();
    if common.flow_type == FlowType::Browser {
        verify_flow_csrf(
            app,
            &request.headers,
            &request.public_base(app),
            stored.csrf_token.as_deref(),
        )?;
    }
    if common.is_expired(app.clock.now()) {
        return Err(expired_on_fetch(
            app,
            request,
            F::KIND,
            common.flow_type,
            common.return_to.clone(),
        ));
    }
    Ok(stored)
}

/// A signed-in client starting a login or registration it does not need: browsers go to
/// the requested `return_to` (if allowed) or the default; scripts get 400
/// `session_already_available`.
pub async fn already_signed_in(
    app: &App,
    request: &SelfServiceRequest,
    kind: FlowKind,
) -> Response {
    let error = ApiError::from(FlowError::SessionAlreadyAvailable { kind });
    if request.wants_json() {
        return error.into_response();
    }
    let requested = return_to_of(&request.request_url(app));
    match ReturnToPolicy::from_config(&app.config, &request.public_base(app))
        .resolve(requested.as_deref())
    {
        Ok(target) => redirect(target.as_str(), &[]),
        Err(e) => forward(app, request, e.into()).await,
    }
}

/// A handler's failure: in a flow's terms, or already an HTTP error.
#[derive(Debug)]
pub enum Failure {
    Flow(SubmitError),
    Api(ApiError),
}

impl From<SubmitError> for Failure {
    fn from(error: SubmitError) -> Self {
        Failure::Flow(error)
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure::Api(error)
    }
}

impl From<FlowError> for Failure {
    fn from(error: FlowError) -> Self {
        Failure::Flow(error.into())
    }
}

impl From<kratos_core::flow::store::FlowStoreError> for Failure {
    fn from(error: kratos_core::flow::store::FlowStoreError) -> Self {
        Failure::Flow(error.into())
    }
}

/// Answers a failure: flow errors as [`error_response`] does; HTTP errors as JSON for API
/// flows, else forwarded (JSON for scripts, the error UI for browsers).
pub async fn answer(
    app: &App,
    request: &SelfServiceRequest,
    failure: FlowFailure,
    error: Failure,
    cookies: &[http::HeaderValue],
) -> Response {
    match error {
        Failure::Flow(error) => error_response(app, request, failure, error, cookies).await,
        Failure::Api(error) if failure.flow_type == Some(FlowType::Api) => {
            with_cookies(error.into_response(), cookies)
        }
        Failure::Api(error) => with_cookies(forward(app, request, error).await, cookies),
    }
}
