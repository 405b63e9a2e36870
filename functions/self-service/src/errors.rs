//! `GET /self-service/errors?id=`: the errors browser flows sent users to the error UI
//! with (`stub:500` answers a sample). 1 GetItem.

use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use kratos_core::app::AppState;
use kratos_core::http::self_service_errors::fetch_error;
use kratos_core::http::selfservice::json;
use kratos_core::http::{ApiError, QueryParams};

use crate::common::{Query, param};

pub async fn fetch(
    State(app): State<AppState>,
    QueryParams(query): QueryParams<Query>,
) -> Result<Response, ApiError> {
    let error = fetch_error(&app, param(&query, "id").or_else(|| param(&query, "error"))).await?;
    Ok(json(StatusCode::OK, &error, &[]))
}
