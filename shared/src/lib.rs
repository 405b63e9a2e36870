//! The shared core of serverless-kratos: the Kratos v1.3 domain, its storage ports and
//! backends, and the HTTP edge every Lambda function and the local server share.

pub mod app;
pub mod aws;
pub mod clock;
pub mod config;
pub mod courier;
pub mod crypto;
pub mod fetch;
pub mod flow;
pub mod hash;
pub mod http;
pub mod identity;
pub mod ids;
pub mod runtime;
pub mod schema;
pub mod secret;
pub mod selfservice;
pub mod session;
pub mod store;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod ui;

/// The version reported by `GET /version`: the Kratos API version this implements,
/// with this implementation's own version as build metadata.
pub const VERSION: &str = concat!("v1.3.1+serverless-kratos.", env!("CARGO_PKG_VERSION"));
