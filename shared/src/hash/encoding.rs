//! The text encodings stored hashes use, decoded exactly as strictly as Kratos decodes them,
//! and the small parsers shared by the formats.

use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::limits::MAX_FIELD_BYTES;

/// Padded standard base64, canonical trailing bits (Go's `StdEncoding.Strict()`).
pub(super) const PADDED: GeneralPurpose = STANDARD;

/// Unpadded standard base64, canonical trailing bits (Go's `RawStdEncoding.Strict()`).
pub(super) const UNPADDED: GeneralPurpose = STANDARD_NO_PAD;

/// Padded standard base64 that ignores non-zero trailing bits (Go's lenient `StdEncoding`,
/// which Kratos uses for `{SSHA}` hashes).
pub(super) const PADDED_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// bcrypt's base64: its own alphabet, no padding, trailing bits of the salt ignored (as the
/// OpenBSD and Go implementations do).
pub(super) const BCRYPT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::BCRYPT,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Decodes one base64 field, bounded by [`MAX_FIELD_BYTES`]. The error is a reason for
/// [`super::HashError::Malformed`].
pub(super) fn decode_field(
    engine: &GeneralPurpose,
    field: &str,
    what: &str,
) -> Result<Vec<u8>, String> {
    // Four characters carry three bytes; checking first avoids decoding huge fields.
    if field.len() / 4 * 3 > MAX_FIELD_BYTES + 3 {
        return Err(format!("the {what} is longer than {MAX_FIELD_BYTES} bytes"));
    }
    let bytes = engine
        .decode(field)
        .map_err(|_| format!("the {what} is not valid base64"))?;
    if bytes.len() > MAX_FIELD_BYTES {
        return Err(format!("the {what} is longer than {MAX_FIELD_BYTES} bytes"));
    }
    Ok(bytes)
}

/// The alphabet of crypt(3) salts and hashes.
const CRYPT_ALPHABET: &[u8; 64] =
    b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

pub(super) fn is_crypt_text(text: &str) -> bool {
    text.bytes().all(|b| CRYPT_ALPHABET.contains(&b))
}

/// crypt(3)'s base64: little-endian groups of three bytes, six bits at a time from the
/// lowest. Callers permute the digest bytes first, as each scheme prescribes.
pub(super) fn crypt_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut value = 0u32;
        for (i, byte) in chunk.iter().enumerate() {
            value |= u32::from(*byte) << (8 * i);
        }
        for _ in 0..=chunk.len() {
            out.push(char::from(CRYPT_ALPHABET[(value & 0x3f) as usize]));
            value >>= 6;
        }
    }
    out
}

/// A non-negative decimal number written with digits only (no sign, no spaces).
pub(super) fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses `k1=v1,k2=v2,…` with exactly the given keys in the given order.
pub(super) fn parse_params<const N: usize>(text: &str, keys: [&str; N]) -> Option<[u64; N]> {
    let mut values = [0u64; N];
    let mut pairs = text.split(',');
    for (key, value) in keys.iter().zip(values.iter_mut()) {
        let (k, v) = pairs.next()?.split_once('=')?;
        if k != *key {
            return None;
        }
        *value = parse_decimal(v)?;
    }
    pairs.next().is_none().then_some(values)
}

/// Replaces `{SALT}` and `{PASSWORD}` in one left-to-right pass, never rescanning inserted
/// text (the semantics of Go's `strings.Replacer`, which Kratos uses).
pub(super) fn apply_template(template: &[u8], salt: &[u8], password: &[u8]) -> Vec<u8> {
    const SALT: &[u8] = b"{SALT}";
    const PASSWORD: &[u8] = b"{PASSWORD}";
    let mut out = Vec::with_capacity(template.len() + salt.len() + password.len());
    let mut rest = template;
    while let Some((&first, tail)) = rest.split_first() {
        if rest.starts_with(SALT) {
            out.extend_from_slice(salt);
            rest = &rest[SALT.len()..];
        } else if rest.starts_with(PASSWORD) {
            out.extend_from_slice(password);
            rest = &rest[PASSWORD.len()..];
        } else {
            out.push(first);
            rest = tail;
        }
    }
    out
}

pub(super) fn template_mentions_password(template: &[u8]) -> bool {
    template.windows(10).any(|w| w == b"{PASSWORD}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypt_base64_emits_low_bits_first() {
        // One byte 0xff: 0x3f then 0x03 → "z" then "1".
        assert_eq!(crypt_base64(&[0xff]), "z1");
        assert_eq!(crypt_base64(&[0, 0, 0]), "....");
        assert_eq!(crypt_base64(&[1, 0]), "/..");
    }

    #[test]
    fn params_must_match_keys_exactly() {
        assert_eq!(
            parse_params("m=1,t=2,p=3", ["m", "t", "p"]),
            Some([1, 2, 3])
        );
        assert_eq!(parse_params("m=1,t=2", ["m", "t", "p"]), None);
        assert_eq!(parse_params("m=1,t=2,p=3,x=4", ["m", "t", "p"]), None);
        assert_eq!(parse_params("t=1,m=2,p=3", ["m", "t", "p"]), None);
        assert_eq!(parse_params("m=+1,t=2,p=3", ["m", "t", "p"]), None);
        assert_eq!(parse_params("m=,t=2,p=3", ["m", "t", "p"]), None);
        assert_eq!(
            parse_params("m=99999999999999999999,t=2,p=3", ["m", "t", "p"]),
            None
        );
    }

    #[test]
    fn templates_substitute_once_without_rescanning() {
        assert_eq!(
            apply_template(b"{SALT}${PASSWORD}", b"s", b"{SALT}"),
            b"s${SALT}".to_vec()
        );
        assert_eq!(apply_template(b"{SALT", b"s", b"p"), b"{SALT".to_vec());
        assert_eq!(apply_template(b"", b"s", b"p"), Vec::<u8>::new());
    }
}
