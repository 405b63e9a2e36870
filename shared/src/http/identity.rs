//! Identity errors as HTTP answers, with Kratos's status codes, messages and reasons.
//!
//! Kratos answers a missing identity with its storage layer's "Unable to locate the
//! resource" (404), a taken identifier on update with "Unable to insert or update resource
//! because a resource with that value exists already" (409), and on create with a 409
//! whose reason says the identity conflicts with another one ([`creation_error`]).

use http::StatusCode;

use super::error::ApiError;
use crate::hash::HashError;
use crate::identity::{
    BatchError, BodyError, IdentityError, ImportError, ListError, PatchError, PatchIdentityError,
    RemoveCredentialsError,
};
use crate::schema::Violation;

/// Kratos's answer for an identity that does not exist (its storage layer's "no rows").
pub fn identity_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Unable to locate the resource").with_id("not_found")
}

/// Kratos's answer for a write that would take a value another identity holds.
fn unique_violation() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "Unable to insert or update resource because a resource with that value exists already",
    )
    .with_id("conflict")
}

/// A create that failed: as [`From<ImportError>`], except that a conflict carries the
/// reason Kratos gives on create.
pub fn creation_error(err: ImportError) -> ApiError {
    match err {
        ImportError::Identity(
            conflict @ (IdentityError::Conflict { .. } | IdentityError::DuplicateId(_)),
        ) => {
            ApiError::conflict("This identity conflicts with another identity that already exists.")
                .with_cause(conflict)
        }
        other => other.into(),
    }
}

/// The reason of a schema validation failure, one line per violation, in the shape of
/// Kratos's validator (`I[<instance pointer>] <message>`).
pub fn validation_reason(violations: &[Violation]) -> String {
    let mut reason = String::from("I[#] validation failed");
    for violation in violations {
        reason.push_str(&format!(
            "\n  I[#{}] {}",
            violation.instance_path, violation.message
        ));
    }
    reason
}

impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> Self {
        match err {
            IdentityError::NotFound(_) => identity_not_found(),
            IdentityError::Conflict { .. } | IdentityError::DuplicateId(_) => {
                unique_violation().with_cause(err)
            }
            IdentityError::Stale(_) => ApiError::conflict(
                "The identity was changed concurrently while this request tried to change it; retry the request",
            )
            .with_cause(err),
            IdentityError::Validation(violations) => {
                ApiError::bad_request(validation_reason(&violations))
            }
            IdentityError::UnknownSchema(id) => {
                ApiError::bad_request(format!("Unable to find JSON Schema ID: {id}"))
            }
            IdentityError::TooLarge(reason) | IdentityError::Invalid(reason) => {
                ApiError::bad_request(reason)
            }
            IdentityError::Store(store) => store.into(),
        }
    }
}

impl From<ListError> for ApiError {
    fn from(err: ListError) -> Self {
        match err {
            ListError::TooManyIds { given, max } => ApiError::bad_request(format!(
                "The number of ids to filter must not exceed {max}, got {given}."
            )),
            ListError::ConflictingIdentifierFilters => ApiError::bad_request(
                "Cannot pass both credentials_identifier and preview_credentials_identifier_similar.",
            ),
            ListError::InvalidCursor => ApiError::bad_request(super::error::PAGE_TOKEN_INVALID),
            ListError::Store(store) => store.into(),
        }
    }
}

impl From<HashError> for ApiError {
    fn from(err: HashError) -> Self {
        match err {
            HashError::UnknownFormat => ApiError::bad_request(
                "The imported password does not match any known hash format. For more information see https://www.ory.sh/dr/2",
            ),
            HashError::Malformed { format, reason } => ApiError::bad_request(format!(
                "The imported password is not a valid {format} hash: {reason}. For more information see https://www.ory.sh/dr/2"
            )),
            HashError::PasswordTooLong { max, actual } => ApiError::bad_request(format!(
                "The password is {actual} bytes long but at most {max} bytes can be hashed."
            )),
            HashError::InvalidConfig(_) | HashError::Internal(_) => ApiError::internal(err),
        }
    }
}

impl From<BodyError> for ApiError {
    fn from(err: BodyError) -> Self {
        match err {
            BodyError::Hash(hash) => hash.into(),
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::Body(body) => body.into(),
            ImportError::Identity(identity) => identity.into(),
        }
    }
}

impl From<BatchError> for ApiError {
    fn from(err: BatchError) -> Self {
        ApiError::bad_request(err.to_string())
    }
}

impl From<PatchIdentityError> for ApiError {
    fn from(err: PatchIdentityError) -> Self {
        match err {
            // Kratos puts the patch library's error in the message, under a fixed reason.
            PatchIdentityError::Patch(patch) => ApiError::new(
                StatusCode::BAD_REQUEST,
                match &patch {
                    PatchError::Malformed(m) | PatchError::Failed(m) => m.clone(),
                    other => other.to_string(),
                },
            )
            .with_id("bad_request")
            .with_reason("An error occured when applying the JSON patch"),
            PatchIdentityError::InvalidState(_) => ApiError::bad_request(err.to_string()),
            PatchIdentityError::Body(body) => body.into(),
            PatchIdentityError::Identity(identity) => identity.into(),
        }
    }
}

impl From<RemoveCredentialsError> for ApiError {
    fn from(err: RemoveCredentialsError) -> Self {
        match err {
            RemoveCredentialsError::NotSetUp(_) | RemoveCredentialsError::IdentifierNotFound(_) => {
                ApiError::not_found(err.to_string())
            }
            RemoveCredentialsError::FirstFactor
            | RemoveCredentialsError::Unsupported(_)
            | RemoveCredentialsError::IdentifierRequired => ApiError::bad_request(err.to_string()),
            RemoveCredentialsError::Identity(identity) => identity.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{AddressVia, Claim};
    use crate::ids::IdentityId;
    use crate::schema::ViolationKind;

    #[test]
    fn a_missing_identity_is_kratos_not_found() {
        let error = ApiError::from(IdentityError::NotFound(IdentityId::new()));
        assert_eq!(error.status, StatusCode::NOT_FOUND);
        assert_eq!(error.message, "Unable to locate the resource");
    }

    #[test]
    fn conflicts_differ_between_create_and_update() {
        let conflict = || IdentityError::Conflict {
            claim: Claim::VerifiableAddress {
                via: AddressVia::Email,
                value: "a@b.c".into(),
            },
            holder: None,
        };
        let update = ApiError::from(conflict());
        assert_eq!(update.status, StatusCode::CONFLICT);
        assert!(
            update
                .message
                .starts_with("Unable to insert or update resource")
        );
        let create = creation_error(ImportError::Identity(conflict()));
        assert_eq!(create.status, StatusCode::CONFLICT);
        assert_eq!(
            create.reason.as_deref(),
            Some("This identity conflicts with another identity that already exists.")
        );
        assert!(
            !create.body().to_string().contains("a@b.c"),
            "the taken value is not echoed"
        );
    }

    #[test]
    fn validation_failures_list_every_violation() {
        let violation = |path: &str, message: &str| Violation {
            instance_path: path.into(),
            kind: ViolationKind::Other {
                reason: message.into(),
            },
            message: message.into(),
        };
        let error = ApiError::from(IdentityError::Validation(vec![
            violation("/traits/email", "\"x\" is not a \"email\""),
            violation("/traits", "\"name\" is a required property"),
        ]));
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            error.reason.as_deref(),
            Some(
                "I[#] validation failed\n  I[#/traits/email] \"x\" is not a \"email\"\n  I[#/traits] \"name\" is a required property"
            )
        );
    }

    #[test]
    fn unusable_hashes_are_bad_requests_and_internal_failures_are_not() {
        assert_eq!(
            ApiError::from(HashError::UnknownFormat).status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ApiError::from(HashError::Internal("x".into())).status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn denied_patch_paths_have_kratos_message() {
        let error = ApiError::from(PatchIdentityError::Patch(PatchError::DeniedPath(
            "/credentials".into(),
        )));
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.message, "patch includes denied path: /credentials");
    }
}
