//! The courier: e-mail and SMS as queued table items, and their delivery.
//!
//! A flow builds a [`Message`] with [`compose_email`] or [`compose_sms`] (rendered from the
//! templates at once) and queues it with [`MessageRepository::queue_ops`] in the same atomic
//! write as its own change, so a code is never stored without its message or the reverse.
//! A sender ([`Courier::deliver`]) claims a queued message by a conditional write on its
//! version, sends it through an [`EmailSender`] or [`SmsSender`], and records the outcome.
//! In AWS the table's stream drives the sender; the local server polls the queue. See
//! `docs/courier.md` for statuses, retries and idempotency.

pub mod channel;
pub mod delivery;
pub mod message;
pub mod repository;
pub mod template;

use serde_json::{Value, json};
use time::OffsetDateTime;

pub use channel::{
    Channels, EmailSender, LogChannel, OutgoingEmail, OutgoingSms, SendError, SmsSender,
};
pub use delivery::{Courier, Delivery, RetryPolicy};
pub use message::{
    Dispatch, DispatchStatus, Message, MessageStatus, MessageType, TemplateType, UnknownStatus,
};
pub use repository::{MessageFilter, MessagePage, MessageRepository, Versioned};
pub use template::{TemplateData, TemplateError, Templates};

use crate::ids::MessageId;
use crate::store::StoreError;

/// How a courier operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CourierError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored message could not be read back.
    #[error("stored message is corrupt: {0}")]
    Corrupt(String),
    /// The message cannot be queued as it is.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The message changed while this sender held it (it should not: it was claimed).
    #[error("message {0} changed while it was being sent")]
    Conflict(MessageId),
}

/// Why one delivery attempt failed, as recorded on the message's dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    permanent: bool,
    reason: &'static str,
    message: String,
}

impl Failure {
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }

    /// The dispatch's `error`, shaped like Kratos's error objects.
    pub fn to_json(&self) -> Value {
        json!({
            "code": 500,
            "status": "Internal Server Error",
            "reason": self.reason,
            "message": self.message,
        })
    }

    pub fn rendering(error: &TemplateError) -> Self {
        Self {
            permanent: true,
            reason: "The message could not be rendered from its template.",
            message: error.to_string(),
        }
    }
}

impl From<&SendError> for Failure {
    fn from(error: &SendError) -> Self {
        match error {
            SendError::Transient { .. } => Self {
                permanent: false,
                reason: "The provider did not accept the message this time; it will be retried.",
                message: error.to_string(),
            },
            SendError::Permanent { .. } => Self {
                permanent: true,
                reason: "The provider rejected the message; it will not be retried.",
                message: error.to_string(),
            },
        }
    }
}

/// A queued e-mail rendered from `template_type`'s templates with `data`, addressed to
/// `data.to`. Fails with `Template` if a template does not render.
pub fn compose_email(
    templates: &Templates,
    template_type: TemplateType,
    data: &TemplateData,
    now: OffsetDateTime,
) -> Result<Message, CourierError> {
    let rendered = templates.render_email(template_type, data)?;
    let mut message = Message::new(MessageType::Email, data.to.clone(), template_type, now);
    message.subject = rendered.subject;
    message.body = rendered.text;
    message.html_body = Some(rendered.html);
    message.template_data = Some(serde_json::to_value(data).unwrap_or(Value::Null));
    Ok(message)
}

/// A queued SMS rendered from `template_type`'s SMS template with `data`, to the E.164
/// number `data.to`. Fails with `Template` if the template does not render.
pub fn compose_sms(
    templates: &Templates,
    template_type: TemplateType,
    data: &TemplateData,
    now: OffsetDateTime,
) -> Result<Message, CourierError> {
    let mut message = Message::new(MessageType::Sms, data.to.clone(), template_type, now);
    message.body = templates.render_sms(template_type, data)?;
    message.template_data = Some(serde_json::to_value(data).unwrap_or(Value::Null));
    Ok(message)
}
