//! The session endpoints, public (`/sessions/whoami`, `/sessions`, `/sessions/{id}`) and
//! admin (`/admin/sessions...`, `/admin/identities/{id}/sessions`), on both stores,
//! checked against the contract and driven with the official SDK.
//!
//! There is no login flow in these tests: identities are created through the identity
//! store and sessions issued through the session manager, as the flows will issue them.

use std::time::Duration;

use blackbox::contract::{assert_response, assert_schema};
use blackbox::{Backend, TestApp, on_both_backends};
use kratos_core::identity::{CredentialsType, Identity, IdentityState, IdentityStore};
use kratos_core::ids::{IdentityId, SessionId};
use kratos_core::session::{AuthenticationMethod, DeviceInfo, IssuedSession, SessionToken};
use ory_kratos_client::apis::{frontend_api, identity_api};
use serde_json::{Value, json};

const DAY: Duration = Duration::from_secs(24 * 3600);

fn identities(app: &TestApp) -> IdentityStore {
    IdentityStore::new(app.state.table.clone(), app.state.clock.clone())
}

async fn person(app: &TestApp, email: &str) -> Identity {
    let now = app.state.clock.now();
    let mut identity = Identity::new("default", json!({ "email": email }), now);
    identity.upsert_credentials(
        CredentialsType::Password,
        json!({"hashed_password": "$argon2id$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaA"}),
        now,
    );
    identity.validate(&app.state.schemas, now).unwrap();
    identities(app).create(&mut identity).await.unwrap();
    identity
}

async fn sign_in(app: &TestApp, identity: &Identity) -> IssuedSession {
    let issued = app
        .state
        .sessions
        .issue(
            identity,
            AuthenticationMethod::first_factor(CredentialsType::Password, app.state.clock.now()),
            DeviceInfo {
                ip_address: Some("198.51.100.7".into()),
                user_agent: Some("blackbox/1.0".into()),
                location: Some(String::new()),
            },
        )
        .await
        .unwrap();
    // Listings order sessions by creation time; keep each one distinct.
    app.clock.advance(Duration::from_millis(5));
    issued
}

fn cookie(app: &TestApp, issued: &IssuedSession) -> String {
    format!(
        "{}={}.{}",
        app.state.config.session.cookie.name,
        issued.token.expose(),
        issued.session.expires_at.unix_timestamp()
    )
}

async fn whoami(app: &TestApp, header: (&str, String)) -> reqwest::Response {
    app.http
        .get(app.public("/sessions/whoami"))
        .header(header.0, header.1)
        .send()
        .await
        .unwrap()
}

async fn assert_inactive(response: reqwest::Response, method: &str, path: &str) {
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_response(method, path, 401, &body);
    assert_eq!(body["error"]["id"], "session_inactive", "{body}");
}

async fn json_of(response: reqwest::Response, method: &str, path: &str) -> (u16, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_response(method, path, status, &body);
    (status, body)
}

// ---- whoami ----------------------------------------------------------------------------

async fn whoami_answers_the_session_for_a_token_cookie_or_bearer_in_one_store_request(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    for header in [
        ("X-Session-Token", issued.token.expose().to_owned()),
        ("Cookie", format!("theme=dark; {}", cookie(&app, &issued))),
        ("Authorization", format!("Bearer {}", issued.token.expose())),
    ] {
        app.store_requests();
        let response = whoami(&app, header.clone()).await;
        let counts = app.store_requests();
        assert_eq!(counts.get_many, 1, "{header:?}: {counts}");
        assert_eq!(counts.total(), 1, "one read and no write: {counts}");
        assert_eq!(
            response.headers()["x-kratos-authenticated-identity-id"],
            alice.id.to_string().as_str()
        );
        assert!(
            response.headers().get("set-cookie").is_none(),
            "an up-to-date session sets no cookie"
        );
        let (status, body) = json_of(response, "get", "/sessions/whoami").await;
        assert_eq!(status, 200, "{header:?}: {body}");
        assert_eq!(body["id"], issued.session.id.to_string());
        assert_eq!(body["active"], true);
        assert_eq!(body["authenticator_assurance_level"], "aal1");
        assert_eq!(body["authentication_methods"][0]["method"], "password");
        assert_eq!(body["authentication_methods"][0]["aal"], "aal1");
        assert_eq!(body["devices"][0]["ip_address"], "198.51.100.7");
        assert_eq!(body["devices"][0]["user_agent"], "blackbox/1.0");
        assert_eq!(body["identity"]["id"], alice.id.to_string());
        assert_eq!(body["identity"]["traits"]["email"], "alice@example.com");
        assert!(body["identity"].get("credentials").is_none(), "{body}");
        assert!(
            body["identity"]["schema_url"]
                .as_str()
                .unwrap()
                .contains("/schemas/")
        );
        assert!(body.get("tokenized").is_none());
    }
    // The official SDK, by token and by cookie.
    let sdk = app.sdk(&app.public_url);
    let session = frontend_api::to_session(&sdk, Some(issued.token.expose()), None, None)
        .await
        .unwrap();
    assert_eq!(session.id, issued.session.id.to_string());
    assert_eq!(session.identity.unwrap().id, alice.id.to_string());
    let by_cookie = frontend_api::to_session(&sdk, None, Some(&cookie(&app, &issued)), None)
        .await
        .unwrap();
    assert_eq!(by_cookie.active, Some(true));
}

async fn whoami_refuses_missing_malformed_forged_and_foreign_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let bob = person(&app, "bob@example.com").await;
    let a = sign_in(&app, &alice).await;
    sign_in(&app, &bob).await;
    // No credentials at all: 401 without touching the store.
    app.store_requests();
    let response = app
        .http
        .get(app.public("/sessions/whoami"))
        .send()
        .await
        .unwrap();
    assert_inactive(response, "get", "/sessions/whoami").await;
    assert_eq!(app.store_requests().total(), 0);
    // Malformed tokens never reach the store either.
    for garbage in [
        "MP2YWEMeM8MxjkGKpH4dqOQ4Q4DlSPaj",
        "ory_st_",
        "ory_st_%%%%",
        &"x".repeat(5000),
    ] {
        let response = whoami(&app, ("X-Session-Token", garbage.to_owned())).await;
        assert_inactive(response, "get", "/sessions/whoami").await;
    }
    assert_eq!(app.store_requests().total(), 0);
    // Well-formed but wrong: forged secret, Alice's session with Bob's identity ID,
    // a session that never existed, a tampered character.
    let mut tampered = a.token.expose().to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for token in [
        SessionToken::generate(a.session.id, alice.id)
            .expose()
            .to_owned(),
        SessionToken::generate(a.session.id, bob.id)
            .expose()
            .to_owned(),
        SessionToken::generate(SessionId::new(), alice.id)
            .expose()
            .to_owned(),
        SessionToken::generate(SessionId::new(), IdentityId::new())
            .expose()
            .to_owned(),
        tampered,
    ] {
        for header in [
            ("X-Session-Token", token.clone()),
            ("Authorization", format!("bearer {token}")),
            ("Cookie", format!("ory_kratos_session={token}")),
        ] {
            let response = whoami(&app, header).await;
            assert_inactive(response, "get", "/sessions/whoami").await;
        }
    }
    // The SDK reports the 401 as an error.
    let sdk = app.sdk(&app.public_url);
    let error = frontend_api::to_session(&sdk, Some("ory_st_nope"), None, None)
        .await
        .unwrap_err();
    match error {
        ory_kratos_client::apis::Error::ResponseError(content) => {
            assert_eq!(content.status.as_u16(), 401)
        }
        other => panic!("expected a 401, got {other:?}"),
    }
}

async fn whoami_refuses_expired_revoked_and_disabled_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut alice = person(&app, "alice@example.com").await;
    let bob = person(&app, "bob@example.com").await;
    let carol = person(&app, "carol@example.com").await;
    let expiring = sign_in(&app, &alice).await;
    let revoked = sign_in(&app, &bob).await;
    let disabled = sign_in(&app, &alice).await;
    let healthy = sign_in(&app, &carol).await;
    // Revoked through the admin API.
    let response = app
        .http
        .delete(app.admin(&format!("/admin/sessions/{}", revoked.session.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = whoami(&app, ("X-Session-Token", revoked.token.expose().to_owned())).await;
    assert_inactive(response, "get", "/sessions/whoami").await;
    // Expired: a day later.
    app.clock.advance(DAY - Duration::from_secs(60));
    let response = whoami(
        &app,
        ("X-Session-Token", expiring.token.expose().to_owned()),
    )
    .await;
    assert_eq!(response.status(), 200);
    app.clock.advance(Duration::from_secs(60));
    let response = whoami(
        &app,
        ("X-Session-Token", expiring.token.expose().to_owned()),
    )
    .await;
    assert_inactive(response, "get", "/sessions/whoami").await;
    // Disabled identity.
    let fresh = sign_in(&app, &alice).await;
    alice = identities(&app).get(alice.id).await.unwrap();
    alice.set_state(IdentityState::Inactive, app.state.clock.now());
    identities(&app).update(&mut alice).await.unwrap();
    for token in [&fresh.token, &disabled.token] {
        let response = whoami(&app, ("X-Session-Token", token.expose().to_owned())).await;
        assert_inactive(response, "get", "/sessions/whoami").await;
    }
    let response = whoami(&app, ("X-Session-Token", healthy.token.expose().to_owned())).await;
    assert_eq!(
        response.status(),
        401,
        "carol's session expired with the others"
    );
}

async fn whoami_answers_every_method_as_kratos_does(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
        reqwest::Method::HEAD,
    ] {
        let response = app
            .http
            .request(method.clone(), app.public("/sessions/whoami"))
            .header("X-Session-Token", issued.token.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{method}");
    }
}

const AAL1_WHOAMI: &str = r#"
serve:
  public:
    base_url: "{public}/"
  admin:
    base_url: "{admin}/"
secrets:
  default: [test-secret-that-is-long-enough-0001]
session:
  whoami:
    required_aal: aal1
log:
  level: warning
"#;

async fn whoami_demands_aal2_when_the_identity_has_a_second_factor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    // A second factor is added after the session was issued: the live credentials count.
    alice.upsert_credentials(
        CredentialsType::Totp,
        json!({"totp_url": "otpauth://totp/kratos:alice?secret=JBSWY3DPEHPK3PXP"}),
        app.state.clock.now(),
    );
    identities(&app).update(&mut alice).await.unwrap();
    let response = whoami(&app, ("X-Session-Token", issued.token.expose().to_owned())).await;
    assert_eq!(response.status(), 403);
    let mut body: Value = response.json().await.unwrap();
    // Kratos repeats the target in `details`, which the contract's `genericError` does not
    // allow; everything else must match it.
    let details = body["error"]
        .as_object_mut()
        .unwrap()
        .remove("details")
        .unwrap();
    assert_response("get", "/sessions/whoami", 403, &body);
    assert_schema(&body, "errorAuthenticatorAssuranceLevelNotSatisfied");
    assert_eq!(body["error"]["id"], "session_aal2_required");
    let target = body["redirect_browser_to"].as_str().unwrap();
    assert_eq!(
        target,
        app.public("/self-service/login/browser?aal=aal2"),
        "{body}"
    );
    assert_eq!(details["redirect_browser_to"], target);
    // With `required_aal: aal1` the same kind of session is enough.
    let relaxed = TestApp::spawn_with(backend, AAL1_WHOAMI).await;
    let mut bob = person(&relaxed, "bob@example.com").await;
    bob.upsert_credentials(
        CredentialsType::Totp,
        json!({"totp_url": "otpauth://totp/kratos:bob?secret=JBSWY3DPEHPK3PXP"}),
        relaxed.state.clock.now(),
    );
    identities(&relaxed).update(&mut bob).await.unwrap();
    let issued = sign_in(&relaxed, &bob).await;
    let response = whoami(
        &relaxed,
        ("X-Session-Token", issued.token.expose().to_owned()),
    )
    .await;
    assert_eq!(response.status(), 200);
}

async fn whoami_tokenize_as_is_refused_with_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    let response = app
        .http
        .get(app.public("/sessions/whoami?tokenize_as=jwt_example"))
        .header("X-Session-Token", issued.token.expose())
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response, "get", "/sessions/whoami").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["reason"],
        "Unable to find tokenizer template \"jwt_example\"."
    );
    // Without a session it is still a 401 first, as in Kratos.
    let response = app
        .http
        .get(app.public("/sessions/whoami?tokenize_as=jwt_example"))
        .send()
        .await
        .unwrap();
    assert_inactive(response, "get", "/sessions/whoami").await;
}

async fn whoami_sends_the_cookie_again_after_the_session_was_extended(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    app.clock.advance(Duration::from_secs(3600));
    let response = app
        .http
        .patch(app.admin(&format!("/admin/sessions/{}/extend", issued.session.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = whoami(&app, ("Cookie", cookie(&app, &issued))).await;
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set_cookie.starts_with(&format!("ory_kratos_session={}.", issued.token.expose())),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=86400"), "{set_cookie}");
    // The re-issued cookie is up to date: no further Set-Cookie.
    let fresh = set_cookie.split(';').next().unwrap().to_owned();
    let response = whoami(&app, ("Cookie", fresh)).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("set-cookie").is_none());
    // Token-based requests never get a cookie.
    let response = whoami(&app, ("X-Session-Token", issued.token.expose().to_owned())).await;
    assert!(response.headers().get("set-cookie").is_none());
}

const CACHEABLE: &str = r#"
serve:
  public:
    base_url: "{public}/"
  admin:
    base_url: "{admin}/"
secrets:
  default: [test-secret-that-is-long-enough-0001]
feature_flags:
  cacheable_sessions: true
log:
  level: warning
"#;

async fn whoami_tells_caches_how_long_the_answer_holds_when_enabled(backend: Backend) {
    let app = TestApp::spawn_with(backend, CACHEABLE).await;
    let alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    app.clock.advance(Duration::from_secs(3600));
    let response = whoami(&app, ("X-Session-Token", issued.token.expose().to_owned())).await;
    assert_eq!(response.status(), 200);
    let seconds: i64 = response.headers()["ory-session-cache-for"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((23 * 3600 - 1..=23 * 3600).contains(&seconds), "{seconds}");
    let response = app
        .http
        .get(app.public("/sessions/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["ory-session-cache-for"], "60");
    // Not by default.
    let plain = TestApp::spawn(backend).await;
    let response = plain
        .http
        .get(plain.public("/sessions/whoami"))
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("ory-session-cache-for").is_none());
}

// ---- my sessions -----------------------------------------------------------------------

async fn listing_my_sessions_shows_my_other_active_sessions_in_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let bob = person(&app, "bob@example.com").await;
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(sign_in(&app, &alice).await.session.id);
    }
    let revoked = sign_in(&app, &alice).await;
    app.state
        .sessions
        .store()
        .revoke(revoked.session.id)
        .await
        .unwrap();
    sign_in(&app, &bob).await;
    let current = sign_in(&app, &alice).await;
    others.reverse();
    let sdk = app.sdk(&app.public_url);
    let listed = frontend_api::list_my_sessions(
        &sdk,
        None,
        None,
        None,
        None,
        Some(current.token.expose()),
        None,
    )
    .await
    .unwrap();
    let ids: Vec<String> = listed.iter().map(|s| s.id.clone()).collect();
    assert_eq!(
        ids,
        others.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    assert!(listed.iter().all(|s| s.active == Some(true)));
    assert_eq!(
        listed[0].identity.as_ref().unwrap().id,
        alice.id.to_string()
    );
    assert_eq!(listed[0].devices.as_ref().unwrap().len(), 1);
    // Page by page through the Link header.
    let mut seen = Vec::new();
    let mut url = app.public("/sessions?page_size=2");
    loop {
        let response = app
            .http
            .get(&url)
            .header("Cookie", cookie(&app, &current))
            .send()
            .await
            .unwrap();
        let link = response.headers()["link"].to_str().unwrap().to_owned();
        let (status, body) = json_of(response, "get", "/sessions").await;
        assert_eq!(status, 200);
        assert!(body.as_array().unwrap().len() <= 2);
        seen.extend(
            body.as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned()),
        );
        match next_link(&link) {
            Some(next) => url = app.public(&next),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    // Legacy pages.
    let response = app
        .http
        .get(app.public("/sessions?per_page=2&page=1"))
        .header("X-Session-Token", current.token.expose())
        .send()
        .await
        .unwrap();
    let (_, body) = json_of(response, "get", "/sessions").await;
    assert_eq!(body[0]["id"], ids[2]);
    // The contract's documented default token, `1`, is the first page.
    let sdk_first = frontend_api::list_my_sessions(
        &sdk,
        None,
        None,
        Some(1),
        Some("1"),
        Some(current.token.expose()),
        None,
    )
    .await
    .unwrap();
    assert_eq!(sdk_first.len(), 1);
    assert_eq!(sdk_first[0].id, ids[0]);
}

fn next_link(link: &str) -> Option<String> {
    link.split(',')
        .find(|part| part.contains("rel=\"next\""))
        .map(|part| {
            let start = part.find('<').unwrap() + 1;
            let end = part.find('>').unwrap();
            part[start..end].to_owned()
        })
}

async fn listing_my_sessions_refuses_bad_paging_and_no_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let current = sign_in(&app, &alice).await;
    for query in [
        "page_size=0",
        "page_size=501",
        "page_size=ten",
        "page_size=-1",
        "page_token=forged",
        "page=-1",
        "page=abc",
        "per_page=100&page=11",
    ] {
        let response = app
            .http
            .get(app.public(&format!("/sessions?{query}")))
            .header("X-Session-Token", current.token.expose())
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(response, "get", "/sessions").await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let response = app.http.get(app.public("/sessions")).send().await.unwrap();
    assert_inactive(response, "get", "/sessions").await;
    // A page token of another identity's listing does not open.
    let bob = person(&app, "bob@example.com").await;
    let bobs = sign_in(&app, &bob).await;
    for _ in 0..2 {
        sign_in(&app, &bob).await;
    }
    let response = app
        .http
        .get(app.public("/sessions?page_size=1"))
        .header("X-Session-Token", bobs.token.expose())
        .send()
        .await
        .unwrap();
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    let next = next_link(&link).expect("bob has more than one other session");
    let response = app
        .http
        .get(app.public(&next))
        .header("X-Session-Token", current.token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

async fn revoking_my_other_sessions_keeps_this_one_and_counts_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let bob = person(&app, "bob@example.com").await;
    let others = [sign_in(&app, &alice).await, sign_in(&app, &alice).await];
    let bobs = sign_in(&app, &bob).await;
    let current = sign_in(&app, &alice).await;
    let sdk = app.sdk(&app.public_url);
    let count = frontend_api::disable_my_other_sessions(&sdk, Some(current.token.expose()), None)
        .await
        .unwrap();
    assert_eq!(count.count, Some(2));
    for other in &others {
        let response = whoami(&app, ("X-Session-Token", other.token.expose().to_owned())).await;
        assert_inactive(response, "get", "/sessions/whoami").await;
    }
    for alive in [&current, &bobs] {
        let response = whoami(&app, ("X-Session-Token", alive.token.expose().to_owned())).await;
        assert_eq!(response.status(), 200);
    }
    // Again, by cookie: nothing left to revoke.
    let response = app
        .http
        .delete(app.public("/sessions"))
        .header("Cookie", cookie(&app, &current))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response, "delete", "/sessions").await;
    assert_eq!((status, body), (200, json!({"count": 0})));
    let response = app
        .http
        .delete(app.public("/sessions"))
        .header("X-Session-Token", others[0].token.expose())
        .send()
        .await
        .unwrap();
    assert_inactive(response, "delete", "/sessions").await;
}

async fn revoking_one_of_my_sessions_by_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let bob = person(&app, "bob@example.com").await;
    let other = sign_in(&app, &alice).await;
    let bobs = sign_in(&app, &bob).await;
    let current = sign_in(&app, &alice).await;
    let sdk = app.sdk(&app.public_url);
    frontend_api::disable_my_session(
        &sdk,
        &other.session.id.to_string(),
        Some(current.token.expose()),
        None,
    )
    .await
    .unwrap();
    let response = whoami(&app, ("X-Session-Token", other.token.expose().to_owned())).await;
    assert_inactive(response, "get", "/sessions/whoami").await;
    // Someone else's session, or none at all: 204, and nothing happens.
    for id in [bobs.session.id, SessionId::new()] {
        let response = app
            .http
            .delete(app.public(&format!("/sessions/{id}")))
            .header("X-Session-Token", current.token.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
    let response = whoami(&app, ("X-Session-Token", bobs.token.expose().to_owned())).await;
    assert_eq!(response.status(), 200);
    // The current session cannot be revoked here.
    let response = app
        .http
        .delete(app.public(&format!("/sessions/{}", current.session.id)))
        .header("X-Session-Token", current.token.expose())
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response, "delete", "/sessions/{id}").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "cannot revoke current session");
    // Not a UUID.
    for bad in ["not-a-uuid", "1234", "%20"] {
        let response = app
            .http
            .delete(app.public(&format!("/sessions/{bad}")))
            .header("X-Session-Token", current.token.expose())
            .send()
            .await
            .unwrap();
        let (status, _) = json_of(response, "delete", "/sessions/{id}").await;
        assert_eq!(status, 400, "{bad}");
    }
    // No session.
    let response = app
        .http
        .delete(app.public(&format!("/sessions/{}", other.session.id)))
        .send()
        .await
        .unwrap();
    assert_inactive(response, "delete", "/sessions/{id}").await;
}

// ---- admin -----------------------------------------------------------------------------

async fn admin_lists_all_sessions_newest_first_with_filters_and_expansion(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let bob = person(&app, "bob@example.com").await;
    let mut ids = Vec::new();
    for who in [&alice, &bob, &alice] {
        ids.push(sign_in(&app, who).await.session.id.to_string());
    }
    ids.reverse();
    app.state
        .sessions
        .store()
        .revoke(ids[0].parse().unwrap())
        .await
        .unwrap();
    let sdk = app.sdk(&app.admin_url);
    let all = identity_api::list_sessions(&sdk, None, None, None, None)
        .await
        .unwrap();
    assert_eq!(all.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), ids);
    assert!(all.iter().all(|s| s.identity.is_none()));
    assert!(all.iter().all(|s| s.devices.as_ref().unwrap().is_empty()));
    let active = identity_api::list_sessions(
        &sdk,
        None,
        None,
        Some(true),
        Some(vec!["identity".into(), "devices".into()]),
    )
    .await
    .unwrap();
    assert_eq!(
        active.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        ids[1..]
    );
    assert_eq!(active[0].identity.as_ref().unwrap().id, bob.id.to_string());
    assert_eq!(active[0].devices.as_ref().unwrap().len(), 1);
    let inactive = identity_api::list_sessions(&sdk, None, None, Some(false), None)
        .await
        .unwrap();
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0].active, Some(false));
    // Raw: contract, Link paging.
    let response = app
        .http
        .get(app.admin("/admin/sessions?page_size=2&expand=Identity"))
        .send()
        .await
        .unwrap();
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    let (status, body) = json_of(response, "get", "/admin/sessions").await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().unwrap().len(), 2);
    assert!(body[0]["identity"]["id"].is_string());
    assert!(body[0]["identity"].get("credentials").is_none());
    let next = next_link(&link).unwrap();
    assert!(next.contains("expand=Identity"), "{next}");
    let response = app.http.get(app.admin(&next)).send().await.unwrap();
    let (_, body) = json_of(response, "get", "/admin/sessions").await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(body[0]["id"], ids[2].as_str());
    // Bad input.
    for query in [
        "active=maybe",
        "expand=everything",
        "page_size=0",
        "page_size=1001",
        "page_size=x",
        "page_token=forged",
        "page=2",
    ] {
        let response = app
            .http
            .get(app.admin(&format!("/admin/sessions?{query}")))
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(response, "get", "/admin/sessions").await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    // A token of the active listing is refused by the unfiltered one.
    let response = app
        .http
        .get(app.admin("/admin/sessions?page_size=1&active=true"))
        .send()
        .await
        .unwrap();
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    let token = next_link(&link).unwrap();
    let token = token.split("page_token=").nth(1).unwrap();
    let response = app
        .http
        .get(app.admin(&format!("/admin/sessions?page_token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

async fn admin_gets_one_session_with_optional_expansion(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    let id = issued.session.id.to_string();
    let sdk = app.sdk(&app.admin_url);
    let plain = identity_api::get_session(&sdk, &id, None).await.unwrap();
    assert_eq!(plain.id, id);
    assert!(plain.identity.is_none());
    assert!(plain.devices.unwrap().is_empty());
    let expanded =
        identity_api::get_session(&sdk, &id, Some(vec!["identity".into(), "devices".into()]))
            .await
            .unwrap();
    assert_eq!(expanded.identity.unwrap().id, alice.id.to_string());
    assert_eq!(
        expanded.devices.unwrap()[0].ip_address.as_deref(),
        Some("198.51.100.7")
    );
    app.store_requests();
    let response = app
        .http
        .get(app.admin(&format!("/admin/sessions/{id}?expand=identity")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.store_requests().total(),
        2,
        "the session, then its identity"
    );
    let (status, body) = json_of(response, "get", "/admin/sessions/{id}").await;
    assert_eq!(status, 200);
    assert_eq!(body["identity"]["traits"]["email"], "alice@example.com");
    // Unknown, invalid, bad expansion.
    let response = app
        .http
        .get(app.admin(&format!("/admin/sessions/{}", SessionId::new())))
        .send()
        .await
        .unwrap();
    let (status, _) = json_of(response, "get", "/admin/sessions/{id}").await;
    assert_eq!(status, 404);
    for path in [
        "/admin/sessions/not-a-uuid".to_owned(),
        format!("/admin/sessions/{id}?expand=credentials"),
    ] {
        let response = app.http.get(app.admin(&path)).send().await.unwrap();
        let (status, _) = json_of(response, "get", "/admin/sessions/{id}").await;
        assert_eq!(status, 400, "{path}");
    }
    // `whoami` belongs to the public API.
    let response = app
        .http
        .get(app.admin("/admin/sessions/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 307);
    assert_eq!(
        response.headers()["location"],
        app.public("/sessions/whoami").as_str()
    );
}

async fn admin_disables_a_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    let id = issued.session.id.to_string();
    let sdk = app.sdk(&app.admin_url);
    identity_api::disable_session(&sdk, &id).await.unwrap();
    let response = whoami(&app, ("X-Session-Token", issued.token.expose().to_owned())).await;
    assert_inactive(response, "get", "/sessions/whoami").await;
    let session = identity_api::get_session(&sdk, &id, None).await.unwrap();
    assert_eq!(session.active, Some(false));
    // Disabling again is fine; unknown and invalid IDs are not.
    identity_api::disable_session(&sdk, &id).await.unwrap();
    let response = app
        .http
        .delete(app.admin(&format!("/admin/sessions/{}", SessionId::new())))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response, "delete", "/admin/sessions/{id}").await;
    assert_eq!(status, 404, "{body}");
    let response = app
        .http
        .delete(app.admin("/admin/sessions/nope"))
        .send()
        .await
        .unwrap();
    let (status, _) = json_of(response, "delete", "/admin/sessions/{id}").await;
    assert_eq!(status, 400);
}

async fn admin_extends_a_session_and_answers_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    let id = issued.session.id.to_string();
    app.clock.advance(Duration::from_secs(7200));
    let sdk = app.sdk(&app.admin_url);
    let extended = identity_api::extend_session(&sdk, &id).await.unwrap();
    assert_eq!(extended.id, id);
    assert_eq!(extended.identity.unwrap().id, alice.id.to_string());
    let response = app
        .http
        .patch(app.admin(&format!("/admin/sessions/{id}/extend")))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response, "patch", "/admin/sessions/{id}/extend").await;
    assert_eq!(status, 200);
    let stored = app
        .state
        .sessions
        .store()
        .get(issued.session.id)
        .await
        .unwrap();
    assert_eq!(
        stored.expires_at,
        kratos_core::identity::timestamp::truncate(app.state.clock.now() + DAY)
    );
    assert_eq!(
        body["expires_at"],
        kratos_core::identity::timestamp::format(stored.expires_at)
    );
    // The original expiry has passed; the session lives on.
    app.clock.advance(DAY - Duration::from_secs(3600));
    let response = whoami(&app, ("X-Session-Token", issued.token.expose().to_owned())).await;
    assert_eq!(response.status(), 200);
    // Unknown and invalid IDs.
    let response = app
        .http
        .patch(app.admin(&format!("/admin/sessions/{}/extend", SessionId::new())))
        .send()
        .await
        .unwrap();
    let (status, _) = json_of(response, "patch", "/admin/sessions/{id}/extend").await;
    assert_eq!(status, 404);
    let response = app
        .http
        .patch(app.admin("/admin/sessions/BADUUID/extend"))
        .send()
        .await
        .unwrap();
    let (status, _) = json_of(response, "patch", "/admin/sessions/{id}/extend").await;
    assert_eq!(status, 400);
    // Not on the public API.
    let response = app
        .http
        .patch(app.public(&format!("/sessions/{id}/extend")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

const EXTEND_RULES: &str = r#"
serve:
  public:
    base_url: "{public}/"
  admin:
    base_url: "{admin}/"
secrets:
  default: [test-secret-that-is-long-enough-0001]
session:
  lifespan: 2h
  earliest_possible_extend: 30m
feature_flags:
  faster_session_extend: true
log:
  level: warning
"#;

async fn extending_too_early_changes_nothing_and_the_fast_flag_answers_204(backend: Backend) {
    let app = TestApp::spawn_with(backend, EXTEND_RULES).await;
    let alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    let path = format!("/admin/sessions/{}/extend", issued.session.id);
    app.store_requests();
    let response = app.http.patch(app.admin(&path)).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.store_requests().write, 0, "too early: no write");
    let stored = app
        .state
        .sessions
        .store()
        .get(issued.session.id)
        .await
        .unwrap();
    assert_eq!(stored.expires_at, issued.session.expires_at);
    // Within the last 30 minutes it extends.
    app.clock.advance(Duration::from_secs(100 * 60));
    let response = app.http.patch(app.admin(&path)).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let stored = app
        .state
        .sessions
        .store()
        .get(issued.session.id)
        .await
        .unwrap();
    assert!(stored.expires_at > issued.session.expires_at);
    let response = app
        .http
        .patch(app.admin(&format!("/admin/sessions/{}/extend", SessionId::new())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

async fn admin_lists_and_deletes_an_identitys_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let bob = person(&app, "bob@example.com").await;
    let first = sign_in(&app, &alice).await;
    let second = sign_in(&app, &alice).await;
    let bobs = sign_in(&app, &bob).await;
    app.state
        .sessions
        .store()
        .revoke(first.session.id)
        .await
        .unwrap();
    let sdk = app.sdk(&app.admin_url);
    let id = alice.id.to_string();
    let all = identity_api::list_identity_sessions(&sdk, &id, None, None, None, None, None)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        vec![second.session.id.to_string(), first.session.id.to_string()]
    );
    assert_eq!(all[0].identity.as_ref().unwrap().id, id);
    let active =
        identity_api::list_identity_sessions(&sdk, &id, None, None, None, None, Some(true))
            .await
            .unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].id, second.session.id.to_string());
    let response = app
        .http
        .get(app.admin(&format!(
            "/admin/identities/{id}/sessions?active=false&page_size=1"
        )))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response, "get", "/admin/identities/{id}/sessions").await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["id"], first.session.id.to_string());
    assert_eq!(body[0]["active"], false);
    // Unknown identity: an empty list.
    let response = app
        .http
        .get(app.admin(&format!("/admin/identities/{}/sessions", IdentityId::new())))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response, "get", "/admin/identities/{id}/sessions").await;
    assert_eq!((status, body), (200, json!([])));
    for query in [
        "active=perhaps",
        "page_size=0",
        "page_size=501",
        "page_token=x",
    ] {
        let response = app
            .http
            .get(app.admin(&format!("/admin/identities/{id}/sessions?{query}")))
            .send()
            .await
            .unwrap();
        let (status, _) = json_of(response, "get", "/admin/identities/{id}/sessions").await;
        assert_eq!(status, 400, "{query}");
    }
    // Delete them all.
    identity_api::delete_identity_sessions(&sdk, &id)
        .await
        .unwrap();
    for token in [&first.token, &second.token] {
        let response = whoami(&app, ("X-Session-Token", token.expose().to_owned())).await;
        assert_inactive(response, "get", "/sessions/whoami").await;
    }
    let response = whoami(&app, ("X-Session-Token", bobs.token.expose().to_owned())).await;
    assert_eq!(response.status(), 200);
    let remaining = identity_api::list_identity_sessions(&sdk, &id, None, None, None, None, None)
        .await
        .unwrap();
    assert!(remaining.is_empty());
    // Nothing left, or no such identity: 404, as Kratos.
    for who in [id.clone(), IdentityId::new().to_string()] {
        let response = app
            .http
            .delete(app.admin(&format!("/admin/identities/{who}/sessions")))
            .send()
            .await
            .unwrap();
        let (status, _) = json_of(response, "delete", "/admin/identities/{id}/sessions").await;
        assert_eq!(status, 404);
    }
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let response = app
            .http
            .request(
                method.clone(),
                app.admin("/admin/identities/BADUUID/sessions"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{method}");
    }
}

async fn deleting_an_identity_ends_its_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = person(&app, "alice@example.com").await;
    let issued = sign_in(&app, &alice).await;
    identities(&app).delete(alice.id).await.unwrap();
    let response = whoami(&app, ("X-Session-Token", issued.token.expose().to_owned())).await;
    assert_inactive(response, "get", "/sessions/whoami").await;
    let response = app
        .http
        .get(app.admin(&format!("/admin/sessions/{}", issued.session.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

on_both_backends!(
    whoami_answers_the_session_for_a_token_cookie_or_bearer_in_one_store_request,
    whoami_refuses_missing_malformed_forged_and_foreign_tokens,
    whoami_refuses_expired_revoked_and_disabled_sessions,
    whoami_answers_every_method_as_kratos_does,
    whoami_demands_aal2_when_the_identity_has_a_second_factor,
    whoami_tokenize_as_is_refused_with_400,
    whoami_sends_the_cookie_again_after_the_session_was_extended,
    whoami_tells_caches_how_long_the_answer_holds_when_enabled,
    listing_my_sessions_shows_my_other_active_sessions_in_pages,
    listing_my_sessions_refuses_bad_paging_and_no_session,
    revoking_my_other_sessions_keeps_this_one_and_counts_them,
    revoking_one_of_my_sessions_by_id,
    admin_lists_all_sessions_newest_first_with_filters_and_expansion,
    admin_gets_one_session_with_optional_expansion,
    admin_disables_a_session,
    admin_extends_a_session_and_answers_it,
    extending_too_early_changes_nothing_and_the_fast_flag_answers_204,
    admin_lists_and_deletes_an_identitys_sessions,
    deleting_an_identity_ends_its_sessions,
);
