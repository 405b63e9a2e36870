//! The embedded backend of [`Table`]: SQLite, in memory or in a file.
//!
//! It mirrors the DynamoDB layout column for column, so both backends share every key
//! and every query. Writes run in `BEGIN IMMEDIATE` transactions, which serialises
//! writers across threads and across processes sharing one file (`cargo lambda watch`
//! runs each function as its own process).

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Condition, Index, IndexKey, Item, Key, Query, QueryPage, SortKeyCondition, StoreError, Table,
    WriteOp, validate_batch,
};
use crate::clock::SharedClock;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    kind TEXT NOT NULL,
    gsi1pk TEXT, gsi1sk TEXT,
    gsi2pk TEXT, gsi2sk TEXT,
    gsi3pk TEXT, gsi3sk TEXT,
    ttl INTEGER,
    v INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS gsi3 ON items (gsi3pk, gsi3sk, pk, sk) WHERE gsi3pk IS NOT NULL;
";

const COLUMNS: &str = "pk, sk, kind, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, ttl, v, body";

/// [`Table`] on SQLite.
#[derive(Clone)]
pub struct SqliteTable {
    connection: Arc<Mutex<Connection>>,
    clock: SharedClock,
    description: String,
}

impl std::fmt::Debug for SqliteTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteTable")
            .field("database", &self.description)
            .finish()
    }
}

impl SqliteTable {
    /// A private database that lives as long as this value.
    pub fn in_memory(clock: SharedClock) -> Result<Self, StoreError> {
        let connection = Connection::open_in_memory().map_err(unavailable)?;
        Self::init(connection, clock, ":memory:".into())
    }

    /// A database file, created if missing, safe to share between processes.
    pub fn open(path: &Path, clock: SharedClock) -> Result<Self, StoreError> {
        let connection = Connection::open(path).map_err(unavailable)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(unavailable)?;
        Self::init(connection, clock, path.display().to_string())
    }

    fn init(
        connection: Connection,
        clock: SharedClock,
        description: String,
    ) -> Result<Self, StoreError> {
        connection
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(unavailable)?;
        connection.execute_batch(SCHEMA).map_err(unavailable)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            clock,
            description,
        })
    }

    /// Runs `work` on the connection off the async executor.
    async fn with_connection<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            let mut guard = connection.lock().map_err(|_| {
                StoreError::Unavailable(anyhow::anyhow!("connection lock poisoned"))
            })?;
            work(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Unavailable(anyhow::Error::new(e)))?
    }
}

fn unavailable(err: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(anyhow::Error::new(err))
}

fn index_columns(index: Index) -> (&'static str, &'static str) {
    match index {
        Index::Table => ("pk", "sk"),
        Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        Index::Gsi2 => ("gsi2pk", "gsi2sk"),
        Index::Gsi3 => ("gsi3pk", "gsi3sk"),
    }
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Item, String)> {
    let index_key = |pk: Option<String>, sk: Option<String>| match (pk, sk) {
        (Some(pk), Some(sk)) => Some(IndexKey { pk, sk }),
        _ => None,
    };
    let version: i64 = row.get(10)?;
    let item = Item {
        key: Key::new(row.get::<_, String>(0)?, row.get::<_, String>(1)?),
        kind: row.get(2)?,
        gsi1: index_key(row.get(3)?, row.get(4)?),
        gsi2: index_key(row.get(5)?, row.get(6)?),
        gsi3: index_key(row.get(7)?, row.get(8)?),
        expires_at: row.get(9)?,
        version: u64::try_from(version).unwrap_or_default(),
        body: serde_json::Value::Null,
    };
    Ok((item, row.get(11)?))
}

fn decode((mut item, body): (Item, String)) -> Result<Item, StoreError> {
    item.body = serde_json::from_str(&body)
        .map_err(|e| StoreError::Corrupt(format!("body of {:?} does not decode: {e}", item.key)))?;
    Ok(item)
}

fn select_live(connection: &Connection, key: &Key, now: i64) -> Result<Option<Item>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM items WHERE pk = ?1 AND sk = ?2 AND (ttl IS NULL OR ttl > ?3)"
    );
    connection
        .query_row(&sql, params![key.pk, key.sk, now], read_row)
        .optional()
        .map_err(unavailable)?
        .map(decode)
        .transpose()
}

fn holds(condition: Condition, current: Option<&Item>) -> bool {
    match condition {
        Condition::None => true,
        Condition::Absent => current.is_none(),
        Condition::Present => current.is_some(),
        Condition::Version(expected) => current.is_some_and(|item| item.version == expected),
    }
}

fn insert(connection: &Connection, item: &Item) -> Result<(), StoreError> {
    let body = serde_json::to_string(&item.body)
        .map_err(|e| StoreError::Invalid(format!("body does not serialise: {e}")))?;
    fn split(key: &Option<IndexKey>) -> (Option<&str>, Option<&str>) {
        match key {
            Some(k) => (Some(k.pk.as_str()), Some(k.sk.as_str())),
            None => (None, None),
        }
    }
    let (g1p, g1s) = split(&item.gsi1);
    let (g2p, g2s) = split(&item.gsi2);
    let (g3p, g3s) = split(&item.gsi3);
    let version = i64::try_from(item.version)
        .map_err(|_| StoreError::Invalid("version out of range".into()))?;
    connection
        .execute(
            &format!("INSERT OR REPLACE INTO items ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
            params![item.key.pk, item.key.sk, item.kind, g1p, g1s, g2p, g2s, g3p, g3s, item.expires_at, version, body],
        )
        .map_err(unavailable)?;
    Ok(())
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        let now = self.clock.unix();
        self.with_connection(move |c| select_live(c, &key, now))
            .await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        if keys.len() > 100 {
            return Err(StoreError::Invalid("at most 100 keys per read".into()));
        }
        let keys = keys.to_vec();
        let now = self.clock.unix();
        self.with_connection(move |c| {
            let mut found = Vec::with_capacity(keys.len());
            for key in &keys {
                if let Some(item) = select_live(c, key, now)? {
                    found.push(item);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError> {
        if query.limit == 0 {
            return Err(StoreError::Invalid(
                "a query needs a limit of at least 1".into(),
            ));
        }
        let query = query.clone();
        let now = self.clock.unix();
        self.with_connection(move |c| {
            let (pcol, scol) = index_columns(query.index);
            let mut sql = format!(
                "SELECT {COLUMNS} FROM items WHERE {pcol} = :part AND (ttl IS NULL OR ttl > :now)"
            );
            let mut values: Vec<(&str, rusqlite::types::Value)> = vec![
                (":part", query.partition.clone().into()),
                (":now", now.into()),
            ];
            match &query.sort {
                SortKeyCondition::All => {}
                SortKeyCondition::BeginsWith(prefix) => {
                    sql.push_str(&format!(
                        " AND {scol} >= :prefix AND substr({scol}, 1, length(:prefix)) = :prefix"
                    ));
                    values.push((":prefix", prefix.clone().into()));
                }
                SortKeyCondition::Between(low, high) => {
                    sql.push_str(&format!(" AND {scol} BETWEEN :low AND :high"));
                    values.push((":low", low.clone().into()));
                    values.push((":high", high.clone().into()));
                }
            }
            let (direction, comparison) = if query.descending {
                ("DESC", "<")
            } else {
                ("ASC", ">")
            };
            if let Some(after) = &query.after {
                if query.index == Index::Table {
                    sql.push_str(&format!(" AND sk {comparison} :after_sk"));
                } else {
                    sql.push_str(&format!(
                        " AND ({scol}, pk, sk) {comparison} (:after_isk, :after_pk, :after_sk)"
                    ));
                    values.push((":after_isk", after.index_sk.clone().into()));
                    values.push((":after_pk", after.pk.clone().into()));
                }
                values.push((":after_sk", after.sk.clone().into()));
            }
            let order = if query.index == Index::Table {
                format!(" ORDER BY sk {direction}")
            } else {
                format!(" ORDER BY {scol} {direction}, pk {direction}, sk {direction}")
            };
            sql.push_str(&order);
            sql.push_str(" LIMIT :limit");
            let limit = i64::try_from(query.limit.saturating_add(1)).unwrap_or(i64::MAX);
            values.push((":limit", limit.into()));
            let mut statement = c.prepare(&sql).map_err(unavailable)?;
            let named: Vec<(&str, &dyn rusqlite::ToSql)> = values
                .iter()
                .map(|(name, value)| (*name, value as &dyn rusqlite::ToSql))
                .collect();
            let rows = statement
                .query_map(named.as_slice(), read_row)
                .map_err(unavailable)?;
            let mut items = Vec::new();
            for row in rows {
                items.push(decode(row.map_err(unavailable)?)?);
            }
            Ok(super::finish_page(items, &query))
        })
        .await
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_batch(&ops)?;
        if ops.iter().any(|op| {
            matches!(
                op,
                WriteOp::Check {
                    condition: Condition::None,
                    ..
                }
            )
        }) {
            return Err(StoreError::Invalid(
                "a check needs a condition other than None".into(),
            ));
        }
        let now = self.clock.unix();
        self.with_connection(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            for (index, op) in ops.iter().enumerate() {
                let current = select_live(&tx, op.key(), now)?;
                if !holds(op.condition(), current.as_ref()) {
                    // Dropping `tx` rolls back everything written so far.
                    return Err(StoreError::ConditionFailed { index });
                }
                match op {
                    WriteOp::Put { item, .. } => insert(&tx, item)?,
                    WriteOp::Delete { key, .. } => {
                        tx.execute(
                            "DELETE FROM items WHERE pk = ?1 AND sk = ?2",
                            params![key.pk, key.sk],
                        )
                        .map_err(unavailable)?;
                    }
                    WriteOp::Check { .. } => {}
                }
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with_connection(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(unavailable))
            .await
    }
}
