//! Fetching schema documents from `file://`, `base64://` and `http(s)://` URLs.

use std::path::Path;

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
    let bytes = crate::fetch::fetch_uri(url, base_dir, MAX_SCHEMA_BYTES)
        .await
        .map_err(fetch_error)?;
    serde_json::from_slice(&bytes).map_err(|e| LoadError::Invalid {
        id: id.to_owned(),
        message: format!("not JSON: {e}"),
    })
}
