//! The haveibeenpwned "range" API with k-anonymity: only the first five hex digits of the
//! password's SHA-1 leave the process; the service answers every known suffix under that
//! prefix with its breach count, and the match is made locally.
//!
//! `haveibeenpwned_host` is a host name, queried as `https://<host>/range/<prefix>` as
//! Kratos does. A value starting with `http://` or `https://` is used as the base URL
//! instead, so a mirror or a local stub can be named (Kratos accepts only a host).
//! Counts are cached per full hash for an hour, as in Kratos.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha1::{Digest, Sha1};

use crate::secret::Secret;

/// How long a looked-up count is reused.
const CACHE_TTL: Duration = Duration::from_secs(3600);
/// Entries kept at most; the cache starts afresh beyond that.
const CACHE_CAPACITY: usize = 10_000;
/// A breach check never holds a request longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Why the breach count is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BreachCheckError {
    /// The service could not be reached, or answered with an unexpected status. Ignored
    /// when `ignore_network_errors` is on.
    #[error(
        "unable to check if the password has been leaked because an unexpected network error occurred: {0}"
    )]
    Network(String),
    /// The service answered something that is not a range listing.
    #[error("the breach service answered a malformed listing: {0}")]
    Malformed(String),
}

/// A client of the range API, built once per process.
#[derive(Debug)]
pub struct BreachChecker {
    client: reqwest::Client,
    base: String,
    cache: Mutex<HashMap<String, (u64, Instant)>>,
}

impl BreachChecker {
    pub fn new(host: &str) -> Self {
        let host = host.trim().trim_end_matches('/');
        let base = if host.starts_with("http://") || host.starts_with("https://") {
            host.to_owned()
        } else {
            format!("https://{host}")
        };
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            client,
            base,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// How many breaches the password appears in (0 if none).
    pub async fn breaches(&self, password: &Secret) -> Result<u64, BreachCheckError> {
        let digest = hex::encode_upper(Sha1::digest(password.expose().as_bytes()));
        if let Some(count) = self.cached(&digest) {
            return Ok(count);
        }
        let (prefix, suffix) = digest.split_at(5);
        let url = format!("{}/range/{prefix}", self.base);
        let response = self
            .client
            .get(&url)
            .header("Add-Padding", "true")
            .send()
            .await
            .map_err(|e| BreachCheckError::Network(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(BreachCheckError::Network(format!(
                "unexpected status code {}",
                response.status().as_u16()
            )));
        }
        let body = response
            .text()
            .await
            .map_err(|e| BreachCheckError::Network(e.without_url().to_string()))?;
        let count = parse_range(&body, suffix)?;
        self.remember(digest, count);
        Ok(count)
    }

    fn cached(&self, digest: &str) -> Option<u64> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(digest)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(count, _)| *count)
    }

    fn remember(&self, digest: String, count: u64) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(digest, (count, Instant::now()));
        }
    }
}

/// The count of `suffix` in a range listing (`SUFFIX:COUNT` per line); 0 if absent.
fn parse_range(body: &str, suffix: &str) -> Result<u64, BreachCheckError> {
    for line in body.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (candidate, count) = match line.split_once(':') {
            Some((candidate, count)) => (candidate.trim(), count.trim()),
            None => (line, "1"),
        };
        if candidate.eq_ignore_ascii_case(suffix) {
            return count.replace(',', "").parse::<u64>().map_err(|_| {
                BreachCheckError::Malformed(format!("the count {count:?} is not a number"))
            });
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matching_suffix_gives_the_count() {
        let body = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n\
                    1E4C9B93F3F0682250B6CF8331B7EE68FD8:3,861,493\r\n\
                    011053FD0102E94D6AE2F8B83D76FAF94F6:0\r\n";
        assert_eq!(
            parse_range(body, "1E4C9B93F3F0682250B6CF8331B7EE68FD8").unwrap(),
            3_861_493
        );
        assert_eq!(parse_range(body, "FFFF").unwrap(), 0);
        assert!(parse_range("1E4C:x", "1E4C").is_err());
    }

    #[test]
    fn hosts_are_queried_over_https_unless_a_base_url_is_given() {
        assert_eq!(
            BreachChecker::new("api.pwnedpasswords.com").base,
            "https://api.pwnedpasswords.com"
        );
        assert_eq!(
            BreachChecker::new("http://127.0.0.1:9/").base,
            "http://127.0.0.1:9"
        );
    }
}
