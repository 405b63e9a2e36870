//! The session endpoints of the public API, for the signed-in identity itself:
//!
//! - `GET /sessions/whoami` (any method, as Kratos): the current session, from the
//!   session cookie, `X-Session-Token` or `Authorization: Bearer`. One `BatchGetItem`,
//!   no write.
//! - `GET /sessions`: my other active sessions, newest first, paginated.
//! - `DELETE /sessions`: revoke my other sessions; answers how many.
//! - `DELETE /sessions/{id}`: revoke one of my other sessions (not the current one: the
//!   logout flow ends that).
//! - `GET /sessions/token-exchange?init_code=&return_to_code=`: the session (and its
//!   token) a native app's flow completed with, once (see
//!   `kratos_core::selfservice::exchange`). 1 `GetItem` + 1 `DeleteItem` + 1 `BatchGetItem`.

use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use kratos_core::app::{App, AppState};
use kratos_core::http::pagination::{PageParams, link_header, query_pairs};
use kratos_core::http::request::public_base_url;
use kratos_core::http::session::{
    AUTHENTICATED_IDENTITY_HEADER, RequestSession, SessionExpand, aal2_required, listing_page,
    no_active_session_because, refreshed_session_cookie, session_from_request, session_view,
};
use kratos_core::http::{ApiError, QueryParams, json_response};
use kratos_core::ids::SessionId;
use kratos_core::session::{SessionError, SessionListQuery};
use serde::Deserialize;
use serde_json::json;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/sessions/whoami", any(whoami))
        .route("/sessions", get(list_mine).delete(revoke_others))
        .route("/sessions/{id}", delete(revoke_one))
        .route("/sessions/token-exchange", get(token_exchange))
        .with_state(state)
}

/// How long a client may cache "no session" when caching is on (Kratos: one minute).
const NO_SESSION_CACHE_SECONDS: i64 = 60;
/// The largest page of `GET /sessions` (the contract's maximum `page_size`).
const MAX_PAGE_SIZE: usize = 500;

#[derive(Debug, Deserialize)]
struct WhoamiParams {
    tokenize_as: Option<String>,
}

async fn whoami(
    State(app): State<AppState>,
    headers: HeaderMap,
    QueryParams(params): QueryParams<WhoamiParams>,
) -> Result<Response, ApiError> {
    let caching = app.config.feature_flags.cacheable_sessions;
    let current = match session_from_request(&app, &headers).await {
        Ok(current) => current,
        Err(SessionError::NoActiveSession {
            credentials_missing,
        }) => {
            let mut error =
                no_active_session_because("No valid session credentials found in the request.");
            if caching && credentials_missing {
                error = error.with_header(
                    http::HeaderName::from_static("ory-session-cache-for"),
                    HeaderValue::from(NO_SESSION_CACHE_SECONDS),
                );
            }
            return Err(error);
        }
        Err(other) => return Err(other.into()),
    };
    let public_base = public_base_url(&app, &headers);
    if let Err(SessionError::AalNotSatisfied { .. }) = app.sessions.check_aal(
        &current.session,
        &current.identity,
        app.sessions.settings().whoami_required_aal,
    ) {
        return Err(aal2_required(&public_base, None));
    }
    let tokenize_as = params.tokenize_as.filter(|t| !t.is_empty());
    if let Some(template) = &tokenize_as {
        return Err(tokenize_refusal(&app, template));
    }
    let now = app.clock.now();
    let body = session_view(
        &public_base,
        now,
        &current.session,
        Some(&current.identity),
        None,
        true,
    );
    let mut response = json_response(StatusCode::OK, &body);
    let out = response.headers_mut();
    out.insert(
        AUTHENTICATED_IDENTITY_HEADER,
        HeaderValue::from_str(&current.identity.id.to_string()).expect("a UUID is a header"),
    );
    if caching {
        let left = (current.session.expires_at - now).whole_seconds().max(0);
        out.insert("ory-session-cache-for", HeaderValue::from(left));
    }
    if let Some(cookie) = refreshed_session_cookie(&app, &headers, &current)? {
        out.append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Kratos answers an unknown template with 400; tokenization itself is not implemented
/// here, so a configured template is refused with 400 as well.
fn tokenize_refusal(app: &App, template: &str) -> ApiError {
    if app
        .config
        .session
        .whoami
        .tokenizer
        .templates
        .contains_key(template)
    {
        ApiError::bad_request(format!(
            "Tokenizer template \"{template}\" is configured, but session tokenization is not supported by this deployment."
        ))
    } else {
        ApiError::bad_request(format!("Unable to find tokenizer template \"{template}\"."))
    }
}

/// The caller's session, or Kratos's 401 for these endpoints.
async fn caller(app: &App, headers: &HeaderMap) -> Result<RequestSession, ApiError> {
    session_from_request(app, headers)
        .await
        .map_err(|e| match e {
            SessionError::NoActiveSession { .. } => {
                no_active_session_because("No valid session cookie found.")
            }
            other => other.into(),
        })
}

async fn list_mine(
    State(app): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Response, ApiError> {
    let current = caller(&app, &headers).await?;
    let scope = format!("my-sessions:{}", current.identity.id);
    let page = listing_page(&app, &params, MAX_PAGE_SIZE, &scope)?;
    let listed = app
        .sessions
        .store()
        .list_by_identity(
            current.identity.id,
            &SessionListQuery {
                page_size: page.size,
                cursor: page.cursor,
                active: Some(true),
                except: Some(current.session.id),
                skip: page.skip,
            },
        )
        .await?;
    let public_base = public_base_url(&app, &headers);
    let now = app.clock.now();
    let expand = SessionExpand::ALL;
    let body: Vec<_> = listed
        .sessions
        .iter()
        .map(|s| {
            session_view(
                &public_base,
                now,
                s,
                expand.identity.then_some(&current.identity),
                Some(current.identity.is_active()),
                expand.devices,
            )
        })
        .collect();
    let next = listed.next.map(|c| app.page_tokens.seal(&scope, &c));
    let mut response = json_response(StatusCode::OK, &body);
    response.headers_mut().insert(
        header::LINK,
        link_header(uri.path(), &query_pairs(&uri), page.size, next.as_deref()),
    );
    Ok(response)
}

async fn revoke_others(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let current = caller(&app, &headers).await?;
    let count = app
        .sessions
        .store()
        .revoke_all_except(current.identity.id, Some(current.session.id))
        .await?;
    Ok(json_response(StatusCode::OK, &json!({ "count": count })))
}

async fn revoke_one(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let current = caller(&app, &headers).await?;
    let id: SessionId = id
        .parse()
        .map_err(|e| ApiError::bad_request(format!("could not parse UUID: {e}")))?;
    if id == current.session.id {
        return Err(SessionError::CurrentSession.into());
    }
    // Another identity's session, or none at all, is answered like a success (Kratos).
    app.sessions
        .store()
        .revoke_of_identity(current.identity.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
struct ExchangeParams {
    init_code: Option<String>,
    return_to_code: Option<String>,
}

/// `GET /sessions/token-exchange`: 200 with the session and its token; 400 without both
/// codes; 404 when they name no completed, unused exchange.
async fn token_exchange(
    State(app): State<AppState>,
    headers: HeaderMap,
    QueryParams(params): QueryParams<ExchangeParams>,
) -> Result<Response, ApiError> {
    use kratos_core::selfservice::exchange::{ExchangeError, TokenExchanges};
    let (Some(init_code), Some(return_to_code)) = (
        params.init_code.filter(|c| !c.is_empty()),
        params.return_to_code.filter(|c| !c.is_empty()),
    ) else {
        return Err(ApiError::bad_request(
            "\"init_code\" and \"return_to_code\" query params must be set",
        ));
    };
    let not_found = || ApiError::not_found("no session yet for this \"code\"");
    let (_, token) = TokenExchanges::new(app.table.clone(), &app.exchange_sealer)
        .exchange(&init_code, &return_to_code)
        .await
        .map_err(|e| match e {
            ExchangeError::NotFound => not_found(),
            ExchangeError::Store(store) => store.into(),
            other => ApiError::internal(other),
        })?;
    let token = kratos_core::session::SessionToken::parse(token.expose()).ok_or_else(not_found)?;
    let (session, identity) = match app.sessions.authenticate(&token).await {
        Ok(found) => found,
        Err(SessionError::NoActiveSession { .. }) => return Err(not_found()),
        Err(other) => return Err(other.into()),
    };
    let view = session_view(
        &public_base_url(&app, &headers),
        app.clock.now(),
        &session,
        Some(&identity),
        Some(identity.is_active()),
        true,
    );
    Ok(json_response(
        StatusCode::OK,
        &json!({ "session": view, "session_token": token.expose() }),
    ))
}
