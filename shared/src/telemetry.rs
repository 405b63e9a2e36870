//! Structured logs: JSON in Lambda (one object per line, the request ID on each through
//! the request span), readable text locally. `RUST_LOG` overrides `log.level`.

use tracing_subscriber::EnvFilter;

use crate::config::{Log, LogFormat};

/// Whether this process runs inside AWS Lambda.
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
}

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(log: &Log) {
    let level = match log.level.as_str() {
        "trace" => "trace",
        "debug" => "debug",
        "warning" | "warn" => "warn",
        "error" | "fatal" | "panic" => "error",
        _ => "info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{level},aws_config=warn,aws_smithy_runtime=warn,aws_sdk_dynamodb=warn,hyper=warn,h2=warn,rustls=warn"
        ))
    });
    let format = log.format.unwrap_or(if in_lambda() {
        LogFormat::Json
    } else {
        LogFormat::Text
    });
    let result = match format {
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .without_time()
            .try_init(),
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .try_init(),
    };
    let _ = result;
}
