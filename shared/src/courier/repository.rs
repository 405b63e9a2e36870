//! Courier messages in the table: one `message` item each, listed through three indexes
//! (all messages, by status, by recipient), changed only by conditional puts on the item's
//! version so that two senders can never both send one message.

use time::OffsetDateTime;

use super::message::{Dispatch, DispatchStatus, Message, MessageStatus};
use super::{CourierError, Failure};
use crate::ids::MessageId;
use crate::store::{
    Condition, Index, Item, PageCursor, Query, SharedTable, StoreError, WriteOp, cursor_of, keys,
};

/// A message with the item version it was read at.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    pub message: Message,
    pub version: u64,
}

/// Which messages a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    pub status: Option<MessageStatus>,
    /// Exact match on the recipient address or number.
    pub recipient: Option<String>,
}

/// One page of a listing, newest first.
#[derive(Debug, Clone)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageCursor>,
}

/// The longest recipient accepted (the longest e-mail address RFC 5321 allows).
pub const MAX_RECIPIENT_LEN: usize = 320;

/// Reads and writes courier messages.
#[derive(Debug, Clone)]
pub struct MessageRepository {
    table: SharedTable,
}

impl MessageRepository {
    pub fn new(table: SharedTable) -> Self {
        Self { table }
    }

    /// The write that queues `message`, for a caller that commits it in one atomic
    /// [`crate::store::Table::write`] with its own changes (e.g. a flow update and the
    /// message carrying its code). Fails with `InvalidMessage` if the message is not a new
    /// queued message or its recipient is empty or too long.
    pub fn queue_ops(message: &Message) -> Result<Vec<WriteOp>, CourierError> {
        if message.status != MessageStatus::Queued || message.send_count != 0 {
            return Err(CourierError::InvalidMessage(
                "only a new, queued message can be queued".into(),
            ));
        }
        let recipient = message.recipient.trim();
        if recipient.is_empty() || message.recipient.len() > MAX_RECIPIENT_LEN {
            return Err(CourierError::InvalidMessage(format!(
                "the recipient must be 1 to {MAX_RECIPIENT_LEN} characters long"
            )));
        }
        Ok(vec![WriteOp::Put {
            item: to_item(message, 1)?,
            condition: Condition::Absent,
        }])
    }

    /// Queues `message` on its own (one conditional put). Fails like [`Self::queue_ops`],
    /// and with `Store(ConditionFailed)` if a message with its ID exists.
    pub async fn queue(&self, message: &Message) -> Result<(), CourierError> {
        self.table.write(Self::queue_ops(message)?).await?;
        Ok(())
    }

    /// The message with `id`, or `None`. Fails with `Store` or `Corrupt`.
    pub async fn get(&self, id: MessageId) -> Result<Option<Versioned>, CourierError> {
        match self.table.get(&keys::message(id)).await? {
            Some(item) => Ok(Some(from_item(item)?)),
            None => Ok(None),
        }
    }

    /// A page of messages matching `filter`, newest first, starting after `after`.
    ///
    /// Status alone reads the status index and recipient the recipient index; both together
    /// read the recipient's messages and keep those with the status, reading on until the
    /// page is full. Fails with `Store` or `Corrupt`.
    pub async fn list(
        &self,
        filter: &MessageFilter,
        after: Option<PageCursor>,
        page_size: usize,
    ) -> Result<MessagePage, CourierError> {
        let page_size = page_size.max(1);
        if filter
            .recipient
            .as_ref()
            .is_some_and(|r| r.len() > MAX_RECIPIENT_LEN)
        {
            // No message can have it, and it would not fit in an index key.
            return Ok(MessagePage {
                messages: Vec::new(),
                next: None,
            });
        }
        let (index, partition, status_filter) = match (&filter.recipient, filter.status) {
            (Some(recipient), status) => (
                Index::Gsi3,
                keys::messages_by_recipient_partition(recipient),
                status,
            ),
            (None, Some(status)) => (
                Index::Gsi2,
                keys::messages_by_status_partition(status.as_str()),
                None,
            ),
            (None, None) => (Index::Gsi1, keys::MESSAGE_LISTING.to_owned(), None),
        };
        let Some(status) = status_filter else {
            let page = self
                .table
                .query(
                    &Query::new(index, partition)
                        .after(after)
                        .limit(page_size)
                        .descending(true),
                )
                .await?;
            let messages = page
                .items
                .into_iter()
                .map(|item| from_item(item).map(|v| v.message))
                .collect::<Result<_, _>>()?;
            return Ok(MessagePage {
                messages,
                next: page.next,
            });
        };
        // Filtered in memory: keep reading until one match more than a page is seen, so
        // that `next` is only set when another page really exists.
        let mut matched: Vec<(Message, PageCursor)> = Vec::with_capacity(page_size + 1);
        let mut position = after;
        loop {
            let page = self
                .table
                .query(
                    &Query::new(index, partition.clone())
                        .after(position.clone())
                        .limit(page_size + 1)
                        .descending(true),
                )
                .await?;
            for item in page.items {
                let cursor = cursor_of(&item, index);
                let versioned = from_item(item)?;
                if versioned.message.status == status {
                    matched.push((versioned.message, cursor));
                    if matched.len() > page_size {
                        break;
                    }
                }
            }
            if matched.len() > page_size || page.next.is_none() {
                break;
            }
            position = page.next;
        }
        let next = if matched.len() > page_size {
            matched.truncate(page_size);
            matched.last().map(|(_, cursor)| cursor.clone())
        } else {
            None
        };
        Ok(MessagePage {
            messages: matched.into_iter().map(|(m, _)| m).collect(),
            next,
        })
    }

    /// The oldest queued messages (at most `limit`), for a polling sender.
    /// Fails with `Store` or `Corrupt`.
    pub async fn oldest_queued(&self, limit: usize) -> Result<Vec<Versioned>, CourierError> {
        let page = self
            .table
            .query(
                &Query::new(
                    Index::Gsi2,
                    keys::messages_by_status_partition(MessageStatus::Queued.as_str()),
                )
                .limit(limit.max(1)),
            )
            .await?;
        page.items.into_iter().map(from_item).collect()
    }

    /// Takes a queued message for sending: `queued` → `processing`, only if the item is
    /// still at the version it was seen at. `Ok(None)` means someone else changed it first
    /// (another sender claimed it, or this is a stale or repeated sighting), so the caller
    /// must not send. Fails with `Store`.
    pub async fn claim(
        &self,
        seen: &Versioned,
        now: OffsetDateTime,
    ) -> Result<Option<Versioned>, CourierError> {
        if seen.message.status != MessageStatus::Queued {
            return Ok(None);
        }
        let mut message = seen.message.clone();
        message.status = MessageStatus::Processing;
        message.next_attempt_at = None;
        message.updated_at = now;
        self.replace(seen.version, message).await
    }

    /// Records a successful attempt on a claimed message: `processing` → `sent`.
    /// Fails with `Conflict` if the item changed since the claim, or `Store`.
    pub async fn mark_sent(
        &self,
        claimed: &Versioned,
        now: OffsetDateTime,
    ) -> Result<Versioned, CourierError> {
        let mut message = claimed.message.clone();
        message.status = MessageStatus::Sent;
        message.send_count += 1;
        message.updated_at = now;
        message.dispatches.insert(
            0,
            Dispatch {
                id: uuid::Uuid::new_v4(),
                message_id: message.id,
                status: DispatchStatus::Success,
                error: None,
                created_at: now,
                updated_at: now,
            },
        );
        self.replace(claimed.version, message)
            .await?
            .ok_or(CourierError::Conflict(claimed.message.id))
    }

    /// Records a failed attempt on a claimed message. A permanent failure, or a transient
    /// one that exhausts `max_retries` retries, abandons the message; otherwise it is queued
    /// again, not to be tried before `retry_at`. Fails like [`Self::mark_sent`].
    pub async fn mark_failed(
        &self,
        claimed: &Versioned,
        failure: &Failure,
        max_retries: u32,
        retry_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Versioned, CourierError> {
        let mut message = claimed.message.clone();
        message.send_count += 1;
        message.updated_at = now;
        message.dispatches.insert(
            0,
            Dispatch {
                id: uuid::Uuid::new_v4(),
                message_id: message.id,
                status: DispatchStatus::Failed,
                error: Some(failure.to_json()),
                created_at: now,
                updated_at: now,
            },
        );
        // Kratos retries a message `message_retries` times after its first attempt.
        if failure.is_permanent() || message.send_count > max_retries {
            message.status = MessageStatus::Abandoned;
            message.next_attempt_at = None;
        } else {
            message.status = MessageStatus::Queued;
            message.next_attempt_at = Some(retry_at);
        }
        self.replace(claimed.version, message)
            .await?
            .ok_or(CourierError::Conflict(claimed.message.id))
    }

    /// Puts `message` as the next version after `version`; `None` if the item moved on.
    async fn replace(
        &self,
        version: u64,
        message: Message,
    ) -> Result<Option<Versioned>, CourierError> {
        let next = version + 1;
        let op = WriteOp::Put {
            item: to_item(&message, next)?,
            condition: Condition::Version(version),
        };
        match self.table.write(vec![op]).await {
            Ok(()) => Ok(Some(Versioned {
                message,
                version: next,
            })),
            Err(StoreError::ConditionFailed { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The table item of `message` at `version`, with its three index entries.
pub fn to_item(message: &Message, version: u64) -> Result<Item, CourierError> {
    let body = serde_json::to_value(message)
        .map_err(|e| CourierError::InvalidMessage(format!("does not serialise: {e}")))?;
    Ok(
        Item::new(keys::message(message.id), keys::kind::MESSAGE, body)
            .with_gsi1(keys::message_listing(message.created_at, message.id))
            .with_gsi2(keys::message_by_status(
                message.status.as_str(),
                message.created_at,
                message.id,
            ))
            .with_gsi3(keys::message_by_recipient(
                &message.recipient,
                message.created_at,
                message.id,
            ))
            .with_version(version),
    )
}

/// The message an item holds. Fails with `Corrupt` for an item of another kind or a body
/// that is not a message.
pub fn from_item(item: Item) -> Result<Versioned, CourierError> {
    if item.kind != keys::kind::MESSAGE {
        return Err(CourierError::Corrupt(format!(
            "item `{}` is a `{}`, not a message",
            item.key.pk, item.kind
        )));
    }
    let message: Message = serde_json::from_value(item.body)
        .map_err(|e| CourierError::Corrupt(format!("item `{}`: {e}", item.key.pk)))?;
    if keys::message(message.id) != item.key {
        return Err(CourierError::Corrupt(format!(
            "item `{}` holds message {}",
            item.key.pk, message.id
        )));
    }
    Ok(Versioned {
        message,
        version: item.version,
    })
}
