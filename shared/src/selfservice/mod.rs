//! The self-service flows users drive themselves: login, registration and settings (and
//! the logout and error endpoints around them), built as flows × strategies × hooks.
//!
//! * A **flow** module ([`login`], [`registration`], [`settings`]) owns its document (the
//!   spec's `loginFlow`, ...) and its lifecycle: creating a flow, replacing an expired
//!   one, dispatching a submission to the strategies, re-rendering the form on failure,
//!   and running the hooks on success.
//! * A **strategy** owns one method (`password`, `profile`): it adds its nodes to new
//!   flows and handles submissions whose `method` is its own, declining every other one
//!   with [`SubmitError::NotResponsible`]. The strategy lists are
//!   [`login::strategies`], [`registration::strategies`] and [`settings::strategies`];
//!   adding a method is adding a strategy module and one entry there.
//! * **Hooks** ([`hooks`]) run after success, as configured per flow and method.
//!
//! Nothing here knows HTTP: the edge (`crate::http::selfservice`) reads requests into a
//! [`Submission`] and a [`SubmitContext`], and turns outcomes and [`SubmitError`]s into
//! Kratos's responses (redirects for browsers, JSON for scripts and native apps).

pub mod code;
pub mod continue_with;
pub mod exchange;
pub mod hooks;
pub mod link;
pub mod login;
pub mod out_of_band;
pub mod password;
pub mod profile;
pub mod recovery;
pub mod registration;
pub mod settings;
pub mod submission;
pub mod verification;

use time::OffsetDateTime;
use url::Url;

pub use continue_with::ContinueWith;
pub use submission::{BodyError, FieldMessage, Submission};

use crate::app::App;
use crate::flow::csrf::CsrfError;
use crate::flow::{FlowError, FlowExpired};
use crate::identity::IdentityError;
use crate::schema::Violation;
use crate::session::{DeviceInfo, SessionError};
use crate::store::StoreError;
use crate::ui::schema_nodes::flatten;
use crate::ui::{SortOptions, UiContainer, text};
use serde_json::Value;

/// A failed anti-CSRF check, with what the request looked like (for the error's hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsrfFailure {
    pub error: CsrfError,
    /// Whether the request carried any cookies.
    pub any_cookies: bool,
    /// Whether it looks like a script's request (it has an `Origin` header).
    pub ajax: bool,
}

/// The transport's anti-CSRF verdict on a submission. Strategies enforce it once they
/// recognise their method, as Kratos does, so an unknown method is reported as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsrfCheck {
    /// A browser flow with a matching token, or an API flow driven by a non-browser.
    Passed,
    /// A browser flow whose token is missing or does not match the cookie.
    Failed(CsrfFailure),
    /// An API flow driven by a browser (an `Origin` header or cookies): refused, with the
    /// reason shown on the form, as in Kratos.
    BrowserOnApiFlow(String),
}

impl CsrfCheck {
    pub fn enforce(&self) -> Result<(), SubmitError> {
        match self {
            CsrfCheck::Passed => Ok(()),
            CsrfCheck::Failed(failure) => Err(SubmitError::Csrf(*failure)),
            CsrfCheck::BrowserOnApiFlow(reason) => {
                Err(SubmitError::Form(vec![FieldMessage::form(
                    text::validation_generic(reason),
                )]))
            }
        }
    }
}

/// What a submission needs to know about its request besides the body.
#[derive(Debug, Clone)]
pub struct SubmitContext<'a> {
    pub app: &'a App,
    pub now: OffsetDateTime,
    /// The public base URL (form actions, links).
    pub public_base: Url,
    /// The full URL of the submission.
    pub request_url: String,
    pub csrf: CsrfCheck,
    /// Whether the client is a script wanting JSON rather than redirects.
    pub wants_json: bool,
    /// Where the request came from, for sessions' device records.
    pub device: DeviceInfo,
    /// The anti-CSRF token for any browser form this request renders ("" for API flows).
    pub form_csrf_token: String,
}

/// Where a new flow comes from: the request that starts it (or the expired flow it
/// replaces).
#[derive(Debug, Clone, Copy)]
pub struct NewFlowContext<'a> {
    pub app: &'a App,
    pub flow_type: crate::flow::FlowType,
    /// The URL that started the flow (`request_url`; its `return_to` is checked).
    pub request_url: &'a str,
    pub public_base: &'a Url,
    pub now: OffsetDateTime,
    /// The form's anti-CSRF token ("" for API flows).
    pub csrf_token: &'a str,
}

/// The session a request presents, with its identity (read by the edge).
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub session: crate::session::Session,
    pub identity: crate::identity::Identity,
}

/// Why a submission did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The strategy does not handle the submitted method.
    #[error("the strategy is not responsible for this submission")]
    NotResponsible,
    /// Messages for the form: the flow is answered again with them.
    #[error("the submission is invalid")]
    Form(Vec<FieldMessage>),
    /// The anti-CSRF check failed: 403 `security_csrf_violation`.
    #[error("the anti-CSRF check failed")]
    Csrf(CsrfFailure),
    /// A flow-level error (expired, identity mismatch, ...).
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// Changing this needs a more recent login: 403 `session_refresh_required`, or a
    /// redirect to a refresh login for browsers.
    #[error("the session is too old for this change")]
    RefreshRequired,
    /// The identity is not active: 401.
    #[error("the identity is disabled")]
    IdentityDisabled,
    /// `aal=aal2` was asked for without a session: 401 `session_aal1_required`.
    #[error("a session is required for a higher assurance level")]
    Aal1Required,
    /// No valid session, where one is needed: 401 `session_inactive`.
    #[error("no active session")]
    NoActiveSession,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The requested `return_to` is malformed or not allowed.
    #[error(transparent)]
    ReturnTo(#[from] crate::flow::return_to::ReturnToError),
    /// The flow changed concurrently (another submission won): 409.
    #[error("the flow was changed concurrently")]
    Conflict,
    /// A bad request outside any form (e.g. an unsupported query parameter): 400.
    #[error("{0}")]
    BadRequest(String),
    /// Anything the client cannot fix; logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl SubmitError {
    pub fn form(message: crate::ui::UiText) -> Self {
        SubmitError::Form(vec![FieldMessage::form(message)])
    }

    pub fn field(field: &str, message: crate::ui::UiText) -> Self {
        SubmitError::Form(vec![FieldMessage::on(field, message)])
    }
}

impl From<FieldMessage> for SubmitError {
    fn from(message: FieldMessage) -> Self {
        SubmitError::Form(vec![message])
    }
}

impl From<crate::flow::store::FlowStoreError> for SubmitError {
    fn from(err: crate::flow::store::FlowStoreError) -> Self {
        use crate::flow::store::FlowStoreError as E;
        match err {
            E::Store(store) => SubmitError::Store(store),
            E::NotFound => SubmitError::Flow(FlowError::NotFound),
            E::Conflict => SubmitError::Conflict,
            other => SubmitError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<IdentityError> for SubmitError {
    fn from(err: IdentityError) -> Self {
        match err {
            IdentityError::Validation(violations) => SubmitError::Form(
                violations
                    .iter()
                    .map(|v| FieldMessage::on(v.field_name(), text::from_violation(v, None)))
                    .collect(),
            ),
            IdentityError::Conflict { .. } => {
                SubmitError::form(text::validation_duplicate_credentials())
            }
            IdentityError::TooLarge(reason) | IdentityError::Invalid(reason) => {
                SubmitError::form(text::validation_generic(&reason))
            }
            IdentityError::Store(store) => SubmitError::Store(store),
            // Another request changed the identity first (and retries ran out).
            IdentityError::Stale(_) => SubmitError::Conflict,
            other => SubmitError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<SessionError> for SubmitError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::IdentityDisabled(_) => SubmitError::IdentityDisabled,
            SessionError::NoActiveSession { .. } => SubmitError::NoActiveSession,
            SessionError::Store(store) => SubmitError::Store(store),
            SessionError::Stale(_) => SubmitError::Conflict,
            other => SubmitError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<crate::hash::HashError> for SubmitError {
    fn from(err: crate::hash::HashError) -> Self {
        match err {
            crate::hash::HashError::PasswordTooLong { max, actual } => SubmitError::field(
                "password",
                text::validation_password_max_length(max as u64, actual as u64),
            ),
            other => SubmitError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// Replaces a form's messages by `messages` (each on its field, created if missing), then
/// re-sorts the nodes: what Kratos does before answering a failed submission.
pub fn show_messages(ui: &mut UiContainer, messages: Vec<FieldMessage>, sort: &SortOptions) {
    ui.reset_messages(&[]);
    for FieldMessage { field, message } in messages {
        match field {
            Some(field) => ui.add_message_to(&field, *message),
            None => ui.add_message(*message),
        }
    }
    ui.sort_nodes(sort);
}

/// A flow expired: the error carrying the replacement flow's ID.
pub fn expired_with_replacement(
    expired_at: OffsetDateTime,
    now: OffsetDateTime,
    replacement: crate::ids::FlowId,
) -> FlowError {
    FlowError::Expired(FlowExpired {
        expired_at,
        since: now - expired_at,
        use_flow_id: Some(replacement),
    })
}

/// The submitted traits (`{}` when absent or not an object).
pub fn submitted_traits(submission: &Submission) -> Value {
    match submission.get("traits") {
        Some(Value::Object(map)) => Value::Object(map.clone()),
        _ => Value::Object(Default::default()),
    }
}

/// Puts the submitted trait values back into the form's existing trait inputs, so the
/// user need not type them again.
pub fn restore_traits(ui: &mut UiContainer, traits: &Value) {
    for (name, value) in flatten(traits, "traits") {
        ui.set_value(&name, value);
    }
}

/// Schema violations as messages on their fields.
pub fn violation_messages(violations: &[Violation], traits: &Value) -> Vec<FieldMessage> {
    let document = serde_json::json!({ "traits": traits });
    violations
        .iter()
        .map(|v| FieldMessage {
            field: Some(v.field_name()).filter(|f| !f.is_empty()),
            message: Box::new(text::from_violation(v, Some(&document))),
        })
        .collect()
}
