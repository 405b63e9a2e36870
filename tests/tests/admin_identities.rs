//! The admin identity API (`/admin/identities...`) through HTTP, on both stores: every
//! operation's success, documented failures and malformed input, checked against the
//! Kratos v1.3 contract and through the official Rust SDK; imported hashes proven
//! login-ready; races for one identifier; and the store requests each operation costs.

use base64::Engine;
use blackbox::contract::{assert_response, assert_schema};
use blackbox::{Backend, TestApp, on_both_backends};
use kratos_core::hash::{HashFormat, verify};
use kratos_core::identity::{CredentialsType, Identity};
use kratos_core::ids::IdentityId;
use kratos_core::secret::Secret;
use kratos_core::store::counting::RequestCounts;
use kratos_core::testing::hash_vectors::VECTORS;
use ory_kratos_client::apis::Error as SdkError;
use ory_kratos_client::apis::identity_api;
use ory_kratos_client::models;
use reqwest::Method;
use serde_json::{Value, json};

const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// Two schemas: `default` (an e-mail that is the password and code identifier, verified
/// and used for recovery; a name) and `customer` (a username as password identifier).
fn config() -> String {
    let default = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"traits": {
            "type": "object",
            "properties": {
                "email": {
                    "type": "string", "format": "email", "maxLength": 320,
                    "ory.sh/kratos": {
                        "credentials": {
                            "password": {"identifier": true},
                            "code": {"identifier": true, "via": "email"}
                        },
                        "verification": {"via": "email"},
                        "recovery": {"via": "email"}
                    }
                },
                "name": {"type": "string", "maxLength": 256}
            },
            "required": ["email"],
            "additionalProperties": false
        }}
    });
    let customer = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"traits": {
            "type": "object",
            "properties": {
                "username": {
                    "type": "string", "minLength": 3,
                    "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}
                }
            },
            "required": ["username"],
            "additionalProperties": false
        }}
    });
    let encode = |schema: &Value| {
        base64::engine::general_purpose::STANDARD.encode(schema.to_string().as_bytes())
    };
    format!(
        "{}identity:\n  default_schema_id: default\n  schemas:\n    - id: default\n      url: base64://{}\n    - id: customer\n      url: base64://{}\n",
        blackbox::BASE_CONFIG,
        encode(&default),
        encode(&customer)
    )
}

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &config()).await
}

/// A response's status, JSON body (`Null` when empty) and headers.
struct Answer {
    status: u16,
    body: Value,
    headers: reqwest::header::HeaderMap,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn reason(&self) -> &str {
        self.body["error"]["reason"].as_str().unwrap_or_default()
    }

    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

async fn raw(app: &TestApp, method: Method, path: &str, body: Option<&[u8]>) -> Answer {
    let mut request = app.http.request(method, app.admin(path));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_vec());
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
    };
    Answer {
        status,
        body,
        headers,
    }
}

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Answer {
    let bytes = body.map(|b| b.to_string().into_bytes());
    raw(app, method, path, bytes.as_deref()).await
}

/// Checks an answer against the contract of `method template` (path template).
fn assert_contract(method: &str, template: &str, answer: &Answer) {
    assert_response(method, template, answer.status, &answer.body);
}

async fn create(app: &TestApp, body: Value) -> Answer {
    call(app, Method::POST, "/admin/identities", Some(body)).await
}

/// Creates an identity with this e-mail and returns its ID.
async fn create_person(app: &TestApp, email: &str) -> String {
    let answer = create(
        app,
        json!({"schema_id": "default", "traits": {"email": email}}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body["id"].as_str().unwrap().to_owned()
}

/// The stored identity (for what the API never shows, such as password hashes).
async fn stored(app: &TestApp, id: &str) -> Identity {
    app.state
        .identities()
        .get(id.parse::<IdentityId>().unwrap())
        .await
        .expect("the identity is stored")
}

fn stored_hash(identity: &Identity) -> String {
    identity
        .credentials(CredentialsType::Password)
        .expect("a password credential")
        .config["hashed_password"]
        .as_str()
        .expect("a hash")
        .to_owned()
}

fn ids_of(body: &Value) -> Vec<String> {
    body.as_array()
        .expect("an array")
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn link(answer: &Answer, rel: &str) -> Option<String> {
    answer.header("link")?.split(',').find_map(|part| {
        let part = part.trim();
        part.ends_with(&format!("rel=\"{rel}\""))
            .then(|| part[1..part.find('>').unwrap()].to_owned())
    })
}

fn sdk_status<T>(error: &SdkError<T>) -> u16 {
    match error {
        SdkError::ResponseError(content) => content.status.as_u16(),
        other => panic!("not an HTTP error answer: {other}"),
    }
}

fn counts(get: usize, get_many: usize, query: usize, write: usize) -> RequestCounts {
    RequestCounts {
        get,
        get_many,
        query,
        write,
    }
}

// ---- create ---------------------------------------------------------------------------

async fn create_with_the_sdk_answers_201_with_the_identity_and_its_location(backend: Backend) {
    let app = spawn(backend).await;
    let config = app.sdk(&app.admin_url);
    let mut body = models::CreateIdentityBody::new(
        "default".into(),
        json!({"email": "Ada@Example.org", "name": "Ada"}),
    );
    body.metadata_public = Some(Some(json!({"plan": "pro"})));
    body.metadata_admin = Some(Some(json!({"crm": 7})));
    body.state = Some(models::create_identity_body::StateEnum::Inactive);
    let identity = identity_api::create_identity(&config, Some(body))
        .await
        .expect("the SDK creates the identity");
    assert_eq!(identity.schema_id, "default");
    assert_eq!(
        identity.traits,
        Some(json!({"email": "Ada@Example.org", "name": "Ada"}))
    );
    assert_eq!(identity.state, Some(models::identity::StateEnum::Inactive));
    assert_eq!(identity.metadata_admin, Some(Some(json!({"crm": 7}))));
    let credentials = identity.credentials.expect("credentials are shown");
    let password = &credentials["password"];
    assert_eq!(
        password.identifiers,
        Some(vec!["ada@example.org".to_owned()])
    );
    assert!(
        password.config.is_none(),
        "configs are never shown on create"
    );
    assert!(credentials["code"].config.is_none());

    let answer = create(
        &app,
        json!({"schema_id": "default", "traits": {"email": "grace@example.org"}}),
    )
    .await;
    assert_eq!(answer.status, 201);
    assert_contract("post", "/admin/identities", &answer);
    assert_schema(&answer.body, "identity");
    let id = answer.body["id"].as_str().unwrap();
    assert_eq!(
        answer.header("location"),
        Some(format!("{}/admin/identities/{id}", app.admin_url).as_str())
    );
    assert_eq!(
        answer.header("cache-control"),
        Some("private, no-cache, no-store, must-revalidate")
    );
    let fetched = call(
        &app,
        Method::GET,
        &answer.header("location").unwrap()[app.admin_url.len()..],
        None,
    )
    .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body["id"], answer.body["id"]);
}

async fn create_derives_addresses_and_keeps_imported_verification(backend: Backend) {
    let app = spawn(backend).await;
    let answer = create(
        &app,
        json!({
            "schema_id": "default",
            "traits": {"email": "Linus@Example.org"},
            "verifiable_addresses": [
                {"value": "LINUS@example.org", "via": "email", "verified": true, "status": "completed"},
                {"value": "not-in-traits@example.org", "via": "email", "verified": true}
            ],
            "recovery_addresses": [{"value": "linus@example.org", "via": "email"}]
        }),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_contract("post", "/admin/identities", &answer);
    let verifiable = answer.body["verifiable_addresses"].as_array().unwrap();
    assert_eq!(
        verifiable.len(),
        1,
        "addresses the traits do not hold are dropped"
    );
    assert_eq!(verifiable[0]["value"], "linus@example.org");
    assert_eq!(verifiable[0]["verified"], true);
    assert_eq!(verifiable[0]["status"], "completed");
    assert!(verifiable[0]["verified_at"].is_string());
    assert_eq!(
        answer.body["recovery_addresses"][0]["value"],
        "linus@example.org"
    );

    // Without imports, the address starts unverified.
    let plain = create(
        &app,
        json!({"schema_id": "", "traits": {"email": "new@example.org"}}),
    )
    .await;
    assert_eq!(plain.status, 201);
    assert_eq!(
        plain.body["schema_id"], "default",
        "an empty schema ID is the default"
    );
    assert_eq!(plain.body["verifiable_addresses"][0]["verified"], false);
    assert_eq!(plain.body["verifiable_addresses"][0]["status"], "pending");
    assert!(
        plain.body["verifiable_addresses"][0]
            .get("verified_at")
            .is_none()
    );
}

async fn create_refuses_invalid_traits_state_and_schema_with_400(backend: Backend) {
    let app = spawn(backend).await;
    let cases = [
        (json!({"schema_id": "default", "traits": {}}), "I[#/traits]"),
        (
            json!({"schema_id": "default", "traits": {"email": 42}}),
            "I[#/traits/email]",
        ),
        (
            json!({"schema_id": "default", "traits": {"email": "not-an-email"}}),
            "I[#/traits/email]",
        ),
        (
            json!({"schema_id": "default", "traits": {"email": "a@b.co", "extra": 1}}),
            "I[#/traits]",
        ),
        (
            json!({"schema_id": "default", "traits": "a string"}),
            "I[#/traits]",
        ),
        (
            json!({"schema_id": "does-not-exist", "traits": {"email": "a@b.co"}}),
            "Unable to find JSON Schema ID: does-not-exist",
        ),
        (
            json!({"schema_id": "default", "traits": {"email": "a@b.co"}, "state": "frozen"}),
            "identity state is not valid",
        ),
        (
            json!({"schema_id": "default", "traits": {"email": "a@b.co"},
                "verifiable_addresses": [{"value": "a@b.co", "via": "email", "status": "lost"}]}),
            "status `lost`",
        ),
        (
            json!({"schema_id": "default", "traits": {"email": "a@b.co"},
                "credentials": {"oidc": {"config": {"providers": [{"provider": "github", "subject": ""}]}}}}),
            "oidc",
        ),
    ];
    for (body, reason) in cases {
        let answer = create(&app, body.clone()).await;
        assert_eq!(answer.status, 400, "{body} → {}", answer.body);
        assert_contract("post", "/admin/identities", &answer);
        assert!(
            answer.reason().contains(reason),
            "{body}: reason {:?} lacks {reason:?}",
            answer.reason()
        );
    }
    let list = call(&app, Method::GET, "/admin/identities", None).await;
    assert_eq!(list.body, json!([]), "nothing was written");
}

async fn create_refuses_malformed_bodies_in_kratos_format(backend: Backend) {
    let app = spawn(backend).await;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{not json".to_vec(), ""),
        (b"".to_vec(), ""),
        (b"[]".to_vec(), ""),
        (br#"{"schema_id": 5, "traits": {}}"#.to_vec(), "schema_id"),
        (br#"{"traits": {"email": "a@b.co"}, "state": true}"#.to_vec(), "state"),
        (
            br#"{"schema_id": "default", "traits": {"email": "a@b.co"}, "schema_url": "x"}"#.to_vec(),
            "json: unknown field \"schema_url\"",
        ),
        (
            br#"{"id": "12345", "traits": {"email": "a@b.co"}}"#.to_vec(),
            "json: unknown field \"id\"",
        ),
        (
            br#"{"traits": {"email": "a@b.co"}, "organization_id": null}"#.to_vec(),
            "organization_id",
        ),
        (
            br#"{"traits": {"email": "a@b.co"}, "credentials": {"password": {"config": {"hash": "x"}}}}"#
                .to_vec(),
            "credentials.password.config.hash",
        ),
        (
            br#"{"traits": {"email": "a@b.co"}, "verifiable_addresses": [{"value": "a@b.co", "via": "email", "verified": "yes"}]}"#
                .to_vec(),
            "verified",
        ),
        (
            br#"{"traits": {"email": "a@b.co"}, "verifiable_addresses": [{"value": "a@b.co", "via": "email", "verified": true, "verified_at": "9999-12-31T23:59:59-01:00"}]}"#
                .to_vec(),
            "verified_at",
        ),
    ];
    for (body, mentions) in cases {
        let answer = raw(&app, Method::POST, "/admin/identities", Some(&body)).await;
        let shown = String::from_utf8_lossy(&body);
        assert_eq!(answer.status, 400, "{shown} → {}", answer.body);
        assert_contract("post", "/admin/identities", &answer);
        assert!(
            answer.message().contains(mentions),
            "{shown}: message {:?} lacks {mentions:?}",
            answer.message()
        );
    }
    // Values every store must be able to keep: DynamoDB nests 32 levels at most and
    // holds numbers up to 9.99e125. The reason names the field.
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let unstorable = [
        format!(r#"{{"traits": {{"email": "a@b.co"}}, "metadata_public": {deep}}}"#),
        r#"{"traits": {"email": "a@b.co"}, "metadata_admin": {"n": 1e200}}"#.to_owned(),
    ];
    for (body, field) in unstorable.iter().zip(["metadata_public", "metadata_admin"]) {
        let answer = raw(
            &app,
            Method::POST,
            "/admin/identities",
            Some(body.as_bytes()),
        )
        .await;
        assert_eq!(answer.status, 400, "{body} → {}", answer.body);
        assert_contract("post", "/admin/identities", &answer);
        let reason = answer.body["error"]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains(field), "{body}: reason {reason:?}");
    }
    // A body over the size limit is refused before it is read.
    let huge = format!(
        r#"{{"traits": {{"email": "a@b.co", "name": "{}"}}}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    // (On a connection of its own: the server closes it without reading the body.)
    let once = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let response = once
        .post(app.admin("/admin/identities"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], 413);
    assert_response("post", "/admin/identities", 413, &body);
    // Kratos reads this body whatever its content type.
    let untyped = app
        .http
        .post(app.admin("/admin/identities"))
        .body(r#"{"traits": {"email": "untyped@example.org"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(untyped.status().as_u16(), 201);
    let list = call(&app, Method::GET, "/admin/identities", None).await;
    assert_eq!(
        ids_of(&list.body).len(),
        1,
        "only the valid body was stored"
    );
}

async fn a_duplicate_identifier_answers_409_and_writes_nothing(backend: Backend) {
    let app = spawn(backend).await;
    create_person(&app, "taken@example.org").await;
    let config = app.sdk(&app.admin_url);
    let error = identity_api::create_identity(
        &config,
        Some(models::CreateIdentityBody::new(
            "default".into(),
            json!({"email": "TAKEN@example.org"}),
        )),
    )
    .await
    .expect_err("the identifier is taken");
    assert_eq!(sdk_status(&error), 409);
    let answer = create(
        &app,
        json!({"schema_id": "default", "traits": {"email": "Taken@Example.org"}}),
    )
    .await;
    assert_eq!(answer.status, 409);
    assert_contract("post", "/admin/identities", &answer);
    assert_eq!(
        answer.reason(),
        "This identity conflicts with another identity that already exists."
    );
    assert_eq!(
        answer.message(),
        "The resource could not be created due to a conflict"
    );
    let list = call(&app, Method::GET, "/admin/identities", None).await;
    assert_eq!(ids_of(&list.body).len(), 1);
}

async fn two_concurrent_creates_with_the_same_email_give_one_201_and_one_409(backend: Backend) {
    let app = spawn(backend).await;
    for round in 0..4 {
        let email = format!("race-{round}@example.org");
        let body = json!({"schema_id": "default", "traits": {"email": email}});
        let (a, b) = tokio::join!(create(&app, body.clone()), create(&app, body.clone()));
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [201, 409],
            "round {round}: {} / {}",
            a.body,
            b.body
        );
        let holders = call(
            &app,
            Method::GET,
            &format!("/admin/identities?credentials_identifier={email}"),
            None,
        )
        .await;
        let winner = if a.status == 201 { &a } else { &b };
        assert_eq!(
            ids_of(&holders.body),
            vec![winner.body["id"].as_str().unwrap()]
        );
    }
}

async fn create_hashes_a_clear_text_password_with_the_configured_hasher(backend: Backend) {
    let app = spawn(backend).await;
    let answer = create(
        &app,
        json!({
            "schema_id": "default",
            "traits": {"email": "plain@example.org"},
            "credentials": {"password": {"config": {"password": "a very long passphrase"}}}
        }),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert!(
        answer.body["credentials"]["password"]
            .get("config")
            .is_none()
    );
    assert!(!answer.body.to_string().contains("passphrase"));
    let identity = stored(&app, answer.body["id"].as_str().unwrap()).await;
    let hash = stored_hash(&identity);
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert_eq!(
        verify(&Secret::new("a very long passphrase"), &hash),
        Ok(true)
    );
    assert_eq!(
        verify(&Secret::new("a very long passphrasf"), &hash),
        Ok(false)
    );

    // The hash is shown only when asked for.
    let id = answer.body["id"].as_str().unwrap();
    let shown = call(
        &app,
        Method::GET,
        &format!("/admin/identities/{id}?include_credential=password"),
        None,
    )
    .await;
    assert_eq!(
        shown.body["credentials"]["password"]["config"]["hashed_password"],
        hash
    );
}

/// Imports an identity with a reference vector's hash through the API and proves the
/// stored hash verifies the vector's password (and not a wrong one), as login will.
async fn imported_hashes_of_format_verify_their_password(backend: Backend, format: HashFormat) {
    let app = spawn(backend).await;
    let vectors: Vec<_> = VECTORS.iter().filter(|v| v.format == format).collect();
    assert!(!vectors.is_empty(), "no vector for {format}");
    for (index, vector) in vectors.into_iter().enumerate() {
        let answer = create(
            &app,
            json!({
                "schema_id": "default",
                "traits": {"email": format!("{}-{index}@example.org", format.name())},
                "credentials": {"password": {"config": {"hashed_password": vector.hash}}}
            }),
        )
        .await;
        assert_eq!(answer.status, 201, "{}: {}", vector.hash, answer.body);
        let identity = stored(&app, answer.body["id"].as_str().unwrap()).await;
        let hash = stored_hash(&identity);
        assert_eq!(hash, vector.hash, "the hash is stored as imported");
        assert_eq!(
            verify(&Secret::new(vector.password), &hash),
            Ok(true),
            "{hash}"
        );
        assert_eq!(verify(&Secret::new("not the password"), &hash), Ok(false));
        assert_eq!(
            identity
                .credentials(CredentialsType::Password)
                .unwrap()
                .identifiers,
            vec![format!("{}-{index}@example.org", format.name())]
        );
    }
}

macro_rules! hash_format_cases {
    ($($name:ident => $format:ident),* $(,)?) => {
        $(
            async fn $name(backend: Backend) {
                imported_hashes_of_format_verify_their_password(backend, HashFormat::$format).await;
            }
        )*
        #[test]
        fn every_supported_hash_format_has_an_import_case() {
            let covered = [$(HashFormat::$format),*];
            for format in HashFormat::ALL {
                assert!(covered.contains(&format), "no import case for {format}");
            }
        }
    };
}

hash_format_cases!(
    imported_argon2id_hashes_verify => Argon2id,
    imported_argon2i_hashes_verify => Argon2i,
    imported_bcrypt_hashes_verify => Bcrypt,
    imported_pbkdf2_hashes_verify => Pbkdf2,
    imported_scrypt_hashes_verify => Scrypt,
    imported_firescrypt_hashes_verify => Firescrypt,
    imported_ssha_hashes_verify => Ssha,
    imported_salted_sha_hashes_verify => Sha,
    imported_md5_hashes_verify => Md5,
    imported_md5_crypt_hashes_verify => Md5Crypt,
    imported_sha256_crypt_hashes_verify => Sha256Crypt,
    imported_sha512_crypt_hashes_verify => Sha512Crypt,
    imported_hmac_hashes_verify => Hmac,
);

async fn unknown_or_malformed_hashes_answer_400_and_store_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let hashes = [
        "",
        "hunter2",
        "$argon2d$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$1$x7Qp.9/z$FufNA1HSzQSH3PVjj8n8q/",
        "$2a$10$short",
        "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$pbkdf2-sha256$i=10000,l=32$$",
        "{SSHA}!!!",
    ];
    for hash in hashes {
        let answer = create(
            &app,
            json!({
                "schema_id": "default",
                "traits": {"email": "hash@example.org"},
                "credentials": {"password": {"config": {"hashed_password": hash}}}
            }),
        )
        .await;
        assert_eq!(answer.status, 400, "{hash:?}: {}", answer.body);
        assert_contract("post", "/admin/identities", &answer);
        assert!(
            answer.reason().contains("https://www.ory.sh/dr/2"),
            "{}",
            answer.reason()
        );
    }
    let list = call(&app, Method::GET, "/admin/identities", None).await;
    assert_eq!(list.body, json!([]));
}

async fn the_password_migration_hook_flag_is_stored(backend: Backend) {
    let app = spawn(backend).await;
    let answer = create(
        &app,
        json!({
            "schema_id": "default",
            "traits": {"email": "legacy@example.org"},
            "credentials": {"password": {"config": {"use_password_migration_hook": true}}}
        }),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let identity = stored(&app, answer.body["id"].as_str().unwrap()).await;
    let config = &identity
        .credentials(CredentialsType::Password)
        .unwrap()
        .config;
    assert_eq!(config["use_password_migration_hook"], true);
    assert_eq!(config["hashed_password"], "");
}

async fn oidc_links_are_imported_and_unique(backend: Backend) {
    let app = spawn(backend).await;
    let oidc = |subject: &str| {
        json!({"oidc": {"config": {"providers": [
            {"provider": "github", "subject": subject},
            {"provider": "google", "subject": "g-1"}
        ]}}})
    };
    let config = app.sdk(&app.admin_url);
    let mut body =
        models::CreateIdentityBody::new("default".into(), json!({"email": "social@example.org"}));
    body.credentials = Some(Box::new(serde_json::from_value(oidc("Octo-1")).unwrap()));
    let identity = identity_api::create_identity(&config, Some(body))
        .await
        .unwrap();
    let oidc_credentials = &identity.credentials.unwrap()["oidc"];
    assert_eq!(
        oidc_credentials.identifiers,
        Some(vec!["github:Octo-1".to_owned(), "google:g-1".to_owned()])
    );
    let shown = identity_api::get_identity(&config, &identity.id, Some(vec!["oidc".into()]))
        .await
        .unwrap();
    let providers = shown.credentials.unwrap()["oidc"].config.clone().unwrap()["providers"].clone();
    assert_eq!(
        providers,
        json!([
            {"provider": "github", "subject": "Octo-1", "initial_id_token": "",
             "initial_access_token": "", "initial_refresh_token": "", "organization": ""},
            {"provider": "google", "subject": "g-1", "initial_id_token": "",
             "initial_access_token": "", "initial_refresh_token": "", "organization": ""}
        ])
    );
    // Subjects are case-sensitive: another case is another link...
    let other = create(
        &app,
        json!({"schema_id": "default", "traits": {"email": "other@example.org"},
               "credentials": {"oidc": {"config": {"providers": [{"provider": "github", "subject": "octo-1"}]}}}}),
    )
    .await;
    assert_eq!(other.status, 201, "{}", other.body);
    // ...but the same link cannot belong to two identities.
    let taken = create(
        &app,
        json!({"schema_id": "default", "traits": {"email": "third@example.org"},
               "credentials": {"oidc": {"config": {"providers": [{"provider": "google", "subject": "g-1"}]}}}}),
    )
    .await;
    assert_eq!(taken.status, 409);
}

// ---- get ------------------------------------------------------------------------------

async fn get_with_the_sdk_shows_configs_only_for_included_credentials(backend: Backend) {
    let app = spawn(backend).await;
    let answer = create(
        &app,
        json!({"schema_id": "default", "traits": {"email": "get@example.org"},
               "credentials": {"password": {"config": {"hashed_password": VECTORS[3].hash}}}}),
    )
    .await;
    let id = answer.body["id"].as_str().unwrap();
    let config = app.sdk(&app.admin_url);
    let plain = identity_api::get_identity(&config, id, None).await.unwrap();
    let credentials = plain.credentials.unwrap();
    assert!(credentials["password"].config.is_none());
    assert_eq!(
        credentials["password"].identifiers,
        Some(vec!["get@example.org".to_owned()])
    );
    let with =
        identity_api::get_identity(&config, id, Some(vec!["password".into(), "code".into()]))
            .await
            .unwrap();
    let credentials = with.credentials.unwrap();
    assert_eq!(
        credentials["password"].config.as_ref().unwrap()["hashed_password"],
        VECTORS[3].hash
    );
    assert!(credentials["code"].config.is_some());

    let answer = call(&app, Method::GET, &format!("/admin/identities/{id}"), None).await;
    assert_eq!(answer.status, 200);
    assert_contract("get", "/admin/identities/{id}", &answer);
    assert_eq!(answer.body["metadata_public"], Value::Null);
}

async fn get_of_an_unknown_or_malformed_id_answers_404(backend: Backend) {
    let app = spawn(backend).await;
    let config = app.sdk(&app.admin_url);
    let error = identity_api::get_identity(&config, &IdentityId::new().to_string(), None)
        .await
        .expect_err("unknown");
    assert_eq!(sdk_status(&error), 404);
    for id in [
        IdentityId::new().to_string().as_str(),
        "not-a-uuid",
        NIL,
        "%FF%FE",
        "1234",
    ] {
        let answer = call(&app, Method::GET, &format!("/admin/identities/{id}"), None).await;
        assert_eq!(answer.status, 404, "{id}");
        assert_contract("get", "/admin/identities/{id}", &answer);
        assert_eq!(answer.message(), "Unable to locate the resource");
    }
}

async fn get_with_an_unknown_include_credential_answers_400(backend: Backend) {
    let app = spawn(backend).await;
    let id = create_person(&app, "include@example.org").await;
    for value in ["profile", "xyz", ""] {
        let answer = call(
            &app,
            Method::GET,
            &format!("/admin/identities/{id}?include_credential={value}"),
            None,
        )
        .await;
        assert_eq!(answer.status, 400, "{value}");
        assert_contract("get", "/admin/identities/{id}", &answer);
        assert!(answer.reason().contains("include_credential"));
    }
}

// ---- list -----------------------------------------------------------------------------

async fn list_with_the_sdk_pages_through_every_identity_with_kratos_links(backend: Backend) {
    let app = spawn(backend).await;
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(create_person(&app, &format!("page-{n}@example.org")).await);
    }
    created.sort();
    let first = call(&app, Method::GET, "/admin/identities?page_size=2", None).await;
    assert_eq!(first.status, 200);
    assert_contract("get", "/admin/identities", &first);
    assert_eq!(
        link(&first, "first").as_deref(),
        Some(format!("/admin/identities?page_size=2&page_token={NIL}").as_str())
    );
    assert!(
        first.body[0].get("credentials").is_none(),
        "no credentials without filters"
    );
    assert!(first.body[0]["verifiable_addresses"].is_array());
    let mut seen = ids_of(&first.body);
    let mut next = link(&first, "next");
    let config = app.sdk(&app.admin_url);
    while let Some(path) = next {
        let token = url::Url::parse(&format!("http://x{path}"))
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "page_token")
            .unwrap()
            .1
            .into_owned();
        let page = identity_api::list_identities(
            &config,
            None,
            None,
            Some(2),
            Some(&token),
            None,
            None,
            None,
            None,
            None,
            None,
        )
        .await
        .expect("the SDK lists");
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|i| i.id.clone()));
        let answer = call(&app, Method::GET, &path, None).await;
        assert_eq!(
            ids_of(&answer.body),
            page.iter().map(|i| i.id.clone()).collect::<Vec<_>>()
        );
        next = link(&answer, "next");
    }
    assert_eq!(seen, created, "every identity once, in ID order");
    // The start token of the `first` link starts over.
    let again = call(
        &app,
        Method::GET,
        &format!("/admin/identities?page_size=2&page_token={NIL}"),
        None,
    )
    .await;
    assert_eq!(ids_of(&again.body), ids_of(&first.body));
    // A last page has no `next` link.
    let all = call(&app, Method::GET, "/admin/identities", None).await;
    assert_eq!(ids_of(&all.body).len(), 5);
    assert_eq!(
        all.header("link"),
        Some(format!("</admin/identities?page_size=250&page_token={NIL}>; rel=\"first\"").as_str())
    );
}

async fn list_filters_by_ids_and_identifiers(backend: Backend) {
    let app = spawn(backend).await;
    let a = create_person(&app, "alice@example.org").await;
    let b = create_person(&app, "bob@example.org").await;
    let c = create_person(&app, "alina@example.com").await;
    let config = app.sdk(&app.admin_url);
    let by_ids = identity_api::list_identities(
        &config,
        None,
        None,
        None,
        None,
        Some("strong"),
        Some(vec![a.clone(), c.clone(), IdentityId::new().to_string()]),
        None,
        None,
        None,
        None,
    )
    .await
    .unwrap();
    let mut expected = vec![a.clone(), c.clone()];
    expected.sort();
    assert_eq!(
        by_ids.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(by_ids[0].credentials.is_none());

    let exact = call(
        &app,
        Method::GET,
        "/admin/identities?credentials_identifier=BOB@example.org",
        None,
    )
    .await;
    assert_eq!(exact.status, 200);
    assert_contract("get", "/admin/identities", &exact);
    assert_eq!(ids_of(&exact.body), vec![b.clone()]);
    assert!(
        exact.body[0]["credentials"]["password"]
            .get("config")
            .is_none()
    );
    assert_eq!(
        exact.body[0]["credentials"]["password"]["identifiers"],
        json!(["bob@example.org"])
    );

    let similar = call(
        &app,
        Method::GET,
        "/admin/identities?preview_credentials_identifier_similar=ali",
        None,
    )
    .await;
    let mut found = ids_of(&similar.body);
    found.sort();
    let mut expected = vec![a.clone(), c.clone()];
    expected.sort();
    assert_eq!(found, expected);

    let included = call(
        &app,
        Method::GET,
        &format!("/admin/identities?ids={a}&include_credential=code"),
        None,
    )
    .await;
    assert!(included.body[0]["credentials"]["code"]["config"]["addresses"].is_array());

    let nobody = call(
        &app,
        Method::GET,
        "/admin/identities?credentials_identifier=nobody@example.org",
        None,
    )
    .await;
    assert_eq!(nobody.body, json!([]));
}

async fn list_refuses_bad_filters_and_tampered_tokens_with_400(backend: Backend) {
    let app = spawn(backend).await;
    for n in 0..3 {
        create_person(&app, &format!("bad-{n}@example.org")).await;
    }
    let page = call(&app, Method::GET, "/admin/identities?page_size=1", None).await;
    let next = link(&page, "next").unwrap();
    let token = next.split("page_token=").nth(1).unwrap().to_owned();
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let too_many_ids: String = (0..501)
        .map(|_| format!("ids={}", IdentityId::new()))
        .collect::<Vec<_>>()
        .join("&");
    let cases = [
        (
            "ids=not-a-uuid".to_owned(),
            "Invalid UUID value `not-a-uuid` for parameter `ids`.",
        ),
        (
            "credentials_identifier=a&preview_credentials_identifier_similar=b".to_owned(),
            "Cannot pass both credentials_identifier and preview_credentials_identifier_similar.",
        ),
        ("include_credential=nope".to_owned(), "include_credential"),
        ("page_size=abc".to_owned(), "page_size"),
        ("page_size=-1".to_owned(), "page_size"),
        (
            format!("page_size=1&page_token={tampered}"),
            "The page token is invalid, do not craft your own page tokens",
        ),
        (
            "page_size=1&page_token=garbage".to_owned(),
            "The page token is invalid",
        ),
        (
            format!("page_size=1&page_token={}", IdentityId::new()),
            "The page token is invalid",
        ),
        // A token is good only for the listing that issued it.
        (
            format!("page_size=1&credentials_identifier=x&page_token={token}"),
            "The page token is invalid",
        ),
        (too_many_ids, "500"),
        (
            "page=600&per_page=2".to_owned(),
            "Legacy pagination is not supported",
        ),
    ];
    for (query, reason) in cases {
        let answer = call(
            &app,
            Method::GET,
            &format!("/admin/identities?{query}"),
            None,
        )
        .await;
        let shown: String = query.chars().take(80).collect();
        assert_eq!(answer.status, 400, "{shown}: {}", answer.body);
        assert_contract("get", "/admin/identities", &answer);
        assert!(
            answer.reason().contains(reason),
            "{shown}: {:?}",
            answer.reason()
        );
    }
}

async fn list_serves_huge_pages_at_the_largest_size_and_accepts_legacy_parameters(
    backend: Backend,
) {
    let app = spawn(backend).await;
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(create_person(&app, &format!("legacy-{n}@example.org")).await);
    }
    created.sort();
    let huge = call(
        &app,
        Method::GET,
        "/admin/identities?page_size=100000",
        None,
    )
    .await;
    assert_eq!(huge.status, 200);
    assert_eq!(ids_of(&huge.body), created);
    assert!(huge.header("link").unwrap().contains("page_size=500&"));
    let zero = call(&app, Method::GET, "/admin/identities?page_size=0", None).await;
    assert!(zero.header("link").unwrap().contains("page_size=250&"));
    for consistency in ["strong", "eventual", "", "whatever"] {
        let answer = call(
            &app,
            Method::GET,
            &format!("/admin/identities?consistency={consistency}"),
            None,
        )
        .await;
        assert_eq!(answer.status, 200, "{consistency}");
        assert!(
            answer
                .header("link")
                .unwrap()
                .contains(&format!("consistency={consistency}&"))
        );
    }
    // `per_page` alone is a page size.
    let per_page = call(&app, Method::GET, "/admin/identities?per_page=2", None).await;
    assert_eq!(ids_of(&per_page.body), created[..2].to_vec());
    assert!(!per_page.header("link").unwrap().contains("per_page"));
    // `page` switches to Kratos's legacy offset pagination.
    let config = app.sdk(&app.admin_url);
    let second = identity_api::list_identities(
        &config,
        Some(2),
        Some(1),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        second.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        created[2..4].to_vec()
    );
    let third = call(
        &app,
        Method::GET,
        "/admin/identities?page=2&per_page=2",
        None,
    )
    .await;
    assert_eq!(ids_of(&third.body), created[4..].to_vec());
    assert!(link(&third, "next").is_none());
    assert_eq!(
        link(&third, "prev").as_deref(),
        Some("/admin/identities?page=1&per_page=2")
    );
    let first = call(
        &app,
        Method::GET,
        "/admin/identities?page=0&per_page=2",
        None,
    )
    .await;
    assert_eq!(
        link(&first, "next").as_deref(),
        Some("/admin/identities?page=1&per_page=2")
    );
}

// ---- update ---------------------------------------------------------------------------

async fn update_with_the_sdk_replaces_traits_state_and_metadata(backend: Backend) {
    let app = spawn(backend).await;
    let answer = create(
        &app,
        json!({"schema_id": "default", "traits": {"email": "before@example.org"},
               "metadata_public": {"a": 1}, "metadata_admin": {"b": 2},
               "credentials": {"password": {"config": {"hashed_password": VECTORS[3].hash}}}}),
    )
    .await;
    let id = answer.body["id"].as_str().unwrap().to_owned();
    let created_changed_at = answer.body["state_changed_at"].clone();
    app.clock.advance(std::time::Duration::from_secs(5));
    let config = app.sdk(&app.admin_url);
    let mut body = models::UpdateIdentityBody::new(
        "default".into(),
        models::update_identity_body::StateEnum::Inactive,
        json!({"email": "after@example.org", "name": "After"}),
    );
    body.metadata_public = Some(Some(json!({"c": 3})));
    let updated = identity_api::update_identity(&config, &id, Some(body))
        .await
        .unwrap();
    assert_eq!(updated.state, Some(models::identity::StateEnum::Inactive));
    assert_eq!(updated.metadata_public, Some(Some(json!({"c": 3}))));
    assert_eq!(updated.metadata_admin, None, "absent metadata is cleared");
    assert_ne!(json!(updated.state_changed_at), created_changed_at);
    let credentials = updated.credentials.unwrap();
    assert_eq!(
        credentials["password"].identifiers,
        Some(vec!["after@example.org".to_owned()])
    );
    // The password survives the update; the old e-mail is free again.
    assert_eq!(stored_hash(&stored(&app, &id).await), VECTORS[3].hash);
    create_person(&app, "before@example.org").await;

    let answer = call(
        &app,
        Method::PUT,
        &format!("/admin/identities/{id}"),
        Some(
            json!({"schema_id": "customer", "traits": {"username": "after"}, "state": "active",
                    "unknown_field": "ignored as Kratos does"}),
        ),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_contract("put", "/admin/identities/{id}", &answer);
    assert_eq!(answer.body["schema_id"], "customer");
    assert_eq!(
        answer.body["credentials"]["password"]["identifiers"],
        json!(["after"])
    );
    assert!(
        answer.body.get("verifiable_addresses").is_none(),
        "the new schema verifies nothing"
    );
    assert!(
        answer.body["schema_url"]
            .as_str()
            .unwrap()
            .ends_with("/schemas/Y3VzdG9tZXI")
    );
}

async fn update_imports_a_new_password_and_oidc_links(backend: Backend) {
    let app = spawn(backend).await;
    let id = create_person(&app, "reset@example.org").await;
    let answer = call(
        &app,
        Method::PUT,
        &format!("/admin/identities/{id}"),
        Some(json!({"schema_id": "default", "traits": {"email": "reset@example.org"}, "state": "active",
                    "credentials": {"password": {"config": {"password": "the new passphrase"}},
                                    "oidc": {"config": {"providers": [{"provider": "github", "subject": "1"}]}}}})),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let identity = stored(&app, &id).await;
    assert_eq!(
        verify(&Secret::new("the new passphrase"), &stored_hash(&identity)),
        Ok(true)
    );
    assert_eq!(
        identity
            .credentials(CredentialsType::Password)
            .unwrap()
            .identifiers,
        vec!["reset@example.org"]
    );
    // A second import adds links rather than replacing them.
    let answer = call(
        &app,
        Method::PUT,
        &format!("/admin/identities/{id}"),
        Some(json!({"schema_id": "default", "traits": {"email": "reset@example.org"}, "state": "active",
                    "credentials": {"oidc": {"config": {"providers": [{"provider": "google", "subject": "2"}]}}}})),
    )
    .await;
    assert_eq!(
        answer.body["credentials"]["oidc"]["identifiers"],
        json!(["github:1", "google:2"])
    );
}

async fn update_answers_kratos_errors(backend: Backend) {
    let app = spawn(backend).await;
    let id = create_person(&app, "mine@example.org").await;
    create_person(&app, "theirs@example.org").await;
    let valid =
        json!({"schema_id": "default", "traits": {"email": "mine@example.org"}, "state": "active"});
    let put = |path: String, body: Value| {
        let app = &app;
        async move { call(app, Method::PUT, &path, Some(body)).await }
    };
    let cases = [
        (
            format!("/admin/identities/{}", IdentityId::new()),
            valid.clone(),
            404,
            "",
        ),
        (
            "/admin/identities/not-a-uuid".to_owned(),
            valid.clone(),
            404,
            "",
        ),
        (
            format!("/admin/identities/{id}"),
            json!({"schema_id": "default", "traits": {"email": 1}, "state": "active"}),
            400,
            "I[#/traits/email]",
        ),
        (
            format!("/admin/identities/{id}"),
            json!({"schema_id": "default", "traits": {}, "state": "active"}),
            400,
            "I[#/traits]",
        ),
        (
            format!("/admin/identities/{id}"),
            json!({"schema_id": "nope", "traits": {"email": "mine@example.org"}, "state": "active"}),
            400,
            "Unable to find JSON Schema ID: nope",
        ),
        (
            format!("/admin/identities/{id}"),
            json!({"schema_id": "default", "traits": {"email": "mine@example.org"}, "state": "paused"}),
            400,
            "identity state is not valid",
        ),
        (
            format!("/admin/identities/{id}"),
            json!({"schema_id": "default", "traits": {"email": "mine@example.org"}, "state": 1}),
            400,
            "Unable to decode JSON payload",
        ),
        (
            format!("/admin/identities/{id}"),
            json!({"schema_id": "default", "traits": {"email": "mine@example.org"}, "state": "active",
            "credentials": {"password": {"config": {"hashed_password": "nope"}}}}),
            400,
            "hash format",
        ),
    ];
    for (path, body, status, reason) in cases {
        let answer = put(path.clone(), body.clone()).await;
        assert_eq!(answer.status, status, "{path} {body}: {}", answer.body);
        assert_contract("put", "/admin/identities/{id}", &answer);
        assert!(
            answer.reason().contains(reason),
            "{body}: {:?}",
            answer.reason()
        );
    }
    // Taking another identity's e-mail is a conflict, and nothing changes.
    let answer = put(
        format!("/admin/identities/{id}"),
        json!({"schema_id": "default", "traits": {"email": "THEIRS@example.org"}, "state": "active"}),
    )
    .await;
    assert_eq!(answer.status, 409);
    assert_contract("put", "/admin/identities/{id}", &answer);
    assert_eq!(
        answer.message(),
        "Unable to insert or update resource because a resource with that value exists already"
    );
    let config = app.sdk(&app.admin_url);
    let error = identity_api::update_identity(
        &config,
        &id,
        Some(models::UpdateIdentityBody::new(
            "default".into(),
            models::update_identity_body::StateEnum::Active,
            json!({"email": "theirs@example.org"}),
        )),
    )
    .await
    .expect_err("taken");
    assert_eq!(sdk_status(&error), 409);
    let unchanged = call(&app, Method::GET, &format!("/admin/identities/{id}"), None).await;
    assert_eq!(unchanged.body["traits"]["email"], "mine@example.org");
    // Malformed bodies: not JSON, not typed as JSON, empty.
    let answer = raw(
        &app,
        Method::PUT,
        &format!("/admin/identities/{id}"),
        Some(b"{nope"),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_contract("put", "/admin/identities/{id}", &answer);
    let untyped = app
        .http
        .put(app.admin(&format!("/admin/identities/{id}")))
        .header("content-type", "text/plain")
        .body(valid.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(untyped.status().as_u16(), 400);
    let body: Value = untyped.json().await.unwrap();
    assert!(
        body["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("Content-Type")
    );
    let empty = raw(
        &app,
        Method::PUT,
        &format!("/admin/identities/{id}"),
        Some(b""),
    )
    .await;
    assert_eq!(empty.status, 400);
}

async fn an_identifier_moved_while_another_identity_claims_it_stays_consistent(backend: Backend) {
    let app = spawn(backend).await;
    for round in 0..4 {
        let old = format!("a-{round}@example.org");
        let wanted = format!("wanted-{round}@example.org");
        let a = create_person(&app, &old).await;
        let target = format!("/admin/identities/{a}");
        let (moved, claimed) = tokio::join!(
            call(
                &app,
                Method::PUT,
                &target,
                Some(
                    json!({"schema_id": "default", "traits": {"email": wanted}, "state": "active"})
                ),
            ),
            create(
                &app,
                json!({"schema_id": "default", "traits": {"email": wanted}})
            ),
        );
        let mut statuses = [moved.status, claimed.status];
        statuses.sort();
        assert!(
            statuses == [200, 409] || statuses == [201, 409],
            "round {round}: exactly one wins: {} / {}",
            moved.body,
            claimed.body
        );
        let holders = call(
            &app,
            Method::GET,
            &format!("/admin/identities?credentials_identifier={wanted}"),
            None,
        )
        .await;
        let old_holders = call(
            &app,
            Method::GET,
            &format!("/admin/identities?credentials_identifier={old}"),
            None,
        )
        .await;
        let a_now = call(&app, Method::GET, &format!("/admin/identities/{a}"), None).await;
        if moved.status == 200 {
            assert_eq!(ids_of(&holders.body), vec![a.clone()]);
            assert_eq!(old_holders.body, json!([]), "the old e-mail was released");
            assert_eq!(a_now.body["traits"]["email"], wanted.as_str());
        } else {
            assert_eq!(
                ids_of(&holders.body),
                vec![claimed.body["id"].as_str().unwrap()]
            );
            assert_eq!(ids_of(&old_holders.body), vec![a.clone()]);
            assert_eq!(a_now.body["traits"]["email"], old.as_str());
        }
    }
}

// ---- patch ----------------------------------------------------------------------------

fn op(op: &str, path: &str, value: Option<Value>) -> models::JsonPatch {
    let mut patch = models::JsonPatch::new(op.into(), path.into());
    patch.value = value.map(Some);
    patch
}

async fn patch_with_the_sdk_changes_traits_and_metadata(backend: Backend) {
    let app = spawn(backend).await;
    let id = create_person(&app, "patch@example.org").await;
    let config = app.sdk(&app.admin_url);
    let patched = identity_api::patch_identity(
        &config,
        &id,
        Some(vec![
            op(
                "replace",
                "/traits/email",
                Some(json!("patched@example.org")),
            ),
            op("add", "/metadata_public", Some(json!({"role": "user"}))),
            op("replace", "/metadata_admin/nested/flag", Some(json!(true))),
            op("add", "/traits/name", Some(json!("Pat"))),
        ]),
    )
    .await
    .expect("the SDK patches");
    assert_eq!(
        patched.traits,
        Some(json!({"email": "patched@example.org", "name": "Pat"}))
    );
    assert_eq!(patched.metadata_public, Some(Some(json!({"role": "user"}))));
    assert_eq!(
        patched.metadata_admin,
        Some(Some(json!({"nested": {"flag": true}})))
    );
    assert_eq!(
        patched.credentials.unwrap()["password"].identifiers,
        Some(vec!["patched@example.org".to_owned()])
    );
    assert_eq!(
        patched.verifiable_addresses.unwrap()[0].value,
        "patched@example.org"
    );
    create_person(&app, "patch@example.org").await;
    let answer = call(
        &app,
        Method::PATCH,
        &format!("/admin/identities/{id}"),
        Some(json!([{"op": "remove", "path": "/traits/name"}])),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_contract("patch", "/admin/identities/{id}", &answer);
    assert_eq!(
        answer.body["traits"],
        json!({"email": "patched@example.org"})
    );
}

async fn concurrent_patches_of_one_identity_both_apply(backend: Backend) {
    let app = spawn(backend).await;
    let id = create_person(&app, "busy@example.org").await;
    let path = format!("/admin/identities/{id}");
    for round in 0..4 {
        let patch = |key: &str| json!([{"op": "add", "path": format!("/metadata_admin/{key}{round}"), "value": round}]);
        let (a, b) = tokio::join!(
            call(&app, Method::PATCH, &path, Some(patch("a"))),
            call(&app, Method::PATCH, &path, Some(patch("b"))),
        );
        assert_eq!((a.status, b.status), (200, 200), "{} / {}", a.body, b.body);
    }
    let after = call(&app, Method::GET, &path, None).await;
    let keys: Vec<&String> = after.body["metadata_admin"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys.len(), 8, "no change was lost: {keys:?}");
}

async fn patch_of_the_state_stamps_state_changed_at(backend: Backend) {
    let app = spawn(backend).await;
    let id = create_person(&app, "state@example.org").await;
    let before = call(&app, Method::GET, &format!("/admin/identities/{id}"), None).await;
    app.clock.advance(std::time::Duration::from_secs(3));
    let answer = call(
        &app,
        Method::PATCH,
        &format!("/admin/identities/{id}"),
        Some(json!([{"op": "replace", "path": "/state", "value": "inactive"}])),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["state"], "inactive");
    assert_ne!(
        answer.body["state_changed_at"],
        before.body["state_changed_at"]
    );
    let invalid = call(
        &app,
        Method::PATCH,
        &format!("/admin/identities/{id}"),
        Some(json!([{"op": "replace", "path": "/state", "value": "invalid-value"}])),
    )
    .await;
    assert_eq!(invalid.status, 400);
    assert_contract("patch", "/admin/identities/{id}", &invalid);
    assert_eq!(
        invalid.reason(),
        "The supplied state ('invalid-value') was not valid. Valid states are ('active', 'inactive')."
    );
    let after = call(&app, Method::GET, &format!("/admin/identities/{id}"), None).await;
    assert_eq!(after.body["state"], "inactive");
}

async fn patch_verifies_and_unverifies_an_address(backend: Backend) {
    let app = spawn(backend).await;
    let id = create_person(&app, "verify@example.org").await;
    app.clock.advance(std::time::Duration::from_secs(2));
    let path = format!("/admin/identities/{id}");
    let answer = call(
        &app,
        Method::PATCH,
        &path,
        Some(json!([{"op": "replace", "path": "/verifiable_addresses/0/verified", "value": true}])),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let address = &answer.body["verifiable_addresses"][0];
    assert_eq!(address["verified"], true);
    assert!(address["verified_at"].is_string());
    assert_ne!(address["updated_at"], address["created_at"]);
    let verified_at = "1999-01-07T08:23:19Z";
    let answer = call(
        &app,
        Method::PATCH,
        &path,
        Some(json!([{"op": "replace", "path": "/verifiable_addresses/0/verified_at", "value": verified_at}])),
    )
    .await;
    assert_eq!(
        answer.body["verifiable_addresses"][0]["verified_at"],
        verified_at
    );
    let answer = call(
        &app,
        Method::PATCH,
        &path,
        Some(
            json!([{"op": "replace", "path": "/verifiable_addresses/0/verified", "value": false}]),
        ),
    )
    .await;
    assert_eq!(answer.body["verifiable_addresses"][0]["verified"], false);
    assert!(
        answer.body["verifiable_addresses"][0]
            .get("verified_at")
            .is_none()
    );
}

async fn patch_refuses_protected_paths_and_bad_patches_without_changing_anything(backend: Backend) {
    let app = spawn(backend).await;
    let id = create_person(&app, "guarded@example.org").await;
    create_person(&app, "other@example.org").await;
    let path = format!("/admin/identities/{id}");
    let before = call(&app, Method::GET, &path, None).await;
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!([{"op": "replace", "path": "/id", "value": IdentityId::new().to_string()}]),
            400,
            "message",
            "patch includes denied path: /id",
        ),
        (
            json!([{"op": "replace", "path": "/credentials", "value": "patched-credentials"}]),
            400,
            "message",
            "patch includes denied path: /credentials",
        ),
        (
            json!([{"op": "add", "path": "/credentials/password/config/hashed_password", "value": "x"}]),
            400,
            "message",
            "patch includes denied path: /credentials/password/config/hashed_password",
        ),
        (
            json!([{"op": "move", "from": "/traits/email", "path": "/traits/name"}]),
            400,
            "message",
            "unsupported operation: move",
        ),
        (
            json!([{"op": "test", "path": "/state", "value": "active"}]),
            400,
            "message",
            "unsupported operation: test",
        ),
        (
            json!({"op": "replace"}),
            400,
            "reason",
            "An error occured when applying the JSON patch",
        ),
        (
            json!([{"op": "remove", "path": "/traits/missing"}]),
            400,
            "reason",
            "An error occured when applying the JSON patch",
        ),
        (
            json!([{"op": "replace", "path": "/state", "value": 5}]),
            400,
            "message",
            "state",
        ),
        (
            json!([{"op": "replace", "path": "/state_changed_at", "value": "9999-12-31T23:59:59-01:00"}]),
            400,
            "message",
            "state_changed_at",
        ),
        (
            json!([{"op": "replace", "path": "/schema_id", "value": "invalid-id"}]),
            400,
            "reason",
            "invalid-id",
        ),
        (
            json!([{"op": "replace", "path": "/traits/email", "value": "not an email"}]),
            400,
            "reason",
            "I[#/traits/email]",
        ),
        (
            json!([{"op": "replace", "path": "/traits/email", "value": "OTHER@example.org"}]),
            409,
            "message",
            "Unable to insert or update resource",
        ),
    ];
    for (patch, status, field, text) in cases {
        let answer = call(&app, Method::PATCH, &path, Some(patch.clone())).await;
        assert_eq!(answer.status, status, "{patch}: {}", answer.body);
        assert_contract("patch", "/admin/identities/{id}", &answer);
        let shown = answer.body["error"][field].as_str().unwrap_or_default();
        assert!(
            shown.contains(text),
            "{patch}: {field} {shown:?} lacks {text:?}"
        );
    }
    let empty = raw(&app, Method::PATCH, &path, Some(b"")).await;
    assert_eq!(empty.status, 400);
    assert!(empty.message().contains("unexpected end of JSON input"));
    let after = call(&app, Method::GET, &path, None).await;
    assert_eq!(
        after.body, before.body,
        "no refused patch changed the identity"
    );
    // Unknown identities are 404 whatever the body.
    for target in [IdentityId::new().to_string(), "not-a-uuid".to_owned()] {
        let answer = raw(
            &app,
            Method::PATCH,
            &format!("/admin/identities/{target}"),
            Some(b"{}"),
        )
        .await;
        assert_eq!(answer.status, 404, "{target}");
        assert_contract("patch", "/admin/identities/{id}", &answer);
    }
}

// ---- batch ----------------------------------------------------------------------------

fn person(email: &str) -> Value {
    json!({"schema_id": "default", "traits": {"email": email}})
}

async fn batch_with_the_sdk_creates_each_identity_on_its_own(backend: Backend) {
    let app = spawn(backend).await;
    create_person(&app, "existing@example.org").await;
    let patch_id = |n: u8| uuid::Uuid::from_bytes([n; 16]).to_string();
    let items = vec![
        json!({"create": person("one@example.org"), "patch_id": patch_id(1)}),
        json!({"create": {"schema_id": "default", "traits": {}}, "patch_id": patch_id(2)}),
        json!({"create": person("two@example.org"), "patch_id": patch_id(3)}),
        json!({"create": person("ONE@example.org"), "patch_id": patch_id(4)}),
        json!({"create": person("existing@example.org"), "patch_id": patch_id(5)}),
        json!({"create": {"schema_id": "default", "traits": {"email": "hash@example.org"},
               "credentials": {"password": {"config": {"hashed_password": "md5:nope"}}}}, "patch_id": patch_id(6)}),
        json!({"create": {"schema_id": "default", "traits": {"email": "state@example.org"},
               "credentials": {"password": {"config": {"hashed_password": "$2a$10$short"}}}}}),
        json!({"create": {"schema_id": "default", "traits": {"email": "import@example.org"},
               "credentials": {"password": {"config": {"hashed_password": VECTORS[3].hash}}},
               "verifiable_addresses": [{"value": "import@example.org", "via": "email", "verified": true, "status": "sent"}]}}),
    ];
    let body: models::PatchIdentitiesBody =
        serde_json::from_value(json!({"identities": items})).unwrap();
    let config = app.sdk(&app.admin_url);
    let response = identity_api::batch_patch_identities(&config, Some(body))
        .await
        .expect("the SDK decodes the batch answer");
    let results = response.identities.unwrap();
    use models::identity_patch_response::ActionEnum::{Create, Error};
    let actions: Vec<_> = results.iter().map(|r| r.action.unwrap()).collect();
    assert_eq!(
        actions,
        vec![Create, Error, Create, Error, Error, Error, Error, Create]
    );
    for (n, result) in results.iter().take(6).enumerate() {
        assert_eq!(result.patch_id, Some(patch_id(n as u8 + 1)));
    }
    assert_eq!(results[6].patch_id, None);
    let status = |n: usize| results[n].error.clone().unwrap().unwrap()["status"].clone();
    assert_eq!(status(1), "Bad Request");
    assert_eq!(status(3), "Conflict");
    assert_eq!(status(4), "Conflict");
    assert_eq!(status(5), "Bad Request");
    assert_eq!(status(6), "Bad Request");
    assert!(results[1].identity.is_none());
    let imported = results[7].identity.clone().unwrap();
    let identity = stored(&app, &imported).await;
    assert_eq!(stored_hash(&identity), VECTORS[3].hash);
    assert!(identity.verifiable_addresses[0].verified);
    let list = call(&app, Method::GET, "/admin/identities", None).await;
    assert_eq!(ids_of(&list.body).len(), 4, "existing + three created");
    for n in [0, 2, 7] {
        let id = results[n].identity.clone().unwrap();
        assert!(ids_of(&list.body).contains(&id));
    }

    // The raw answer matches the contract; patches without `create` answer `null`.
    let answer = call(
        &app,
        Method::PATCH,
        "/admin/identities",
        Some(json!({"identities": [{"create": person("three@example.org")}, {"create": person("four@example.org")}]})),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_contract("patch", "/admin/identities", &answer);
    let answer = call(
        &app,
        Method::PATCH,
        "/admin/identities",
        Some(json!({"identities": [
            {"patch_id": patch_id(9)},
            {"create": person("five@example.org")},
            null,
            {"create": {"schema_id": "default", "traits": {"email": "six@example.org"}, "state": "x"}}
        ]})),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["identities"][0], Value::Null);
    assert_eq!(answer.body["identities"][1]["action"], "create");
    assert_eq!(answer.body["identities"][2], Value::Null);
    assert_eq!(answer.body["identities"][3]["action"], "error");
    assert_eq!(
        answer.body["identities"][3]["error"]["reason"],
        "identity state is not valid"
    );
}

async fn a_large_batch_writes_every_identity_once(backend: Backend) {
    let app = spawn(backend).await;
    let items: Vec<Value> = (0..60)
        .map(|n| {
            let mut create = person(&format!("bulk-{n:03}@example.org"));
            create["credentials"] = if n % 20 == 0 {
                json!({"password": {"config": {"password": format!("clear text {n}")}}})
            } else {
                json!({"password": {"config": {"hashed_password": VECTORS[3].hash}}})
            };
            json!({"create": create, "patch_id": uuid::Uuid::new_v4()})
        })
        .collect();
    app.store_requests();
    let answer = call(
        &app,
        Method::PATCH,
        "/admin/identities",
        Some(json!({"identities": items.clone()})),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        app.store_requests(),
        counts(0, 0, 0, 60),
        "one write per identity"
    );
    assert_contract("patch", "/admin/identities", &answer);
    let results = answer.body["identities"].as_array().unwrap();
    for (item, result) in items.iter().zip(results) {
        assert_eq!(result["action"], "create", "{result}");
        assert_eq!(
            result["patch_id"], item["patch_id"],
            "results keep the request's order"
        );
    }
    let listed = call(&app, Method::GET, "/admin/identities?page_size=500", None).await;
    assert_eq!(ids_of(&listed.body).len(), 60);
    let hashed = stored(&app, results[20]["identity"].as_str().unwrap()).await;
    assert_eq!(
        verify(&Secret::new("clear text 20"), &stored_hash(&hashed)),
        Ok(true)
    );
    // Some of the same identities again: each is a conflict, and nothing more is stored.
    let again = call(
        &app,
        Method::PATCH,
        "/admin/identities",
        Some(json!({"identities": items[..5]})),
    )
    .await;
    assert!(
        again.body["identities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] == "error" && r["error"]["code"] == 409)
    );
    assert_eq!(again.body["identities"].as_array().unwrap().len(), 5);
    let listed = call(&app, Method::GET, "/admin/identities?page_size=500", None).await;
    assert_eq!(ids_of(&listed.body).len(), 60);
}

async fn batch_refuses_oversized_and_malformed_requests_as_a_whole(backend: Backend) {
    let app = spawn(backend).await;
    let too_many: Vec<Value> = (0..2001)
        .map(|n| json!({"create": person(&format!("n{n}@example.org"))}))
        .collect();
    let answer = call(
        &app,
        Method::PATCH,
        "/admin/identities",
        Some(json!({"identities": too_many})),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_contract("patch", "/admin/identities", &answer);
    assert!(answer.reason().contains("2000"), "{}", answer.reason());
    let plaintext: Vec<Value> = (0..201)
        .map(|n| json!({"create": {"schema_id": "default", "traits": {"email": format!("p{n}@example.org")},
                                   "credentials": {"password": {"config": {"password": "clear text"}}}}}))
        .collect();
    let answer = call(
        &app,
        Method::PATCH,
        "/admin/identities",
        Some(json!({"identities": plaintext})),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(answer.reason().contains("200"), "{}", answer.reason());
    let malformed: [&[u8]; 4] = [
        b"{",
        br#"{"identities": "nope"}"#,
        br#"{"identities": [{"create": {"traits": {}, "surprise": 1}}]}"#,
        br#"{"identities": [], "async": true}"#,
    ];
    for body in malformed {
        let answer = raw(&app, Method::PATCH, "/admin/identities", Some(body)).await;
        assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(body));
        assert_contract("patch", "/admin/identities", &answer);
    }
    let list = call(&app, Method::GET, "/admin/identities", None).await;
    assert_eq!(list.body, json!([]), "nothing was written");
    let empty = call(
        &app,
        Method::PATCH,
        "/admin/identities",
        Some(json!({"identities": []})),
    )
    .await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body, json!({"identities": []}));
}

// ---- delete ---------------------------------------------------------------------------

async fn delete_with_the_sdk_answers_204_and_frees_the_identifiers(backend: Backend) {
    let app = spawn(backend).await;
    let id = create_person(&app, "leaving@example.org").await;
    let config = app.sdk(&app.admin_url);
    identity_api::delete_identity(&config, &id)
        .await
        .expect("deleted");
    let gone = call(&app, Method::GET, &format!("/admin/identities/{id}"), None).await;
    assert_eq!(gone.status, 404);
    create_person(&app, "leaving@example.org").await;
    let error = identity_api::delete_identity(&config, &id)
        .await
        .expect_err("gone");
    assert_eq!(sdk_status(&error), 404);
    for target in [id.as_str(), "not-a-uuid", NIL] {
        let answer = call(
            &app,
            Method::DELETE,
            &format!("/admin/identities/{target}"),
            None,
        )
        .await;
        assert_eq!(answer.status, 404, "{target}");
        assert_contract("delete", "/admin/identities/{id}", &answer);
    }
    let other = create_person(&app, "staying@example.org").await;
    let answer = call(
        &app,
        Method::DELETE,
        &format!("/admin/identities/{other}"),
        None,
    )
    .await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.body, Value::Null);
}

// ---- delete credentials ---------------------------------------------------------------

/// An identity with TOTP, lookup secrets, passkeys and two WebAuthn keys (one passwordless),
/// written through the store, since the API imports only passwords and OIDC links.
async fn with_second_factors(app: &TestApp, email: &str) -> String {
    let id = create(
        app,
        json!({"schema_id": "default", "traits": {"email": email},
        "credentials": {
            "password": {"config": {"hashed_password": VECTORS[3].hash}},
            "oidc": {"config": {"providers": [
                {"provider": "github", "subject": format!("gh-{email}")},
                {"provider": "google", "subject": format!("go-{email}")}
            ]}}
        }}),
    )
    .await
    .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let store = app.state.identities();
    let mut identity = store.get(id.parse().unwrap()).await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    identity.upsert_credentials(
        CredentialsType::Totp,
        json!({"totp_url": "otpauth://totp/x"}),
        now,
    );
    identity.upsert_credentials(
        CredentialsType::LookupSecret,
        json!({"recovery_codes": []}),
        now,
    );
    identity.upsert_credentials(CredentialsType::Passkey, json!({"credentials": []}), now);
    identity.upsert_credentials(
        CredentialsType::Webauthn,
        json!({"credentials": [
            {"id": "mfa-key", "is_passwordless": false},
            {"id": "passwordless-key", "is_passwordless": true}
        ], "user_handle": "aGFuZGxl"}),
        now,
    );
    store.update(&mut identity).await.unwrap();
    id
}

async fn delete_credentials_with_the_sdk_unlinks_one_oidc_provider(backend: Backend) {
    let app = spawn(backend).await;
    let email = "links@example.org";
    let id = with_second_factors(&app, email).await;
    let config = app.sdk(&app.admin_url);
    identity_api::delete_identity_credentials(
        &config,
        &id,
        "oidc",
        Some(&format!("github:gh-{email}")),
    )
    .await
    .expect("unlinked");
    let shown = call(
        &app,
        Method::GET,
        &format!("/admin/identities/{id}?include_credential=oidc"),
        None,
    )
    .await;
    let oidc = &shown.body["credentials"]["oidc"];
    assert_eq!(oidc["identifiers"], json!([format!("google:go-{email}")]));
    assert_eq!(oidc["config"]["providers"].as_array().unwrap().len(), 1);
    // The unlinked subject is free for another identity.
    let other = create(
        &app,
        json!({"schema_id": "default", "traits": {"email": "taker@example.org"},
               "credentials": {"oidc": {"config": {"providers": [{"provider": "github", "subject": format!("gh-{email}")}]}}}}),
    )
    .await;
    assert_eq!(other.status, 201);
}

async fn delete_credentials_removes_second_factors_as_kratos_does(backend: Backend) {
    let app = spawn(backend).await;
    let id = with_second_factors(&app, "factors@example.org").await;
    for kind in ["totp", "lookup_secret", "webauthn"] {
        let answer = call(
            &app,
            Method::DELETE,
            &format!("/admin/identities/{id}/credentials/{kind}"),
            None,
        )
        .await;
        assert_eq!(answer.status, 204, "{kind}: {}", answer.body);
    }
    let identity = stored(&app, &id).await;
    assert!(identity.credentials(CredentialsType::Totp).is_none());
    assert!(
        identity
            .credentials(CredentialsType::LookupSecret)
            .is_none()
    );
    let webauthn = identity
        .credentials(CredentialsType::Webauthn)
        .expect("passwordless keys stay");
    assert_eq!(
        webauthn.config["credentials"],
        json!([{"id": "passwordless-key", "is_passwordless": true}])
    );
    assert_eq!(webauthn.config["user_handle"], "aGFuZGxl");
    assert!(identity.credentials(CredentialsType::Password).is_some());
}

async fn delete_credentials_refuses_what_kratos_refuses(backend: Backend) {
    let app = spawn(backend).await;
    let id = with_second_factors(&app, "refuse@example.org").await;
    let bare = create_person(&app, "bare@example.org").await;
    let cases = [
        (
            format!("{id}/credentials/password"),
            400,
            "You cannot remove first factor credentials.",
        ),
        (
            format!("{id}/credentials/code"),
            400,
            "You cannot remove first factor credentials.",
        ),
        (
            format!("{id}/credentials/passkey"),
            400,
            "Unknown credentials type passkey.",
        ),
        (
            format!("{id}/credentials/oidc"),
            400,
            "You must provide an identifier to delete this credential.",
        ),
        (
            format!("{id}/credentials/oidc?identifier="),
            400,
            "You must provide an identifier to delete this credential.",
        ),
        (
            format!("{id}/credentials/oidc?identifier=github:nobody"),
            404,
            "The identifier `github:nobody` was not found among OIDC credentials.",
        ),
        (
            format!("{bare}/credentials/totp"),
            404,
            "You tried to remove a totp but this user have no totp set up.",
        ),
        (
            format!("{bare}/credentials/azerty"),
            404,
            "You tried to remove a azerty but this user have no azerty set up.",
        ),
        (format!("{}/credentials/totp", IdentityId::new()), 404, ""),
        ("not-a-uuid/credentials/totp".to_owned(), 404, ""),
    ];
    for (path, status, reason) in cases {
        let answer = call(
            &app,
            Method::DELETE,
            &format!("/admin/identities/{path}"),
            None,
        )
        .await;
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
        assert_contract(
            "delete",
            "/admin/identities/{id}/credentials/{type}",
            &answer,
        );
        assert_eq!(answer.reason(), reason, "{path}");
    }
    let config = app.sdk(&app.admin_url);
    let error = identity_api::delete_identity_credentials(&config, &id, "password", None)
        .await
        .expect_err("first factor");
    assert_eq!(sdk_status(&error), 400);
    assert!(
        stored(&app, &id)
            .await
            .credentials(CredentialsType::Password)
            .is_some()
    );
}

// ---- storage cost ---------------------------------------------------------------------

async fn each_operation_makes_the_documented_store_requests(backend: Backend) {
    let app = spawn(backend).await;
    let a = create_person(&app, "cost-a@example.org").await;
    let b = create_person(&app, "cost-b@example.org").await;
    let c = with_second_factors(&app, "cost-c@example.org").await;

    app.store_requests();
    create_person(&app, "cost-d@example.org").await;
    assert_eq!(app.store_requests(), counts(0, 0, 0, 1), "create");

    let taken = create(&app, person("cost-d@example.org")).await;
    assert_eq!(taken.status, 409);
    assert_eq!(app.store_requests(), counts(1, 0, 0, 1), "create, conflict");

    call(&app, Method::GET, &format!("/admin/identities/{a}"), None).await;
    assert_eq!(app.store_requests(), counts(1, 0, 0, 0), "get");

    call(&app, Method::GET, "/admin/identities?page_size=2", None).await;
    assert_eq!(app.store_requests(), counts(0, 0, 1, 0), "list");

    call(
        &app,
        Method::GET,
        &format!("/admin/identities?ids={a}&ids={b}"),
        None,
    )
    .await;
    assert_eq!(app.store_requests(), counts(0, 1, 0, 0), "list by ids");

    call(
        &app,
        Method::GET,
        "/admin/identities?credentials_identifier=cost-a@example.org",
        None,
    )
    .await;
    assert_eq!(
        app.store_requests(),
        counts(0, 1, 1, 0),
        "list by identifier"
    );

    call(
        &app,
        Method::GET,
        "/admin/identities?preview_credentials_identifier_similar=cost-",
        None,
    )
    .await;
    assert_eq!(
        app.store_requests(),
        counts(0, 1, 1, 0),
        "list by identifier prefix"
    );

    call(
        &app,
        Method::PUT,
        &format!("/admin/identities/{a}"),
        Some(json!({"schema_id": "default", "traits": {"email": "cost-a2@example.org"}, "state": "active"})),
    )
    .await;
    assert_eq!(app.store_requests(), counts(1, 0, 0, 1), "update");

    call(
        &app,
        Method::PATCH,
        &format!("/admin/identities/{a}"),
        Some(json!([{"op": "add", "path": "/metadata_public", "value": {"x": 1}}])),
    )
    .await;
    assert_eq!(app.store_requests(), counts(1, 0, 0, 1), "patch");

    let batch: Vec<Value> = (0..3)
        .map(|n| json!({"create": person(&format!("cost-batch-{n}@example.org"))}))
        .collect();
    call(
        &app,
        Method::PATCH,
        "/admin/identities",
        Some(json!({"identities": batch})),
    )
    .await;
    assert_eq!(app.store_requests(), counts(0, 0, 0, 3), "batch of three");

    call(
        &app,
        Method::DELETE,
        &format!("/admin/identities/{c}/credentials/totp"),
        None,
    )
    .await;
    assert_eq!(
        app.store_requests(),
        counts(1, 0, 0, 1),
        "delete credentials"
    );

    call(
        &app,
        Method::DELETE,
        &format!("/admin/identities/{b}"),
        None,
    )
    .await;
    assert_eq!(app.store_requests(), counts(1, 0, 2, 1), "delete");
}

on_both_backends!(
    create_with_the_sdk_answers_201_with_the_identity_and_its_location,
    create_derives_addresses_and_keeps_imported_verification,
    create_refuses_invalid_traits_state_and_schema_with_400,
    create_refuses_malformed_bodies_in_kratos_format,
    a_duplicate_identifier_answers_409_and_writes_nothing,
    two_concurrent_creates_with_the_same_email_give_one_201_and_one_409,
    create_hashes_a_clear_text_password_with_the_configured_hasher,
    imported_argon2id_hashes_verify,
    imported_argon2i_hashes_verify,
    imported_bcrypt_hashes_verify,
    imported_pbkdf2_hashes_verify,
    imported_scrypt_hashes_verify,
    imported_firescrypt_hashes_verify,
    imported_ssha_hashes_verify,
    imported_salted_sha_hashes_verify,
    imported_md5_hashes_verify,
    imported_md5_crypt_hashes_verify,
    imported_sha256_crypt_hashes_verify,
    imported_sha512_crypt_hashes_verify,
    imported_hmac_hashes_verify,
    unknown_or_malformed_hashes_answer_400_and_store_nothing,
    the_password_migration_hook_flag_is_stored,
    oidc_links_are_imported_and_unique,
    get_with_the_sdk_shows_configs_only_for_included_credentials,
    get_of_an_unknown_or_malformed_id_answers_404,
    get_with_an_unknown_include_credential_answers_400,
    list_with_the_sdk_pages_through_every_identity_with_kratos_links,
    list_filters_by_ids_and_identifiers,
    list_refuses_bad_filters_and_tampered_tokens_with_400,
    list_serves_huge_pages_at_the_largest_size_and_accepts_legacy_parameters,
    update_with_the_sdk_replaces_traits_state_and_metadata,
    update_imports_a_new_password_and_oidc_links,
    update_answers_kratos_errors,
    an_identifier_moved_while_another_identity_claims_it_stays_consistent,
    patch_with_the_sdk_changes_traits_and_metadata,
    concurrent_patches_of_one_identity_both_apply,
    patch_of_the_state_stamps_state_changed_at,
    patch_verifies_and_unverifies_an_address,
    patch_refuses_protected_paths_and_bad_patches_without_changing_anything,
    batch_with_the_sdk_creates_each_identity_on_its_own,
    a_large_batch_writes_every_identity_once,
    batch_refuses_oversized_and_malformed_requests_as_a_whole,
    delete_with_the_sdk_answers_204_and_frees_the_identifiers,
    delete_credentials_with_the_sdk_unlinks_one_oidc_provider,
    delete_credentials_removes_second_factors_as_kratos_does,
    delete_credentials_refuses_what_kratos_refuses,
    each_operation_makes_the_documented_store_requests,
);
