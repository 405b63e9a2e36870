//! scrypt (`$scrypt$ln=<N>,r=<r>,p=<p>$<salt>$<key>`) and Firebase's scrypt variant
//! (`$firescrypt$ln=<mem_cost>,r=<rounds>,p=<p>$<salt>$<hash>$<salt separator>$<signer key>`),
//! all fields in padded base64.
//!
//! In `$scrypt$` Kratos passes `ln` to scrypt as N itself; in `$firescrypt$` it is Firebase's
//! `mem_cost`, and N = 2^ln. Firebase derives a 32-byte key with scrypt over
//! salt ‖ separator, then encrypts the project's signer key with AES-256-CTR (zero IV);
//! the ciphertext is the stored hash.

use aes::Aes256;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};

use super::{fields, require_digest};
use crate::crypto::constant_time_eq;
use crate::hash::encoding::{PADDED, decode_field, parse_params};
use crate::hash::limits::{FIRESCRYPT_MAX_LOG_N, SCRYPT_MAX_N, SCRYPT_MAX_P, SCRYPT_MAX_R};
use crate::hash::{HashError, HashFormat};

pub(crate) struct ScryptHash {
    params: ::scrypt::Params,
    salt: Vec<u8>,
    key: Vec<u8>,
}

pub(crate) struct FirescryptHash {
    params: ::scrypt::Params,
    salt_and_separator: Vec<u8>,
    signer_key: Vec<u8>,
    hash: Vec<u8>,
}

fn bounded_r_p(r: u64, p: u64) -> Result<(u32, u32), String> {
    let r = u32::try_from(r)
        .ok()
        .filter(|r| (1..=SCRYPT_MAX_R).contains(r))
        .ok_or_else(|| format!("r must be between 1 and {SCRYPT_MAX_R}"))?;
    let p = u32::try_from(p)
        .ok()
        .filter(|p| (1..=SCRYPT_MAX_P).contains(p))
        .ok_or_else(|| format!("p must be between 1 and {SCRYPT_MAX_P}"))?;
    Ok((r, p))
}

fn scrypt_params(log_n: u32, r: u32, p: u32) -> Result<::scrypt::Params, String> {
    let log_n = u8::try_from(log_n).map_err(|_| "N is too large".to_owned())?;
    ::scrypt::Params::new(log_n, r, p).map_err(|_| "the scrypt parameters are invalid".into())
}

pub(crate) fn parse_scrypt(hash: &str) -> Result<ScryptHash, HashError> {
    let format = HashFormat::Scrypt;
    let bad = |reason: String| HashError::malformed(format, reason);
    let [_, _, params, salt, key] =
        fields::<5>(hash, format, "$scrypt$ln=<N>,r=<r>,p=<p>$<salt>$<key>")?;
    let [n, r, p] = parse_params(params, ["ln", "r", "p"])
        .ok_or_else(|| bad("the parameters must read ln=<N>,r=<r>,p=<p>".into()))?;
    if !(2..=SCRYPT_MAX_N).contains(&n) || !n.is_power_of_two() {
        return Err(bad(format!(
            "ln is N itself and must be a power of two between 2 and {SCRYPT_MAX_N}"
        )));
    }
    let (r, p) = bounded_r_p(r, p).map_err(bad)?;
    let params = scrypt_params(n.trailing_zeros(), r, p).map_err(bad)?;
    let salt = decode_field(&PADDED, salt, "salt").map_err(bad)?;
    let key = decode_field(&PADDED, key, "key").map_err(bad)?;
    require_digest(format, &key)?;
    Ok(ScryptHash { params, salt, key })
}

pub(crate) fn parse_firescrypt(hash: &str) -> Result<FirescryptHash, HashError> {
    let format = HashFormat::Firescrypt;
    let bad = |reason: String| HashError::malformed(format, reason);
    let [_, _, params, salt, hash, separator, signer_key] = fields::<7>(
        hash,
        format,
        "$firescrypt$ln=<mem_cost>,r=<rounds>,p=<p>$<salt>$<hash>$<salt separator>$<signer key>",
    )?;
    let [log_n, r, p] = parse_params(params, ["ln", "r", "p"])
        .ok_or_else(|| bad("the parameters must read ln=<mem_cost>,r=<rounds>,p=<p>".into()))?;
    let log_n = u32::try_from(log_n)
        .ok()
        .filter(|l| (1..=FIRESCRYPT_MAX_LOG_N).contains(l))
        .ok_or_else(|| bad(format!("ln must be between 1 and {FIRESCRYPT_MAX_LOG_N}")))?;
    let (r, p) = bounded_r_p(r, p).map_err(bad)?;
    let params = scrypt_params(log_n, r, p).map_err(bad)?;
    let mut salt_and_separator = decode_field(&PADDED, salt, "salt").map_err(bad)?;
    let hash = decode_field(&PADDED, hash, "hash").map_err(bad)?;
    salt_and_separator.extend(decode_field(&PADDED, separator, "salt separator").map_err(bad)?);
    let signer_key = decode_field(&PADDED, signer_key, "signer key").map_err(bad)?;
    require_digest(format, &hash)?;
    if hash.len() != signer_key.len() {
        return Err(bad(
            "the hash must be as long as the signer key it encrypts".into(),
        ));
    }
    Ok(FirescryptHash {
        params,
        salt_and_separator,
        signer_key,
        hash,
    })
}

fn internal(e: impl std::fmt::Display) -> HashError {
    HashError::Internal(format!("scrypt: {e}"))
}

impl ScryptHash {
    pub(crate) fn verify(&self, password: &[u8]) -> Result<bool, HashError> {
        let mut derived = zeroize::Zeroizing::new(vec![0u8; self.key.len()]);
        ::scrypt::scrypt(password, &self.salt, &self.params, &mut derived).map_err(internal)?;
        Ok(constant_time_eq(&derived, &self.key))
    }
}

impl FirescryptHash {
    pub(crate) fn verify(&self, password: &[u8]) -> Result<bool, HashError> {
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        ::scrypt::scrypt(
            password,
            &self.salt_and_separator,
            &self.params,
            key.as_mut_slice(),
        )
        .map_err(internal)?;
        let mut cipher =
            Ctr128BE::<Aes256>::new_from_slices(key.as_slice(), &[0u8; 16]).map_err(internal)?;
        let mut encrypted = self.signer_key.clone();
        cipher.apply_keystream(&mut encrypted);
        Ok(constant_time_eq(&encrypted, &self.hash))
    }
}
