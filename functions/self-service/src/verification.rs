//! `/self-service/verification/{browser,api,flows}` and `POST`/`GET
//! /self-service/verification` (a form, or a link from a message).

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use kratos_core::app::{App, AppState};
use kratos_core::flow::store::FlowStore;
use kratos_core::flow::{FlowKind, FlowType};
use kratos_core::http::selfservice::{
    FlowFailure, SelfServiceRequest, created_flow, csrf_check, form_csrf, json, submit_context,
};
use kratos_core::http::{ApiError, QueryParams};
use kratos_core::selfservice::verification::{self, VerificationFlow};
use kratos_core::selfservice::{NewFlowContext, SubmitError};

use crate::common::{self, Failure, Query};
use crate::out_of_band;

/// `GET /self-service/verification/browser`.
pub async fn browser(State(app): State<AppState>, request: SelfServiceRequest) -> Response {
    create(&app, &request, FlowType::Browser).await
}

/// `GET /self-service/verification/api`.
pub async fn api(State(app): State<AppState>, request: SelfServiceRequest) -> Response {
    create(&app, &request, FlowType::Api).await
}

async fn create(app: &App, request: &SelfServiceRequest, flow_type: FlowType) -> Response {
    let result = async {
        verification::ensure_enabled(&app.config)?;
        let csrf = form_csrf(app, request, flow_type)?;
        let request_url = request.request_url(app);
        let public_base = request.public_base(app);
        let stored = verification::create_flow(&NewFlowContext {
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
        // Kratos forwards these to the error UI whatever the client (JSON to scripts).
        Err(Failure::Flow(error)) => common::forward(app, request, error.into()).await,
        Err(Failure::Api(error)) => common::forward(app, request, error).await,
    }
}

/// `GET /self-service/verification/flows?id=`.
pub async fn fetch(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    if let Err(error) = verification::ensure_enabled(&app.config) {
        return common::forward(&app, &request, error.into()).await;
    }
    match common::fetch::<VerificationFlow>(&app, &request, &query).await {
        Ok(stored) => json(StatusCode::OK, &stored.flow, &[]),
        Err(error) => error.into_response(),
    }
}

/// `POST /self-service/verification?flow=`: the form (an address, or a code).
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

/// `GET /self-service/verification?flow=&code=` or `?flow=&token=`: a link from a message.
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
        kind: FlowKind::Verification,
        flow_type: None,
        flow_id: None,
    };
    let (submission, submitted) = out_of_band::submission(app, request, query, body);
    let found = async {
        let id = common::submitted_flow_id(query)?;
        failure.flow_id = Some(id);
        let stored = FlowStore::new(app.table.clone())
            .get::<VerificationFlow>(id)
            .await?;
        failure.flow_type = Some(stored.flow.common.flow_type);
        let csrf =
            out_of_band::submission_csrf(app, request, stored.flow.common.flow_type, submitted)?;
        Ok::<_, Failure>((id, stored, csrf))
    }
    .await;
    let (id, stored, csrf) = match found {
        Ok(found) => found,
        Err(Failure::Flow(SubmitError::Flow(error))) => {
            return common::forward(app, request, ApiError::from(error)).await;
        }
        Err(error) => return common::answer(app, request, failure, error, &[]).await,
    };
    let check = csrf_check(app, request, stored.flow.common.flow_type, &submission);
    let ctx = submit_context(app, request, check, &csrf);
    let cookies = csrf.cookies();
    let mut stored = stored;
    let mut attempt = 1;
    // A submission that lost a race with another one for the same flow wrote nothing:
    // it is run again on the flow as it is now (each code attempt still counts once).
    let result = loop {
        match verification::submit(&ctx, stored, &submission, submitted).await {
            Err(SubmitError::Conflict) if attempt < out_of_band::SUBMIT_ATTEMPTS => {
                attempt += 1;
                out_of_band::pause_before_retry().await;
                match FlowStore::new(app.table.clone())
                    .get::<VerificationFlow>(id)
                    .await
                {
                    Ok(fresh) => stored = fresh,
                    Err(error) => break Err(error.into()),
                }
            }
            other => break other,
        }
    };
    match result {
        Ok(reply) => out_of_band::answer(app, request, reply, &cookies),
        Err(error) => common::answer(app, request, failure, error.into(), &cookies).await,
    }
}
