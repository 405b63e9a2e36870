//! `GET /admin/courier/messages` and `GET /admin/courier/messages/{id}`: the courier's
//! messages as Kratos's admin API shows them. Bodies are shown only in dev mode (`dev:
//! true`), as Kratos does; everywhere else they read `<redacted-unless-dev-mode>`.

use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::response::Response;
use axum::routing::get;
use http::{StatusCode, header};
use kratos_core::app::AppState;
use kratos_core::courier::{Message, MessageFilter, MessageStatus};
use kratos_core::http::pagination::{PageParams, link_header, query_pairs};
use kratos_core::http::{ApiError, QueryParams, json_response};
use kratos_core::ids::MessageId;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/admin/courier/messages", get(list))
        .route("/admin/courier/messages/{id}", get(fetch))
        .with_state(state)
}

/// What Kratos shows instead of a body outside dev mode.
const REDACTED: &str = "<redacted-unless-dev-mode>";
/// Kratos's page size for this listing when none is asked for.
const DEFAULT_PAGE_SIZE: usize = 10;
const MAX_PAGE_SIZE: usize = 1000;

#[derive(Debug, Deserialize)]
struct ListParams {
    status: Option<String>,
    recipient: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

async fn list(
    State(app): State<AppState>,
    OriginalUri(uri): OriginalUri,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Response, ApiError> {
    let status = match params.status.as_deref() {
        None => None,
        Some(text) => Some(
            text.parse::<MessageStatus>()
                .map_err(|_| ApiError::bad_request("Message status is not valid"))?,
        ),
    };
    let recipient = params.recipient.filter(|r| !r.is_empty());
    let size = match (&params.page.page_size, &params.page.per_page) {
        (None, None) => DEFAULT_PAGE_SIZE,
        _ => params.page.size(MAX_PAGE_SIZE)?,
    };
    // The filters are part of the token's scope: a token from another filter is refused.
    let scope = json!(["courier-messages", status.map(|s| s.as_str()), recipient]).to_string();
    let after = params
        .page
        .token()
        .map(|token| app.page_tokens.open(&scope, token))
        .transpose()?;
    let filter = MessageFilter { status, recipient };
    let page = app.messages().list(&filter, after, size).await?;
    let next = page.next.as_ref().map(|c| app.page_tokens.seal(&scope, c));
    let body: Vec<Value> = page
        .messages
        .iter()
        .map(|m| message_json(m, false, app.config.dev))
        .collect();
    let mut response = json_response(StatusCode::OK, &body);
    response.headers_mut().insert(
        header::LINK,
        link_header(uri.path(), &query_pairs(&uri), size, next.as_deref()),
    );
    Ok(response)
}

async fn fetch(State(app): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id: MessageId = id
        .parse()
        .map_err(|e| ApiError::bad_request(format!("The message ID must be a UUID: {e}")))?;
    match app.messages().get(id).await? {
        Some(found) => Ok(json_response(
            StatusCode::OK,
            &message_json(&found.message, true, app.config.dev),
        )),
        None => Err(
            ApiError::new(StatusCode::NOT_FOUND, "Unable to locate the resource")
                .with_id("not_found")
                .with_reason(format!("Courier message {id} does not exist")),
        ),
    }
}

/// The `message` of the API. Listings leave `dispatches` out, as Kratos does.
fn message_json(message: &Message, with_dispatches: bool, dev: bool) -> Value {
    let mut json = json!({
        "id": message.id,
        "status": message.status,
        "type": message.message_type,
        "recipient": message.recipient,
        "body": if dev { message.body.as_str() } else { REDACTED },
        "subject": message.subject,
        "template_type": message.template_type,
        "channel": message.channel(),
        "send_count": message.send_count,
        "created_at": timestamp(message.created_at),
        "updated_at": timestamp(message.updated_at),
    });
    if with_dispatches && !message.dispatches.is_empty() {
        json["dispatches"] = json!(message.dispatches);
    }
    json
}

fn timestamp(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
