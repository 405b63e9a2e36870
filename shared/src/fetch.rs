//! Reading configuration documents by URI: `file://` (relative to the configuration file's
//! directory, then the working directory), `base64://` and `http(s)://`. Identity schemas
//! and courier templates are both referenced this way in `kratos.yml`.

use std::path::{Path, PathBuf};

use base64::Engine;

/// Reads the document at `uri`, refusing anything over `max_bytes`. The error text names
/// the cause (it may name the path or URL, never the content).
pub async fn fetch_uri(
    uri: &str,
    base_dir: Option<&Path>,
    max_bytes: usize,
) -> Result<Vec<u8>, String> {
    let bytes: Vec<u8> = if let Some(encoded) = uri.strip_prefix("base64://") {
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded.trim()))
            .or_else(|_| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(encoded.trim().trim_end_matches('='))
            })
            .map_err(|e| format!("not base64: {e}"))?
    } else if let Some(path) = uri.strip_prefix("file://") {
        let path = resolve_file(path, base_dir);
        tokio::fs::read(&path)
            .await
            .map_err(|e| format!("{}: {e}", path.display()))?
    } else if uri.starts_with("http://") || uri.starts_with("https://") {
        let response = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?
            .get(uri)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("status {}", response.status()));
        }
        response.bytes().await.map_err(|e| e.to_string())?.to_vec()
    } else {
        return Err("unsupported URL scheme; use file://, base64:// or http(s)://".into());
    };
    if bytes.len() > max_bytes {
        return Err(format!("larger than {max_bytes} bytes"));
    }
    Ok(bytes)
}

/// `file://./x.json` and `file://x.json` are relative; `file:///etc/x.json` is absolute.
/// A relative path is looked up beside the configuration file first, then in the working directory.
pub fn resolve_file(path: &str, base_dir: Option<&Path>) -> PathBuf {
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
