//! E-mail through Amazon SES v2 `SendEmail`.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};
use base64::Engine;

use crate::config::{Courier as CourierConfig, SesConfig};
use crate::courier::{EmailSender, OutgoingEmail, SendError};

/// SES error codes worth retrying (besides HTTP 429 and 5xx answers).
const TRANSIENT: &[&str] = &["TooManyRequestsException", "LimitExceededException"];

/// Sends e-mail from `courier.smtp.from_address` (with `from_name`) through SES v2.
#[derive(Debug, Clone)]
pub struct SesEmailSender {
    client: Client,
    from: String,
    headers: Vec<(String, String)>,
    options: SesConfig,
}

impl SesEmailSender {
    pub fn new(client: Client, config: &CourierConfig) -> Self {
        Self {
            client,
            from: from_header(&config.smtp.from_address, config.smtp.from_name.as_deref()),
            headers: config
                .smtp
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            options: config.ses.clone(),
        }
    }
}

/// `Name <address>`, with the name quoted, or encoded as RFC 2047 when it is not ASCII.
pub fn from_header(address: &str, name: Option<&str>) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => address.to_owned(),
        Some(name) if name.is_ascii() && !name.chars().any(|c| c.is_ascii_control()) => {
            let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\" <{address}>")
        }
        Some(name) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(name.as_bytes());
            format!("=?UTF-8?B?{encoded}?= <{address}>")
        }
    }
}

fn content(data: &str) -> Result<Content, SendError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| SendError::permanent("InvalidContent", e.to_string()))
}

#[async_trait]
impl EmailSender for SesEmailSender {
    async fn send_email(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        let mut body = Body::builder().text(content(&email.text)?);
        if let Some(html) = &email.html {
            body = body.html(content(html)?);
        }
        let mut message = Message::builder()
            .subject(content(&email.subject)?)
            .body(body.build());
        for (name, value) in &self.headers {
            message = message.headers(
                MessageHeader::builder()
                    .name(name)
                    .value(value)
                    .build()
                    .map_err(|e| SendError::permanent("InvalidHeader", e.to_string()))?,
            );
        }
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message.build()).build())
            .set_configuration_set_name(self.options.configuration_set_name.clone())
            .set_from_email_address_identity_arn(
                self.options.from_email_address_identity_arn.clone(),
            )
            .set_feedback_forwarding_email_address(
                self.options.feedback_forwarding_email_address.clone(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| super::classify(&e, TRANSIENT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_names_are_quoted_or_encoded() {
        assert_eq!(from_header("a@b.c", None), "a@b.c");
        assert_eq!(from_header("a@b.c", Some(" ")), "a@b.c");
        assert_eq!(from_header("a@b.c", Some("Ory")), "\"Ory\" <a@b.c>");
        assert_eq!(
            from_header("a@b.c", Some("A \"B\", C")),
            "\"A \\\"B\\\", C\" <a@b.c>"
        );
        assert_eq!(
            from_header("a@b.c", Some("Zoë")),
            "=?UTF-8?B?Wm/Dqw==?= <a@b.c>"
        );
    }
}
