//! How identifiers and addresses are normalised before they are stored or looked up, so
//! that `Foo@Example.org ` and `foo@example.org` are one account, as in Kratos:
//!
//! - password, code and webauthn identifiers: trimmed and lower-cased;
//! - oidc (`provider:subject`), totp, lookup_secret and passkey identifiers: kept exactly
//!   (they are case-sensitive);
//! - verifiable and recovery address values: trimmed and lower-cased, whatever the channel;
//! - code identifiers sent by SMS: the phone number in E.164 form, or a validation error.

use super::model::{AddressVia, CredentialsType};

/// The stored form of a credential identifier of `credentials_type`.
pub fn identifier(credentials_type: CredentialsType, raw: &str) -> String {
    match credentials_type {
        CredentialsType::Password | CredentialsType::Code | CredentialsType::Webauthn => {
            lower_trim(raw)
        }
        _ => raw.to_owned(),
    }
}

/// The stored form of a verifiable or recovery address value.
pub fn address(raw: &str) -> String {
    lower_trim(raw)
}

/// The stored form of a code identifier reached through `via`. Fails with a readable reason
/// for a phone number that cannot be brought to E.164.
pub fn code_identifier(via: AddressVia, raw: &str) -> Result<String, String> {
    match via {
        AddressVia::Email => Ok(lower_trim(raw)),
        AddressVia::Sms => {
            phone_e164(raw).ok_or_else(|| "the provided number is not a valid phone number".into())
        }
    }
}

/// A phone number in E.164 form (`+4917612345678`), or `None`.
///
/// The number must be international (start with `+`); spaces, dots, hyphens and
/// parentheses between digits are dropped. Kratos additionally checks the number against
/// libphonenumber's per-country numbering plans; this only checks the E.164 shape (a country
/// code not starting with 0, at most 15 digits, at least 7).
pub fn phone_e164(raw: &str) -> Option<String> {
    let rest = raw.trim().strip_prefix('+')?;
    let mut digits = String::with_capacity(rest.len() + 1);
    digits.push('+');
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    let count = digits.len() - 1;
    ((7..=15).contains(&count) && !digits[1..].starts_with('0')).then_some(digits)
}

fn lower_trim(raw: &str) -> String {
    raw.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_code_and_webauthn_identifiers_are_trimmed_and_lower_cased() {
        for t in [
            CredentialsType::Password,
            CredentialsType::Code,
            CredentialsType::Webauthn,
        ] {
            assert_eq!(identifier(t, "  Foo@Example.ORG "), "foo@example.org");
        }
    }

    #[test]
    fn oidc_totp_lookup_and_passkey_identifiers_are_kept_exactly() {
        for t in [
            CredentialsType::Oidc,
            CredentialsType::Totp,
            CredentialsType::LookupSecret,
            CredentialsType::Passkey,
        ] {
            assert_eq!(identifier(t, " GitHub:AbC "), " GitHub:AbC ");
        }
    }

    #[test]
    fn address_values_are_trimmed_and_lower_cased() {
        assert_eq!(address("\tA@B.C \n"), "a@b.c");
        assert_eq!(address(" +49 176 "), "+49 176");
    }

    #[test]
    fn phone_numbers_become_e164() {
        assert_eq!(
            phone_e164(" +49 (176) 123-45.678 ").as_deref(),
            Some("+4917612345678")
        );
        assert_eq!(phone_e164("+15551234567").as_deref(), Some("+15551234567"));
    }

    #[test]
    fn non_international_or_malformed_numbers_are_refused() {
        for bad in [
            "017612345678",
            "+0123456789",
            "+12345",
            "+1234567890123456",
            "+49 176 abc",
            "",
            "+",
        ] {
            assert_eq!(phone_e164(bad), None, "{bad}");
        }
    }

    #[test]
    fn sms_code_identifiers_must_be_phone_numbers() {
        assert_eq!(
            code_identifier(AddressVia::Sms, "+49 176 1234567").unwrap(),
            "+491761234567"
        );
        assert!(code_identifier(AddressVia::Sms, "not a number").is_err());
        assert_eq!(
            code_identifier(AddressVia::Email, " A@B.C ").unwrap(),
            "a@b.c"
        );
    }
}
