//! The admin identity API (`/admin/identities...`): create (with credential import),
//! batch create, get, list, replace, JSON Patch, delete, and removal of one credential,
//! answering as Kratos v1.3 does. Handlers parse the request, call
//! [`kratos_core::identity::IdentityManager`] or the identity store, and shape the answer.
//!
//! The identity sessions routes (`/admin/identities/{id}/sessions`) and admin recovery are
//! served by other routers merged next to this one.

use std::collections::HashMap;

use axum::extract::{DefaultBodyLimit, FromRequestParts, OriginalUri, Path, State};
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Router, middleware};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use kratos_core::app::{App, AppState};
use kratos_core::http::error::PAGE_TOKEN_INVALID;
use kratos_core::http::extract::decode_json;
use kratos_core::http::identity::{creation_error, identity_not_found};
use kratos_core::http::pagination::{go_query_escape, keyset_link_header, query_pairs};
use kratos_core::http::{ApiError, RawBody, json_response};
use kratos_core::identity::DEFAULT_PAGE_SIZE;
use kratos_core::identity::{
    CreateIdentityBody, CredentialsType, Identity, IdentityPage, IdentityView, ImportError,
    ListQuery, UpdateIdentityBody, ViewOptions,
};
use kratos_core::ids::IdentityId;
use kratos_core::schema::schema_url;
use kratos_core::store::PageCursor;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The largest batch body: 2000 identities with hashes and traits fit; Lambda's own
/// request limit is 6 MB.
pub const BATCH_BODY_BYTES: usize = 5 * 1024 * 1024;
/// The largest page; larger `page_size`s are served at this size (the contract's maximum).
pub const MAX_PAGE_SIZE: usize = 500;
/// Legacy `page`/`per_page` pagination reaches at most this many identities, as in Kratos.
pub const LEGACY_PAGINATION_LIMIT: usize = 1000;
/// The page token Kratos's identity listing starts from (its `rel="first"` link carries
/// it); accepted as "from the beginning".
pub const FIRST_PAGE_TOKEN: &str = "00000000-0000-0000-0000-000000000000";

/// Everything API Gateway routes to the `admin-identities` Lambda: this crate's routes plus
/// `/admin/identities/{id}/sessions` (served by the sessions code) and `/admin/recovery/*`
/// (served by the recovery code). The local server merges the same routers itself.
pub fn lambda_router(state: AppState) -> Router {
    router(state.clone())
        .merge(fn_admin_sessions::identity_sessions_router(state.clone()))
        .merge(fn_admin_recovery::router(state))
}

/// The identity-management routes of this crate.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/admin/identities",
            get(list)
                .post(create)
                .patch(batch_patch.layer(DefaultBodyLimit::max(BATCH_BODY_BYTES))),
        )
        .route(
            "/admin/identities/{id}",
            get(fetch).put(update).patch(patch).delete(remove),
        )
        .route(
            "/admin/identities/{id}/credentials/{type}",
            delete(remove_credentials),
        )
        .layer(middleware::map_response(no_cache))
        .with_state(state)
}

/// Kratos marks every admin answer uncacheable; identities hold personal data.
async fn no_cache(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache, no-store, must-revalidate"),
    );
    response
}

/// Kratos reads a malformed ID as the nil UUID, which no identity has: 404.
fn identity_id(raw: &str) -> Result<IdentityId, ApiError> {
    raw.parse().map_err(|_| identity_not_found())
}

/// The path's parameters; a path that does not decode names no identity (404).
struct PathParams(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(params)| PathParams(params))
            .map_err(|_| identity_not_found())
    }
}

impl PathParams {
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }

    fn identity(&self) -> Result<IdentityId, ApiError> {
        identity_id(self.get("id"))
    }
}

fn schema_url_of(app: &App, schema_id: &str) -> String {
    schema_url(&app.public_base_url, schema_id)
}

/// An identity as create, update and patch answer it: every credential, no configs.
fn written_view(app: &App, identity: &Identity) -> IdentityView {
    identity.view(
        schema_url_of(app, &identity.schema_id),
        &ViewOptions::admin_with_credentials(&[], None),
    )
}

/// An identity as a read shows it, credentials and configs as `include` asks.
fn read_view(
    app: &App,
    identity: &Identity,
    credentials: Option<&[CredentialsType]>,
) -> IdentityView {
    let open = |sealed: &str| app.open_credential_token(sealed);
    let options = match credentials {
        Some(declassify) => ViewOptions::admin_with_credentials(declassify, Some(&open)),
        None => ViewOptions::admin(),
    };
    identity.view(schema_url_of(app, &identity.schema_id), &options)
}

/// `include_credential` values; an unknown one is a 400, as in Kratos.
fn include_credential(params: &[(String, String)]) -> Result<Vec<CredentialsType>, ApiError> {
    params
        .iter()
        .filter(|(key, _)| key == "include_credential")
        .map(|(_, value)| {
            CredentialsType::parse_include_credential(value).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid value `{value}` for parameter `include_credential`."
                ))
            })
        })
        .collect()
}

// ---- create -------------------------------------------------------------------------

async fn create(State(app): State<AppState>, RawBody(body): RawBody) -> Result<Response, ApiError> {
    // Kratos decodes this body strictly (unknown fields refused) and puts the decoder's
    // error in the message.
    let body: CreateIdentityBody = decode_json(&body, true).map_err(malformed_body)?;
    let identity = app
        .identity_manager()
        .create(body)
        .await
        .map_err(creation_error)?;
    let mut response = json_response(StatusCode::CREATED, &written_view(&app, &identity));
    if let Ok(location) = HeaderValue::from_str(&format!(
        "{}/admin/identities/{}",
        app.admin_base_url.as_str().trim_end_matches('/'),
        identity.id
    )) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn malformed_body(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message).with_id("bad_request")
}

// ---- batch ----------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct BatchBody {
    #[serde(default)]
    identities: Option<Vec<Option<BatchItem>>>,
}

#[derive(Debug, Deserialize)]
struct BatchItem {
    #[serde(default)]
    create: Option<CreateIdentityBody>,
    #[serde(default)]
    patch_id: Option<uuid::Uuid>,
}

#[derive(Debug, Serialize)]
struct BatchResult {
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<IdentityId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch_id: Option<uuid::Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Value>,
}

async fn batch_patch(
    State(app): State<AppState>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let body: BatchBody = decode_json(&body, true).map_err(malformed_body)?;
    let items = body.identities.unwrap_or_default();
    let patch_ids: Vec<Option<uuid::Uuid>> = items
        .iter()
        .map(|item| item.as_ref().and_then(|i| i.patch_id))
        .collect();
    let creates: Vec<Option<CreateIdentityBody>> = items
        .into_iter()
        .map(|item| item.and_then(|i| i.create))
        .collect();
    let outcomes = app.identity_manager().create_many(creates).await?;
    let results: Vec<Option<BatchResult>> = outcomes
        .into_iter()
        .zip(patch_ids)
        .map(|(outcome, patch_id)| {
            outcome.map(|result| match result {
                Ok(identity) => BatchResult {
                    action: "create",
                    identity: Some(identity.id),
                    patch_id,
                    error: None,
                },
                Err(error) => BatchResult {
                    action: "error",
                    identity: None,
                    patch_id,
                    error: Some(batch_error(error)),
                },
            })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "identities": results }),
    ))
}

/// One item's failure, as the `error` object of Kratos's error format.
fn batch_error(error: ImportError) -> Value {
    let api = creation_error(error);
    if api.status.is_server_error() {
        tracing::error!(error = %api, cause = ?api.cause, "a batch item failed");
    }
    api.body()["error"].clone()
}

// ---- get ------------------------------------------------------------------------------

async fn fetch(
    State(app): State<AppState>,
    path: PathParams,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let id = path.identity()?;
    let identity = app.identities().get(id).await?;
    let declassify = include_credential(&query_pairs(&uri))?;
    Ok(json_response(
        StatusCode::OK,
        &read_view(&app, &identity, Some(&declassify)),
    ))
}

// ---- list -----------------------------------------------------------------------------

/// How a listing is paginated.
enum Pagination {
    /// `page_size`/`page_token` (or `per_page` alone, read as `page_size`).
    Keyset {
        size: usize,
        token: Option<String>,
        /// `per_page` became the page size and leaves the links, as in Kratos.
        drop_per_page: bool,
    },
    /// Kratos's legacy offset pagination (`page`, `per_page`).
    Legacy { page: usize, per_page: usize },
}

fn first_non_empty<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .find(|value| !value.is_empty())
}

fn pagination(params: &[(String, String)]) -> Result<Pagination, ApiError> {
    let has = |name: &str| params.iter().any(|(key, _)| key == name);
    let keyset = |size: Option<&str>, drop_per_page: bool| {
        let size = match size {
            None => DEFAULT_PAGE_SIZE,
            Some(text) => {
                let size: i64 = text.trim().parse().map_err(|_| {
                    ApiError::bad_request(format!(
                        "The page_size must be an integer, got `{text}`."
                    ))
                })?;
                match size {
                    0 => DEFAULT_PAGE_SIZE,
                    size if size < 0 => {
                        return Err(ApiError::bad_request("The page_size must not be negative."));
                    }
                    size => usize::try_from(size)
                        .unwrap_or(MAX_PAGE_SIZE)
                        .min(MAX_PAGE_SIZE),
                }
            }
        };
        Ok(Pagination::Keyset {
            size,
            token: first_non_empty(params, "page_token").map(str::to_owned),
            drop_per_page,
        })
    };
    if has("page_token") || has("page_size") {
        return keyset(first_non_empty(params, "page_size"), false);
    }
    if has("page") {
        // Kratos reads these leniently: unreadable numbers fall back to the defaults.
        let number =
            |name: &str| first_non_empty(params, name).and_then(|v| v.trim().parse::<i64>().ok());
        let page = number("page").unwrap_or(0).max(0) as usize;
        let per_page = number("per_page")
            .unwrap_or(DEFAULT_PAGE_SIZE as i64)
            .clamp(1, MAX_PAGE_SIZE as i64) as usize;
        if page.saturating_mul(per_page) > LEGACY_PAGINATION_LIMIT {
            return Err(ApiError::bad_request(format!(
                "Legacy pagination is not supported for enumerating over {LEGACY_PAGINATION_LIMIT} items. Please switch to using page_token and page_size."
            )));
        }
        return Ok(Pagination::Legacy { page, per_page });
    }
    if has("per_page") {
        return keyset(first_non_empty(params, "per_page"), true);
    }
    keyset(None, false)
}

async fn list(
    State(app): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let params = query_pairs(&uri);
    let declassify = include_credential(&params)?;
    let mut ids = Vec::new();
    for (_, value) in params.iter().filter(|(key, _)| key == "ids") {
        ids.push(value.parse::<IdentityId>().map_err(|_| {
            ApiError::bad_request(format!("Invalid UUID value `{value}` for parameter `ids`."))
        })?);
    }
    let exact = first_non_empty(&params, "credentials_identifier").map(str::to_owned);
    let similar =
        first_non_empty(&params, "preview_credentials_identifier_similar").map(str::to_owned);
    if exact.is_some() && similar.is_some() {
        return Err(kratos_core::identity::ListError::ConflictingIdentifierFilters.into());
    }
    // `consistency` is accepted and needs nothing: see docs/data-model.md.
    let with_credentials = exact.is_some() || similar.is_some() || !declassify.is_empty();
    let mut sorted_ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    sorted_ids.sort();
    sorted_ids.dedup();
    // A token is only good for the listing (filters included) that issued it.
    let scope = json!(["identities", sorted_ids, exact, similar]).to_string();
    let query = ListQuery {
        page_size: DEFAULT_PAGE_SIZE,
        cursor: None,
        ids: (!ids.is_empty()).then_some(ids),
        credentials_identifier: exact,
        credentials_identifier_similar: similar,
    };
    let store = app.identities();
    let (identities, link) = match pagination(&params)? {
        Pagination::Keyset {
            size,
            token,
            drop_per_page,
        } => {
            let cursor = match token.as_deref() {
                None | Some(FIRST_PAGE_TOKEN) => None,
                Some(token) => Some(
                    app.page_tokens
                        .open(&scope, token)
                        .map_err(|e| ApiError::bad_request(PAGE_TOKEN_INVALID).with_cause(e))?,
                ),
            };
            let page = store
                .list(&ListQuery {
                    page_size: size,
                    cursor,
                    ..query
                })
                .await?;
            let next = page.next.as_ref().map(|c| app.page_tokens.seal(&scope, c));
            let kept: Vec<(String, String)> = params
                .iter()
                .filter(|(key, _)| !(drop_per_page && key == "per_page"))
                .cloned()
                .collect();
            let link =
                keyset_link_header(uri.path(), &kept, size, FIRST_PAGE_TOKEN, next.as_deref());
            (page.identities, link)
        }
        Pagination::Legacy { page, per_page } => {
            let (identities, more) = legacy_page(&store, query, page, per_page).await?;
            let link = legacy_link_header(uri.path(), &params, page, per_page, more);
            (identities, link)
        }
    };
    let credentials = with_credentials.then_some(declassify.as_slice());
    let body: Vec<IdentityView> = identities
        .iter()
        .map(|identity| read_view(&app, identity, credentials))
        .collect();
    let mut response = json_response(StatusCode::OK, &body);
    response.headers_mut().insert(header::LINK, link);
    Ok(response)
}

/// The `page`-th page of `per_page` identities, and whether more follow. Reads the listing
/// from its start (at most [`LEGACY_PAGINATION_LIMIT`] + `per_page` + 1 identities).
async fn legacy_page(
    store: &kratos_core::identity::IdentityStore,
    query: ListQuery,
    page: usize,
    per_page: usize,
) -> Result<(Vec<Identity>, bool), ApiError> {
    let wanted = page * per_page + per_page + 1;
    let mut seen: Vec<Identity> = Vec::new();
    let mut cursor: Option<PageCursor> = None;
    loop {
        let IdentityPage { identities, next } = store
            .list(&ListQuery {
                page_size: wanted - seen.len(),
                cursor: cursor.clone(),
                ..query.clone()
            })
            .await?;
        seen.extend(identities);
        match next {
            Some(next) if seen.len() < wanted => cursor = Some(next),
            _ => break,
        }
    }
    let more = seen.len() > page * per_page + per_page;
    let identities = seen
        .into_iter()
        .skip(page * per_page)
        .take(per_page)
        .collect();
    Ok((identities, more))
}

/// Links of a legacy page, in Kratos's `page`/`per_page` form: `first`, `next` when more
/// identities follow, `prev` after the first page. (Kratos also sends `last` and
/// `X-Total-Count`, which need a count of every identity; see docs/admin-identities.md.)
fn legacy_link_header(
    path: &str,
    params: &[(String, String)],
    page: usize,
    per_page: usize,
    more: bool,
) -> HeaderValue {
    let link = |target: usize, rel: &str| {
        let mut pairs: Vec<(String, String)> = params
            .iter()
            .filter(|(key, _)| key != "page" && key != "per_page")
            .cloned()
            .collect();
        pairs.push(("page".into(), target.to_string()));
        pairs.push(("per_page".into(), per_page.to_string()));
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", go_query_escape(k), go_query_escape(v)))
            .collect();
        format!("<{path}?{}>; rel=\"{rel}\"", query.join("&"))
    };
    let mut links = vec![link(0, "first")];
    if more {
        links.push(link(page + 1, "next"));
    }
    if page > 0 {
        links.push(link(page - 1, "prev"));
    }
    HeaderValue::from_str(&links.join(",")).unwrap_or_else(|_| HeaderValue::from_static(""))
}

// ---- update ---------------------------------------------------------------------------

async fn update(
    State(app): State<AppState>,
    path: PathParams,
    headers: http::HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    // Kratos decodes this body leniently (unknown fields ignored) but insists on JSON.
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "Unable to decode HTTP Request Body because its HTTP Header \"Content-Length\" is zero.",
        ));
    }
    if !json {
        let given = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        return Err(ApiError::bad_request(format!(
            "HTTP PUT Request used unknown HTTP Header \"Content-Type: {given}\", only [application/json] are supported."
        )));
    }
    let body: UpdateIdentityBody = decode_json(&body, false)
        .map_err(|e| ApiError::bad_request(format!("Unable to decode JSON payload: {e}")))?;
    let id = path.identity()?;
    let identity = app.identity_manager().replace(id, body).await?;
    Ok(json_response(
        StatusCode::OK,
        &written_view(&app, &identity),
    ))
}

// ---- patch ----------------------------------------------------------------------------

async fn patch(
    State(app): State<AppState>,
    path: PathParams,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let id = path.identity()?;
    let identity = app
        .identity_manager()
        .patch(id, &body, |schema_id| schema_url_of(&app, schema_id))
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &written_view(&app, &identity),
    ))
}

// ---- delete ---------------------------------------------------------------------------

async fn remove(State(app): State<AppState>, path: PathParams) -> Result<Response, ApiError> {
    let id = path.identity()?;
    app.identities().delete(id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn remove_credentials(
    State(app): State<AppState>,
    path: PathParams,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let id = path.identity()?;
    let params = query_pairs(&uri);
    let identifier = params
        .iter()
        .find(|(key, _)| key == "identifier")
        .map(|(_, value)| value.as_str());
    app.identity_manager()
        .remove_credentials(id, path.get("type"), identifier)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
