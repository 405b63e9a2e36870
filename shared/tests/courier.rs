//! The courier's storage and delivery rules, on SQLite and on DynamoDB (moto's server):
//! atomic queueing with a caller's own write, listings, version-conditional transitions,
//! retries with a fake channel, and at-most-once sending for repeated sightings.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use kratos_core::clock::{ManualClock, SharedClock};
use kratos_core::courier::{
    Courier, Delivery, DispatchStatus, EmailSender, Message, MessageFilter, MessageRepository,
    MessageStatus, MessageType, OutgoingEmail, OutgoingSms, RetryPolicy, SendError, SmsSender,
    TemplateData, TemplateType, Templates, compose_email, compose_sms,
};
use kratos_core::store::{Condition, Item, Key, SharedTable, StoreError, WriteOp};
use kratos_core::testing::Backend;
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

struct Fixture {
    table: SharedTable,
    clock: Arc<ManualClock>,
    messages: MessageRepository,
}

async fn fixture(backend: Backend) -> Fixture {
    let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 00:00:00 UTC)));
    let shared: SharedClock = clock.clone();
    let table = backend.fresh_table(shared).await;
    Fixture {
        messages: MessageRepository::new(table.clone()),
        table,
        clock,
    }
}

fn now(f: &Fixture) -> OffsetDateTime {
    use kratos_core::clock::Clock;
    f.clock.now()
}

fn email(f: &Fixture, to: &str, code: &str) -> Message {
    let data = TemplateData {
        verification_code: Some(code.into()),
        verification_url: Some("https://auth.example.com/verify".into()),
        ..TemplateData::to(to)
    };
    compose_email(
        &Templates::builtin(),
        TemplateType::VerificationCodeValid,
        &data,
        now(f),
    )
    .unwrap()
}

/// A channel that answers from a script (then succeeds) and counts what it was given.
#[derive(Debug, Default)]
struct ScriptedChannel {
    script: Mutex<VecDeque<SendError>>,
    sent: Mutex<Vec<String>>,
}

impl ScriptedChannel {
    fn failing(errors: Vec<SendError>) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(errors.into()),
            sent: Mutex::default(),
        })
    }

    fn attempts(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    fn answer(&self, to: &str) -> Result<(), SendError> {
        self.sent.lock().unwrap().push(to.to_owned());
        match self.script.lock().unwrap().pop_front() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl EmailSender for ScriptedChannel {
    async fn send_email(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        assert!(email.html.is_some(), "composed e-mails carry an HTML part");
        self.answer(&email.to)
    }
}

#[async_trait]
impl SmsSender for ScriptedChannel {
    async fn send_sms(&self, sms: &OutgoingSms) -> Result<(), SendError> {
        self.answer(&sms.to)
    }
}

fn courier(f: &Fixture, channel: Arc<ScriptedChannel>, max_retries: u32) -> Courier {
    Courier::new(
        f.messages.clone(),
        Arc::new(Templates::builtin()),
        channel.clone(),
        channel,
        f.clock.clone(),
        RetryPolicy {
            max_retries,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        },
    )
}

fn throttled() -> SendError {
    SendError::transient("TooManyRequestsException", "slow down")
}

async fn a_message_is_queued_atomically_with_the_callers_own_write(backend: Backend) {
    let f = fixture(backend).await;
    let message = email(&f, "a@example.com", "111111");
    // The caller's own change fails its condition: the message must not be written either.
    let mut ops = vec![WriteOp::Put {
        item: Item::new(Key::new("FLW#x", "FLW"), "flow", json!({})),
        condition: Condition::Version(3),
    }];
    ops.extend(MessageRepository::queue_ops(&message).unwrap());
    let error = f.table.write(ops.clone()).await.unwrap_err();
    assert!(
        matches!(error, StoreError::ConditionFailed { index: 0 }),
        "{error}"
    );
    assert!(f.messages.get(message.id).await.unwrap().is_none());

    // When it holds, both are written.
    ops[0] = WriteOp::Put {
        item: Item::new(Key::new("FLW#x", "FLW"), "flow", json!({})),
        condition: Condition::Absent,
    };
    f.table.write(ops).await.unwrap();
    let stored = f.messages.get(message.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(stored.message, message);
    assert_eq!(stored.message.status, MessageStatus::Queued);
    assert!(stored.message.body.contains("111111"));
}

async fn queueing_refuses_bad_messages_and_duplicates(backend: Backend) {
    let f = fixture(backend).await;
    let mut message = email(&f, "a@example.com", "1");
    f.messages.queue(&message).await.unwrap();
    assert!(matches!(
        f.messages.queue(&message).await,
        Err(kratos_core::courier::CourierError::Store(
            StoreError::ConditionFailed { .. }
        ))
    ));
    message.recipient = "x".repeat(400);
    assert!(MessageRepository::queue_ops(&message).is_err());
    message.recipient = " ".into();
    assert!(MessageRepository::queue_ops(&message).is_err());
}

async fn listings_are_newest_first_filtered_and_paginated(backend: Backend) {
    let f = fixture(backend).await;
    let mut ids = Vec::new();
    for (i, to) in [
        "a@example.com",
        "b@example.com",
        "a@example.com",
        "a@example.com",
    ]
    .iter()
    .enumerate()
    {
        let message = email(&f, to, &i.to_string());
        f.messages.queue(&message).await.unwrap();
        ids.push(message.id);
        f.clock.advance(Duration::from_millis(5));
    }
    // The second message to a@ is sent, so statuses differ.
    let seen = f.messages.get(ids[2]).await.unwrap().unwrap();
    let claimed = f.messages.claim(&seen, now(&f)).await.unwrap().unwrap();
    f.messages.mark_sent(&claimed, now(&f)).await.unwrap();

    let list = |filter: MessageFilter, size: usize| {
        let messages = f.messages.clone();
        async move {
            let mut all = Vec::new();
            let mut after = None;
            loop {
                let page = messages.list(&filter, after, size).await.unwrap();
                assert!(page.messages.len() <= size);
                all.extend(page.messages.into_iter().map(|m| m.id));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break all,
                }
            }
        }
    };
    let newest_first: Vec<_> = ids.iter().rev().copied().collect();
    assert_eq!(list(MessageFilter::default(), 10).await, newest_first);
    assert_eq!(list(MessageFilter::default(), 1).await, newest_first);
    let queued = MessageFilter {
        status: Some(MessageStatus::Queued),
        recipient: None,
    };
    assert_eq!(list(queued, 2).await, [ids[3], ids[1], ids[0]]);
    let to_a = MessageFilter {
        status: None,
        recipient: Some("a@example.com".into()),
    };
    assert_eq!(list(to_a, 2).await, [ids[3], ids[2], ids[0]]);
    let queued_to_a = MessageFilter {
        status: Some(MessageStatus::Queued),
        recipient: Some("a@example.com".into()),
    };
    assert_eq!(list(queued_to_a.clone(), 1).await, [ids[3], ids[0]]);
    let first = f.messages.list(&queued_to_a, None, 2).await.unwrap();
    assert!(first.next.is_none(), "no page after the last match");
    let sent_to_b = MessageFilter {
        status: Some(MessageStatus::Sent),
        recipient: Some("b@example.com".into()),
    };
    assert!(list(sent_to_b, 5).await.is_empty());
}

async fn a_sighting_can_be_claimed_only_once(backend: Backend) {
    let f = fixture(backend).await;
    let message = email(&f, "a@example.com", "1");
    f.messages.queue(&message).await.unwrap();
    let seen = f.messages.get(message.id).await.unwrap().unwrap();
    let claimed = f.messages.claim(&seen, now(&f)).await.unwrap().unwrap();
    assert_eq!(claimed.version, 2);
    assert_eq!(claimed.message.status, MessageStatus::Processing);
    assert!(f.messages.claim(&seen, now(&f)).await.unwrap().is_none());
    // A sighting of a message no longer queued is never claimed.
    assert!(f.messages.claim(&claimed, now(&f)).await.unwrap().is_none());
    let stored = f.messages.get(message.id).await.unwrap().unwrap();
    assert_eq!(stored.message.status, MessageStatus::Processing);
}

async fn a_sent_message_records_one_successful_dispatch(backend: Backend) {
    let f = fixture(backend).await;
    let channel = ScriptedChannel::failing(vec![]);
    let courier = courier(&f, channel.clone(), 5);
    let message = email(&f, "a@example.com", "1");
    f.messages.queue(&message).await.unwrap();
    let seen = f.messages.get(message.id).await.unwrap().unwrap();
    assert_eq!(courier.deliver(seen.clone()).await.unwrap(), Delivery::Sent);
    // The same sighting again (a redelivered stream record) sends nothing.
    assert_eq!(courier.deliver(seen).await.unwrap(), Delivery::Skipped);
    assert_eq!(channel.attempts(), 1);
    let stored = f.messages.get(message.id).await.unwrap().unwrap().message;
    assert_eq!(stored.status, MessageStatus::Sent);
    assert_eq!(stored.send_count, 1);
    assert_eq!(stored.dispatches.len(), 1);
    assert_eq!(stored.dispatches[0].status, DispatchStatus::Success);
    assert_eq!(stored.dispatches[0].message_id, message.id);
    assert!(stored.dispatches[0].error.is_none());
}

async fn transient_failures_are_retried_until_the_retries_run_out(backend: Backend) {
    let f = fixture(backend).await;
    let channel = ScriptedChannel::failing(vec![throttled(), throttled(), throttled()]);
    let courier = courier(&f, channel.clone(), 2);
    let message = email(&f, "a@example.com", "1");
    f.messages.queue(&message).await.unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..4 {
        let seen = f.messages.get(message.id).await.unwrap().unwrap();
        outcomes.push(courier.deliver(seen).await.unwrap());
    }
    assert!(matches!(outcomes[0], Delivery::Retrying { .. }));
    assert!(matches!(outcomes[1], Delivery::Retrying { .. }));
    // One first attempt plus two retries, then it is given up.
    assert_eq!(outcomes[2], Delivery::Abandoned);
    assert_eq!(outcomes[3], Delivery::Skipped);
    assert_eq!(channel.attempts(), 3);
    let stored = f.messages.get(message.id).await.unwrap().unwrap().message;
    assert_eq!(stored.status, MessageStatus::Abandoned);
    assert_eq!(stored.send_count, 3);
    assert_eq!(stored.dispatches.len(), 3);
    assert!(
        stored
            .dispatches
            .iter()
            .all(|d| d.status == DispatchStatus::Failed)
    );
    let error = stored.dispatches[0].error.as_ref().unwrap();
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("TooManyRequests")
    );
    assert!(
        !error.to_string().contains(&stored.body),
        "no body in errors"
    );
}

async fn a_transient_failure_is_followed_by_a_later_successful_attempt(backend: Backend) {
    let f = fixture(backend).await;
    let channel = ScriptedChannel::failing(vec![throttled()]);
    let courier = courier(&f, channel.clone(), 5);
    let message = compose_sms(
        &Templates::builtin(),
        TemplateType::LoginCodeValid,
        &TemplateData {
            login_code: Some("424242".into()),
            ..TemplateData::to("+15555550100")
        },
        now(&f),
    )
    .unwrap();
    assert_eq!(message.message_type, MessageType::Sms);
    f.messages.queue(&message).await.unwrap();
    let seen = f.messages.get(message.id).await.unwrap().unwrap();
    let Delivery::Retrying { retry_at } = courier.deliver(seen).await.unwrap() else {
        panic!("a transient failure is retried");
    };
    let queued = f.messages.get(message.id).await.unwrap().unwrap();
    assert_eq!(queued.message.status, MessageStatus::Queued);
    assert_eq!(queued.message.next_attempt_at, Some(retry_at));
    // The poller picks it up again once it is due.
    assert_eq!(courier.deliver_queued(10).await.unwrap(), 1);
    let stored = f.messages.get(message.id).await.unwrap().unwrap().message;
    assert_eq!(stored.status, MessageStatus::Sent);
    assert_eq!(stored.send_count, 2);
    let statuses: Vec<_> = stored.dispatches.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [DispatchStatus::Success, DispatchStatus::Failed]);
    assert_eq!(channel.attempts(), 2);
}

async fn a_permanent_failure_abandons_the_message_at_once(backend: Backend) {
    let f = fixture(backend).await;
    let channel = ScriptedChannel::failing(vec![SendError::permanent(
        "MessageRejected",
        "Email address is not verified.",
    )]);
    let courier = courier(&f, channel.clone(), 5);
    let message = email(&f, "a@example.com", "1");
    f.messages.queue(&message).await.unwrap();
    let seen = f.messages.get(message.id).await.unwrap().unwrap();
    assert_eq!(courier.deliver(seen).await.unwrap(), Delivery::Abandoned);
    let stored = f.messages.get(message.id).await.unwrap().unwrap().message;
    assert_eq!(stored.status, MessageStatus::Abandoned);
    assert_eq!(stored.send_count, 1);
    assert!(
        stored.dispatches[0].error.as_ref().unwrap()["message"]
            .as_str()
            .unwrap()
            .starts_with("MessageRejected")
    );
}

async fn the_poller_skips_messages_not_yet_due_and_renders_unrendered_ones(backend: Backend) {
    let f = fixture(backend).await;
    let channel = ScriptedChannel::failing(vec![]);
    let courier = courier(&f, channel.clone(), 5);
    // Queued with template data only: the sender renders it.
    let mut bare = Message::new(
        MessageType::Email,
        "bare@example.com",
        TemplateType::RecoveryCodeValid,
        now(&f),
    );
    bare.template_data = Some(json!({"to": "bare@example.com", "recovery_code": "777000"}));
    f.messages.queue(&bare).await.unwrap();
    let mut later = email(&f, "later@example.com", "2");
    later.next_attempt_at = Some(now(&f) + time::Duration::minutes(5));
    f.messages.queue(&later).await.unwrap();

    assert_eq!(courier.deliver_queued(10).await.unwrap(), 1);
    assert_eq!(*channel.sent.lock().unwrap(), ["bare@example.com"]);
    let later_stored = f.messages.get(later.id).await.unwrap().unwrap().message;
    assert_eq!(later_stored.status, MessageStatus::Queued);

    f.clock.advance(Duration::from_secs(301));
    assert_eq!(courier.deliver_queued(10).await.unwrap(), 1);
    assert_eq!(channel.attempts(), 2);
}

async fn a_message_that_cannot_be_rendered_is_abandoned(backend: Backend) {
    let f = fixture(backend).await;
    let channel = ScriptedChannel::failing(vec![]);
    let courier = courier(&f, channel.clone(), 5);
    let bare = Message::new(
        MessageType::Sms,
        "+15555550100",
        TemplateType::LoginCodeValid,
        now(&f),
    );
    f.messages.queue(&bare).await.unwrap();
    let seen = f.messages.get(bare.id).await.unwrap().unwrap();
    assert_eq!(courier.deliver(seen).await.unwrap(), Delivery::Abandoned);
    assert_eq!(channel.attempts(), 0);
}

kratos_core::on_both_backends!(
    a_message_is_queued_atomically_with_the_callers_own_write,
    queueing_refuses_bad_messages_and_duplicates,
    listings_are_newest_first_filtered_and_paginated,
    a_sighting_can_be_claimed_only_once,
    a_sent_message_records_one_successful_dispatch,
    transient_failures_are_retried_until_the_retries_run_out,
    a_transient_failure_is_followed_by_a_later_successful_attempt,
    a_permanent_failure_abandons_the_message_at_once,
    the_poller_skips_messages_not_yet_due_and_renders_unrendered_ones,
    a_message_that_cannot_be_rendered_is_abandoned,
);
