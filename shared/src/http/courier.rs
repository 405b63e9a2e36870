//! Courier errors as HTTP answers.

use super::error::ApiError;
use crate::courier::CourierError;

impl From<CourierError> for ApiError {
    fn from(err: CourierError) -> Self {
        match err {
            CourierError::Store(store) => ApiError::from(store),
            other => ApiError::internal(other),
        }
    }
}
