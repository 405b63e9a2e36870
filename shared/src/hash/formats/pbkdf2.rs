//! PBKDF2 in Kratos's form: `$pbkdf2-<digest>$i=<iterations>,l=<length>$<salt>$<key>`,
//! salt and key in unpadded base64.
//!
//! Two Kratos facts shape this parser. The `l` parameter is read but not used: the key
//! length is the stored key's length (Kratos's own documentation shows `l=128` with a
//! 16-byte key). And Kratos maps `sha224` and `sha384` to SHA3-224 and SHA3-384, not to
//! the SHA-2 functions of those names; hashes that verified in Kratos must verify here, so
//! the same mapping applies.

use super::{fields, require_digest};
use crate::crypto::constant_time_eq;
use crate::hash::encoding::{UNPADDED, decode_field, parse_params};
use crate::hash::limits::PBKDF2_MAX_WORK;
use crate::hash::{HashError, HashFormat};

const SHAPE: &str = "$pbkdf2-<digest>$i=<iterations>,l=<length>$<salt>$<key>";

#[derive(Clone, Copy)]
enum Prf {
    Sha1,
    Sha3_224,
    Sha256,
    Sha3_384,
    Sha512,
}

impl Prf {
    fn output_len(self) -> u64 {
        match self {
            Prf::Sha1 => 20,
            Prf::Sha3_224 => 28,
            Prf::Sha256 => 32,
            Prf::Sha3_384 => 48,
            Prf::Sha512 => 64,
        }
    }
}

pub(crate) struct Pbkdf2Hash {
    prf: Prf,
    iterations: u32,
    salt: Vec<u8>,
    key: Vec<u8>,
}

pub(crate) fn parse(hash: &str) -> Result<Pbkdf2Hash, HashError> {
    let format = HashFormat::Pbkdf2;
    let bad = |reason: String| HashError::malformed(format, reason);
    let [_, algorithm, params, salt, key] = fields::<5>(hash, format, SHAPE)?;
    let prf = match algorithm {
        "pbkdf2-sha1" => Prf::Sha1,
        "pbkdf2-sha224" => Prf::Sha3_224,
        "pbkdf2-sha256" => Prf::Sha256,
        "pbkdf2-sha384" => Prf::Sha3_384,
        "pbkdf2-sha512" => Prf::Sha512,
        _ => {
            return Err(bad(
                "the digest must be sha1, sha224, sha256, sha384 or sha512".into(),
            ));
        }
    };
    let [iterations, _length] = parse_params(params, ["i", "l"])
        .ok_or_else(|| bad("the parameters must read i=<iterations>,l=<length>".into()))?;
    let salt = decode_field(&UNPADDED, salt, "salt").map_err(bad)?;
    let key = decode_field(&UNPADDED, key, "key").map_err(bad)?;
    require_digest(format, &key)?;
    let blocks = (key.len() as u64).div_ceil(prf.output_len());
    let iterations = u32::try_from(iterations)
        .ok()
        .filter(|&i| i >= 1 && u64::from(i) * blocks <= PBKDF2_MAX_WORK)
        .ok_or_else(|| {
            bad(format!(
                "the iterations must be at least 1 and iterations × key blocks at most {PBKDF2_MAX_WORK}"
            ))
        })?;
    Ok(Pbkdf2Hash {
        prf,
        iterations,
        salt,
        key,
    })
}

impl Pbkdf2Hash {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        use ::pbkdf2::pbkdf2_hmac;
        let mut derived = zeroize::Zeroizing::new(vec![0u8; self.key.len()]);
        let (salt, rounds) = (&self.salt[..], self.iterations);
        match self.prf {
            Prf::Sha1 => pbkdf2_hmac::<sha1::Sha1>(password, salt, rounds, &mut derived),
            Prf::Sha3_224 => pbkdf2_hmac::<sha3::Sha3_224>(password, salt, rounds, &mut derived),
            Prf::Sha256 => pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, &mut derived),
            Prf::Sha3_384 => pbkdf2_hmac::<sha3::Sha3_384>(password, salt, rounds, &mut derived),
            Prf::Sha512 => pbkdf2_hmac::<sha2::Sha512>(password, salt, rounds, &mut derived),
        }
        constant_time_eq(&derived, &self.key)
    }
}
