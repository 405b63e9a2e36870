//! The session repository's contract, run against SQLite and against DynamoDB (moto's
//! server): whoami by token in one request, refusal of wrong, forged and foreign tokens,
//! expiry and revocation, listings and their pages, bulk revocation, extension, deletion,
//! and consistency with identity deletion.

use std::sync::Arc;
use std::time::Duration;

use kratos_core::clock::{Clock, ManualClock, SharedClock};
use kratos_core::identity::{CredentialsType, Identity, IdentityState, IdentityStore};
use kratos_core::ids::{IdentityId, SessionId};
use kratos_core::schema::SchemaRegistry;
use kratos_core::session::{
    Aal, AalPolicy, AuthenticationMethod, DeviceInfo, Extension, IssuedSession, LogoutToken,
    LogoutTokens, RequiredAal, SessionError, SessionListQuery, SessionManager, SessionSettings,
    SessionToken,
};
use kratos_core::store::counting::CountingTable;
use kratos_core::store::{PageCursor, SharedTable};
use kratos_core::testing::Backend;
use serde_json::json;
use time::macros::datetime;

const DAY: Duration = Duration::from_secs(24 * 3600);

struct Fixture {
    counter: Arc<CountingTable>,
    clock: Arc<ManualClock>,
    identities: IdentityStore,
    sessions: SessionManager,
    schemas: SchemaRegistry,
}

async fn fixture(backend: Backend) -> Fixture {
    fixture_with(backend, None).await
}

async fn fixture_with(backend: Backend, earliest: Option<Duration>) -> Fixture {
    let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 00:00:00 UTC)));
    let shared: SharedClock = clock.clone();
    let counter = CountingTable::new(backend.fresh_table(shared.clone()).await);
    let table: SharedTable = counter.clone();
    let settings = SessionSettings {
        lifespan: DAY,
        earliest_possible_extend: earliest,
        whoami_required_aal: RequiredAal::HighestAvailable,
        aal_policy: AalPolicy::default(),
    };
    Fixture {
        identities: IdentityStore::new(table.clone(), shared.clone()),
        sessions: SessionManager::new(
            table,
            shared,
            settings,
            LogoutTokens::new(&["a-secret-for-logout-tokens"]),
        ),
        counter,
        clock,
        schemas: SchemaRegistry::builtin(),
    }
}

impl Fixture {
    async fn person(&self, email: &str) -> Identity {
        let now = self.clock.now();
        let mut identity = Identity::new("default", json!({ "email": email }), now);
        identity.upsert_credentials(
            CredentialsType::Password,
            json!({"hashed_password": "$argon2id$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaA"}),
            now,
        );
        identity.validate(&self.schemas, now).unwrap();
        self.identities.create(&mut identity).await.unwrap();
        identity
    }

    async fn login(&self, identity: &Identity) -> IssuedSession {
        self.sessions
            .issue(
                identity,
                AuthenticationMethod::first_factor(CredentialsType::Password, self.clock.now()),
                DeviceInfo {
                    ip_address: Some("192.0.2.1".into()),
                    user_agent: Some("test-agent".into()),
                    location: Some(String::new()),
                },
            )
            .await
            .unwrap()
    }

    fn tick(&self) {
        // Sessions are listed by creation time; keep each one distinct.
        self.clock.advance(Duration::from_millis(5));
    }

    fn query(&self, size: usize) -> SessionListQuery {
        SessionListQuery {
            page_size: size,
            ..Default::default()
        }
    }
}

fn is_inactive(result: Result<impl std::fmt::Debug, SessionError>) -> bool {
    matches!(result, Err(SessionError::NoActiveSession { .. }))
}

async fn a_token_finds_its_session_and_identity_in_one_batch_get(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    f.counter.take();
    let (session, identity) = f.sessions.authenticate(&issued.token).await.unwrap();
    let counts = f.counter.take();
    assert_eq!(counts.get_many, 1, "{counts}");
    assert_eq!(counts.total(), 1, "no other request, no write: {counts}");
    assert_eq!(session.id, issued.session.id);
    assert_eq!(identity.id, alice.id);
    assert_eq!(session.aal, Aal::Aal1);
    assert_eq!(session.devices.len(), 1);
    assert_eq!(session.devices[0].ip_address.as_deref(), Some("192.0.2.1"));
    assert!(session.is_active(f.clock.now(), Some(&identity)));
}

async fn wrong_forged_and_foreign_tokens_find_nothing(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let bob = f.person("bob@example.com").await;
    let a = f.login(&alice).await;
    let b = f.login(&bob).await;
    // Right IDs, wrong random part.
    let forged = SessionToken::generate(a.session.id, alice.id);
    assert!(is_inactive(f.sessions.authenticate(&forged).await));
    // Alice's session ID with Bob's identity ID (and a fresh secret).
    let mixed = SessionToken::generate(a.session.id, bob.id);
    assert!(is_inactive(f.sessions.authenticate(&mixed).await));
    // A session that does not exist, of a real identity.
    let unknown = SessionToken::generate(SessionId::new(), alice.id);
    assert!(is_inactive(f.sessions.authenticate(&unknown).await));
    // An identity that does not exist.
    let nobody = SessionToken::generate(a.session.id, IdentityId::new());
    assert!(is_inactive(f.sessions.authenticate(&nobody).await));
    // Each real token still finds only its own session.
    assert_eq!(
        f.sessions.authenticate(&b.token).await.unwrap().1.id,
        bob.id
    );
    assert_eq!(
        f.sessions.authenticate(&a.token).await.unwrap().0.id,
        a.session.id
    );
}

async fn expired_sessions_are_invisible(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    f.clock.advance(DAY - Duration::from_secs(1));
    assert!(f.sessions.authenticate(&issued.token).await.is_ok());
    f.clock.advance(Duration::from_secs(1));
    assert!(is_inactive(f.sessions.authenticate(&issued.token).await));
    assert!(matches!(
        f.sessions.store().get(issued.session.id).await,
        Err(SessionError::NotFound(_))
    ));
    let page = f
        .sessions
        .store()
        .list_by_identity(alice.id, &f.query(10))
        .await
        .unwrap();
    assert!(page.sessions.is_empty());
    assert!(matches!(
        f.sessions.extend(issued.session.id).await,
        Err(SessionError::NotFound(_))
    ));
}

async fn revoked_sessions_stop_authenticating_but_stay_listed_inactive(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    let revoked = f.sessions.store().revoke(issued.session.id).await.unwrap();
    assert!(!revoked.active);
    assert!(is_inactive(f.sessions.authenticate(&issued.token).await));
    let stored = f.sessions.store().get(issued.session.id).await.unwrap();
    assert!(!stored.is_active(f.clock.now(), None));
    // Revoking again is not an error and writes nothing.
    f.counter.take();
    f.sessions.store().revoke(issued.session.id).await.unwrap();
    assert_eq!(f.counter.take().write, 0);
    assert!(matches!(
        f.sessions.store().revoke(SessionId::new()).await,
        Err(SessionError::NotFound(_))
    ));
}

async fn a_disabled_identity_has_no_active_session(backend: Backend) {
    let f = fixture(backend).await;
    let mut alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    alice.set_state(IdentityState::Inactive, f.clock.now());
    f.identities.update(&mut alice).await.unwrap();
    assert!(is_inactive(f.sessions.authenticate(&issued.token).await));
    let refused = f
        .sessions
        .issue(
            &alice,
            AuthenticationMethod::first_factor(CredentialsType::Password, f.clock.now()),
            DeviceInfo::default(),
        )
        .await;
    assert!(matches!(refused, Err(SessionError::IdentityDisabled(_))));
}

async fn an_identitys_sessions_are_listed_newest_first_in_pages(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let bob = f.person("bob@example.com").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(f.login(&alice).await.session.id);
        f.tick();
    }
    f.login(&bob).await;
    ids.reverse();
    let store = f.sessions.store();
    let mut seen = Vec::new();
    let mut cursor: Option<PageCursor> = None;
    loop {
        let page = store
            .list_by_identity(
                alice.id,
                &SessionListQuery {
                    page_size: 2,
                    cursor: cursor.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(page.sessions.len() <= 2);
        seen.extend(page.sessions.iter().map(|s| s.id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    // Filters: only active ones, and all but one.
    store.revoke(ids[1]).await.unwrap();
    let active = store
        .list_by_identity(
            alice.id,
            &SessionListQuery {
                page_size: 10,
                active: Some(true),
                except: Some(ids[0]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let active: Vec<_> = active.sessions.iter().map(|s| s.id).collect();
    assert_eq!(active, vec![ids[2], ids[3], ids[4]]);
    let inactive = store
        .list_by_identity(
            alice.id,
            &SessionListQuery {
                page_size: 10,
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        inactive.sessions.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    // Kratos's legacy `page`: skip whole pages.
    let second = store
        .list_by_identity(
            alice.id,
            &SessionListQuery {
                page_size: 2,
                skip: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        second.sessions.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![ids[2], ids[3]]
    );
}

async fn all_sessions_are_listed_newest_first_with_the_active_filter(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let bob = f.person("bob@example.com").await;
    let mut ids = Vec::new();
    for person in [&alice, &bob, &alice, &bob] {
        ids.push(f.login(person).await.session.id);
        f.tick();
    }
    ids.reverse();
    let store = f.sessions.store();
    let first = store.list(&f.query(3)).await.unwrap();
    assert_eq!(
        first.sessions.iter().map(|s| s.id).collect::<Vec<_>>(),
        ids[..3]
    );
    let rest = store
        .list(&SessionListQuery {
            page_size: 3,
            cursor: first.next.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        rest.sessions.iter().map(|s| s.id).collect::<Vec<_>>(),
        ids[3..]
    );
    assert!(rest.next.is_none());
    store.revoke(ids[0]).await.unwrap();
    let active = store
        .list(&SessionListQuery {
            page_size: 10,
            active: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(active.sessions.len(), 3);
    assert!(active.sessions.iter().all(|s| s.id != ids[0]));
    // A cursor of one identity's listing is refused by the global one.
    let foreign = store
        .list_by_identity(alice.id, &f.query(1))
        .await
        .unwrap()
        .next
        .unwrap();
    assert!(matches!(
        store
            .list(&SessionListQuery {
                page_size: 1,
                cursor: Some(foreign),
                ..Default::default()
            })
            .await,
        Err(SessionError::InvalidCursor)
    ));
}

async fn revoking_the_others_keeps_the_current_session(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let bob = f.person("bob@example.com").await;
    let current = f.login(&alice).await;
    let others = [f.login(&alice).await, f.login(&alice).await];
    let already = f.login(&alice).await;
    f.sessions.store().revoke(already.session.id).await.unwrap();
    let bobs = f.login(&bob).await;
    let count = f
        .sessions
        .store()
        .revoke_all_except(alice.id, Some(current.session.id))
        .await
        .unwrap();
    assert_eq!(count, 2, "only the sessions that were active count");
    assert!(f.sessions.authenticate(&current.token).await.is_ok());
    for other in &others {
        assert!(is_inactive(f.sessions.authenticate(&other.token).await));
    }
    assert!(f.sessions.authenticate(&bobs.token).await.is_ok());
    assert_eq!(
        f.sessions
            .store()
            .revoke_all_except(alice.id, Some(current.session.id))
            .await
            .unwrap(),
        0
    );
}

async fn revoking_another_identitys_session_by_id_does_nothing(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let bob = f.person("bob@example.com").await;
    let bobs = f.login(&bob).await;
    let revoked = f
        .sessions
        .store()
        .revoke_of_identity(alice.id, bobs.session.id)
        .await
        .unwrap();
    assert!(!revoked);
    assert!(f.sessions.authenticate(&bobs.token).await.is_ok());
    assert!(
        !f.sessions
            .store()
            .revoke_of_identity(alice.id, SessionId::new())
            .await
            .unwrap()
    );
    assert!(
        f.sessions
            .store()
            .revoke_of_identity(bob.id, bobs.session.id)
            .await
            .unwrap()
    );
    assert!(is_inactive(f.sessions.authenticate(&bobs.token).await));
}

async fn extending_moves_the_expiry_unless_too_early(backend: Backend) {
    let f = fixture_with(backend, Some(Duration::from_secs(3600))).await;
    let alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    let original = issued.session.expires_at;
    f.counter.take();
    let early = f.sessions.extend(issued.session.id).await.unwrap();
    assert!(matches!(early, Extension::TooEarly(_)));
    assert_eq!(early.session().expires_at, original);
    assert_eq!(f.counter.take().write, 0, "too early writes nothing");
    f.clock.advance(DAY - Duration::from_secs(1800));
    let extended = f.sessions.extend(issued.session.id).await.unwrap();
    let Extension::Extended(session) = extended else {
        panic!("expected an extension, got {extended:?}");
    };
    assert_eq!(session.expires_at, f.clock.now() + DAY);
    let stored = f.sessions.store().get(issued.session.id).await.unwrap();
    assert_eq!(stored.expires_at, session.expires_at);
    // The old expiry has passed, yet the session lives on.
    f.clock.advance(Duration::from_secs(3600));
    assert!(f.sessions.authenticate(&issued.token).await.is_ok());
    assert!(matches!(
        f.sessions.extend(SessionId::new()).await,
        Err(SessionError::NotFound(_))
    ));
}

async fn without_earliest_possible_extend_a_session_always_extends(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    f.clock.advance(Duration::from_secs(1));
    let extended = f.sessions.extend(issued.session.id).await.unwrap();
    assert!(matches!(extended, Extension::Extended(_)));
    assert_eq!(extended.session().expires_at, f.clock.now() + DAY);
}

async fn a_concurrent_change_is_detected_not_lost(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    let mut first = f.sessions.store().get(issued.session.id).await.unwrap();
    let mut second = first.clone();
    first.active = false;
    f.sessions.store().update(&mut first).await.unwrap();
    second.expires_at += time::Duration::hours(1);
    assert!(matches!(
        f.sessions.store().update(&mut second).await,
        Err(SessionError::Stale(_))
    ));
    assert!(
        !f.sessions
            .store()
            .get(issued.session.id)
            .await
            .unwrap()
            .active
    );
}

async fn reauthentication_adds_the_method_and_rotates_the_token(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    f.clock.advance(Duration::from_secs(600));
    let (mut session, identity) = f.sessions.authenticate(&issued.token).await.unwrap();
    let again = f
        .sessions
        .reauthenticate(
            &mut session,
            &identity,
            AuthenticationMethod::new(CredentialsType::Totp, Aal::Aal2, f.clock.now()),
            DeviceInfo {
                ip_address: Some("192.0.2.2".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(again.session.id, issued.session.id);
    assert_eq!(again.session.aal, Aal::Aal2);
    assert_eq!(again.session.authentication_methods.len(), 2);
    assert_eq!(again.session.devices.len(), 2);
    assert_eq!(again.session.authenticated_at, f.clock.now());
    assert_eq!(again.session.expires_at, f.clock.now() + DAY);
    assert_eq!(again.logout_token, issued.logout_token);
    assert!(is_inactive(f.sessions.authenticate(&issued.token).await));
    let (now_session, _) = f.sessions.authenticate(&again.token).await.unwrap();
    assert_eq!(now_session.aal, Aal::Aal2);
}

async fn the_aal_check_uses_the_identitys_live_credentials(backend: Backend) {
    let f = fixture(backend).await;
    let mut alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    let (session, identity) = f.sessions.authenticate(&issued.token).await.unwrap();
    f.sessions
        .check_aal(&session, &identity, RequiredAal::HighestAvailable)
        .unwrap();
    // A second factor added after the session was issued raises the bar at once.
    alice.upsert_credentials(
        CredentialsType::Totp,
        json!({"totp_url": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"}),
        f.clock.now(),
    );
    f.identities.update(&mut alice).await.unwrap();
    let (session, identity) = f.sessions.authenticate(&issued.token).await.unwrap();
    assert!(matches!(
        f.sessions
            .check_aal(&session, &identity, RequiredAal::HighestAvailable),
        Err(SessionError::AalNotSatisfied {
            actual: Aal::Aal1,
            required: Aal::Aal2
        })
    ));
    f.sessions
        .check_aal(&session, &identity, RequiredAal::Aal1)
        .unwrap();
}

async fn logout_tokens_lead_to_their_session_only(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    let found = f
        .sessions
        .session_for_logout_token(&issued.logout_token)
        .await
        .unwrap();
    assert_eq!(found.id, issued.session.id);
    let foreign = LogoutTokens::new(&["another-deployment"]).derive(issued.session.id, alice.id);
    f.counter.take();
    assert!(is_inactive(
        f.sessions.session_for_logout_token(&foreign).await
    ));
    assert_eq!(f.counter.take().total(), 0, "a forged token costs no read");
    let unknown = f.sessions.logout_token(&{
        let mut s = issued.session.clone();
        s.id = SessionId::new();
        s
    });
    assert!(is_inactive(
        f.sessions.session_for_logout_token(&unknown).await
    ));
    assert!(LogoutToken::parse(issued.logout_token.expose()).is_some());
}

async fn deleting_an_identitys_sessions_removes_every_one(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let bob = f.person("bob@example.com").await;
    let tokens: Vec<_> = [f.login(&alice).await, f.login(&alice).await]
        .into_iter()
        .map(|i| i.token)
        .collect();
    let bobs = f.login(&bob).await;
    assert_eq!(
        f.sessions
            .store()
            .delete_by_identity(alice.id)
            .await
            .unwrap(),
        2
    );
    for token in &tokens {
        assert!(is_inactive(f.sessions.authenticate(token).await));
    }
    assert!(f.sessions.authenticate(&bobs.token).await.is_ok());
    assert!(matches!(
        f.sessions.store().delete_by_identity(alice.id).await,
        Err(SessionError::NoSessions(_))
    ));
    f.sessions.store().delete(bobs.session.id).await.unwrap();
    assert!(matches!(
        f.sessions.store().delete(bobs.session.id).await,
        Err(SessionError::NotFound(_))
    ));
}

async fn deleting_an_identity_deletes_its_sessions(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let issued = f.login(&alice).await;
    f.identities.delete(alice.id).await.unwrap();
    assert!(is_inactive(f.sessions.authenticate(&issued.token).await));
    assert!(matches!(
        f.sessions.store().get(issued.session.id).await,
        Err(SessionError::NotFound(_))
    ));
    assert!(
        f.sessions
            .store()
            .list(&f.query(10))
            .await
            .unwrap()
            .sessions
            .is_empty()
    );
}

async fn a_selective_filter_answers_a_short_page_rather_than_reading_everything(backend: Backend) {
    let f = fixture(backend).await;
    let alice = f.person("alice@example.com").await;
    let oldest = f.login(&alice).await.session.id;
    f.tick();
    // Ten rounds of fifty read 500 sessions; the one revoked session lies beyond them.
    for _ in 0..520 {
        f.login(&alice).await;
        f.tick();
    }
    let store = f.sessions.store();
    store.revoke(oldest).await.unwrap();
    let mut query = SessionListQuery {
        page_size: 1,
        active: Some(false),
        ..Default::default()
    };
    f.counter.take();
    let first = store.list(&query).await.unwrap();
    assert!(first.sessions.is_empty());
    assert!(f.counter.take().query <= 10);
    query.cursor = first.next.clone();
    let second = store.list(&query).await.unwrap();
    assert_eq!(
        second.sessions.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![oldest]
    );
}

kratos_core::on_both_backends!(
    a_token_finds_its_session_and_identity_in_one_batch_get,
    a_selective_filter_answers_a_short_page_rather_than_reading_everything,
    wrong_forged_and_foreign_tokens_find_nothing,
    expired_sessions_are_invisible,
    revoked_sessions_stop_authenticating_but_stay_listed_inactive,
    a_disabled_identity_has_no_active_session,
    an_identitys_sessions_are_listed_newest_first_in_pages,
    all_sessions_are_listed_newest_first_with_the_active_filter,
    revoking_the_others_keeps_the_current_session,
    revoking_another_identitys_session_by_id_does_nothing,
    extending_moves_the_expiry_unless_too_early,
    without_earliest_possible_extend_a_session_always_extends,
    a_concurrent_change_is_detected_not_lost,
    reauthentication_adds_the_method_and_rotates_the_token,
    the_aal_check_uses_the_identitys_live_credentials,
    logout_tokens_lead_to_their_session_only,
    deleting_an_identitys_sessions_removes_every_one,
    deleting_an_identity_deletes_its_sessions,
);
