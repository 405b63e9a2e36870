//! The one place where failures become HTTP: Kratos's JSON error format,
//! `{"error": {"id", "code", "status", "reason", "message", "details"}}`, plus the
//! top-level fields some errors carry (`use_flow_id`, `redirect_browser_to`, ...).
//!
//! Internal causes are logged here and never sent to the client.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::store::{PageTokenError, StoreError};

/// An error as Kratos reports it. Boxed, so `Result<_, ApiError>` stays small.
#[derive(Debug)]
pub struct ApiError(Box<ApiErrorParts>);

/// The parts of an [`ApiError`]; readable through `Deref`.
#[derive(Debug)]
pub struct ApiErrorParts {
    pub status: StatusCode,
    pub id: Option<String>,
    pub reason: Option<String>,
    pub message: String,
    pub details: Option<Map<String, Value>>,
    /// Fields beside `error` at the top level of the body.
    pub extra: Map<String, Value>,
    /// Extra response headers (e.g. `Location`).
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// The internal cause, logged but never sent.
    pub cause: Option<anyhow::Error>,
}

impl std::ops::Deref for ApiError {
    type Target = ApiErrorParts;

    fn deref(&self) -> &ApiErrorParts {
        &self.0
    }
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self(Box::new(ApiErrorParts {
            status,
            id: None,
            reason: None,
            message: message.into(),
            details: None,
            extra: Map::new(),
            headers: Vec::new(),
            cause: None,
        }))
    }

    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.0.id = Some(id.into());
        self
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.0.reason = Some(reason.into());
        self
    }

    pub fn with_details(mut self, details: Map<String, Value>) -> Self {
        self.0.details = Some(details);
        self
    }

    pub fn with_extra(mut self, key: &str, value: Value) -> Self {
        self.0.extra.insert(key.to_owned(), value);
        self
    }

    pub fn with_header(mut self, name: http::HeaderName, value: http::HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    pub fn with_cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.0.cause = Some(cause.into());
        self
    }

    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "The request was malformed or contained invalid parameters",
        )
        .with_id("bad_request")
        .with_reason(reason)
    }

    pub fn not_found(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found",
        )
        .with_id("not_found")
        .with_reason(reason)
    }

    pub fn conflict(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "The resource could not be created due to a conflict",
        )
        .with_id("conflict")
        .with_reason(reason)
    }

    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "The request could not be authorized",
        )
        .with_id("unauthorized")
        .with_reason(reason)
    }

    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "The requested action was forbidden")
            .with_id("forbidden")
            .with_reason(reason)
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "The requested method is not allowed on this resource",
        )
        .with_id("method_not_allowed")
    }

    pub fn payload_too_large(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large",
        )
        .with_id("payload_too_large")
        .with_reason(reason)
    }

    pub fn unsupported_media_type(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The media type of the request is not supported",
        )
        .with_id("unsupported_media_type")
        .with_reason(reason)
    }

    /// A failure the client cannot fix; the cause goes to the log only.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An internal server error occurred, please contact the system administrator",
        )
        .with_id("internal_server_error")
        .with_cause(cause)
    }

    pub fn service_unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is temporarily unavailable, please try again later",
        )
        .with_id("service_unavailable")
        .with_cause(cause)
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        if let Some(id) = &self.id {
            error.insert("id".into(), json!(id));
        }
        error.insert("code".into(), json!(self.status.as_u16()));
        error.insert(
            "status".into(),
            json!(self.status.canonical_reason().unwrap_or("Unknown")),
        );
        if let Some(reason) = &self.reason {
            error.insert("reason".into(), json!(reason));
        }
        if let Some(details) = &self.details {
            error.insert("details".into(), Value::Object(details.clone()));
        }
        error.insert("message".into(), json!(self.message));
        let mut body = Map::new();
        body.insert("error".into(), Value::Object(error));
        for (key, value) in &self.extra {
            body.insert(key.clone(), value.clone());
        }
        Value::Object(body)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)?;
        if let Some(reason) = &self.reason {
            write!(f, ": {reason}")?;
        }
        Ok(())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            match &self.cause {
                Some(cause) => {
                    tracing::error!(status = %self.status, error = ?cause, "request failed")
                }
                None => tracing::error!(status = %self.status, "request failed"),
            }
        } else if let Some(cause) = &self.cause {
            tracing::debug!(status = %self.status, error = %cause, "request refused");
        }
        let mut response = (self.status, Json(self.body())).into_response();
        for (name, value) in self.0.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => ApiError::service_unavailable(err),
            StoreError::TransactionConflict => {
                ApiError::conflict("The resource was changed concurrently; retry the request")
                    .with_cause(err)
            }
            _ => ApiError::internal(err),
        }
    }
}

/// Kratos's reason for a page token it did not issue (or that belongs to another listing).
pub const PAGE_TOKEN_INVALID: &str = "The page token is invalid, do not craft your own page tokens";

impl From<PageTokenError> for ApiError {
    fn from(err: PageTokenError) -> Self {
        ApiError::bad_request(PAGE_TOKEN_INVALID).with_cause(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_kratos_shape() {
        let body = ApiError::not_found("no such thing")
            .with_extra("use_flow_id", json!("x"))
            .body();
        assert_eq!(body["error"]["code"], 404);
        assert_eq!(body["error"]["status"], "Not Found");
        assert_eq!(body["error"]["id"], "not_found");
        assert_eq!(body["error"]["reason"], "no such thing");
        assert!(body["error"]["message"].is_string());
        assert_eq!(body["use_flow_id"], "x");
    }

    #[test]
    fn internal_causes_are_not_in_the_body() {
        let body = ApiError::internal(anyhow::anyhow!("secret table name")).body();
        assert!(!body.to_string().contains("secret table name"));
    }
}
