//! `claimsgate`: run the local stack, mint tokens, verify any token.

use std::process::ExitCode;
use std::sync::Arc;

use claimsgate::{AuthorizerKind, StackSettings};
use claimsgate_core::{TokenUsePolicy, Verifier, VerifierConfig};
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
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Cognito and API Gateway stand-ins (the default).
    Serve {
        /// Event type the API Gateway stand-in sends to the authorizer.
        #[arg(long, value_enum, default_value = "token")]
        authorizer_event: EventKind,
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum EventKind {
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
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
                    EventKind::Token => AuthorizerKind::Token,
                    EventKind::Request => AuthorizerKind::Request,
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
    let stack = claimsgate::start(settings, kind).await?;
    let pool = &stack.cognito;
    let callback = settings.callback_urls.first().cloned().unwrap_or_default();
    let login = format!(
        "{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid+email&state=demo",
        stack.cognito_url,
        pool.client_id,
        url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>()
    );
    println!("claimsgate local stack");
    println!("  Cognito stand-in:     {}", stack.cognito_url);
    println!("    issuer:             {}", pool.issuer_url());
    println!(
        "    JWKS:               {}/.well-known/jwks.json",
        pool.issuer_url()
    );
    println!(
        "    app client:         {} (secret: {})",
        pool.client_id, pool.client_secret
    );
    println!("  API Gateway stand-in: {}", stack.api_url);
    println!();
    println!("Users:");
    for user in &pool.users {
        println!("  {:<28} password: {}", user.email, user.password);
    }
    println!();
    println!("Sign in with the hosted login page:");
    println!("  {login}");
    println!("Exchange the code from the callback URL:");
    println!(
        "  curl -s -u '{}:{}' -d grant_type=authorization_code -d redirect_uri={callback} -d code=CODE {}/oauth2/token",
        pool.client_id, pool.client_secret, stack.cognito_url
    );
    println!();
    for user in &pool.users {
        let tokens = stack.tokens_for(&user.email).await?;
        println!(
            "As {} (ID token, valid {} s):",
            user.email, tokens.expires_in
        );
        for route in ["/me/claims", "/dogs", "/cats"] {
            println!(
                "  curl -s -H 'Authorization: Bearer {}' {}{route}",
                tokens.id_token, stack.api_url
            );
        }
        println!();
    }
    println!("Ctrl-C stops the stack.");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    drop(stack);
    println!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn token(
    settings: &StackSettings,
    email: &str,
    password: Option<&str>,
) -> Result<ExitCode, String> {
    let base = claimsgate::cognito_base_url(settings);
    let users = claimsgate::users_of(settings)?;
    let issuer = claimsgate::token_issuer(settings, &base)?;
    let pool = claimsgate::cognito::Cognito::new(base, settings, users, issuer);
    let tokens = claimsgate::tokens_for(&pool, email, password).await?;
    println!(
        "{}",
        serde_json::to_string_pretty(&tokens).map_err(|e| e.to_string())?
    );
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
    let config = VerifierConfig::for_issuer(&iss, &[&settings.client_id], policy);
    let verifier = Arc::new(Verifier::from_config(&config).map_err(|e| e.to_string())?);
    match verifier.verify(token.trim()).await {
        Ok(verified) => {
            let out = serde_json::json!({
                "valid": true,
                "header": verified.header,
                "token_use": verified.token_use,
                "claims": verified.claims,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let out =
                serde_json::json!({"valid": false, "code": e.code(), "message": e.to_string()});
            println!("{out}");
            Ok(ExitCode::from(1))
        }
    }
}
