//! The configured hasher for new passwords (`hashers` in kratos.yml), its rehash policy, and
//! the dummy verification that makes unknown identifiers cost as much as wrong passwords.

use std::fmt;

use super::formats::argon2::{self as argon2_format, Argon2Hash};
use super::formats::bcrypt::{self as bcrypt_format, BcryptHash};
use super::limits::{BCRYPT_MAX_COST, BCRYPT_MAX_PASSWORD_BYTES, MAX_PASSWORD_BYTES};
use super::{HashError, HashFormat, run_blocking};
use crate::config::{HashAlgorithm, Hashers};
use crate::secret::Secret;

/// Hashes new passwords with the configured algorithm. Cheap to clone; build it once per
/// process.
#[derive(Clone)]
pub struct PasswordHasher {
    algorithm: Configured,
}

#[derive(Clone)]
enum Configured {
    Argon2 {
        params: ::argon2::Params,
        salt_len: usize,
        /// A hash of the configured shape that no password matches.
        dummy: std::sync::Arc<Argon2Hash>,
    },
    Bcrypt {
        cost: u32,
        dummy: std::sync::Arc<BcryptHash>,
    },
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.algorithm {
            Configured::Argon2 {
                params, salt_len, ..
            } => f
                .debug_struct("PasswordHasher")
                .field("algorithm", &"argon2id")
                .field("memory_kib", &params.m_cost())
                .field("iterations", &params.t_cost())
                .field("parallelism", &params.p_cost())
                .field("salt_length", salt_len)
                .field("key_length", &params.output_len())
                .finish(),
            Configured::Bcrypt { cost, .. } => f
                .debug_struct("PasswordHasher")
                .field("algorithm", &"bcrypt")
                .field("cost", cost)
                .finish(),
        }
    }
}

impl PasswordHasher {
    /// Checks `hashers` against what this module can later verify (the same bounds that
    /// apply to imported hashes, see [`super::limits`]) and builds the hasher. Computes no
    /// hash, so it is cheap enough for a cold start.
    pub fn new(config: &Hashers) -> Result<PasswordHasher, HashError> {
        let invalid = |reason: String| HashError::InvalidConfig(reason);
        let algorithm = match config.algorithm {
            HashAlgorithm::Argon2 => {
                let argon = &config.argon2;
                let (m, t, p) = argon2_format::checked_params(
                    argon.memory.0 / 1024,
                    argon.iterations.into(),
                    argon.parallelism.into(),
                )
                .map_err(|reason| invalid(format!("hashers.argon2: {reason}")))?;
                let salt_len = usize::try_from(argon.salt_length)
                    .ok()
                    .filter(|len| (16..=64).contains(len))
                    .ok_or_else(|| {
                        invalid("hashers.argon2.salt_length must be between 16 and 64".into())
                    })?;
                let key_len = usize::try_from(argon.key_length)
                    .ok()
                    .filter(|len| (16..=64).contains(len))
                    .ok_or_else(|| {
                        invalid("hashers.argon2.key_length must be between 16 and 64".into())
                    })?;
                let params = ::argon2::Params::new(m, t, p, Some(key_len))
                    .map_err(|e| invalid(format!("hashers.argon2: {e}")))?;
                let dummy = Argon2Hash {
                    format: HashFormat::Argon2id,
                    params: params.clone(),
                    salt: crate::crypto::random_bytes(salt_len),
                    key: vec![0u8; key_len],
                };
                Configured::Argon2 {
                    params,
                    salt_len,
                    dummy: std::sync::Arc::new(dummy),
                }
            }
            HashAlgorithm::Bcrypt => {
                let cost = config.bcrypt.cost;
                if !(4..=BCRYPT_MAX_COST).contains(&cost) {
                    return Err(invalid(format!(
                        "hashers.bcrypt.cost must be between 4 and {BCRYPT_MAX_COST}"
                    )));
                }
                Configured::Bcrypt {
                    cost,
                    dummy: std::sync::Arc::new(BcryptHash::dummy(cost)),
                }
            }
        };
        Ok(PasswordHasher { algorithm })
    }

    /// The longest password (in bytes) this hasher accepts: 72 for bcrypt, as in Kratos,
    /// and [`MAX_PASSWORD_BYTES`] otherwise.
    pub fn max_password_bytes(&self) -> usize {
        match self.algorithm {
            Configured::Argon2 { .. } => MAX_PASSWORD_BYTES,
            Configured::Bcrypt { .. } => BCRYPT_MAX_PASSWORD_BYTES,
        }
    }

    /// The format of the hashes this hasher writes.
    pub fn format(&self) -> HashFormat {
        match self.algorithm {
            Configured::Argon2 { .. } => HashFormat::Argon2id,
            Configured::Bcrypt { .. } => HashFormat::Bcrypt,
        }
    }

    /// Hashes a new password: `$argon2id$v=19$m=…,t=…,p=…$<salt>$<key>` or `$2a$<cost>$…`,
    /// exactly as Kratos writes them.
    ///
    /// Fails with [`HashError::PasswordTooLong`] above 72 bytes for bcrypt (as Kratos does)
    /// and above [`super::limits::MAX_PASSWORD_BYTES`] for any algorithm. Blocking: from
    /// async code use [`PasswordHasher::hash_async`].
    pub fn hash(&self, password: &Secret) -> Result<String, HashError> {
        let password = password.expose().as_bytes();
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(HashError::PasswordTooLong {
                max: MAX_PASSWORD_BYTES,
                actual: password.len(),
            });
        }
        match &self.algorithm {
            Configured::Argon2 {
                params, salt_len, ..
            } => Argon2Hash::generate(params, *salt_len, password).map(|h| h.encode()),
            Configured::Bcrypt { cost, .. } => bcrypt_format::generate(password, *cost),
        }
    }

    /// [`PasswordHasher::hash`] on tokio's blocking pool.
    pub async fn hash_async(&self, password: Secret) -> Result<String, HashError> {
        let hasher = self.clone();
        run_blocking(move || hasher.hash(&password)).await?
    }

    /// Whether a stored hash (which just verified) should be replaced by a fresh one: true
    /// unless it is in the configured algorithm with the configured parameters (argon2id:
    /// memory, iterations, parallelism, salt and key length; bcrypt: cost).
    ///
    /// Kratos rehashes only when the algorithm differs; this also follows parameter
    /// changes, so raising the cost in the configuration upgrades hashes at login.
    pub fn needs_rehash(&self, hash: &str) -> bool {
        match &self.algorithm {
            Configured::Argon2 {
                params, salt_len, ..
            } => {
                if HashFormat::detect(hash) != Some(HashFormat::Argon2id) {
                    return true;
                }
                argon2_format::parse(hash, HashFormat::Argon2id).map_or(true, |stored| {
                    stored.params.m_cost() != params.m_cost()
                        || stored.params.t_cost() != params.t_cost()
                        || stored.params.p_cost() != params.p_cost()
                        || Some(stored.key.len()) != params.output_len()
                        || stored.salt.len() != *salt_len
                })
            }
            Configured::Bcrypt { cost, .. } => {
                if HashFormat::detect(hash) != Some(HashFormat::Bcrypt) {
                    return true;
                }
                bcrypt_format::parse(hash).map_or(true, |stored| stored.cost != *cost)
            }
        }
    }

    /// Spends what verifying `password` against a hash of the configured algorithm and
    /// parameters would spend, and matches nothing. Login calls it when the identifier is
    /// unknown so that the response takes as long as for a wrong password. Passwords that
    /// [`super::verify`] rejects without hashing are rejected here without hashing too.
    ///
    /// Blocking: from async code use [`PasswordHasher::verify_dummy_async`].
    pub fn verify_dummy(&self, password: &Secret) {
        let password = password.expose().as_bytes();
        if password.len() > MAX_PASSWORD_BYTES {
            return;
        }
        let matched = match &self.algorithm {
            Configured::Argon2 { dummy, .. } => dummy.verify(password).unwrap_or(false),
            Configured::Bcrypt { dummy, .. } => {
                password.len() <= BCRYPT_MAX_PASSWORD_BYTES && dummy.verify(password)
            }
        };
        // Keep the work from being optimised away.
        std::hint::black_box(matched);
    }

    /// [`PasswordHasher::verify_dummy`] on tokio's blocking pool.
    pub async fn verify_dummy_async(&self, password: Secret) {
        let hasher = self.clone();
        // A failed blocking task only means the dummy work did not run; nothing to report.
        let _ = run_blocking(move || hasher.verify_dummy(&password)).await;
    }
}
