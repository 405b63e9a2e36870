//! `serverless-kratos`: run the API locally, or create its DynamoDB table.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kratos_core::app::{App, Dsn, read_config};
use kratos_core::clock::SystemClock;
use kratos_core::config::Config;
use kratos_core::store::dynamodb::DynamoTable;

#[derive(Parser)]
#[command(name = "serverless-kratos", version = kratos_core::VERSION, about)]
struct Cli {
    /// Path to a kratos.yml (default: $KRATOS_CONFIG_FILE, else ./kratos.yml if present, else built-in defaults).
    #[arg(long, short, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the public API (default 127.0.0.1:4433) and the admin API (default 127.0.0.1:4434).
    Serve {
        /// Override serve.public.port.
        #[arg(long)]
        public_port: Option<u16>,
        /// Override serve.admin.port.
        #[arg(long)]
        admin_port: Option<u16>,
        /// Development mode (sets `dev: true`): e.g. the admin courier API shows message bodies.
        #[arg(long)]
        dev: bool,
        /// Do not deliver queued courier messages from this process.
        #[arg(long)]
        no_courier: bool,
        /// Accepted for compatibility with `kratos serve`: the courier runs in-process by default.
        #[arg(long, hide = true)]
        watch_courier: bool,
    },
    /// Create the DynamoDB table (the same definition as template.yaml). Uses the standard
    /// AWS environment; set AWS_ENDPOINT_URL for an emulator.
    CreateTable {
        /// The table name (default: the table of a `dynamodb://` dsn in the configuration).
        #[arg(long)]
        table: Option<String>,
    },
    /// Check the configuration and identity schemas, print warnings, and exit.
    CheckConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (source, origin) = read_config(cli.config.as_deref())?;
    let mut loaded = Config::load(&source)?;
    match cli.command {
        Command::Serve {
            public_port,
            admin_port,
            dev,
            no_courier,
            watch_courier: _,
        } => {
            if dev {
                loaded.config.dev = true;
            }
            if let Some(port) = public_port {
                loaded.config.serve.public.port = port;
            }
            if let Some(port) = admin_port {
                loaded.config.serve.admin.port = port;
            }
            kratos_core::telemetry::init(&loaded.config.log);
            let public: SocketAddr = format!(
                "{}:{}",
                loaded.config.serve.public.host, loaded.config.serve.public.port
            )
            .parse()
            .context("serve.public.host and port do not form an address")?;
            let admin: SocketAddr = format!(
                "{}:{}",
                loaded.config.serve.admin.host, loaded.config.serve.admin.port
            )
            .parse()
            .context("serve.admin.host and port do not form an address")?;
            let app = Arc::new(App::build(loaded, origin).await?);
            let mut running = serverless_kratos::start(app.clone(), public, admin).await?;
            if !no_courier {
                running
                    .tasks
                    .push(serverless_kratos::spawn_courier_worker(app));
            }
            tracing::info!(
                public = %format!("http://{}", running.public_addr),
                admin = %format!("http://{}", running.admin_addr),
                "serving"
            );
            tokio::signal::ctrl_c().await?;
            running.abort();
            Ok(())
        }
        Command::CreateTable { table } => {
            kratos_core::telemetry::init(&loaded.config.log);
            let table = match (table, Dsn::parse(&loaded.config.dsn)) {
                (Some(table), _) => table,
                (None, Ok(Dsn::DynamoDb { table })) => table,
                (None, _) => anyhow::bail!("pass --table or configure dsn: dynamodb://<table>"),
            };
            let client = kratos_core::app::dynamodb_client().await;
            DynamoTable::new(client, &table, Arc::new(SystemClock))
                .create_table()
                .await
                .with_context(|| format!("creating table `{table}`"))?;
            println!("table `{table}` is ready");
            Ok(())
        }
        Command::CheckConfig => {
            for warning in &loaded.warnings {
                println!("warning: {warning}");
            }
            let app = App::build(loaded, origin).await?;
            println!(
                "configuration is valid: {} identity schema(s), dsn `{}`",
                app.schemas.len(),
                app.config.dsn
            );
            Ok(())
        }
    }
}
