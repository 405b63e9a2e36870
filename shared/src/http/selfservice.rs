//! Self-service flows at the HTTP edge: reading a request into the domain's
//! [`Submission`] and [`SubmitContext`], and answering outcomes the way Kratos does for
//! each kind of client:
//!
//! * **browsers posting forms** get `303 See Other`: to the flow's UI (`ui_url?flow=<id>`)
//!   to show it again, to `return_to` on success, to the error UI for errors outside the
//!   form;
//! * **scripts** (SPAs: `Accept: application/json` or a JSON body) on browser flows get
//!   JSON: the flow with 400, the result with 200, errors as errors, and 422
//!   `browser_location_change_required` where a browser must navigate;
//! * **native apps** (API flows) always get JSON.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use serde::Serialize;
use serde_json::json;
use url::Url;

use super::cookies::{has_cookie_header, request_cookie_values};
use super::csrf::{CsrfViolation, csrf_cookie_name_for, ensure_api_flow_request, issue_csrf};
use super::error::ApiError;
use super::request::{is_json_request, public_base_url, redirect_see_other, request_url};
use super::self_service_errors::forward_error;
use super::session::{client_device, no_active_session, session_from_request};
use crate::app::App;
use crate::flow::csrf::CsrfError;
use crate::flow::store::{FlowDocument, StoredFlow};
use crate::flow::{FlowError, FlowKind, FlowType, join_path, with_flow_id, with_query_param};
use crate::ids::FlowId;
use crate::schema::IdentitySchema;
use crate::selfservice::{
    CsrfCheck, CsrfFailure, CurrentSession, Submission, SubmitContext, SubmitError,
};
use crate::session::{DeviceInfo, SessionError};

/// The error ID of "this change needs a more recent login".
pub const ID_SESSION_REFRESH_REQUIRED: &str = "session_refresh_required";
/// The error ID of "`aal2` needs a session first".
pub const ID_SESSION_AAL1_REQUIRED: &str = "session_aal1_required";

/// What every self-service handler reads from its request besides the body.
#[derive(Debug, Clone)]
pub struct SelfServiceRequest {
    pub headers: HeaderMap,
    pub uri: Uri,
    pub device: DeviceInfo,
}

impl<S: Send + Sync> FromRequestParts<S> for SelfServiceRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            device: client_device(&parts.headers, &parts.extensions),
            headers: parts.headers.clone(),
            uri: parts.uri.clone(),
        })
    }
}

impl SelfServiceRequest {
    pub fn public_base(&self, app: &App) -> Url {
        public_base_url(app, &self.headers)
    }

    pub fn request_url(&self, app: &App) -> String {
        request_url(app, &self.headers, &self.uri)
    }

    /// Whether the client wants JSON rather than redirects (an SPA or a native app).
    pub fn wants_json(&self) -> bool {
        is_json_request(&self.headers)
    }
}

/// The session the request presents, if any. Any reason not to have one (no token, an
/// expired, revoked or forged one) is "none", as Kratos treats it on flow endpoints.
/// Requests: 1 BatchGetItem when a token is presented, else none.
pub async fn current_session(
    app: &App,
    headers: &HeaderMap,
) -> Result<Option<CurrentSession>, ApiError> {
    match session_from_request(app, headers).await {
        Ok(found) => Ok(Some(CurrentSession {
            session: found.session,
            identity: found.identity,
        })),
        Err(SessionError::NoActiveSession { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The anti-CSRF token for the forms a response renders, and the cookie to set when the
/// browser had none. API flows get "" and no cookie.
#[derive(Debug, Default)]
pub struct FormCsrf {
    pub token: String,
    pub set_cookie: Option<HeaderValue>,
}

impl FormCsrf {
    pub fn cookies(&self) -> Vec<HeaderValue> {
        self.set_cookie.iter().cloned().collect()
    }
}

pub fn form_csrf(
    app: &App,
    request: &SelfServiceRequest,
    flow_type: FlowType,
) -> Result<FormCsrf, ApiError> {
    if flow_type == FlowType::Api {
        return Ok(FormCsrf::default());
    }
    let issued = issue_csrf(app, &request.headers, &request.public_base(app))?;
    Ok(FormCsrf {
        token: issued.form_token,
        set_cookie: issued.set_cookie,
    })
}

/// The anti-CSRF verdict on a submission: browser flows need the body's `csrf_token` (or
/// the `X-CSRF-Token` header) to belong to the browser's cookie; API flows must not come
/// from a browser.
pub fn csrf_check(
    app: &App,
    request: &SelfServiceRequest,
    flow_type: FlowType,
    submission: &Submission,
) -> CsrfCheck {
    let headers = &request.headers;
    if flow_type == FlowType::Api {
        return match ensure_api_flow_request(headers) {
            Ok(()) => CsrfCheck::Passed,
            Err(error) => CsrfCheck::BrowserOnApiFlow(
                error
                    .reason
                    .clone()
                    .unwrap_or_else(|| error.message.clone()),
            ),
        };
    }
    let token = submission
        .csrf_token()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| {
            headers
                .get(crate::flow::csrf::CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .filter(|t| !t.trim().is_empty())
        });
    let name = csrf_cookie_name_for(&request.public_base(app));
    let mut failure = CsrfError::CookieMissing;
    for cookie in request_cookie_values(headers, &name) {
        match app.csrf.verify(Some(&cookie), token) {
            Ok(()) => return CsrfCheck::Passed,
            Err(e) => failure = e,
        }
    }
    CsrfCheck::Failed(CsrfFailure {
        error: failure,
        any_cookies: has_cookie_header(headers),
        ajax: headers.contains_key(header::ORIGIN),
    })
}

/// Reads a submission body by its content type; an unreadable body becomes a submission
/// that the flow answers with a message on its form. Form fields under `traits.` are
/// typed after `schema`.
pub fn read_submission(headers: &HeaderMap, body: &[u8], schema: &IdentitySchema) -> Submission {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let parsed = match content_type.as_str() {
        "application/json" => Submission::from_json(body),
        "application/x-www-form-urlencoded" => Submission::from_form(body, Some(schema)),
        "" if body.iter().all(u8::is_ascii_whitespace) => Ok(Submission::default()),
        _ if content_type.ends_with("+json") => Submission::from_json(body),
        _ => Err(crate::selfservice::BodyError::UnsupportedMediaType),
    };
    parsed.unwrap_or_else(Submission::unreadable)
}

/// The domain's view of a submission request.
pub fn submit_context<'a>(
    app: &'a App,
    request: &SelfServiceRequest,
    csrf: CsrfCheck,
    form_csrf: &FormCsrf,
) -> SubmitContext<'a> {
    SubmitContext {
        app,
        now: app.clock.now(),
        public_base: request.public_base(app),
        request_url: request.request_url(app),
        csrf,
        wants_json: request.wants_json(),
        device: request.device.clone(),
        form_csrf_token: form_csrf.token.clone(),
    }
}

/// Adds `Set-Cookie` headers to a response.
pub fn with_cookies(mut response: Response, cookies: &[HeaderValue]) -> Response {
    for cookie in cookies {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    response
}

/// A JSON body with a status and cookies.
pub fn json(status: StatusCode, body: &impl Serialize, cookies: &[HeaderValue]) -> Response {
    with_cookies((status, axum::Json(body)).into_response(), cookies)
}

/// A 303 with cookies.
pub fn redirect(location: &str, cookies: &[HeaderValue]) -> Response {
    with_cookies(redirect_see_other(location), cookies)
}

/// A browser flow that was just created or fetched by a browser: 303 to its UI, or the
/// flow as JSON (200) for scripts and API flows.
pub fn created_flow<F: FlowDocument>(
    app: &App,
    request: &SelfServiceRequest,
    flow: &F,
    cookies: &[HeaderValue],
) -> Response {
    let common = flow.common();
    if common.flow_type == FlowType::Browser && !request.wants_json() {
        let ui = with_flow_id(F::KIND.ui_url(&app.config), common.id);
        return redirect(ui.as_str(), cookies);
    }
    json(StatusCode::OK, flow, cookies)
}

/// A flow to show again after a submission (messages, or its next step): 303 to its UI
/// for browsers posting forms, else the flow as JSON with 400.
pub fn show_form<F: FlowDocument>(
    app: &App,
    request: &SelfServiceRequest,
    stored: &StoredFlow<F>,
    cookies: &[HeaderValue],
) -> Response {
    let common = stored.flow.common();
    if common.flow_type == FlowType::Browser && !request.wants_json() {
        let ui = with_flow_id(F::KIND.ui_url(&app.config), common.id);
        return redirect(ui.as_str(), cookies);
    }
    json(StatusCode::BAD_REQUEST, &stored.flow, cookies)
}

/// `<public>/self-service/login/browser?refresh=true&return_to=<public>/self-service/settings?flow=<id>`:
/// where a browser re-authenticates for a privileged settings change.
pub fn refresh_login_url(public_base: &Url, settings_flow: FlowId) -> String {
    let back = with_query_param(
        &join_path(public_base, &FlowKind::Settings.submit_route()),
        "flow",
        &settings_flow.to_string(),
    );
    let mut login = join_path(public_base, &FlowKind::Login.browser_init_route());
    login
        .query_pairs_mut()
        .append_pair("refresh", "true")
        .append_pair("return_to", back.as_str());
    login.into()
}

/// Kratos's 403 for a settings change that needs a more recent login.
pub fn refresh_required(redirect_browser_to: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "The requested action was forbidden")
        .with_id(ID_SESSION_REFRESH_REQUIRED)
        .with_reason(
            "The login session is too old and thus not allowed to update these fields. Please \
             re-authenticate.",
        )
        .with_extra("redirect_browser_to", json!(redirect_browser_to))
}

/// Where the flow failed, for [`error_response`].
#[derive(Debug, Clone, Copy)]
pub struct FlowFailure {
    pub kind: FlowKind,
    /// The flow's type, when the flow was read.
    pub flow_type: Option<FlowType>,
    pub flow_id: Option<FlowId>,
}

/// Answers a failed flow request:
///
/// * an expired flow's replacement: 303 to its UI for browsers, else 410 with `use_flow_id`;
/// * a signed-in browser on login or registration: 303 to the default return URL;
/// * a settings change that needs a refresh: 303 to the refresh login for browsers, else
///   403 `session_refresh_required` with `redirect_browser_to`;
/// * no session on settings: 303 to the login for browsers, else 401;
/// * anything else: the error as JSON for API flows and scripts, else stored and the
///   browser sent to the error UI.
pub async fn error_response(
    app: &App,
    request: &SelfServiceRequest,
    failure: FlowFailure,
    error: SubmitError,
    cookies: &[HeaderValue],
) -> Response {
    let browser = failure.flow_type != Some(FlowType::Api) && !request.wants_json();
    match &error {
        SubmitError::Flow(FlowError::Expired(expired)) if browser => {
            if let Some(replacement) = expired.use_flow_id {
                let ui = with_flow_id(failure.kind.ui_url(&app.config), replacement);
                return redirect(ui.as_str(), cookies);
            }
        }
        SubmitError::Flow(FlowError::SessionAlreadyAvailable { .. }) if browser => {
            let default = app
                .config
                .selfservice
                .default_browser_return_url
                .clone()
                .unwrap_or_else(|| request.public_base(app));
            return redirect(default.as_str(), cookies);
        }
        SubmitError::RefreshRequired => {
            let target = failure
                .flow_id
                .map(|id| refresh_login_url(&request.public_base(app), id))
                .unwrap_or_default();
            if browser {
                return redirect(&target, cookies);
            }
            return with_cookies(refresh_required(&target).into_response(), cookies);
        }
        SubmitError::NoActiveSession if failure.kind == FlowKind::Settings && browser => {
            let login = join_path(
                &request.public_base(app),
                &FlowKind::Login.browser_init_route(),
            );
            return redirect(login.as_str(), cookies);
        }
        _ => {}
    }
    let api_error = ApiError::from(error);
    if failure.flow_type == Some(FlowType::Api) {
        return with_cookies(api_error.into_response(), cookies);
    }
    with_cookies(
        forward_error(app, &request.headers, api_error).await,
        cookies,
    )
}

impl From<SubmitError> for ApiError {
    fn from(error: SubmitError) -> Self {
        match error {
            SubmitError::Csrf(failure) => CsrfViolation {
                error: failure.error,
                any_cookies: failure.any_cookies,
                ajax: failure.ajax,
            }
            .into(),
            SubmitError::Flow(flow) => flow.into(),
            SubmitError::ReturnTo(e) => e.into(),
            SubmitError::RefreshRequired => refresh_required(""),
            SubmitError::IdentityDisabled => {
                ApiError::new(StatusCode::UNAUTHORIZED, "identity is disabled")
                    .with_id("unauthorized")
                    .with_reason("This account was disabled.")
            }
            SubmitError::NoActiveSession => no_active_session(),
            SubmitError::Aal1Required => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "aal2 and aal3 can only be requested if a session exists already",
            )
            .with_id(ID_SESSION_AAL1_REQUIRED)
            .with_reason(
                "You can not requested a higher AAL (AAL2/AAL3) without an active session.",
            ),
            SubmitError::Conflict => ApiError::conflict(
                "The flow was changed by another request at the same time; retry.",
            ),
            SubmitError::BadRequest(reason) => ApiError::bad_request(reason),
            SubmitError::Form(messages) => ApiError::bad_request(
                messages
                    .first()
                    .map(|m| m.message.text.clone())
                    .unwrap_or_else(|| "The submission is invalid.".into()),
            ),
            SubmitError::Store(store) => store.into(),
            SubmitError::NotResponsible => {
                ApiError::internal(anyhow::anyhow!("no strategy handled the submission"))
            }
            SubmitError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

/// `GET /self-service/<kind>/flows?id=`: Kratos parses a missing or malformed ID as the
/// nil UUID, which no flow has, so both are 404.
pub fn fetch_flow_id(raw: Option<&str>) -> Result<FlowId, ApiError> {
    raw.map(str::trim)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::not_found("No flow with this ID exists."))
}

/// The error body Kratos answers a fetch of an expired flow with (410 with where to start
/// again).
pub fn expired_on_fetch(
    app: &App,
    request: &SelfServiceRequest,
    kind: FlowKind,
    flow_type: FlowType,
    return_to: Option<String>,
) -> ApiError {
    let public = request.public_base(app);
    let next = match flow_type {
        FlowType::Browser => {
            let mut init = join_path(&public, &kind.browser_init_route());
            if let Some(return_to) = return_to.as_deref().filter(|r| !r.is_empty()) {
                init.query_pairs_mut().append_pair("return_to", return_to);
            }
            crate::flow::ExpiredFlowNext::Browser {
                redirect_to: init.into(),
                return_to,
            }
        }
        FlowType::Api => crate::flow::ExpiredFlowNext::Api {
            init_url: join_path(&public, &kind.api_init_route()).into(),
        },
    };
    FlowError::ExpiredOnFetch { kind, next }.into()
}

/// Parses a Kratos boolean query parameter (`1`, `t`, `true`, ...; anything else false).
pub fn query_bool(value: Option<&str>) -> bool {
    matches!(
        value.map(str::trim),
        Some("1" | "t" | "T" | "TRUE" | "true" | "True")
    )
}
