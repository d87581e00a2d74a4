//! `claimsgate`: run the local stack, mint tokens, verify any token.

use std::io::{IsTerminal, Write as _};
use std::process::ExitCode;
use std::sync::Arc;

use claimsgate::{AuthorizerKind, StackSettings};
use claimsgate_core::{Clock, SystemClock, TokenUsePolicy, Verifier, VerifierConfig};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "claimsgate",
    version,
    about = "Local Cognito + API Gateway stack for claimsgate, and token tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    stack: StackSettings,
    /// Log lines on standard error as readable text or as JSON (level: RUST_LOG, default info).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "CLAIMSGATE_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Cognito and API Gateway stand-ins (the default).
    Serve {
        /// Event type the API Gateway stand-in sends to the authorizer.
        #[arg(long, value_enum, default_value = "token")]
        authorizer_event: RestEvent,
    },
    /// Print ID, access and refresh tokens (JSON) for a user of the local pool.
    Token {
        /// The user's email.
        #[arg(long)]
        email: String,
        /// The user's password (checked when given).
        #[arg(long)]
        password: Option<String>,
    },
    /// Verify a token (also a real Cognito one) and print its header and claims, or the error code.
    /// The allowed app client is `--client-id` (the local client by default).
    Verify {
        /// The JWT.
        token: String,
        /// Issuer URL (e.g. the local pool's, or any OIDC issuer).
        #[arg(long, conflicts_with = "user_pool_id")]
        issuer: Option<String>,
        /// A Cognito user pool id such as us-east-1_AbC123.
        #[arg(long)]
        user_pool_id: Option<String>,
        /// Accepted token kind.
        #[arg(long, value_enum, default_value = "any")]
        token_use: Use,
    },
}

/// The REST authorizer event the API Gateway stand-in sends.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum RestEvent {
    Token,
    Request,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Use {
    Id,
    Access,
    Any,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The running stack shows each request and decision; one-shot commands only their problems.
    let default_level = if matches!(cli.command, None | Some(Command::Serve { .. })) {
        "info"
    } else {
        "warn"
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // Metric lines are for CloudWatch; the stack's own log already says what they count.
                .unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new(format!(
                        "{default_level},{}=off",
                        claimsgate_core::metrics::TARGET
                    ))
                }),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            None => serve(&cli.stack, AuthorizerKind::Token).await,
            Some(Command::Serve { authorizer_event }) => {
                let kind = match authorizer_event {
                    RestEvent::Token => AuthorizerKind::Token,
                    RestEvent::Request => AuthorizerKind::Request,
                };
                serve(&cli.stack, kind).await
            }
            Some(Command::Token { email, password }) => {
                token(&cli.stack, &email, password.as_deref()).await
            }
            Some(Command::Verify {
                token,
                issuer,
                user_pool_id,
                token_use,
            }) => verify(&cli.stack, &token, issuer, user_pool_id, token_use).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &StackSettings, kind: AuthorizerKind) -> Result<ExitCode, String> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let stack = claimsgate::start(settings, kind, clock).await?;
    let pool = &stack.cognito;
    let callback = settings.callback_urls.first().cloned().unwrap_or_default();
    let login = format!(
        "{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid+email&state=demo",
        stack.cognito_url,
        pool.client_id,
        url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>()
    );
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line("claimsgate local stack".into());
    line(format!("  Cognito stand-in:     {}", stack.cognito_url));
    line(format!("    issuer:             {}", pool.issuer_url()));
    line(format!(
        "    JWKS:               {}/.well-known/jwks.json",
        pool.issuer_url()
    ));
    line(format!(
        "    app client:         {} (secret: {})",
        pool.client_id, pool.client_secret
    ));
    line(format!("  API Gateway stand-in: {}", stack.api_url));
    line(String::new());
    line("Users:".into());
    for user in &pool.users {
        line(format!("  {:<28} password: {}", user.email, user.password));
    }
    line(String::new());
    line("Sign in with the hosted login page:".into());
    line(format!("  {login}"));
    line("Exchange the code from the callback URL:".into());
    line(format!(
        "  curl -s -u '{}:{}' -d grant_type=authorization_code -d redirect_uri={callback} -d code=CODE {}/oauth2/token",
        pool.client_id, pool.client_secret, stack.cognito_url
    ));
    line(String::new());
    for user in &pool.users {
        let tokens = stack.tokens_for(&user.email).await?;
        line(format!(
            "As {} (ID token, valid {} s):",
            user.email, tokens.expires_in
        ));
        for route in ["/me/claims", "/dogs", "/cats"] {
            line(format!(
                "  curl -s -H 'Authorization: Bearer {}' {}{route}",
                tokens.id_token, stack.api_url
            ));
        }
        line(String::new());
    }
    line("Ctrl-C stops the stack.".into());
    emit(&out)?;
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    drop(stack);
    emit("stopped\n")?;
    Ok(ExitCode::SUCCESS)
}

async fn token(
    settings: &StackSettings,
    email: &str,
    password: Option<&str>,
) -> Result<ExitCode, String> {
    let base = claimsgate::cognito_base_url(settings);
    let users = claimsgate::users_of(settings)?;
    let issuer = claimsgate::token_issuer(settings, &base, Arc::new(SystemClock))?;
    let pool = claimsgate::cognito::Cognito::new(base, settings, users, issuer)?;
    let tokens = claimsgate::tokens_for(&pool, email, password).await?;
    let json = serde_json::to_string_pretty(&tokens).map_err(|e| e.to_string())?;
    emit(&format!("{json}\n"))?;
    Ok(ExitCode::SUCCESS)
}

async fn verify(
    settings: &StackSettings,
    token: &str,
    issuer: Option<String>,
    user_pool_id: Option<String>,
    token_use: Use,
) -> Result<ExitCode, String> {
    let iss = match (issuer, user_pool_id) {
        (Some(iss), _) => iss.trim_end_matches('/').to_owned(),
        (None, Some(pool)) => {
            claimsgate_core::config::issuer_for_pool(&pool).map_err(|e| e.to_string())?
        }
        (None, None) => format!(
            "{}/{}",
            claimsgate::cognito_base_url(settings),
            settings.pool_id
        ),
    };
    let policy = match token_use {
        Use::Id => TokenUsePolicy::Id,
        Use::Access => TokenUsePolicy::Access,
        Use::Any => TokenUsePolicy::Any,
    };
    let config = VerifierConfig::for_issuer(&iss, &[&settings.client_id], policy)
        .map_err(|e| format!("--issuer: {}", e.problem))?;
    let verifier = Arc::new(Verifier::from_config(&config).map_err(|e| e.to_string())?);
    match verifier.verify(token.trim()).await {
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
        Err(e) => {
            let out =
                serde_json::json!({"valid": false, "code": e.code(), "message": e.to_string()});
            emit(&format!("{out}\n"))?;
            Ok(ExitCode::from(1))
        }
    }
}

/// Writes `text` to standard output. A closed output (`claimsgate token … | head -1`)
/// is not an error: whoever reads it has seen enough, as with any Unix tool.
fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}
