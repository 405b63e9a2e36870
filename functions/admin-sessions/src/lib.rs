//! The session endpoints of the admin API:
//!
//! - `GET /admin/sessions`: every session, newest first, keyset-paginated, with the
//!   `active` filter and `expand=identity|devices`.
//! - `GET /admin/sessions/{id}` (`expand` likewise), `DELETE /admin/sessions/{id}`
//!   (revoke), `PATCH /admin/sessions/{id}/extend`.
//! - [`identity_sessions_router`]: `GET` and `DELETE /admin/identities/{id}/sessions`,
//!   which API Gateway routes to the `admin-identities` function; that function merges
//!   this router.
//!
//! As in Kratos, `GET /admin/sessions/whoami` and `DELETE /admin/sessions` redirect (307)
//! to the public API.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use http::{HeaderValue, StatusCode, Uri, header};
use kratos_core::app::{App, AppState};
use kratos_core::http::pagination::{PageParams, link_header, query_pairs};
use kratos_core::http::session::{SessionExpand, listing_page, parse_active, session_view};
use kratos_core::http::{ApiError, QueryParams, json_response};
use kratos_core::identity::{Identity, IdentityError};
use kratos_core::ids::{IdentityId, SessionId};
use kratos_core::session::{Extension, Session, SessionListQuery};
use serde::Deserialize;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/admin/sessions", get(list).delete(to_public))
        .route("/admin/sessions/{id}", get(fetch).delete(disable))
        .route("/admin/sessions/{id}/extend", patch(extend))
        .with_state(state)
}

/// `GET` and `DELETE /admin/identities/{id}/sessions`.
pub fn identity_sessions_router(state: AppState) -> Router {
    Router::new()
        .route(
            "/admin/identities/{id}/sessions",
            get(list_of_identity).delete(delete_of_identity),
        )
        .with_state(state)
}

/// The largest page of `GET /admin/sessions`.
const MAX_PAGE_SIZE: usize = 1000;
/// The largest page of `GET /admin/identities/{id}/sessions` (the contract's maximum).
const MAX_IDENTITY_PAGE_SIZE: usize = 500;

#[derive(Debug, Deserialize)]
struct ListParams {
    active: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

fn session_id(raw: &str) -> Result<SessionId, ApiError> {
    raw.parse()
        .map_err(|e| ApiError::bad_request(format!("could not parse UUID: {e}")))
}

fn identity_id(raw: &str) -> Result<IdentityId, ApiError> {
    raw.parse()
        .map_err(|e| ApiError::bad_request(format!("could not parse UUID: {e}")))
}

/// The public-API equivalent of an admin path (Kratos strips `/admin`), with the query.
fn to_public_location(app: &App, uri: &Uri) -> Response {
    let path = uri.path().strip_prefix("/admin").unwrap_or(uri.path());
    let mut target = app.public_base_url.clone();
    target.set_path(&format!(
        "{}{path}",
        app.public_base_url.path().trim_end_matches('/')
    ));
    target.set_query(uri.query());
    match HeaderValue::from_str(target.as_str()) {
        Ok(location) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn to_public(State(app): State<AppState>, OriginalUri(uri): OriginalUri) -> Response {
    to_public_location(&app, &uri)
}

/// The sessions' views, with their identities read in one `BatchGetItem` per 100 when
/// `expand=identity`.
async fn views(
    app: &App,
    sessions: &[Session],
    expand: SessionExpand,
) -> Result<Vec<kratos_core::session::SessionView>, ApiError> {
    let identities: HashMap<IdentityId, Identity> = if expand.identity && !sessions.is_empty() {
        let ids: Vec<IdentityId> = sessions.iter().map(|s| s.identity_id).collect();
        app.identities()
            .get_many(&ids)
            .await
            .map_err(|e| match e {
                IdentityError::Store(store) => ApiError::from(store),
                other => ApiError::internal(other),
            })?
            .into_iter()
            .map(|i| (i.id, i))
            .collect()
    } else {
        HashMap::new()
    };
    let now = app.clock.now();
    Ok(sessions
        .iter()
        .map(|s| {
            let identity = identities.get(&s.identity_id);
            session_view(
                &app.public_base_url,
                now,
                s,
                identity,
                identity.map(Identity::is_active),
                expand.devices,
            )
        })
        .collect())
}

async fn list(
    State(app): State<AppState>,
    OriginalUri(uri): OriginalUri,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(&uri);
    let active = parse_active(params.active.as_deref())?;
    let expand = SessionExpand::from_query(&pairs)?;
    let scope = format!("sessions:{active:?}");
    let page = listing_page(&app, &params.page, MAX_PAGE_SIZE, &scope)?;
    if page.skip > 0 {
        return Err(ApiError::bad_request(
            "This listing is paginated with page_token and page_size only.",
        ));
    }
    let listed = app
        .sessions
        .store()
        .list(&SessionListQuery {
            page_size: page.size,
            cursor: page.cursor,
            active,
            except: None,
            skip: 0,
        })
        .await?;
    let body = views(&app, &listed.sessions, expand).await?;
    let next = listed.next.map(|c| app.page_tokens.seal(&scope, &c));
    let mut response = json_response(StatusCode::OK, &body);
    response.headers_mut().insert(
        header::LINK,
        link_header(uri.path(), &pairs, page.size, next.as_deref()),
    );
    Ok(response)
}

async fn fetch(
    State(app): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if id == "whoami" {
        return Ok(to_public_location(&app, &uri));
    }
    let id = session_id(&id)?;
    let expand = SessionExpand::from_query(&query_pairs(&uri))?;
    let session = app.sessions.store().get(id).await?;
    let body = views(&app, std::slice::from_ref(&session), expand).await?;
    Ok(json_response(StatusCode::OK, &body[0]))
}

async fn disable(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = session_id(&id)?;
    app.sessions.store().revoke(id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Kratos v1.3 answers 200 with the session (identity expanded) unless
/// `feature_flags.faster_session_extend` is on, then 204. A session not yet due for
/// extension (`session.earliest_possible_extend`) is answered the same, unchanged.
async fn extend(State(app): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = session_id(&id)?;
    let extension = app.sessions.extend(id).await?;
    if app.config.feature_flags.faster_session_extend {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let session = match extension {
        Extension::Extended(s) | Extension::TooEarly(s) => s,
    };
    let expand = SessionExpand {
        identity: true,
        devices: false,
    };
    let body = views(&app, std::slice::from_ref(&session), expand).await?;
    Ok(json_response(StatusCode::OK, &body[0]))
}

async fn list_of_identity(
    State(app): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Response, ApiError> {
    let identity = identity_id(&id)?;
    let active = parse_active(params.active.as_deref())?;
    let scope = format!("identity-sessions:{identity}:{active:?}");
    let page = listing_page(&app, &params.page, MAX_IDENTITY_PAGE_SIZE, &scope)?;
    let listed = app
        .sessions
        .store()
        .list_by_identity(
            identity,
            &SessionListQuery {
                page_size: page.size,
                cursor: page.cursor,
                active,
                except: None,
                skip: page.skip,
            },
        )
        .await?;
    // Kratos shows these sessions fully expanded; they share one identity.
    let body = views(&app, &listed.sessions, SessionExpand::ALL).await?;
    let next = listed.next.map(|c| app.page_tokens.seal(&scope, &c));
    let mut response = json_response(StatusCode::OK, &body);
    response.headers_mut().insert(
        header::LINK,
        link_header(uri.path(), &query_pairs(&uri), page.size, next.as_deref()),
    );
    Ok(response)
}

async fn delete_of_identity(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let identity = identity_id(&id)?;
    app.sessions.store().delete_by_identity(identity).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
