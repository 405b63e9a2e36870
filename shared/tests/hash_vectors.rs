//! The reference vectors of `kratos_core::testing::hash_vectors`: for each one, the right
//! password verifies, a wrong one does not, and the hash validates as its format.

use kratos_core::hash::{HashFormat, validate_hash, verify};
use kratos_core::secret::Secret;
use kratos_core::testing::hash_vectors::VECTORS;

#[test]
fn every_reference_vector_validates_as_its_format() {
    for vector in VECTORS {
        assert_eq!(
            validate_hash(vector.hash),
            Ok(vector.format),
            "{}",
            vector.hash
        );
        assert_eq!(HashFormat::detect(vector.hash), Some(vector.format));
    }
}

#[test]
fn every_reference_vector_accepts_its_password() {
    for vector in VECTORS {
        assert_eq!(
            verify(&Secret::new(vector.password), vector.hash),
            Ok(true),
            "{}",
            vector.hash
        );
    }
}

#[test]
fn every_reference_vector_rejects_a_wrong_password() {
    for vector in VECTORS {
        for wrong in [
            "",
            "correct horse battery stapler",
            "Correct horse battery staple",
            "user1passwore",
        ] {
            assert_eq!(
                verify(&Secret::new(wrong), vector.hash),
                Ok(false),
                "{wrong:?} against {}",
                vector.hash
            );
        }
    }
}

#[test]
fn every_supported_format_has_a_reference_vector() {
    for format in HashFormat::ALL {
        assert!(
            VECTORS.iter().any(|v| v.format == format),
            "no vector for {format}"
        );
    }
}

#[test]
fn bcrypt_refuses_to_compare_passwords_longer_than_72_bytes() {
    // The 72-byte vector's password with one more byte: bcrypt itself would ignore the
    // extra byte and match; Kratos refuses the comparison, so the login fails.
    let hash = "$2a$04$M2ZO0StboFl9FgxQsPL2BeOacZllzKWoUait0NBTk1g9Li5ocdmoy";
    assert_eq!(verify(&Secret::new("x".repeat(73)), hash), Ok(false));
    assert_eq!(verify(&Secret::new("x".repeat(72)), hash), Ok(true));
}

#[test]
fn a_tampered_digest_no_longer_verifies() {
    for vector in VECTORS {
        // Change one character of the last field to another character that keeps the
        // string decodable where possible; either it stops verifying or stops parsing.
        let mut bytes = vector.hash.as_bytes().to_vec();
        let position = bytes
            .iter()
            .rposition(|b| b.is_ascii_alphanumeric() && *b != b'A' && *b != b'a')
            .expect("every vector has an alphanumeric character");
        bytes[position] = if bytes[position].is_ascii_uppercase() {
            b'A'
        } else {
            b'a'
        };
        let tampered = String::from_utf8(bytes).expect("still ASCII");
        assert_ne!(
            verify(&Secret::new(vector.password), &tampered),
            Ok(true),
            "{tampered}"
        );
    }
}
