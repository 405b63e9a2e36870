//! Randomness, digests and sealing. Everything secret in the system passes through here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `len` characters from `[A-Za-z0-9]`, drawn from the operating system's CSPRNG
/// (each character carries log2(62) ≈ 5.95 bits).
pub fn random_alphanumeric(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// `len` random bytes from the CSPRNG.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::rng().fill(&mut bytes[..]);
    bytes
}

/// A string of `len` random decimal digits, for one-time codes.
pub fn random_digits(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// Lower-case hex SHA-256. Used to store tokens so that a table dump reveals none.
pub fn sha256_hex(input: &[u8]) -> String {
    hex::encode(Sha256::digest(input))
}

/// Equality that takes the same time wherever the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Why a sealed value could not be opened. Deliberately carries no detail.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the sealed value is malformed or was not sealed by this deployment")]
pub struct OpenError;

/// Authenticated encryption of small values (page tokens, continuity data) with keys derived
/// from the configured secrets. The first secret seals; every secret opens, so that
/// secrets can be rotated without invalidating values in flight.
#[derive(Clone)]
pub struct Sealer {
    ciphers: Vec<XChaCha20Poly1305>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("keys", &self.ciphers.len())
            .finish()
    }
}

const NONCE_LEN: usize = 24;

impl Sealer {
    /// Derives one key per secret. `purpose` separates keys used for different things.
    pub fn new<S: AsRef<str>>(purpose: &str, secrets: &[S]) -> Self {
        assert!(!secrets.is_empty(), "a sealer needs at least one secret");
        let ciphers = secrets
            .iter()
            .map(|secret| {
                let mut hasher = Sha256::new();
                hasher.update(b"serverless-kratos/");
                hasher.update(purpose.as_bytes());
                hasher.update([0u8]);
                hasher.update(secret.as_ref().as_bytes());
                let digest: [u8; 32] = hasher.finalize().into();
                XChaCha20Poly1305::new(&Key::from(digest))
            })
            .collect();
        Self { ciphers }
    }

    /// Encrypts and authenticates `plaintext`; the result is URL-safe base64.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let nonce_bytes: [u8; NONCE_LEN] = rand::rng().random();
        let nonce = XNonce::from(nonce_bytes);
        let ciphertext = self.ciphers[0]
            .encrypt(&nonce, plaintext)
            .expect("XChaCha20-Poly1305 encryption of a small buffer cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ciphertext);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Opens a value sealed by [`Sealer::seal`] with any of the configured secrets.
    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, OpenError> {
        let raw = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| OpenError)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(OpenError);
        }
        let (nonce_bytes, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce_array: [u8; NONCE_LEN] = nonce_bytes.try_into().map_err(|_| OpenError)?;
        let nonce = XNonce::from(nonce_array);
        self.ciphers
            .iter()
            .find_map(|cipher| cipher.decrypt(&nonce, ciphertext).ok())
            .ok_or(OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_secret() {
        let sealer = Sealer::new("test", &["secret-one"]);
        let sealed = sealer.seal(b"hello");
        assert_eq!(sealer.open(&sealed).unwrap(), b"hello");
    }

    #[test]
    fn sealed_values_open_after_rotation() {
        let old = Sealer::new("test", &["old"]);
        let rotated = Sealer::new("test", &["new", "old"]);
        assert_eq!(rotated.open(&old.seal(b"x")).unwrap(), b"x");
    }

    #[test]
    fn tampered_or_foreign_values_do_not_open() {
        let sealer = Sealer::new("test", &["secret"]);
        let sealed = sealer.seal(b"hello");
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(sealer.open(&URL_SAFE_NO_PAD.encode(bytes)), Err(OpenError));
        assert_eq!(sealer.open("not base64!"), Err(OpenError));
        assert_eq!(sealer.open(""), Err(OpenError));
        let other = Sealer::new("other-purpose", &["secret"]);
        assert_eq!(other.open(&sealed), Err(OpenError));
    }

    #[test]
    fn random_tokens_have_the_requested_shape() {
        let token = random_alphanumeric(32);
        assert_eq!(token.len(), 32);
        assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));
        let code = random_digits(6);
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
    }
}
