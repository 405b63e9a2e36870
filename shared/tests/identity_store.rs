//! The identity repository's contract, run against SQLite and against DynamoDB (moto's
//! server): uniqueness of identifiers and addresses under concurrency, atomic updates,
//! optimistic concurrency, deletion of everything an identity owns, and listings.

use std::sync::Arc;

use kratos_core::clock::{Clock, ManualClock, SharedClock};
use kratos_core::identity::{
    AddressVia, Claim, CredentialsType, Identity, IdentityError, IdentityState, IdentityStore,
    ImportedVerifiableAddress, ListError, ListQuery, VerificationStatus, identity_cursor,
    oidc_identifier,
};
use kratos_core::ids::{FlowId, IdentityId, SessionId};
use kratos_core::schema::SchemaRegistry;
use kratos_core::store::keys::{self, kind};
use kratos_core::store::{Condition, Item, SharedTable, WriteOp};
use kratos_core::testing::Backend;
use serde_json::{Value, json};
use time::macros::datetime;

struct Fixture {
    table: SharedTable,
    clock: Arc<ManualClock>,
    store: IdentityStore,
    schemas: SchemaRegistry,
}

async fn fixture(backend: Backend) -> Fixture {
    let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 00:00:00 UTC)));
    let shared: SharedClock = clock.clone();
    let table = backend.fresh_table(shared.clone()).await;
    Fixture {
        store: IdentityStore::new(table.clone(), shared),
        table,
        clock,
        schemas: SchemaRegistry::builtin(),
    }
}

impl Fixture {
    /// A valid identity of the built-in schema: `email` is the password and code identifier
    /// and the verification and recovery address.
    fn person(&self, email: &str) -> Identity {
        let mut identity = Identity::new("default", json!({ "email": email }), self.clock.now());
        identity.validate(&self.schemas, self.clock.now()).unwrap();
        identity
    }

    async fn created(&self, email: &str) -> Identity {
        let mut identity = self.person(email);
        self.store.create(&mut identity).await.unwrap();
        identity
    }

    /// Moves `identity` to new traits, re-deriving identifiers and addresses.
    fn retrait(&self, identity: &mut Identity, traits: Value) {
        identity.traits = traits;
        identity.validate(&self.schemas, self.clock.now()).unwrap();
    }

    async fn holder(&self, claim: &Claim) -> Option<IdentityId> {
        let key = match claim {
            Claim::Identifier {
                credentials_type,
                identifier,
            } => keys::identifier(credentials_type.as_str(), identifier),
            Claim::VerifiableAddress { via, value } => {
                keys::verifiable_address(via.as_str(), value)
            }
            Claim::RecoveryAddress { via, value } => keys::recovery_address(via.as_str(), value),
        };
        let item = self.table.get(&key).await.unwrap()?;
        Some(item.body["identity_id"].as_str().unwrap().parse().unwrap())
    }

    /// The stored document of `id` and the claim items agree: every claim it lists is held
    /// by it. Returns the stored identity.
    async fn assert_consistent(&self, id: IdentityId) -> Identity {
        let stored = self.store.get(id).await.unwrap();
        for claim in stored.claims() {
            assert_eq!(
                self.holder(&claim).await,
                Some(id),
                "{claim} is listed by {id} but not held by it"
            );
        }
        stored
    }

    async fn put_raw(&self, item: Item) {
        self.table
            .write(vec![WriteOp::Put {
                item,
                condition: Condition::None,
            }])
            .await
            .unwrap();
    }

    async fn session_of(&self, identity: IdentityId) -> SessionId {
        let id = SessionId::new();
        let item = Item::new(
            keys::session(id),
            kind::SESSION,
            json!({ "identity_id": identity }),
        )
        .with_gsi1(keys::session_by_identity(identity, self.clock.now(), id));
        self.put_raw(item).await;
        id
    }

    async fn flow_of(&self, identity: IdentityId) -> FlowId {
        let id = FlowId::new();
        let item = Item::new(
            keys::flow(id),
            kind::FLOW,
            json!({ "identity_id": identity }),
        )
        .with_gsi1(keys::flow_by_identity(identity, id));
        self.put_raw(item).await;
        id
    }

    async fn list(
        &self,
        query: ListQuery,
    ) -> (Vec<IdentityId>, Option<kratos_core::store::PageCursor>) {
        let page = self.store.list(&query).await.unwrap();
        (page.identities.iter().map(|i| i.id).collect(), page.next)
    }

    /// Every page of a listing, following cursors.
    async fn list_all(&self, mut query: ListQuery) -> Vec<Vec<IdentityId>> {
        let mut pages = Vec::new();
        loop {
            let (ids, next) = self.list(query.clone()).await;
            pages.push(ids);
            match next {
                Some(next) => query.cursor = Some(next),
                None => return pages,
            }
            assert!(pages.len() < 100, "the listing does not end");
        }
    }
}

fn password_claim(identifier: &str) -> Claim {
    Claim::Identifier {
        credentials_type: CredentialsType::Password,
        identifier: identifier.into(),
    }
}

fn sorted(mut ids: Vec<IdentityId>) -> Vec<IdentityId> {
    ids.sort();
    ids
}

// ---- create and read ---------------------------------------------------------------

async fn create_then_get_round_trips_the_whole_document(backend: Backend) {
    let f = fixture(backend).await;
    let mut identity = f.person("Alice@Example.org");
    identity.metadata_public = Some(json!({"plan": "free"}));
    identity.metadata_admin = Some(json!({"crm": 42}));
    identity.upsert_credentials(
        CredentialsType::Password,
        json!({"hashed_password": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"}),
        f.clock.now(),
    );
    f.store.create(&mut identity).await.unwrap();
    assert_eq!(identity.version(), 1);

    let read = f.store.get(identity.id).await.unwrap();
    assert_eq!(read, identity);
    assert_eq!(read.version(), 1);
    assert_eq!(
        read.credentials(CredentialsType::Password)
            .unwrap()
            .identifiers,
        ["alice@example.org"]
    );
    assert_eq!(read.verifiable_addresses[0].value, "alice@example.org");
    assert_eq!(read.created_at, f.clock.now());
    f.assert_consistent(identity.id).await;
}

async fn a_missing_identity_is_not_found(backend: Backend) {
    let f = fixture(backend).await;
    let id = IdentityId::new();
    assert!(
        matches!(f.store.get(id).await, Err(IdentityError::NotFound(missing)) if missing == id)
    );
    assert!(
        f.store
            .find_by_identifier(CredentialsType::Password, "nobody@example.org")
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_taken_identifier_is_a_conflict_and_nothing_is_written(backend: Backend) {
    let f = fixture(backend).await;
    let first = f.created("taken@example.org").await;

    let mut second = f.person("TAKEN@Example.org");
    let oidc = second.upsert_credentials(
        CredentialsType::Oidc,
        json!({"providers": []}),
        f.clock.now(),
    );
    oidc.identifiers = vec![oidc_identifier("github", "unique-subject")];
    let err = f.store.create(&mut second).await.unwrap_err();
    let IdentityError::Conflict { claim, holder } = err else {
        panic!("expected a conflict, got {err:?}");
    };
    assert_eq!(holder, Some(first.id));
    assert!(
        matches!(claim, Claim::Identifier { ref identifier, .. } if identifier == "taken@example.org")
    );

    assert!(matches!(
        f.store.get(second.id).await,
        Err(IdentityError::NotFound(_))
    ));
    assert!(
        f.store
            .find_by_identifier(CredentialsType::Oidc, "github:unique-subject")
            .await
            .unwrap()
            .is_none(),
        "the unique claims of the refused identity must not be written"
    );
    f.assert_consistent(first.id).await;
}

async fn a_taken_verifiable_address_alone_is_a_conflict(backend: Backend) {
    let f = fixture(backend).await;
    let first = f.created("shared@example.org").await;
    // No identifiers at all: only the addresses can collide.
    let mut second = Identity::new("default", json!({}), f.clock.now());
    second.import_addresses(
        vec![ImportedVerifiableAddress {
            value: "Shared@Example.org".into(),
            verified: true,
            via: AddressVia::Email,
            status: None,
            verified_at: None,
        }],
        vec![],
        f.clock.now(),
    );
    let err = f.store.create(&mut second).await.unwrap_err();
    assert!(
        matches!(
            &err,
            IdentityError::Conflict { claim: Claim::VerifiableAddress { via: AddressVia::Email, value }, holder: Some(h) }
                if value == "shared@example.org" && *h == first.id
        ),
        "{err:?}"
    );
}

async fn two_concurrent_creates_with_the_same_email_leave_exactly_one(backend: Backend) {
    let f = fixture(backend).await;
    let mut tasks = Vec::new();
    for n in 0..6 {
        let store = f.store.clone();
        // Differently written, identical once normalised.
        let mut identity = f.person(if n % 2 == 0 {
            "race@example.org"
        } else {
            "RACE@example.org"
        });
        tasks.push(tokio::spawn(async move {
            let result = store.create(&mut identity).await;
            (identity.id, result)
        }));
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (id, Ok(())) => winners.push(id),
            (id, Err(IdentityError::Conflict { .. })) => losers.push(id),
            (_, Err(other)) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let holder = f
        .store
        .find_by_identifier(CredentialsType::Password, "race@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holder.id, winners[0]);
    f.assert_consistent(winners[0]).await;
    for loser in losers {
        assert!(matches!(
            f.store.get(loser).await,
            Err(IdentityError::NotFound(_))
        ));
    }
}

async fn lookups_normalise_what_they_are_given(backend: Backend) {
    let f = fixture(backend).await;
    let identity = f.created("mixed@example.org").await;
    for written in ["mixed@example.org", " MIXED@Example.ORG "] {
        for (found, what) in [
            (
                f.store
                    .find_by_identifier(CredentialsType::Password, written)
                    .await
                    .unwrap(),
                "password identifier",
            ),
            (
                f.store
                    .find_by_identifier(CredentialsType::Code, written)
                    .await
                    .unwrap(),
                "code identifier",
            ),
            (
                f.store
                    .find_by_verifiable_address(AddressVia::Email, written)
                    .await
                    .unwrap(),
                "verifiable address",
            ),
            (
                f.store
                    .find_by_recovery_address(AddressVia::Email, written)
                    .await
                    .unwrap(),
                "recovery address",
            ),
        ] {
            assert_eq!(found.map(|i| i.id), Some(identity.id), "{what} `{written}`");
        }
    }
    assert!(
        f.store
            .find_by_verifiable_address(AddressVia::Sms, "mixed@example.org")
            .await
            .unwrap()
            .is_none(),
        "addresses are unique per channel"
    );
}

async fn identifier_claims_lists_every_type_holding_an_identifier(backend: Backend) {
    let f = fixture(backend).await;
    let identity = f.created("claims@example.org").await;
    let mut claims = f
        .store
        .identifier_claims("claims@example.org")
        .await
        .unwrap();
    claims.sort_by_key(|c| c.credentials_type);
    let types: Vec<CredentialsType> = claims.iter().map(|c| c.credentials_type).collect();
    assert_eq!(types, [CredentialsType::Password, CredentialsType::Code]);
    assert!(
        claims
            .iter()
            .all(|c| c.identity_id == identity.id && c.identifier == "claims@example.org")
    );
    assert!(
        f.store
            .identifier_claims("other@example.org")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn get_many_returns_the_existing_identities_in_id_order(backend: Backend) {
    let f = fixture(backend).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(f.created(&format!("many{n}@example.org")).await.id);
    }
    let mut asked: Vec<IdentityId> = (0..120).map(|_| IdentityId::new()).collect();
    asked.extend(ids.iter().copied());
    asked.push(ids[0]);
    let found: Vec<IdentityId> = f
        .store
        .get_many(&asked)
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(found, sorted(ids));
}

// ---- update ------------------------------------------------------------------------

async fn an_update_that_changes_the_email_moves_every_claim_atomically(backend: Backend) {
    let f = fixture(backend).await;
    let mut identity = f.created("old@example.org").await;
    f.clock.advance(std::time::Duration::from_secs(60));
    f.retrait(&mut identity, json!({"email": "new@example.org"}));
    f.store.update(&mut identity).await.unwrap();
    assert_eq!(identity.version(), 2);

    let stored = f.assert_consistent(identity.id).await;
    assert_eq!(stored, identity);
    assert_eq!(stored.updated_at, f.clock.now());
    assert!(stored.updated_at > stored.created_at);
    for old in [
        password_claim("old@example.org"),
        Claim::VerifiableAddress {
            via: AddressVia::Email,
            value: "old@example.org".into(),
        },
        Claim::RecoveryAddress {
            via: AddressVia::Email,
            value: "old@example.org".into(),
        },
        Claim::Identifier {
            credentials_type: CredentialsType::Code,
            identifier: "old@example.org".into(),
        },
    ] {
        assert_eq!(f.holder(&old).await, None, "{old} must be released");
    }
    // The released email can be registered again at once.
    let other = f.created("old@example.org").await;
    f.assert_consistent(other.id).await;
}

async fn an_update_without_claim_changes_keeps_the_claims(backend: Backend) {
    let f = fixture(backend).await;
    let mut identity = f.created("same@example.org").await;
    identity.metadata_public = Some(json!({"n": 1}));
    identity.set_state(IdentityState::Inactive, f.clock.now());
    f.store.update(&mut identity).await.unwrap();
    let stored = f.assert_consistent(identity.id).await;
    assert_eq!(stored.metadata_public, Some(json!({"n": 1})));
    assert_eq!(stored.state, IdentityState::Inactive);
}

async fn a_stale_update_is_rejected_and_changes_nothing(backend: Backend) {
    let f = fixture(backend).await;
    let mut first = f.created("stale@example.org").await;
    let mut second = first.clone();
    f.retrait(&mut first, json!({"email": "first@example.org"}));
    f.store.update(&mut first).await.unwrap();

    f.retrait(&mut second, json!({"email": "second@example.org"}));
    let err = f.store.update(&mut second).await.unwrap_err();
    assert!(
        matches!(err, IdentityError::Stale(id) if id == first.id),
        "{err:?}"
    );
    assert_eq!(f.assert_consistent(first.id).await, first);
    assert_eq!(f.holder(&password_claim("second@example.org")).await, None);
}

async fn concurrent_updates_of_one_identity_let_exactly_one_win(backend: Backend) {
    let f = fixture(backend).await;
    let identity = f.created("both@example.org").await;
    let mut tasks = Vec::new();
    for n in 0..4 {
        let store = f.store.clone();
        let mut copy = identity.clone();
        f.retrait(
            &mut copy,
            json!({"email": format!("variant{n}@example.org")}),
        );
        tasks.push(tokio::spawn(async move { store.update(&mut copy).await }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(IdentityError::Stale(_)) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(won, 1);
    let stored = f.assert_consistent(identity.id).await;
    assert_eq!(stored.version(), 2);
    let mut held = 0;
    for n in 0..4 {
        if f.holder(&password_claim(&format!("variant{n}@example.org")))
            .await
            .is_some()
        {
            held += 1;
        }
    }
    assert_eq!(held, 1, "only the winner's email is claimed");
}

async fn two_identities_racing_for_one_identifier_stay_consistent(backend: Backend) {
    let f = fixture(backend).await;
    let a = f.created("a@example.org").await;
    let b = f.created("b@example.org").await;
    let mut tasks = Vec::new();
    for identity in [&a, &b] {
        let store = f.store.clone();
        let mut copy = identity.clone();
        f.retrait(&mut copy, json!({"email": "wanted@example.org"}));
        tasks.push(tokio::spawn(async move {
            let result = store.update(&mut copy).await;
            (copy.id, result)
        }));
    }
    let mut winner = None;
    let mut loser = None;
    for task in tasks {
        match task.await.unwrap() {
            (id, Ok(())) => winner = Some(id),
            (id, Err(IdentityError::Conflict { claim, .. })) => {
                assert!(
                    matches!(claim, Claim::Identifier { ref identifier, .. } | Claim::VerifiableAddress { value: ref identifier, .. } | Claim::RecoveryAddress { value: ref identifier, .. } if identifier == "wanted@example.org")
                );
                loser = Some(id);
            }
            (_, Err(other)) => panic!("unexpected error: {other:?}"),
        }
    }
    let (winner, loser) = (
        winner.expect("one update wins"),
        loser.expect("one update loses"),
    );
    assert_eq!(
        f.holder(&password_claim("wanted@example.org")).await,
        Some(winner)
    );
    let winner_doc = f.assert_consistent(winner).await;
    assert_eq!(winner_doc.traits["email"], "wanted@example.org");
    let loser_doc = f.assert_consistent(loser).await;
    assert_eq!(loser_doc.version(), 1, "the losing update wrote nothing");
    let old = if loser == a.id {
        "a@example.org"
    } else {
        "b@example.org"
    };
    assert_eq!(loser_doc.traits["email"], old);
    assert_eq!(f.holder(&password_claim(old)).await, Some(loser));
}

async fn an_update_and_a_create_racing_for_one_identifier_stay_consistent(backend: Backend) {
    let f = fixture(backend).await;
    for round in 0..3 {
        let wanted = format!("contested{round}@example.org");
        let existing = f.created(&format!("existing{round}@example.org")).await;
        let mut moved = existing.clone();
        f.retrait(&mut moved, json!({ "email": wanted }));
        let mut newcomer = f.person(&wanted);
        let newcomer_id = newcomer.id;
        let update = {
            let store = f.store.clone();
            tokio::spawn(async move { store.update(&mut moved).await })
        };
        let create = {
            let store = f.store.clone();
            tokio::spawn(async move { store.create(&mut newcomer).await })
        };
        let (update, create) = (update.await.unwrap(), create.await.unwrap());
        let winner = match (update, create) {
            (Ok(()), Err(IdentityError::Conflict { .. })) => existing.id,
            (Err(IdentityError::Conflict { .. }), Ok(())) => newcomer_id,
            other => panic!("expected exactly one winner, got {other:?}"),
        };
        assert_eq!(f.holder(&password_claim(&wanted)).await, Some(winner));
        f.assert_consistent(winner).await;
        if winner == existing.id {
            assert!(matches!(
                f.store.get(newcomer_id).await,
                Err(IdentityError::NotFound(_))
            ));
        } else {
            let unchanged = f.assert_consistent(existing.id).await;
            assert_eq!(unchanged.version(), 1);
            assert_eq!(
                f.holder(&password_claim(&format!("existing{round}@example.org")))
                    .await,
                Some(existing.id)
            );
        }
    }
}

async fn updating_a_deleted_identity_is_not_found(backend: Backend) {
    let f = fixture(backend).await;
    let mut identity = f.created("gone@example.org").await;
    f.store.delete(identity.id).await.unwrap();
    identity.metadata_public = Some(json!(1));
    assert!(matches!(
        f.store.update(&mut identity).await,
        Err(IdentityError::NotFound(_))
    ));
    let mut never_stored = f.person("never@example.org");
    assert!(matches!(
        f.store.update(&mut never_stored).await,
        Err(IdentityError::NotFound(_))
    ));
}

async fn verification_state_survives_updates(backend: Backend) {
    let f = fixture(backend).await;
    let mut identity = f.created("verify@example.org").await;
    identity
        .verifiable_address_mut(AddressVia::Email, "verify@example.org")
        .unwrap()
        .mark_verified(f.clock.now());
    f.store.update(&mut identity).await.unwrap();

    let mut read = f.store.get(identity.id).await.unwrap();
    let address_id = read.verifiable_addresses[0].id;
    // Re-validating the same traits (any admin update does) keeps the state.
    f.retrait(&mut read, json!({"email": "Verify@Example.org"}));
    read.metadata_admin = Some(json!({"touched": true}));
    f.store.update(&mut read).await.unwrap();
    let stored = f.assert_consistent(identity.id).await;
    let address = &stored.verifiable_addresses[0];
    assert_eq!(address.id, address_id);
    assert!(address.verified);
    assert_eq!(address.status, VerificationStatus::Completed);
    assert_eq!(address.verified_at, Some(f.clock.now()));
}

async fn oversized_identities_are_refused_before_writing(backend: Backend) {
    let f = fixture(backend).await;
    let mut many = f.person("many@example.org");
    let oidc = many.upsert_credentials(CredentialsType::Oidc, json!({}), f.clock.now());
    oidc.identifiers = (0..100).map(|n| format!("github:{n}")).collect();
    assert!(matches!(
        f.store.create(&mut many).await,
        Err(IdentityError::TooLarge(_))
    ));
    assert!(
        f.store
            .find_by_identifier(CredentialsType::Oidc, "github:0")
            .await
            .unwrap()
            .is_none()
    );

    let mut long = f.person("long@example.org");
    let oidc = long.upsert_credentials(CredentialsType::Oidc, json!({}), f.clock.now());
    oidc.identifiers = vec!["x".repeat(5000)];
    assert!(matches!(
        f.store.create(&mut long).await,
        Err(IdentityError::TooLarge(_))
    ));

    let mut heavy = f.created("heavy@example.org").await;
    heavy.metadata_admin = Some(json!({"blob": "y".repeat(400 * 1024)}));
    assert!(matches!(
        f.store.update(&mut heavy).await,
        Err(IdentityError::TooLarge(_))
    ));
    assert_eq!(f.store.get(heavy.id).await.unwrap().metadata_admin, None);

    let mut empty = f.person("empty@example.org");
    let oidc = empty.upsert_credentials(CredentialsType::Oidc, json!({}), f.clock.now());
    oidc.identifiers = vec![String::new()];
    assert!(matches!(
        f.store.create(&mut empty).await,
        Err(IdentityError::Invalid(_))
    ));
    // Looking up absurd values is simply a miss, never a storage error.
    assert!(
        f.store
            .find_by_identifier(CredentialsType::Oidc, &"z".repeat(5000))
            .await
            .unwrap()
            .is_none()
    );
}

// ---- delete ------------------------------------------------------------------------

async fn delete_removes_the_identity_its_claims_sessions_and_flows(backend: Backend) {
    let f = fixture(backend).await;
    let doomed = f.created("doomed@example.org").await;
    let bystander = f.created("bystander@example.org").await;
    let mut sessions = Vec::new();
    for _ in 0..105 {
        sessions.push(f.session_of(doomed.id).await);
    }
    let flows = [f.flow_of(doomed.id).await, f.flow_of(doomed.id).await];
    let kept_session = f.session_of(bystander.id).await;
    let kept_flow = f.flow_of(bystander.id).await;

    f.store.delete(doomed.id).await.unwrap();

    assert!(matches!(
        f.store.get(doomed.id).await,
        Err(IdentityError::NotFound(_))
    ));
    for claim in doomed.claims() {
        assert_eq!(
            f.holder(&claim).await,
            None,
            "{claim} outlived its identity"
        );
    }
    for session in &sessions {
        assert!(
            f.table
                .get(&keys::session(*session))
                .await
                .unwrap()
                .is_none()
        );
    }
    for flow in &flows {
        assert!(f.table.get(&keys::flow(*flow)).await.unwrap().is_none());
    }
    assert!(
        f.table
            .get(&keys::session(kept_session))
            .await
            .unwrap()
            .is_some()
    );
    assert!(f.table.get(&keys::flow(kept_flow)).await.unwrap().is_some());
    f.assert_consistent(bystander.id).await;

    // Nothing left over blocks registering the same email again.
    let again = f.created("doomed@example.org").await;
    f.assert_consistent(again.id).await;
}

async fn deleting_a_missing_identity_is_not_found_and_still_cleans_up(backend: Backend) {
    let f = fixture(backend).await;
    let ghost = IdentityId::new();
    let orphan = f.session_of(ghost).await;
    assert!(matches!(f.store.delete(ghost).await, Err(IdentityError::NotFound(id)) if id == ghost));
    assert!(f.table.get(&keys::session(orphan)).await.unwrap().is_none());
}

// ---- list --------------------------------------------------------------------------

async fn list_pages_through_identities_in_id_order(backend: Backend) {
    let f = fixture(backend).await;
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(f.created(&format!("list{n}@example.org")).await.id);
    }
    let pages = f
        .list_all(ListQuery {
            page_size: 3,
            ..Default::default()
        })
        .await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    assert_eq!(pages.concat(), sorted(ids.clone()));

    // An exactly full last page promises no further one.
    let pages = f
        .list_all(ListQuery {
            page_size: 7,
            ..Default::default()
        })
        .await;
    assert_eq!(pages.len(), 1);
    // Sizes beyond the limits are clamped, not refused.
    let (all, next) = f
        .list(ListQuery {
            page_size: 0,
            ..Default::default()
        })
        .await;
    assert_eq!((all.len(), next.is_some()), (1, true));
}

async fn list_skips_expired_items_and_dangling_claims(backend: Backend) {
    let f = fixture(backend).await;
    let real = f.created("real@example.org").await;
    // An expired item in the identity listing, and a claim pointing at no identity.
    let ghost = IdentityId::new();
    f.put_raw(
        Item::new(
            keys::identity(ghost),
            kind::IDENTITY,
            json!({"not": "an identity"}),
        )
        .with_gsi1(keys::identity_listing(ghost))
        .expiring_at(f.clock.unix() - 1),
    )
    .await;
    f.put_raw(
        Item::new(
            keys::identifier("password", "dangling@example.org"),
            kind::IDENTIFIER,
            json!({"identity_id": ghost, "type": "password", "identifier": "dangling@example.org"}),
        )
        .with_gsi1(keys::identifier_listing("password", "dangling@example.org")),
    )
    .await;

    let (all, _) = f
        .list(ListQuery {
            page_size: 10,
            ..Default::default()
        })
        .await;
    assert_eq!(all, [real.id]);
    let (exact, _) = f
        .list(ListQuery {
            page_size: 10,
            credentials_identifier: Some("dangling@example.org".into()),
            ..Default::default()
        })
        .await;
    assert!(exact.is_empty());
    let (similar, _) = f
        .list(ListQuery {
            page_size: 10,
            credentials_identifier_similar: Some("dangling".into()),
            ..Default::default()
        })
        .await;
    assert!(similar.is_empty());
    assert!(
        f.store
            .find_by_identifier(CredentialsType::Password, "dangling@example.org")
            .await
            .unwrap()
            .is_none()
    );
}

async fn list_filters_by_ids(backend: Backend) {
    let f = fixture(backend).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(f.created(&format!("ids{n}@example.org")).await.id);
    }
    let mut wanted: Vec<IdentityId> = ids[..4].to_vec();
    wanted.extend((0..3).map(|_| IdentityId::new()));
    let pages = f
        .list_all(ListQuery {
            page_size: 2,
            ids: Some(wanted),
            ..Default::default()
        })
        .await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);
    assert_eq!(pages.concat(), sorted(ids[..4].to_vec()));

    let (all, _) = f
        .list(ListQuery {
            page_size: 10,
            ids: Some(Vec::new()),
            ..Default::default()
        })
        .await;
    assert_eq!(all.len(), 5, "an empty ids list filters nothing");

    let too_many = ListQuery {
        page_size: 10,
        ids: Some((0..501).map(|_| IdentityId::new()).collect()),
        ..Default::default()
    };
    assert!(matches!(
        f.store.list(&too_many).await,
        Err(ListError::TooManyIds {
            given: 501,
            max: 500
        })
    ));
}

async fn list_filters_by_exact_identifier(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.created("alice@example.org").await;
    let _bob = f.created("bob@example.org").await;
    let mut social = f.created("social@example.org").await;
    let oidc = social.upsert_credentials(
        CredentialsType::Oidc,
        json!({"providers": []}),
        f.clock.now(),
    );
    oidc.identifiers = vec![oidc_identifier("GitHub", "Sub")];
    f.store.update(&mut social).await.unwrap();

    let exact = |identifier: &str| ListQuery {
        page_size: 10,
        credentials_identifier: Some(identifier.into()),
        ..Default::default()
    };
    assert_eq!(f.list(exact(" ALICE@example.org")).await.0, [alice.id]);
    assert_eq!(
        f.list(exact("GitHub:Sub")).await.0,
        [social.id],
        "oidc matches as given"
    );
    assert!(
        f.list(exact("github:sub")).await.0.is_empty(),
        "oidc is case-sensitive"
    );
    assert!(
        f.list(exact("alice")).await.0.is_empty(),
        "exact means exact"
    );
    let mut with_ids = exact("alice@example.org");
    with_ids.ids = Some(vec![social.id]);
    assert!(
        f.list(with_ids).await.0.is_empty(),
        "filters combine with AND"
    );
}

async fn list_filters_by_identifier_prefix(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.created("alice@example.org").await;
    let alina = f.created("alina@example.org").await;
    let _bob = f.created("bob@example.org").await;
    let similar = |prefix: &str, size: usize| ListQuery {
        page_size: size,
        credentials_identifier_similar: Some(prefix.into()),
        ..Default::default()
    };
    // Each of them holds the email as a password and a code identifier, yet shows once.
    let (found, next) = f.list(similar(" ALI", 10)).await;
    assert_eq!(found, [alice.id, alina.id], "ordered by identifier");
    assert!(next.is_none());
    let pages = f.list_all(similar("ali", 1)).await;
    assert_eq!(pages, [vec![alice.id], vec![alina.id]]);
    assert!(f.list(similar("carol", 10)).await.0.is_empty());
    let mut with_ids = similar("ali", 10);
    with_ids.ids = Some(vec![alina.id]);
    assert_eq!(f.list(with_ids).await.0, [alina.id]);
}

async fn list_refuses_contradictory_filters_and_foreign_cursors(backend: Backend) {
    let f = fixture(backend).await;
    let identity = f.created("cursor@example.org").await;
    let both = ListQuery {
        page_size: 10,
        credentials_identifier: Some("a".into()),
        credentials_identifier_similar: Some("a".into()),
        ..Default::default()
    };
    assert!(matches!(
        f.store.list(&both).await,
        Err(ListError::ConflictingIdentifierFilters)
    ));
    let identity_cursor_for_prefix_search = ListQuery {
        page_size: 10,
        cursor: Some(identity_cursor(identity.id)),
        credentials_identifier_similar: Some("c".into()),
        ..Default::default()
    };
    assert!(matches!(
        f.store.list(&identity_cursor_for_prefix_search).await,
        Err(ListError::InvalidCursor)
    ));
    let mut prefix_cursor = identity_cursor(identity.id);
    prefix_cursor.index_pk = keys::IDENTIFIER_LISTING.into();
    let foreign = ListQuery {
        page_size: 10,
        cursor: Some(prefix_cursor),
        ..Default::default()
    };
    assert!(matches!(
        f.store
            .list(&ListQuery {
                ids: Some(vec![identity.id]),
                ..foreign
            })
            .await,
        Err(ListError::InvalidCursor)
    ));
}

async fn listed_identities_carry_their_version_for_updates(backend: Backend) {
    let f = fixture(backend).await;
    f.created("listed@example.org").await;
    let mut page = f
        .store
        .list(&ListQuery {
            page_size: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut identity = page.identities.remove(0);
    f.retrait(&mut identity, json!({"email": "relisted@example.org"}));
    f.store.update(&mut identity).await.unwrap();
    f.assert_consistent(identity.id).await;
    let page = f
        .store
        .list(&ListQuery {
            page_size: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.identities.len(), 1);
    assert_eq!(page.identities[0].version(), 2);
    assert_eq!(page.identities[0].traits["email"], "relisted@example.org");
}

/// A companion item for `create_with`/`update_with` (what a session is to registration).
fn companion(key: &str) -> Item {
    Item::new(
        kratos_core::store::Key::new(key, "X"),
        "companion",
        json!({"n": 1}),
    )
}

async fn create_with_writes_companions_atomically(backend: Backend) {
    let f = fixture(backend).await;
    let mut identity = f.person("with@example.org");
    f.store
        .create_with(
            &mut identity,
            vec![WriteOp::Put {
                item: companion("COMPANION#1"),
                condition: Condition::Absent,
            }],
        )
        .await
        .unwrap();
    assert_eq!(identity.version(), 1);
    assert!(
        f.table
            .get(&companion("COMPANION#1").key)
            .await
            .unwrap()
            .is_some()
    );
    f.assert_consistent(identity.id).await;

    // A companion whose condition fails stops everything, and names its own position.
    let mut refused = f.person("refused@example.org");
    let err = f
        .store
        .create_with(
            &mut refused,
            vec![
                WriteOp::Put {
                    item: companion("COMPANION#2"),
                    condition: Condition::Absent,
                },
                WriteOp::Put {
                    item: companion("COMPANION#1"),
                    condition: Condition::Absent,
                },
            ],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            IdentityError::Store(kratos_core::store::StoreError::ConditionFailed { index: 1 })
        ),
        "{err:?}"
    );
    assert!(matches!(
        f.store.get(refused.id).await,
        Err(IdentityError::NotFound(_))
    ));
    assert!(
        f.table
            .get(&companion("COMPANION#2").key)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .find_by_identifier(CredentialsType::Password, "refused@example.org")
            .await
            .unwrap()
            .is_none()
    );
}

async fn update_with_writes_companions_atomically(backend: Backend) {
    let f = fixture(backend).await;
    let mut identity = f.created("upd-with@example.org").await;
    f.retrait(&mut identity, json!({"email": "moved@example.org"}));
    let failed = f
        .store
        .update_with(
            &mut identity.clone(),
            vec![WriteOp::Put {
                item: companion("COMPANION#3"),
                condition: Condition::Present,
            }],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            failed,
            IdentityError::Store(kratos_core::store::StoreError::ConditionFailed { index: 0 })
        ),
        "{failed:?}"
    );
    assert!(
        f.store
            .find_by_identifier(CredentialsType::Password, "moved@example.org")
            .await
            .unwrap()
            .is_none(),
        "nothing of the refused update is written"
    );
    f.store
        .update_with(
            &mut identity,
            vec![WriteOp::Put {
                item: companion("COMPANION#3"),
                condition: Condition::Absent,
            }],
        )
        .await
        .unwrap();
    assert_eq!(identity.version(), 2);
    assert!(
        f.table
            .get(&companion("COMPANION#3").key)
            .await
            .unwrap()
            .is_some()
    );
    f.assert_consistent(identity.id).await;
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(kratos_core::testing::Backend::Sqlite).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(kratos_core::testing::Backend::DynamoDb).await;
                }
            )*
        }
    };
}

contract!(
    create_then_get_round_trips_the_whole_document,
    a_missing_identity_is_not_found,
    a_taken_identifier_is_a_conflict_and_nothing_is_written,
    a_taken_verifiable_address_alone_is_a_conflict,
    two_concurrent_creates_with_the_same_email_leave_exactly_one,
    lookups_normalise_what_they_are_given,
    identifier_claims_lists_every_type_holding_an_identifier,
    get_many_returns_the_existing_identities_in_id_order,
    an_update_that_changes_the_email_moves_every_claim_atomically,
    an_update_without_claim_changes_keeps_the_claims,
    a_stale_update_is_rejected_and_changes_nothing,
    concurrent_updates_of_one_identity_let_exactly_one_win,
    two_identities_racing_for_one_identifier_stay_consistent,
    an_update_and_a_create_racing_for_one_identifier_stay_consistent,
    updating_a_deleted_identity_is_not_found,
    verification_state_survives_updates,
    oversized_identities_are_refused_before_writing,
    delete_removes_the_identity_its_claims_sessions_and_flows,
    deleting_a_missing_identity_is_not_found_and_still_cleans_up,
    list_pages_through_identities_in_id_order,
    list_skips_expired_items_and_dangling_claims,
    list_filters_by_ids,
    list_filters_by_exact_identifier,
    list_filters_by_identifier_prefix,
    list_refuses_contradictory_filters_and_foreign_cursors,
    listed_identities_carry_their_version_for_updates,
    create_with_writes_companions_atomically,
    update_with_writes_companions_atomically,
);
