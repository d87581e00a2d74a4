//! The Lambda entry point: logging, configuration read once, then the runtime loop.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use pre_token_gen::{Config, handle};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    claimsgate_core::logging::init();
    let config = Config::from_env()
        .inspect_err(|error| tracing::error!(%error, "pre-token-gen cannot start"))?;
    let config = &config;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(config, event.payload).await
    }))
    .await
}
