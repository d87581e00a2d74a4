//! The Lambda entry point: logging, configuration once, then the runtime loop.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use pre_token_gen::{Config, handle};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // JSON lines when AWS_LAMBDA_LOG_FORMAT=JSON; level from AWS_LAMBDA_LOG_LEVEL or RUST_LOG.
    lambda_runtime::tracing::init_default_subscriber();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(variable = error.var, %error, "invalid configuration");
            eprintln!("pre-token-gen: invalid configuration: {error}");
            std::process::exit(1);
        }
    };
    let config = &config;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(config, event.payload).await
    }))
    .await
}
