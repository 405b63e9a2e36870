//! How administrator recovery errors are answered.

use http::StatusCode;

use super::error::ApiError;
use crate::selfservice::recovery::admin::AdminRecoveryError;

impl From<AdminRecoveryError> for ApiError {
    fn from(error: AdminRecoveryError) -> Self {
        match error {
            AdminRecoveryError::MethodDisabled(method) => ApiError::new(
                StatusCode::NOT_FOUND,
                "The requested resource could not be found",
            )
            .with_reason(format!(
                "This endpoint is turned off: selfservice.methods.{method}.enabled is false."
            )),
            AdminRecoveryError::IdentityNotFound(_) => {
                ApiError::not_found("The identity to recover does not exist.")
            }
            AdminRecoveryError::InvalidExpiresIn(reason) => ApiError::bad_request(reason),
            AdminRecoveryError::Submit(error) => error.into(),
        }
    }
}
