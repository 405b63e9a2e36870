use http::HeaderName;
use time::macros::datetime;

use super::*;
use crate::testing::sqlite_app;

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

async fn app(yaml: &str) -> App {
    sqlite_app(yaml, datetime!(2026-01-01 00:00:00 UTC)).await.0
}

#[tokio::test]
async fn a_configured_public_base_url_wins_over_request_headers() {
    let app = app("serve:\n  public:\n    base_url: https://auth.example.com/\n").await;
    let h = headers(&[("host", "evil.example"), ("x-forwarded-proto", "http")]);
    assert_eq!(
        public_base_url(&app, &h).as_str(),
        "https://auth.example.com/"
    );
}

#[tokio::test]
async fn without_configuration_the_base_url_comes_from_the_request() {
    let app = app("").await;
    let plain = headers(&[("host", "abc.execute-api.us-east-1.amazonaws.com")]);
    assert_eq!(
        public_base_url(&app, &plain).as_str(),
        "http://abc.execute-api.us-east-1.amazonaws.com/"
    );
    let proxied = headers(&[
        ("host", "internal:8080"),
        ("x-forwarded-host", "auth.example.com, proxy.internal"),
        ("x-forwarded-proto", "https"),
    ]);
    assert_eq!(
        public_base_url(&app, &proxied).as_str(),
        "https://auth.example.com/"
    );
    let with_port = headers(&[("host", "localhost:4433")]);
    assert_eq!(
        public_base_url(&app, &with_port).as_str(),
        "http://localhost:4433/"
    );
}

#[tokio::test]
async fn odd_host_headers_fall_back_to_the_local_default() {
    let app = app("").await;
    for h in [
        headers(&[]),
        headers(&[("host", "evil.com/path")]),
        headers(&[("host", "user@evil.com")]),
        headers(&[("host", "evil.com\\x")]),
        headers(&[("host", "a.com?x")]),
        headers(&[("host", "ok.example.com"), ("x-forwarded-proto", "gopher")]),
    ] {
        assert_eq!(
            public_base_url(&app, &h).as_str(),
            "http://127.0.0.1:4433/",
            "{h:?}"
        );
    }
}

#[tokio::test]
async fn the_request_url_keeps_path_and_query() {
    let app = app("serve:\n  public:\n    base_url: https://auth.example.com/\n").await;
    let uri: Uri = "/self-service/login/browser?return_to=https%3A%2F%2Fapp.example.com%2F"
        .parse()
        .unwrap();
    let h = headers(&[("host", "auth.example.com"), ("x-forwarded-proto", "https")]);
    assert_eq!(
        request_url(&app, &h, &uri),
        "https://auth.example.com/self-service/login/browser?return_to=https%3A%2F%2Fapp.example.com%2F"
    );
    assert_eq!(
        request_url(&app, &headers(&[]), &"/x".parse().unwrap()),
        "https://auth.example.com/x"
    );
}

#[test]
fn browsers_navigating_get_html_and_scripts_get_json() {
    let browser = headers(&[(
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
    )]);
    assert!(!is_json_request(&browser));
    assert!(is_browser_request(&browser));
    assert!(!accepts_json(&browser));

    let sdk = headers(&[("accept", "application/json")]);
    assert!(is_json_request(&sdk));
    assert!(accepts_json(&sdk));
    assert!(!is_browser_request(&sdk));

    let axios = headers(&[("accept", "application/json, text/plain, */*")]);
    assert!(is_json_request(&axios));

    let nothing = headers(&[]);
    assert!(!is_json_request(&nothing));
    assert!(is_browser_request(&nothing));

    let anything = headers(&[("accept", "*/*")]);
    assert!(!is_json_request(&anything));

    let json_body = headers(&[("content-type", "application/json"), ("accept", "*/*")]);
    assert!(is_json_request(&json_body));
    assert!(!accepts_json(&json_body));

    let refused = headers(&[("accept", "application/json;q=0, text/html")]);
    assert!(!is_json_request(&refused));

    let preferred = headers(&[("accept", "text/html;q=0.5, application/json")]);
    assert!(is_json_request(&preferred));

    let garbage = headers(&[("accept", ";;,, ;q=x")]);
    assert!(!is_json_request(&garbage));
}

#[test]
fn redirects_are_303_see_other() {
    let response = redirect_see_other("https://app.example.com/next");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "https://app.example.com/next"
    );
    let id = FlowId::new();
    let response = redirect_to_flow_ui(&Url::parse("https://app.example.com/login").unwrap(), id);
    assert_eq!(
        response.headers()[header::LOCATION].to_str().unwrap(),
        format!("https://app.example.com/login?flow={id}")
    );
}

#[test]
fn an_unsendable_redirect_is_a_500_not_a_panic() {
    let response = redirect_see_other("https://app.example.com/\nx");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
