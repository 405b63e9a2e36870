//! The `metadata` Lambda function: wiring only.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    kratos_core::runtime::run_lambda_http(fn_metadata::lambda_router).await
}
