//! Request extractors that answer malformed input in Kratos's error format instead of
//! axum's plain-text rejections.

use axum::extract::rejection::{BytesRejection, FormRejection, JsonRejection, QueryRejection};
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

/// The raw request body, for endpoints that decode it themselves (Kratos reads some bodies
/// whatever their `Content-Type`). Too large a body is a 413, an unreadable one a 400.
#[derive(Debug, Clone, Default)]
pub struct RawBody(pub axum::body::Bytes);

impl<S> FromRequest<S> for RawBody
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::body::Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(rejection) => Err(bytes_rejection(rejection)),
        }
    }
}

fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large(rejection.body_text())
    } else {
        ApiError::bad_request(rejection.body_text())
    }
}

/// Decodes a JSON document into `T`, describing a failure with the path of the offending
/// field. With `refuse_unknown`, a field `T` does not know, at any depth, is a failure too:
/// Kratos decodes some bodies with Go's `DisallowUnknownFields`, whose error reads
/// `json: unknown field "<name>"`.
pub fn decode_json<T: DeserializeOwned>(body: &[u8], refuse_unknown: bool) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the request body is empty: EOF".into());
    }
    let mut unknown: Option<String> = None;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let mut track = |path: serde_ignored::Path<'_>| {
        if unknown.is_none() {
            // Options show as `?` steps; they are not part of the document's shape.
            let steps: Vec<String> = path
                .to_string()
                .split('.')
                .filter(|step| *step != "?")
                .map(str::to_owned)
                .collect();
            unknown = Some(steps.join("."));
        }
    };
    let tracked = serde_ignored::Deserializer::new(&mut deserializer, &mut track);
    let value: T = serde_path_to_error::deserialize(tracked).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path.is_empty() || path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        }
    })?;
    deserializer.end().map_err(|e| e.to_string())?;
    match unknown {
        Some(field) if refuse_unknown => Err(format!("json: unknown field \"{field}\"")),
        _ => Ok(value),
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

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::decode_json;

    #[derive(Debug, Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        name: Option<String>,
        #[allow(dead_code)]
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        flag: Option<bool>,
    }

    #[test]
    fn unknown_fields_are_refused_at_any_depth_only_when_asked() {
        let body = br#"{"name":"a","inner":{"flag":true,"extra":1}}"#;
        assert_eq!(
            decode_json::<Outer>(body, true).unwrap_err(),
            "json: unknown field \"inner.extra\""
        );
        assert!(decode_json::<Outer>(body, false).is_ok());
    }

    #[test]
    fn type_errors_name_the_field() {
        let error = decode_json::<Outer>(br#"{"inner":{"flag":"yes"}}"#, true).unwrap_err();
        assert!(error.starts_with("inner.flag: invalid type"), "{error}");
    }

    #[test]
    fn empty_bodies_and_trailing_garbage_are_refused() {
        assert!(decode_json::<Outer>(b"  ", false).is_err());
        assert!(decode_json::<Outer>(b"{} {}", false).is_err());
        assert!(decode_json::<Outer>(b"{not json}", false).is_err());
    }
}
