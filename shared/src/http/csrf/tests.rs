use http::HeaderName;
use time::macros::datetime;

use super::*;
use crate::testing::sqlite_app;

const HTTPS: &str = "serve:\n  public:\n    base_url: https://auth.example.com/\nsecrets:\n  default: [a-test-secret-of-length-32-bytes]\n";

fn base() -> Url {
    Url::parse("https://auth.example.com/").unwrap()
}

async fn app() -> App {
    sqlite_app(HTTPS, datetime!(2026-01-01 00:00:00 UTC))
        .await
        .0
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

/// A browser's first visit: its cookie value and form token.
fn first_visit(app: &App) -> (String, String) {
    let issued = issue_csrf(app, &HeaderMap::new(), &base()).unwrap();
    let set_cookie = issued.set_cookie.expect("a new browser gets a cookie");
    let pair = set_cookie
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (pair, issued.form_token)
}

fn error_body(result: Result<(), ApiError>) -> Value {
    let error = result.expect_err("the check should fail");
    assert_eq!(error.status, StatusCode::FORBIDDEN);
    let body = error.body();
    assert_eq!(body["error"]["id"], ID_CSRF_VIOLATION);
    body
}

#[tokio::test]
async fn a_new_browser_gets_a_named_httponly_year_long_cookie() {
    let app = app().await;
    let issued = issue_csrf(&app, &HeaderMap::new(), &base()).unwrap();
    let cookie = issued.set_cookie.unwrap();
    let text = cookie.to_str().unwrap();
    let name = format!(
        "csrf_token_{}",
        crate::crypto::sha256_hex(b"https://auth.example.com/")
    );
    assert!(text.starts_with(&format!("{name}=")), "{text}");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=31536000",
    ] {
        assert!(text.contains(attribute), "{attribute} missing: {text}");
    }
    assert!(!issued.form_token.is_empty());
}

#[tokio::test]
async fn a_returning_browser_keeps_its_cookie() {
    let app = app().await;
    let (cookie, _) = first_visit(&app);
    let again = issue_csrf(&app, &headers(&[("cookie", &cookie)]), &base()).unwrap();
    assert!(again.set_cookie.is_none());
    assert!(
        verify_csrf(
            &app,
            &headers(&[("cookie", &cookie)]),
            &base(),
            Some(&again.form_token)
        )
        .is_ok()
    );
}

#[tokio::test]
async fn the_token_is_accepted_from_the_body_or_the_header() {
    let app = app().await;
    let (cookie, token) = first_visit(&app);
    let with_cookie = headers(&[("cookie", &cookie)]);
    assert!(verify_csrf(&app, &with_cookie, &base(), Some(&token)).is_ok());
    let with_header = headers(&[("cookie", &cookie), ("x-csrf-token", &token)]);
    assert!(verify_csrf(&app, &with_header, &base(), None).is_ok());
    assert!(verify_csrf(&app, &with_header, &base(), Some("")).is_ok());
}

#[tokio::test]
async fn a_request_without_cookies_is_refused_with_a_reason() {
    let app = app().await;
    let (_, token) = first_visit(&app);
    let body = error_body(verify_csrf(&app, &HeaderMap::new(), &base(), Some(&token)));
    let details = &body["error"]["details"];
    assert!(
        details["reject_reason"]
            .as_str()
            .unwrap()
            .contains("no cookies")
    );
    assert!(details["hint"].is_string());
    assert!(details["docs"].is_string());
}

#[tokio::test]
async fn other_cookies_without_the_csrf_cookie_are_refused() {
    let app = app().await;
    let (_, token) = first_visit(&app);
    let body = error_body(verify_csrf(
        &app,
        &headers(&[("cookie", "ory_kratos_session=abc")]),
        &base(),
        Some(&token),
    ));
    assert!(
        body["error"]["details"]["reject_reason"]
            .as_str()
            .unwrap()
            .contains("not the anti-CSRF cookie")
    );
}

#[tokio::test]
async fn a_missing_token_is_refused() {
    let app = app().await;
    let (cookie, _) = first_visit(&app);
    let body = error_body(verify_csrf(
        &app,
        &headers(&[("cookie", &cookie)]),
        &base(),
        None,
    ));
    assert!(
        body["error"]["details"]["reject_reason"]
            .as_str()
            .unwrap()
            .contains("no token")
    );
}

#[tokio::test]
async fn another_browsers_token_is_refused() {
    let app = app().await;
    let (mine, _) = first_visit(&app);
    let (_, theirs) = first_visit(&app);
    let body = error_body(verify_csrf(
        &app,
        &headers(&[("cookie", &mine), ("origin", "https://app.example.com")]),
        &base(),
        Some(&theirs),
    ));
    assert!(
        body["error"]["details"]["hint"]
            .as_str()
            .unwrap()
            .contains("CORS")
    );
}

#[tokio::test]
async fn a_cookie_for_another_public_url_does_not_count() {
    let app = app().await;
    let (cookie, token) = first_visit(&app);
    let other = Url::parse("https://other.example.com/").unwrap();
    error_body(verify_csrf(
        &app,
        &headers(&[("cookie", &cookie)]),
        &other,
        Some(&token),
    ));
}

#[tokio::test]
async fn a_stale_cookie_next_to_a_valid_one_does_not_break_the_flow() {
    let app = app().await;
    let (cookie, token) = first_visit(&app);
    let name = cookie.split('=').next().unwrap();
    let stale = format!("{name}=stale.value");
    let both = headers(&[("cookie", &format!("{stale}; {cookie}"))]);
    assert!(verify_csrf(&app, &both, &base(), Some(&token)).is_ok());
    assert!(
        issue_csrf(&app, &both, &base())
            .unwrap()
            .set_cookie
            .is_none()
    );
}

#[tokio::test]
async fn fetching_a_flow_needs_the_cookie_it_was_issued_for() {
    let app = app().await;
    let (cookie, stored) = first_visit(&app);
    assert!(
        verify_flow_csrf(
            &app,
            &headers(&[("cookie", &cookie)]),
            &base(),
            Some(&stored)
        )
        .is_ok()
    );
    let (other_cookie, _) = first_visit(&app);
    error_body(verify_flow_csrf(
        &app,
        &headers(&[("cookie", &other_cookie)]),
        &base(),
        Some(&stored),
    ));
    error_body(verify_flow_csrf(
        &app,
        &headers(&[("cookie", &cookie)]),
        &base(),
        None,
    ));
}

#[test]
fn api_flows_refuse_browser_requests() {
    assert!(ensure_api_flow_request(&HeaderMap::new()).is_ok());
    assert!(
        ensure_api_flow_request(&headers(&[(
            "cookie",
            "__cf_bm=x; cf_clearance=y; _cfuvid=z"
        )]))
        .is_ok()
    );

    let origin =
        ensure_api_flow_request(&headers(&[("origin", "https://app.example.com")])).unwrap_err();
    assert_eq!(origin.status, StatusCode::BAD_REQUEST);
    assert_eq!(origin.body()["error"]["id"], "bad_request");

    let cookies =
        ensure_api_flow_request(&headers(&[("cookie", "__cf_bm=x; ory_kratos_session=y")]))
            .unwrap_err();
    assert_eq!(cookies.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        cookies.body()["error"]["details"]["found cookies"],
        json!(["ory_kratos_session"])
    );
}

#[test]
fn a_bare_csrf_error_maps_to_the_violation() {
    let body = ApiError::from(CsrfError::Mismatch).body();
    assert_eq!(body["error"]["id"], ID_CSRF_VIOLATION);
    assert_eq!(body["error"]["code"], 403);
}
