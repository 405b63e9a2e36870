//! Logout: `GET /self-service/logout/browser` (the logout URL and token of the browser's
//! session), `GET /self-service/logout?token=` (ends it) and `DELETE
//! /self-service/logout/api` (ends a native app's session by its token).
//!
//! Requests: creating the logout URL is whoami's read (1 BatchGetItem); logging out is that
//! read plus 1 conditional PutItem (the session marked revoked); the native logout is 1
//! GetItem plus 1 conditional PutItem (none when the session was already revoked).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use kratos_core::app::{App, AppState};
use kratos_core::crypto::constant_time_eq;
use kratos_core::flow::join_path;
use kratos_core::flow::return_to::ReturnToPolicy;
use kratos_core::http::cookies::{CookieLifetime, CookieSettings, set_cookie};
use kratos_core::http::csrf::csrf_cookie_name_for;
use kratos_core::http::selfservice::{SelfServiceRequest, json, redirect, with_cookies};
use kratos_core::http::session::{clear_session_cookie, session_from_request};
use kratos_core::http::{ApiError, JsonBody, QueryParams};
use kratos_core::session::{SessionError, SessionToken};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::common::{self, Query, param};

/// Where the browser goes after logging out: the allowed `return_to`, else
/// `selfservice.flows.logout.after.default_browser_return_url`, else the default.
fn after_logout(
    app: &App,
    request: &SelfServiceRequest,
    requested: Option<&str>,
) -> Result<Url, ApiError> {
    let policy = ReturnToPolicy::from_config(&app.config, &request.public_base(app));
    let default = app
        .config
        .selfservice
        .flows
        .logout
        .after
        .default_browser_return_url
        .clone()
        .unwrap_or_else(|| policy.default_url().clone());
    Ok(policy.resolve_with_default(requested.filter(|r| !r.is_empty()), &default)?)
}

/// `GET /self-service/logout/browser`.
pub async fn browser(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    let result = async {
        let current = session_from_request(&app, &request.headers).await?;
        let return_to = match param(&query, "return_to").filter(|r| !r.is_empty()) {
            Some(requested) => Some(after_logout(&app, &request, Some(requested))?),
            None => None,
        };
        let token = app.sessions.logout_token(&current.session);
        let mut url = join_path(&request.public_base(&app), "/self-service/logout");
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("token", token.expose());
            if let Some(return_to) = &return_to {
                pairs.append_pair("return_to", return_to.as_str());
            }
        }
        Ok::<_, ApiError>(json(
            StatusCode::OK,
            &json!({ "logout_url": url.as_str(), "logout_token": token.expose() }),
            &[],
        ))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(error) => common::forward(&app, &request, error).await,
    }
}

/// `GET /self-service/logout?token=&return_to=`: ends the browser's session if `token`
/// is its logout token; 303 to `return_to` (or the default), 204 for scripts. A token used
/// again finds no session any more: 401, as in Kratos.
pub async fn logout(
    State(app): State<AppState>,
    request: SelfServiceRequest,
    QueryParams(query): QueryParams<Query>,
) -> Response {
    let result = async {
        let expected = param(&query, "token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::bad_request("Please include a token in the URL query."))?;
        let mut current = session_from_request(&app, &request.headers).await?;
        let token = app.sessions.logout_token(&current.session);
        if !constant_time_eq(token.expose().as_bytes(), expected.as_bytes()) {
            return Err(ApiError::forbidden(
                "Unable to log out because the logout token in the URL query does not match \
                 the session cookie.",
            ));
        }
        current.session.active = false;
        app.sessions.store().update(&mut current.session).await?;
        tracing::info!(session.id = %current.session.id, "logged out");
        let mut cookies = vec![clear_session_cookie(&app, &request.headers)?];
        cookies.push(fresh_csrf_cookie(&app, &request)?);
        let target = after_logout(&app, &request, param(&query, "return_to"))?;
        Ok::<_, ApiError>((target, cookies))
    }
    .await;
    match result {
        Ok((_, cookies)) if request.wants_json() => {
            with_cookies(StatusCode::NO_CONTENT.into_response(), &cookies)
        }
        Ok((target, cookies)) => redirect(target.as_str(), &cookies),
        Err(error) => common::forward(&app, &request, error).await,
    }
}

/// A new anti-CSRF cookie: a logged-out browser starts afresh, as Kratos regenerates its
/// token on logout.
fn fresh_csrf_cookie(app: &App, request: &SelfServiceRequest) -> Result<HeaderValue, ApiError> {
    let public = request.public_base(app);
    let issue = app.csrf.issue(None);
    let value = issue.new_cookie.ok_or_else(|| {
        ApiError::internal(std::io::Error::other("no new anti-CSRF cookie was made"))
    })?;
    Ok(set_cookie(
        &csrf_cookie_name_for(&public),
        value.expose(),
        &CookieSettings::general(&app.config, &public),
        CookieLifetime::MaxAge(kratos_core::flow::csrf::CSRF_COOKIE_MAX_AGE),
    )?)
}

#[derive(Debug, Deserialize)]
pub struct NativeLogout {
    session_token: String,
}

/// `DELETE /self-service/logout/api` with `{"session_token": ...}`: 204, or 403 when the
/// token belongs to no session.
pub async fn api(
    State(app): State<AppState>,
    JsonBody(body): JsonBody<NativeLogout>,
) -> Result<StatusCode, ApiError> {
    let unknown = || {
        ApiError::forbidden(
            "The provided Ory Session Token could not be found, is invalid, or otherwise \
             malformed.",
        )
    };
    let token = SessionToken::parse(&body.session_token).ok_or_else(unknown)?;
    let store = app.sessions.store();
    let mut session = match store.get(token.session_id()).await {
        Ok(session) => session,
        Err(SessionError::NotFound(_)) => return Err(unknown()),
        Err(other) => return Err(other.into()),
    };
    if !session.token_matches(&token) {
        return Err(unknown());
    }
    if session.active {
        session.active = false;
        match store.update(&mut session).await {
            Ok(()) | Err(SessionError::NotFound(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    tracing::info!(session.id = %session.id, "native logout");
    Ok(StatusCode::NO_CONTENT)
}
