//! `claimsgate jwks-fault`: makes the running stack's JWKS endpoint fail (or
//! recover), and prints the mode in force and the JWKS requests so far.
//!
//! It uses `cli::admin`; it is used by `cli`.

use std::process::ExitCode;

use claimsgate::StackSettings;
use claimsgate::cognito::jwks_fault::JwksFault;

use super::admin;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// ok: the keys; down: the connection drops; slow: the keys after 6 s
    /// (past the functions' fetch timeout); 500; garbage: not JSON; empty: no keys.
    /// Without it, only print.
    #[arg(value_enum)]
    mode: Option<JwksFault>,
}

/// Sets (or only reads) the fault mode.
pub async fn run(settings: &StackSettings, args: Args) -> Result<ExitCode, String> {
    admin::post(settings, "jwks-fault", &serde_json::json!({"mode": args.mode})).await
}
