//! Anti-CSRF tokens for browser flows (API flows are exempt).
//!
//! The scheme is Kratos's (nosurf's) double submit with masking, plus a signature:
//!
//! * The browser holds a random 32-byte secret in an HttpOnly cookie. The cookie value is
//!   `<secret>.<tag>` (URL-safe base64), where `tag` is an HMAC-SHA256 of the secret under
//!   a key derived from `secrets.cookie` (else `secrets.default`). A cookie this
//!   deployment did not issue is refused, and rotating secrets keeps old cookies valid
//!   while the old secret is still listed.
//! * Each form gets the secret masked with a fresh one-time pad: `pad || (secret XOR pad)`
//!   (64 bytes, URL-safe base64). Every issued token differs (so a compressed response
//!   leaks nothing about the secret), yet every one unmasks to the cookie's secret.
//! * A submission is accepted when the submitted token unmasks to the cookie's secret;
//!   the comparison is constant-time.
//!
//! The HTTP layer names the cookie, sets its attributes and reads the token from the
//! `csrf_token` field or the `X-CSRF-Token` header (`http/csrf.rs`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::secret::Secret;

const SECRET_LEN: usize = 32;
const TAG_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// The name of the form field that carries the token.
pub const CSRF_FORM_FIELD: &str = "csrf_token";
/// The header that may carry the token instead.
pub const CSRF_HEADER: &str = "X-CSRF-Token";
/// The cookie lives a year, like nosurf's.
pub const CSRF_COOKIE_MAX_AGE: time::Duration = time::Duration::days(365);

/// Why a browser submission failed the anti-CSRF check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsrfError {
    /// The request carried no anti-CSRF cookie.
    #[error("the anti-CSRF cookie is missing")]
    CookieMissing,
    /// The cookie was there but no token was submitted.
    #[error("no anti-CSRF token was submitted")]
    TokenMissing,
    /// The token does not belong to the cookie, or the cookie was not issued here.
    #[error("the anti-CSRF token does not match the cookie")]
    Mismatch,
}

/// What [`CsrfTokens::issue`] hands out for one browser response.
#[derive(Debug, Clone)]
pub struct CsrfIssue {
    /// A new cookie value to set, when the request had no valid cookie.
    pub new_cookie: Option<Secret>,
    /// The masked token for the form's `csrf_token` input.
    pub form_token: String,
}

/// Issues and checks anti-CSRF tokens. Built once per process from the cookie secrets.
#[derive(Clone)]
pub struct CsrfTokens {
    /// One HMAC key per configured secret; the first signs, all verify.
    keys: Vec<[u8; 32]>,
}

impl std::fmt::Debug for CsrfTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsrfTokens")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl CsrfTokens {
    /// Derives the signing keys. `secrets` must not be empty.
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Self {
        assert!(
            !secrets.is_empty(),
            "anti-CSRF tokens need at least one secret"
        );
        let keys = secrets
            .iter()
            .map(|secret| {
                let mut hasher = Sha256::new();
                hasher.update(b"serverless-kratos/csrf-cookie\0");
                hasher.update(secret.as_ref().as_bytes());
                hasher.finalize().into()
            })
            .collect();
        Self { keys }
    }

    fn tag(key: &[u8; 32], secret: &[u8]) -> [u8; TAG_LEN] {
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(secret);
        mac.finalize().into_bytes().into()
    }

    /// The secret inside a cookie value, if this deployment signed it.
    fn open_cookie(&self, cookie: &str) -> Option<[u8; SECRET_LEN]> {
        let (secret, tag) = cookie.split_once('.')?;
        let secret: [u8; SECRET_LEN] = URL_SAFE_NO_PAD.decode(secret).ok()?.try_into().ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let valid = self
            .keys
            .iter()
            .fold(subtle::Choice::from(0), |found, key| {
                found | Self::tag(key, &secret)[..].ct_eq(&tag[..])
            });
        bool::from(valid).then_some(secret)
    }

    fn seal_cookie(&self, secret: &[u8; SECRET_LEN]) -> String {
        let tag = Self::tag(&self.keys[0], secret);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(secret),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    fn mask(secret: &[u8; SECRET_LEN]) -> String {
        let pad = crate::crypto::random_bytes(SECRET_LEN);
        let mut out = Vec::with_capacity(2 * SECRET_LEN);
        out.extend_from_slice(&pad);
        out.extend(secret.iter().zip(&pad).map(|(s, p)| s ^ p));
        URL_SAFE_NO_PAD.encode(out)
    }

    fn unmask(token: &str) -> Option<[u8; SECRET_LEN]> {
        let raw = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if raw.len() != 2 * SECRET_LEN {
            return None;
        }
        let (pad, masked) = raw.split_at(SECRET_LEN);
        let mut secret = [0u8; SECRET_LEN];
        for (i, byte) in secret.iter_mut().enumerate() {
            *byte = pad[i] ^ masked[i];
        }
        Some(secret)
    }

    /// A form token for a browser response. Reuses the secret of `cookie` when this
    /// deployment issued it; otherwise makes a new secret and returns its cookie value in
    /// `new_cookie`, which the caller must set.
    pub fn issue(&self, cookie: Option<&str>) -> CsrfIssue {
        match cookie.and_then(|c| self.open_cookie(c)) {
            Some(secret) => CsrfIssue {
                new_cookie: None,
                form_token: Self::mask(&secret),
            },
            None => {
                let secret: [u8; SECRET_LEN] = crate::crypto::random_bytes(SECRET_LEN)
                    .try_into()
                    .expect("asked for SECRET_LEN bytes");
                CsrfIssue {
                    new_cookie: Some(Secret::new(self.seal_cookie(&secret))),
                    form_token: Self::mask(&secret),
                }
            }
        }
    }

    /// Checks a submitted token (or a flow's stored token) against the browser's cookie.
    pub fn verify(&self, cookie: Option<&str>, token: Option<&str>) -> Result<(), CsrfError> {
        let cookie = cookie
            .filter(|c| !c.is_empty())
            .ok_or(CsrfError::CookieMissing)?;
        let token = token
            .filter(|t| !t.trim().is_empty())
            .ok_or(CsrfError::TokenMissing)?;
        let expected = self.open_cookie(cookie).ok_or(CsrfError::Mismatch)?;
        let submitted = Self::unmask(token).ok_or(CsrfError::Mismatch)?;
        if bool::from(expected[..].ct_eq(&submitted[..])) {
            Ok(())
        } else {
            Err(CsrfError::Mismatch)
        }
    }
}

/// The name of the anti-CSRF cookie: `csrf_token_` and the hex SHA-256 of the public
/// base URL, as Kratos names it, so deployments on one domain do not collide.
pub fn csrf_cookie_name(public_base_url: &str) -> String {
    format!(
        "csrf_token_{}",
        crate::crypto::sha256_hex(public_base_url.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> CsrfTokens {
        CsrfTokens::new(&["first-secret-of-sixteen+"])
    }

    #[test]
    fn a_token_issued_for_a_new_browser_verifies_against_its_new_cookie() {
        let csrf = tokens();
        let issue = csrf.issue(None);
        let cookie = issue.new_cookie.expect("a new browser gets a cookie");
        assert_eq!(
            csrf.verify(Some(cookie.expose()), Some(&issue.form_token)),
            Ok(())
        );
    }

    #[test]
    fn a_browser_with_a_valid_cookie_keeps_it_and_gets_a_fresh_mask_each_time() {
        let csrf = tokens();
        let cookie = csrf.issue(None).new_cookie.unwrap();
        let first = csrf.issue(Some(cookie.expose()));
        let second = csrf.issue(Some(cookie.expose()));
        assert!(first.new_cookie.is_none() && second.new_cookie.is_none());
        assert_ne!(first.form_token, second.form_token);
        assert_eq!(
            csrf.verify(Some(cookie.expose()), Some(&first.form_token)),
            Ok(())
        );
        assert_eq!(
            csrf.verify(Some(cookie.expose()), Some(&second.form_token)),
            Ok(())
        );
    }

    #[test]
    fn a_token_from_another_browser_is_a_mismatch() {
        let csrf = tokens();
        let mine = csrf.issue(None);
        let theirs = csrf.issue(None);
        assert_eq!(
            csrf.verify(
                Some(mine.new_cookie.unwrap().expose()),
                Some(&theirs.form_token)
            ),
            Err(CsrfError::Mismatch)
        );
    }

    #[test]
    fn a_tampered_token_is_a_mismatch() {
        let csrf = tokens();
        let issue = csrf.issue(None);
        let cookie = issue.new_cookie.unwrap();
        let mut raw = URL_SAFE_NO_PAD.decode(&issue.form_token).unwrap();
        raw[40] ^= 0x01;
        let tampered = URL_SAFE_NO_PAD.encode(raw);
        assert_eq!(
            csrf.verify(Some(cookie.expose()), Some(&tampered)),
            Err(CsrfError::Mismatch)
        );
        for garbage in ["x", "not base64!", &issue.form_token[..40]] {
            assert_eq!(
                csrf.verify(Some(cookie.expose()), Some(garbage)),
                Err(CsrfError::Mismatch),
                "{garbage}"
            );
        }
    }

    #[test]
    fn a_forged_cookie_is_refused_even_with_a_matching_token() {
        let csrf = tokens();
        // An attacker who plants a cookie of their own choosing cannot sign it.
        let secret = [7u8; SECRET_LEN];
        let forged = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(secret),
            URL_SAFE_NO_PAD.encode([0u8; TAG_LEN])
        );
        let token = CsrfTokens::mask(&secret);
        assert_eq!(
            csrf.verify(Some(&forged), Some(&token)),
            Err(CsrfError::Mismatch)
        );
        let unsigned = URL_SAFE_NO_PAD.encode(secret);
        assert_eq!(
            csrf.verify(Some(&unsigned), Some(&token)),
            Err(CsrfError::Mismatch)
        );
        // ... and a request carrying one gets a fresh cookie rather than reusing it.
        assert!(csrf.issue(Some(&forged)).new_cookie.is_some());
    }

    #[test]
    fn a_cookie_of_another_deployment_is_refused() {
        let ours = tokens();
        let theirs = CsrfTokens::new(&["another-deployment-secret"]);
        let issue = theirs.issue(None);
        assert_eq!(
            ours.verify(
                Some(issue.new_cookie.unwrap().expose()),
                Some(&issue.form_token)
            ),
            Err(CsrfError::Mismatch)
        );
    }

    #[test]
    fn cookies_survive_secret_rotation() {
        let old = CsrfTokens::new(&["old-secret-long-enough"]);
        let issue = old.issue(None);
        let rotated = CsrfTokens::new(&["new-secret-long-enough", "old-secret-long-enough"]);
        let cookie = issue.new_cookie.unwrap();
        assert_eq!(
            rotated.verify(Some(cookie.expose()), Some(&issue.form_token)),
            Ok(())
        );
        assert!(rotated.issue(Some(cookie.expose())).new_cookie.is_none());
    }

    #[test]
    fn missing_cookie_or_token_are_told_apart() {
        let csrf = tokens();
        let issue = csrf.issue(None);
        let cookie = issue.new_cookie.unwrap();
        assert_eq!(
            csrf.verify(None, Some(&issue.form_token)),
            Err(CsrfError::CookieMissing)
        );
        assert_eq!(
            csrf.verify(Some(""), Some(&issue.form_token)),
            Err(CsrfError::CookieMissing)
        );
        assert_eq!(
            csrf.verify(Some(cookie.expose()), None),
            Err(CsrfError::TokenMissing)
        );
        assert_eq!(
            csrf.verify(Some(cookie.expose()), Some("  ")),
            Err(CsrfError::TokenMissing)
        );
    }

    #[test]
    fn the_cookie_name_hashes_the_public_base_url() {
        let name = csrf_cookie_name("https://auth.example.com/");
        assert_eq!(
            name,
            format!(
                "csrf_token_{}",
                crate::crypto::sha256_hex(b"https://auth.example.com/")
            )
        );
        assert_eq!(name.len(), "csrf_token_".len() + 64);
        assert_ne!(name, csrf_cookie_name("https://other.example.com/"));
    }
}
