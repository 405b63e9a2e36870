//! The plain-digest families: LDAP `{SSHA…}`, Kratos's templated `$sha…$` and `$md5$`, and
//! `$hmac-…$`. None has a cost parameter; they exist only so that imported legacy hashes
//! keep working until the first login rehashes them.

use hmac::{KeyInit, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use super::fields;
use crate::crypto::constant_time_eq;
use crate::hash::encoding::{
    PADDED, PADDED_LENIENT, apply_template, decode_field, template_mentions_password,
};
use crate::hash::{HashError, HashFormat};

#[derive(Clone, Copy)]
enum ShaKind {
    Sha1,
    Sha256,
    Sha512,
}

impl ShaKind {
    fn output_len(self) -> usize {
        match self {
            ShaKind::Sha1 => 20,
            ShaKind::Sha256 => 32,
            ShaKind::Sha512 => 64,
        }
    }

    fn digest(self, input: &[u8]) -> Vec<u8> {
        match self {
            ShaKind::Sha1 => Sha1::digest(input).to_vec(),
            ShaKind::Sha256 => Sha256::digest(input).to_vec(),
            ShaKind::Sha512 => Sha512::digest(input).to_vec(),
        }
    }
}

/// `{SSHA}`, `{SSHA256}` or `{SSHA512}` followed by base64(digest ‖ salt); the digest is
/// of password ‖ salt.
pub(crate) struct SshaHash {
    kind: ShaKind,
    digest: Vec<u8>,
    salt: Vec<u8>,
}

pub(crate) fn parse_ssha(hash: &str) -> Result<SshaHash, HashError> {
    let format = HashFormat::Ssha;
    let bad = |reason: String| HashError::malformed(format, reason);
    let (kind, encoded) = [
        ("{SSHA}", ShaKind::Sha1),
        ("{SSHA256}", ShaKind::Sha256),
        ("{SSHA512}", ShaKind::Sha512),
    ]
    .into_iter()
    .find_map(|(prefix, kind)| hash.strip_prefix(prefix).map(|rest| (kind, rest)))
    .ok_or_else(|| bad("unknown SSHA variant".into()))?;
    let mut decoded = decode_field(&PADDED_LENIENT, encoded, "value").map_err(bad)?;
    if decoded.len() <= kind.output_len() {
        return Err(bad(
            "the value must hold the digest followed by at least one byte of salt".into(),
        ));
    }
    let salt = decoded.split_off(kind.output_len());
    Ok(SshaHash {
        kind,
        digest: decoded,
        salt,
    })
}

impl SshaHash {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let mut input = Zeroizing::new(Vec::with_capacity(password.len() + self.salt.len()));
        input.extend_from_slice(password);
        input.extend_from_slice(&self.salt);
        constant_time_eq(&self.kind.digest(&input), &self.digest)
    }
}

/// The `pf=` field of `$sha…$` and `$md5$` hashes: a base64 template in which `{SALT}` and
/// `{PASSWORD}` stand for the salt and the password.
struct Template {
    template: Vec<u8>,
    salt: Vec<u8>,
}

impl Template {
    fn parse(format: HashFormat, pf: &str, salt: &str) -> Result<Template, HashError> {
        let bad = |reason: String| HashError::malformed(format, reason);
        let encoded = pf
            .strip_prefix("pf=")
            .ok_or_else(|| bad("the second field must read pf=<base64 template>".into()))?;
        let template = decode_field(&PADDED, encoded, "template").map_err(bad)?;
        // Kratos would accept a template without the password, which every password matches.
        if !template_mentions_password(&template) {
            return Err(bad("the template must contain {PASSWORD}".into()));
        }
        let salt = decode_field(&PADDED, salt, "salt").map_err(bad)?;
        Ok(Template { template, salt })
    }

    fn render(&self, password: &[u8]) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(apply_template(&self.template, &self.salt, password))
    }
}

/// `$sha1$`, `$sha256$` or `$sha512$` then `pf=<template>$<salt>$<digest>`.
pub(crate) struct TemplateShaHash {
    kind: ShaKind,
    template: Template,
    digest: Vec<u8>,
}

pub(crate) fn parse_template_sha(hash: &str) -> Result<TemplateShaHash, HashError> {
    let format = HashFormat::Sha;
    let [_, name, pf, salt, digest] = fields::<5>(
        hash,
        format,
        "$sha256$pf=<base64 template>$<base64 salt>$<base64 digest>",
    )?;
    let kind = match name {
        "sha1" => ShaKind::Sha1,
        "sha256" => ShaKind::Sha256,
        "sha512" => ShaKind::Sha512,
        _ => return Err(HashError::malformed(format, "unknown SHA variant")),
    };
    let template = Template::parse(format, pf, salt)?;
    let digest = decode_field(&PADDED, digest, "digest")
        .map_err(|reason| HashError::malformed(format, reason))?;
    if digest.len() != kind.output_len() {
        return Err(HashError::malformed(
            format,
            format!("the digest must be {} bytes", kind.output_len()),
        ));
    }
    Ok(TemplateShaHash {
        kind,
        template,
        digest,
    })
}

impl TemplateShaHash {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let input = self.template.render(password);
        constant_time_eq(&self.kind.digest(&input), &self.digest)
    }
}

/// `$md5$<base64 digest>` (the digest of the bare password) or
/// `$md5$pf=<template>$<salt>$<digest>`.
pub(crate) struct Md5Hash {
    template: Option<Template>,
    digest: Vec<u8>,
}

pub(crate) fn parse_md5(hash: &str) -> Result<Md5Hash, HashError> {
    let format = HashFormat::Md5;
    let bad = |reason: String| HashError::malformed(format, reason);
    let parts: Vec<&str> = hash.split('$').collect();
    let (template, digest) = match parts[..] {
        [_, _, digest] => (None, digest),
        [_, _, pf, salt, digest] => (Some(Template::parse(format, pf, salt)?), digest),
        _ => {
            return Err(bad(
                "expected $md5$<digest> or $md5$pf=<template>$<salt>$<digest>".into(),
            ));
        }
    };
    let digest = decode_field(&PADDED, digest, "digest").map_err(bad)?;
    if digest.len() != 16 {
        return Err(bad("the digest must be 16 bytes".into()));
    }
    Ok(Md5Hash { template, digest })
}

impl Md5Hash {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let computed = match &self.template {
            Some(template) => Md5::digest(template.render(password).as_slice()),
            None => Md5::digest(password),
        };
        constant_time_eq(&computed, &self.digest)
    }
}

#[derive(Clone, Copy)]
enum HmacKind {
    Md4,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl HmacKind {
    fn output_len(self) -> usize {
        match self {
            HmacKind::Md4 | HmacKind::Md5 => 16,
            HmacKind::Sha1 => 20,
            HmacKind::Sha224 => 28,
            HmacKind::Sha256 => 32,
            HmacKind::Sha384 => 48,
            HmacKind::Sha512 => 64,
        }
    }
}

/// `$hmac-<digest>$<base64 of the lower-case hex MAC>$<base64 key>`; the MAC is of the
/// password under the key.
pub(crate) struct HmacHash {
    kind: HmacKind,
    hex_mac: Vec<u8>,
    key: Vec<u8>,
}

pub(crate) fn parse_hmac(hash: &str) -> Result<HmacHash, HashError> {
    let format = HashFormat::Hmac;
    let bad = |reason: String| HashError::malformed(format, reason);
    let [_, name, mac, key] = fields::<4>(
        hash,
        format,
        "$hmac-<digest>$<base64 of the hex MAC>$<base64 key>",
    )?;
    let kind = match name {
        "hmac-md4" => HmacKind::Md4,
        "hmac-md5" => HmacKind::Md5,
        "hmac-sha1" => HmacKind::Sha1,
        "hmac-sha224" => HmacKind::Sha224,
        "hmac-sha256" => HmacKind::Sha256,
        "hmac-sha384" => HmacKind::Sha384,
        "hmac-sha512" => HmacKind::Sha512,
        _ => return Err(bad("unknown HMAC digest".into())),
    };
    let hex_mac = decode_field(&PADDED, mac, "MAC").map_err(bad)?;
    // Kratos compares with lower-case hex, so anything else could never match.
    let is_lower_hex = hex_mac
        .iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    if hex_mac.len() != 2 * kind.output_len() || !is_lower_hex {
        return Err(bad(format!(
            "the MAC must be {} lower-case hex digits, base64-encoded",
            2 * kind.output_len()
        )));
    }
    let key = decode_field(&PADDED, key, "key").map_err(bad)?;
    Ok(HmacHash { kind, hex_mac, key })
}

fn hmac_hex<M: Mac + KeyInit>(key: &[u8], password: &[u8]) -> Vec<u8> {
    let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(password);
    hex::encode(mac.finalize().into_bytes()).into_bytes()
}

impl HmacHash {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        use hmac::Hmac;
        let (key, pw) = (&self.key[..], password);
        let computed = match self.kind {
            HmacKind::Md4 => hmac_hex::<Hmac<md4::Md4>>(key, pw),
            HmacKind::Md5 => hmac_hex::<Hmac<Md5>>(key, pw),
            HmacKind::Sha1 => hmac_hex::<Hmac<Sha1>>(key, pw),
            HmacKind::Sha224 => hmac_hex::<Hmac<Sha224>>(key, pw),
            HmacKind::Sha256 => hmac_hex::<Hmac<Sha256>>(key, pw),
            HmacKind::Sha384 => hmac_hex::<Hmac<Sha384>>(key, pw),
            HmacKind::Sha512 => hmac_hex::<Hmac<Sha512>>(key, pw),
        };
        constant_time_eq(&computed, &self.hex_mac)
    }
}
