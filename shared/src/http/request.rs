//! What a handler needs to know about the client and its URLs: the public base URL (from
//! configuration, or from the request's `Host`/`X-Forwarded-*` headers when
//! `serve.public.base_url` is unset, as behind API Gateway), the request URL a flow
//! records, whether the client wants JSON (SPA and native apps) or HTML (a browser
//! following links), and `303 See Other` redirects.

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use url::Url;

use super::error::ApiError;
use crate::app::App;
use crate::flow::with_flow_id;
use crate::ids::FlowId;

/// The public base URL links and form actions use: `serve.public.base_url` when set,
/// else derived from the request (`X-Forwarded-Proto`, `X-Forwarded-Host` or `Host`),
/// else the local default. Set `serve.public.base_url` in production: derived URLs trust
/// whatever host the client or proxy names.
pub fn public_base_url(app: &App, headers: &HeaderMap) -> Url {
    if let Some(configured) = &app.config.serve.public.base_url {
        return configured.clone();
    }
    derived_base_url(headers).unwrap_or_else(|| app.public_base_url.clone())
}

fn first_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `<proto>://<host>/` from the request headers, if they name a plain host.
pub fn derived_base_url(headers: &HeaderMap) -> Option<Url> {
    let host = first_header(headers, "x-forwarded-host")
        .or_else(|| first_header(headers, header::HOST.as_str()))?;
    let proto = match first_header(headers, "x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        Some(p) if p.eq_ignore_ascii_case("http") => "http",
        Some(_) => return None,
        None => "http",
    };
    // Only a bare `host[:port]` is accepted; anything that would add a path, user info
    // or a second host is ignored.
    if host
        .chars()
        .any(|c| matches!(c, '/' | '\\' | '@' | '?' | '#') || c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let url = Url::parse(&format!("{proto}://{host}/")).ok()?;
    (url.host_str().is_some() && url.path() == "/").then_some(url)
}

/// The full URL of this request as the client addressed it (scheme and host from the
/// public base URL's derivation, path and query from the request): a flow's `request_url`.
pub fn request_url(app: &App, headers: &HeaderMap, uri: &Uri) -> String {
    let mut url = derived_base_url(headers).unwrap_or_else(|| {
        let mut base = public_base_url(app, headers);
        base.set_path("/");
        base
    });
    url.set_path(uri.path());
    url.set_query(uri.query());
    url.into()
}

/// A parsed `Accept` entry.
struct AcceptSpec {
    value: String,
    q: f64,
}

fn accept_specs(headers: &HeaderMap) -> Vec<AcceptSpec> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| {
            let mut parts = entry.split(';');
            let value = parts.next()?.trim().to_ascii_lowercase();
            if value.is_empty() {
                return None;
            }
            let mut q = 1.0;
            for param in parts {
                if let Some((k, v)) = param.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
            Some(AcceptSpec { value, q })
        })
        .collect()
}

/// Picks the offer the `Accept` header prefers (exact matches beat `type/*`, which beat
/// `*/*`; earlier offers win ties), or `default` when nothing matches: the negotiation
/// Kratos uses.
fn negotiate<'a>(headers: &HeaderMap, offers: &[&'a str], default: &'a str) -> &'a str {
    let specs = accept_specs(headers);
    let mut best = default;
    let mut best_q = -1.0;
    let mut best_wild = 3;
    for offer in offers {
        for spec in &specs {
            if spec.q == 0.0 || spec.q < best_q {
                continue;
            }
            if spec.value == "*/*" {
                if spec.q > best_q || best_wild > 2 {
                    (best, best_q, best_wild) = (offer, spec.q, 2);
                }
            } else if let Some(prefix) = spec.value.strip_suffix('*') {
                if offer.starts_with(prefix) && (spec.q > best_q || best_wild > 1) {
                    (best, best_q, best_wild) = (offer, spec.q, 1);
                }
            } else if spec.value == *offer && (spec.q > best_q || best_wild > 0) {
                (best, best_q, best_wild) = (offer, spec.q, 0);
            }
        }
    }
    best
}

fn content_type_is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "application/json")
}

/// Whether the client is a script that wants JSON answers rather than redirects (an SPA
/// or a native app): it prefers `application/json`, or it sent a JSON body.
pub fn is_json_request(headers: &HeaderMap) -> bool {
    negotiate(
        headers,
        &["text/html", "text/*", "*/*", "application/json"],
        "text/html",
    ) == "application/json"
        || content_type_is_json(headers)
}

/// Whether the client prefers JSON over HTML (ignoring the body's type).
pub fn accepts_json(headers: &HeaderMap) -> bool {
    negotiate(headers, &["text/html", "application/json"], "text/html") == "application/json"
}

/// Whether the client is a browser navigating (prefers HTML).
pub fn is_browser_request(headers: &HeaderMap) -> bool {
    negotiate(
        headers,
        &["text/html", "text/*", "*/*", "application/json"],
        "text/html",
    ) == "text/html"
}

/// `303 See Other` to `location`.
pub fn redirect_see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(e) => {
            ApiError::internal(anyhow::anyhow!("unsendable redirect location: {e}")).into_response()
        }
    }
}

/// `303 See Other` to a flow's UI: `<ui_url>?flow=<id>`.
pub fn redirect_to_flow_ui(ui_url: &Url, flow_id: FlowId) -> Response {
    redirect_see_other(with_flow_id(ui_url, flow_id).as_str())
}

#[cfg(test)]
mod tests;
