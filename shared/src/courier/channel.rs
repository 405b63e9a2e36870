//! The ports through which messages leave the system, and the development channel.
//!
//! A channel says whether a failure is worth retrying ([`SendError::Transient`]) or not
//! ([`SendError::Permanent`]); the courier decides what to do about it. Implementations
//! must never log a message's subject line or body text beyond what this module's
//! [`LogChannel`] documents, because bodies carry one-time codes and links.

use std::fmt;

use async_trait::async_trait;

use crate::ids::MessageId;

/// An e-mail ready to send.
#[derive(Clone)]
pub struct OutgoingEmail {
    pub message_id: MessageId,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

impl fmt::Debug for OutgoingEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingEmail")
            .field("message_id", &self.message_id)
            .finish_non_exhaustive()
    }
}

/// An SMS ready to send.
#[derive(Clone)]
pub struct OutgoingSms {
    pub message_id: MessageId,
    /// E.164, e.g. `+15555550100`.
    pub to: String,
    pub text: String,
}

impl fmt::Debug for OutgoingSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingSms")
            .field("message_id", &self.message_id)
            .finish_non_exhaustive()
    }
}

/// Why a provider did not take a message. The text is recorded on the message's dispatch
/// and logged, so it must describe the failure without quoting the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: throttling, timeouts, 5xx answers, unreachable provider.
    #[error("{code}: {message}")]
    Transient { code: String, message: String },
    /// Trying again cannot help: rejected content, unverified sender, invalid recipient.
    #[error("{code}: {message}")]
    Permanent { code: String, message: String },
}

impl SendError {
    pub fn transient(code: impl Into<String>, message: impl Into<String>) -> Self {
        SendError::Transient {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        SendError::Permanent {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Permanent { .. })
    }
}

/// Sends e-mail.
#[async_trait]
pub trait EmailSender: Send + Sync + fmt::Debug {
    /// Hands `email` to the provider. Fails with [`SendError`], classified.
    async fn send_email(&self, email: &OutgoingEmail) -> Result<(), SendError>;
}

/// Sends SMS.
#[async_trait]
pub trait SmsSender: Send + Sync + fmt::Debug {
    /// Hands `sms` to the provider. Fails with [`SendError`], classified.
    async fn send_sms(&self, sms: &OutgoingSms) -> Result<(), SendError>;
}

/// The development channel (`delivery_strategy: log`): each message becomes one log line
/// with its ID, recipient and size, and nothing is sent. It logs neither subject nor body,
/// so codes stay out of logs even in development; read them from the admin API with
/// `dev: true`, which shows bodies as Kratos does in dev mode.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogChannel;

#[async_trait]
impl EmailSender for LogChannel {
    async fn send_email(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        tracing::info!(
            message_id = %email.message_id,
            to = %email.to,
            text_bytes = email.text.len(),
            html = email.html.is_some(),
            "courier (log channel): e-mail not sent, logged only"
        );
        Ok(())
    }
}

#[async_trait]
impl SmsSender for LogChannel {
    async fn send_sms(&self, sms: &OutgoingSms) -> Result<(), SendError> {
        tracing::info!(
            message_id = %sms.message_id,
            to = %sms.to,
            text_bytes = sms.text.len(),
            "courier (log channel): SMS not sent, logged only"
        );
        Ok(())
    }
}

/// The channels a sender uses, one per message type.
#[derive(Debug, Clone)]
pub struct Channels {
    pub email: std::sync::Arc<dyn EmailSender>,
    pub sms: std::sync::Arc<dyn SmsSender>,
}

impl Channels {
    /// Both types through the [`LogChannel`].
    pub fn log() -> Self {
        Self {
            email: std::sync::Arc::new(LogChannel),
            sms: std::sync::Arc::new(LogChannel),
        }
    }
}
