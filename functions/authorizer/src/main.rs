//! Lambda entry point: logging, configuration read once, JWKS prefetched, then the runtime loop.

use std::process::ExitCode;

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> ExitCode {
    lambda_runtime::tracing::init_default_subscriber();
    let authorizer = match Authorizer::from_env() {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "invalid configuration; the authorizer cannot start");
            return ExitCode::FAILURE;
        }
    };
    // Failures are logged by the cache; requests retry the fetch after JWKS_MIN_REFRESH_SECS.
    let failed = authorizer.verifier().hydrate().await;
    tracing::info!(
        jwks_failures = failed.len(),
        routes = authorizer.routes().rules().len(),
        "authorizer ready"
    );
    let authorizer = &authorizer;
    // The runtime reads the event straight into `AuthorizerEvent` and writes the
    // `Decision` straight out: the same code `Authorizer::handle` wraps for JSON values.
    let handler = service_fn(move |event: LambdaEvent<AuthorizerEvent>| async move {
        authorizer.decide(&event.payload).await
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
