//! Flow-level domain errors as Kratos reports them: error IDs, statuses and the extra
//! top-level fields of `selfServiceFlowExpiredError`, `errorFlowReplaced` and
//! `errorBrowserLocationChangeRequired`.
//!
//! `errorBrowserLocationChangeRequired` is sent as Kratos sends it,
//! `{"error": {...}, "redirect_browser_to": "..."}`, although the spec describes its
//! `error` as a nested `errorGeneric`.

use http::StatusCode;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;

use super::error::ApiError;
use crate::flow::return_to::ReturnToError;
use crate::flow::self_service_errors::SelfServiceErrorStoreError;
use crate::flow::store::FlowStoreError;
use crate::flow::{ExpiredFlowNext, FlowError, FlowExpired, FlowKind};

pub const ID_FLOW_EXPIRED: &str = "self_service_flow_expired";
pub const ID_FLOW_REPLACED: &str = "self_service_flow_replaced";
pub const ID_FLOW_DISABLED: &str = "self_service_flow_disabled";
pub const ID_RETURN_TO_FORBIDDEN: &str = "self_service_flow_return_to_forbidden";
pub const ID_BROWSER_LOCATION_CHANGE_REQUIRED: &str = "browser_location_change_required";
pub const ID_SESSION_ALREADY_AVAILABLE: &str = "session_already_available";
pub const ID_IDENTITY_MISMATCH: &str = "security_identity_mismatch";

fn kind_name(kind: FlowKind) -> &'static str {
    kind.as_str()
}

fn expired(e: FlowExpired) -> ApiError {
    let minutes = e.since.as_seconds_f64() / 60.0;
    let mut error = ApiError::new(StatusCode::GONE, "The self-service flow has expired")
        .with_id(ID_FLOW_EXPIRED)
        .with_reason(format!(
            "The self-service flow expired {minutes:.2} minutes ago; start a new one."
        ))
        .with_extra(
            "expired_at",
            json!(e.expired_at.format(&Rfc3339).unwrap_or_default()),
        )
        .with_extra(
            "since",
            json!(i64::try_from(e.since.whole_nanoseconds()).unwrap_or(i64::MAX)),
        );
    if let Some(id) = e.use_flow_id {
        error = error.with_extra("use_flow_id", json!(id));
    }
    error
}

fn expired_on_fetch(kind: FlowKind, next: ExpiredFlowNext) -> ApiError {
    let kind = kind_name(kind);
    let mut details = Map::new();
    let reason = match next {
        ExpiredFlowNext::Browser {
            redirect_to,
            return_to,
        } => {
            details.insert("redirect_to".into(), Value::String(redirect_to));
            details.insert(
                "return_to".into(),
                Value::String(return_to.unwrap_or_default()),
            );
            format!(
                "This {kind} flow has expired. Send the browser to the {kind} flow's browser \
                 endpoint to start a new one."
            )
        }
        ExpiredFlowNext::Api { init_url } => {
            details.insert("api".into(), Value::String(init_url));
            format!(
                "This {kind} flow has expired. Call the {kind} flow's API endpoint to start a \
                 new one."
            )
        }
    };
    ApiError::new(StatusCode::GONE, "The self-service flow has expired")
        .with_id(ID_FLOW_EXPIRED)
        .with_reason(reason)
        .with_details(details)
}

impl From<FlowError> for ApiError {
    fn from(err: FlowError) -> Self {
        match err {
            FlowError::Expired(e) => expired(e),
            FlowError::ExpiredOnFetch { kind, next } => expired_on_fetch(kind, next),
            FlowError::Replaced { use_flow_id } => {
                ApiError::new(StatusCode::GONE, "The self-service flow was replaced")
                    .with_id(ID_FLOW_REPLACED)
                    .with_reason("A newer flow of the same kind replaced this one; use that flow.")
                    .with_extra("use_flow_id", json!(use_flow_id))
            }
            FlowError::Disabled { kind } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "This self-service flow is disabled",
            )
            .with_id(ID_FLOW_DISABLED)
            .with_reason(format!(
                "The {} flow is turned off in this deployment's configuration.",
                kind_name(kind)
            )),
            FlowError::ReturnToForbidden { requested } => {
                ReturnToError::Forbidden { requested }.into()
            }
            FlowError::BrowserLocationChangeRequired {
                redirect_browser_to,
            } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The browser must be sent to another location",
            )
            .with_id(ID_BROWSER_LOCATION_CHANGE_REQUIRED)
            .with_reason(format!(
                "To continue this flow, redirect the browser to {redirect_browser_to}"
            ))
            .with_extra("redirect_browser_to", json!(redirect_browser_to)),
            FlowError::SessionAlreadyAvailable { kind } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "A valid session already exists",
            )
            .with_id(ID_SESSION_ALREADY_AVAILABLE)
            .with_reason(match kind {
                FlowKind::Login => {
                    "The request already carries a valid session, so there is nothing to sign \
                     in to. Use `refresh=true` to re-authenticate."
                        .to_owned()
                }
                other => format!(
                    "The request already carries a valid session, so a {} flow is not possible.",
                    kind_name(other)
                ),
            }),
            FlowError::IdentityMismatch => ApiError::new(
                StatusCode::FORBIDDEN,
                "The flow belongs to another identity",
            )
            .with_id(ID_IDENTITY_MISMATCH)
            .with_reason(
                "This flow was started for another identity and was refused for your safety. \
                 Go back and start again.",
            ),
            FlowError::NotFound => ApiError::not_found("No flow with this ID exists."),
            FlowError::MissingFlowId => {
                ApiError::bad_request("The flow ID in the query is missing or is not a valid UUID.")
            }
        }
    }
}

impl From<ReturnToError> for ApiError {
    fn from(err: ReturnToError) -> Self {
        match err {
            ReturnToError::Malformed { reason } => ApiError::bad_request(format!(
                "The return_to query parameter is not a valid URL: {reason}"
            )),
            ReturnToError::Forbidden { requested } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "The requested return_to URL is not allowed",
            )
            .with_id(ID_RETURN_TO_FORBIDDEN)
            .with_reason(format!(
                "The return_to URL {requested:?} is not on this deployment's allow list \
                 (selfservice.allowed_return_urls)."
            )),
        }
    }
}

impl From<FlowStoreError> for ApiError {
    fn from(err: FlowStoreError) -> Self {
        match err {
            FlowStoreError::NotFound => ApiError::not_found("No flow with this ID exists."),
            FlowStoreError::Conflict => {
                ApiError::conflict("The flow was changed by another request; retry.")
                    .with_cause(err)
            }
            FlowStoreError::Corrupt(_) => ApiError::internal(err),
            FlowStoreError::Store(store) => store.into(),
        }
    }
}

impl From<SelfServiceErrorStoreError> for ApiError {
    fn from(err: SelfServiceErrorStoreError) -> Self {
        match err {
            SelfServiceErrorStoreError::NotFound => {
                ApiError::not_found("No error with this ID exists.")
            }
            SelfServiceErrorStoreError::Corrupt(_) => ApiError::internal(err),
            SelfServiceErrorStoreError::Store(store) => store.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::FlowId;
    use time::macros::datetime;

    #[test]
    fn an_expired_submission_is_a_410_with_expired_at_since_and_use_flow_id() {
        let replacement = FlowId::new();
        let body = ApiError::from(FlowError::Expired(FlowExpired {
            expired_at: datetime!(2026-01-01 10:00:00 UTC),
            since: time::Duration::minutes(5),
            use_flow_id: Some(replacement),
        }))
        .body();
        assert_eq!(body["error"]["id"], ID_FLOW_EXPIRED);
        assert_eq!(body["error"]["code"], 410);
        assert_eq!(body["error"]["status"], "Gone");
        assert_eq!(body["expired_at"], "2026-01-01T10:00:00Z");
        assert_eq!(body["since"], 300_000_000_000i64);
        assert_eq!(body["use_flow_id"], replacement.to_string());
    }

    #[test]
    fn an_expired_fetch_says_where_to_start_again() {
        let browser = ApiError::from(FlowError::ExpiredOnFetch {
            kind: FlowKind::Login,
            next: ExpiredFlowNext::Browser {
                redirect_to: "https://auth.example.com/self-service/login/browser".into(),
                return_to: None,
            },
        })
        .body();
        assert_eq!(browser["error"]["id"], ID_FLOW_EXPIRED);
        assert_eq!(
            browser["error"]["details"]["redirect_to"],
            "https://auth.example.com/self-service/login/browser"
        );
        assert_eq!(browser["error"]["details"]["return_to"], "");
        let api = ApiError::from(FlowError::ExpiredOnFetch {
            kind: FlowKind::Login,
            next: ExpiredFlowNext::Api {
                init_url: "https://auth.example.com/self-service/login/api".into(),
            },
        })
        .body();
        assert_eq!(
            api["error"]["details"]["api"],
            "https://auth.example.com/self-service/login/api"
        );
    }

    #[test]
    fn a_location_change_is_a_422_with_redirect_browser_to() {
        let error = ApiError::from(FlowError::BrowserLocationChangeRequired {
            redirect_browser_to: "https://app.example.com/next".into(),
        });
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        let body = error.body();
        assert_eq!(body["error"]["id"], ID_BROWSER_LOCATION_CHANGE_REQUIRED);
        assert_eq!(body["redirect_browser_to"], "https://app.example.com/next");
    }

    #[test]
    fn flow_errors_carry_kratos_ids_and_statuses() {
        let cases: Vec<(FlowError, u16, &str)> = vec![
            (
                FlowError::Replaced {
                    use_flow_id: FlowId::new(),
                },
                410,
                ID_FLOW_REPLACED,
            ),
            (
                FlowError::Disabled {
                    kind: FlowKind::Registration,
                },
                400,
                ID_FLOW_DISABLED,
            ),
            (
                FlowError::ReturnToForbidden {
                    requested: "https://evil.example".into(),
                },
                400,
                ID_RETURN_TO_FORBIDDEN,
            ),
            (
                FlowError::SessionAlreadyAvailable {
                    kind: FlowKind::Login,
                },
                400,
                ID_SESSION_ALREADY_AVAILABLE,
            ),
            (FlowError::IdentityMismatch, 403, ID_IDENTITY_MISMATCH),
            (FlowError::NotFound, 404, "not_found"),
            (FlowError::MissingFlowId, 400, "bad_request"),
        ];
        for (error, code, id) in cases {
            let body = ApiError::from(error.clone()).body();
            assert_eq!(body["error"]["code"], code, "{error:?}");
            assert_eq!(body["error"]["id"], id, "{error:?}");
            assert!(body["error"]["message"].is_string());
        }
        let replaced = ApiError::from(FlowError::Replaced {
            use_flow_id: FlowId::new(),
        })
        .body();
        assert!(replaced["use_flow_id"].is_string());
    }

    #[test]
    fn a_malformed_return_to_is_a_plain_bad_request() {
        let body = ApiError::from(ReturnToError::Malformed {
            reason: "nope".into(),
        })
        .body();
        assert_eq!(body["error"]["id"], "bad_request");
        assert_eq!(body["error"]["code"], 400);
    }

    #[test]
    fn repository_failures_map_to_404_409_and_500() {
        assert_eq!(ApiError::from(FlowStoreError::NotFound).status, 404);
        assert_eq!(ApiError::from(FlowStoreError::Conflict).status, 409);
        let corrupt = ApiError::from(FlowStoreError::Corrupt("secret detail".into()));
        assert_eq!(corrupt.status, 500);
        assert!(!corrupt.body().to_string().contains("secret detail"));
        assert_eq!(
            ApiError::from(SelfServiceErrorStoreError::NotFound).status,
            404
        );
    }
}
