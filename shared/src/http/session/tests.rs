use super::*;
use crate::identity::CredentialsType;
use crate::ids::{IdentityId, SessionId};
use crate::session::AuthenticationMethod;
use time::macros::datetime;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

async fn app() -> App {
    crate::testing::sqlite_app("{}", datetime!(2026-01-01 00:00:00 UTC))
        .await
        .0
}

#[tokio::test]
async fn the_session_token_header_wins_then_the_cookie_then_bearer() {
    let app = app().await;
    let a = SessionToken::generate(SessionId::new(), IdentityId::new());
    let b = SessionToken::generate(SessionId::new(), IdentityId::new());
    let c = SessionToken::generate(SessionId::new(), IdentityId::new());
    let all = headers(&[
        ("x-session-token", a.expose()),
        ("cookie", &format!("ory_kratos_session={}.123", b.expose())),
        ("authorization", &format!("Bearer {}", c.expose())),
    ]);
    let (token, source, _) = presented_token(&app, &all).unwrap();
    assert_eq!((token, source), (a, TokenSource::SessionTokenHeader));
    let cookie_and_bearer = headers(&[
        (
            "cookie",
            &format!("other=1; ory_kratos_session={}.123", b.expose()),
        ),
        ("authorization", &format!("bearer {}", c.expose())),
    ]);
    let (token, source, expiry) = presented_token(&app, &cookie_and_bearer).unwrap();
    assert_eq!((token, source, expiry), (b, TokenSource::Cookie, Some(123)));
    let bearer_only = headers(&[("authorization", &format!("BEARER {}", c.expose()))]);
    let (token, source, _) = presented_token(&app, &bearer_only).unwrap();
    assert_eq!((token, source), (c.clone(), TokenSource::Bearer));
    let garbage_cookie_then_bearer = headers(&[
        ("cookie", "ory_kratos_session=garbage"),
        ("authorization", &format!("Bearer {}", c.expose())),
    ]);
    assert_eq!(
        presented_token(&app, &garbage_cookie_then_bearer)
            .unwrap()
            .1,
        TokenSource::Bearer
    );
}

#[tokio::test]
async fn requests_without_a_usable_token_say_whether_credentials_were_missing() {
    let app = app().await;
    assert!(matches!(
        presented_token(&app, &HeaderMap::new()),
        Err(SessionError::NoActiveSession {
            credentials_missing: true
        })
    ));
    for bad in [
        headers(&[("x-session-token", "nope")]),
        headers(&[("authorization", "Bearer nope")]),
        headers(&[("cookie", "ory_kratos_session=nope")]),
    ] {
        assert!(matches!(
            presented_token(&app, &bad),
            Err(SessionError::NoActiveSession {
                credentials_missing: false
            })
        ));
    }
    let basic = headers(&[("authorization", "Basic dXNlcjpwYXNz")]);
    assert!(matches!(
        presented_token(&app, &basic),
        Err(SessionError::NoActiveSession {
            credentials_missing: true
        })
    ));
}

#[tokio::test]
async fn the_session_cookie_is_httponly_lax_scoped_and_carries_the_token() {
    let app = crate::testing::sqlite_app(
        "session:\n  cookie:\n    name: my_session\n    domain: example.com\n    path: /auth\n",
        datetime!(2026-01-01 00:00:00 UTC),
    )
    .await
    .0;
    let (session, token) = Session::new(
        IdentityId::new(),
        AuthenticationMethod::first_factor(CredentialsType::Password, app.clock.now()),
        DeviceInfo::default(),
        std::time::Duration::from_secs(3600),
        app.clock.now(),
    );
    let cookie = session_cookie(&app, &HeaderMap::new(), &session, &token).unwrap();
    let text = cookie.to_str().unwrap();
    assert!(
        text.starts_with(&format!("my_session={}.", token.expose())),
        "{text}"
    );
    assert!(text.contains("HttpOnly"), "{text}");
    assert!(text.contains("SameSite=Lax"), "{text}");
    assert!(text.contains("Domain=example.com"), "{text}");
    assert!(text.contains("Path=/auth"), "{text}");
    assert!(text.contains("Max-Age=3600"), "{text}");
    assert!(!text.contains("Secure"), "plain http is not Secure: {text}");
    let removal = clear_session_cookie(&app, &HeaderMap::new()).unwrap();
    assert!(removal.to_str().unwrap().contains("Max-Age=0"));
}

#[test]
fn the_device_comes_from_the_api_gateway_context_before_any_header() {
    let mut extensions = Extensions::new();
    let mut context =
        lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    context.http.source_ip = Some("203.0.113.7".into());
    context.http.user_agent = Some("context-agent".into());
    extensions.insert(lambda_http::request::RequestContext::ApiGatewayV2(context));
    let spoofing = headers(&[
        ("x-forwarded-for", "10.0.0.1"),
        ("user-agent", "header-agent"),
    ]);
    let device = client_device(&spoofing, &extensions);
    assert_eq!(device.ip_address.as_deref(), Some("203.0.113.7"));
    assert_eq!(device.user_agent.as_deref(), Some("context-agent"));
    assert_eq!(device.location.as_deref(), Some(""));
}

#[test]
fn locally_the_device_comes_from_headers_then_the_socket() {
    let forwarded = headers(&[
        ("x-forwarded-for", "198.51.100.1, 10.0.0.1"),
        ("user-agent", "curl/8"),
        ("cf-ipcity", "Berlin"),
        ("cf-ipcountry", "DE"),
    ]);
    let device = client_device(&forwarded, &Extensions::new());
    assert_eq!(device.ip_address.as_deref(), Some("198.51.100.1"));
    assert_eq!(device.user_agent.as_deref(), Some("curl/8"));
    assert_eq!(device.location.as_deref(), Some("Berlin, DE"));
    let mut extensions = Extensions::new();
    extensions.insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 5555))));
    let device = client_device(&HeaderMap::new(), &extensions);
    assert_eq!(device.ip_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(device.user_agent, None);
}

#[test]
fn the_aal2_error_points_at_an_aal2_login() {
    let base = Url::parse("https://auth.example.com/").unwrap();
    let body = aal2_required(&base, Some("https://app.example.com/x")).body();
    assert_eq!(body["error"]["id"], "session_aal2_required");
    assert_eq!(body["error"]["code"], 403);
    let target = body["redirect_browser_to"].as_str().unwrap();
    assert!(
        target
            .starts_with("https://auth.example.com/self-service/login/browser?aal=aal2&return_to="),
        "{target}"
    );
    assert_eq!(body["error"]["details"]["redirect_browser_to"], target);
}
