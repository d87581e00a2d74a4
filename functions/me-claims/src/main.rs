//! The Lambda entry point: logging, configuration, JWKS prefetch, then the runtime loop.

use lambda_http::{Error, service_fn};
use me_claims::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = match App::from_env() {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(variable = error.var, %error, "invalid configuration");
            std::process::exit(1);
        }
    };
    // Fetch the keys during init, before the first request; failures are logged and retried on demand.
    app.verifier().hydrate().await;
    lambda_http::run(service_fn(|request| app.handle(request))).await
}
