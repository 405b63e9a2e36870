//! What the verification and recovery tests share: a server whose courier sends through
//! SES and SNS on moto's server, identities made in-process, the messages flows queue
//! (read from the table) and those the courier delivered (read back from moto).

use kratos_core::courier::{Message, MessageFilter};
use kratos_core::identity::{CredentialsType, Identity, IdentityStore};
use kratos_core::secret::Secret;
use kratos_core::selfservice::password::password_config;
use serde_json::{Value, json};

use crate::{Backend, TestApp};

/// A test configuration with verification and recovery on (`use: code`), the courier on
/// SES/SNS from `{sender}`, and `{extra}` appended (more top-level keys). `{public}` and
/// `{admin}` are filled by [`TestApp::spawn_with`].
pub const FLOWS_CONFIG: &str = r#"
serve:
  public:
    base_url: "{public}/"
  admin:
    base_url: "{admin}/"
secrets:
  default:
    - test-secret-that-is-long-enough-0001
courier:
  delivery_strategy: ses
  smtp:
    from_address: "{sender}"
log:
  level: warning
{extra}"#;

/// The `selfservice` section most tests use; its placeholders are filled by
/// [`spawn_flows`] from [`Flows`].
pub const SELFSERVICE: &str = r#"
selfservice:
  default_browser_return_url: "http://127.0.0.1:4455/"
  allowed_return_urls:
    - "http://127.0.0.1:4455"
  methods:
    code:
      enabled: true
      config:
        lifespan: {code_lifespan}
    link:
      enabled: true
      config:
        lifespan: {link_lifespan}
  flows:
    verification:
      enabled: true
      use: {verification_use}
      ui_url: "http://127.0.0.1:4455/verification"
      notify_unknown_recipients: {notify}
    recovery:
      enabled: true
      use: {recovery_use}
      ui_url: "http://127.0.0.1:4455/recovery"
      notify_unknown_recipients: {notify}
{recovery_after}    settings:
      ui_url: "http://127.0.0.1:4455/settings"
    registration:
      after:
        password:
          hooks:
            - hook: session
            - hook: show_verification_ui
feature_flags:
  use_continue_with_transitions: {transitions}
"#;

/// How a test server's flows are set up.
#[derive(Debug, Clone, Copy)]
pub struct Flows {
    pub verification: &'static str,
    pub recovery: &'static str,
    pub notify_unknown_recipients: bool,
    pub continue_with_transitions: bool,
    /// `selfservice.methods.code.config.lifespan` and `....link.config.lifespan`.
    pub code_lifespan: &'static str,
    pub link_lifespan: &'static str,
    /// `selfservice.flows.recovery.after.hooks: [{hook: revoke_active_sessions}]`.
    pub revoke_sessions_after_recovery: bool,
}

impl Default for Flows {
    fn default() -> Self {
        Self {
            verification: "code",
            recovery: "code",
            notify_unknown_recipients: false,
            continue_with_transitions: false,
            code_lifespan: "1h",
            link_lifespan: "1h",
            revoke_sessions_after_recovery: false,
        }
    }
}

/// A unique address (moto's server is shared and keeps every message).
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A unique E.164 number in the fictional 555 range.
pub fn unique_phone() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 10_000_000;
    format!("+1555{n:07}")
}

/// Where SES and SNS run: their own emulator if the run gives them one, else the shared
/// one.
pub fn aws_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_SESV2")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .expect(
            "these tests need moto's server: export AWS_ENDPOINT_URL=http://127.0.0.1:5005 \
             AWS_ENDPOINT_URL_SESV2=http://127.0.0.1:5006 AWS_ENDPOINT_URL_SNS=http://127.0.0.1:5006 \
             AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1",
        )
}

/// A server set up as `flows` says, plus `extra` YAML (top-level keys), sending from a
/// fresh sender address that moto's SES knows.
pub async fn spawn_flows(backend: Backend, flows: Flows, extra: &str) -> TestApp {
    let sender = unique_email("sender");
    let sdk = kratos_core::app::aws_sdk_config().await;
    aws_sdk_sesv2::Client::new(&sdk)
        .create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .expect("moto creates the SES identity");
    let selfservice = SELFSERVICE
        .replace("{verification_use}", flows.verification)
        .replace("{recovery_use}", flows.recovery)
        .replace("{notify}", &flows.notify_unknown_recipients.to_string())
        .replace(
            "{transitions}",
            &flows.continue_with_transitions.to_string(),
        )
        .replace(
            "{recovery_after}",
            if flows.revoke_sessions_after_recovery {
                "      after:\n        hooks:\n          - hook: revoke_active_sessions\n"
            } else {
                ""
            },
        )
        .replace("{code_lifespan}", flows.code_lifespan)
        .replace("{link_lifespan}", flows.link_lifespan);
    let yaml = FLOWS_CONFIG
        .replace("{sender}", &sender)
        .replace("{extra}", &format!("{selfservice}{extra}"));
    TestApp::spawn_with(backend, &yaml).await
}

/// Stores an identity with the default schema, these traits and a password, as an
/// administrator's import would.
pub async fn create_identity(app: &TestApp, traits: Value, password: &str) -> Identity {
    let state = &app.state;
    let now = state.clock.now();
    let mut identity = Identity::new(state.schemas.default_id(), traits, now);
    let hash = state
        .hasher
        .hash_async(Secret::new(password))
        .await
        .expect("the password hashes");
    identity.upsert_credentials(CredentialsType::Password, password_config(&hash), now);
    identity
        .validate(&state.schemas, now)
        .expect("the traits are valid");
    IdentityStore::new(state.table.clone(), state.clock.clone())
        .create(&mut identity)
        .await
        .expect("the identity is stored");
    identity
}

/// The identity as stored now.
pub async fn stored_identity(app: &TestApp, identity: &Identity) -> Identity {
    IdentityStore::new(app.state.table.clone(), app.state.clock.clone())
        .get(identity.id)
        .await
        .expect("the identity exists")
}

/// The messages queued for `recipient`, newest first.
pub async fn messages_to(app: &TestApp, recipient: &str) -> Vec<Message> {
    app.state
        .messages()
        .list(
            &MessageFilter {
                status: None,
                recipient: Some(recipient.to_owned()),
            },
            None,
            100,
        )
        .await
        .expect("messages list")
        .messages
}

/// The only message queued for `recipient`.
pub async fn only_message_to(app: &TestApp, recipient: &str) -> Message {
    let mut messages = messages_to(app, recipient).await;
    assert_eq!(
        messages.len(),
        1,
        "one message to {recipient}: {messages:?}"
    );
    messages.remove(0)
}

/// The first run of six digits in `text`.
pub fn code_in(text: &str) -> String {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5))
        .find(|&i| {
            bytes[i..i + 6].iter().all(u8::is_ascii_digit)
                && (i == 0 || !bytes[i - 1].is_ascii_digit())
                && bytes.get(i + 6).is_none_or(|b| !b.is_ascii_digit())
        })
        .map(|i| text[i..i + 6].to_owned())
        .unwrap_or_else(|| panic!("no six-digit code in {text:?}"))
}

/// The first URL in `text` that contains `needle`.
pub fn link_in(text: &str, needle: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .find(|part| part.starts_with("http") && part.contains(needle))
        .map(|s| s.replace("&amp;", "&"))
        .unwrap_or_else(|| panic!("no link with {needle:?} in {text:?}"))
}

/// Delivers every queued message through the configured channels (SES and SNS on moto),
/// as the local server's worker and `courier-sender` do.
pub async fn deliver(app: &TestApp) -> usize {
    app.state
        .courier()
        .await
        .expect("the courier starts")
        .deliver_queued(100)
        .await
        .expect("the queue reads")
}

async fn moto_state() -> Value {
    reqwest::get(format!("{}/moto-api/data.json", aws_endpoint()))
        .await
        .expect("moto answers")
        .json()
        .await
        .expect("moto's state is JSON")
}

/// The e-mails moto's SES accepted for `recipient`, oldest first.
pub async fn emails_to(recipient: &str) -> Vec<Value> {
    let state = moto_state().await;
    state["ses"]["Message"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|m| m["destinations"].to_string().contains(recipient))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The SMS moto's SNS accepted for `number`, oldest first.
pub async fn sms_to(number: &str) -> Vec<Value> {
    let state = moto_state().await;
    state["sns"]["SMS"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|m| m["phone_number"] == json!(number))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}
