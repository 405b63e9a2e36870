//! What every self-service flow shares: its kind and type, the common fields of the flow
//! documents (`id`, `type`, `expires_at`, `issued_at`, `request_url`, `return_to`, `ui`,
//! `state`), expiry, and the flow-level errors Kratos reports with stable IDs.
//!
//! Each flow (login, registration, settings, recovery, verification) defines its own
//! document type that embeds [`FlowCommon`] and implements [`store::FlowDocument`]; the
//! generic [`store::FlowStore`] keeps any of them. Strategies (password, profile, code,
//! link) add nodes to the flow's `ui`; hooks run after success. See `docs/self-service.md`.

pub mod challenge;
pub mod csrf;
pub mod return_to;
pub mod self_service_errors;
pub mod store;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use url::Url;

use crate::config::Config;
use crate::ids::FlowId;
use crate::ui::UiContainer;

/// `api` for native apps (no cookies, no CSRF), `browser` for everything in a browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowType {
    Api,
    Browser,
}

impl FlowType {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowType::Api => "api",
            FlowType::Browser => "browser",
        }
    }
}

/// Which self-service flow a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowKind {
    Login,
    Registration,
    Settings,
    Recovery,
    Verification,
}

impl FlowKind {
    pub const ALL: [FlowKind; 5] = [
        FlowKind::Login,
        FlowKind::Registration,
        FlowKind::Settings,
        FlowKind::Recovery,
        FlowKind::Verification,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Login => "login",
            FlowKind::Registration => "registration",
            FlowKind::Settings => "settings",
            FlowKind::Recovery => "recovery",
            FlowKind::Verification => "verification",
        }
    }

    /// Where flows are submitted (`POST /self-service/<kind>?flow=<id>`).
    pub fn submit_route(self) -> String {
        format!("/self-service/{}", self.as_str())
    }

    /// Where browsers start a flow.
    pub fn browser_init_route(self) -> String {
        format!("/self-service/{}/browser", self.as_str())
    }

    /// Where native apps start a flow.
    pub fn api_init_route(self) -> String {
        format!("/self-service/{}/api", self.as_str())
    }

    /// Where a flow is fetched (`GET /self-service/<kind>/flows?id=<id>`).
    pub fn fetch_route(self) -> String {
        format!("/self-service/{}/flows", self.as_str())
    }

    /// `selfservice.flows.<kind>.ui_url`.
    pub fn ui_url(self, config: &Config) -> &Url {
        let flows = &config.selfservice.flows;
        match self {
            FlowKind::Login => &flows.login.ui_url,
            FlowKind::Registration => &flows.registration.ui_url,
            FlowKind::Settings => &flows.settings.ui_url,
            FlowKind::Recovery => &flows.recovery.ui_url,
            FlowKind::Verification => &flows.verification.ui_url,
        }
    }

    /// `selfservice.flows.<kind>.lifespan`.
    pub fn lifespan(self, config: &Config) -> Duration {
        let flows = &config.selfservice.flows;
        let lifespan = match self {
            FlowKind::Login => &flows.login.lifespan,
            FlowKind::Registration => &flows.registration.lifespan,
            FlowKind::Settings => &flows.settings.lifespan,
            FlowKind::Recovery => &flows.recovery.lifespan,
            FlowKind::Verification => &flows.verification.lifespan,
        };
        lifespan.as_duration()
    }

    /// The state a new flow of this kind starts in.
    pub fn initial_state(self) -> FlowState {
        match self {
            FlowKind::Settings => FlowState::ShowForm,
            _ => FlowState::ChooseMethod,
        }
    }
}

/// A flow's `state`. Settings flows use `show_form`/`success`; the others
/// `choose_method`/`sent_email`/`passed_challenge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowState {
    ChooseMethod,
    SentEmail,
    PassedChallenge,
    ShowForm,
    Success,
}

/// The fields every flow document has, in the spec's names. Flow documents embed this
/// with `#[serde(flatten)]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowCommon {
    pub id: FlowId,
    #[serde(rename = "type")]
    pub flow_type: FlowType,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// The URL that started the flow, query included.
    pub request_url: String,
    /// The `return_to` the flow started with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
    pub ui: UiContainer,
    pub state: FlowState,
    /// Data a client passed along for hooks and templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transient_payload: Option<Map<String, Value>>,
}

impl FlowCommon {
    /// A new flow of `kind`, valid for `lifespan` from `now`, whose form submits to this
    /// deployment's `POST /self-service/<kind>?flow=<id>` under `public_base`.
    pub fn new(
        kind: FlowKind,
        flow_type: FlowType,
        request_url: impl Into<String>,
        public_base: &Url,
        now: OffsetDateTime,
        lifespan: Duration,
    ) -> Self {
        let id = FlowId::new();
        let request_url = request_url.into();
        let lifespan = time::Duration::try_from(lifespan).unwrap_or(time::Duration::HOUR);
        Self {
            id,
            flow_type,
            expires_at: now + lifespan,
            issued_at: now,
            return_to: return_to_of(&request_url),
            request_url,
            ui: UiContainer::new(action_url(public_base, kind, id)),
            state: kind.initial_state(),
            transient_payload: None,
        }
    }

    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at < now
    }

    /// `Err(FlowError::Expired)` once `expires_at` has passed.
    pub fn check_expiry(&self, now: OffsetDateTime) -> Result<(), FlowError> {
        if self.is_expired(now) {
            return Err(FlowError::Expired(FlowExpired {
                expired_at: self.expires_at,
                since: now - self.expires_at,
                use_flow_id: None,
            }));
        }
        Ok(())
    }
}

/// The form action of a flow: `<public base>/self-service/<kind>?flow=<id>`.
pub fn action_url(public_base: &Url, kind: FlowKind, id: FlowId) -> String {
    let mut url = join_path(public_base, &kind.submit_route());
    url.query_pairs_mut().append_pair("flow", &id.to_string());
    url.into()
}

/// `base` with `path` appended to its own path (`https://x/kratos/` + `/a` = `https://x/kratos/a`).
pub fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// `url` with its `flow` query parameter set to `id` (other parameters kept): where the
/// browser goes to render a flow (`ui_url?flow=<id>`).
pub fn with_flow_id(url: &Url, id: FlowId) -> Url {
    with_query_param(url, "flow", &id.to_string())
}

/// `url` with query parameter `key` set to `value`, replacing earlier values.
pub fn with_query_param(url: &Url, key: &str, value: &str) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != key)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut out = url.clone();
    out.set_query(None);
    {
        let mut pairs = out.query_pairs_mut();
        for (k, v) in &kept {
            pairs.append_pair(k, v);
        }
        pairs.append_pair(key, value);
    }
    out
}

/// The `return_to` query parameter of a flow's request URL, if set and non-empty.
pub fn return_to_of(request_url: &str) -> Option<String> {
    let url = Url::parse(request_url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// Parses a flow ID from a query parameter (`?flow=` or `?id=`).
pub fn parse_flow_id(raw: Option<&str>) -> Result<FlowId, FlowError> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
        .ok_or(FlowError::MissingFlowId)
}

/// A flow expired (`self_service_flow_expired`, 410).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowExpired {
    pub expired_at: OffsetDateTime,
    /// How long ago it expired (sent as nanoseconds, like Go's `time.Duration`).
    pub since: time::Duration,
    /// The replacement flow carrying the "expired" message, when one was created.
    pub use_flow_id: Option<FlowId>,
}

/// Where the client should go after fetching an expired flow.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpiredFlowNext {
    /// Browser flows: start again at `redirect_to` (the browser init endpoint, carrying
    /// the original `return_to`).
    Browser {
        redirect_to: String,
        return_to: Option<String>,
    },
    /// API flows: call the API init endpoint again.
    Api { init_url: String },
}

/// Why a flow could not proceed, independent of transport. The HTTP layer maps each to
/// Kratos's error ID, status and body (`http/flow_errors.rs`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FlowError {
    /// Submitting an expired flow: 410 `self_service_flow_expired` with `expired_at`,
    /// `since` and `use_flow_id`.
    #[error("the self-service flow expired")]
    Expired(FlowExpired),
    /// Fetching an expired flow: 410 `self_service_flow_expired` with where to go next.
    #[error("the {kind:?} flow expired")]
    ExpiredOnFetch {
        kind: FlowKind,
        next: ExpiredFlowNext,
    },
    /// A newer flow of the same kind replaced this one: 410 `self_service_flow_replaced`.
    #[error("the self-service flow was replaced")]
    Replaced { use_flow_id: FlowId },
    /// The flow kind is turned off in the configuration: `self_service_flow_disabled`.
    #[error("the {kind:?} flow is disabled")]
    Disabled { kind: FlowKind },
    /// `return_to` is not on the allow list: 400 `self_service_flow_return_to_forbidden`.
    #[error("return_to is not allowed")]
    ReturnToForbidden { requested: String },
    /// The client must send the browser elsewhere: 422 `browser_location_change_required`.
    #[error("the browser must be redirected")]
    BrowserLocationChangeRequired { redirect_browser_to: String },
    /// A session exists and the flow needs none: 400 `session_already_available`.
    #[error("a session is already available")]
    SessionAlreadyAvailable { kind: FlowKind },
    /// The flow belongs to another identity: 403 `security_identity_mismatch`.
    #[error("the flow was initiated by another identity")]
    IdentityMismatch,
    /// No flow with this ID (or of this kind): 404.
    #[error("the flow does not exist")]
    NotFound,
    /// The `flow`/`id` query parameter is missing or not a UUID: 400.
    #[error("the flow query parameter is missing or malformed")]
    MissingFlowId,
}

#[cfg(test)]
mod tests;
