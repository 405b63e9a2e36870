//! The `admin-identities` Lambda function: wiring only.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    kratos_core::runtime::run_lambda_http(fn_admin_identities::lambda_router).await
}
