//! Delivering queued messages: claim, render what is missing, send, record the outcome.
//!
//! The same [`Courier::deliver`] runs behind the table stream in AWS and behind the local
//! server's poller. Every step is a conditional write on the message's version, so a
//! repeated or stale sighting of a message (a redelivered stream record, two pollers) sends
//! nothing twice.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::channel::{EmailSender, OutgoingEmail, OutgoingSms, SmsSender};
use super::message::{MessageStatus, MessageType};
use super::repository::{MessageRepository, Versioned};
use super::template::{TemplateData, Templates};
use super::{CourierError, Failure};
use crate::clock::SharedClock;

/// When to give up and how long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first failed attempt (`courier.message_retries`).
    pub max_retries: u32,
    /// The wait before the first retry; it doubles with every further failure.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// Kratos's retry count with 1 s, 2 s, 4 s, ... up to 30 s between attempts.
    pub fn with_retries(max_retries: u32) -> Self {
        Self {
            max_retries,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }

    /// The wait after the `failures`-th failed attempt.
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// What became of a message a sender looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Sent now.
    Sent,
    /// Failed transiently; queued again, not to be tried before `retry_at`.
    Retrying { retry_at: OffsetDateTime },
    /// Failed for good (permanently, or out of retries).
    Abandoned,
    /// Not this sender's to send: already handled, claimed by another sender, or the
    /// sighting is older than the message.
    Skipped,
}

/// The sending side of the courier.
#[derive(Debug, Clone)]
pub struct Courier {
    repository: MessageRepository,
    templates: Arc<Templates>,
    email: Arc<dyn EmailSender>,
    sms: Arc<dyn SmsSender>,
    clock: SharedClock,
    policy: RetryPolicy,
}

impl Courier {
    pub fn new(
        repository: MessageRepository,
        templates: Arc<Templates>,
        email: Arc<dyn EmailSender>,
        sms: Arc<dyn SmsSender>,
        clock: SharedClock,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            repository,
            templates,
            email,
            sms,
            clock,
            policy,
        }
    }

    /// Delivers a message seen in the queued state at some version. Sends it only if this
    /// call claims it (the item is still at that version), so calling this twice with the
    /// same sighting sends at most once. Fails with `Store` if the table cannot be reached
    /// before the claim (nothing was sent), or after the send (the message was sent but its
    /// outcome is not recorded; it stays `processing`).
    pub async fn deliver(&self, seen: Versioned) -> Result<Delivery, CourierError> {
        if seen.message.status != MessageStatus::Queued {
            return Ok(Delivery::Skipped);
        }
        let Some(claimed) = self.repository.claim(&seen, self.clock.now()).await? else {
            return Ok(Delivery::Skipped);
        };
        let id = claimed.message.id;
        let result = match self.prepare(&claimed) {
            Ok(Outgoing::Email(email)) => self.email.send_email(&email).await,
            Ok(Outgoing::Sms(sms)) => self.sms.send_sms(&sms).await,
            Err(failure) => return self.record_failure(&claimed, failure).await,
        };
        match result {
            Ok(()) => {
                self.repository
                    .mark_sent(&claimed, self.clock.now())
                    .await?;
                tracing::info!(message_id = %id, "courier message sent");
                Ok(Delivery::Sent)
            }
            Err(error) => {
                tracing::warn!(message_id = %id, error = %error, permanent = error.is_permanent(), "courier message not sent");
                self.record_failure(&claimed, Failure::from(&error)).await
            }
        }
    }

    /// Like [`Self::deliver`], but first waits until a message queued for a later retry
    /// is due, for at most `max_wait` (then tries anyway: an early retry is harmless).
    pub async fn deliver_when_due(
        &self,
        seen: Versioned,
        max_wait: Duration,
    ) -> Result<Delivery, CourierError> {
        if let Some(at) = seen.message.next_attempt_at {
            let wait = at - self.clock.now();
            if wait.is_positive() {
                let wait = Duration::try_from(wait).unwrap_or(max_wait).min(max_wait);
                tokio::time::sleep(wait).await;
            }
        }
        self.deliver(seen).await
    }

    /// Delivers the oldest due queued messages (at most `limit` looked at) one after the
    /// other; the local server's poller. Returns how many were sent. A failure on one
    /// message is logged and does not stop the others; fails only if the queue cannot be
    /// read.
    pub async fn deliver_queued(&self, limit: usize) -> Result<usize, CourierError> {
        let now = self.clock.now();
        let mut sent = 0;
        for seen in self.repository.oldest_queued(limit).await? {
            if !seen.message.is_due(now) {
                continue;
            }
            let id = seen.message.id;
            match self.deliver(seen).await {
                Ok(Delivery::Sent) => sent += 1,
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(message_id = %id, error = %error, "courier delivery failed")
                }
            }
        }
        Ok(sent)
    }

    fn prepare(&self, claimed: &Versioned) -> Result<Outgoing, Failure> {
        let message = &claimed.message;
        let data = || -> Result<TemplateData, Failure> {
            let json = message.template_data.clone().ok_or_else(|| {
                Failure::rendering(&super::TemplateError::Render {
                    name: message.template_type.to_string(),
                    message: "the message has neither content nor template data".into(),
                })
            })?;
            serde_json::from_value(json).map_err(|e| {
                Failure::rendering(&super::TemplateError::Render {
                    name: message.template_type.to_string(),
                    message: format!("template data does not decode: {e}"),
                })
            })
        };
        match message.message_type {
            MessageType::Email => {
                let (subject, text, html) = if message.needs_rendering() {
                    let rendered = self
                        .templates
                        .render_email(message.template_type, &data()?)
                        .map_err(|e| Failure::rendering(&e))?;
                    (rendered.subject, rendered.text, Some(rendered.html))
                } else {
                    let html = match (&message.html_body, &message.template_data) {
                        (Some(html), _) => Some(html.clone()),
                        // Queued with text only (as Kratos stores it): add the HTML part
                        // if it renders, else send the text alone.
                        (None, Some(_)) => data().ok().and_then(|data| {
                            self.templates
                                .render_email_html(message.template_type, &data)
                                .ok()
                        }),
                        (None, None) => None,
                    };
                    (message.subject.clone(), message.body.clone(), html)
                };
                Ok(Outgoing::Email(OutgoingEmail {
                    message_id: message.id,
                    to: message.recipient.clone(),
                    subject,
                    text,
                    html,
                }))
            }
            MessageType::Sms => {
                let text = if message.needs_rendering() {
                    self.templates
                        .render_sms(message.template_type, &data()?)
                        .map_err(|e| Failure::rendering(&e))?
                } else {
                    message.body.clone()
                };
                Ok(Outgoing::Sms(OutgoingSms {
                    message_id: message.id,
                    to: message.recipient.clone(),
                    text,
                }))
            }
        }
    }

    async fn record_failure(
        &self,
        claimed: &Versioned,
        failure: Failure,
    ) -> Result<Delivery, CourierError> {
        let now = self.clock.now();
        let failures = claimed.message.send_count + 1;
        let retry_at = now + self.policy.delay(failures);
        let updated = self
            .repository
            .mark_failed(claimed, &failure, self.policy.max_retries, retry_at, now)
            .await?;
        Ok(match updated.message.status {
            MessageStatus::Queued => Delivery::Retrying { retry_at },
            _ => {
                tracing::warn!(
                    message_id = %claimed.message.id,
                    attempts = updated.message.send_count,
                    "courier message abandoned"
                );
                Delivery::Abandoned
            }
        })
    }
}

enum Outgoing {
    Email(OutgoingEmail),
    Sms(OutgoingSms),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let policy = RetryPolicy::with_retries(5);
        let delays: Vec<u64> = (1..=7).map(|n| policy.delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(policy.delay(u32::MAX), Duration::from_secs(30));
    }
}
