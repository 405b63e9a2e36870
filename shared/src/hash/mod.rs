//! Password hashing: new hashes in the configured algorithm (argon2id or bcrypt), and
//! verification of every stored-hash format Kratos v1.3 accepts on identity import.
//!
//! Three callers shape this API:
//! - the admin import (`credentials.password.config.hashed_password`) calls
//!   [`validate_hash`] and answers 400 when it fails;
//! - login calls [`verify`] (or [`verify_dummy`](PasswordHasher::verify_dummy) when the
//!   identifier is unknown, so both paths cost the same) and then, on success,
//!   [`PasswordHasher::needs_rehash`] to move old hashes to the configured algorithm;
//! - registration, settings and recovery call [`PasswordHasher::hash`].
//!
//! Everything here is CPU-bound and blocking (argon2id at the default parameters takes
//! tens of milliseconds, bcrypt cost 12 a quarter of a second). From async code, call the
//! `*_async` variants, which run the work on tokio's blocking pool.
//!
//! The accepted formats, their exact shapes and where this module is stricter than Kratos
//! are listed in `docs/password-hashes.md`. In short: Kratos only checks a hash's prefix on
//! import; this module parses the whole hash and bounds its cost parameters, so a hash that
//! could never verify, or that would exhaust a Lambda's memory or CPU at login, is refused
//! at import time instead.

mod encoding;
mod formats;
mod hasher;
pub mod limits;

#[cfg(test)]
mod tests;

use std::fmt;

pub use hasher::PasswordHasher;

use crate::secret::Secret;

/// The family of a stored password hash, as recognised from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashFormat {
    /// `$argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<key>` (unpadded base64).
    Argon2id,
    /// `$argon2i$…`, same shape as argon2id.
    Argon2i,
    /// `$2a$`, `$2b$`, `$2y$`, `$2z$` or `$2$`, then a two-digit cost, 22 salt and 31 hash
    /// characters in bcrypt's base64.
    Bcrypt,
    /// `$pbkdf2-<digest>$i=<iterations>,l=<length>$<salt>$<key>` (unpadded base64).
    Pbkdf2,
    /// `$scrypt$ln=<N>,r=<r>,p=<p>$<salt>$<key>` (padded base64). Despite its name, `ln`
    /// holds N itself, not its logarithm.
    Scrypt,
    /// Firebase's scrypt variant:
    /// `$firescrypt$ln=<mem_cost>,r=<rounds>,p=<p>$<salt>$<hash>$<salt separator>$<signer key>`.
    Firescrypt,
    /// LDAP salted SHA: `{SSHA}`, `{SSHA256}` or `{SSHA512}` then base64(digest ‖ salt).
    Ssha,
    /// Salted SHA with a template: `$sha1$`, `$sha256$` or `$sha512$`, then
    /// `pf=<base64 template>$<base64 salt>$<base64 digest>`.
    Sha,
    /// `$md5$<base64 digest>`, or with a template like [`HashFormat::Sha`].
    Md5,
    /// `$md5-crypt$<salt>$<hash>`: the crypt(3) `$1$` scheme under Kratos's own prefix.
    Md5Crypt,
    /// `$sha256-crypt$[rounds=<n>$]<salt>$<hash>`: crypt(3) `$5$` under Kratos's prefix.
    Sha256Crypt,
    /// `$sha512-crypt$[rounds=<n>$]<salt>$<hash>`: crypt(3) `$6$` under Kratos's prefix.
    Sha512Crypt,
    /// `$hmac-<digest>$<base64 of the hex MAC>$<base64 key>`.
    Hmac,
}

impl HashFormat {
    /// Every format, in the order Kratos tries them.
    pub const ALL: [HashFormat; 13] = [
        HashFormat::Md5Crypt,
        HashFormat::Bcrypt,
        HashFormat::Sha256Crypt,
        HashFormat::Sha512Crypt,
        HashFormat::Argon2id,
        HashFormat::Argon2i,
        HashFormat::Pbkdf2,
        HashFormat::Scrypt,
        HashFormat::Ssha,
        HashFormat::Sha,
        HashFormat::Firescrypt,
        HashFormat::Md5,
        HashFormat::Hmac,
    ];

    /// Recognises a hash by its prefix exactly as Kratos does, without parsing the rest.
    /// `None` means Kratos would refuse the hash as an unknown format.
    pub fn detect(hash: &str) -> Option<HashFormat> {
        HashFormat::ALL
            .into_iter()
            .find(|format| format.has_prefix_of(hash))
    }

    /// A short lower-case name, used in error messages and logs.
    pub fn name(self) -> &'static str {
        match self {
            HashFormat::Argon2id => "argon2id",
            HashFormat::Argon2i => "argon2i",
            HashFormat::Bcrypt => "bcrypt",
            HashFormat::Pbkdf2 => "pbkdf2",
            HashFormat::Scrypt => "scrypt",
            HashFormat::Firescrypt => "firescrypt",
            HashFormat::Ssha => "ssha",
            HashFormat::Sha => "sha",
            HashFormat::Md5 => "md5",
            HashFormat::Md5Crypt => "md5-crypt",
            HashFormat::Sha256Crypt => "sha256-crypt",
            HashFormat::Sha512Crypt => "sha512-crypt",
            HashFormat::Hmac => "hmac",
        }
    }

    fn has_prefix_of(self, hash: &str) -> bool {
        let one_of = |prefixes: &[&str]| prefixes.iter().any(|p| hash.starts_with(p));
        match self {
            HashFormat::Md5Crypt => hash.starts_with("$md5-crypt$"),
            HashFormat::Bcrypt => one_of(&["$2$", "$2a$", "$2b$", "$2y$", "$2z$"]),
            HashFormat::Sha256Crypt => hash.starts_with("$sha256-crypt$"),
            HashFormat::Sha512Crypt => hash.starts_with("$sha512-crypt$"),
            HashFormat::Argon2id => hash.starts_with("$argon2id$"),
            HashFormat::Argon2i => hash.starts_with("$argon2i$"),
            HashFormat::Pbkdf2 => hash
                .strip_prefix("$pbkdf2-sha")
                .and_then(|rest| rest.split_once('$'))
                .is_some_and(|(digits, _)| {
                    (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
                }),
            HashFormat::Scrypt => hash.starts_with("$scrypt$"),
            HashFormat::Ssha => one_of(&["{SSHA}", "{SSHA256}", "{SSHA512}"]),
            HashFormat::Sha => one_of(&["$sha1$", "$sha256$", "$sha512$"]),
            HashFormat::Firescrypt => hash.starts_with("$firescrypt$"),
            HashFormat::Md5 => hash.starts_with("$md5$"),
            HashFormat::Hmac => one_of(&[
                "$hmac-md4$",
                "$hmac-md5$",
                "$hmac-sha1$",
                "$hmac-sha224$",
                "$hmac-sha256$",
                "$hmac-sha384$",
                "$hmac-sha512$",
            ]),
        }
    }
}

impl fmt::Display for HashFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why hashing or verification failed. No variant ever carries the password or the hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The value does not start with any prefix Kratos recognises.
    #[error("the value does not match any supported password hash format")]
    UnknownFormat,
    /// The prefix is known but the rest cannot be used: bad structure, bad base64,
    /// parameters out of bounds, or a digest that could never match.
    #[error("the {format} password hash is malformed: {reason}")]
    Malformed { format: HashFormat, reason: String },
    /// The password is longer than the configured algorithm accepts (72 bytes for bcrypt,
    /// as in Kratos; [`limits::MAX_PASSWORD_BYTES`] for everything).
    #[error("the password is {actual} bytes long but at most {max} bytes are allowed")]
    PasswordTooLong { max: usize, actual: usize },
    /// `hashers` in the configuration cannot produce hashes this module can verify.
    #[error("the password hasher configuration is invalid: {0}")]
    InvalidConfig(String),
    /// Something that should not happen: an allocation failure, a lost blocking task.
    #[error("password hashing failed: {0}")]
    Internal(String),
}

impl HashError {
    pub(crate) fn malformed(format: HashFormat, reason: impl Into<String>) -> Self {
        HashError::Malformed {
            format,
            reason: reason.into(),
        }
    }
}

/// Parses `hash` completely and checks its cost parameters against [`limits`], without
/// computing anything expensive. The admin import API answers 400 when this fails.
///
/// Never panics, whatever the input.
pub fn validate_hash(hash: &str) -> Result<HashFormat, HashError> {
    formats::parse(hash).map(|parsed| parsed.format())
}

/// Checks `password` against a stored hash in any supported format, in constant time with
/// respect to the digest.
///
/// `Ok(false)` means the password is wrong, including passwords that could never match
/// (longer than [`limits::MAX_PASSWORD_BYTES`], or longer than 72 bytes against a bcrypt
/// hash, which Kratos also refuses to compare). `Err` means the stored hash is unusable;
/// login treats that as invalid credentials too, but should log it.
///
/// Blocking and CPU-heavy: from async code use [`verify_async`] (or
/// `tokio::task::spawn_blocking`).
pub fn verify(password: &Secret, hash: &str) -> Result<bool, HashError> {
    let parsed = formats::parse(hash)?;
    let password = password.expose().as_bytes();
    if password.len() > limits::MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    parsed.verify(password)
}

/// [`verify`] on tokio's blocking pool.
pub async fn verify_async(password: Secret, hash: String) -> Result<bool, HashError> {
    run_blocking(move || verify(&password, &hash)).await?
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HashError::Internal(format!("the blocking hashing task failed: {e}")))
}
