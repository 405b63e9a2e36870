//! Keyset pagination parameters and `Link` headers, as Kratos sends them.

use http::HeaderValue;
use serde::Deserialize;

use super::error::ApiError;

/// The default and largest `page_size` of keyset-paginated listings.
pub const DEFAULT_PAGE_SIZE: usize = 250;
pub const MAX_PAGE_SIZE: usize = 1000;

/// `page_size` and `page_token`, plus the legacy `per_page`/`page` pair.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageParams {
    pub page_size: Option<String>,
    pub page_token: Option<String>,
    pub per_page: Option<String>,
    pub page: Option<String>,
}

impl PageParams {
    /// The page size, checked against `1..=max`.
    pub fn size(&self, max: usize) -> Result<usize, ApiError> {
        let raw = self.page_size.as_deref().or(self.per_page.as_deref());
        match raw {
            None | Some("") => Ok(DEFAULT_PAGE_SIZE.min(max)),
            Some(text) => {
                let size: usize = text.trim().parse().map_err(|_| {
                    ApiError::bad_request(format!(
                        "page_size must be a positive integer, got `{text}`"
                    ))
                })?;
                if size == 0 || size > max {
                    return Err(ApiError::bad_request(format!(
                        "page_size must be between 1 and {max}"
                    )));
                }
                Ok(size)
            }
        }
    }

    /// The page token, if one was sent (empty counts as none).
    pub fn token(&self) -> Option<&str> {
        self.page_token.as_deref().filter(|t| !t.is_empty())
    }
}

/// The decoded query parameters of `uri`, in order.
pub fn query_pairs(uri: &http::Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// A `Link` header with `rel="first"` and, if there is one, `rel="next"`, relative to
/// `path`, keeping the request's other query parameters.
pub fn link_header(
    path: &str,
    other_params: &[(String, String)],
    page_size: usize,
    next_token: Option<&str>,
) -> HeaderValue {
    let build = |token: Option<&str>| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in other_params {
            if key != "page_token" && key != "page_size" && key != "page" && key != "per_page" {
                query.append_pair(key, value);
            }
        }
        query.append_pair("page_size", &page_size.to_string());
        if let Some(token) = token {
            query.append_pair("page_token", token);
        }
        format!("<{path}?{}>", query.finish())
    };
    let mut links = vec![format!("{}; rel=\"first\"", build(None))];
    if let Some(token) = next_token {
        links.push(format!("{}; rel=\"next\"", build(Some(token))));
    }
    HeaderValue::from_str(&links.join(",")).expect("links are ASCII")
}

/// The `Link` header of a keyset-paginated listing exactly as Kratos writes it:
/// `rel="first"` carrying the listing's start token, then `rel="next"` carrying the next
/// page's token unless this is the last page. Each link is `path` with the request's other
/// query parameters and `page_size`/`page_token` set, sorted by name and escaped as Go's
/// `url.Values.Encode` does.
pub fn keyset_link_header(
    path: &str,
    other_params: &[(String, String)],
    page_size: usize,
    first_token: &str,
    next_token: Option<&str>,
) -> HeaderValue {
    let link = |token: &str, rel: &str| {
        let mut params: Vec<(&str, &str)> = other_params
            .iter()
            .filter(|(key, _)| key != "page_token" && key != "page_size")
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        let size = page_size.to_string();
        params.push(("page_size", &size));
        params.push(("page_token", token));
        // Stable: values of one key keep their order, as in Go.
        params.sort_by(|a, b| a.0.cmp(b.0));
        let query: Vec<String> = params
            .iter()
            .map(|(key, value)| format!("{}={}", go_query_escape(key), go_query_escape(value)))
            .collect();
        format!("<{path}?{}>; rel=\"{rel}\"", query.join("&"))
    };
    let mut links = vec![link(first_token, "first")];
    if let Some(token) = next_token {
        links.push(link(token, "next"));
    }
    HeaderValue::from_str(&links.join(",")).expect("links are ASCII")
}

/// Go's `url.QueryEscape`: unreserved characters stay, a space becomes `+`, every other
/// byte is `%XX` in upper case.
pub fn go_query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyset_links_are_sorted_and_carry_both_tokens() {
        let header = keyset_link_header(
            "/admin/identities",
            &[
                ("page_token".into(), "old".into()),
                ("ids".into(), "b".into()),
                ("credentials_identifier".into(), "a b@c.d*".into()),
                ("ids".into(), "a".into()),
            ],
            2,
            "00000000-0000-0000-0000-000000000000",
            Some("tok"),
        );
        assert_eq!(
            header.to_str().unwrap(),
            "</admin/identities?credentials_identifier=a+b%40c.d%2A&ids=b&ids=a&page_size=2&page_token=00000000-0000-0000-0000-000000000000>; rel=\"first\",\
             </admin/identities?credentials_identifier=a+b%40c.d%2A&ids=b&ids=a&page_size=2&page_token=tok>; rel=\"next\""
        );
        let last = keyset_link_header("/x", &[], 250, "start", None);
        assert_eq!(
            last.to_str().unwrap(),
            "</x?page_size=250&page_token=start>; rel=\"first\""
        );
    }

    #[test]
    fn page_size_is_bounded() {
        let params = |size: &str| PageParams {
            page_size: Some(size.into()),
            ..Default::default()
        };
        assert_eq!(PageParams::default().size(1000).unwrap(), 250);
        assert_eq!(params("2").size(1000).unwrap(), 2);
        assert!(params("0").size(1000).is_err());
        assert!(params("1001").size(1000).is_err());
        assert!(params("-1").size(1000).is_err());
        assert!(params("ten").size(1000).is_err());
    }

    #[test]
    fn links_keep_filters_and_carry_the_next_token() {
        let header = link_header(
            "/admin/identities",
            &[
                ("credentials_identifier".into(), "a@b.c".into()),
                ("page_token".into(), "old".into()),
            ],
            2,
            Some("tok"),
        );
        let text = header.to_str().unwrap();
        assert_eq!(
            text,
            "</admin/identities?credentials_identifier=a%40b.c&page_size=2>; rel=\"first\",</admin/identities?credentials_identifier=a%40b.c&page_size=2&page_token=tok>; rel=\"next\""
        );
    }
}
