//! The session repository over the [`Table`](crate::store::Table) port.
//!
//! A session is one item (`SES#<id>` / `SES`) whose TTL is the session's expiry, listed
//! per identity on GSI1 (`IDN#<identity>#SES` / `<created>#<id>`) and globally on GSI2
//! (`SESS` / `<created>#<id>`). Updates are conditional puts on the item's version, so a
//! revocation and an extension racing each other cannot undo one another.
//!
//! Request counts are per call, on DynamoDB; SQLite answers the same calls locally.

use std::time::Duration;

use time::OffsetDateTime;
use tracing::instrument;

use super::error::SessionError;
use super::model::Session;
use super::token::{SessionToken, TokenDigest};
use crate::clock::SharedClock;
use crate::identity::{Identity, decode_identity_item};
use crate::ids::{IdentityId, SessionId};
use crate::store::keys::{self, kind};
use crate::store::{
    Condition, Index, Item, PageCursor, Query, SharedTable, StoreError, WriteOp, cursor_of,
};

/// The largest page a listing returns (Kratos's).
pub const MAX_PAGE_SIZE: usize = 1000;
/// Writes of a bulk revocation or deletion go in batches of this many (one transaction).
const BATCH: usize = 100;
/// How often a write that met a concurrent change is tried in all.
const WRITE_ATTEMPTS: u32 = 4;

/// Which sessions a listing returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionListQuery {
    /// Clamped to `1..=MAX_PAGE_SIZE`.
    pub page_size: usize,
    /// Where the previous page ended.
    pub cursor: Option<PageCursor>,
    /// `Some(true)`: only sessions neither revoked nor expired; `Some(false)`: only the
    /// others (revoked ones: expired sessions are gone from the table).
    pub active: Option<bool>,
    /// Leave this session out (the caller's own, for `GET /sessions`).
    pub except: Option<SessionId>,
    /// Skip this many matching sessions first (Kratos's legacy `page` parameter).
    pub skip: usize,
}

/// One page of sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPage {
    pub sessions: Vec<Session>,
    /// Where the next page starts; `None` on the last page. Seal it before sending it out.
    pub next: Option<PageCursor>,
}

/// What an extension did.
#[derive(Debug, Clone, PartialEq)]
pub enum Extension {
    /// The expiry moved to now + lifespan.
    Extended(Session),
    /// Too early (`earliest_possible_extend`): nothing was written.
    TooEarly(Session),
}

impl Extension {
    pub fn session(&self) -> &Session {
        match self {
            Extension::Extended(s) | Extension::TooEarly(s) => s,
        }
    }
}

/// Sessions in the single table. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SessionStore {
    table: SharedTable,
    clock: SharedClock,
}

impl SessionStore {
    pub fn new(table: SharedTable, clock: SharedClock) -> Self {
        Self { table, clock }
    }

    /// Stores a new session (from [`Session::new`]); on success its version is 1.
    /// Requests: 1 `PutItem` (conditional on absence). Fails with `Store` only.
    #[instrument(skip_all, fields(session.id = %session.id))]
    pub async fn create(&self, session: &mut Session) -> Result<(), SessionError> {
        self.table
            .write(vec![self.create_op(session)?])
            .await
            .map_err(|e| match e {
                StoreError::ConditionFailed { .. } => {
                    StoreError::Invalid(format!("session {} already exists", session.id)).into()
                }
                other => SessionError::Store(other),
            })?;
        self.created(session);
        Ok(())
    }

    /// The active session `token` belongs to, with its identity: the `whoami` read.
    ///
    /// Requests: exactly 1 `BatchGetItem` (the session and identity items, both keyed by
    /// the IDs the token carries); none for a token that cannot be ours. No write.
    ///
    /// Fails with `NoActiveSession` when the session or identity is missing, the token's
    /// digest does not match (compared in constant time, against a placeholder when there
    /// is no session), the session belongs to another identity, or it is revoked, expired
    /// or its identity disabled. `Store` otherwise.
    #[instrument(skip_all, fields(session.id = %token.session_id()))]
    pub async fn authenticate(
        &self,
        token: &SessionToken,
    ) -> Result<(Session, Identity), SessionError> {
        let found = self
            .table
            .get_many(&[
                keys::session(token.session_id()),
                keys::identity(token.identity_id()),
            ])
            .await?;
        let mut session = None;
        let mut identity = None;
        for item in found {
            match item.kind.as_str() {
                kind::SESSION => session = Some(decode_session(item)?),
                kind::IDENTITY => identity = Some(decode_identity_item(item)?),
                _ => {}
            }
        }
        let matches = match &session {
            Some(session) => session.token_matches(token),
            None => {
                // Same work as a real comparison, so a missing session is not faster.
                std::hint::black_box(TokenDigest::placeholder().matches(token));
                false
            }
        };
        let now = self.clock.now();
        match (session, identity) {
            (Some(session), Some(identity))
                if matches
                    && session.identity_id == identity.id
                    && session.is_active(now, Some(&identity)) =>
            {
                Ok((session, identity))
            }
            _ => Err(SessionError::inactive()),
        }
    }

    /// One session by ID, active or not (expired sessions are gone).
    /// Requests: 1 `GetItem`. Fails with `NotFound` or `Store`.
    #[instrument(skip(self))]
    pub async fn get(&self, id: SessionId) -> Result<Session, SessionError> {
        self.read(id).await?.ok_or(SessionError::NotFound(id))
    }

    /// A page of one identity's sessions, newest first.
    /// Requests: 1 `Query` on GSI1 per page of items read (more only when filters skip
    /// whole pages). Fails with `InvalidCursor` or `Store`.
    #[instrument(skip(self, query))]
    pub async fn list_by_identity(
        &self,
        identity: IdentityId,
        query: &SessionListQuery,
    ) -> Result<SessionPage, SessionError> {
        let partition = keys::sessions_of_identity_partition(identity);
        self.page(Index::Gsi1, partition, query).await
    }

    /// A page of all sessions, newest first.
    /// Requests: 1 `Query` on GSI2 per page of items read (more only when the `active`
    /// filter skips whole pages). Fails with `InvalidCursor` or `Store`.
    #[instrument(skip_all)]
    pub async fn list(&self, query: &SessionListQuery) -> Result<SessionPage, SessionError> {
        self.page(Index::Gsi2, keys::SESSION_LISTING.to_owned(), query)
            .await
    }

    /// Writes back a session read from this store, if nobody changed it since; on success
    /// its version is incremented and `updated_at` stamped.
    /// Requests: 1 `PutItem` (conditional on the version); 1 `GetItem` more on failure.
    /// Fails with `NotFound` (deleted or expired since), `Stale` or `Store`.
    #[instrument(skip_all, fields(session.id = %session.id, version = session.version))]
    pub async fn update(&self, session: &mut Session) -> Result<(), SessionError> {
        if session.version == 0 {
            return Err(SessionError::NotFound(session.id));
        }
        session.updated_at = crate::identity::timestamp::truncate(self.clock.now());
        let item = session_item(session, session.version + 1)?;
        match self
            .table
            .write(vec![WriteOp::Put {
                item,
                condition: Condition::Version(session.version),
            }])
            .await
        {
            Ok(()) => {
                session.version += 1;
                Ok(())
            }
            Err(StoreError::ConditionFailed { .. }) => Err(match self.read(session.id).await? {
                None => SessionError::NotFound(session.id),
                Some(_) => SessionError::Stale(session.id),
            }),
            Err(other) => Err(other.into()),
        }
    }

    /// Marks a session revoked (it stays listed, inactive, until it expires). Revoking a
    /// revoked session changes nothing.
    /// Requests: 1 `GetItem` + 1 conditional `PutItem` (none when already revoked),
    /// repeated if a concurrent change got in between. Fails with `NotFound`, `Stale` or
    /// `Store`.
    #[instrument(skip(self))]
    pub async fn revoke(&self, id: SessionId) -> Result<Session, SessionError> {
        self.revoke_where(id, |_| true)
            .await?
            .ok_or(SessionError::NotFound(id))
    }

    /// Revokes session `id` if it belongs to `identity`; a session that does not exist or
    /// belongs to someone else is left alone and reported as `false`, as Kratos does.
    /// Requests: as [`SessionStore::revoke`].
    #[instrument(skip(self))]
    pub async fn revoke_of_identity(
        &self,
        identity: IdentityId,
        id: SessionId,
    ) -> Result<bool, SessionError> {
        Ok(self
            .revoke_where(id, |s| s.identity_id == identity)
            .await?
            .is_some())
    }

    /// Revokes every active session of `identity` except `keep`; returns how many it revoked.
    /// Requests: 1 `Query` on GSI1 per 100 sessions, plus 1 `TransactWriteItems` per 100
    /// sessions revoked (each conditional on the version read); a batch that met a
    /// concurrent change is read and tried again.
    #[instrument(skip(self))]
    pub async fn revoke_all_except(
        &self,
        identity: IdentityId,
        keep: Option<SessionId>,
    ) -> Result<usize, SessionError> {
        let mut revoked = 0;
        for attempt in 1..=WRITE_ATTEMPTS {
            let now = self.clock.now();
            let targets: Vec<Session> = self
                .all_of_identity(identity)
                .await?
                .into_iter()
                .filter(|s| Some(s.id) != keep && s.active && !s.is_expired(now))
                .collect();
            let mut conflicted = false;
            for chunk in targets.chunks(BATCH) {
                let ops = chunk
                    .iter()
                    .map(|s| {
                        let mut s = s.clone();
                        s.active = false;
                        s.updated_at = crate::identity::timestamp::truncate(now);
                        Ok(WriteOp::Put {
                            item: session_item(&s, s.version + 1)?,
                            condition: Condition::Version(s.version),
                        })
                    })
                    .collect::<Result<Vec<_>, SessionError>>()?;
                match self.table.write(ops).await {
                    Ok(()) => revoked += chunk.len(),
                    Err(StoreError::ConditionFailed { .. } | StoreError::TransactionConflict)
                        if attempt < WRITE_ATTEMPTS =>
                    {
                        conflicted = true;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if !conflicted {
                return Ok(revoked);
            }
        }
        Ok(revoked)
    }

    /// Moves a session's expiry to `now + lifespan`, unless it is further away than
    /// `earliest` (Kratos's `earliest_possible_extend`; `None` means always extend). Works
    /// on revoked sessions too, as Kratos's does (they stay revoked).
    /// Requests: 1 `GetItem` + 1 conditional `PutItem` (none when too early).
    /// Fails with `NotFound` (unknown or expired), `Stale` or `Store`.
    #[instrument(skip(self))]
    pub async fn extend(
        &self,
        id: SessionId,
        lifespan: Duration,
        earliest: Option<Duration>,
    ) -> Result<Extension, SessionError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut session = self.get(id).await?;
            let now = self.clock.now();
            if !can_extend(&session, now, lifespan, earliest) {
                return Ok(Extension::TooEarly(session));
            }
            session.expires_at = crate::identity::timestamp::truncate(now + lifespan);
            match self.update(&mut session).await {
                Ok(()) => return Ok(Extension::Extended(session)),
                Err(SessionError::Stale(_)) if attempt < WRITE_ATTEMPTS => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Deletes one session. Requests: 1 `DeleteItem` (conditional on presence).
    /// Fails with `NotFound` or `Store`.
    #[instrument(skip(self))]
    pub async fn delete(&self, id: SessionId) -> Result<(), SessionError> {
        match self
            .table
            .write(vec![WriteOp::Delete {
                key: keys::session(id),
                condition: Condition::Present,
            }])
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(SessionError::NotFound(id)),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every session of `identity`; returns how many.
    /// Requests: 1 `Query` on GSI1 per 100 sessions + 1 `TransactWriteItems` per 100.
    /// Fails with `NoSessions` when there were none (Kratos's 404), or `Store`.
    #[instrument(skip(self))]
    pub async fn delete_by_identity(&self, identity: IdentityId) -> Result<usize, SessionError> {
        let partition = keys::sessions_of_identity_partition(identity);
        let mut deleted = 0;
        let mut after = None;
        loop {
            // Page on with the cursor rather than re-reading from the top: index reads are
            // eventually consistent, so a fresh query may still list what was just deleted.
            let page = self
                .table
                .query(
                    &Query::new(Index::Gsi1, partition.clone())
                        .after(after)
                        .limit(BATCH),
                )
                .await?;
            if page.items.is_empty() {
                break;
            }
            let ops = page
                .items
                .iter()
                .map(|item| WriteOp::Delete {
                    key: item.key.clone(),
                    condition: Condition::None,
                })
                .collect();
            self.table.write(ops).await?;
            deleted += page.items.len();
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        if deleted == 0 {
            return Err(SessionError::NoSessions(identity));
        }
        Ok(deleted)
    }

    // ---- internals ---------------------------------------------------------------------

    async fn read(&self, id: SessionId) -> Result<Option<Session>, SessionError> {
        Ok(self
            .table
            .get(&keys::session(id))
            .await?
            .map(decode_session)
            .transpose()?)
    }

    /// Reads session `id` and, if `applies` to it and it is not revoked yet, revokes it.
    /// `None` when it does not exist or does not apply.
    async fn revoke_where(
        &self,
        id: SessionId,
        applies: impl Fn(&Session) -> bool,
    ) -> Result<Option<Session>, SessionError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(mut session) = self.read(id).await? else {
                return Ok(None);
            };
            if !applies(&session) {
                return Ok(None);
            }
            if !session.active {
                return Ok(Some(session));
            }
            session.active = false;
            match self.update(&mut session).await {
                Ok(()) => return Ok(Some(session)),
                Err(SessionError::Stale(_)) if attempt < WRITE_ATTEMPTS => continue,
                Err(SessionError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    async fn all_of_identity(&self, identity: IdentityId) -> Result<Vec<Session>, SessionError> {
        let partition = keys::sessions_of_identity_partition(identity);
        let mut after = None;
        let mut sessions = Vec::new();
        loop {
            let page = self
                .table
                .query(
                    &Query::new(Index::Gsi1, partition.clone())
                        .after(after)
                        .limit(BATCH),
                )
                .await?;
            for item in page.items {
                sessions.push(decode_session(item)?);
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(sessions),
            }
        }
    }

    async fn page(
        &self,
        index: Index,
        partition: String,
        query: &SessionListQuery,
    ) -> Result<SessionPage, SessionError> {
        if query
            .cursor
            .as_ref()
            .is_some_and(|c| c.index_pk != partition)
        {
            return Err(SessionError::InvalidCursor);
        }
        let size = query.page_size.clamp(1, MAX_PAGE_SIZE);
        let filtered = query.active.is_some() || query.except.is_some() || query.skip > 0;
        let fetch = if filtered {
            (size + query.skip).clamp(50, MAX_PAGE_SIZE)
        } else {
            size
        };
        let now = self.clock.now();
        let wanted = |s: &Session| {
            Some(s.id) != query.except
                && query
                    .active
                    .is_none_or(|active| active == (s.active && !s.is_expired(now)))
        };
        let mut after = query.cursor.clone();
        let mut skipped = 0;
        let mut sessions = Vec::new();
        let mut rounds = 0;
        loop {
            rounds += 1;
            let page = self
                .table
                .query(
                    &Query::new(index, partition.clone())
                        .after(after)
                        .limit(fetch)
                        .descending(true),
                )
                .await?;
            let count = page.items.len();
            let mut last_read = None;
            for (position, item) in page.items.into_iter().enumerate() {
                let cursor = cursor_of(&item, index);
                last_read = Some(cursor.clone());
                let session = decode_session(item)?;
                if !wanted(&session) {
                    continue;
                }
                if skipped < query.skip {
                    skipped += 1;
                    continue;
                }
                sessions.push(session);
                if sessions.len() == size {
                    let more = position + 1 < count || page.next.is_some();
                    return Ok(SessionPage {
                        sessions,
                        next: more.then_some(cursor),
                    });
                }
            }
            match page.next {
                // A selective filter must not read the whole index in one request: after
                // MAX_ROUNDS queries the page ends short, and goes on from the last item read.
                Some(_) if rounds >= MAX_ROUNDS && query.skip == 0 && last_read.is_some() => {
                    return Ok(SessionPage {
                        sessions,
                        next: last_read,
                    });
                }
                Some(next) => after = Some(next),
                None => {
                    return Ok(SessionPage {
                        sessions,
                        next: None,
                    });
                }
            }
        }
    }
}

/// How many index queries one filtered listing may make before it answers a short page.
const MAX_ROUNDS: usize = 10;

/// Whether a session may be extended at `now`: Kratos extends when the expiry is less
/// than `earliest` away, where an unset `earliest` is the whole lifespan (always).
pub fn can_extend(
    session: &Session,
    now: OffsetDateTime,
    lifespan: Duration,
    earliest: Option<Duration>,
) -> bool {
    let window = earliest.unwrap_or(lifespan);
    session.expires_at - window < now
}

/// The TTL of a session item: its expiry, rounded up to whole seconds.
fn ttl(expires_at: OffsetDateTime) -> i64 {
    let seconds = expires_at.unix_timestamp();
    if expires_at.nanosecond() > 0 {
        seconds + 1
    } else {
        seconds
    }
}

fn session_item(session: &Session, version: u64) -> Result<Item, SessionError> {
    let body = serde_json::to_value(session).map_err(|e| {
        SessionError::Store(StoreError::Invalid(format!(
            "the session does not serialise: {e}"
        )))
    })?;
    Ok(Item::new(keys::session(session.id), kind::SESSION, body)
        .with_gsi1(keys::session_by_identity(
            session.identity_id,
            session.created_at,
            session.id,
        ))
        .with_gsi2(keys::session_listing(session.created_at, session.id))
        .expiring_at(ttl(session.expires_at))
        .with_version(version))
}

fn decode_session(item: Item) -> Result<Session, StoreError> {
    if item.kind != kind::SESSION {
        return Err(StoreError::Corrupt(format!(
            "{:?} is a `{}`, not a session",
            item.key, item.kind
        )));
    }
    let version = item.version;
    let key = item.key;
    let mut session: Session = serde_json::from_value(item.body)
        .map_err(|e| StoreError::Corrupt(format!("session {key:?} does not decode: {e}")))?;
    session.version = version;
    Ok(session)
}

/// Writes that join a larger atomic write (a session issued together with the identity
/// a registration creates, or with the identity update a login's rehash makes).
impl SessionStore {
    /// The write that stores a new session (from [`Session::new`]); it fails if the ID is
    /// taken. After the write succeeded, call [`SessionStore::created`].
    pub fn create_op(&self, session: &Session) -> Result<WriteOp, SessionError> {
        Ok(WriteOp::Put {
            item: session_item(session, 1)?,
            condition: Condition::Absent,
        })
    }

    /// Records that a [`SessionStore::create_op`] of `session` was written.
    pub fn created(&self, session: &mut Session) {
        session.version = 1;
    }
}
