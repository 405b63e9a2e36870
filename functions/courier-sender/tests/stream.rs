//! `courier-sender` against moto's SES v2 and SNS, fed the sample stream events in
//! `events/` (each test gives the events' recipient and message ID fresh values, because
//! moto's server is shared and keeps every message it was sent).

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event;
use fn_courier_sender::handle_batch;
use kratos_core::app::{App, AppState, ConfigOrigin};
use kratos_core::clock::{Clock, ManualClock, SharedClock};
use kratos_core::config::{Config, ConfigSource};
use kratos_core::courier::repository::{from_item, to_item};
use kratos_core::courier::{
    Courier, DispatchStatus, Message, MessageStatus, TemplateData, TemplateType, compose_sms,
};
use kratos_core::store::dynamodb::{item_from_stream_image, stream_image_of};
use kratos_core::testing::Backend;
use serde_json::{Value, json};

const INSERT: &str = "courier-stream-insert.json";
const MALFORMED: &str = "courier-stream-malformed.json";
/// The message IDs and recipients the sample events use.
const INSERT_ID: &str = "6a1f4e0c-2b7d-4c59-8e3a-9d0b5f7c1e24";
const MALFORMED_VALID_ID: &str = "0d9b3c71-84e5-4f2a-b6c8-3e7f1a2d5b90";

struct Setup {
    app: AppState,
    courier: Courier,
    clock: Arc<ManualClock>,
}

/// Where SES and SNS run: their own emulator if the run gives them one, else the shared one.
fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_SESV2")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .expect(
            "these tests need moto's server: export AWS_ENDPOINT_URL=http://127.0.0.1:5005 \
         AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1",
        )
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// An app sending through SES/SNS on moto from a fresh sender address, verified in SES
/// unless `verified` is false.
async fn setup(backend: Backend, verified: bool) -> Setup {
    let from = unique("sender");
    let yaml = format!(
        "courier:\n  delivery_strategy: ses\n  message_retries: 2\n  smtp:\n    from_address: {from}\n    from_name: Stream Test\n"
    );
    let config = Config::load(&ConfigSource {
        yaml: Some(yaml),
        env: vec![],
    })
    .unwrap()
    .config;
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let shared: SharedClock = clock.clone();
    let table = backend.fresh_table(shared.clone()).await;
    let app = Arc::new(
        App::assemble(config, table, shared, ConfigOrigin::default())
            .await
            .unwrap(),
    );
    if verified {
        let sdk = kratos_core::app::aws_sdk_config().await;
        aws_sdk_sesv2::Client::new(&sdk)
            .create_email_identity()
            .email_identity(&from)
            .send()
            .await
            .expect("moto creates the SES identity");
    }
    let courier = app.courier().await.unwrap();
    Setup {
        app,
        courier,
        clock,
    }
}

/// A sample event, read with `serde_json::from_str`, after applying `replacements`.
fn event(file: &str, replacements: &[(&str, &str)]) -> Event {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(file);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in replacements {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Writes the messages of the event's decodable records to the table, as the flow that
/// queued them would have.
async fn seed(setup: &Setup, event: &Event) -> Vec<Message> {
    let mut seeded = Vec::new();
    for record in &event.records {
        let Ok(item) = item_from_stream_image(record.change.new_image.clone()) else {
            continue;
        };
        let message = from_item(item).unwrap().message;
        setup.app.messages().queue(&message).await.unwrap();
        seeded.push(message);
    }
    seeded
}

async fn moto_state() -> Value {
    reqwest::get(format!("{}/moto-api/data.json", endpoint()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The e-mails moto's SES accepted for `recipient`.
async fn emails_to(recipient: &str) -> Vec<Value> {
    let state = moto_state().await;
    state["ses"]["Message"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|m| m["destinations"].to_string().contains(recipient))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The SMS moto's SNS accepted for `number`.
async fn sms_to(number: &str) -> Vec<Value> {
    let state = moto_state().await;
    state["sns"]["SMS"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|m| m.to_string().contains(number))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

const NO_WAIT: Duration = Duration::from_secs(5);

async fn the_sample_insert_is_sent_through_ses_and_marked_sent(backend: Backend) {
    let setup = setup(backend, true).await;
    let to = unique("insert");
    let id = uuid::Uuid::new_v4().to_string();
    let event = event(INSERT, &[("foo@example.com", &to), (INSERT_ID, &id)]);
    let seeded = seed(&setup, &event).await;
    assert_eq!(seeded.len(), 1);

    let response = handle_batch(&setup.courier, event, NO_WAIT).await;
    assert!(response.batch_item_failures.is_empty());

    let sent = emails_to(&to).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["subject"], "Confirm your email address");
    assert!(sent[0]["body"].as_str().unwrap().contains("482193"));
    assert!(sent[0]["source"].as_str().unwrap().contains("sender-"));
    let stored = setup
        .app
        .messages()
        .get(seeded[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.message.status, MessageStatus::Sent);
    assert_eq!(stored.message.send_count, 1);
    assert_eq!(stored.message.dispatches.len(), 1);
    assert_eq!(stored.message.dispatches[0].status, DispatchStatus::Success);
}

async fn a_redelivered_batch_sends_nothing_twice(backend: Backend) {
    let setup = setup(backend, true).await;
    let to = unique("again");
    let id = uuid::Uuid::new_v4().to_string();
    let replacements = [("foo@example.com", to.as_str()), (INSERT_ID, id.as_str())];
    seed(&setup, &event(INSERT, &replacements)).await;
    for _ in 0..3 {
        let response = handle_batch(&setup.courier, event(INSERT, &replacements), NO_WAIT).await;
        assert!(response.batch_item_failures.is_empty());
    }
    assert_eq!(emails_to(&to).await.len(), 1);
}

async fn a_malformed_record_is_reported_and_the_valid_one_is_still_sent(backend: Backend) {
    let setup = setup(backend, true).await;
    let to = unique("valid");
    let id = uuid::Uuid::new_v4().to_string();
    let event = event(
        MALFORMED,
        &[("bar@example.com", &to), (MALFORMED_VALID_ID, &id)],
    );
    let malformed_sequence = event.records[1].change.sequence_number.clone();
    let seeded = seed(&setup, &event).await;
    assert_eq!(seeded.len(), 1, "only the first record decodes");

    let response = handle_batch(&setup.courier, event, NO_WAIT).await;
    let failures: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failures, [malformed_sequence]);
    assert_eq!(emails_to(&to).await.len(), 1);
    let stored = setup
        .app
        .messages()
        .get(seeded[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.message.status, MessageStatus::Sent);
}

/// A stream record carrying `message`'s item at version 1, built from the sample event.
fn record_of(message: &Message) -> Event {
    let mut event = event(INSERT, &[]);
    let item = to_item(message, 1).unwrap();
    event.records[0].change.new_image = stream_image_of(&item).unwrap();
    event.records[0].change.keys = Default::default();
    event
}

async fn an_sms_is_published_through_sns_to_its_e164_number(backend: Backend) {
    let setup = setup(backend, true).await;
    let digits = uuid::Uuid::new_v4().as_u128() % 10_000_000;
    let number = format!("+1555{digits:07}");
    let data = TemplateData {
        verification_code: Some("908172".into()),
        ..TemplateData::to(&number)
    };
    let templates = setup.app.templates().await.unwrap();
    let message = compose_sms(
        &templates,
        TemplateType::VerificationCodeValid,
        &data,
        setup.clock.now(),
    )
    .unwrap();
    setup.app.messages().queue(&message).await.unwrap();

    let response = handle_batch(&setup.courier, record_of(&message), NO_WAIT).await;
    assert!(response.batch_item_failures.is_empty());
    let sent = sms_to(&number).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].to_string().contains("908172"));
    let stored = setup.app.messages().get(message.id).await.unwrap().unwrap();
    assert_eq!(stored.message.status, MessageStatus::Sent);
}

async fn an_sms_to_a_number_that_is_not_e164_is_abandoned(backend: Backend) {
    let setup = setup(backend, true).await;
    let templates = setup.app.templates().await.unwrap();
    let message = compose_sms(
        &templates,
        TemplateType::LoginCodeValid,
        &TemplateData {
            login_code: Some("1".into()),
            ..TemplateData::to("555-0100")
        },
        setup.clock.now(),
    )
    .unwrap();
    setup.app.messages().queue(&message).await.unwrap();
    let response = handle_batch(&setup.courier, record_of(&message), NO_WAIT).await;
    assert!(response.batch_item_failures.is_empty());
    let stored = setup.app.messages().get(message.id).await.unwrap().unwrap();
    assert_eq!(stored.message.status, MessageStatus::Abandoned);
}

async fn an_unverified_sender_is_abandoned_at_once_with_the_error_recorded(backend: Backend) {
    let setup = setup(backend, false).await;
    let to = unique("rejected");
    let id = uuid::Uuid::new_v4().to_string();
    let event = event(INSERT, &[("foo@example.com", &to), (INSERT_ID, &id)]);
    let seeded = seed(&setup, &event).await;

    let response = handle_batch(&setup.courier, event, NO_WAIT).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "a rejected message is handled, not retried by Lambda"
    );
    let stored = setup
        .app
        .messages()
        .get(seeded[0].id)
        .await
        .unwrap()
        .unwrap()
        .message;
    assert_eq!(stored.status, MessageStatus::Abandoned);
    assert_eq!(stored.send_count, 1);
    let dispatch = &stored.dispatches[0];
    assert_eq!(dispatch.status, DispatchStatus::Failed);
    let error = dispatch.error.as_ref().unwrap();
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("MessageRejected"),
        "{error}"
    );
    assert_eq!(error["code"], json!(500));
}

async fn a_message_waiting_for_its_retry_is_sent_once_due(backend: Backend) {
    let setup = setup(backend, true).await;
    let to = unique("later");
    let id = uuid::Uuid::new_v4().to_string();
    let event = event(INSERT, &[("foo@example.com", &to), (INSERT_ID, &id)]);
    let mut message =
        from_item(item_from_stream_image(event.records[0].change.new_image.clone()).unwrap())
            .unwrap()
            .message;
    message.next_attempt_at = Some(setup.clock.now() + time::Duration::seconds(30));
    setup.app.messages().queue(&message).await.unwrap();

    let started = std::time::Instant::now();
    // The invocation has little time left: it waits only that long, then tries anyway.
    let response = handle_batch(
        &setup.courier,
        record_of(&message),
        Duration::from_millis(300),
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(response.batch_item_failures.is_empty());
    let stored = setup.app.messages().get(message.id).await.unwrap().unwrap();
    assert_eq!(stored.message.status, MessageStatus::Sent);
}

async fn remove_records_are_ignored(backend: Backend) {
    let setup = setup(backend, true).await;
    let mut event = event(INSERT, &[]);
    event.records[0].event_name = "REMOVE".into();
    event.records[0].change.new_image = Default::default();
    let response = handle_batch(&setup.courier, event, NO_WAIT).await;
    assert!(response.batch_item_failures.is_empty());
}

/// Stream records only exist on DynamoDB, so these run on that backend only.
macro_rules! on_dynamodb {
    ($($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case(kratos_core::testing::Backend::DynamoDb).await;
            }
        )*
    };
}

mod dynamodb {
    on_dynamodb!(
        the_sample_insert_is_sent_through_ses_and_marked_sent,
        a_redelivered_batch_sends_nothing_twice,
        a_malformed_record_is_reported_and_the_valid_one_is_still_sent,
        an_sms_is_published_through_sns_to_its_e164_number,
        an_sms_to_a_number_that_is_not_e164_is_abandoned,
        an_unverified_sender_is_abandoned_at_once_with_the_error_recorded,
        a_message_waiting_for_its_retry_is_sent_once_due,
        remove_records_are_ignored,
    );
}
