//! bcrypt: `$2a$12$` (or `$2b$`, `$2y$`, `$2z$`, `$2$`), 22 characters of salt and 31 of
//! hash in bcrypt's base64. Every minor version computes the same for passwords of at most
//! 72 bytes, the only ones Kratos compares, so the minor letter is only checked, not used.

use base64::Engine;

use crate::crypto::constant_time_eq;
use crate::hash::encoding::BCRYPT;
use crate::hash::limits::{BCRYPT_MAX_COST, BCRYPT_MAX_PASSWORD_BYTES};
use crate::hash::{HashError, HashFormat};

const MIN_COST: u32 = 4;
const SALT_CHARS: usize = 22;
const HASH_CHARS: usize = 31;

pub(crate) struct BcryptHash {
    pub(crate) cost: u32,
    salt: [u8; 16],
    /// The 31 stored characters: Kratos compares the encoded form, so we do too.
    encoded_hash: String,
}

pub(crate) fn parse(hash: &str) -> Result<BcryptHash, HashError> {
    let bad = |reason: &str| HashError::malformed(HashFormat::Bcrypt, reason);
    let rest = ["$2$", "$2a$", "$2b$", "$2y$", "$2z$"]
        .iter()
        .find_map(|prefix| hash.strip_prefix(prefix))
        .ok_or_else(|| bad("unknown bcrypt version"))?;
    if !rest.is_ascii() || rest.len() != 3 + SALT_CHARS + HASH_CHARS {
        return Err(bad(
            "expected a two-digit cost, `$`, 22 salt and 31 hash characters",
        ));
    }
    let (cost, rest) = rest.split_at(2);
    let (separator, rest) = rest.split_at(1);
    let (salt, encoded_hash) = rest.split_at(SALT_CHARS);
    if separator != "$" || !cost.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected a two-digit cost followed by `$`"));
    }
    let cost: u32 = cost.parse().map_err(|_| bad("the cost is not a number"))?;
    if !(MIN_COST..=BCRYPT_MAX_COST).contains(&cost) {
        return Err(HashError::malformed(
            HashFormat::Bcrypt,
            format!("the cost must be between {MIN_COST} and {BCRYPT_MAX_COST}"),
        ));
    }
    let salt: [u8; 16] = BCRYPT
        .decode(salt)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| bad("the salt is not bcrypt base64"))?;
    let digest = BCRYPT
        .decode(encoded_hash)
        .map_err(|_| bad("the hash is not bcrypt base64"))?;
    if digest.len() != 23 {
        return Err(bad("the hash is not bcrypt base64"));
    }
    Ok(BcryptHash {
        cost,
        salt,
        encoded_hash: encoded_hash.to_owned(),
    })
}

impl BcryptHash {
    /// A hash that no password matches, used to spend a real verification's time.
    pub(crate) fn dummy(cost: u32) -> BcryptHash {
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&crate::crypto::random_bytes(16));
        BcryptHash {
            cost,
            salt,
            encoded_hash: String::new(),
        }
    }

    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        if password.len() > BCRYPT_MAX_PASSWORD_BYTES {
            return false;
        }
        // bcrypt keys on the password and its terminating NUL, at most 72 bytes in all.
        let mut key = zeroize::Zeroizing::new(Vec::with_capacity(password.len() + 1));
        key.extend_from_slice(password);
        key.push(0);
        key.truncate(BCRYPT_MAX_PASSWORD_BYTES);
        let raw = ::bcrypt::bcrypt(self.cost, self.salt, &key);
        let computed = BCRYPT.encode(&raw[..23]);
        constant_time_eq(computed.as_bytes(), self.encoded_hash.as_bytes())
    }
}

/// Hashes a new password as Kratos does: `$2a$`, with the given cost.
pub(crate) fn generate(password: &[u8], cost: u32) -> Result<String, HashError> {
    if password.len() > BCRYPT_MAX_PASSWORD_BYTES {
        return Err(HashError::PasswordTooLong {
            max: BCRYPT_MAX_PASSWORD_BYTES,
            actual: password.len(),
        });
    }
    ::bcrypt::hash_with_result(password, cost)
        .map(|parts| parts.format_for_version(::bcrypt::Version::TwoA))
        .map_err(|e| HashError::Internal(format!("bcrypt: {e}")))
}
