//! `claimsgate [serve]`: runs both stand-ins until Ctrl-C, after printing the banner.
//!
//! It uses `cli::banner`, `cli::output`; it is used by `cli`.

use std::process::ExitCode;
use std::sync::Arc;

use claimsgate::{AuthorizerKind, StackSettings};
use claimsgate_core::{Clock, SystemClock};
use clap::ValueEnum;

use super::banner;
use super::output::emit;

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Run the API Gateway stand-in as a REST API (as deployed) or an HTTP API (payload 2.0, `$default` stage).
    #[arg(long, value_enum, default_value = "rest")]
    api: Api,
    /// Event type a REST API sends to the authorizer (default token).
    #[arg(long, value_enum)]
    authorizer_event: Option<RestEvent>,
}

/// Which API Gateway the stand-in is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Api {
    #[default]
    Rest,
    Http,
}

/// The REST authorizer event the API Gateway stand-in sends.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum RestEvent {
    Token,
    Request,
}

/// Runs the stack as `args` say until Ctrl-C.
pub async fn run(settings: &StackSettings, args: Args) -> Result<ExitCode, String> {
    let kind = match (args.api, args.authorizer_event) {
        (Api::Rest, None | Some(RestEvent::Token)) => AuthorizerKind::Token,
        (Api::Rest, Some(RestEvent::Request)) => AuthorizerKind::Request,
        (Api::Http, None) => AuthorizerKind::Http,
        (Api::Http, Some(_)) => {
            return Err(
                "--authorizer-event is for --api rest; an HTTP API sends payload 2.0 events".into(),
            );
        }
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let stack = claimsgate::start(settings, kind, clock).await?;
    emit(&banner::text(settings, kind, &stack).await?)?;
    tokio::signal::ctrl_c().await.map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    drop(stack);
    emit("stopped\n")?;
    Ok(ExitCode::SUCCESS)
}
