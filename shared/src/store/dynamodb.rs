//! The DynamoDB backend of [`Table`]. All DynamoDB request shapes live in this file.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
    TransactWriteItem,
};

use super::definition::{GLOBAL_INDEXES, attr};
use super::{
    Condition, Index, IndexKey, Item, Key, PageCursor, Query, QueryPage, SortKeyCondition,
    StoreError, Table, WriteOp, validate_batch,
};
use crate::clock::SharedClock;

type AttributeMap = HashMap<String, AttributeValue>;

/// [`Table`] on a DynamoDB table laid out by [`super::definition`].
#[derive(Debug, Clone)]
pub struct DynamoTable {
    client: Client,
    table: String,
    clock: SharedClock,
}

impl DynamoTable {
    pub fn new(client: Client, table: impl Into<String>, clock: SharedClock) -> Self {
        Self {
            client,
            table: table.into(),
            clock,
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Creates the table with the layout of `template.yaml` and waits until it is active.
    /// Succeeds without change if the table already exists.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        self.create_table_with(true).await
    }

    /// Creates the table, with or without its stream. Tests go without: nothing in them
    /// reads the stream (stream handlers get recorded events), and moto keeps every stream
    /// record in memory.
    pub async fn create_table_with(&self, stream: bool) -> Result<(), StoreError> {
        let string_attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(invalid)
        };
        let key_element = |name: &str, key_type: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .map_err(invalid)
        };
        let mut request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(string_attr(attr::PK)?)
            .attribute_definitions(string_attr(attr::SK)?)
            .key_schema(key_element(attr::PK, KeyType::Hash)?)
            .key_schema(key_element(attr::SK, KeyType::Range)?)
            .set_stream_specification(if stream {
                Some(
                    StreamSpecification::builder()
                        .stream_enabled(true)
                        .stream_view_type(StreamViewType::NewAndOldImages)
                        .build()
                        .map_err(invalid)?,
                )
            } else {
                None
            });
        for (name, pk, sk) in GLOBAL_INDEXES {
            request = request
                .attribute_definitions(string_attr(pk)?)
                .attribute_definitions(string_attr(sk)?)
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(name)
                        .key_schema(key_element(pk, KeyType::Hash)?)
                        .key_schema(key_element(sk, KeyType::Range)?)
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .map_err(invalid)?,
                );
        }
        match request.send().await {
            Ok(_) => {}
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                return Ok(());
            }
            Err(err) => return Err(unavailable(err)),
        }
        for _ in 0..120 {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(unavailable)?;
            let active = described
                .table()
                .and_then(|t| t.table_status())
                .is_some_and(|s| s.as_str() == "ACTIVE");
            if active {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(attr::TTL)
                    .build()
                    .map_err(invalid)?,
            )
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    fn now(&self) -> i64 {
        self.clock.unix()
    }

    fn key_map(key: &Key) -> AttributeMap {
        HashMap::from([
            (attr::PK.to_owned(), AttributeValue::S(key.pk.clone())),
            (attr::SK.to_owned(), AttributeValue::S(key.sk.clone())),
        ])
    }

    fn start_key(index: Index, cursor: &PageCursor) -> AttributeMap {
        let mut map = Self::key_map(&Key::new(&cursor.pk, &cursor.sk));
        if let Some((pk_attr, sk_attr)) = index_attributes(index) {
            map.insert(
                pk_attr.to_owned(),
                AttributeValue::S(cursor.index_pk.clone()),
            );
            map.insert(
                sk_attr.to_owned(),
                AttributeValue::S(cursor.index_sk.clone()),
            );
        }
        map
    }

    /// The condition expression for `condition`, with its names and values.
    fn condition_expression(&self, condition: Condition) -> Option<ConditionParts> {
        let now = AttributeValue::N(self.now().to_string());
        let names = HashMap::from([
            ("#ttl".to_owned(), attr::TTL.to_owned()),
            ("#pk".to_owned(), attr::PK.to_owned()),
        ]);
        match condition {
            Condition::None => None,
            Condition::Absent => Some(ConditionParts {
                expression: "attribute_not_exists(#pk) OR #ttl <= :now".into(),
                names,
                values: HashMap::from([(":now".to_owned(), now)]),
            }),
            Condition::Present => Some(ConditionParts {
                expression: "attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now)"
                    .into(),
                names,
                values: HashMap::from([(":now".to_owned(), now)]),
            }),
            Condition::Version(version) => {
                let mut names = names;
                names.insert("#v".into(), attr::VERSION.into());
                names.remove("#pk");
                Some(ConditionParts {
                    expression: "#v = :v AND (attribute_not_exists(#ttl) OR #ttl > :now)".into(),
                    names,
                    values: HashMap::from([
                        (":now".to_owned(), now),
                        (":v".to_owned(), AttributeValue::N(version.to_string())),
                    ]),
                })
            }
        }
    }

    fn transact_item(&self, op: WriteOp) -> Result<TransactWriteItem, StoreError> {
        let parts = self.condition_expression(op.condition());
        let built = match op {
            WriteOp::Put { item, .. } => {
                let mut put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(to_attributes(&item)?));
                if let Some(parts) = parts {
                    put = put
                        .condition_expression(parts.expression)
                        .set_expression_attribute_names(Some(parts.names))
                        .set_expression_attribute_values(Some(parts.values));
                }
                TransactWriteItem::builder()
                    .put(put.build().map_err(invalid)?)
                    .build()
            }
            WriteOp::Delete { key, .. } => {
                let mut delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(Self::key_map(&key)));
                if let Some(parts) = parts {
                    delete = delete
                        .condition_expression(parts.expression)
                        .set_expression_attribute_names(Some(parts.names))
                        .set_expression_attribute_values(Some(parts.values));
                }
                TransactWriteItem::builder()
                    .delete(delete.build().map_err(invalid)?)
                    .build()
            }
            WriteOp::Check { key, .. } => {
                let parts = parts.ok_or_else(|| {
                    StoreError::Invalid("a check needs a condition other than None".into())
                })?;
                let check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(Self::key_map(&key)))
                    .condition_expression(parts.expression)
                    .set_expression_attribute_names(Some(parts.names))
                    .set_expression_attribute_values(Some(parts.values))
                    .build()
                    .map_err(invalid)?;
                TransactWriteItem::builder().condition_check(check).build()
            }
        };
        Ok(built)
    }

    async fn write_one(&self, op: WriteOp) -> Result<(), StoreError> {
        let parts = self.condition_expression(op.condition());
        let (expression, names, values) = match parts {
            Some(p) => (Some(p.expression), Some(p.names), Some(p.values)),
            None => (None, None, None),
        };
        match op {
            WriteOp::Put { item, .. } => self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_attributes(&item)?))
                .set_condition_expression(expression)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    if e.as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception())
                    {
                        StoreError::ConditionFailed { index: 0 }
                    } else {
                        unavailable(e)
                    }
                }),
            WriteOp::Delete { key, .. } => self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(Self::key_map(&key)))
                .set_condition_expression(expression)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    if e.as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception())
                    {
                        StoreError::ConditionFailed { index: 0 }
                    } else {
                        unavailable(e)
                    }
                }),
            WriteOp::Check { .. } => unreachable!("single checks go through a transaction"),
        }
    }
}

struct ConditionParts {
    expression: String,
    names: HashMap<String, String>,
    values: AttributeMap,
}

fn index_attributes(index: Index) -> Option<(&'static str, &'static str)> {
    match index {
        Index::Table => None,
        Index::Gsi1 => Some((attr::GSI1_PK, attr::GSI1_SK)),
        Index::Gsi2 => Some((attr::GSI2_PK, attr::GSI2_SK)),
        Index::Gsi3 => Some((attr::GSI3_PK, attr::GSI3_SK)),
    }
}

fn invalid(err: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(err.to_string())
}

fn unavailable<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Unavailable(anyhow::Error::new(err))
}

fn to_attributes(item: &Item) -> Result<AttributeMap, StoreError> {
    let mut map = DynamoTable::key_map(&item.key);
    map.insert(attr::KIND.into(), AttributeValue::S(item.kind.clone()));
    map.insert(
        attr::VERSION.into(),
        AttributeValue::N(item.version.to_string()),
    );
    let body: AttributeValue = serde_dynamo::to_attribute_value(&item.body)
        .map_err(|e| StoreError::Invalid(format!("body does not convert: {e}")))?;
    map.insert(attr::BODY.into(), body);
    if let Some(at) = item.expires_at {
        map.insert(attr::TTL.into(), AttributeValue::N(at.to_string()));
    }
    for (index, key) in [
        (Index::Gsi1, &item.gsi1),
        (Index::Gsi2, &item.gsi2),
        (Index::Gsi3, &item.gsi3),
    ] {
        if let (Some((pk, sk)), Some(key)) = (index_attributes(index), key) {
            map.insert(pk.into(), AttributeValue::S(key.pk.clone()));
            map.insert(sk.into(), AttributeValue::S(key.sk.clone()));
        }
    }
    Ok(map)
}

fn string_attr(map: &AttributeMap, name: &str) -> Result<String, StoreError> {
    match map.get(name) {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        _ => Err(StoreError::Corrupt(format!(
            "attribute `{name}` is missing or not a string"
        ))),
    }
}

fn number_attr(map: &AttributeMap, name: &str) -> Result<Option<i64>, StoreError> {
    match map.get(name) {
        None => Ok(None),
        Some(AttributeValue::N(n)) => n
            .parse()
            .map(Some)
            .map_err(|_| StoreError::Corrupt(format!("attribute `{name}` is not an integer"))),
        Some(_) => Err(StoreError::Corrupt(format!(
            "attribute `{name}` is not a number"
        ))),
    }
}

fn optional_index_key(map: &AttributeMap, index: Index) -> Result<Option<IndexKey>, StoreError> {
    let (pk, sk) = index_attributes(index).expect("only secondary indexes");
    match (map.get(pk), map.get(sk)) {
        (None, None) => Ok(None),
        _ => Ok(Some(IndexKey::new(
            string_attr(map, pk)?,
            string_attr(map, sk)?,
        ))),
    }
}

/// The item a DynamoDB stream record's image holds (`NewImage` or `OldImage`), decoded
/// exactly as a read would decode it. Fails with `Corrupt` if it is not one of our items.
pub fn item_from_stream_image(image: serde_dynamo::Item) -> Result<Item, StoreError> {
    from_attributes(image.into())
}

/// The image a DynamoDB stream record would carry for `item` (for tests and replays).
pub fn stream_image_of(item: &Item) -> Result<serde_dynamo::Item, StoreError> {
    Ok(to_attributes(item)?.into())
}

fn from_attributes(map: AttributeMap) -> Result<Item, StoreError> {
    let body = match map.get(attr::BODY) {
        Some(value) => serde_dynamo::from_attribute_value(value.clone())
            .map_err(|e| StoreError::Corrupt(format!("body does not decode: {e}")))?,
        None => return Err(StoreError::Corrupt("attribute `body` is missing".into())),
    };
    Ok(Item {
        key: Key::new(string_attr(&map, attr::PK)?, string_attr(&map, attr::SK)?),
        kind: string_attr(&map, attr::KIND)?,
        gsi1: optional_index_key(&map, Index::Gsi1)?,
        gsi2: optional_index_key(&map, Index::Gsi2)?,
        gsi3: optional_index_key(&map, Index::Gsi3)?,
        expires_at: number_attr(&map, attr::TTL)?,
        version: number_attr(&map, attr::VERSION)?
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| StoreError::Corrupt("attribute `v` is missing".into()))?,
        body,
    })
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let now = self.now();
        match output.item {
            Some(map) => {
                let item = from_attributes(map)?;
                Ok((!item.is_expired(now)).then_some(item))
            }
            None => Ok(None),
        }
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if keys.len() > 100 {
            return Err(StoreError::Invalid("at most 100 keys per read".into()));
        }
        let mut pending: Vec<AttributeMap> = keys.iter().map(Self::key_map).collect();
        let mut found = Vec::with_capacity(keys.len());
        let now = self.now();
        for attempt in 0..8u32 {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                // Unprocessed keys mean throttling: back off before asking again.
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(invalid)?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(unavailable)?;
            if let Some(mut responses) = output.responses {
                for map in responses.remove(&self.table).unwrap_or_default() {
                    let item = from_attributes(map)?;
                    if !item.is_expired(now) {
                        found.push(item);
                    }
                }
            }
            if let Some(mut unprocessed) = output.unprocessed_keys
                && let Some(rest) = unprocessed.remove(&self.table)
            {
                pending = rest.keys;
            }
        }
        if !pending.is_empty() {
            return Err(StoreError::Unavailable(anyhow::anyhow!(
                "batch read left {} keys unprocessed",
                pending.len()
            )));
        }
        Ok(found)
    }

    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError> {
        let (pk_attr, sk_attr) = index_attributes(query.index).unwrap_or((attr::PK, attr::SK));
        let mut names = HashMap::from([("#p".to_owned(), pk_attr.to_owned())]);
        let mut values =
            HashMap::from([(":p".to_owned(), AttributeValue::S(query.partition.clone()))]);
        let mut expression = "#p = :p".to_owned();
        match &query.sort {
            SortKeyCondition::All => {}
            SortKeyCondition::BeginsWith(prefix) => {
                names.insert("#s".into(), sk_attr.into());
                values.insert(":s".into(), AttributeValue::S(prefix.clone()));
                expression.push_str(" AND begins_with(#s, :s)");
            }
            SortKeyCondition::Between(low, high) => {
                names.insert("#s".into(), sk_attr.into());
                values.insert(":lo".into(), AttributeValue::S(low.clone()));
                values.insert(":hi".into(), AttributeValue::S(high.clone()));
                expression.push_str(" AND #s BETWEEN :lo AND :hi");
            }
        }
        let now = self.now();
        let want = query.limit.saturating_add(1);
        let mut live: Vec<Item> = Vec::with_capacity(want.min(1000));
        let mut start = query
            .after
            .as_ref()
            .map(|c| Self::start_key(query.index, c));
        loop {
            let remaining = want - live.len();
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(query.index.name().map(str::to_owned))
                .key_condition_expression(&expression)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(!query.descending)
                .limit(i32::try_from(remaining.min(1000)).unwrap_or(1000))
                .set_exclusive_start_key(start.take())
                .set_consistent_read((query.index == Index::Table).then_some(true))
                .send()
                .await
                .map_err(unavailable)?;
            for map in output.items.unwrap_or_default() {
                let item = from_attributes(map)?;
                if !item.is_expired(now) {
                    live.push(item);
                }
            }
            match output.last_evaluated_key {
                Some(last) if live.len() < want => start = Some(last),
                _ => break,
            }
        }
        Ok(super::finish_page(live, query))
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_batch(&ops)?;
        if ops.len() == 1 && !matches!(ops[0], WriteOp::Check { .. }) {
            let op = ops.into_iter().next().expect("one op");
            return self.write_one(op).await;
        }
        let items = ops
            .into_iter()
            .map(|op| self.transact_item(op))
            .collect::<Result<Vec<_>, _>>()?;
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => {
                use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
                match err.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                        let reasons = cancelled.cancellation_reasons();
                        if let Some(index) = reasons
                            .iter()
                            .position(|r| r.code() == Some("ConditionalCheckFailed"))
                        {
                            return Err(StoreError::ConditionFailed { index });
                        }
                        if reasons
                            .iter()
                            .any(|r| r.code() == Some("TransactionConflict"))
                        {
                            return Err(StoreError::TransactionConflict);
                        }
                    }
                    Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                        return Err(StoreError::TransactionConflict);
                    }
                    _ => {}
                }
                Err(unavailable(err))
            }
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_map(&super::keys::health_probe())))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}
