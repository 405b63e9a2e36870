//! The shared core of serverless-kratos: the Kratos v1.3 domain, its storage ports and
//! backends, and the HTTP edge every Lambda function and the local server share.

pub mod clock;
pub mod config;
pub mod crypto;
pub mod ids;
pub mod schema;
pub mod secret;
pub mod store;
