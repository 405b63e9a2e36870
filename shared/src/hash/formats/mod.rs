//! One parser and verifier per stored-hash family. [`parse`] recognises the family by
//! prefix (as Kratos does), then parses the whole string and checks it against
//! [`super::limits`]; [`Parsed::verify`] does the expensive part.

pub(super) mod argon2;
pub(super) mod bcrypt;
mod crypt;
mod digest;
mod pbkdf2;
mod scrypt;

use super::limits::MAX_HASH_CHARS;
use super::{HashError, HashFormat};

/// A fully parsed stored hash, ready to verify a password against.
pub(super) enum Parsed {
    Argon2(self::argon2::Argon2Hash),
    Bcrypt(self::bcrypt::BcryptHash),
    Pbkdf2(self::pbkdf2::Pbkdf2Hash),
    Scrypt(self::scrypt::ScryptHash),
    Firescrypt(self::scrypt::FirescryptHash),
    Ssha(self::digest::SshaHash),
    Sha(self::digest::TemplateShaHash),
    Md5(self::digest::Md5Hash),
    Hmac(self::digest::HmacHash),
    Md5Crypt(self::crypt::Md5CryptHash),
    ShaCrypt(self::crypt::ShaCryptHash),
}

pub(super) fn parse(hash: &str) -> Result<Parsed, HashError> {
    let format = HashFormat::detect(hash).ok_or(HashError::UnknownFormat)?;
    if hash.len() > MAX_HASH_CHARS {
        return Err(HashError::malformed(
            format,
            format!("it is longer than {MAX_HASH_CHARS} characters"),
        ));
    }
    Ok(match format {
        HashFormat::Argon2id | HashFormat::Argon2i => {
            Parsed::Argon2(self::argon2::parse(hash, format)?)
        }
        HashFormat::Bcrypt => Parsed::Bcrypt(self::bcrypt::parse(hash)?),
        HashFormat::Pbkdf2 => Parsed::Pbkdf2(self::pbkdf2::parse(hash)?),
        HashFormat::Scrypt => Parsed::Scrypt(self::scrypt::parse_scrypt(hash)?),
        HashFormat::Firescrypt => Parsed::Firescrypt(self::scrypt::parse_firescrypt(hash)?),
        HashFormat::Ssha => Parsed::Ssha(self::digest::parse_ssha(hash)?),
        HashFormat::Sha => Parsed::Sha(self::digest::parse_template_sha(hash)?),
        HashFormat::Md5 => Parsed::Md5(self::digest::parse_md5(hash)?),
        HashFormat::Hmac => Parsed::Hmac(self::digest::parse_hmac(hash)?),
        HashFormat::Md5Crypt => Parsed::Md5Crypt(self::crypt::parse_md5_crypt(hash)?),
        HashFormat::Sha256Crypt | HashFormat::Sha512Crypt => {
            Parsed::ShaCrypt(self::crypt::parse_sha_crypt(hash, format)?)
        }
    })
}

impl Parsed {
    pub(super) fn format(&self) -> HashFormat {
        match self {
            Parsed::Argon2(h) => h.format,
            Parsed::Bcrypt(_) => HashFormat::Bcrypt,
            Parsed::Pbkdf2(_) => HashFormat::Pbkdf2,
            Parsed::Scrypt(_) => HashFormat::Scrypt,
            Parsed::Firescrypt(_) => HashFormat::Firescrypt,
            Parsed::Ssha(_) => HashFormat::Ssha,
            Parsed::Sha(_) => HashFormat::Sha,
            Parsed::Md5(_) => HashFormat::Md5,
            Parsed::Hmac(_) => HashFormat::Hmac,
            Parsed::Md5Crypt(_) => HashFormat::Md5Crypt,
            Parsed::ShaCrypt(h) => h.format(),
        }
    }

    /// Compares in constant time with respect to the stored digest.
    pub(super) fn verify(&self, password: &[u8]) -> Result<bool, HashError> {
        match self {
            Parsed::Argon2(h) => h.verify(password),
            Parsed::Bcrypt(h) => Ok(h.verify(password)),
            Parsed::Pbkdf2(h) => Ok(h.verify(password)),
            Parsed::Scrypt(h) => h.verify(password),
            Parsed::Firescrypt(h) => h.verify(password),
            Parsed::Ssha(h) => Ok(h.verify(password)),
            Parsed::Sha(h) => Ok(h.verify(password)),
            Parsed::Md5(h) => Ok(h.verify(password)),
            Parsed::Hmac(h) => Ok(h.verify(password)),
            Parsed::Md5Crypt(h) => Ok(h.verify(password)),
            Parsed::ShaCrypt(h) => h.verify(password),
        }
    }
}

/// Splits on `$` and checks the number of fields (the first is the empty text before the
/// leading `$`).
fn fields<'a, const N: usize>(
    hash: &'a str,
    format: HashFormat,
    shape: &str,
) -> Result<[&'a str; N], HashError> {
    let parts: Vec<&str> = hash.split('$').collect();
    parts
        .try_into()
        .map_err(|_| HashError::malformed(format, format!("expected the shape {shape}")))
}

/// Checks a decoded digest's length against [`super::limits::MIN_DIGEST_BYTES`].
fn require_digest(format: HashFormat, digest: &[u8]) -> Result<(), HashError> {
    use super::limits::MIN_DIGEST_BYTES;
    if digest.len() < MIN_DIGEST_BYTES {
        return Err(HashError::malformed(
            format,
            format!("the derived key is shorter than {MIN_DIGEST_BYTES} bytes"),
        ));
    }
    Ok(())
}
