//! The password policy of `selfservice.methods.password.config`, checked on registration
//! and on every password change, in Kratos's order:
//!
//! 1. at most as long as the configured hasher accepts (72 bytes for bcrypt, 1,024 for
//!    argon2id): message 4000033 (Kratos finds this when hashing; here it is checked first
//!    so that no other check runs on a password that could never be stored);
//! 2. at least `min_password_length` bytes (default 8): 4000032;
//! 3. not too similar to any identifier (when `identifier_similarity_check_enabled`):
//!    4000031. Similar means an edit distance below 5 or a common substring longer than
//!    half the password, both case-insensitive, as in Kratos;
//! 4. in at most `max_breaches` known breaches (when `haveibeenpwned_enabled`; off by
//!    default here): 4000034. If the service cannot be asked, the check passes when
//!    `ignore_network_errors` is on and fails with 4000005 otherwise.
//!
//! Lengths are in bytes of UTF-8, as Kratos counts them.

use super::hibp::{BreachCheckError, BreachChecker};
use crate::config::PasswordPolicy as PolicyConfig;
use crate::secret::Secret;
use crate::ui::{UiText, text};

/// The smallest edit distance an identifier and a password may have.
const MIN_IDENTIFIER_DISTANCE: usize = 5;
/// The largest share of the password a substring common with an identifier may cover.
const MAX_COMMON_SUBSTRING_SHARE: f64 = 0.5;

/// The configured policy, built once per process.
#[derive(Debug)]
pub struct PasswordPolicy {
    config: PolicyConfig,
    max_bytes: usize,
    breaches: Option<BreachChecker>,
}

/// Why a password was refused: the message to show on the `password` field.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyViolation(pub UiText);

impl PasswordPolicy {
    /// `max_bytes` is the longest password the configured hasher accepts.
    pub fn new(config: &PolicyConfig, max_bytes: usize) -> Self {
        Self {
            breaches: config
                .haveibeenpwned_enabled
                .then(|| BreachChecker::new(&config.haveibeenpwned_host)),
            config: config.clone(),
            max_bytes,
        }
    }

    /// Checks `password` for an identity holding `identifiers` (its password identifiers).
    pub async fn check(
        &self,
        identifiers: &[String],
        password: &Secret,
    ) -> Result<(), PolicyViolation> {
        let length = password.expose().len();
        if length > self.max_bytes {
            return Err(PolicyViolation(text::validation_password_max_length(
                self.max_bytes as u64,
                length as u64,
            )));
        }
        if length < self.config.min_password_length {
            return Err(PolicyViolation(text::validation_password_min_length(
                self.config.min_password_length as u64,
                length as u64,
            )));
        }
        if self.config.identifier_similarity_check_enabled
            && identifiers
                .iter()
                .any(|identifier| too_similar(identifier, password.expose()))
        {
            return Err(PolicyViolation(
                text::validation_password_identifier_too_similar(),
            ));
        }
        let Some(checker) = &self.breaches else {
            return Ok(());
        };
        match checker.breaches(password).await {
            Ok(count) if count > u64::from(self.config.max_breaches) => Err(PolicyViolation(
                text::validation_password_too_many_breaches(
                    i64::try_from(count).unwrap_or(i64::MAX),
                ),
            )),
            Ok(_) => Ok(()),
            Err(BreachCheckError::Network(reason)) if self.config.ignore_network_errors => {
                tracing::warn!(%reason, "the password breach check was skipped");
                Ok(())
            }
            Err(error) => Err(PolicyViolation(text::validation_password_policy_violation(
                &error.to_string(),
            ))),
        }
    }
}

fn too_similar(identifier: &str, password: &str) -> bool {
    if identifier.is_empty() {
        return false;
    }
    let identifier: Vec<char> = identifier.to_lowercase().chars().collect();
    let password: Vec<char> = password.to_lowercase().chars().collect();
    if password.is_empty() {
        return true;
    }
    let share = longest_common_substring(&identifier, &password) as f64 / password.len() as f64;
    levenshtein(&identifier, &password) < MIN_IDENTIFIER_DISTANCE
        || share > MAX_COMMON_SUBSTRING_SHARE
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

fn longest_common_substring(a: &[char], b: &[char]) -> usize {
    let mut best = 0;
    let mut previous = vec![0usize; b.len() + 1];
    for ca in a {
        let mut current = vec![0usize; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            if ca == cb {
                current[j + 1] = previous[j] + 1;
                best = best.max(current[j + 1]);
            }
        }
        previous = current;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PasswordPolicy as PolicyConfig;
    use crate::ui::text::id;

    fn policy() -> PasswordPolicy {
        PasswordPolicy::new(&PolicyConfig::default(), 1024)
    }

    async fn refusal(policy: &PasswordPolicy, identifier: &str, password: &str) -> Option<u32> {
        policy
            .check(&[identifier.to_owned()], &Secret::new(password))
            .await
            .err()
            .map(|v| v.0.id)
    }

    #[tokio::test]
    async fn short_passwords_are_refused_with_their_lengths() {
        let refused = policy()
            .check(&[], &Secret::new("short"))
            .await
            .unwrap_err();
        assert_eq!(refused.0.id, id::ERROR_VALIDATION_PASSWORD_MIN_LENGTH);
        let context = refused.0.context.unwrap();
        assert_eq!(context["min_length"], 8);
        assert_eq!(context["actual_length"], 5);
    }

    #[tokio::test]
    async fn passwords_like_the_identifier_are_refused() {
        let p = policy();
        assert_eq!(
            refusal(&p, "alice@example.com", "Alice@Example.com").await,
            Some(id::ERROR_VALIDATION_PASSWORD_IDENTIFIER_TOO_SIMILAR)
        );
        assert_eq!(
            refusal(&p, "alice@example.com", "alice@example.com1").await,
            Some(id::ERROR_VALIDATION_PASSWORD_IDENTIFIER_TOO_SIMILAR)
        );
        assert_eq!(
            refusal(&p, "bob@example.com", "xx-bob@example-yy").await,
            Some(id::ERROR_VALIDATION_PASSWORD_IDENTIFIER_TOO_SIMILAR)
        );
        assert_eq!(
            refusal(&p, "alice@example.com", "correct horse battery").await,
            None
        );
    }

    #[tokio::test]
    async fn the_similarity_check_can_be_turned_off() {
        let config = PolicyConfig {
            identifier_similarity_check_enabled: false,
            ..PolicyConfig::default()
        };
        let p = PasswordPolicy::new(&config, 1024);
        assert_eq!(
            refusal(&p, "alice@example.com", "alice@example.com").await,
            None
        );
    }

    #[tokio::test]
    async fn passwords_longer_than_the_hasher_takes_are_refused_first() {
        let p = PasswordPolicy::new(&PolicyConfig::default(), 72);
        let refused = p
            .check(&[], &Secret::new("a".repeat(73)))
            .await
            .unwrap_err();
        assert_eq!(refused.0.id, id::ERROR_VALIDATION_PASSWORD_MAX_LENGTH);
        assert_eq!(refused.0.context.unwrap()["max_length"], 72);
    }

    #[tokio::test]
    async fn an_unreachable_breach_service_is_ignored_only_when_configured() {
        let unreachable = PolicyConfig {
            haveibeenpwned_enabled: true,
            haveibeenpwned_host: "http://127.0.0.1:9".into(),
            ..PolicyConfig::default()
        };
        let lenient = PasswordPolicy::new(&unreachable, 1024);
        assert_eq!(
            refusal(&lenient, "a@b.c", "a perfectly fine one").await,
            None
        );
        let strict = PasswordPolicy::new(
            &PolicyConfig {
                ignore_network_errors: false,
                ..unreachable
            },
            1024,
        );
        assert_eq!(
            refusal(&strict, "a@b.c", "a perfectly fine one").await,
            Some(id::ERROR_VALIDATION_PASSWORD_POLICY_VIOLATION_GENERIC)
        );
    }

    #[test]
    fn edit_distance_and_common_substrings() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(levenshtein(&chars("kitten"), &chars("sitting")), 3);
        assert_eq!(levenshtein(&chars(""), &chars("abc")), 3);
        assert_eq!(
            longest_common_substring(&chars("xabcdy"), &chars("zzabcdzz")),
            4
        );
    }
}
