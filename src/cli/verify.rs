//! `claimsgate verify`: verifies a token (a local one, or a real Cognito one)
//! and prints its header and claims, or the error code.
//!
//! It uses `cli::output`; it is used by `cli::authorize`, `cli`.

use std::process::ExitCode;
use std::sync::Arc;

use claimsgate::StackSettings;
use claimsgate_core::{TokenUsePolicy, VerifiedToken, Verifier, VerifierConfig, VerifyError};
use clap::ValueEnum;

use super::output::emit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The JWT.
    token: String,
    #[command(flatten)]
    against: Against,
}

/// Which issuer a token is verified against, and which token kind it may be.
#[derive(Debug, clap::Args)]
pub struct Against {
    /// Issuer URL (e.g. the local pool's, or any OIDC issuer).
    #[arg(long, conflicts_with = "user_pool_id")]
    issuer: Option<String>,
    /// A Cognito user pool id such as us-east-1_AbC123.
    #[arg(long)]
    user_pool_id: Option<String>,
    /// Accepted token kind.
    #[arg(long, value_enum, default_value = "any")]
    token_use: Use,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Use {
    Id,
    Access,
    Any,
}

/// Verifies and prints; exit status 1 when the token is refused.
pub async fn run(settings: &StackSettings, args: Args) -> Result<ExitCode, String> {
    match verified(settings, &args.token, &args.against).await? {
        Ok(verified) => {
            let out = serde_json::json!({
                "valid": true,
                "header": verified.header,
                "token_use": verified.token_use,
                "claims": verified.claims,
            });
            let json = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
            emit(&format!("{json}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(refused) => {
            emit(&format!("{refused}\n"))?;
            Ok(ExitCode::from(1))
        }
    }
}

/// `token` verified against the issuer `against` names (the local pool's by
/// default), as the functions verify it; `Err` is the configuration error,
/// `Ok(Err)` the refusal as JSON (`valid`, `code`, `message`).
pub async fn verified(
    settings: &StackSettings,
    token: &str,
    against: &Against,
) -> Result<Result<Arc<VerifiedToken>, serde_json::Value>, String> {
    let iss = match (&against.issuer, &against.user_pool_id) {
        (Some(iss), _) => iss.trim_end_matches('/').to_owned(),
        (None, Some(pool)) => claimsgate_core::config::issuer_for_pool(pool)
            .map_err(|e| format!("--user-pool-id: {}", e.problem))?,
        (None, None) => format!("{}/{}", claimsgate::cognito_base_url(settings), settings.pool_id),
    };
    let policy = match against.token_use {
        Use::Id => TokenUsePolicy::Id,
        Use::Access => TokenUsePolicy::Access,
        Use::Any => TokenUsePolicy::Any,
    };
    let config = VerifierConfig::for_issuer(&iss, &[&settings.client_id], policy)
        .map_err(|e| format!("--issuer: {}", e.problem))?;
    let verifier = Verifier::from_config(&config);
    Ok(match verifier.verify(token.trim()).await {
        Ok(verified) => Ok(verified),
        Err(e) => Err(refusal(&e, &iss).await),
    })
}

/// The refusal's JSON; when the keys could not be had from a local issuer
/// that is not running, the message says how to start it (also on standard error).
async fn refusal(e: &VerifyError, iss: &str) -> serde_json::Value {
    let mut message = e.to_string();
    if e.code() == "jwks_unavailable"
        && let Some(down) = local_stack_down(iss).await
    {
        eprintln!("error: {down}");
        message = down;
    }
    serde_json::json!({"valid": false, "code": e.code(), "message": message})
}

/// When `issuer` is on loopback and its port refuses connections: the local
/// stack is not running, and how to start it.
async fn local_stack_down(issuer: &str) -> Option<String> {
    let url = url::Url::parse(issuer).ok()?;
    let loopback = match url.host()? {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    if !loopback {
        return None;
    }
    let port = url.port_or_known_default()?;
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']');
    match tokio::net::TcpStream::connect((host, port)).await {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Some(format!(
            "the local stack does not seem to be running: nothing listens at {host}:{port} (the issuer {issuer}); \
             start it in another terminal with `cargo run --release` (or `claimsgate serve`, with the same --host and --cognito-port), then verify again"
        )),
        _ => None,
    }
}
