//! The courier message: what is queued, its delivery state and its attempts.
//!
//! A [`Message`] is stored as the `body` of one table item and is also the shape the admin
//! API reads from (the HTTP layer decides what of it is shown). Bodies hold one-time codes,
//! so `Debug` never prints them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::ids::MessageId;

/// Where a message is in its life. Every change of status bumps the item's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting to be sent (first time, or again after a transient failure).
    Queued,
    /// Claimed by one sender, which is sending it now.
    Processing,
    /// Accepted by the provider.
    Sent,
    /// Given up: a permanent failure, or too many transient ones.
    Abandoned,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 4] = [
        MessageStatus::Queued,
        MessageStatus::Processing,
        MessageStatus::Sent,
        MessageStatus::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Processing => "processing",
            MessageStatus::Sent => "sent",
            MessageStatus::Abandoned => "abandoned",
        }
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a message status")]
pub struct UnknownStatus(pub String);

impl FromStr for MessageStatus {
    type Err = UnknownStatus;

    /// Exact, case-sensitive names, as Kratos parses them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MessageStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// The channel a message travels on.
///
/// The API contract names SMS `phone`, while Kratos itself stores and prints `sms`; both
/// are read, `phone` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageType {
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "phone", alias = "sms")]
    Sms,
}

impl MessageType {
    /// The value of `type` in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Email => "email",
            MessageType::Sms => "phone",
        }
    }

    /// The value of `channel` Kratos records for this type.
    pub fn channel(self) -> &'static str {
        match self {
            MessageType::Email => "email",
            MessageType::Sms => "sms",
        }
    }
}

/// Which built-in (or overridden) template a message was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateType {
    RecoveryInvalid,
    RecoveryValid,
    RecoveryCodeInvalid,
    RecoveryCodeValid,
    VerificationInvalid,
    VerificationValid,
    VerificationCodeInvalid,
    VerificationCodeValid,
    LoginCodeValid,
    RegistrationCodeValid,
    /// Kratos's test template: subject and body are given verbatim.
    Stub,
}

impl TemplateType {
    /// Every type with a built-in template (all but the test stub).
    pub const BUILT_IN: [TemplateType; 10] = [
        TemplateType::RecoveryInvalid,
        TemplateType::RecoveryValid,
        TemplateType::RecoveryCodeInvalid,
        TemplateType::RecoveryCodeValid,
        TemplateType::VerificationInvalid,
        TemplateType::VerificationValid,
        TemplateType::VerificationCodeInvalid,
        TemplateType::VerificationCodeValid,
        TemplateType::LoginCodeValid,
        TemplateType::RegistrationCodeValid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateType::RecoveryInvalid => "recovery_invalid",
            TemplateType::RecoveryValid => "recovery_valid",
            TemplateType::RecoveryCodeInvalid => "recovery_code_invalid",
            TemplateType::RecoveryCodeValid => "recovery_code_valid",
            TemplateType::VerificationInvalid => "verification_invalid",
            TemplateType::VerificationValid => "verification_valid",
            TemplateType::VerificationCodeInvalid => "verification_code_invalid",
            TemplateType::VerificationCodeValid => "verification_code_valid",
            TemplateType::LoginCodeValid => "login_code_valid",
            TemplateType::RegistrationCodeValid => "registration_code_valid",
            TemplateType::Stub => "stub",
        }
    }

    /// The directory of this type's templates, as Kratos lays out an override path:
    /// `<family>/<valid|invalid>`.
    pub fn directory(self) -> &'static str {
        match self {
            TemplateType::RecoveryInvalid => "recovery/invalid",
            TemplateType::RecoveryValid => "recovery/valid",
            TemplateType::RecoveryCodeInvalid => "recovery_code/invalid",
            TemplateType::RecoveryCodeValid => "recovery_code/valid",
            TemplateType::VerificationInvalid => "verification/invalid",
            TemplateType::VerificationValid => "verification/valid",
            TemplateType::VerificationCodeInvalid => "verification_code/invalid",
            TemplateType::VerificationCodeValid => "verification_code/valid",
            TemplateType::LoginCodeValid => "login_code/valid",
            TemplateType::RegistrationCodeValid => "registration_code/valid",
            TemplateType::Stub => "test_stub",
        }
    }
}

impl fmt::Display for TemplateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispatchStatus {
    Failed,
    Success,
}

/// One delivery attempt, as the admin API lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispatch {
    pub id: Uuid,
    pub message_id: MessageId,
    pub status: DispatchStatus,
    /// What went wrong, for failed attempts: `{code, status, reason, message}` like
    /// Kratos's error objects. Never holds the message body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A courier message: the stored document of a `message` item.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    #[serde(rename = "type")]
    pub message_type: MessageType,
    pub status: MessageStatus,
    /// An e-mail address, or an E.164 phone number for SMS.
    pub recipient: String,
    /// The e-mail subject; empty for SMS.
    #[serde(default)]
    pub subject: String,
    /// The plain-text e-mail body, or the SMS text.
    #[serde(default)]
    pub body: String,
    /// The HTML alternative of an e-mail body, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_body: Option<String>,
    pub template_type: TemplateType,
    /// The data the template was (or is to be) rendered with, in Kratos's JSON shape.
    /// Kept so that a message queued without rendered text can still be rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_data: Option<Value>,
    /// Delivery attempts so far, successful or not.
    #[serde(default)]
    pub send_count: u32,
    /// Every attempt, newest first (the order Kratos lists them in).
    #[serde(default)]
    pub dispatches: Vec<Dispatch>,
    /// Not before this instant (set after a transient failure, for the backoff).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies and template data carry codes and links: never print them.
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("type", &self.message_type)
            .field("status", &self.status)
            .field("template_type", &self.template_type)
            .field("send_count", &self.send_count)
            .field("dispatches", &self.dispatches.len())
            .field("next_attempt_at", &self.next_attempt_at)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl Message {
    /// A new queued message with rendered content.
    pub fn new(
        message_type: MessageType,
        recipient: impl Into<String>,
        template_type: TemplateType,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: MessageId::new(),
            message_type,
            status: MessageStatus::Queued,
            recipient: recipient.into(),
            subject: String::new(),
            body: String::new(),
            html_body: None,
            template_type,
            template_data: None,
            send_count: 0,
            dispatches: Vec::new(),
            next_attempt_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The channel name Kratos records (`email` or `sms`).
    pub fn channel(&self) -> &'static str {
        self.message_type.channel()
    }

    /// Whether the message has nothing rendered yet (queued with template data only).
    pub fn needs_rendering(&self) -> bool {
        match self.message_type {
            MessageType::Email => self.subject.is_empty() && self.body.is_empty(),
            MessageType::Sms => self.body.is_empty(),
        }
    }

    /// Whether a queued message may be attempted at `now`.
    pub fn is_due(&self, now: OffsetDateTime) -> bool {
        self.next_attempt_at.is_none_or(|at| at <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_parse_exactly() {
        assert_eq!("queued".parse(), Ok(MessageStatus::Queued));
        assert_eq!("abandoned".parse(), Ok(MessageStatus::Abandoned));
        assert!("Queued".parse::<MessageStatus>().is_err());
        assert!("".parse::<MessageStatus>().is_err());
    }

    #[test]
    fn sms_is_read_under_both_names_and_written_as_phone() {
        let kratos: MessageType = serde_json::from_value(json!("sms")).unwrap();
        let spec: MessageType = serde_json::from_value(json!("phone")).unwrap();
        assert_eq!(kratos, MessageType::Sms);
        assert_eq!(spec, MessageType::Sms);
        assert_eq!(serde_json::to_value(kratos).unwrap(), json!("phone"));
        assert_eq!(MessageType::Sms.channel(), "sms");
    }

    #[test]
    fn debug_output_never_contains_the_body() {
        let mut message = Message::new(
            MessageType::Email,
            "a@example.com",
            TemplateType::RecoveryCodeValid,
            OffsetDateTime::UNIX_EPOCH,
        );
        message.body = "your code is 123456".into();
        message.html_body = Some("<b>123456</b>".into());
        let printed = format!("{message:?}");
        assert!(!printed.contains("123456"), "{printed}");
    }
}
