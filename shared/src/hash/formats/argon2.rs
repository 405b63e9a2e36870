//! argon2id and argon2i in PHC form: `$argon2id$v=19$m=<KiB>,t=<n>,p=<n>$<salt>$<key>`,
//! salt and key in unpadded base64, the key length being whatever the stored key is.

use ::argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;

use super::{fields, require_digest};
use crate::crypto::constant_time_eq;
use crate::hash::encoding::{UNPADDED, decode_field, parse_params};
use crate::hash::limits::{ARGON2_MAX_ITERATIONS, ARGON2_MAX_MEMORY_KIB, ARGON2_MAX_PARALLELISM};
use crate::hash::{HashError, HashFormat};

const SHAPE: &str = "$argon2id$v=19$m=<KiB>,t=<iterations>,p=<parallelism>$<salt>$<key>";

pub(crate) struct Argon2Hash {
    pub(crate) format: HashFormat,
    pub(crate) params: Params,
    pub(crate) salt: Vec<u8>,
    pub(crate) key: Vec<u8>,
}

pub(crate) fn parse(hash: &str, format: HashFormat) -> Result<Argon2Hash, HashError> {
    let bad = |reason: String| HashError::malformed(format, reason);
    let [_, _, version, params, salt, key] = fields::<6>(hash, format, SHAPE)?;
    if version != "v=19" {
        return Err(bad("only version v=19 is supported".into()));
    }
    let [m, t, p] = parse_params(params, ["m", "t", "p"]).ok_or_else(|| {
        bad("the parameters must read m=<KiB>,t=<iterations>,p=<parallelism>".into())
    })?;
    let (m, t, p) = checked_params(m, t, p).map_err(bad)?;
    let salt = decode_field(&UNPADDED, salt, "salt").map_err(bad)?;
    if salt.len() < ::argon2::MIN_SALT_LEN {
        return Err(bad(format!(
            "the salt is shorter than {} bytes",
            ::argon2::MIN_SALT_LEN
        )));
    }
    let key = decode_field(&UNPADDED, key, "key").map_err(bad)?;
    require_digest(format, &key)?;
    let params = Params::new(m, t, p, Some(key.len())).map_err(|e| bad(e.to_string()))?;
    Ok(Argon2Hash {
        format,
        params,
        salt,
        key,
    })
}

/// Applies [`crate::hash::limits`] and argon2's own rule that memory is at least 8 KiB
/// per lane.
pub(crate) fn checked_params(m: u64, t: u64, p: u64) -> Result<(u32, u32, u32), String> {
    let within = |value: u64, max: u32| u32::try_from(value).ok().filter(|v| (1..=max).contains(v));
    let m = within(m, ARGON2_MAX_MEMORY_KIB)
        .ok_or_else(|| format!("m must be between 1 and {ARGON2_MAX_MEMORY_KIB} KiB"))?;
    let t = within(t, ARGON2_MAX_ITERATIONS)
        .ok_or_else(|| format!("t must be between 1 and {ARGON2_MAX_ITERATIONS}"))?;
    let p = within(p, ARGON2_MAX_PARALLELISM)
        .ok_or_else(|| format!("p must be between 1 and {ARGON2_MAX_PARALLELISM}"))?;
    if m < 8 * p {
        return Err("m must be at least 8 KiB per lane (8 × p)".into());
    }
    Ok((m, t, p))
}

fn algorithm(format: HashFormat) -> Algorithm {
    if format == HashFormat::Argon2i {
        Algorithm::Argon2i
    } else {
        Algorithm::Argon2id
    }
}

impl Argon2Hash {
    pub(crate) fn verify(&self, password: &[u8]) -> Result<bool, HashError> {
        let mut derived = zeroize::Zeroizing::new(vec![0u8; self.key.len()]);
        Argon2::new(algorithm(self.format), Version::V0x13, self.params.clone())
            .hash_password_into(password, &self.salt, &mut derived)
            .map_err(|e| HashError::Internal(format!("argon2: {e}")))?;
        Ok(constant_time_eq(&derived, &self.key))
    }

    /// Encodes as Kratos writes argon2id hashes.
    pub(crate) fn encode(&self) -> String {
        format!(
            "${}$v=19$m={},t={},p={}${}${}",
            self.format.name(),
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost(),
            UNPADDED.encode(&self.salt),
            UNPADDED.encode(&self.key),
        )
    }

    /// Derives a new argon2id hash of `password` with a fresh random salt.
    pub(crate) fn generate(
        params: &Params,
        salt_len: usize,
        password: &[u8],
    ) -> Result<Argon2Hash, HashError> {
        let salt = crate::crypto::random_bytes(salt_len);
        let key_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let mut key = vec![0u8; key_len];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into(password, &salt, &mut key)
            .map_err(|e| HashError::Internal(format!("argon2: {e}")))?;
        Ok(Argon2Hash {
            format: HashFormat::Argon2id,
            params: params.clone(),
            salt,
            key,
        })
    }
}
