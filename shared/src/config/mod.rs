//! Configuration in Kratos's own `kratos.yml` format (the subset this implementation uses).
//!
//! Loading is three steps: read YAML (or nothing: every field has Kratos's default or a
//! safe one), apply environment overrides in Kratos's style (`SERVE_PUBLIC_BASE_URL`,
//! `SELFSERVICE_METHODS_PASSWORD_ENABLED=false`, ...), then deserialise. Keys this
//! implementation does not read are reported as warnings; a value of the wrong shape stops
//! start-up with an error naming its key.

mod duration;
mod env;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

pub use duration::GoDuration;

/// Where the configuration comes from, in order of precedence (later wins).
#[derive(Debug, Clone, Default)]
pub struct ConfigSource {
    /// YAML text of a `kratos.yml`.
    pub yaml: Option<String>,
    /// Environment variables to apply as overrides.
    pub env: Vec<(String, String)>,
}

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the configuration is not valid YAML: {0}")]
    Yaml(String),
    #[error("invalid value for config key `{key}`: {message}")]
    InvalidValue { key: String, message: String },
    #[error("could not read configuration file `{path}`: {message}")]
    Read { path: String, message: String },
}

/// A loaded configuration and what was noticed while loading it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// Keys that were present but are not used by this implementation.
    pub warnings: Vec<String>,
}

impl Config {
    /// Parses, applies overrides and validates. See the module docs.
    pub fn load(source: &ConfigSource) -> Result<Loaded, ConfigError> {
        let mut tree = match source.yaml.as_deref() {
            Some(text) if !text.trim().is_empty() => {
                let yaml: serde_yaml::Value =
                    serde_yaml::from_str(text).map_err(|e| ConfigError::Yaml(e.to_string()))?;
                serde_json::to_value(yaml).map_err(|e| ConfigError::Yaml(e.to_string()))?
            }
            _ => Value::Object(Default::default()),
        };
        if tree.is_null() {
            tree = Value::Object(Default::default());
        }
        if !tree.is_object() {
            return Err(ConfigError::Yaml("the top level must be a mapping".into()));
        }
        env::apply_overrides(&mut tree, &source.env)?;

        let mut warnings = Vec::new();
        let config: Config = {
            let mut track = serde_path_to_error::Track::new();
            let deserializer = serde_path_to_error::Deserializer::new(&tree, &mut track);
            let result = serde_ignored::deserialize(deserializer, |path| {
                warnings.push(format!(
                    "ignoring config key `{}`: it is unknown or not supported by serverless-kratos",
                    render_ignored_path(&path)
                ))
            });
            result.map_err(|e| ConfigError::InvalidValue {
                key: track.path().to_string(),
                message: e.to_string(),
            })?
        };
        config.validate(&mut warnings)?;
        Ok(Loaded { config, warnings })
    }

    fn validate(&self, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::InvalidValue {
            key: key.to_owned(),
            message,
        };
        if self.identity.schemas.is_empty() && self.identity.default_schema_id != "default" {
            return Err(invalid(
                "identity.default_schema_id",
                "no identity schemas are configured, so only the built-in schema `default` exists"
                    .into(),
            ));
        }
        if !self.identity.schemas.is_empty()
            && !self
                .identity
                .schemas
                .iter()
                .any(|s| s.id == self.identity.default_schema_id)
        {
            return Err(invalid(
                "identity.default_schema_id",
                format!(
                    "`{}` is not among identity.schemas",
                    self.identity.default_schema_id
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, schema) in self.identity.schemas.iter().enumerate() {
            if !seen.insert(&schema.id) {
                return Err(invalid(
                    &format!("identity.schemas.{i}.id"),
                    format!("duplicate schema id `{}`", schema.id),
                ));
            }
        }
        if self.hashers.bcrypt.cost < 4 || self.hashers.bcrypt.cost > 31 {
            return Err(invalid(
                "hashers.bcrypt.cost",
                "must be between 4 and 31".into(),
            ));
        }
        let argon = &self.hashers.argon2;
        if argon.iterations == 0 || argon.parallelism == 0 || argon.key_length < 16 {
            return Err(invalid(
                "hashers.argon2",
                "iterations and parallelism must be at least 1 and key_length at least 16".into(),
            ));
        }
        if self.selfservice.methods.password.config.min_password_length < 6 {
            return Err(invalid(
                "selfservice.methods.password.config.min_password_length",
                "must be at least 6".into(),
            ));
        }
        if self
            .secrets
            .default
            .iter()
            .chain(&self.secrets.cookie)
            .chain(&self.secrets.cipher)
            .any(|s| s.len() < 16)
        {
            return Err(invalid(
                "secrets",
                "every secret must be at least 16 characters long".into(),
            ));
        }
        warnings.extend(crate::flow::return_to::config_warnings(
            &self.selfservice.allowed_return_urls,
        ));
        warnings.extend(crate::selfservice::hooks::config_warnings(self));
        warnings.extend(crate::selfservice::out_of_band::config_warnings(self));
        if self.courier.delivery_strategy == DeliveryStrategy::Http {
            return Err(invalid(
                "courier.delivery_strategy",
                "`http` (webhook delivery) is not supported; use `smtp` or `ses` (Amazon SES and SNS) or `log`"
                    .into(),
            ));
        }
        for (key, uri) in self.courier.templates.uris() {
            let scheme_ok = ["file://", "base64://", "http://", "https://"]
                .iter()
                .any(|scheme| uri.starts_with(scheme));
            if !scheme_ok {
                return Err(invalid(
                    &key,
                    "must be a file://, base64:// or http(s):// URI".into(),
                ));
            }
        }
        if self.courier.worker.pull_count == 0 {
            return Err(invalid(
                "courier.worker.pull_count",
                "must be at least 1".into(),
            ));
        }
        if let Some(sender_id) = &self.courier.sns.sender_id
            && (sender_id.is_empty()
                || sender_id.len() > 11
                || !sender_id.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(invalid(
                "courier.sns.sender_id",
                "must be 1 to 11 letters and digits".into(),
            ));
        }
        if self.courier.smtp.connection_uri.is_some()
            && matches!(
                self.courier.delivery_strategy,
                DeliveryStrategy::Smtp | DeliveryStrategy::Ses
            )
        {
            warnings.push(
                "courier.smtp.connection_uri is not used: e-mail is sent with Amazon SES \
                 (courier.delivery_strategy `smtp` maps to SES)"
                    .into(),
            );
        }
        if self.secrets.default.is_empty() && self.secrets.cookie.is_empty() {
            warnings.push(
                "no secrets are configured (secrets.default): using a random secret, so sessions, \
                 CSRF tokens and page tokens do not survive a restart or span functions"
                    .into(),
            );
        }
        for (key, enabled) in [
            (
                "selfservice.methods.totp",
                self.selfservice.methods.unsupported_enabled("totp"),
            ),
            (
                "selfservice.methods.lookup_secret",
                self.selfservice
                    .methods
                    .unsupported_enabled("lookup_secret"),
            ),
            (
                "selfservice.methods.webauthn",
                self.selfservice.methods.unsupported_enabled("webauthn"),
            ),
            (
                "selfservice.methods.passkey",
                self.selfservice.methods.unsupported_enabled("passkey"),
            ),
            (
                "selfservice.methods.oidc",
                self.selfservice.methods.unsupported_enabled("oidc"),
            ),
        ] {
            if enabled {
                warnings.push(format!(
                    "`{key}` is enabled but this method is not implemented yet; it is ignored"
                ));
            }
        }
        if !self.session.whoami.tokenizer.templates.is_empty() {
            warnings.push(
                "session.whoami.tokenizer.templates: session tokenization (JWT) is not implemented; \
                 `tokenize_as` is answered with 400"
                    .into(),
            );
        }
        if !matches!(
            self.session.whoami.required_aal.as_str(),
            "aal1" | "highest_available"
        ) {
            warnings.push(format!(
                "session.whoami.required_aal `{}` is not `aal1` or `highest_available`; using `highest_available`",
                self.session.whoami.required_aal
            ));
        }
        Ok(())
    }

    /// The secrets for cookies and CSRF tokens: `secrets.cookie`, else `secrets.default`.
    pub fn cookie_secrets(&self) -> &[String] {
        if self.secrets.cookie.is_empty() {
            &self.secrets.default
        } else {
            &self.secrets.cookie
        }
    }

    /// The secrets for sealed values such as page tokens: `secrets.cipher`, else `secrets.default`.
    pub fn cipher_secrets(&self) -> &[String] {
        if self.secrets.cipher.is_empty() {
            &self.secrets.default
        } else {
            &self.secrets.cipher
        }
    }
}

fn render_ignored_path(path: &serde_ignored::Path<'_>) -> String {
    // serde_ignored renders as `a.b.c`, with sequence indices as numbers; that is what we want.
    path.to_string().trim_start_matches('?').replace(".?", ".")
}

/// The root of `kratos.yml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `version` is accepted for compatibility and not interpreted.
    pub version: Option<String>,
    /// `memory`, `sqlite://<path>` or `dynamodb://<table>`.
    pub dsn: String,
    pub serve: Serve,
    pub secrets: Secrets,
    pub identity: IdentityConfig,
    pub selfservice: SelfService,
    pub session: SessionConfig,
    pub cookies: Cookies,
    pub hashers: Hashers,
    pub ciphers: Ciphers,
    pub courier: Courier,
    pub log: Log,
    pub security: Security,
    pub feature_flags: FeatureFlags,
    /// Kratos's development mode (`dev: true` or `serve --dev`). Among other things, the
    /// admin courier API shows message bodies only in this mode.
    pub dev: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: None,
            dsn: "memory".into(),
            serve: Serve::default(),
            secrets: Secrets::default(),
            identity: IdentityConfig::default(),
            selfservice: SelfService::default(),
            session: SessionConfig::default(),
            cookies: Cookies::default(),
            hashers: Hashers::default(),
            ciphers: Ciphers::default(),
            courier: Courier::default(),
            log: Log::default(),
            security: Security::default(),
            feature_flags: FeatureFlags::default(),
            dev: false,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Serve {
    pub public: PublicEndpoint,
    pub admin: AdminEndpoint,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PublicEndpoint {
    /// The URL browsers and apps use to reach the public API. Defaults to `http://127.0.0.1:<port>/`.
    pub base_url: Option<Url>,
    pub host: String,
    pub port: u16,
    pub cors: Cors,
    pub request_log: RequestLog,
}

impl Default for PublicEndpoint {
    fn default() -> Self {
        Self {
            base_url: None,
            host: "127.0.0.1".into(),
            port: 4433,
            cors: Cors::default(),
            request_log: RequestLog::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AdminEndpoint {
    pub base_url: Option<Url>,
    pub host: String,
    pub port: u16,
    pub request_log: RequestLog,
}

impl Default for AdminEndpoint {
    fn default() -> Self {
        Self {
            base_url: None,
            host: "127.0.0.1".into(),
            port: 4434,
            request_log: RequestLog::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestLog {
    pub disable_for_health: bool,
}

/// `serve.public.cors`, with Kratos's defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Cors {
    pub enabled: bool,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub allow_credentials: bool,
    pub options_passthrough: bool,
    pub max_age: u64,
    pub debug: bool,
}

impl Default for Cors {
    fn default() -> Self {
        Self {
            enabled: false,
            allowed_origins: vec!["*".into()],
            allowed_methods: ["POST", "GET", "PUT", "PATCH", "DELETE"]
                .map(String::from)
                .to_vec(),
            allowed_headers: [
                "Authorization",
                "Content-Type",
                "Max-Age",
                "X-Session-Token",
                "X-XSRF-TOKEN",
                "X-CSRF-TOKEN",
            ]
            .map(String::from)
            .to_vec(),
            exposed_headers: vec!["Content-Type".into()],
            allow_credentials: true,
            options_passthrough: false,
            max_age: 0,
            debug: false,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Secrets {
    pub default: Vec<String>,
    pub cookie: Vec<String>,
    pub cipher: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentityConfig {
    pub default_schema_id: String,
    pub schemas: Vec<SchemaRef>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            default_schema_id: "default".into(),
            schemas: Vec::new(),
        }
    }
}

/// One entry of `identity.schemas`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaRef {
    pub id: String,
    /// `file://`, `base64://` or `http(s)://`.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selfservice_selectable: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SelfService {
    pub default_browser_return_url: Option<Url>,
    pub allowed_return_urls: Vec<String>,
    pub flows: Flows,
    pub methods: Methods,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Flows {
    pub login: LoginFlowConfig,
    pub registration: RegistrationFlowConfig,
    pub settings: SettingsFlowConfig,
    pub recovery: RecoveryFlowConfig,
    pub verification: VerificationFlowConfig,
    pub logout: LogoutFlowConfig,
    pub error: ErrorFlowConfig,
}

impl Default for Flows {
    fn default() -> Self {
        let hour = GoDuration::from_secs(3600);
        Self {
            login: LoginFlowConfig {
                ui_url: fallback("login"),
                lifespan: hour,
                style: LoginStyle::Unified,
                before: HookList::default(),
                after: AfterFlow::default(),
            },
            registration: RegistrationFlowConfig {
                enabled: true,
                login_hints: false,
                ui_url: fallback("registration"),
                lifespan: hour,
                enable_legacy_one_step: false,
                before: HookList::default(),
                after: AfterFlow::default(),
            },
            settings: SettingsFlowConfig {
                ui_url: fallback("settings"),
                lifespan: hour,
                privileged_session_max_age: hour,
                required_aal: "highest_available".into(),
                before: HookList::default(),
                after: AfterFlow::default(),
            },
            recovery: RecoveryFlowConfig {
                enabled: false,
                ui_url: fallback("recovery"),
                lifespan: hour,
                use_method: CodeOrLink::Code,
                notify_unknown_recipients: false,
                before: HookList::default(),
                after: AfterFlow::default(),
            },
            verification: VerificationFlowConfig {
                enabled: false,
                ui_url: fallback("verification"),
                lifespan: hour,
                use_method: CodeOrLink::Code,
                notify_unknown_recipients: false,
                before: HookList::default(),
                after: AfterFlow::default(),
            },
            logout: LogoutFlowConfig::default(),
            error: ErrorFlowConfig {
                ui_url: fallback("error"),
            },
        }
    }
}

fn fallback(flow: &str) -> Url {
    // Kratos's defaults point at its documentation's fallback pages.
    Url::parse(&format!("https://www.ory.sh/kratos/docs/fallback/{flow}")).expect("static URL")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginStyle {
    Unified,
    IdentifierFirst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeOrLink {
    Code,
    Link,
}

/// `before:` of a flow.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HookList {
    pub hooks: Vec<HookConfig>,
}

/// `after:` of a flow: a default return URL and hooks, both overridable per method.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AfterFlow {
    pub default_browser_return_url: Option<Url>,
    pub hooks: Vec<HookConfig>,
    #[serde(flatten)]
    pub methods: BTreeMap<String, AfterMethod>,
}

impl AfterFlow {
    /// The hooks that run after `method` succeeded: the method's own list if it has one.
    pub fn hooks_for(&self, method: &str) -> &[HookConfig] {
        match self.methods.get(method) {
            Some(m) if !m.hooks.is_empty() => &m.hooks,
            _ => &self.hooks,
        }
    }

    /// The return URL after `method` succeeded, if the flow configures one.
    pub fn return_url_for(&self, method: &str) -> Option<&Url> {
        self.methods
            .get(method)
            .and_then(|m| m.default_browser_return_url.as_ref())
            .or(self.default_browser_return_url.as_ref())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AfterMethod {
    pub default_browser_return_url: Option<Url>,
    pub hooks: Vec<HookConfig>,
}

/// One hook: `session`, `show_verification_ui`, `revoke_active_sessions`, `require_verified_address`, `web_hook`, ...
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HookConfig {
    pub hook: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginFlowConfig {
    pub ui_url: Url,
    pub lifespan: GoDuration,
    pub style: LoginStyle,
    pub before: HookList,
    pub after: AfterFlow,
}

impl Default for LoginFlowConfig {
    fn default() -> Self {
        Flows::default().login
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RegistrationFlowConfig {
    pub enabled: bool,
    pub login_hints: bool,
    pub ui_url: Url,
    pub lifespan: GoDuration,
    pub enable_legacy_one_step: bool,
    pub before: HookList,
    pub after: AfterFlow,
}

impl Default for RegistrationFlowConfig {
    fn default() -> Self {
        Flows::default().registration
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsFlowConfig {
    pub ui_url: Url,
    pub lifespan: GoDuration,
    pub privileged_session_max_age: GoDuration,
    /// `aal1` or `highest_available`.
    pub required_aal: String,
    pub before: HookList,
    pub after: AfterFlow,
}

impl Default for SettingsFlowConfig {
    fn default() -> Self {
        Flows::default().settings
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RecoveryFlowConfig {
    pub enabled: bool,
    pub ui_url: Url,
    pub lifespan: GoDuration,
    #[serde(rename = "use")]
    pub use_method: CodeOrLink,
    pub notify_unknown_recipients: bool,
    pub before: HookList,
    pub after: AfterFlow,
}

impl Default for RecoveryFlowConfig {
    fn default() -> Self {
        Flows::default().recovery
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct VerificationFlowConfig {
    pub enabled: bool,
    pub ui_url: Url,
    pub lifespan: GoDuration,
    #[serde(rename = "use")]
    pub use_method: CodeOrLink,
    pub notify_unknown_recipients: bool,
    pub before: HookList,
    pub after: AfterFlow,
}

impl Default for VerificationFlowConfig {
    fn default() -> Self {
        Flows::default().verification
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LogoutFlowConfig {
    pub after: LogoutAfter,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LogoutAfter {
    pub default_browser_return_url: Option<Url>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorFlowConfig {
    pub ui_url: Url,
}

impl Default for ErrorFlowConfig {
    fn default() -> Self {
        Flows::default().error
    }
}

/// `selfservice.methods`. Methods this implementation lacks are kept as raw values so
/// that enabling one can be warned about rather than silently ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Methods {
    pub password: PasswordMethod,
    pub profile: EnabledOnly,
    pub code: CodeMethod,
    pub link: LinkMethod,
    #[serde(flatten, skip_serializing)]
    pub unsupported: BTreeMap<String, Value>,
}

impl Default for Methods {
    fn default() -> Self {
        Self {
            password: PasswordMethod::default(),
            profile: EnabledOnly { enabled: true },
            code: CodeMethod::default(),
            link: LinkMethod::default(),
            unsupported: BTreeMap::new(),
        }
    }
}

impl Methods {
    fn unsupported_enabled(&self, name: &str) -> bool {
        self.unsupported
            .get(name)
            .and_then(|v| v.get("enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct EnabledOnly {
    pub enabled: bool,
}

impl Default for EnabledOnly {
    fn default() -> Self {
        Self { enabled: true }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordMethod {
    pub enabled: bool,
    pub config: PasswordPolicy,
}

impl Default for PasswordMethod {
    fn default() -> Self {
        Self {
            enabled: true,
            config: PasswordPolicy::default(),
        }
    }
}

/// `selfservice.methods.password.config`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    pub haveibeenpwned_host: String,
    /// Off by default here, unlike Kratos: these deployments may have no outbound internet.
    pub haveibeenpwned_enabled: bool,
    pub max_breaches: u32,
    pub ignore_network_errors: bool,
    pub min_password_length: usize,
    pub identifier_similarity_check_enabled: bool,
    pub migrate_hook: MigrateHook,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            haveibeenpwned_host: "api.pwnedpasswords.com".into(),
            haveibeenpwned_enabled: false,
            max_breaches: 0,
            ignore_network_errors: true,
            min_password_length: 8,
            identifier_similarity_check_enabled: true,
            migrate_hook: MigrateHook::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MigrateHook {
    pub enabled: bool,
    pub config: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CodeMethod {
    pub enabled: bool,
    pub passwordless_enabled: bool,
    pub mfa_enabled: bool,
    pub config: CodeMethodConfig,
}

impl Default for CodeMethod {
    fn default() -> Self {
        Self {
            enabled: true,
            passwordless_enabled: false,
            mfa_enabled: false,
            config: CodeMethodConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CodeMethodConfig {
    pub lifespan: GoDuration,
    pub missing_credential_fallback_enabled: bool,
}

impl Default for CodeMethodConfig {
    fn default() -> Self {
        Self {
            lifespan: GoDuration::from_secs(3600),
            missing_credential_fallback_enabled: false,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkMethod {
    pub enabled: bool,
    pub config: LinkMethodConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkMethodConfig {
    pub base_url: Option<Url>,
    pub lifespan: GoDuration,
}

impl Default for LinkMethodConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            lifespan: GoDuration::from_secs(3600),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionConfig {
    pub lifespan: GoDuration,
    pub cookie: SessionCookie,
    pub earliest_possible_extend: Option<GoDuration>,
    pub whoami: Whoami,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            lifespan: GoDuration::from_secs(24 * 3600),
            cookie: SessionCookie::default(),
            earliest_possible_extend: None,
            whoami: Whoami::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionCookie {
    pub name: String,
    pub domain: Option<String>,
    pub path: Option<String>,
    pub same_site: Option<SameSite>,
    pub persistent: bool,
}

impl Default for SessionCookie {
    fn default() -> Self {
        Self {
            name: "ory_kratos_session".into(),
            domain: None,
            path: None,
            same_site: None,
            persistent: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Whoami {
    /// `aal1` or `highest_available`.
    pub required_aal: String,
    pub tokenizer: Tokenizer,
}

impl Default for Whoami {
    fn default() -> Self {
        Self {
            required_aal: "highest_available".into(),
            tokenizer: Tokenizer::default(),
        }
    }
}

/// `session.whoami.tokenizer`: templates `tokenize_as` may name. Session-to-JWT
/// tokenization is not implemented: a configured template is accepted (with a warning)
/// but `tokenize_as` naming it answers 400, as an unknown template does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Tokenizer {
    pub templates: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SameSite {
    Strict,
    Lax,
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Cookies {
    pub domain: Option<String>,
    pub path: String,
    pub same_site: SameSite,
}

impl Default for Cookies {
    fn default() -> Self {
        Self {
            domain: None,
            path: "/".into(),
            same_site: SameSite::Lax,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashAlgorithm {
    Argon2,
    Bcrypt,
}

/// `hashers`. The default algorithm is argon2id (Kratos defaults to bcrypt): see the README.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Hashers {
    pub algorithm: HashAlgorithm,
    pub argon2: Argon2Config,
    pub bcrypt: BcryptConfig,
}

impl Default for Hashers {
    fn default() -> Self {
        Self {
            algorithm: HashAlgorithm::Argon2,
            argon2: Argon2Config::default(),
            bcrypt: BcryptConfig { cost: 12 },
        }
    }
}

/// Argon2id parameters. Defaults follow OWASP's minimum (19 MiB, t=2, p=1), which fits
/// Lambda memory; Kratos's own defaults (128 MB, t=1, p=2×CPU) are available by config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Argon2Config {
    /// A byte size such as `19MB`, `128MB` or `1GB` (powers of 1024, as Kratos reads them).
    pub memory: ByteSize,
    pub iterations: u32,
    pub parallelism: u32,
    pub salt_length: u32,
    pub key_length: u32,
    pub expected_duration: Option<GoDuration>,
    pub expected_deviation: Option<GoDuration>,
    pub dedicated_memory: Option<ByteSize>,
}

impl Default for Argon2Config {
    fn default() -> Self {
        Self {
            memory: ByteSize(19 * 1024 * 1024),
            iterations: 2,
            parallelism: 1,
            salt_length: 16,
            key_length: 32,
            expected_duration: None,
            expected_deviation: None,
            dedicated_memory: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BcryptConfig {
    pub cost: u32,
}

impl Default for BcryptConfig {
    fn default() -> Self {
        Self { cost: 12 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Ciphers {
    pub algorithm: String,
}

impl Default for Ciphers {
    fn default() -> Self {
        Self {
            algorithm: "xchacha20-poly1305".into(),
        }
    }
}

/// A size in bytes, written as Kratos writes them (`128MB`, `1GB`, `512KB`, or a plain number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl Serialize for ByteSize {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{}KB", self.0 / 1024))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) => Ok(ByteSize(n)),
            Raw::Text(text) => parse_byte_size(&text).map(ByteSize).ok_or_else(|| {
                serde::de::Error::custom(format!("`{text}` is not a byte size such as 128MB"))
            }),
        }
    }
}

fn parse_byte_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let multiplier: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" | "KIB" | "K" => 1024,
        "MB" | "MIB" | "M" => 1024 * 1024,
        "GB" | "GIB" | "G" => 1024 * 1024 * 1024,
        _ => return None,
    };
    number.checked_mul(multiplier)
}

/// How the courier delivers messages (`courier.delivery_strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStrategy {
    /// Kratos's default. Served by Amazon SES (e-mail) and SNS (SMS): there is no SMTP
    /// client here, so `courier.smtp.connection_uri` is not used.
    Smtp,
    /// Amazon SES v2 for e-mail and SNS for SMS; the same as `smtp`, by its real name.
    Ses,
    /// Kratos's HTTP (webhook) delivery. Not supported: start-up refuses it.
    Http,
    /// Development: log one line per message (no subject, no body) and send nothing.
    Log,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Courier {
    /// See [`DeliveryStrategy`] and `docs/courier.md`.
    pub delivery_strategy: DeliveryStrategy,
    /// Retries after the first failed attempt before a message is abandoned.
    pub message_retries: u32,
    pub smtp: Smtp,
    pub sms: Sms,
    /// Amazon SES options (this implementation's own section).
    pub ses: SesConfig,
    /// Amazon SNS options for SMS (this implementation's own section).
    pub sns: SnsConfig,
    pub templates: CourierTemplates,
    /// A directory laid out like Kratos's built-in templates
    /// (`<family>/<valid|invalid>/email.subject.gotmpl`, ...), overriding them file by file.
    pub template_override_path: Option<String>,
    pub worker: CourierWorker,
}

impl Default for Courier {
    fn default() -> Self {
        Self {
            delivery_strategy: DeliveryStrategy::Smtp,
            message_retries: 5,
            smtp: Smtp::default(),
            sms: Sms::default(),
            ses: SesConfig::default(),
            sns: SnsConfig::default(),
            templates: CourierTemplates::default(),
            template_override_path: None,
            worker: CourierWorker::default(),
        }
    }
}

/// `courier.worker`: how the local server's in-process sender polls the queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CourierWorker {
    pub pull_count: u32,
    pub pull_wait: GoDuration,
}

impl Default for CourierWorker {
    fn default() -> Self {
        Self {
            pull_count: 10,
            pull_wait: GoDuration::from_secs(1),
        }
    }
}

/// `courier.ses`: options of the SES v2 `SendEmail` call.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SesConfig {
    /// `ConfigurationSetName`, for event publishing (bounces, complaints, deliveries).
    pub configuration_set_name: Option<String>,
    /// `FromEmailAddressIdentityArn`, for sending authorised by another account's identity.
    pub from_email_address_identity_arn: Option<String>,
    /// `FeedbackForwardingEmailAddress`, where bounces and complaints go.
    pub feedback_forwarding_email_address: Option<String>,
}

/// `courier.sns`: SMS attributes of the SNS `Publish` call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SnsConfig {
    /// `AWS.SNS.SMS.SMSType`: `Transactional` (default; best for codes) or `Promotional`.
    pub sms_type: String,
    /// `AWS.SNS.SMS.SenderID`: 1 to 11 letters and digits, where the country allows it.
    pub sender_id: Option<String>,
    /// `AWS.MM.SMS.OriginationNumber`: a number from your account, in E.164.
    pub origination_number: Option<String>,
}

impl Default for SnsConfig {
    fn default() -> Self {
        Self {
            sms_type: "Transactional".into(),
            sender_id: None,
            origination_number: None,
        }
    }
}

/// `courier.templates`, in Kratos's layout: `<family>.<valid|invalid>.<email|sms>`. Each
/// value is a `file://`, `base64://` or `http(s)://` URI of a Go template.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CourierTemplates {
    pub recovery: TemplateFamily,
    pub recovery_code: TemplateFamily,
    pub verification: TemplateFamily,
    pub verification_code: TemplateFamily,
    pub login_code: TemplateFamily,
    pub registration_code: TemplateFamily,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateFamily {
    pub valid: TemplateOverrides,
    pub invalid: TemplateOverrides,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateOverrides {
    pub email: EmailTemplateOverride,
    pub sms: SmsTemplateOverride,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailTemplateOverride {
    pub subject: Option<String>,
    pub body: EmailBodyOverride,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailBodyOverride {
    pub plaintext: Option<String>,
    pub html: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SmsTemplateOverride {
    pub body: SmsBodyOverride,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SmsBodyOverride {
    pub plaintext: Option<String>,
}

impl CourierTemplates {
    /// Every configured template URI with its key, for validation.
    pub fn uris(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        for (family_name, family) in [
            ("recovery", &self.recovery),
            ("recovery_code", &self.recovery_code),
            ("verification", &self.verification),
            ("verification_code", &self.verification_code),
            ("login_code", &self.login_code),
            ("registration_code", &self.registration_code),
        ] {
            for (kind, overrides) in [("valid", &family.valid), ("invalid", &family.invalid)] {
                let prefix = format!("courier.templates.{family_name}.{kind}");
                for (suffix, uri) in [
                    ("email.subject", &overrides.email.subject),
                    ("email.body.plaintext", &overrides.email.body.plaintext),
                    ("email.body.html", &overrides.email.body.html),
                    ("sms.body.plaintext", &overrides.sms.body.plaintext),
                ] {
                    if let Some(uri) = uri.as_deref().filter(|u| !u.is_empty()) {
                        out.push((format!("{prefix}.{suffix}"), uri));
                    }
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Smtp {
    pub connection_uri: Option<String>,
    pub from_address: String,
    pub from_name: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub local_name: Option<String>,
    pub client_cert_path: Option<String>,
    pub client_key_path: Option<String>,
}

impl Default for Smtp {
    fn default() -> Self {
        Self {
            connection_uri: None,
            from_address: "no-reply@ory.kratos.sh".into(),
            from_name: None,
            headers: BTreeMap::new(),
            local_name: None,
            client_cert_path: None,
            client_key_path: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Sms {
    pub enabled: bool,
    pub from: String,
    pub request_config: Option<Value>,
}

impl Default for Sms {
    fn default() -> Self {
        Self {
            enabled: false,
            from: "Ory Kratos".into(),
            request_config: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Log {
    pub level: String,
    /// `None` picks JSON inside Lambda and text elsewhere.
    pub format: Option<LogFormat>,
    /// Accepted for compatibility; secrets are never logged regardless.
    pub leak_sensitive_values: bool,
    pub redaction_text: Option<String>,
}

impl Default for Log {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: None,
            leak_sensitive_values: false,
            redaction_text: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Security {
    pub account_enumeration: AccountEnumeration,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountEnumeration {
    pub mitigate: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureFlags {
    pub use_continue_with_transitions: bool,
    pub cacheable_sessions: bool,
    pub faster_session_extend: bool,
}

#[cfg(test)]
mod tests;
