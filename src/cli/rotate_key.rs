//! `claimsgate rotate-key`: asks the running stack to sign with a new key and
//! keep the old one published for a grace period.
//!
//! It uses `cli::admin`; it is used by `cli`.

use std::path::PathBuf;
use std::process::ExitCode;

use claimsgate::StackSettings;

use super::admin;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seconds the old key stays published (default: the stack's token lifetime).
    #[arg(long)]
    grace: Option<u64>,
    /// Publish this PKCS#8 PEM key instead of a fresh one.
    #[arg(long)]
    new_key_file: Option<PathBuf>,
}

/// Rotates the running stack's signing key.
pub async fn run(settings: &StackSettings, args: Args) -> Result<ExitCode, String> {
    let pem = match &args.new_key_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("--new-key-file {}: cannot read it: {e}", path.display()))?,
        ),
        None => None,
    };
    let body = serde_json::json!({"grace_secs": args.grace, "private_key_pem": pem});
    admin::post(settings, "rotate-key", &body).await
}
