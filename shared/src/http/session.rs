//! Sessions at the HTTP edge: which token a request presents (the `ory_kratos_session`
//! cookie, `X-Session-Token`, or `Authorization: Bearer`), the session cookie, the client
//! device (API Gateway's request context, else the socket and headers), the session body
//! of responses, and Kratos's error bodies for [`SessionError`].
//!
//! The cookie's value is the session token followed by `.` and the expiry (Unix seconds)
//! it was set with. The suffix is not trusted for anything but deciding when to send the
//! cookie again: after `PATCH /admin/sessions/{id}/extend`, `whoami` re-issues a cookie
//! whose recorded expiry is older than the session's, as Kratos does, so a persistent
//! cookie does not die before its session.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};
use url::Url;

use super::cookies::{
    CookieSettings, remove_cookie, request_cookie_values, session_cookie_lifetime, set_cookie,
};
use super::error::ApiError;
use super::request::public_base_url;
use crate::app::App;
use crate::identity::{Identity, ViewOptions};
use crate::session::{
    Aal, DeviceInfo, IssuedSession, Session, SessionError, SessionToken, SessionView,
};

/// The header native apps send their session token in.
pub const SESSION_TOKEN_HEADER: &str = "X-Session-Token";
/// The response header naming the identity of a successful `whoami`.
pub const AUTHENTICATED_IDENTITY_HEADER: &str = "X-Kratos-Authenticated-Identity-Id";

/// The error ID of "no active session".
pub const ID_SESSION_INACTIVE: &str = "session_inactive";
/// The error ID of "the session must be upgraded to AAL2".
pub const ID_SESSION_AAL2_REQUIRED: &str = "session_aal2_required";

/// Where the token of a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    SessionTokenHeader,
    Cookie,
    Bearer,
}

/// The session a request presents, with its identity.
#[derive(Debug, Clone)]
pub struct RequestSession {
    pub session: Session,
    pub identity: Identity,
    pub source: TokenSource,
    /// The expiry the session cookie was last set with, if it came from a cookie.
    cookie_expiry: Option<i64>,
}

impl RequestSession {
    /// Whether the request's cookie was set for an earlier expiry than the session now has
    /// (after an extension), so it should be sent again.
    pub fn cookie_is_outdated(&self) -> bool {
        self.source == TokenSource::Cookie
            && self
                .cookie_expiry
                .is_none_or(|at| at < self.session.expires_at.unix_timestamp())
    }
}

/// The token a request presents, in Kratos's order: a non-empty `X-Session-Token` header,
/// else the session cookie, else `Authorization: Bearer <token>`.
///
/// Fails with `NoActiveSession { credentials_missing: true }` when the request has none,
/// and `NoActiveSession` when what it has cannot be a token of ours (no store request is
/// made for those).
pub fn presented_token(
    app: &App,
    headers: &HeaderMap,
) -> Result<(SessionToken, TokenSource, Option<i64>), SessionError> {
    if let Some(value) = headers
        .get(SESSION_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    {
        return SessionToken::parse(value)
            .map(|t| (t, TokenSource::SessionTokenHeader, None))
            .ok_or_else(SessionError::inactive);
    }
    let cookies = request_cookie_values(headers, &app.config.session.cookie.name);
    for value in &cookies {
        if let Some((token, expiry)) = parse_cookie_value(value) {
            return Ok((token, TokenSource::Cookie, expiry));
        }
    }
    if let Some(value) = bearer(headers) {
        return SessionToken::parse(value)
            .map(|t| (t, TokenSource::Bearer, None))
            .ok_or_else(SessionError::inactive);
    }
    if cookies.is_empty() {
        Err(SessionError::missing())
    } else {
        Err(SessionError::inactive())
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let mut parts = value.split(' ');
    let (scheme, token) = (parts.next()?, parts.next()?);
    (parts.next().is_none() && scheme.eq_ignore_ascii_case("bearer") && !token.is_empty())
        .then_some(token)
}

fn parse_cookie_value(value: &str) -> Option<(SessionToken, Option<i64>)> {
    let (token, expiry) = match value.split_once('.') {
        Some((token, expiry)) => (token, expiry.parse().ok()),
        None => (value, None),
    };
    SessionToken::parse(token).map(|t| (t, expiry))
}

/// The active session of a request, with its identity.
/// Requests: 1 `BatchGetItem` when the request presents a well-formed token, else none.
/// Fails with `NoActiveSession` (see [`presented_token`] and
/// [`crate::session::SessionStore::authenticate`]) or `Store`.
pub async fn session_from_request(
    app: &App,
    headers: &HeaderMap,
) -> Result<RequestSession, SessionError> {
    let (token, source, cookie_expiry) = presented_token(app, headers)?;
    let (session, identity) = app.sessions.authenticate(&token).await?;
    Ok(RequestSession {
        session,
        identity,
        source,
        cookie_expiry,
    })
}

/// The `Set-Cookie` value that gives the browser `issued`'s session: named
/// `session.cookie.name`, scoped by `session.cookie.*`/`cookies.*`, HttpOnly, Secure when
/// the public URL is https, and persistent until the session expires unless
/// `session.cookie.persistent` is off.
pub fn set_session_cookie(
    app: &App,
    headers: &HeaderMap,
    issued: &IssuedSession,
) -> Result<HeaderValue, ApiError> {
    session_cookie(app, headers, &issued.session, &issued.token)
}

/// The same from a session and its token.
pub fn session_cookie(
    app: &App,
    headers: &HeaderMap,
    session: &Session,
    token: &SessionToken,
) -> Result<HeaderValue, ApiError> {
    let settings = CookieSettings::session(&app.config, &public_base_url(app, headers));
    let lifetime = session_cookie_lifetime(&app.config, session.expires_at, app.clock.now());
    let value = format!("{}.{}", token.expose(), session.expires_at.unix_timestamp());
    Ok(set_cookie(
        &app.config.session.cookie.name,
        &value,
        &settings,
        lifetime,
    )?)
}

/// The `Set-Cookie` value that removes the session cookie (logout).
pub fn clear_session_cookie(app: &App, headers: &HeaderMap) -> Result<HeaderValue, ApiError> {
    let settings = CookieSettings::session(&app.config, &public_base_url(app, headers));
    Ok(remove_cookie(&app.config.session.cookie.name, &settings)?)
}

/// The cookie to send again after `whoami`, when the request's cookie is outdated
/// (see [`RequestSession::cookie_is_outdated`]). The token cannot be recovered from the
/// store, so it is the one the request presented.
pub fn refreshed_session_cookie(
    app: &App,
    headers: &HeaderMap,
    current: &RequestSession,
) -> Result<Option<HeaderValue>, ApiError> {
    if !current.cookie_is_outdated() {
        return Ok(None);
    }
    let Ok((token, TokenSource::Cookie, _)) = presented_token(app, headers) else {
        return Ok(None);
    };
    session_cookie(app, headers, &current.session, &token).map(Some)
}

/// Where a request came from. In Lambda, API Gateway's request context is authoritative
/// (its `sourceIp` cannot be forged by the client); locally the `True-Client-IP`,
/// `X-Real-IP` and first `X-Forwarded-For` headers are read as Kratos reads them, then the
/// socket's peer. The user agent is every `User-Agent` header joined by spaces; the
/// location is Cloudflare's `Cf-Ipcity, Cf-Ipcountry`, empty when absent.
pub fn client_device(headers: &HeaderMap, extensions: &Extensions) -> DeviceInfo {
    let (context_ip, context_agent) = lambda_source(extensions);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let ip_address = context_ip
        .or_else(|| header("true-client-ip"))
        .or_else(|| header("x-real-ip"))
        .or_else(|| {
            header("x-forwarded-for")
                .and_then(|list| list.split(',').next().map(|ip| ip.trim().to_owned()))
                .filter(|ip| !ip.is_empty())
        })
        .or_else(|| {
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string())
        });
    let agents: Vec<&str> = headers
        .get_all(header::USER_AGENT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let user_agent = context_agent.or_else(|| (!agents.is_empty()).then(|| agents.join(" ")));
    let location = [header("cf-ipcity"), header("cf-ipcountry")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    DeviceInfo {
        ip_address,
        user_agent,
        location: Some(location),
    }
}

fn lambda_source(extensions: &Extensions) -> (Option<String>, Option<String>) {
    use lambda_http::request::RequestContext;
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    match extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => (
            nonempty(&context.http.source_ip),
            nonempty(&context.http.user_agent),
        ),
        Some(RequestContext::ApiGatewayV1(context)) => (
            nonempty(&context.identity.source_ip),
            nonempty(&context.identity.user_agent),
        ),
        _ => (None, None),
    }
}

/// A session as a response shows it. `identity` is embedded when given (always the public
/// view: sessions never show credentials or admin metadata); `identity_active` is whether
/// the identity is active, when it was read. Schema URLs use `public_base`.
pub fn session_view(
    public_base: &Url,
    now: time::OffsetDateTime,
    session: &Session,
    identity: Option<&Identity>,
    identity_active: Option<bool>,
    devices: bool,
) -> SessionView {
    let view = identity.map(|identity| {
        identity.view(
            crate::schema::schema_url(public_base, &identity.schema_id),
            &ViewOptions::public(),
        )
    });
    session.view(
        now,
        view,
        identity_active.or(identity.map(Identity::is_active)),
        devices,
    )
}

/// Kratos's 401 for a request without a usable session.
pub fn no_active_session() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "request does not have a valid authentication session",
    )
    .with_id(ID_SESSION_INACTIVE)
    .with_reason("No active session was found in this request.")
}

/// The same 401 with another reason (the session endpoints each word it their own way).
pub fn no_active_session_because(reason: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "The request could not be authorized",
    )
    .with_id(ID_SESSION_INACTIVE)
    .with_reason(reason)
}

/// Kratos's 403 `session_aal2_required`, pointing the browser at an AAL2 login
/// (`<public>/self-service/login/browser?aal=aal2`, plus `return_to` when given).
pub fn aal2_required(public_base: &Url, return_to: Option<&str>) -> ApiError {
    let mut login = public_base.clone();
    login.set_path(&format!(
        "{}/self-service/login/browser",
        public_base.path().trim_end_matches('/')
    ));
    {
        let mut query = login.query_pairs_mut();
        query.clear().append_pair("aal", "aal2");
        if let Some(return_to) = return_to {
            query.append_pair("return_to", return_to);
        }
    }
    let target = login.to_string();
    let mut details = Map::new();
    details.insert("redirect_browser_to".into(), json!(target));
    ApiError::new(
        StatusCode::FORBIDDEN,
        "Session does not fulfill the requested Authenticator Assurance Level",
    )
    .with_id(ID_SESSION_AAL2_REQUIRED)
    .with_reason(
        "An active session was found but it does not fulfill the requested Authenticator \
         Assurance Level. Please verify yourself with a second factor to resolve this issue.",
    )
    .with_details(details)
    .with_extra("redirect_browser_to", Value::String(target))
}

/// Parses the `active` filter as Go's `strconv.ParseBool` does (`1`, `t`, `TRUE`, `0`,
/// `false`, ...); empty or absent means no filter. Anything else is Kratos's 400.
pub fn parse_active(raw: Option<&str>) -> Result<Option<bool>, ApiError> {
    match raw {
        None | Some("") => Ok(None),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(Some(true)),
        Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(Some(false)),
        Some(_) => Err(ApiError::bad_request("could not parse parameter active")),
    }
}

/// Which parts of a session an admin read shows (`expand=identity`, `expand=devices`,
/// case-insensitive, repeatable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionExpand {
    pub identity: bool,
    pub devices: bool,
}

impl SessionExpand {
    /// Everything: what the session endpoints of the identity itself show.
    pub const ALL: SessionExpand = SessionExpand {
        identity: true,
        devices: true,
    };

    /// Reads every `expand` parameter of a query. An unknown value is Kratos's 400.
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut expand = SessionExpand::default();
        for (key, value) in pairs {
            if key != "expand" {
                continue;
            }
            match value.to_ascii_lowercase().as_str() {
                "identity" => expand.identity = true,
                "devices" => expand.devices = true,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "Could not parse expand option: {value}"
                    )));
                }
            }
        }
        Ok(expand)
    }
}

/// The most sessions Kratos lets the legacy `page`/`per_page` parameters enumerate.
pub const LEGACY_PAGINATION_LIMIT: usize = 1000;

/// Where a session listing starts and how much it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingPage {
    pub size: usize,
    /// From a `page_token` sealed under the listing's scope.
    pub cursor: Option<crate::store::PageCursor>,
    /// From Kratos's legacy `page` (zero-based pages of `size`).
    pub skip: usize,
}

/// Reads `page_size`/`page_token` (keyset, preferred) or the legacy `per_page`/`page`.
/// A `page_token` of `1` (the contract's documented default) means the first page.
/// Fails with 400 for a bad size, a token that does not open under `scope`, or a legacy
/// page beyond [`LEGACY_PAGINATION_LIMIT`] sessions.
pub fn listing_page(
    app: &App,
    params: &crate::http::pagination::PageParams,
    max_size: usize,
    scope: &str,
) -> Result<ListingPage, ApiError> {
    let size = params.size(max_size)?;
    let token = params.token().filter(|t| *t != "1");
    if let Some(token) = token {
        let cursor = app.page_tokens.open(scope, token)?;
        return Ok(ListingPage {
            size,
            cursor: Some(cursor),
            skip: 0,
        });
    }
    let skip = match params.page.as_deref().filter(|p| !p.is_empty()) {
        None => 0,
        Some(page) => {
            let page: usize = page
                .trim()
                .parse()
                .map_err(|_| ApiError::bad_request("page must be a non-negative integer"))?;
            let skip = page.saturating_mul(size);
            if skip > LEGACY_PAGINATION_LIMIT {
                return Err(ApiError::bad_request(format!(
                    "Legacy pagination is not supported for enumerating over {LEGACY_PAGINATION_LIMIT} \
                     items. Please switch to using page_token and page_size."
                )));
            }
            skip
        }
    };
    Ok(ListingPage {
        size,
        cursor: None,
        skip,
    })
}

impl From<SessionError> for ApiError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::NoActiveSession { .. } => no_active_session(),
            SessionError::AalNotSatisfied { required, .. } => {
                let id = if required >= Aal::Aal2 {
                    ID_SESSION_AAL2_REQUIRED
                } else {
                    "session_aal1_required"
                };
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "Session does not fulfill the requested Authenticator Assurance Level",
                )
                .with_id(id)
            }
            SessionError::IdentityDisabled(identity) => {
                let mut details = Map::new();
                details.insert("identity_id".into(), json!(identity));
                ApiError::new(StatusCode::UNAUTHORIZED, "identity is disabled")
                    .with_id("unauthorized")
                    .with_reason("This account was disabled.")
                    .with_details(details)
            }
            SessionError::NotFound(_) | SessionError::NoSessions(_) => {
                ApiError::not_found("Unable to locate the resource").with_cause(err)
            }
            SessionError::CurrentSession => {
                ApiError::new(StatusCode::BAD_REQUEST, "cannot revoke current session")
                    .with_id("bad_request")
                    .with_reason("Use the logout flow to end the current session.")
            }
            SessionError::Stale(_) => {
                ApiError::conflict("The session was changed concurrently; retry the request")
                    .with_cause(err)
            }
            SessionError::InvalidCursor => {
                ApiError::bad_request("The page_token is invalid: it belongs to another listing")
            }
            SessionError::Store(store) => store.into(),
        }
    }
}

#[cfg(test)]
mod tests;
