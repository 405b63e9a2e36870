//! The application context: everything a request needs, built once per process (once per
//! Lambda cold start) from the configuration.

use std::path::PathBuf;
use std::sync::Arc;

use url::Url;

use crate::clock::{SharedClock, SystemClock};
use crate::config::{Config, ConfigError, ConfigSource, DeliveryStrategy, Loaded};
use crate::courier::{Channels, Courier, MessageRepository, RetryPolicy, TemplateError, Templates};
use crate::crypto::Sealer;
use crate::flow::csrf::CsrfTokens;
use crate::hash::{HashError, PasswordHasher};
use crate::identity::{IdentityManager, IdentityStore};
use crate::schema::{LoadError, SchemaRegistry};
use crate::selfservice::hooks::AddressVerifier;
use crate::selfservice::password::policy::PasswordPolicy;
use crate::session::{LogoutTokens, SessionManager, SessionSettings};
use crate::store::dynamodb::DynamoTable;
use crate::store::sqlite::SqliteTable;
use crate::store::{PageTokens, SharedTable, StoreError};

/// Shared, immutable application state.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub schemas: SchemaRegistry,
    pub table: SharedTable,
    pub clock: SharedClock,
    pub page_tokens: PageTokens,
    /// The resolved `serve.public.base_url`.
    pub public_base_url: Url,
    /// The resolved `serve.admin.base_url`.
    pub admin_base_url: Url,
    /// The secrets in force for cookies and CSRF (random if none are configured).
    pub cookie_secrets: Vec<String>,
    /// Hashes new passwords with `hashers.*` and tells when a stored hash needs redoing.
    pub hasher: PasswordHasher,
    /// Anti-CSRF tokens for browser flows, keyed by `cookie_secrets`.
    pub csrf: CsrfTokens,
    /// Sessions: issuing, reading by token, AAL checks, logout tokens (keyed by
    /// `cookie_secrets`), and the session repository.
    pub sessions: SessionManager,
    /// Seals the OIDC tokens kept in credentials (`initial_*_token`), keyed by the cipher
    /// secrets; `include_credential=oidc` shows them opened.
    pub credential_tokens: Sealer,
    /// The password policy of `selfservice.methods.password.config` (with its breach
    /// checker, when enabled).
    pub password_policy: PasswordPolicy,
    /// Seals the secrets of session token exchanges (`secrets.cipher`).
    pub exchange_sealer: Sealer,
    /// Starts verification of new addresses after registration and settings; installed by
    /// the verification flow (see `selfservice::hooks`). `None`: nothing is started.
    pub verifier: Option<Arc<dyn AddressVerifier>>,
    /// The directory of the configuration file, for relative `file://` references.
    pub config_directory: Option<PathBuf>,
    /// Courier templates, loaded on first use (functions that never compose or send a
    /// message never load them).
    templates: tokio::sync::OnceCell<Arc<Templates>>,
    /// Courier channels, built on first use (SDK clients only where messages are sent).
    channels: tokio::sync::OnceCell<Channels>,
}

pub type AppState = Arc<App>;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Schema(#[from] LoadError),
    #[error("invalid dsn `{dsn}`: {message}")]
    Dsn { dsn: String, message: String },
    #[error("could not open the store: {0}")]
    Store(#[from] StoreError),
    #[error("invalid `hashers` configuration: {0}")]
    Hasher(#[from] HashError),
}

/// Where a [`Config`] came from, for resolving relative paths.
#[derive(Debug, Clone, Default)]
pub struct ConfigOrigin {
    /// The directory of the configuration file, if it was a file.
    pub directory: Option<PathBuf>,
}

/// Which store a `dsn` selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dsn {
    Memory,
    Sqlite(PathBuf),
    DynamoDb { table: String },
}

impl Dsn {
    pub fn parse(dsn: &str) -> Result<Self, BootError> {
        let error = |message: &str| BootError::Dsn {
            dsn: dsn.to_owned(),
            message: message.to_owned(),
        };
        if dsn == "memory" || dsn.starts_with("sqlite://file::memory:") {
            return Ok(Dsn::Memory);
        }
        if let Some(path) = dsn.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(error("sqlite:// needs a file path"));
            }
            return Ok(Dsn::Sqlite(PathBuf::from(path)));
        }
        if let Some(table) = dsn.strip_prefix("dynamodb://") {
            let table = table.trim_end_matches('/');
            let valid = (3..=255).contains(&table.len())
                && table
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                return Err(error("dynamodb:// needs a valid table name"));
            }
            return Ok(Dsn::DynamoDb {
                table: table.to_owned(),
            });
        }
        Err(error(
            "use `memory`, `sqlite://<path>` or `dynamodb://<table>`",
        ))
    }
}

impl App {
    /// Builds the application from a loaded configuration, logging its warnings.
    pub async fn build(loaded: Loaded, origin: ConfigOrigin) -> Result<App, BootError> {
        for warning in &loaded.warnings {
            tracing::warn!("{warning}");
        }
        let config = loaded.config;
        let clock: SharedClock = Arc::new(SystemClock);
        let table = open_table(&Dsn::parse(&config.dsn)?, clock.clone()).await?;
        Self::assemble(config, table, clock, origin).await
    }

    /// Builds the application on a given table and clock (tests, benchmarks).
    pub async fn assemble(
        config: Config,
        table: SharedTable,
        clock: SharedClock,
        origin: ConfigOrigin,
    ) -> Result<App, BootError> {
        let hasher = PasswordHasher::new(&config.hashers)?;
        let schemas = SchemaRegistry::load(&config.identity, origin.directory.as_deref()).await?;
        let random_secret;
        let cookie_secrets: Vec<String> = if config.cookie_secrets().is_empty() {
            random_secret = vec![crate::crypto::random_alphanumeric(32)];
            random_secret.clone()
        } else {
            config.cookie_secrets().to_vec()
        };
        let cipher_secrets = if config.cipher_secrets().is_empty() {
            cookie_secrets.clone()
        } else {
            config.cipher_secrets().to_vec()
        };
        let public_base_url = config.serve.public.base_url.clone().unwrap_or_else(|| {
            Url::parse(&format!("http://127.0.0.1:{}/", config.serve.public.port))
                .expect("static URL")
        });
        let admin_base_url = config.serve.admin.base_url.clone().unwrap_or_else(|| {
            Url::parse(&format!("http://127.0.0.1:{}/", config.serve.admin.port))
                .expect("static URL")
        });
        Ok(App {
            password_policy: PasswordPolicy::new(
                &config.selfservice.methods.password.config,
                hasher.max_password_bytes(),
            ),
            exchange_sealer: Sealer::new(
                crate::selfservice::exchange::SEALING_PURPOSE,
                &cipher_secrets,
            ),
            verifier: Some(Arc::new(crate::selfservice::verification::hook::Verifier)),
            page_tokens: PageTokens::new(&cipher_secrets),
            csrf: CsrfTokens::new(&cookie_secrets),
            sessions: SessionManager::new(
                table.clone(),
                clock.clone(),
                SessionSettings::from_config(&config),
                LogoutTokens::new(&cookie_secrets),
            ),
            credential_tokens: Sealer::new("credential-token", &cipher_secrets),
            schemas,
            table,
            clock,
            public_base_url,
            admin_base_url,
            cookie_secrets,
            hasher,
            config_directory: origin.directory,
            templates: tokio::sync::OnceCell::new(),
            channels: tokio::sync::OnceCell::new(),
            config,
        })
    }

    /// The identity repository.
    pub fn identities(&self) -> IdentityStore {
        IdentityStore::new(self.table.clone(), self.clock.clone())
    }

    /// Identity management as the admin API performs it (create, import, replace, patch,
    /// credential removal), over [`App::identities`].
    pub fn identity_manager(&self) -> IdentityManager<'_> {
        IdentityManager::new(
            self.identities(),
            &self.schemas,
            &self.hasher,
            self.clock.clone(),
        )
    }

    /// Opens a token sealed with [`App::credential_tokens`] for display (`None` if it does
    /// not open), in the shape identity views take.
    pub fn open_credential_token(&self, sealed: &str) -> Option<String> {
        self.credential_tokens
            .open(sealed)
            .ok()
            .and_then(|plain| String::from_utf8(plain).ok())
    }

    /// The courier message repository.
    pub fn messages(&self) -> MessageRepository {
        MessageRepository::new(self.table.clone())
    }

    /// The courier templates, loaded and parsed once per process. Fails if a configured
    /// template cannot be read or parsed (and tries again on the next call).
    pub async fn templates(&self) -> Result<Arc<Templates>, TemplateError> {
        self.templates
            .get_or_try_init(|| async {
                let templates = Templates::load(
                    &self.config.courier.templates,
                    self.config.courier.template_override_path.as_deref(),
                    self.config_directory.as_deref(),
                )
                .await?;
                Ok(Arc::new(templates))
            })
            .await
            .cloned()
    }

    /// The channels `courier.delivery_strategy` selects, built once per process.
    pub async fn channels(&self) -> &Channels {
        self.channels
            .get_or_init(|| async {
                match self.config.courier.delivery_strategy {
                    DeliveryStrategy::Log => Channels::log(),
                    // `http` is refused when the configuration loads.
                    DeliveryStrategy::Smtp | DeliveryStrategy::Ses | DeliveryStrategy::Http => {
                        let sdk = aws_sdk_config().await;
                        Channels {
                            email: Arc::new(crate::aws::ses::SesEmailSender::new(
                                aws_sdk_sesv2::Client::new(&sdk),
                                &self.config.courier,
                            )),
                            sms: Arc::new(crate::aws::sns::SnsSmsSender::new(
                                aws_sdk_sns::Client::new(&sdk),
                                self.config.courier.sns.clone(),
                            )),
                        }
                    }
                }
            })
            .await
    }

    /// The sending side of the courier, with the configured retries.
    pub async fn courier(&self) -> Result<Courier, TemplateError> {
        Ok(Courier::new(
            self.messages(),
            self.templates().await?,
            self.channels().await.email.clone(),
            self.channels().await.sms.clone(),
            self.clock.clone(),
            RetryPolicy::with_retries(self.config.courier.message_retries),
        ))
    }
}

/// Opens the store a `dsn` selects. DynamoDB honours the standard AWS environment,
/// including `AWS_ENDPOINT_URL` for an emulator.
pub async fn open_table(dsn: &Dsn, clock: SharedClock) -> Result<SharedTable, BootError> {
    Ok(match dsn {
        Dsn::Memory => Arc::new(SqliteTable::in_memory(clock)?),
        Dsn::Sqlite(path) => Arc::new(SqliteTable::open(path, clock)?),
        Dsn::DynamoDb { table } => Arc::new(DynamoTable::new(
            dynamodb_client().await,
            table.clone(),
            clock,
        )),
    })
}

/// The DynamoDB client, configured from the environment.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&aws_sdk_config().await)
}

pub use aws_config::SdkConfig;
pub use aws_sdk_dynamodb::Client as DynamoDbClient;

/// The SDK configuration with an explicit endpoint and dummy credentials, for tests and
/// local emulators. Retries are off so that an unreachable endpoint fails fast.
pub async fn aws_sdk_config_with_endpoint(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

/// The shared AWS SDK configuration, from the standard environment.
pub async fn aws_sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// Reads the configuration the way every binary does:
/// `KRATOS_CONFIG` (inline YAML) wins; else the file at `path` (or `KRATOS_CONFIG_FILE`,
/// or `./kratos.yml` if present); else no file at all. Environment overrides apply on top.
pub fn read_config(
    path: Option<&std::path::Path>,
) -> Result<(ConfigSource, ConfigOrigin), ConfigError> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let inline = std::env::var("KRATOS_CONFIG")
        .ok()
        .filter(|s| !s.trim().is_empty());
    if let Some(yaml) = inline {
        return Ok((
            ConfigSource {
                yaml: Some(yaml),
                env,
            },
            ConfigOrigin::default(),
        ));
    }
    let path: Option<PathBuf> = path
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var("KRATOS_CONFIG_FILE")
                .ok()
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| {
            let default = PathBuf::from("kratos.yml");
            default.exists().then_some(default)
        });
    match path {
        Some(path) => {
            let yaml = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            let directory = path
                .canonicalize()
                .ok()
                .and_then(|p| p.parent().map(PathBuf::from));
            Ok((
                ConfigSource {
                    yaml: Some(yaml),
                    env,
                },
                ConfigOrigin { directory },
            ))
        }
        None => Ok((ConfigSource { yaml: None, env }, ConfigOrigin::default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsns_select_stores() {
        assert_eq!(Dsn::parse("memory").unwrap(), Dsn::Memory);
        assert_eq!(
            Dsn::parse("sqlite:///tmp/k.db?_fk=true").unwrap(),
            Dsn::Sqlite("/tmp/k.db".into())
        );
        assert_eq!(
            Dsn::parse("dynamodb://kratos-prod").unwrap(),
            Dsn::DynamoDb {
                table: "kratos-prod".into()
            }
        );
        assert!(Dsn::parse("postgres://x").is_err());
        assert!(Dsn::parse("dynamodb://a b").is_err());
        assert!(Dsn::parse("sqlite://").is_err());
    }
}
