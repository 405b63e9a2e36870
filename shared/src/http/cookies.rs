//! Cookies: `Set-Cookie` headers that honour `cookies.*` and `session.cookie.*`, and
//! reading cookies from requests.
//!
//! Every cookie this service sets is HttpOnly, and Secure when the public base URL is
//! `https`. `SameSite=None` needs Secure, so without https it falls back to Lax (as
//! Kratos does for its anti-CSRF cookie).

use axum_extra::extract::cookie::{Cookie, SameSite as CookieSameSite};
use http::{HeaderMap, HeaderValue, header};
use time::OffsetDateTime;
use url::Url;

use super::error::ApiError;
use crate::config::{Config, SameSite};

/// Where and how a cookie is scoped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSettings {
    pub domain: Option<String>,
    pub path: String,
    pub same_site: SameSite,
    pub secure: bool,
    pub http_only: bool,
}

impl CookieSettings {
    /// `cookies.domain`, `cookies.path` and `cookies.same_site`: the anti-CSRF cookie and
    /// any other cookie that is not the session's.
    pub fn general(config: &Config, public_base: &Url) -> Self {
        let cookies = &config.cookies;
        Self::build(
            cookies.domain.clone(),
            cookies.path.clone(),
            cookies.same_site,
            public_base,
        )
    }

    /// `session.cookie.{domain,path,same_site}`, each falling back to `cookies.*`.
    pub fn session(config: &Config, public_base: &Url) -> Self {
        let session = &config.session.cookie;
        let cookies = &config.cookies;
        Self::build(
            session.domain.clone().or_else(|| cookies.domain.clone()),
            session.path.clone().unwrap_or_else(|| cookies.path.clone()),
            session.same_site.unwrap_or(cookies.same_site),
            public_base,
        )
    }

    fn build(domain: Option<String>, path: String, same_site: SameSite, public_base: &Url) -> Self {
        let secure = public_base.scheme().eq_ignore_ascii_case("https");
        let same_site = match same_site {
            SameSite::None if !secure => SameSite::Lax,
            other => other,
        };
        Self {
            domain: domain.filter(|d| !d.trim().is_empty()),
            path: if path.is_empty() { "/".into() } else { path },
            same_site,
            secure,
            http_only: true,
        }
    }
}

/// How long a cookie lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieLifetime {
    /// Until the browser closes (no `Max-Age`/`Expires`).
    BrowserSession,
    /// For this long from now.
    MaxAge(time::Duration),
    /// Until this instant (sent as both `Max-Age`, from `now`, and `Expires`).
    Until {
        at: OffsetDateTime,
        now: OffsetDateTime,
    },
}

/// The lifetime of a session cookie: until the session expires when
/// `session.cookie.persistent` is on (Kratos's default), else the browser session.
pub fn session_cookie_lifetime(
    config: &Config,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> CookieLifetime {
    if config.session.cookie.persistent {
        CookieLifetime::Until {
            at: expires_at,
            now,
        }
    } else {
        CookieLifetime::BrowserSession
    }
}

/// A cookie could not be written as a header (a configured domain or path holds
/// characters headers cannot carry).
#[derive(Debug, thiserror::Error)]
#[error("cookie `{0}` cannot be sent as a header")]
pub struct InvalidCookie(String);

impl From<InvalidCookie> for ApiError {
    fn from(err: InvalidCookie) -> Self {
        ApiError::internal(err)
    }
}

fn same_site(value: SameSite) -> CookieSameSite {
    match value {
        SameSite::Strict => CookieSameSite::Strict,
        SameSite::Lax => CookieSameSite::Lax,
        SameSite::None => CookieSameSite::None,
    }
}

/// A `Set-Cookie` header value. `value` must be cookie-safe (base64url and the like).
pub fn set_cookie(
    name: &str,
    value: &str,
    settings: &CookieSettings,
    lifetime: CookieLifetime,
) -> Result<HeaderValue, InvalidCookie> {
    let mut cookie = Cookie::build((name.to_owned(), value.to_owned()))
        .path(settings.path.clone())
        .http_only(settings.http_only)
        .secure(settings.secure)
        .same_site(same_site(settings.same_site));
    if let Some(domain) = &settings.domain {
        cookie = cookie.domain(domain.clone());
    }
    cookie = match lifetime {
        CookieLifetime::BrowserSession => cookie,
        CookieLifetime::MaxAge(age) => cookie.max_age(age.max(time::Duration::ZERO)),
        CookieLifetime::Until { at, now } => cookie
            .max_age((at - now).max(time::Duration::ZERO))
            .expires(at),
    };
    HeaderValue::from_str(&cookie.build().to_string()).map_err(|_| InvalidCookie(name.to_owned()))
}

/// A `Set-Cookie` header value that deletes the cookie `name` (same scope, expired).
pub fn remove_cookie(name: &str, settings: &CookieSettings) -> Result<HeaderValue, InvalidCookie> {
    let mut cookie = Cookie::build((name.to_owned(), String::new()))
        .path(settings.path.clone())
        .http_only(settings.http_only)
        .secure(settings.secure)
        .same_site(same_site(settings.same_site))
        .max_age(time::Duration::ZERO)
        .expires(OffsetDateTime::UNIX_EPOCH);
    if let Some(domain) = &settings.domain {
        cookie = cookie.domain(domain.clone());
    }
    HeaderValue::from_str(&cookie.build().to_string()).map_err(|_| InvalidCookie(name.to_owned()))
}

/// Every cookie of the request as `(name, value)`, in order, across all `Cookie` headers.
/// Malformed pairs are skipped.
pub fn request_cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|text| {
            Cookie::split_parse(text.to_owned())
                .filter_map(Result::ok)
                .map(|c| (c.name().to_owned(), c.value().to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every value of the cookie `name` (a browser may send several, from different paths).
pub fn request_cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    request_cookies(headers)
        .into_iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v)
        .collect()
}

/// The first value of the cookie `name`.
pub fn request_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    request_cookie_values(headers, name).into_iter().next()
}

/// Whether the request carries a `Cookie` header with anything in it.
pub fn has_cookie_header(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .any(|v| !v.as_bytes().iter().all(u8::is_ascii_whitespace))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, ConfigSource};
    use time::macros::datetime;

    fn config(yaml: &str) -> Config {
        Config::load(&ConfigSource {
            yaml: Some(yaml.into()),
            env: vec![],
        })
        .unwrap()
        .config
    }

    fn https() -> Url {
        Url::parse("https://auth.example.com/").unwrap()
    }

    fn http() -> Url {
        Url::parse("http://127.0.0.1:4433/").unwrap()
    }

    #[test]
    fn defaults_are_path_root_lax_httponly_and_secure_on_https() {
        let settings = CookieSettings::general(&Config::default(), &https());
        let header = set_cookie("a", "b", &settings, CookieLifetime::BrowserSession).unwrap();
        let text = header.to_str().unwrap();
        assert!(text.starts_with("a=b"), "{text}");
        assert!(text.contains("HttpOnly"), "{text}");
        assert!(text.contains("Secure"), "{text}");
        assert!(text.contains("SameSite=Lax"), "{text}");
        assert!(text.contains("Path=/"), "{text}");
        assert!(!text.contains("Domain"), "{text}");
        assert!(!text.contains("Max-Age"), "{text}");
    }

    #[test]
    fn plain_http_cookies_are_not_secure_and_never_same_site_none() {
        let config = config("cookies:\n  same_site: None\n");
        let settings = CookieSettings::general(&config, &http());
        assert!(!settings.secure);
        assert_eq!(settings.same_site, SameSite::Lax);
        let on_https = CookieSettings::general(&config, &https());
        assert_eq!(on_https.same_site, SameSite::None);
        let text = set_cookie("a", "b", &on_https, CookieLifetime::BrowserSession).unwrap();
        assert!(text.to_str().unwrap().contains("SameSite=None"));
    }

    #[test]
    fn cookie_domain_and_path_come_from_config() {
        let config =
            config("cookies:\n  domain: example.com\n  path: /kratos\n  same_site: Strict\n");
        let settings = CookieSettings::general(&config, &https());
        let text = set_cookie(
            "a",
            "b",
            &settings,
            CookieLifetime::MaxAge(time::Duration::hours(1)),
        )
        .unwrap();
        let text = text.to_str().unwrap();
        assert!(text.contains("Domain=example.com"), "{text}");
        assert!(text.contains("Path=/kratos"), "{text}");
        assert!(text.contains("SameSite=Strict"), "{text}");
        assert!(text.contains("Max-Age=3600"), "{text}");
    }

    #[test]
    fn session_cookie_settings_fall_back_to_the_general_ones() {
        let config = config(
            "cookies:\n  domain: example.com\n  same_site: Strict\nsession:\n  cookie:\n    path: /s\n",
        );
        let settings = CookieSettings::session(&config, &https());
        assert_eq!(settings.domain.as_deref(), Some("example.com"));
        assert_eq!(settings.path, "/s");
        assert_eq!(settings.same_site, SameSite::Strict);
        let own = self::config(
            "cookies:\n  domain: example.com\nsession:\n  cookie:\n    domain: auth.example.com\n    same_site: None\n",
        );
        let settings = CookieSettings::session(&own, &https());
        assert_eq!(settings.domain.as_deref(), Some("auth.example.com"));
        assert_eq!(settings.same_site, SameSite::None);
    }

    #[test]
    fn persistent_session_cookies_expire_with_the_session() {
        let now = datetime!(2026-01-01 00:00:00 UTC);
        let expires = datetime!(2026-01-02 00:00:00 UTC);
        let lifetime = session_cookie_lifetime(&Config::default(), expires, now);
        let settings = CookieSettings::session(&Config::default(), &https());
        let text = set_cookie("ory_kratos_session", "t", &settings, lifetime).unwrap();
        let text = text.to_str().unwrap();
        assert!(text.contains("Max-Age=86400"), "{text}");
        assert!(
            text.contains("Expires=Fri, 02 Jan 2026 00:00:00 GMT"),
            "{text}"
        );
        let transient = config("session:\n  cookie:\n    persistent: false\n");
        assert_eq!(
            session_cookie_lifetime(&transient, expires, now),
            CookieLifetime::BrowserSession
        );
    }

    #[test]
    fn removal_expires_the_cookie_in_the_same_scope() {
        let config = config("cookies:\n  domain: example.com\n");
        let settings = CookieSettings::general(&config, &https());
        let text = remove_cookie("a", &settings).unwrap();
        let text = text.to_str().unwrap();
        assert!(text.starts_with("a="), "{text}");
        assert!(text.contains("Max-Age=0"), "{text}");
        assert!(text.contains("Domain=example.com"), "{text}");
    }

    #[test]
    fn an_unsendable_domain_is_an_error_not_a_panic() {
        let mut settings = CookieSettings::general(&Config::default(), &https());
        settings.domain = Some("bad\ndomain".into());
        assert!(set_cookie("a", "b", &settings, CookieLifetime::BrowserSession).is_err());
    }

    #[test]
    fn request_cookies_are_read_across_headers_and_malformed_pairs_skipped() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; b=2; junk; c=3"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("a=4"));
        assert_eq!(request_cookie(&headers, "a").as_deref(), Some("1"));
        assert_eq!(request_cookie_values(&headers, "a"), vec!["1", "4"]);
        assert_eq!(request_cookie(&headers, "c").as_deref(), Some("3"));
        assert_eq!(request_cookie(&headers, "missing"), None);
        assert!(has_cookie_header(&headers));
        assert!(!has_cookie_header(&HeaderMap::new()));
    }
}
