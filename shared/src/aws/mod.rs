//! Adapters from the courier's channel ports to AWS: SES v2 for e-mail, SNS for SMS.
//! The domain never sees the SDK; error classification (transient or permanent) is
//! decided here, from the provider's error code and HTTP status.

pub mod ses;
pub mod sns;

// Both SDKs re-export the same smithy types; SES's names are used for both.
use aws_sdk_sesv2::config::http::HttpResponse;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};

use crate::courier::SendError;

/// Classifies an SDK failure. `transient_codes` are the service error codes worth
/// retrying; other service errors are transient only on HTTP 429 or 5xx.
pub(crate) fn classify<E>(error: &SdkError<E, HttpResponse>, transient_codes: &[&str]) -> SendError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        // The request could not even be built (e.g. no region): configuration, not luck.
        SdkError::ConstructionFailure(_) => {
            SendError::permanent("ConstructionFailure", describe(error))
        }
        SdkError::TimeoutError(_) => SendError::transient("Timeout", describe(error)),
        SdkError::DispatchFailure(_) => SendError::transient("DispatchFailure", describe(error)),
        SdkError::ResponseError(_) => SendError::transient("ResponseError", describe(error)),
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown").to_owned();
            let message = service.err().message().unwrap_or_default().to_owned();
            let status = service.raw().status().as_u16();
            if transient_codes.contains(&code.as_str()) || status == 429 || status >= 500 {
                SendError::transient(code, message)
            } else {
                SendError::permanent(code, message)
            }
        }
        _ => SendError::transient("Unknown", describe(error)),
    }
}

/// The error and its sources on one line (SDK errors keep the useful part in sources).
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
