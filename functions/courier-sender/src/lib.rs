//! `courier-sender`: delivers courier messages from the table's DynamoDB stream.
//!
//! Each stream record carries a message item's new image. The record is decoded exactly as
//! a table read would decode the item, and handed to [`Courier::deliver_when_due`], the
//! same delivery the local server's poller runs. A record that cannot be decoded, or whose
//! message could not be claimed because the table failed, is reported in
//! `batchItemFailures` so that Lambda retries it (and finally records it in the on-failure
//! destination); it never holds up the other records. A record for a message that is no
//! longer queued at that version is a successful no-op, which is what makes redelivered
//! batches safe.

use std::time::Duration;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use kratos_core::courier::repository::from_item;
use kratos_core::courier::{Courier, Delivery};
use kratos_core::store::dynamodb::item_from_stream_image;
use lambda_runtime::{LambdaEvent, service_fn};

/// Time kept free before the invocation's deadline, for recording outcomes.
const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// Boots the app once (templates and SDK clients included: this function sends) and
/// serves stream batches.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    let state = kratos_core::runtime::boot().await?;
    let courier = state.courier().await.inspect_err(|e| {
        tracing::error!(error = %e, "courier templates could not be loaded");
    })?;
    let courier = &courier;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        let max_wait = time_left(event.context.deadline).saturating_sub(DEADLINE_MARGIN);
        Ok::<_, lambda_runtime::Error>(handle_batch(courier, event.payload, max_wait).await)
    }))
    .await
}

/// Milliseconds-since-epoch `deadline` as time left from now.
fn time_left(deadline_ms: u64) -> Duration {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

/// Handles one batch: every record concurrently (claims are conditional on the message's
/// version, so two records of one message cannot both send). `max_wait` bounds how long a
/// record waits for a message's retry time.
pub async fn handle_batch(
    courier: &Courier,
    event: Event,
    max_wait: Duration,
) -> DynamoDbEventResponse {
    let outcomes = futures::future::join_all(
        event
            .records
            .into_iter()
            .map(|record| handle_record(courier, record, max_wait)),
    )
    .await;
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = outcomes
        .into_iter()
        .flatten()
        .map(|identifier| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(identifier);
            failure
        })
        .collect();
    response
}

/// Returns the record's identifier (its sequence number) if it must be retried.
async fn handle_record(
    courier: &Courier,
    record: EventRecord,
    max_wait: Duration,
) -> Option<String> {
    let identifier = record
        .change
        .sequence_number
        .clone()
        .unwrap_or_else(|| record.event_id.clone());
    if record.event_name == "REMOVE" {
        return None;
    }
    let seen = match item_from_stream_image(record.change.new_image)
        .map_err(|e| e.to_string())
        .and_then(|item| from_item(item).map_err(|e| e.to_string()))
    {
        Ok(seen) => seen,
        Err(error) => {
            tracing::error!(event_id = %record.event_id, error = %error, "stream record is not a courier message");
            return Some(identifier);
        }
    };
    let id = seen.message.id;
    match courier.deliver_when_due(seen, max_wait).await {
        Ok(Delivery::Skipped) => {
            tracing::debug!(message_id = %id, "message already handled");
            None
        }
        Ok(_) => None,
        Err(error) => {
            tracing::error!(message_id = %id, error = %error, "courier delivery failed; the record will be retried");
            Some(identifier)
        }
    }
}
