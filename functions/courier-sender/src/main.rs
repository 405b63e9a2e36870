//! The `courier-sender` Lambda function: wiring only.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    fn_courier_sender::run().await
}
