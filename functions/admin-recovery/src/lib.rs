//! `POST /admin/recovery/code` (`createRecoveryCodeForIdentity`) and `POST
//! /admin/recovery/link` (`createRecoveryLinkForIdentity`): an administrator gets a code or
//! link that recovers an identity's account.
//!
//! Library only: API Gateway routes `/admin/recovery/*` to the `admin-identities`
//! function, whose router merges [`router`]; the local server merges it into the admin
//! port. Requests: 1 GetItem (the identity) + 1 PutItem (the recovery flow).

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::{HeaderMap, StatusCode, Uri};
use kratos_core::app::AppState;
use kratos_core::flow::FlowType;
use kratos_core::http::request::{public_base_url, request_url};
use kratos_core::http::{ApiError, JsonBody, json_response};
use kratos_core::ids::IdentityId;
use kratos_core::selfservice::recovery::admin::{
    self, AdminRecoveryError, AdminRequest, parse_expires_in,
};
use serde::Deserialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/admin/recovery/code", post(create_code))
        .route("/admin/recovery/link", post(create_link))
        .with_state(state)
}

/// `createRecoveryCodeForIdentityBody` (and, without `flow_type`, the link's body).
#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default)]
    identity_id: Option<String>,
    #[serde(default)]
    expires_in: Option<String>,
    #[serde(default)]
    flow_type: Option<String>,
}

struct Parsed {
    identity_id: IdentityId,
    expires_in: Option<std::time::Duration>,
}

fn parse(body: &Body) -> Result<Parsed, ApiError> {
    let identity_id = match body.identity_id.as_deref() {
        None | Some("") => return Err(ApiError::bad_request("identity_id is required.")),
        Some(raw) => raw.parse().map_err(|_| {
            ApiError::bad_request(format!("identity_id must be a UUID, but is {raw:?}."))
        })?,
    };
    let expires_in = match body.expires_in.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(parse_expires_in(raw).map_err(ApiError::from)?),
    };
    Ok(Parsed {
        identity_id,
        expires_in,
    })
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// `POST /admin/recovery/code`: 201 with `recovery_link`, `recovery_code`, `expires_at`.
async fn create_code(
    State(app): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    JsonBody(body): JsonBody<Body>,
) -> Result<Response, ApiError> {
    let parsed = parse(&body)?;
    let flow_type = match body.flow_type.as_deref() {
        None | Some("browser") => FlowType::Browser,
        Some("api") => FlowType::Api,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "flow_type must be `browser` or `api`, but is {other:?}."
            )));
        }
    };
    let url = request_url(&app, &headers, &uri);
    let public_base = public_base_url(&app, &headers);
    let request = AdminRequest {
        app: &app,
        request_url: &url,
        public_base: &public_base,
        now: app.clock.now(),
    };
    let created =
        admin::create_code(request, parsed.identity_id, parsed.expires_in, flow_type).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({
            "recovery_link": created.recovery_link,
            "recovery_code": created.recovery_code.expose(),
            "expires_at": rfc3339(created.expires_at),
        }),
    ))
}

/// `POST /admin/recovery/link`: 200 with `recovery_link`, `expires_at`. An unknown
/// identity is a 400 here, as in Kratos.
async fn create_link(
    State(app): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    JsonBody(body): JsonBody<Body>,
) -> Result<Response, ApiError> {
    let parsed = parse(&body)?;
    let url = request_url(&app, &headers, &uri);
    let public_base = public_base_url(&app, &headers);
    let request = AdminRequest {
        app: &app,
        request_url: &url,
        public_base: &public_base,
        now: app.clock.now(),
    };
    match admin::create_link(request, parsed.identity_id, parsed.expires_in).await {
        Ok(created) => Ok(json_response(
            StatusCode::OK,
            &json!({
                "recovery_link": created.recovery_link.expose(),
                "expires_at": rfc3339(created.expires_at),
            }),
        )),
        Err(AdminRecoveryError::IdentityNotFound(_)) => {
            Ok(ApiError::bad_request("The identity to recover does not exist.").into_response())
        }
        Err(other) => Err(other.into()),
    }
}
