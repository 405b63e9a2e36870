use super::*;

fn load(yaml: &str, env: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
    Config::load(&ConfigSource {
        yaml: Some(yaml.to_owned()),
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    })
}

#[test]
fn no_configuration_at_all_gives_safe_defaults() {
    let loaded = Config::load(&ConfigSource::default()).unwrap();
    let config = loaded.config;
    assert_eq!(config.dsn, "memory");
    assert_eq!(config.serve.public.port, 4433);
    assert_eq!(config.serve.admin.port, 4434);
    assert_eq!(config.serve.public.host, "127.0.0.1");
    assert_eq!(config.hashers.algorithm, HashAlgorithm::Argon2);
    assert!(
        !config
            .selfservice
            .methods
            .password
            .config
            .haveibeenpwned_enabled
    );
    assert_eq!(config.session.cookie.name, "ory_kratos_session");
    assert_eq!(config.courier.message_retries, 5);
    assert_eq!(
        config.selfservice.flows.login.lifespan,
        GoDuration::from_secs(3600)
    );
    assert!(loaded.warnings.iter().any(|w| w.contains("no secrets")));
}

#[test]
fn kratos_style_keys_are_read() {
    let loaded = load(
        "dsn: sqlite:///tmp/x.db\nserve:\n  public:\n    base_url: http://localhost:4433/\n    cors:\n      enabled: true\nselfservice:\n  flows:\n    login:\n      lifespan: 10m\n    registration:\n      after:\n        password:\n          hooks:\n            - hook: session\nsecrets:\n  default: [aaaaaaaaaaaaaaaaaaaaaa]\n",
        &[],
    )
    .unwrap();
    let config = loaded.config;
    assert_eq!(config.dsn, "sqlite:///tmp/x.db");
    assert!(config.serve.public.cors.enabled);
    assert_eq!(
        config.selfservice.flows.login.lifespan,
        GoDuration::from_secs(600)
    );
    let hooks = config
        .selfservice
        .flows
        .registration
        .after
        .hooks_for("password");
    assert_eq!(hooks[0].hook, "session");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn unknown_keys_are_warned_about_not_fatal() {
    let loaded = load(
        "serve:\n  public:\n    bogus_key: 1\ntracing:\n  provider: jaeger\n",
        &[],
    )
    .unwrap();
    let text = loaded.warnings.join("\n");
    assert!(text.contains("serve.public.bogus_key"), "{text}");
    assert!(text.contains("tracing"), "{text}");
}

#[test]
fn an_enabled_unimplemented_method_is_warned_about() {
    let loaded = load(
        "selfservice:\n  methods:\n    totp:\n      enabled: true\n",
        &[],
    )
    .unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("selfservice.methods.totp"))
    );
}

#[test]
fn an_invalid_value_names_its_key() {
    let err = load(
        "selfservice:\n  flows:\n    login:\n      lifespan: forever\n",
        &[],
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("selfservice.flows.login.lifespan"), "{text}");

    let err = load("serve:\n  public:\n    port: not-a-port\n", &[]).unwrap_err();
    assert!(err.to_string().contains("serve.public.port"), "{err}");

    let err = load("hashers:\n  algorithm: md5\n", &[]).unwrap_err();
    assert!(err.to_string().contains("hashers.algorithm"), "{err}");
}

#[test]
fn environment_variables_override_keys() {
    let loaded = load(
        "selfservice:\n  methods:\n    password:\n      enabled: true\n",
        &[
            ("SELFSERVICE_METHODS_PASSWORD_ENABLED", "false"),
            ("SERVE_PUBLIC_BASE_URL", "https://auth.example.com/"),
            (
                "SECRETS_DEFAULT",
                "first-secret-0123456789,second-secret-0123456789",
            ),
            ("SERVE_ADMIN_PORT", "5555"),
            ("DSN", "dynamodb://kratos"),
            ("PATH", "/usr/bin"),
            ("SELFSERVICE_FLOWS_LOGIN_LIFESPAN", ""),
        ],
    )
    .unwrap();
    let config = loaded.config;
    assert!(!config.selfservice.methods.password.enabled);
    assert_eq!(
        config.serve.public.base_url.unwrap().as_str(),
        "https://auth.example.com/"
    );
    assert_eq!(config.secrets.default.len(), 2);
    assert_eq!(config.serve.admin.port, 5555);
    assert_eq!(config.dsn, "dynamodb://kratos");
}

#[test]
fn an_invalid_environment_value_names_the_key_and_variable() {
    let err = load("", &[("SELFSERVICE_METHODS_PASSWORD_ENABLED", "maybe")]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("selfservice.methods.password.enabled"),
        "{text}"
    );
    assert!(
        text.contains("SELFSERVICE_METHODS_PASSWORD_ENABLED"),
        "{text}"
    );
}

#[test]
fn short_secrets_are_refused() {
    let err = load("secrets:\n  default: [short]\n", &[]).unwrap_err();
    assert!(err.to_string().contains("secrets"));
}

#[test]
fn default_schema_must_exist() {
    let err = load(
        "identity:\n  default_schema_id: other\n  schemas:\n    - id: default\n      url: base64://e30\n",
        &[],
    )
    .unwrap_err();
    assert!(err.to_string().contains("identity.default_schema_id"));
}

#[test]
fn byte_sizes_read_like_kratos() {
    let loaded = load("hashers:\n  argon2:\n    memory: 128MB\n", &[]).unwrap();
    assert_eq!(
        loaded.config.hashers.argon2.memory,
        ByteSize(128 * 1024 * 1024)
    );
}

#[test]
fn every_reference_configuration_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("config/examples exists") {
        let path = entry.unwrap().path().join("kratos.yml");
        if !path.exists() {
            continue;
        }
        seen += 1;
        let yaml = std::fs::read_to_string(&path).unwrap();
        let loaded = load(&yaml, &[]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !loaded.config.identity.schemas.is_empty(),
            "{}",
            path.display()
        );
    }
    assert!(
        seen >= 5,
        "expected the five reference configurations, saw {seen}"
    );
}

#[test]
fn courier_keys_are_typed_with_kratos_layout_and_env_overrides() {
    let loaded = load(
        "courier:\n  delivery_strategy: ses\n  templates:\n    recovery_code:\n      valid:\n        email:\n          subject: base64://e3sgLlRvIH19\n        unknown_part: x\n  worker:\n    pull_wait: 250ms\nsecrets:\n  default: [aaaaaaaaaaaaaaaaaaaaaa]\n",
        &[
            ("COURIER_MESSAGE_RETRIES", "2"),
            (
                "COURIER_TEMPLATES_LOGIN_CODE_VALID_SMS_BODY_PLAINTEXT",
                "file://sms.gotmpl",
            ),
        ],
    )
    .unwrap();
    let courier = &loaded.config.courier;
    assert_eq!(courier.delivery_strategy, DeliveryStrategy::Ses);
    assert_eq!(courier.message_retries, 2);
    assert_eq!(
        courier
            .templates
            .recovery_code
            .valid
            .email
            .subject
            .as_deref(),
        Some("base64://e3sgLlRvIH19")
    );
    assert_eq!(
        courier
            .templates
            .login_code
            .valid
            .sms
            .body
            .plaintext
            .as_deref(),
        Some("file://sms.gotmpl")
    );
    assert_eq!(
        courier.worker.pull_wait,
        GoDuration(std::time::Duration::from_millis(250))
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("courier.templates.recovery_code.valid.unknown_part")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn unsupported_courier_settings_stop_start_up() {
    for (yaml, key) in [
        (
            "courier:\n  delivery_strategy: http\n",
            "courier.delivery_strategy",
        ),
        (
            "courier:\n  delivery_strategy: carrier-pigeon\n",
            "courier.delivery_strategy",
        ),
        (
            "courier:\n  templates:\n    verification:\n      invalid:\n        email:\n          subject: /etc/passwd\n",
            "courier.templates.verification.invalid.email.subject",
        ),
        (
            "courier:\n  sns:\n    sender_id: Too Long Name\n",
            "courier.sns.sender_id",
        ),
        (
            "courier:\n  worker:\n    pull_count: 0\n",
            "courier.worker.pull_count",
        ),
    ] {
        match load(yaml, &[]) {
            Err(ConfigError::InvalidValue { key: got, .. }) => {
                assert!(got.starts_with(key), "{yaml}: {got}")
            }
            other => panic!("{yaml}: {other:?}"),
        }
    }
}

#[test]
fn an_smtp_connection_uri_is_reported_as_unused() {
    let loaded = load(
        "courier:\n  smtp:\n    connection_uri: smtps://u:p@mail:465/\n",
        &[],
    )
    .unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("connection_uri is not used"))
    );
}
