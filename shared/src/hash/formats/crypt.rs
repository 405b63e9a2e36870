//! The crypt(3) schemes under Kratos's own prefixes: `$md5-crypt$` (crypt's `$1$`),
//! `$sha256-crypt$` (`$5$`) and `$sha512-crypt$` (`$6$`). Kratos swaps its prefix for the
//! crypt identifier and hands the rest to a crypt implementation; the bare `$1$`, `$5$` and
//! `$6$` forms are not accepted by Kratos, so not here either.

use md5::{Digest, Md5};
use sha_crypt::{PasswordVerifier, ShaCrypt};
use zeroize::Zeroizing;

use crate::crypto::constant_time_eq;
use crate::hash::encoding::{crypt_base64, is_crypt_text, parse_decimal};
use crate::hash::limits::SHA_CRYPT_MAX_ROUNDS;
use crate::hash::{HashError, HashFormat};

/// `$md5-crypt$<salt>$<hash>`: salt of up to 8 characters (possibly empty), 22 hash
/// characters.
pub(crate) struct Md5CryptHash {
    salt: String,
    hash: String,
}

pub(crate) fn parse_md5_crypt(hash: &str) -> Result<Md5CryptHash, HashError> {
    let bad = |reason: &str| HashError::malformed(HashFormat::Md5Crypt, reason);
    let [_, _, salt, encoded] =
        super::fields::<4>(hash, HashFormat::Md5Crypt, "$md5-crypt$<salt>$<hash>")?;
    if salt.len() > 8 || !is_crypt_text(salt) {
        return Err(bad(
            "the salt must be at most 8 characters of [./0-9A-Za-z]",
        ));
    }
    if encoded.len() != 22 || !is_crypt_text(encoded) {
        return Err(bad("the hash must be 22 characters of [./0-9A-Za-z]"));
    }
    Ok(Md5CryptHash {
        salt: salt.to_owned(),
        hash: encoded.to_owned(),
    })
}

impl Md5CryptHash {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let computed = md5_crypt(password, self.salt.as_bytes());
        constant_time_eq(computed.as_bytes(), self.hash.as_bytes())
    }
}

/// Poul-Henning Kamp's MD5-based crypt, as glibc and OpenSSL (`openssl passwd -1`) compute
/// it; returns the 22-character encoded hash.
fn md5_crypt(password: &[u8], salt: &[u8]) -> String {
    let alternate = Md5::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize();

    let mut context = Md5::new();
    context.update(password);
    context.update(b"$1$");
    context.update(salt);
    for chunk in password.chunks(16) {
        context.update(&alternate[..chunk.len()]);
    }
    let mut length = password.len();
    while length > 0 {
        if length & 1 == 1 {
            context.update([0u8]);
        } else {
            context.update(&password[..1]);
        }
        length >>= 1;
    }
    let mut digest = context.finalize();

    // A thousand rounds that mix password, salt and the previous digest.
    for round in 0..1000 {
        let mut context = Md5::new();
        if round & 1 == 1 {
            context.update(password);
        } else {
            context.update(digest);
        }
        if round % 3 != 0 {
            context.update(salt);
        }
        if round % 7 != 0 {
            context.update(password);
        }
        if round & 1 == 1 {
            context.update(digest);
        } else {
            context.update(password);
        }
        digest = context.finalize();
    }

    const ORDER: [usize; 16] = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11];
    let permuted = Zeroizing::new(ORDER.map(|i| digest[i]));
    crypt_base64(permuted.as_slice())
}

/// `$sha256-crypt$` or `$sha512-crypt$`, optionally `rounds=<n>$`, then a salt of 1 to 16
/// characters and the hash (43 or 86 characters).
pub(crate) struct ShaCryptHash {
    format: HashFormat,
    /// The hash rewritten under its crypt(3) identifier.
    crypt: String,
}

pub(crate) fn parse_sha_crypt(hash: &str, format: HashFormat) -> Result<ShaCryptHash, HashError> {
    let bad = |reason: String| HashError::malformed(format, reason);
    let (identifier, hash_chars) = if format == HashFormat::Sha256Crypt {
        ("5", 43)
    } else {
        ("6", 86)
    };
    let parts: Vec<&str> = hash.split('$').collect();
    let (rounds, salt, encoded) = match parts[..] {
        [_, _, salt, encoded] => (None, salt, encoded),
        [_, _, rounds, salt, encoded] => (Some(rounds), salt, encoded),
        _ => {
            return Err(bad(format!(
                "expected ${}$[rounds=<n>$]<salt>$<hash>",
                format.name()
            )));
        }
    };
    if let Some(rounds) = rounds {
        let value = rounds
            .strip_prefix("rounds=")
            .and_then(parse_decimal)
            .ok_or_else(|| bad("the parameters must read rounds=<n>".into()))?;
        if !(1000..=u64::from(SHA_CRYPT_MAX_ROUNDS)).contains(&value) {
            return Err(bad(format!(
                "rounds must be between 1000 and {SHA_CRYPT_MAX_ROUNDS}"
            )));
        }
    }
    if salt.is_empty() || salt.len() > 16 || !is_crypt_text(salt) {
        return Err(bad(
            "the salt must be 1 to 16 characters of [./0-9A-Za-z]".into()
        ));
    }
    if encoded.len() != hash_chars || !is_crypt_text(encoded) {
        return Err(bad(format!(
            "the hash must be {hash_chars} characters of [./0-9A-Za-z]"
        )));
    }
    let crypt = match rounds {
        Some(rounds) => format!("${identifier}${rounds}${salt}${encoded}"),
        None => format!("${identifier}${salt}${encoded}"),
    };
    Ok(ShaCryptHash { format, crypt })
}

impl ShaCryptHash {
    pub(crate) fn format(&self) -> HashFormat {
        self.format
    }

    /// `sha_crypt` compares in constant time.
    pub(crate) fn verify(&self, password: &[u8]) -> Result<bool, HashError> {
        let algorithm = if self.format == HashFormat::Sha256Crypt {
            ShaCrypt::SHA256
        } else {
            ShaCrypt::SHA512
        };
        match algorithm.verify_password(password, self.crypt.as_str()) {
            Ok(()) => Ok(true),
            Err(sha_crypt::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(HashError::Internal(format!(
                "{} rejected a hash this module accepted: {e}",
                self.format
            ))),
        }
    }
}
