//! The HTTP edge shared by every function: error mapping, extractors, pagination headers,
//! CORS and the request-scoped tracing span. Domain modules never import this.

pub mod cookies;
mod courier;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod flow_errors;
pub mod identity;
pub mod pagination;
pub mod recovery;
pub mod request;
pub mod self_service_errors;
pub mod selfservice;
pub mod session;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

pub use error::ApiError;
pub use extract::{FormBody, JsonBody, QueryParams, RawBody};

use crate::config::Cors;

/// The largest request body any endpoint accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Adds what every router needs: Kratos-style 404 and 405 answers, a body size limit and
/// a tracing span per request carrying its request ID.
pub fn finish_router(router: Router) -> Router {
    router
        .fallback(|| async { ApiError::not_found("No route matches this path") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(request_span))
}

/// Wraps each request in a span with its request ID (the Lambda request ID when running in
/// Lambda). Only the method and path are recorded: query strings can hold tokens.
async fn request_span(request: Request, next: Next) -> Response {
    let request_id = request_id(&request);
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    async move {
        let started = std::time::Instant::now();
        let response = next.run(request).await;
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request completed"
        );
        response
    }
    .instrument(span)
    .await
}

fn request_id(request: &Request) -> String {
    if let Some(context) = request.extensions().get::<lambda_http::Context>() {
        return context.request_id.clone();
    }
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
        request
            .extensions()
            .get::<lambda_http::request::RequestContext>()
        && let Some(id) = &context.request_id
    {
        return id.clone();
    }
    request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The CORS layer of `serve.public.cors`, or `None` when CORS is off.
pub fn cors_layer(cors: &Cors) -> Option<CorsLayer> {
    if !cors.enabled {
        return None;
    }
    let parse_list = |values: &[String]| -> Vec<http::HeaderName> {
        values
            .iter()
            .filter_map(|v| http::HeaderName::from_bytes(v.trim().as_bytes()).ok())
            .collect()
    };
    let methods: Vec<http::Method> = cors
        .allowed_methods
        .iter()
        .filter_map(|m| m.trim().parse().ok())
        .collect();
    let origins = cors.allowed_origins.clone();
    let any_origin = origins.iter().any(|o| o == "*");
    // With credentials, browsers refuse a literal `*`; echo the request's origin instead.
    let allow_origin = if any_origin {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::predicate(move |origin, _| {
            origin
                .to_str()
                .map(|o| origins.iter().any(|allowed| origin_matches(allowed, o)))
                .unwrap_or(false)
        })
    };
    let mut layer = CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods(methods)
        .allow_headers(parse_list(&cors.allowed_headers))
        .expose_headers(parse_list(&cors.exposed_headers))
        .allow_credentials(cors.allow_credentials);
    if cors.max_age > 0 {
        layer = layer.max_age(std::time::Duration::from_secs(cors.max_age));
    }
    Some(layer)
}

/// `allowed` may hold one `*` wildcard, as in `https://*.example.com`.
fn origin_matches(allowed: &str, origin: &str) -> bool {
    match allowed.split_once('*') {
        None => allowed.eq_ignore_ascii_case(origin),
        Some((prefix, suffix)) => {
            origin.len() >= prefix.len() + suffix.len()
                && origin[..prefix.len()].eq_ignore_ascii_case(prefix)
                && origin[origin.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        }
    }
}

/// A JSON response with a status.
pub fn json_response(status: http::StatusCode, body: &impl serde::Serialize) -> Response {
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_exactly_or_by_wildcard() {
        assert!(origin_matches(
            "http://localhost:4455",
            "http://localhost:4455"
        ));
        assert!(!origin_matches(
            "http://localhost:4455",
            "http://localhost:4456"
        ));
        assert!(origin_matches(
            "https://*.example.com",
            "https://app.example.com"
        ));
        assert!(!origin_matches(
            "https://*.example.com",
            "https://example.org"
        ));
    }
}
