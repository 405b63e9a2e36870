//! SMS through Amazon SNS `Publish` to a phone number.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use crate::config::SnsConfig;
use crate::courier::{OutgoingSms, SendError, SmsSender};

/// SNS error codes worth retrying (besides HTTP 429 and 5xx answers).
const TRANSIENT: &[&str] = &[
    "Throttling",
    "ThrottledException",
    "InternalError",
    "KMSThrottling",
];

/// Sends SMS with SNS `Publish` (`PhoneNumber` in E.164).
#[derive(Debug, Clone)]
pub struct SnsSmsSender {
    client: Client,
    options: SnsConfig,
}

impl SnsSmsSender {
    pub fn new(client: Client, options: SnsConfig) -> Self {
        Self { client, options }
    }
}

/// Whether `number` is E.164: `+`, then 2 to 15 digits, the first not 0.
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

fn attribute(value: &str) -> Result<MessageAttributeValue, SendError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| SendError::permanent("InvalidAttribute", e.to_string()))
}

#[async_trait]
impl SmsSender for SnsSmsSender {
    async fn send_sms(&self, sms: &OutgoingSms) -> Result<(), SendError> {
        if !is_e164(&sms.to) {
            return Err(SendError::permanent(
                "InvalidParameter",
                "the recipient is not a phone number in E.164 format",
            ));
        }
        let mut request = self
            .client
            .publish()
            .phone_number(&sms.to)
            .message(&sms.text)
            .message_attributes("AWS.SNS.SMS.SMSType", attribute(&self.options.sms_type)?);
        if let Some(sender_id) = &self.options.sender_id {
            request = request.message_attributes("AWS.SNS.SMS.SenderID", attribute(sender_id)?);
        }
        if let Some(number) = &self.options.origination_number {
            request =
                request.message_attributes("AWS.MM.SMS.OriginationNumber", attribute(number)?);
        }
        request
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
    fn only_e164_numbers_are_accepted() {
        assert!(is_e164("+15555550100"));
        assert!(is_e164("+4915112345678"));
        assert!(!is_e164("15555550100"));
        assert!(!is_e164("+0155"));
        assert!(!is_e164("+1 555 555"));
        assert!(!is_e164("+1234567890123456"));
    }
}
