//! Fetching schema documents from `file://`, `base64://` and `http(s)://` URLs.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::Value;

/// Why an identity schema could not be loaded. Start-up stops on it.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("identity schema `{id}`: could not fetch `{url}`: {message}")]
    Fetch {
        id: String,
        url: String,
        message: String,
    },
    #[error("identity schema `{id}` is invalid: {message}")]
    Invalid { id: String, message: String },
}

/// The longest schema document accepted, to keep a bad URL from exhausting memory.
const MAX_SCHEMA_BYTES: usize = 1024 * 1024;

/// Fetches and parses the JSON document at `url`.
pub async fn fetch_schema_document(
    id: &str,
    url: &str,
    base_dir: Option<&Path>,
) -> Result<Value, LoadError> {
    let fetch_error = |message: String| LoadError::Fetch {
        id: id.to_owned(),
        url: url.to_owned(),
        message,
    };
    let bytes: Vec<u8> = if let Some(encoded) = url.strip_prefix("base64://") {
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded.trim()))
            .or_else(|_| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(encoded.trim().trim_end_matches('='))
            })
            .map_err(|e| fetch_error(format!("not base64: {e}")))?
    } else if let Some(path) = url.strip_prefix("file://") {
        let path = resolve_file(path, base_dir);
        tokio::fs::read(&path)
            .await
            .map_err(|e| fetch_error(format!("{}: {e}", path.display())))?
    } else if url.starts_with("http://") || url.starts_with("https://") {
        let response = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| fetch_error(e.to_string()))?
            .get(url)
            .send()
            .await
            .map_err(|e| fetch_error(e.to_string()))?;
        if !response.status().is_success() {
            return Err(fetch_error(format!("status {}", response.status())));
        }
        response
            .bytes()
            .await
            .map_err(|e| fetch_error(e.to_string()))?
            .to_vec()
    } else {
        return Err(fetch_error(
            "unsupported URL scheme; use file://, base64:// or http(s)://".into(),
        ));
    };
    if bytes.len() > MAX_SCHEMA_BYTES {
        return Err(fetch_error(format!("larger than {MAX_SCHEMA_BYTES} bytes")));
    }
    serde_json::from_slice(&bytes).map_err(|e| LoadError::Invalid {
        id: id.to_owned(),
        message: format!("not JSON: {e}"),
    })
}

/// `file://./x.json` and `file://x.json` are relative; `file:///etc/x.json` is absolute.
/// A relative path is looked up beside the configuration file first, then in the working directory.
fn resolve_file(path: &str, base_dir: Option<&Path>) -> PathBuf {
    let candidate = PathBuf::from(path);
    if candidate.is_absolute() {
        return candidate;
    }
    if let Some(base) = base_dir {
        let beside = base.join(&candidate);
        if beside.exists() {
            return beside;
        }
    }
    candidate
}
