//! `return_to` validation: where a browser may be sent after a flow.
//!
//! Kratos's rules: no `return_to` means the default return URL; otherwise the URL must
//! match an entry of `selfservice.allowed_return_urls` (or this deployment's own
//! `<public base>/self-service` URLs) by scheme (case-insensitive), by host and port
//! (case-insensitive; `*.example.com` matches any subdomain), and by path prefix. A
//! relative `return_to` takes the scheme and host of the default return URL.
//!
//! Parsing follows the WHATWG URL standard, the way browsers parse the `Location` header,
//! so that what is checked is what the browser will visit (`/\evil.com` is host
//! `evil.com` to a browser, and so it is here). The validated URL is returned in
//! serialised form and must be used as-is for the redirect. Beyond Kratos, this also
//! refuses control characters, surrounding whitespace, credentials in the URL, relative
//! paths that do not start with `/`, and `javascript:`/`data:`/`vbscript:` URLs even if
//! an allow-list entry would admit them.

use url::{ParseError, Url};

use super::join_path;
use crate::config::Config;

/// Schemes that run code or embed content when navigated to; never a return target.
const DANGEROUS_SCHEMES: [&str; 4] = ["javascript", "data", "vbscript", "blob"];

/// A few multi-label public suffixes a wildcard must not cover (`*.co.uk`). Single-label
/// suffixes (`*.com`) are refused by shape. Kratos consults the full public suffix list.
const MULTI_LABEL_PUBLIC_SUFFIXES: [&str; 12] = [
    "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.jp", "co.nz", "com.br",
    "com.cn", "co.in",
];

/// Why a `return_to` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnToError {
    /// Not a URL at all (400 `bad_request`).
    #[error("return_to is not a valid URL: {reason}")]
    Malformed { reason: String },
    /// A URL, but not an allowed one (400 `self_service_flow_return_to_forbidden`).
    #[error("return_to `{requested}` is not allowed")]
    Forbidden { requested: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostRule {
    /// `host[:port]`, lower case.
    Exact(String),
    /// `.example.com[:port]`, lower case: any subdomain of `example.com`.
    Subdomains(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedUrl {
    scheme: String,
    host: HostRule,
    path: String,
}

impl AllowedUrl {
    fn parse(entry: &str) -> Result<Self, String> {
        let entry = entry.trim();
        // `*` is not a domain character; parse a stand-in label and remember the wildcard.
        let (text, wildcard) = match entry.split_once("://*.") {
            Some((scheme, rest)) => (format!("{scheme}://wildcard.{rest}"), true),
            None => (entry.to_owned(), false),
        };
        let url = Url::parse(&text).map_err(|e| format!("`{entry}` is not a URL: {e}"))?;
        if url.host_str() == Some("*") {
            return Err(format!("`{entry}`: a bare `*` host would allow every site"));
        }
        let authority = authority(&url);
        let host = if wildcard {
            let suffix = authority
                .strip_prefix("wildcard")
                .ok_or_else(|| format!("`{entry}`: unsupported wildcard"))?
                .to_owned();
            let domain = suffix.trim_start_matches('.');
            let domain = domain.split(':').next().unwrap_or(domain);
            if !domain.contains('.') || MULTI_LABEL_PUBLIC_SUFFIXES.contains(&domain) {
                return Err(format!(
                    "`{entry}`: a wildcard over a public suffix would allow unrelated sites"
                ));
            }
            HostRule::Subdomains(suffix)
        } else {
            HostRule::Exact(authority)
        };
        Ok(Self {
            scheme: url.scheme().to_ascii_lowercase(),
            host,
            path: non_empty_path(&url).to_owned(),
        })
    }

    fn admits(&self, url: &Url) -> bool {
        if !url.scheme().eq_ignore_ascii_case(&self.scheme) {
            return false;
        }
        let authority = authority(url);
        let host_ok = match &self.host {
            HostRule::Exact(expected) => *expected == authority,
            HostRule::Subdomains(suffix) => authority.ends_with(suffix.as_str()),
        };
        host_ok && non_empty_path(url).starts_with(self.path.as_str())
    }
}

/// `host[:port]` in lower case, as Go's `url.Host`; empty for URLs without a host.
fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

fn non_empty_path(url: &Url) -> &str {
    match url.path() {
        "" => "/",
        path => path,
    }
}

/// The allow list and default of one deployment. Cheap to build per request.
#[derive(Debug, Clone)]
pub struct ReturnToPolicy {
    allowed: Vec<AllowedUrl>,
    default: Url,
}

impl ReturnToPolicy {
    /// `allowed_return_urls` (invalid entries are skipped; see [`config_warnings`]) plus
    /// `<public_base>/self-service`, with `default` as the default return URL.
    pub fn new(allowed_return_urls: &[String], default: Url, public_base: &Url) -> Self {
        let mut allowed: Vec<AllowedUrl> = allowed_return_urls
            .iter()
            .filter(|entry| !entry.trim().is_empty())
            .filter_map(|entry| AllowedUrl::parse(entry).ok())
            .collect();
        if let Ok(own) = AllowedUrl::parse(join_path(public_base, "/self-service").as_str()) {
            allowed.push(own);
        }
        Self { allowed, default }
    }

    /// The policy of `selfservice.*`: its allow list, and
    /// `selfservice.default_browser_return_url` (else the public base URL) as default.
    pub fn from_config(config: &Config, public_base: &Url) -> Self {
        let default = config
            .selfservice
            .default_browser_return_url
            .clone()
            .unwrap_or_else(|| public_base.clone());
        Self::new(
            &config.selfservice.allowed_return_urls,
            default,
            public_base,
        )
    }

    pub fn default_url(&self) -> &Url {
        &self.default
    }

    /// Where to send the browser for a requested `return_to`: the default when none was
    /// requested, else the requested URL if it is allowed.
    pub fn resolve(&self, requested: Option<&str>) -> Result<Url, ReturnToError> {
        self.resolve_with_default(requested, &self.default)
    }

    /// [`ReturnToPolicy::resolve`] with another default (e.g. a flow's
    /// `after.<method>.default_browser_return_url`). Relative URLs still resolve against
    /// the configured default.
    pub fn resolve_with_default(
        &self,
        requested: Option<&str>,
        default: &Url,
    ) -> Result<Url, ReturnToError> {
        match requested {
            None => Ok(default.clone()),
            Some("") => Ok(default.clone()),
            Some(raw) => {
                let url = self.parse_requested(raw)?;
                if self.is_allowed(&url) {
                    Ok(url)
                } else {
                    Err(ReturnToError::Forbidden {
                        requested: raw.to_owned(),
                    })
                }
            }
        }
    }

    /// Whether an absolute URL may be redirected to.
    pub fn is_allowed(&self, url: &Url) -> bool {
        if DANGEROUS_SCHEMES
            .iter()
            .any(|s| url.scheme().eq_ignore_ascii_case(s))
        {
            return false;
        }
        if !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        self.allowed.iter().any(|rule| rule.admits(url))
    }

    fn parse_requested(&self, raw: &str) -> Result<Url, ReturnToError> {
        let malformed = |reason: &str| ReturnToError::Malformed {
            reason: reason.to_owned(),
        };
        if raw.chars().any(|c| c.is_ascii_control()) {
            return Err(malformed("it contains control characters"));
        }
        if raw.trim() != raw {
            return Err(malformed("it starts or ends with whitespace"));
        }
        match Url::parse(raw) {
            Ok(url) => Ok(url),
            Err(ParseError::RelativeUrlWithoutBase) => {
                // Kratos resolves relative URLs on the default's scheme and host only.
                if !raw.starts_with('/') {
                    return Err(ReturnToError::Forbidden {
                        requested: raw.to_owned(),
                    });
                }
                let mut origin = self.default.clone();
                origin.set_path("/");
                origin.set_query(None);
                origin.set_fragment(None);
                origin.join(raw).map_err(|e| malformed(&e.to_string()))
            }
            Err(e) => Err(malformed(&e.to_string())),
        }
    }
}

/// Why entries of `selfservice.allowed_return_urls` will be ignored, for start-up warnings.
pub fn config_warnings(allowed_return_urls: &[String]) -> Vec<String> {
    allowed_return_urls
        .iter()
        .enumerate()
        .filter(|(_, entry)| !entry.trim().is_empty())
        .filter_map(|(i, entry)| {
            AllowedUrl::parse(entry)
                .err()
                .map(|reason| format!("ignoring selfservice.allowed_return_urls.{i}: {reason}"))
        })
        .collect()
}

#[cfg(test)]
mod tests;
