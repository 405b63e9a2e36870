//! Helpers for the self-service flow tests: a configuration with UI URLs and the
//! registration `session` hook, a browser with a cookie jar that does not follow
//! redirects, and readers for flows, nodes and messages.

use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use url::Url;

use crate::TestApp;

/// The UI the flows redirect to (never contacted).
pub const UI: &str = "http://127.0.0.1:4455";

/// [`crate::BASE_CONFIG`] plus UI URLs for every flow and the `session` hook after
/// password registration. `{hooks}` extends `selfservice.flows` (indent: 4 spaces) and
/// `{methods}` `selfservice.methods` (indent 4), both optional.
pub const FLOWS_CONFIG: &str = r#"
serve:
  public:
    base_url: "{public}/"
  admin:
    base_url: "{admin}/"
secrets:
  default:
    - test-secret-that-is-long-enough-0001
selfservice:
  default_browser_return_url: "http://127.0.0.1:4455/"
  allowed_return_urls:
    - "http://127.0.0.1:4455"
    - "https://app.example.com/welcome"
  flows:
    error:
      ui_url: "http://127.0.0.1:4455/error"
    login:
      ui_url: "http://127.0.0.1:4455/login"
    settings:
      ui_url: "http://127.0.0.1:4455/settings"
    registration:
      ui_url: "http://127.0.0.1:4455/registration"
      after:
        password:
          hooks:
            - hook: session
{flows}
  methods:
    password:
      enabled: true
{methods}
log:
  level: warning
"#;

/// [`FLOWS_CONFIG`] with extra `selfservice.flows` and `selfservice.methods` entries.
pub fn config(flows: &str, methods: &str) -> String {
    FLOWS_CONFIG
        .replace("{flows}", flows)
        .replace("{methods}", methods)
}

/// The default flows configuration.
pub fn default_config() -> String {
    config("", "")
}

/// A browser: keeps cookies, never follows redirects (tests assert the 303s).
pub struct Browser {
    pub client: Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Self {
            client: Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client builds"),
            jar,
        }
    }

    /// The `Cookie` header this browser sends to `url`.
    pub fn cookie_header(&self, url: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&Url::parse(url).expect("a URL"))
            .map(|v| v.to_str().expect("ASCII cookies").to_owned())
    }

    /// A navigation (no `Accept: application/json`).
    pub async fn get(&self, url: &str) -> Response {
        self.client
            .get(url)
            .header(ACCEPT, "text/html")
            .send()
            .await
            .expect("request")
    }

    /// A script's request (`Accept: application/json`).
    pub async fn get_json(&self, url: &str) -> Response {
        self.client
            .get(url)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .expect("request")
    }

    /// A form post, as a browser submits it.
    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(url)
            .header(ACCEPT, "text/html")
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// A script's JSON post.
    pub async fn post_json(&self, url: &str, body: &Value) -> Response {
        self.client
            .post(url)
            .header(ACCEPT, "application/json")
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Starts a browser flow of `kind` as a navigation: expects the 303 to the flow's UI
    /// and returns the flow as `GET .../flows?id=` answers it.
    pub async fn start(&self, app: &TestApp, kind: &str, query: &str) -> Value {
        let response = self
            .get(&app.public(&format!("/self-service/{kind}/browser{query}")))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{kind} browser init"
        );
        let location = location(&response);
        assert!(
            location.starts_with(&format!("{UI}/{kind}?flow=")),
            "{location}"
        );
        let id = query_param(&location, "flow").expect("flow ID in the redirect");
        self.fetch(app, kind, &id).await
    }

    /// `GET /self-service/<kind>/flows?id=` with this browser's cookies; must be 200.
    pub async fn fetch(&self, app: &TestApp, kind: &str, id: &str) -> Value {
        let response = self
            .get_json(&app.public(&format!("/self-service/{kind}/flows?id={id}")))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "fetching the {kind} flow"
        );
        response.json().await.expect("flow JSON")
    }

    /// Signs up `email` with `password` through the browser's two-step registration form.
    /// Leaves the browser signed in (the `session` hook is configured).
    pub async fn register(&self, app: &TestApp, email: &str, password: &str) {
        let flow = self.start(app, "registration", "").await;
        let action = action(&flow);
        let csrf = csrf_token(&flow);
        let response = self
            .post_form(
                &action,
                &[
                    ("csrf_token", &csrf),
                    ("traits.email", email),
                    ("password", password),
                    ("method", "password"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), format!("{UI}/"));
    }

    /// Signs in through the browser's login form; expects success.
    pub async fn login(&self, app: &TestApp, email: &str, password: &str) -> Response {
        let flow = self.start(app, "login", "").await;
        let response = self
            .post_form(
                &action(&flow),
                &[
                    ("csrf_token", &csrf_token(&flow)),
                    ("identifier", email),
                    ("password", password),
                    ("method", "password"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        response
    }

    /// `GET /sessions/whoami` with this browser's cookies.
    pub async fn whoami(&self, app: &TestApp) -> Response {
        self.get_json(&app.public("/sessions/whoami")).await
    }
}

/// The `Location` header.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The value of a query parameter of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Every `Set-Cookie` header.
pub fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The node named `name`.
pub fn node<'a>(flow: &'a Value, name: &str) -> Option<&'a Value> {
    flow["ui"]["nodes"]
        .as_array()?
        .iter()
        .find(|n| n["attributes"]["name"] == name)
}

/// Every node named `name` (method buttons share their name).
pub fn nodes<'a>(flow: &'a Value, name: &str) -> Vec<&'a Value> {
    flow["ui"]["nodes"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|n| n["attributes"]["name"] == name)
                .collect()
        })
        .unwrap_or_default()
}

/// The names of the nodes, in order.
pub fn node_names(flow: &Value) -> Vec<String> {
    flow["ui"]["nodes"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|n| {
                    n["attributes"]["name"]
                        .as_str()
                        .or(n["attributes"]["id"].as_str())
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The form's anti-CSRF token.
pub fn csrf_token(flow: &Value) -> String {
    node(flow, "csrf_token").expect("a csrf_token node")["attributes"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The form's action URL.
pub fn action(flow: &Value) -> String {
    flow["ui"]["action"].as_str().expect("an action").to_owned()
}

/// The IDs of the form-level messages.
pub fn form_message_ids(flow: &Value) -> Vec<u64> {
    flow["ui"]["messages"]
        .as_array()
        .map(|m| m.iter().filter_map(|m| m["id"].as_u64()).collect())
        .unwrap_or_default()
}

/// The messages on node `name`.
pub fn node_messages(flow: &Value, name: &str) -> Vec<Value> {
    node(flow, name)
        .and_then(|n| n["messages"].as_array().cloned())
        .unwrap_or_default()
}

/// The IDs of the messages on node `name`.
pub fn node_message_ids(flow: &Value, name: &str) -> Vec<u64> {
    node_messages(flow, name)
        .iter()
        .filter_map(|m| m["id"].as_u64())
        .collect()
}

/// A native app's request client (no cookies, no redirects).
pub fn native() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

/// Registers `email` through the native API (two requests) and returns the response body
/// (`identity`, and with the session hook `session` and `session_token`).
pub async fn register_native(app: &TestApp, email: &str, password: &str) -> Value {
    let client = native();
    let flow: Value = client
        .get(app.public("/self-service/registration/api"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = client
        .post(action(&flow))
        .header(CONTENT_TYPE, "application/json")
        .json(&json!({
            "method": "password",
            "traits": { "email": email },
            "password": password,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "native registration");
    response.json().await.unwrap()
}

/// Signs in through the native API and returns the response body (`session`,
/// `session_token`).
pub async fn login_native(app: &TestApp, email: &str, password: &str) -> Value {
    let client = native();
    let flow: Value = client
        .get(app.public("/self-service/login/api"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = client
        .post(action(&flow))
        .json(&json!({ "method": "password", "identifier": email, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "native login");
    response.json().await.unwrap()
}

/// A fresh API flow of `kind` (`login`, `registration`), as JSON.
pub async fn api_flow(app: &TestApp, kind: &str) -> Value {
    let response = native()
        .get(app.public(&format!("/self-service/{kind}/api")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Posts JSON to a flow's action as a native app.
pub async fn post_native(url: &str, body: &Value) -> Response {
    native().post(url).json(body).send().await.unwrap()
}

/// `GET /sessions/whoami` with a session token.
pub async fn whoami_token(app: &TestApp, token: &str) -> Response {
    native()
        .get(app.public("/sessions/whoami"))
        .header("X-Session-Token", token)
        .send()
        .await
        .unwrap()
}

/// The stored error a browser was sent to the error UI with.
pub async fn forwarded_error(app: &TestApp, response: &Response) -> Value {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = location(response);
    assert!(
        location.starts_with(&format!("{UI}/error?id=")),
        "{location}"
    );
    let id = query_param(&location, "id").unwrap();
    let stored = native()
        .get(app.public(&format!("/self-service/errors?id={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), StatusCode::OK);
    stored.json().await.unwrap()
}

/// [`crate::contract::assert_response`] for error bodies that carry `error.details`:
/// Kratos sends details (CSRF, expiry) although the spec's `genericError.details` admits
/// no properties, so the details are checked to be an object and left out of the check.
pub fn assert_error_response(method: &str, path: &str, status: u16, body: &Value) {
    let mut body = body.clone();
    if let Some(error) = body.get_mut("error").and_then(Value::as_object_mut)
        && let Some(details) = error.remove("details")
    {
        assert!(details.is_object(), "details must be an object: {details}");
    }
    crate::contract::assert_response(method, path, status, &body);
}
