//! Recovery started by an administrator for an identity (`POST /admin/recovery/code`,
//! `POST /admin/recovery/link`): a recovery flow and its code or link, handed to the
//! administrator to pass on rather than sent to an address.
//!
//! A code flow is created in `sent_email` with only the code input, and needs no
//! anti-CSRF token (the user opens it from the link the administrator passed on); its
//! type is the requested `flow_type` (default `browser`). A link flow is a browser flow.
//! Both last `expires_in` (default: the method's lifespan), as do their code and link. A
//! recovery completed this way does not mark any address verified.
//!
//! Requests: 1 GetItem (the identity) + 1 PutItem (the flow).

use std::time::Duration;

use time::OffsetDateTime;
use url::Url;

use super::{RecoveryFlow, new_flow_with};
use crate::app::App;
use crate::flow::challenge::{Attempts, ChallengeKeys, ChallengeKind, ChallengeRequest, Issuer};
use crate::flow::store::{FlowStore, StoredFlow};
use crate::flow::{FlowKind, FlowState, FlowType, join_path, with_flow_id};
use crate::identity::IdentityError;
use crate::ids::IdentityId;
use crate::secret::Secret;
use crate::selfservice::{NewFlowContext, SubmitError};

/// The longest `expires_in` accepted (Go's durations stop at about 292 years).
const MAX_EXPIRES_IN: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Why an administrator's recovery request failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminRecoveryError {
    /// The method is turned off (`selfservice.methods.<method>.enabled`): 404.
    #[error("the {0} method is disabled")]
    MethodDisabled(&'static str),
    /// No identity has this ID.
    #[error("identity {0} does not exist")]
    IdentityNotFound(IdentityId),
    /// `expires_in` is not a Go duration, or not positive: 400.
    #[error("{0}")]
    InvalidExpiresIn(String),
    #[error(transparent)]
    Submit(#[from] SubmitError),
}

impl From<IdentityError> for AdminRecoveryError {
    fn from(error: IdentityError) -> Self {
        match error {
            IdentityError::NotFound(id) => AdminRecoveryError::IdentityNotFound(id),
            other => AdminRecoveryError::Submit(other.into()),
        }
    }
}

/// Where the request came from.
#[derive(Debug, Clone, Copy)]
pub struct AdminRequest<'a> {
    pub app: &'a App,
    /// The admin request's URL (its `return_to`, if any, is where the user ends up).
    pub request_url: &'a str,
    pub public_base: &'a Url,
    pub now: OffsetDateTime,
}

/// `recoveryCodeForIdentity`.
#[derive(Debug)]
pub struct AdminRecoveryCode {
    /// `selfservice.flows.recovery.ui_url?flow=<id>`.
    pub recovery_link: String,
    pub recovery_code: Secret,
    pub expires_at: OffsetDateTime,
}

/// `recoveryLinkForIdentity`.
#[derive(Debug)]
pub struct AdminRecoveryLink {
    /// `<public base>/self-service/recovery?flow=<id>&token=<token>`.
    pub recovery_link: Secret,
    pub expires_at: OffsetDateTime,
}

/// Reads `expires_in` as Go's `time.ParseDuration` does (`1h`, `90m`, `1.5h`, `1h30m`,
/// `300ms`); it must be positive.
pub fn parse_expires_in(raw: &str) -> Result<Duration, AdminRecoveryError> {
    let invalid = || {
        AdminRecoveryError::InvalidExpiresIn(format!(
            "`expires_in` must be a duration such as 1h, 15m or 1h30m, but is {raw:?}."
        ))
    };
    let duration = parse_go_duration(raw).ok_or_else(invalid)?;
    match duration {
        GoDuration::Negative | GoDuration::Zero => Err(AdminRecoveryError::InvalidExpiresIn(
            format!("`expires_in` must lie in the future, but is {raw:?}."),
        )),
        GoDuration::Positive(d) if d > MAX_EXPIRES_IN => Err(invalid()),
        GoDuration::Positive(d) => Ok(d),
    }
}

enum GoDuration {
    Negative,
    Zero,
    Positive(Duration),
}

/// Go's duration syntax: an optional sign, then one or more decimal numbers each followed
/// by a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`); `0` alone is zero.
fn parse_go_duration(raw: &str) -> Option<GoDuration> {
    let (negative, mut rest) = match raw.as_bytes().first()? {
        b'-' => (true, &raw[1..]),
        b'+' => (false, &raw[1..]),
        _ => (false, raw),
    };
    if rest == "0" {
        return Some(GoDuration::Zero);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit: f64 = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total_nanos += value * nanos_per_unit;
        if !total_nanos.is_finite() || total_nanos > 9.2e18 {
            return None;
        }
    }
    let nanos = total_nanos as u64;
    Some(if nanos == 0 {
        GoDuration::Zero
    } else if negative {
        GoDuration::Negative
    } else {
        GoDuration::Positive(Duration::from_nanos(nanos))
    })
}

/// Creates a recovery flow with a code for `identity_id`.
pub async fn create_code(
    request: AdminRequest<'_>,
    identity_id: IdentityId,
    expires_in: Option<Duration>,
    flow_type: FlowType,
) -> Result<AdminRecoveryCode, AdminRecoveryError> {
    let app = request.app;
    if !app.config.selfservice.methods.code.enabled {
        return Err(AdminRecoveryError::MethodDisabled("code"));
    }
    let lifespan = expires_in.unwrap_or(
        app.config
            .selfservice
            .methods
            .code
            .config
            .lifespan
            .as_duration(),
    );
    let identity = app.identities().get(identity_id).await?;
    let mut stored = admin_flow(request, flow_type, ChallengeKind::Code, lifespan)?;
    let ui = &mut stored.flow.common.ui;
    ui.nodes.clear();
    ui.append(crate::selfservice::code::recovery_code_node());
    ui.append(crate::selfservice::code::submit_node());
    stored.flow.common.state = FlowState::SentEmail;
    stored
        .internal
        .insert(super::SKIP_CSRF.into(), serde_json::Value::Bool(true));
    let code = issue(request, &mut stored, identity.id, ChallengeKind::Code);
    FlowStore::new(app.table.clone())
        .create(&mut stored)
        .await
        .map_err(SubmitError::from)?;
    tracing::info!(identity.id = %identity.id, flow.id = %stored.id(), "an administrator created a recovery code");
    Ok(AdminRecoveryCode {
        recovery_link: with_flow_id(FlowKind::Recovery.ui_url(&app.config), stored.id()).into(),
        recovery_code: code,
        expires_at: stored.flow.common.expires_at,
    })
}

/// Creates a (browser) recovery flow with a link for `identity_id`.
pub async fn create_link(
    request: AdminRequest<'_>,
    identity_id: IdentityId,
    expires_in: Option<Duration>,
) -> Result<AdminRecoveryLink, AdminRecoveryError> {
    let app = request.app;
    if !app.config.selfservice.methods.link.enabled {
        return Err(AdminRecoveryError::MethodDisabled("link"));
    }
    let lifespan = expires_in.unwrap_or(
        app.config
            .selfservice
            .methods
            .link
            .config
            .lifespan
            .as_duration(),
    );
    let identity = app.identities().get(identity_id).await?;
    let mut stored = admin_flow(request, FlowType::Browser, ChallengeKind::Link, lifespan)?;
    let token = issue(request, &mut stored, identity.id, ChallengeKind::Link);
    FlowStore::new(app.table.clone())
        .create(&mut stored)
        .await
        .map_err(SubmitError::from)?;
    let mut link = join_path(request.public_base, &FlowKind::Recovery.submit_route());
    link.query_pairs_mut()
        .append_pair("flow", &stored.id().to_string())
        .append_pair("token", token.expose());
    tracing::info!(identity.id = %identity.id, flow.id = %stored.id(), "an administrator created a recovery link");
    Ok(AdminRecoveryLink {
        recovery_link: Secret::new(String::from(link)),
        expires_at: stored.flow.common.expires_at,
    })
}

fn admin_flow(
    request: AdminRequest<'_>,
    flow_type: FlowType,
    kind: ChallengeKind,
    lifespan: Duration,
) -> Result<StoredFlow<RecoveryFlow>, SubmitError> {
    let method = match kind {
        ChallengeKind::Code => "code",
        ChallengeKind::Link => "link",
    };
    let strategy = super::strategies()
        .into_iter()
        .find(|s| s.id() == method)
        .expect("both recovery methods exist");
    new_flow_with(
        &NewFlowContext {
            app: request.app,
            flow_type,
            request_url: request.request_url,
            public_base: request.public_base,
            now: request.now,
            csrf_token: "",
        },
        strategy,
        lifespan,
    )
}

fn issue(
    request: AdminRequest<'_>,
    stored: &mut StoredFlow<RecoveryFlow>,
    identity_id: IdentityId,
    kind: ChallengeKind,
) -> Secret {
    let issued = ChallengeKeys::new(&request.app.cookie_secrets).issue(
        stored.id(),
        ChallengeRequest {
            kind,
            issuer: Issuer::Admin,
            identity_id,
            address: None,
            expires_at: stored.flow.common.expires_at,
        },
    );
    let mut attempts = Attempts::default();
    attempts.replace(Some(issued.challenge));
    attempts.store(&mut stored.internal);
    issued.value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> Duration {
        parse_expires_in(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn expires_in_reads_go_durations() {
        assert_eq!(ok("1h"), Duration::from_secs(3600));
        assert_eq!(ok("1h30m"), Duration::from_secs(5400));
        assert_eq!(ok("1.5h"), Duration::from_secs(5400));
        assert_eq!(ok("300ms"), Duration::from_millis(300));
        assert_eq!(ok("+15m"), Duration::from_secs(900));
    }

    #[test]
    fn expires_in_must_be_a_positive_sane_duration() {
        for raw in [
            "",
            "h",
            "1",
            "1d",
            "1 h",
            "abc",
            "1h-5m",
            "1..5h",
            "99999999999999h",
        ] {
            assert!(
                matches!(
                    parse_expires_in(raw),
                    Err(AdminRecoveryError::InvalidExpiresIn(_))
                ),
                "{raw:?} should be refused"
            );
        }
        for raw in ["0", "0s", "-1h"] {
            let message = parse_expires_in(raw).unwrap_err().to_string();
            assert!(message.contains("future"), "{raw}: {message}");
        }
    }
}
