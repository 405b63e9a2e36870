//! `GET /schemas` and `GET /schemas/{id}`: the configured identity schemas.

use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{StatusCode, header};
use kratos_core::app::AppState;
use kratos_core::http::pagination::{PageParams, link_header, query_pairs};
use kratos_core::http::{ApiError, QueryParams, json_response};
use kratos_core::store::PageCursor;
use serde_json::json;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/schemas", get(list))
        .route("/schemas/{id}", get(fetch))
        .with_state(state)
}

/// The listing's name inside sealed page tokens.
const LISTING: &str = "schemas";
const MAX_PAGE_SIZE: usize = 500;

async fn list(
    State(app): State<AppState>,
    OriginalUri(uri): OriginalUri,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Response, ApiError> {
    let size = params.size(MAX_PAGE_SIZE)?;
    let all: Vec<_> = app.schemas.all().collect();
    let start = match (params.token(), params.page.as_deref()) {
        (Some(token), _) => {
            let cursor = app.page_tokens.open(LISTING, token)?;
            all.iter()
                .position(|s| s.id.as_str() > cursor.index_sk.as_str())
                .unwrap_or(all.len())
        }
        // The legacy `page` parameter counts pages from zero.
        (None, Some(page)) if !page.is_empty() => {
            let page: usize = page
                .parse()
                .map_err(|_| ApiError::bad_request("page must be a non-negative integer"))?;
            page.saturating_mul(size).min(all.len())
        }
        _ => 0,
    };
    let page: Vec<_> = all.iter().skip(start).take(size).collect();
    let next = (start + page.len() < all.len())
        .then(|| page.last())
        .flatten()
        .map(|last| {
            app.page_tokens.seal(
                LISTING,
                &PageCursor {
                    index_pk: LISTING.into(),
                    index_sk: last.id.clone(),
                    pk: String::new(),
                    sk: String::new(),
                },
            )
        });
    let body: Vec<_> = page
        .iter()
        .map(|s| json!({ "id": s.id, "schema": s.document }))
        .collect();
    let query = query_pairs(&uri);
    let mut response = json_response(StatusCode::OK, &body);
    response.headers_mut().insert(
        header::LINK,
        link_header(uri.path(), &query, size, next.as_deref()),
    );
    response
        .headers_mut()
        .insert("x-total-count", http::HeaderValue::from(all.len()));
    Ok(response)
}

/// The raw schema document, by ID or by the base64 ID that `schema_url` links carry.
async fn fetch(State(app): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    match app.schemas.find(&id) {
        Some(schema) => Ok(json_response(StatusCode::OK, &schema.document)),
        None => Err(ApiError::not_found(format!(
            "Identity schema `{id}` does not exist"
        ))),
    }
    .map(IntoResponse::into_response)
}
