//! The Lambda entry point: logging, configuration read once, JWKS prefetched, then the runtime loop.

use lambda_http::{Error, service_fn};
use me_claims::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    claimsgate_core::logging::init();
    let app =
        App::from_env().inspect_err(|error| tracing::error!(%error, "me-claims cannot start"))?;
    // Failures are logged by the cache; requests retry the fetch after JWKS_MIN_REFRESH_SECS.
    app.verifier().hydrate().await;
    let app = &app;
    lambda_http::run(service_fn(move |request| app.handle(request))).await
}
