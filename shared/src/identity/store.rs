//! The identity repository over the [`Table`] port.
//!
//! An identity is one item (`IDN#<id>` / `IDN`) holding the whole document, credentials and
//! addresses included, listed on GSI1 (`IDNS` / `<id>`). Each [`Claim`] it makes (credential
//! identifier, verifiable address, recovery address) is an item of its own whose key is the
//! claimed value, so a conditional put (`Absent`) is the uniqueness check. The document and
//! its claims are always written in one atomic [`Table::write`], so they never disagree: the
//! claims of an identity are exactly those its stored document lists.
//!
//! A claim item's `version` is not a counter (claims are only ever created and deleted) but
//! the owner tag of the identity holding it ([`owner_tag`]), so releasing a claim can be
//! conditioned on "still held by this identity" without reading it first.
//!
//! Request counts are per call, on DynamoDB; SQLite answers the same calls locally.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use serde_json::{Value, json};
use tracing::{instrument, warn};

use super::error::{IdentityError, ListError};
use super::model::{AddressVia, Claim, CredentialsType, Identity};
use super::normalize;
use super::timestamp;
use crate::clock::SharedClock;
use crate::ids::IdentityId;
use crate::store::keys::{self, kind};
use crate::store::{
    Condition, Index, Item, Key, MAX_WRITE_OPS, PageCursor, Query, SharedTable, SortKeyCondition,
    StoreError, WriteOp, cursor_of,
};

/// The most IDs one `ids` filter may name (Kratos's later releases refuse more than 500).
pub const MAX_IDS_FILTER: usize = 500;
/// The page size of a listing that names none.
pub const DEFAULT_PAGE_SIZE: usize = 250;
/// The largest page a listing returns; larger requests are cut to this.
pub const MAX_PAGE_SIZE: usize = 1000;
/// The most claims one identity may hold: its document and all its claims must fit in one
/// atomic write, so that deleting it is always possible in one.
pub const MAX_CLAIMS: usize = MAX_WRITE_OPS - 1;
/// The longest identifier or address value, in bytes (DynamoDB sort keys hold 1024 bytes,
/// and the identifier listing's sort key is `<identifier>#<type>`).
pub const MAX_CLAIM_VALUE_BYTES: usize = 1000;
/// The largest identity document, in bytes of JSON (DynamoDB items hold 400 KB, attribute
/// names and type tags included).
pub const MAX_DOCUMENT_BYTES: usize = 350 * 1024;

/// How often a write that met a concurrent transaction is tried in all.
const WRITE_ATTEMPTS: u32 = 4;
/// Reads and deletes of owned items go in pages of this many.
const BATCH: usize = 100;

/// Which identities a listing returns. Filters combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Clamped to `1..=MAX_PAGE_SIZE`.
    pub page_size: usize,
    /// Where the previous page ended (from [`IdentityPage::next`]).
    pub cursor: Option<PageCursor>,
    /// Only these identities (at most [`MAX_IDS_FILTER`]); an empty list filters nothing.
    pub ids: Option<Vec<IdentityId>>,
    /// Identities holding exactly this identifier: for password, webauthn and code after
    /// trimming and lower-casing, for oidc as given.
    pub credentials_identifier: Option<String>,
    /// Identities holding an identifier that starts with this (trimmed, lower-cased) prefix.
    /// Kratos's preview parameter is a prefix match too (`LIKE 'x%'`), but this listing is
    /// ordered by identifier rather than by identity ID.
    pub credentials_identifier_similar: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityPage {
    pub identities: Vec<Identity>,
    /// Where the next page starts; `None` on the last page. Seal it before sending it out.
    pub next: Option<PageCursor>,
}

/// A claim on an identifier, as read from the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierClaim {
    pub credentials_type: CredentialsType,
    pub identifier: String,
    pub identity_id: IdentityId,
}

/// Identities in the single table. Cheap to clone.
#[derive(Debug, Clone)]
pub struct IdentityStore {
    table: SharedTable,
    clock: SharedClock,
}

/// What one op of an identity write stands for, to explain a failed condition.
#[derive(Debug, Clone)]
enum Op {
    Document,
    Acquire(Claim),
    Release(Claim),
}

impl IdentityStore {
    pub fn new(table: SharedTable, clock: SharedClock) -> Self {
        Self { table, clock }
    }

    /// Stores a new identity and claims its identifiers and addresses, all or nothing.
    ///
    /// Normalises the document first (see `Identity::normalize`), stamps `created_at`,
    /// `updated_at` and `state_changed_at`, and on success sets the identity's version to 1.
    ///
    /// Requests: 1 (`TransactWriteItems`, or `PutItem` when there is nothing to claim);
    /// retried up to 3 times if it meets a concurrent transaction. On `Conflict`, 1 more
    /// `GetItem` names the holder.
    ///
    /// Fails with `Conflict` naming the first claim another identity holds, `DuplicateId`,
    /// `TooLarge`, `Invalid` (an empty identifier) or `Store`. Nothing is written on failure.
    #[instrument(skip_all, fields(identity.id = %identity.id))]
    pub async fn create(&self, identity: &mut Identity) -> Result<(), IdentityError> {
        self.create_with(identity, Vec::new()).await
    }

    /// [`IdentityStore::create`] with more writes in the same atomic write (a session
    /// issued at registration, say), so that they happen together or not at all.
    ///
    /// Requests: 1 `TransactWriteItems`. Fails as `create` does; a failed condition of one
    /// of `extra` is `Store(ConditionFailed { index })` with the index within `extra`.
    #[instrument(skip_all, fields(identity.id = %identity.id, extra = extra.len()))]
    pub async fn create_with(
        &self,
        identity: &mut Identity,
        extra: Vec<WriteOp>,
    ) -> Result<(), IdentityError> {
        let now = self.now();
        identity.normalize(now);
        identity.created_at = now;
        identity.updated_at = now;
        identity.state_changed_at = Some(now);
        let claims = identity.claims();
        check_storable(identity, &claims)?;
        let mut ops = vec![WriteOp::Put {
            item: identity_item(identity, 1)?,
            condition: Condition::Absent,
        }];
        let mut meaning = vec![Op::Document];
        for claim in &claims {
            ops.push(WriteOp::Put {
                item: claim_item(claim, identity.id),
                condition: Condition::Absent,
            });
            meaning.push(Op::Acquire(claim.clone()));
        }
        if ops.len() + extra.len() > MAX_WRITE_OPS {
            return Err(IdentityError::TooLarge(format!(
                "the identity and its companions need {} writes; one atomic write holds at most {MAX_WRITE_OPS}",
                ops.len() + extra.len()
            )));
        }
        ops.extend(extra);
        match self.write(ops).await {
            Ok(()) => {
                identity.version = 1;
                identity.stored_claims = Some(claims);
                Ok(())
            }
            Err(StoreError::ConditionFailed { index }) => match meaning.get(index) {
                Some(Op::Acquire(claim)) => Err(self.conflict(claim.clone()).await),
                Some(_) => Err(IdentityError::DuplicateId(identity.id)),
                None => Err(IdentityError::Store(StoreError::ConditionFailed {
                    index: index - meaning.len(),
                })),
            },
            Err(other) => Err(other.into()),
        }
    }

    /// Reads one identity. Requests: 1 `GetItem`. Fails with `NotFound` or `Store`.
    #[instrument(skip(self))]
    pub async fn get(&self, id: IdentityId) -> Result<Identity, IdentityError> {
        self.read(id).await?.ok_or(IdentityError::NotFound(id))
    }

    /// Reads several identities, leaving out those that do not exist, in ID order.
    /// Requests: one `BatchGetItem` per 100 distinct IDs. Fails with `Store` only.
    #[instrument(skip_all, fields(count = ids.len()))]
    pub async fn get_many(&self, ids: &[IdentityId]) -> Result<Vec<Identity>, IdentityError> {
        let distinct: BTreeSet<IdentityId> = ids.iter().copied().collect();
        let distinct: Vec<IdentityId> = distinct.into_iter().collect();
        let mut found = Vec::with_capacity(distinct.len());
        for chunk in distinct.chunks(BATCH) {
            found.extend(self.read_batch(chunk).await?);
        }
        found.sort_by_key(|i| i.id);
        Ok(found)
    }

    /// The identity holding `identifier` for `credentials_type`, normalised as stored
    /// (trimmed and lower-cased for password, code and webauthn).
    /// Requests: 2 `GetItem` (the claim, then the identity); 1 when unclaimed.
    /// Fails with `Store` only.
    #[instrument(skip(self, identifier))]
    pub async fn find_by_identifier(
        &self,
        credentials_type: CredentialsType,
        identifier: &str,
    ) -> Result<Option<Identity>, IdentityError> {
        let claim = Claim::Identifier {
            credentials_type,
            identifier: normalize::identifier(credentials_type, identifier),
        };
        self.find_by_claim(claim).await
    }

    /// Every claim on exactly this identifier (not normalised), across credential types.
    /// Requests: 1 `Query` on the table. Fails with `Store` only.
    #[instrument(skip_all)]
    pub async fn identifier_claims(
        &self,
        identifier: &str,
    ) -> Result<Vec<IdentifierClaim>, IdentityError> {
        Ok(self.claims_on(identifier).await?)
    }

    /// The identity holding this verifiable address (value trimmed and lower-cased).
    /// Requests: 2 `GetItem`; 1 when unclaimed. Fails with `Store` only.
    #[instrument(skip(self, value))]
    pub async fn find_by_verifiable_address(
        &self,
        via: AddressVia,
        value: &str,
    ) -> Result<Option<Identity>, IdentityError> {
        let claim = Claim::VerifiableAddress {
            via,
            value: normalize::address(value),
        };
        self.find_by_claim(claim).await
    }

    /// The identity holding this recovery address (value trimmed and lower-cased).
    /// Requests: 2 `GetItem`; 1 when unclaimed. Fails with `Store` only.
    #[instrument(skip(self, value))]
    pub async fn find_by_recovery_address(
        &self,
        via: AddressVia,
        value: &str,
    ) -> Result<Option<Identity>, IdentityError> {
        let claim = Claim::RecoveryAddress {
            via,
            value: normalize::address(value),
        };
        self.find_by_claim(claim).await
    }

    /// Replaces the stored document of an identity read earlier, if nobody changed it since,
    /// claiming what it newly holds and releasing what it no longer holds, all or nothing.
    ///
    /// Normalises the document, stamps `updated_at`, and on success increments the
    /// identity's version.
    ///
    /// The identity must come from this store (`create`, `get`, `find_*`, `list`): its
    /// version and the claims of its stored document travel with it, so no read is needed
    /// to know what to release. One that was never stored (or was rebuilt from JSON, which
    /// drops both) is `NotFound`.
    ///
    /// Requests: 1 (`TransactWriteItems`, or `PutItem` when no claim changes), retried up to
    /// 3 times on a concurrent transaction; 1 `GetItem` more on `Stale`/`NotFound`/`Conflict`
    /// to tell them apart or name the holder.
    ///
    /// Fails with `NotFound` (never stored, or deleted since), `Stale` (changed since read),
    /// `Conflict` (a new identifier or address is held by another identity), `TooLarge`
    /// (including more than [`MAX_WRITE_OPS`] writes for one change), `Invalid` or `Store`.
    /// Nothing is written on failure.
    #[instrument(skip_all, fields(identity.id = %identity.id, version = identity.version))]
    pub async fn update(&self, identity: &mut Identity) -> Result<(), IdentityError> {
        self.update_with(identity, Vec::new()).await
    }

    /// [`IdentityStore::update`] with more writes in the same atomic write (the session a
    /// login issues, the flow a settings change completes), so that they happen together
    /// or not at all.
    ///
    /// Requests: 1 `TransactWriteItems`. Fails as `update` does; a failed condition of one
    /// of `extra` is `Store(ConditionFailed { index })` with the index within `extra`.
    #[instrument(skip_all, fields(identity.id = %identity.id, version = identity.version, extra = extra.len()))]
    pub async fn update_with(
        &self,
        identity: &mut Identity,
        extra: Vec<WriteOp>,
    ) -> Result<(), IdentityError> {
        if identity.version == 0 {
            return Err(IdentityError::NotFound(identity.id));
        }
        let now = self.now();
        identity.normalize(now);
        identity.updated_at = now;
        let claims = identity.claims();
        check_storable(identity, &claims)?;
        // Set together with the version whenever this store reads or writes the identity.
        let Some(held) = identity.stored_claims.clone() else {
            return Err(IdentityError::NotFound(identity.id));
        };
        let mut ops = vec![WriteOp::Put {
            item: identity_item(identity, identity.version + 1)?,
            condition: Condition::Version(identity.version),
        }];
        let mut meaning = vec![Op::Document];
        for claim in claims.difference(&held) {
            ops.push(WriteOp::Put {
                item: claim_item(claim, identity.id),
                condition: Condition::Absent,
            });
            meaning.push(Op::Acquire(claim.clone()));
        }
        for claim in held.difference(&claims) {
            ops.push(release(claim, identity.id));
            meaning.push(Op::Release(claim.clone()));
        }
        if ops.len() + extra.len() > MAX_WRITE_OPS {
            return Err(IdentityError::TooLarge(format!(
                "the change needs {} writes; one atomic write holds at most {MAX_WRITE_OPS}",
                ops.len() + extra.len()
            )));
        }
        loop {
            let mut attempt = ops.clone();
            attempt.extend(extra.iter().cloned());
            match self.write(attempt).await {
                Ok(()) => {
                    identity.version += 1;
                    identity.stored_claims = Some(claims);
                    return Ok(());
                }
                Err(StoreError::ConditionFailed { index }) => match meaning.get(index) {
                    Some(Op::Acquire(claim)) => return Err(self.conflict(claim.clone()).await),
                    Some(Op::Release(claim)) => {
                        // Already gone, or never ours: either way there is nothing to release.
                        warn!(%claim, "a claim the stored document lists was not held; skipping its release");
                        ops.remove(index);
                        meaning.remove(index);
                    }
                    None => {
                        return Err(IdentityError::Store(StoreError::ConditionFailed {
                            index: index - meaning.len(),
                        }));
                    }
                    _ => {
                        return Err(match self.read(identity.id).await? {
                            None => IdentityError::NotFound(identity.id),
                            Some(_) => IdentityError::Stale(identity.id),
                        });
                    }
                },
                Err(other) => return Err(other.into()),
            }
        }
    }

    /// Deletes an identity and everything it owns.
    ///
    /// Order: first one atomic write removes the document and all its claims (so its
    /// identifiers and addresses can be registered again at once, and no claim can outlive
    /// its identity); then its sessions (GSI1 partition `IDN#<id>#SES`) and the flows bound
    /// to it (GSI1 `IDN#<id>#FLW`) are deleted page by page. If that second part fails, the
    /// identity is already gone and the error is returned; calling `delete` again (which
    /// answers `NotFound`) finishes it, because the clean-up also runs for a missing identity.
    ///
    /// Requests: 1 `GetItem` + 1 `TransactWriteItems` (`DeleteItem` without claims), then
    /// per owned partition 1 `Query` and 1 `TransactWriteItems` per 100 items (1 `Query` when
    /// empty). A write that meets a concurrent update reads and tries again, up to 4 times.
    ///
    /// Fails with `NotFound`, `Stale` (changed on every attempt) or `Store`.
    #[instrument(skip(self))]
    pub async fn delete(&self, id: IdentityId) -> Result<(), IdentityError> {
        let mut attempts = 0;
        'attempt: loop {
            attempts += 1;
            let Some(identity) = self.read(id).await? else {
                self.delete_owned(id).await?;
                return Err(IdentityError::NotFound(id));
            };
            let mut ops = vec![WriteOp::Delete {
                key: keys::identity(id),
                condition: Condition::Version(identity.version),
            }];
            let mut meaning = vec![Op::Document];
            for claim in identity.claims() {
                ops.push(release(&claim, id));
                meaning.push(Op::Release(claim));
            }
            loop {
                match self.write(ops.clone()).await {
                    Ok(()) => break 'attempt,
                    Err(StoreError::ConditionFailed { index }) => match meaning.get(index) {
                        Some(Op::Release(claim)) => {
                            warn!(%claim, "a claim the stored document lists was not held; skipping its release");
                            ops.remove(index);
                            meaning.remove(index);
                        }
                        _ if attempts < WRITE_ATTEMPTS => continue 'attempt,
                        _ => return Err(IdentityError::Stale(id)),
                    },
                    Err(other) => return Err(other.into()),
                }
            }
        }
        self.delete_owned(id).await?;
        Ok(())
    }

    /// A page of identities.
    ///
    /// - no filter: identities in ID order, from GSI1 `IDNS`. Requests: 1 `Query`.
    /// - `ids`: those identities in ID order. Requests: 1 `BatchGetItem` per 100 IDs read
    ///   (only as many as the page needs).
    /// - `credentials_identifier`: identities holding it as a password, webauthn, code or
    ///   oidc identifier, in ID order. Requests: 1 `Query` on `CID#<identifier>` (2 when the
    ///   oidc form differs from the normalised one) + 1 `BatchGetItem`.
    /// - `credentials_identifier_similar`: identities holding such an identifier whose
    ///   identifier starts with the prefix, in identifier order, from GSI1 `CIDS`. An identity
    ///   appears once per page; one holding several matching identifiers may appear on more
    ///   than one page. Requests: 1 `Query` per page of claims read + 1 `BatchGetItem`.
    ///
    /// Fails with `ConflictingIdentifierFilters`, `TooManyIds`, `InvalidCursor` (a cursor
    /// from another kind of listing) or `Store`.
    #[instrument(skip_all, fields(page_size = query.page_size))]
    pub async fn list(&self, query: &ListQuery) -> Result<IdentityPage, ListError> {
        let exact = query
            .credentials_identifier
            .as_deref()
            .filter(|s| !s.is_empty());
        let similar = query
            .credentials_identifier_similar
            .as_deref()
            .filter(|s| !s.is_empty());
        if exact.is_some() && similar.is_some() {
            return Err(ListError::ConflictingIdentifierFilters);
        }
        let ids: Option<BTreeSet<IdentityId>> = match &query.ids {
            Some(ids) if ids.len() > MAX_IDS_FILTER => {
                return Err(ListError::TooManyIds {
                    given: ids.len(),
                    max: MAX_IDS_FILTER,
                });
            }
            Some(ids) if !ids.is_empty() => Some(ids.iter().copied().collect()),
            _ => None,
        };
        let size = query.page_size.clamp(1, MAX_PAGE_SIZE);
        let similar = similar
            .map(|raw| normalize::identifier(CredentialsType::Password, raw))
            .filter(|prefix| !prefix.is_empty());
        if let Some(prefix) = similar {
            return self
                .list_similar(&prefix, ids.as_ref(), query.cursor.clone(), size)
                .await;
        }
        let after = match &query.cursor {
            Some(cursor) => Some(identity_after(cursor)?),
            None => None,
        };
        if let Some(identifier) = exact {
            let holders = self.holders_of_exact(identifier).await?;
            let candidates = holders
                .into_iter()
                .filter(|id| ids.as_ref().is_none_or(|ids| ids.contains(id)))
                .collect();
            return self.page_of(candidates, after, size).await;
        }
        if let Some(ids) = ids {
            return self.page_of(ids, after, size).await;
        }
        let page = self
            .table
            .query(
                &Query::new(Index::Gsi1, keys::IDENTITY_LISTING)
                    .after(query.cursor.clone())
                    .limit(size),
            )
            .await?;
        let identities = page
            .items
            .into_iter()
            .map(decode_identity)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(IdentityPage {
            identities,
            next: page.next,
        })
    }

    // ---- internals ---------------------------------------------------------------------

    fn now(&self) -> time::OffsetDateTime {
        timestamp::truncate(self.clock.now())
    }

    async fn read(&self, id: IdentityId) -> Result<Option<Identity>, StoreError> {
        self.table
            .get(&keys::identity(id))
            .await?
            .map(decode_identity)
            .transpose()
    }

    async fn read_batch(&self, ids: &[IdentityId]) -> Result<Vec<Identity>, StoreError> {
        let keys: Vec<Key> = ids.iter().map(|id| keys::identity(*id)).collect();
        self.table
            .get_many(&keys)
            .await?
            .into_iter()
            .map(decode_identity)
            .collect()
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.table.write(ops.clone()).await {
                Err(StoreError::TransactionConflict) if attempt < WRITE_ATTEMPTS => {
                    let jitter = rand::random_range(0..10u64);
                    tokio::time::sleep(Duration::from_millis((10 << attempt) + jitter)).await;
                }
                result => return result,
            }
        }
    }

    async fn holder_of(&self, claim: &Claim) -> Result<Option<IdentityId>, StoreError> {
        if claim_value(claim).len() > MAX_CLAIM_VALUE_BYTES || claim_value(claim).is_empty() {
            return Ok(None);
        }
        self.table
            .get(&claim_key(claim))
            .await?
            .map(|item| holder(&item))
            .transpose()
    }

    async fn conflict(&self, claim: Claim) -> IdentityError {
        let holder = self.holder_of(&claim).await.unwrap_or_else(|error| {
            warn!(%error, "could not read the holder of a taken claim");
            None
        });
        IdentityError::Conflict { claim, holder }
    }

    async fn find_by_claim(&self, claim: Claim) -> Result<Option<Identity>, IdentityError> {
        let Some(holder) = self.holder_of(&claim).await? else {
            return Ok(None);
        };
        // A document that does not list the claim cannot hold it; never expected, since
        // both are written together, but it keeps a stray claim from pointing anywhere.
        Ok(self
            .read(holder)
            .await?
            .filter(|identity| identity.claims().contains(&claim)))
    }

    async fn claims_on(&self, identifier: &str) -> Result<Vec<IdentifierClaim>, StoreError> {
        if identifier.is_empty() || identifier.len() > MAX_CLAIM_VALUE_BYTES {
            return Ok(Vec::new());
        }
        let page = self
            .table
            .query(
                &Query::new(Index::Table, keys::identifier_partition(identifier))
                    .limit(CredentialsType::ALL.len()),
            )
            .await?;
        page.items.iter().map(identifier_claim).collect()
    }

    /// Holders of an exact identifier, as Kratos's `credentials_identifier` matches it.
    async fn holders_of_exact(&self, raw: &str) -> Result<BTreeSet<IdentityId>, StoreError> {
        let normalised = normalize::identifier(CredentialsType::Password, raw);
        let mut holders = BTreeSet::new();
        for claim in self.claims_on(&normalised).await? {
            let case_insensitive = matches!(
                claim.credentials_type,
                CredentialsType::Password | CredentialsType::Webauthn | CredentialsType::Code
            );
            let oidc_as_given =
                claim.credentials_type == CredentialsType::Oidc && raw == normalised;
            if case_insensitive || oidc_as_given {
                holders.insert(claim.identity_id);
            }
        }
        if raw != normalised {
            for claim in self.claims_on(raw).await? {
                if claim.credentials_type == CredentialsType::Oidc {
                    holders.insert(claim.identity_id);
                }
            }
        }
        Ok(holders)
    }

    /// The page after `after` of the identities among `candidates` that exist.
    async fn page_of(
        &self,
        candidates: BTreeSet<IdentityId>,
        after: Option<IdentityId>,
        size: usize,
    ) -> Result<IdentityPage, ListError> {
        let pending: Vec<IdentityId> = candidates
            .into_iter()
            .filter(|id| after.is_none_or(|after| *id > after))
            .collect();
        let mut found: Vec<Identity> = Vec::new();
        // One more than the page, so a full last page does not promise a next one.
        for chunk in pending.chunks(BATCH) {
            let mut batch = self.read_batch(chunk).await?;
            batch.sort_by_key(|i| i.id);
            found.extend(batch);
            if found.len() > size {
                break;
            }
        }
        let next = if found.len() > size {
            found.truncate(size);
            found.last().map(|i| identity_cursor(i.id))
        } else {
            None
        };
        Ok(IdentityPage {
            identities: found,
            next,
        })
    }

    async fn list_similar(
        &self,
        prefix: &str,
        ids: Option<&BTreeSet<IdentityId>>,
        cursor: Option<PageCursor>,
        size: usize,
    ) -> Result<IdentityPage, ListError> {
        if cursor
            .as_ref()
            .is_some_and(|c| c.index_pk != keys::IDENTIFIER_LISTING)
        {
            return Err(ListError::InvalidCursor);
        }
        if prefix.len() > MAX_CLAIM_VALUE_BYTES {
            return Ok(IdentityPage {
                identities: Vec::new(),
                next: None,
            });
        }
        let mut after = cursor;
        let mut chosen: Vec<IdentityId> = Vec::new();
        let mut seen: HashSet<IdentityId> = HashSet::new();
        let mut consumed: Option<PageCursor> = None;
        let mut more = false;
        'pages: loop {
            let page = self
                .table
                .query(
                    &Query::new(Index::Gsi1, keys::IDENTIFIER_LISTING)
                        .sort(SortKeyCondition::BeginsWith(prefix.to_owned()))
                        .after(after.clone())
                        .limit(size.max(25)),
                )
                .await?;
            for item in &page.items {
                let claim = identifier_claim(item)?;
                let eligible = matches!(
                    claim.credentials_type,
                    CredentialsType::Password
                        | CredentialsType::Webauthn
                        | CredentialsType::Code
                        | CredentialsType::Oidc
                ) && ids.is_none_or(|ids| ids.contains(&claim.identity_id));
                if eligible && !seen.contains(&claim.identity_id) {
                    if chosen.len() == size {
                        more = true;
                        break 'pages;
                    }
                    seen.insert(claim.identity_id);
                    chosen.push(claim.identity_id);
                }
                consumed = Some(cursor_of(item, Index::Gsi1));
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut by_id = std::collections::HashMap::new();
        for chunk in chosen.chunks(BATCH) {
            for identity in self.read_batch(chunk).await? {
                by_id.insert(identity.id, identity);
            }
        }
        let identities = chosen.iter().filter_map(|id| by_id.remove(id)).collect();
        Ok(IdentityPage {
            identities,
            next: if more { consumed } else { None },
        })
    }

    /// Deletes the sessions and flows of an identity, page by page.
    async fn delete_owned(&self, id: IdentityId) -> Result<(), StoreError> {
        for partition in [
            keys::sessions_of_identity_partition(id),
            keys::flows_of_identity_partition(id),
        ] {
            let mut after = None;
            let mut deleted = 0usize;
            loop {
                let page = self
                    .table
                    .query(
                        &Query::new(Index::Gsi1, partition.clone())
                            .after(after)
                            .limit(BATCH),
                    )
                    .await?;
                if !page.items.is_empty() {
                    deleted += page.items.len();
                    let ops = page
                        .items
                        .iter()
                        .map(|item| WriteOp::Delete {
                            key: item.key.clone(),
                            condition: Condition::None,
                        })
                        .collect();
                    self.write(ops).await?;
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            if deleted > 0 {
                tracing::debug!(%partition, deleted, "deleted items owned by a deleted identity");
            }
        }
        Ok(())
    }
}

/// The tag a claim item carries as its `version`: 63 bits of its owner's ID, never 0. A
/// conditional delete on it succeeds only while that identity holds the claim.
pub fn owner_tag(owner: IdentityId) -> u64 {
    let (high, low) = owner.as_uuid().as_u64_pair();
    ((high ^ low) & (i64::MAX as u64)).max(1)
}

/// The position of an identity in the ID-ordered listing, as a page cursor.
pub fn identity_cursor(id: IdentityId) -> PageCursor {
    let key = keys::identity(id);
    let listed = keys::identity_listing(id);
    PageCursor {
        index_pk: listed.pk,
        index_sk: listed.sk,
        pk: key.pk,
        sk: key.sk,
    }
}

fn identity_after(cursor: &PageCursor) -> Result<IdentityId, ListError> {
    if cursor.index_pk != keys::IDENTITY_LISTING {
        return Err(ListError::InvalidCursor);
    }
    cursor
        .index_sk
        .parse()
        .map_err(|_| ListError::InvalidCursor)
}

fn identity_item(identity: &Identity, version: u64) -> Result<Item, IdentityError> {
    let body = serde_json::to_value(identity)
        .map_err(|e| IdentityError::Invalid(format!("the identity does not serialise: {e}")))?;
    Ok(Item::new(keys::identity(identity.id), kind::IDENTITY, body)
        .with_gsi1(keys::identity_listing(identity.id))
        .with_version(version))
}

pub(crate) fn decode_identity(item: Item) -> Result<Identity, StoreError> {
    if item.kind != kind::IDENTITY {
        return Err(StoreError::Corrupt(format!(
            "{:?} is a `{}`, not an identity",
            item.key, item.kind
        )));
    }
    let version = item.version;
    let key = item.key;
    let mut identity: Identity = serde_json::from_value(item.body)
        .map_err(|e| StoreError::Corrupt(format!("identity {key:?} does not decode: {e}")))?;
    identity.version = version;
    identity.stored_claims = Some(identity.claims());
    Ok(identity)
}

fn claim_key(claim: &Claim) -> Key {
    match claim {
        Claim::Identifier {
            credentials_type,
            identifier,
        } => keys::identifier(credentials_type.as_str(), identifier),
        Claim::VerifiableAddress { via, value } => keys::verifiable_address(via.as_str(), value),
        Claim::RecoveryAddress { via, value } => keys::recovery_address(via.as_str(), value),
    }
}

fn claim_value(claim: &Claim) -> &str {
    match claim {
        Claim::Identifier { identifier, .. } => identifier,
        Claim::VerifiableAddress { value, .. } | Claim::RecoveryAddress { value, .. } => value,
    }
}

fn claim_item(claim: &Claim, owner: IdentityId) -> Item {
    let item = match claim {
        Claim::Identifier {
            credentials_type,
            identifier,
        } => Item::new(
            claim_key(claim),
            kind::IDENTIFIER,
            json!({
                "identity_id": owner,
                "type": credentials_type,
                "identifier": identifier,
            }),
        )
        .with_gsi1(keys::identifier_listing(
            credentials_type.as_str(),
            identifier,
        )),
        Claim::VerifiableAddress { via, value } => Item::new(
            claim_key(claim),
            kind::VERIFIABLE_ADDRESS,
            json!({ "identity_id": owner, "via": via, "value": value }),
        ),
        Claim::RecoveryAddress { via, value } => Item::new(
            claim_key(claim),
            kind::RECOVERY_ADDRESS,
            json!({ "identity_id": owner, "via": via, "value": value }),
        ),
    };
    item.with_version(owner_tag(owner))
}

fn release(claim: &Claim, owner: IdentityId) -> WriteOp {
    WriteOp::Delete {
        key: claim_key(claim),
        condition: Condition::Version(owner_tag(owner)),
    }
}

fn holder(item: &Item) -> Result<IdentityId, StoreError> {
    item.body
        .get("identity_id")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("claim {:?} names no identity", item.key)))
}

fn identifier_claim(item: &Item) -> Result<IdentifierClaim, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("{:?} is not an identifier claim", item.key));
    if item.kind != kind::IDENTIFIER {
        return Err(corrupt());
    }
    let credentials_type = item
        .body
        .get("type")
        .and_then(Value::as_str)
        .and_then(CredentialsType::from_name)
        .ok_or_else(corrupt)?;
    let identifier = item
        .body
        .get("identifier")
        .and_then(Value::as_str)
        .ok_or_else(corrupt)?
        .to_owned();
    Ok(IdentifierClaim {
        credentials_type,
        identifier,
        identity_id: holder(item)?,
    })
}

/// Refuses documents the table cannot hold, before anything is written.
fn check_storable(identity: &Identity, claims: &BTreeSet<Claim>) -> Result<(), IdentityError> {
    if claims.len() > MAX_CLAIMS {
        return Err(IdentityError::TooLarge(format!(
            "{} identifiers and addresses; at most {MAX_CLAIMS} fit one atomic write",
            claims.len()
        )));
    }
    for claim in claims {
        let value = claim_value(claim);
        if value.is_empty() {
            return Err(IdentityError::Invalid(format!("the {claim} is empty")));
        }
        if value.len() > MAX_CLAIM_VALUE_BYTES {
            return Err(IdentityError::TooLarge(format!(
                "an identifier or address is {} bytes long; at most {MAX_CLAIM_VALUE_BYTES} are stored",
                value.len()
            )));
        }
    }
    let free_form = [
        ("traits", Some(&identity.traits)),
        ("metadata_public", identity.metadata_public.as_ref()),
        ("metadata_admin", identity.metadata_admin.as_ref()),
    ];
    for (name, value) in free_form {
        if let Some(value) = value {
            crate::store::check_free_form(value)
                .map_err(|reason| IdentityError::Invalid(format!("{name}: {reason}")))?;
        }
    }
    let size = serde_json::to_vec(identity)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    if size > MAX_DOCUMENT_BYTES {
        return Err(IdentityError::TooLarge(format!(
            "the identity document is {size} bytes; at most {MAX_DOCUMENT_BYTES} are stored"
        )));
    }
    Ok(())
}
