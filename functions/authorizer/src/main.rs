//! The Lambda entry point: logging, configuration read once, JWKS prefetched, then the runtime loop.

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    claimsgate_core::logging::init();
    let authorizer = Authorizer::from_env()
        .inspect_err(|error| tracing::error!(%error, "the authorizer cannot start"))?;
    // Failures are logged by the cache; requests retry the fetch after JWKS_MIN_REFRESH_SECS.
    authorizer.verifier().hydrate().await;
    let authorizer = &authorizer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<AuthorizerEvent>| async move {
        authorizer.handle(event.payload).await
    }))
    .await
}
