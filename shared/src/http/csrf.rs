//! Anti-CSRF at the HTTP edge: the cookie's name and attributes, issuing a token for a
//! browser response, checking a browser submission or fetch, and refusing browser-like
//! requests on API flows. The token scheme itself is in `flow/csrf.rs`.

use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value, json};
use url::Url;

use super::cookies::{
    CookieLifetime, CookieSettings, has_cookie_header, request_cookie_values, request_cookies,
    set_cookie,
};
use super::error::ApiError;
use crate::app::App;
use crate::flow::csrf::{CSRF_COOKIE_MAX_AGE, CSRF_HEADER, CsrfError, csrf_cookie_name};

pub const ID_CSRF_VIOLATION: &str = "security_csrf_violation";

const CSRF_DOCS: &str = "https://www.ory.sh/kratos/docs/debug/csrf";

/// The anti-CSRF cookie's name for this public base URL.
pub fn csrf_cookie_name_for(public_base: &Url) -> String {
    csrf_cookie_name(public_base.as_str())
}

/// A token for a browser response, and the cookie to set when the browser had none.
#[derive(Debug)]
pub struct IssuedCsrf {
    /// Put this in the flow's `csrf_token` node (and keep it as the flow's token).
    pub form_token: String,
    /// A `Set-Cookie` value to add to the response, if a new cookie was made.
    pub set_cookie: Option<HeaderValue>,
}

/// Issues the anti-CSRF token for a browser response, reusing the browser's cookie when
/// this deployment issued it.
pub fn issue_csrf(
    app: &App,
    headers: &HeaderMap,
    public_base: &Url,
) -> Result<IssuedCsrf, ApiError> {
    let name = csrf_cookie_name_for(public_base);
    let existing = request_cookie_values(headers, &name);
    // Reuse the first cookie this deployment signed; a stale one elsewhere is ignored.
    let issue = existing
        .iter()
        .map(|value| app.csrf.issue(Some(value)))
        .find(|issue| issue.new_cookie.is_none())
        .unwrap_or_else(|| app.csrf.issue(None));
    let set_cookie = match &issue.new_cookie {
        Some(value) => Some(set_cookie(
            &name,
            value.expose(),
            &CookieSettings::general(&app.config, public_base),
            CookieLifetime::MaxAge(CSRF_COOKIE_MAX_AGE),
        )?),
        None => None,
    };
    Ok(IssuedCsrf {
        form_token: issue.form_token,
        set_cookie,
    })
}

/// The submitted token: the body's `csrf_token` field if given, else the `X-CSRF-Token`
/// header.
fn submitted_token<'a>(headers: &'a HeaderMap, body_token: Option<&'a str>) -> Option<&'a str> {
    body_token.filter(|t| !t.trim().is_empty()).or_else(|| {
        headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.trim().is_empty())
    })
}

/// Checks a browser flow submission: the token from the body (`csrf_token`) or the
/// `X-CSRF-Token` header must belong to the browser's anti-CSRF cookie. Fails with 403
/// `security_csrf_violation`.
pub fn verify_csrf(
    app: &App,
    headers: &HeaderMap,
    public_base: &Url,
    body_token: Option<&str>,
) -> Result<(), ApiError> {
    verify_against_cookie(
        app,
        headers,
        public_base,
        submitted_token(headers, body_token),
    )
}

/// Checks that the browser fetching a browser flow holds the cookie the flow was issued
/// for (`stored_token` is the flow's token). Fails with 403 `security_csrf_violation`.
pub fn verify_flow_csrf(
    app: &App,
    headers: &HeaderMap,
    public_base: &Url,
    stored_token: Option<&str>,
) -> Result<(), ApiError> {
    verify_against_cookie(app, headers, public_base, stored_token)
}

fn verify_against_cookie(
    app: &App,
    headers: &HeaderMap,
    public_base: &Url,
    token: Option<&str>,
) -> Result<(), ApiError> {
    let name = csrf_cookie_name_for(public_base);
    let cookies = request_cookie_values(headers, &name);
    // With no cookie at all the failure stays `CookieMissing`.
    let mut failure = CsrfError::CookieMissing;
    for cookie in &cookies {
        match app.csrf.verify(Some(cookie), token) {
            Ok(()) => return Ok(()),
            Err(e) => failure = e,
        }
    }
    Err(CsrfViolation {
        error: failure,
        any_cookies: has_cookie_header(headers),
        ajax: headers.contains_key(http::header::ORIGIN),
    }
    .into())
}

/// A failed anti-CSRF check with what the request looked like, for a useful hint.
#[derive(Debug, Clone, Copy)]
pub struct CsrfViolation {
    pub error: CsrfError,
    /// Whether the request had any cookies at all.
    pub any_cookies: bool,
    /// Whether it looks like a script's request (it has an `Origin` header).
    pub ajax: bool,
}

impl From<CsrfViolation> for ApiError {
    fn from(v: CsrfViolation) -> Self {
        let reject_reason = match (v.error, v.any_cookies) {
            (CsrfError::CookieMissing, false) => "The request carried no cookies at all.",
            (CsrfError::CookieMissing, true) => {
                "The request carried cookies, but not the anti-CSRF cookie."
            }
            (CsrfError::TokenMissing, _) => {
                "The anti-CSRF cookie was sent, but no token was, neither in the csrf_token \
                 field nor in the X-CSRF-Token header."
            }
            (CsrfError::Mismatch, _) => {
                "The anti-CSRF cookie and the submitted token do not belong together. Clearing \
                 this site's cookies and starting the flow again usually helps."
            }
        };
        let hint = if v.ajax {
            "This looks like a script's request: make sure CORS is configured and that the \
             request is sent with credentials, so that cookies are included."
        } else {
            "For a browser, check which cookies the request carried. For a server rendering \
             the UI, forward the browser's Cookie header with the request."
        };
        let mut details = Map::new();
        details.insert("docs".into(), json!(CSRF_DOCS));
        details.insert("hint".into(), json!(hint));
        details.insert("reject_reason".into(), json!(reject_reason));
        ApiError::new(
            StatusCode::FORBIDDEN,
            "The request was refused to protect against cross-site request forgery",
        )
        .with_id(ID_CSRF_VIOLATION)
        .with_reason(
            "The anti-CSRF check failed. Start the flow again, and clear this site's cookies if \
             it keeps failing.",
        )
        .with_details(details)
    }
}

impl From<CsrfError> for ApiError {
    fn from(error: CsrfError) -> Self {
        CsrfViolation {
            error,
            any_cookies: error != CsrfError::CookieMissing,
            ajax: false,
        }
        .into()
    }
}

/// Cookies a CDN may set on every request; they do not make a request a browser's.
fn is_cdn_cookie(name: &str) -> bool {
    name.starts_with("__cf") || name.starts_with("_cf") || name.starts_with("cf_")
}

/// API (native) flows need no anti-CSRF token, so they must not be driven by a browser:
/// a request with an `Origin` header or with cookies is refused with 400, as in Kratos.
pub fn ensure_api_flow_request(headers: &HeaderMap) -> Result<(), ApiError> {
    if headers.contains_key(http::header::ORIGIN) {
        return Err(ApiError::bad_request(
            "The request has an Origin header, so it comes from a script in a browser, but the \
             flow is an API flow. Browsers must use browser flows; the request was refused to \
             prevent cross-site request forgery.",
        ));
    }
    let cookies: Vec<Value> = request_cookies(headers)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| !is_cdn_cookie(name))
        .map(Value::String)
        .collect();
    if !cookies.is_empty() {
        let mut details = Map::new();
        details.insert("found cookies".into(), Value::Array(cookies));
        return Err(ApiError::bad_request(
            "The request carries cookies, so it comes from a browser, but the flow is an API \
             flow. Browsers must use browser flows; the request was refused to prevent \
             cross-site request forgery.",
        )
        .with_details(details));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
