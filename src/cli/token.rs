//! `claimsgate token`: ID, access and refresh tokens for a user of the local
//! pool, through the same issuance path (and trigger) as the token endpoint,
//! without a running stack.
//!
//! It uses `cli::output`; it is used by `cli`.

use std::process::ExitCode;
use std::sync::Arc;

use claimsgate::StackSettings;
use claimsgate::cognito::Cognito;
use claimsgate_core::SystemClock;

use super::output::emit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The user's email.
    #[arg(long)]
    email: String,
    /// The user's password (checked when given).
    #[arg(long)]
    password: Option<String>,
}

/// Prints the tokens as JSON.
pub async fn run(settings: &StackSettings, args: Args) -> Result<ExitCode, String> {
    let base = claimsgate::cognito_base_url(settings);
    let users = claimsgate::users_of(settings)?;
    let trigger = claimsgate::lambda_trigger(settings)?;
    let issuer = claimsgate::token_issuer(settings, &base, trigger, Arc::new(SystemClock))?;
    let pool = Cognito::new(base, settings.pool(), users, issuer)?;
    let tokens = claimsgate::tokens_for(&pool, &args.email, args.password.as_deref()).await?;
    let json = serde_json::to_string_pretty(&tokens).map_err(|e| e.to_string())?;
    emit(&format!("{json}\n"))?;
    Ok(ExitCode::SUCCESS)
}
