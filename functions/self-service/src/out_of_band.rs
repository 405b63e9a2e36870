//! Glue the verification and recovery handlers share: the link-or-form submission, the
//! anti-CSRF token a followed link gets, and answering a [`Reply`].

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use kratos_core::app::App;
use kratos_core::flow::store::FlowDocument;
use kratos_core::flow::{FlowKind, FlowType, join_path, with_flow_id};
use kratos_core::http::ApiError;
use kratos_core::http::request::is_browser_request;
use kratos_core::http::selfservice::{
    FormCsrf, SelfServiceRequest, form_csrf, json, read_submission, redirect,
};
use kratos_core::selfservice::Submission;
use kratos_core::selfservice::out_of_band::{RedirectRule, Reply, ScriptAnswer, ShowStatus};
use kratos_core::selfservice::verification::Submitted;
use serde_json::{Map, Value};

use crate::common::Query;

/// How often a submission that lost a race for its flow is run (on the flow re-read).
pub const SUBMIT_ATTEMPTS: u32 = 6;

/// A short, random pause before running a submission again, so that racing submissions
/// (a double click) do not collide again at once.
pub async fn pause_before_retry() {
    let millis = 5 + u64::from(kratos_core::crypto::random_bytes(1)[0] % 20);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}

/// What a submission request carries: `POST` bodies are forms; `GET` requests are links
/// from messages, whose query is the submission.
pub fn submission(
    app: &App,
    request: &SelfServiceRequest,
    query: &Query,
    body: Option<&Bytes>,
) -> (Submission, Submitted) {
    match body {
        Some(body) => (
            read_submission(&request.headers, body, app.schemas.default_schema()),
            Submitted::Form,
        ),
        None => {
            let fields: Map<String, Value> = query
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            (Submission::new(fields), Submitted::Link)
        }
    }
}

/// The form anti-CSRF token of a submission. A followed link opens in a browser, which
/// may not be the one that started the flow, so it always gets one (and the cookie).
pub fn submission_csrf(
    app: &App,
    request: &SelfServiceRequest,
    flow_type: FlowType,
    submitted: Submitted,
) -> Result<FormCsrf, ApiError> {
    match submitted {
        Submitted::Link => form_csrf(app, request, FlowType::Browser),
        Submitted::Form => form_csrf(app, request, flow_type),
    }
}

/// `<public>/self-service/<kind>/flows?id=<id>`.
fn fetch_url(app: &App, request: &SelfServiceRequest, kind: FlowKind, id: &str) -> String {
    let mut url = join_path(&request.public_base(app), &kind.fetch_route());
    url.query_pairs_mut().append_pair("id", id);
    url.into()
}

/// Answers a [`Reply`]: browsers are sent to a flow's UI, scripts get JSON (the flow, an
/// error naming the new flow, or a redirect to fetch it), as the reply says.
pub fn answer<F: FlowDocument>(
    app: &App,
    request: &SelfServiceRequest,
    reply: Reply<F>,
    cookies: &[HeaderValue],
) -> Response {
    let ui = |flow: &F| {
        let common = flow.common();
        redirect(
            with_flow_id(F::KIND.ui_url(&app.config), common.id).as_str(),
            cookies,
        )
    };
    match reply {
        Reply::Show {
            flow,
            status,
            redirect: rule,
        } => {
            let to_ui = match rule {
                // A client that posts JSON is a script even without an `Accept` header
                // (the official Rust SDK sends none); Kratos would redirect it.
                RedirectRule::BrowserNavigation => {
                    is_browser_request(&request.headers) && !request.wants_json()
                }
                RedirectRule::BrowserFlowUnlessJson => {
                    flow.flow.common().flow_type == FlowType::Browser && !request.wants_json()
                }
            };
            if to_ui {
                return ui(&flow.flow);
            }
            let status = match status {
                ShowStatus::Ok => StatusCode::OK,
                ShowStatus::BadRequest => StatusCode::BAD_REQUEST,
            };
            json(status, &flow.flow, cookies)
        }
        Reply::ShowInUi(flow) => ui(&flow.flow),
        Reply::Replaced { flow, scripts } => {
            let common = flow.flow.common();
            let script = request.wants_json() || common.flow_type == FlowType::Api;
            match scripts {
                _ if !script => ui(&flow.flow),
                ScriptAnswer::Ui => ui(&flow.flow),
                ScriptAnswer::FetchRedirect => redirect(
                    &fetch_url(app, request, F::KIND, &common.id.to_string()),
                    cookies,
                ),
                ScriptAnswer::Error(error) => kratos_core::http::selfservice::with_cookies(
                    ApiError::from(error).into_response(),
                    cookies,
                ),
            }
        }
    }
}
