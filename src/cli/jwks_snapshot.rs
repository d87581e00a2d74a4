//! `claimsgate jwks-snapshot`: fetches the issuers' key sets now and writes
//! them, with the time taken, to a file the functions load at cold start.
//!
//! It uses `cli::output`; it is used by `cli`.

use std::path::PathBuf;
use std::process::ExitCode;

use claimsgate_core::snapshot::Snapshot;
use claimsgate_core::{
    Clock, FetchLimits, HttpFetcher, SystemClock, TokenUsePolicy, VerifierConfig,
};

use super::output::emit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An issuer URL; repeatable.
    #[arg(long)]
    issuer: Vec<String>,
    /// A Cognito user pool id such as us-east-1_AbC123; repeatable.
    #[arg(long)]
    user_pool_id: Vec<String>,
    /// Where to write the snapshot.
    #[arg(long, default_value = "jwks-snapshot.json")]
    out: PathBuf,
}

/// Takes and writes the snapshot.
pub async fn run(args: Args) -> Result<ExitCode, String> {
    let (issuers, pools, out) = (&args.issuer, &args.user_pool_id, &args.out);
    let mut uris = Vec::new();
    for pool in pools {
        let iss = claimsgate_core::config::issuer_for_pool(pool)
            .map_err(|e| format!("--user-pool-id: {}", e.problem))?;
        uris.push(format!("{iss}/.well-known/jwks.json"));
    }
    for iss in issuers {
        let config = VerifierConfig::for_issuer(iss, &["any"], TokenUsePolicy::Any)
            .map_err(|e| format!("--issuer: {}", e.problem))?;
        uris.extend(config.issuers.into_iter().map(|i| i.jwks_uri));
    }
    if uris.is_empty() {
        return Err("name the issuers to snapshot with --issuer or --user-pool-id".into());
    }
    let fetcher = HttpFetcher::new(FetchLimits::default());
    let snapshot = Snapshot::take(&fetcher, &uris, SystemClock.now())
        .await
        .map_err(|(uri, e)| format!("{uri}: {e}"))?;
    let json = serde_json::to_string_pretty(&snapshot).map_err(|e| e.to_string())?;
    std::fs::write(out, json + "\n").map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    emit(&format!("{}: {} key sets, taken at {}\n", out.display(), uris.len(), snapshot.taken_at))?;
    Ok(ExitCode::SUCCESS)
}
