//! Request extractors that answer malformed input in Kratos's error format instead of
//! axum's plain-text rejections.

use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON body; a malformed one is a 400 (or 415 without a JSON content type).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::bad_request(
            "The request body must be JSON with the Content-Type application/json",
        ),
        JsonRejection::JsonDataError(e) => ApiError::bad_request(format!(
            "The request body does not match the expected shape: {}",
            e.body_text()
        )),
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(format!(
            "The request body is not valid JSON: {}",
            e.body_text()
        )),
        JsonRejection::BytesRejection(e) => {
            if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large(e.body_text())
            } else {
                ApiError::bad_request(e.body_text())
            }
        }
        other => ApiError::bad_request(other.body_text()),
    }
}

/// Query parameters; a malformed query is a 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::bad_request(format!(
        "The query parameters are invalid: {}",
        rejection.body_text()
    ))
}

/// A form body (`application/x-www-form-urlencoded`); a malformed one is a 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormBody<T>(pub T);

impl<S, T> FromRequest<S> for FormBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Self(value)),
            Err(rejection) => Err(form_rejection(rejection)),
        }
    }
}

fn form_rejection(rejection: FormRejection) -> ApiError {
    ApiError::bad_request(format!(
        "The form body is invalid: {}",
        rejection.body_text()
    ))
}
