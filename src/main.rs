//! `claimsgate`: run the local stack, mint tokens, verify any token.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use claimsgate::cognito::jwks_fault::JwksFault;
use claimsgate::{AuthorizerKind, StackSettings};
use claimsgate_core::snapshot::Snapshot;
use claimsgate_core::{
    Clock, FetchLimits, HttpFetcher, SystemClock, TokenUsePolicy, Verifier, VerifierConfig,
};
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
    #[arg(long, global = true, value_enum, env = "CLAIMSGATE_LOG_FORMAT", default_value = "text")]
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
        /// Run the API Gateway stand-in as a REST API (as deployed) or an HTTP API (payload 2.0, `$default` stage).
        #[arg(long, value_enum, default_value = "rest")]
        api: Api,
        /// Event type a REST API sends to the authorizer (default token).
        #[arg(long, value_enum)]
        authorizer_event: Option<RestEvent>,
    },
    /// Rotate the running stack's signing key: the new key signs from now on,
    /// the old one stays in the JWKS for the grace period.
    RotateKey {
        /// Seconds the old key stays published (default: the stack's token lifetime).
        #[arg(long)]
        grace: Option<u64>,
        /// Publish this PKCS#8 PEM key instead of a fresh one.
        #[arg(long)]
        new_key_file: Option<PathBuf>,
    },
    /// Make the running stack's JWKS endpoint fail (or recover), to see how the
    /// functions ride it out; prints the mode in force and the JWKS requests counted so far.
    JwksFault {
        /// ok: the keys; down: the connection drops; slow: the keys after 6 s
        /// (past the functions' fetch timeout); 500; garbage: not JSON; empty: no keys.
        /// Without it, only print.
        #[arg(value_enum)]
        mode: Option<JwksFault>,
    },
    /// Manage the users file (`--users-file`) the stack loads at start.
    Users {
        #[command(subcommand)]
        action: UsersAction,
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
    /// Fetch the issuers' key sets now and write them to a snapshot file that
    /// the functions load at cold start (`JWKS_SNAPSHOT`), so they need no fetch then.
    JwksSnapshot {
        /// An issuer URL; repeatable.
        #[arg(long)]
        issuer: Vec<String>,
        /// A Cognito user pool id such as us-east-1_AbC123; repeatable.
        #[arg(long)]
        user_pool_id: Vec<String>,
        /// Where to write the snapshot.
        #[arg(long, default_value = "jwks-snapshot.json")]
        out: PathBuf,
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

#[derive(Debug, Subcommand)]
enum UsersAction {
    /// Add a user (the file is created with the two seeded users when missing).
    Add {
        /// Sign-in name and `email` attribute.
        #[arg(long)]
        email: String,
        /// Password for the hosted login page.
        #[arg(long)]
        password: String,
        /// Whether the email is verified (only a verified email earns a `PET_RULES` domain).
        #[arg(long, required = true, action = clap::ArgAction::Set)]
        email_verified: bool,
        /// An attribute, `NAME=VALUE` (e.g. `custom:pet_preference=dogs`); repeatable.
        #[arg(long = "attribute", value_name = "NAME=VALUE")]
        attributes: Vec<String>,
        /// A group; repeatable.
        #[arg(long = "group")]
        groups: Vec<String>,
    },
    /// Set attributes of a user, as an administrator does (`custom:pet_preference` is set only this way).
    SetAttribute {
        /// The user's email.
        #[arg(long)]
        email: String,
        /// `NAME=VALUE` pairs (e.g. `custom:pet_preference=cats`, `email_verified=false`).
        #[arg(required = true, value_name = "NAME=VALUE")]
        attributes: Vec<String>,
    },
    /// List the users of the file (or the seeded ones), without passwords.
    List,
}

/// Which API Gateway the stand-in is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Api {
    Rest,
    Http,
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
    let default_level =
        if matches!(cli.command, None | Some(Command::Serve { .. })) { "info" } else { "warn" };
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
            Some(Command::Serve {
                api,
                authorizer_event,
            }) => {
                let kind = match (api, authorizer_event) {
                    (Api::Rest, None | Some(RestEvent::Token)) => AuthorizerKind::Token,
                    (Api::Rest, Some(RestEvent::Request)) => AuthorizerKind::Request,
                    (Api::Http, None) => AuthorizerKind::Http,
                    (Api::Http, Some(_)) => {
                        return Err("--authorizer-event is for --api rest; an HTTP API sends payload 2.0 events".into());
                    }
                };
                serve(&cli.stack, kind).await
            }
            Some(Command::RotateKey { grace, new_key_file }) => {
                rotate_key(&cli.stack, grace, new_key_file.as_deref()).await
            }
            Some(Command::JwksFault { mode }) => {
                let body = serde_json::json!({"mode": mode});
                admin(&cli.stack, "jwks-fault", &body).await
            }
            Some(Command::Users { action }) => users(&cli.stack, action),
            Some(Command::Token { email, password }) => {
                token(&cli.stack, &email, password.as_deref()).await
            }
            Some(Command::Verify {
                token,
                issuer,
                user_pool_id,
                token_use,
            }) => verify(&cli.stack, &token, issuer, user_pool_id, token_use).await,
            Some(Command::JwksSnapshot {
                issuer,
                user_pool_id,
                out,
            }) => jwks_snapshot(&issuer, &user_pool_id, &out).await,
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
    let api = match kind {
        AuthorizerKind::Token => "REST API, TOKEN authorizer",
        AuthorizerKind::Request => "REST API, REQUEST authorizer",
        AuthorizerKind::Http => "HTTP API, $default stage, payload 2.0 simple responses",
    };
    line("claimsgate local stack".into());
    line(format!("  Cognito stand-in:     {}", stack.cognito_url));
    line(format!("    issuer:             {}", pool.issuer_url()));
    line(format!("    JWKS:               {}/.well-known/jwks.json", pool.issuer_url()));
    line(format!("    app client:         {} (secret: {})", pool.client_id, pool.client_secret));
    line(format!(
        "    machine client:     {} (secret: {}; scopes: {})",
        pool.machine.id,
        pool.machine.secret,
        pool.machine.scopes.join(" ")
    ));
    line(format!(
        "    trigger:            pre-token-gen, event version {}",
        settings.trigger_version.as_str()
    ));
    line(format!("  API Gateway stand-in: {}", stack.api_url));
    line(format!("    as:                 {api}"));
    line(String::new());
    match &pool.users_file {
        Some(file) => line(format!("Users (from {}):", file.display())),
        None => line("Users (seeded):".into()),
    }
    for user in &pool.users {
        line(format!("  {:<28} password: {}{}", user.email, user.password, user_details(user)));
    }
    line(String::new());
    line("Open in a browser (sign in, see the claim, call the routes):".into());
    line(format!("  {}", stack.app_url()));
    line("Or sign in with the hosted login page yourself:".into());
    line(format!("  {login}"));
    line("Exchange the code from the callback URL:".into());
    line(format!(
        "  curl -s -u '{}:{}' -d grant_type=authorization_code -d redirect_uri={callback} -d code=CODE {}/oauth2/token",
        pool.client_id, pool.client_secret, stack.cognito_url
    ));
    line("Machine-to-machine token (client_credentials):".into());
    line(format!(
        "  curl -s -u '{}:{}' -d grant_type=client_credentials -d scope={} {}/oauth2/token",
        pool.machine.id,
        pool.machine.secret,
        pool.machine.scopes.first().map_or("", String::as_str),
        stack.cognito_url
    ));
    line(String::new());
    for user in &pool.users {
        let tokens = stack.tokens_for(&user.email).await?;
        line(format!("As {} (ID token, valid {} s):", user.email, tokens.expires_in));
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
    tokio::signal::ctrl_c().await.map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    drop(stack);
    emit("stopped\n")?;
    Ok(ExitCode::SUCCESS)
}

/// `  email_verified=false, custom:pet_preference=cats, groups: a b` for the banner and `users list`.
fn user_details(user: &claimsgate::users::User) -> String {
    let mut parts = Vec::new();
    if !user.email_verified {
        parts.push("email_verified=false".to_owned());
    }
    for (name, value) in &user.attributes {
        parts.push(format!("{name}={}", value.as_str().unwrap_or_default()));
    }
    if !user.groups.is_empty() {
        parts.push(format!("groups: {}", user.groups.join(" ")));
    }
    if parts.is_empty() { String::new() } else { format!("  ({})", parts.join(", ")) }
}

async fn token(
    settings: &StackSettings,
    email: &str,
    password: Option<&str>,
) -> Result<ExitCode, String> {
    let base = claimsgate::cognito_base_url(settings);
    let users = claimsgate::users_of(settings)?;
    let trigger = claimsgate::lambda_trigger(settings)?;
    let issuer = claimsgate::token_issuer(settings, &base, trigger, Arc::new(SystemClock))?;
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
        (None, Some(pool)) => claimsgate_core::config::issuer_for_pool(&pool)
            .map_err(|e| format!("--user-pool-id: {}", e.problem))?,
        (None, None) => format!("{}/{}", claimsgate::cognito_base_url(settings), settings.pool_id),
    };
    let policy = match token_use {
        Use::Id => TokenUsePolicy::Id,
        Use::Access => TokenUsePolicy::Access,
        Use::Any => TokenUsePolicy::Any,
    };
    let config = VerifierConfig::for_issuer(&iss, &[&settings.client_id], policy)
        .map_err(|e| format!("--issuer: {}", e.problem))?;
    let verifier = Arc::new(Verifier::from_config(&config));
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
            let mut message = e.to_string();
            if e.code() == "jwks_unavailable"
                && let Some(down) = local_stack_down(&iss).await
            {
                eprintln!("error: {down}");
                message = down;
            }
            let out = serde_json::json!({"valid": false, "code": e.code(), "message": message});
            emit(&format!("{out}\n"))?;
            Ok(ExitCode::from(1))
        }
    }
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

/// Asks the running stack (on loopback, at `--cognito-port`) to rotate its signing key.
async fn rotate_key(
    settings: &StackSettings,
    grace: Option<u64>,
    new_key_file: Option<&Path>,
) -> Result<ExitCode, String> {
    let pem = match new_key_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("--new-key-file {}: cannot read it: {e}", path.display()))?,
        ),
        None => None,
    };
    let body = serde_json::json!({"grace_secs": grace, "private_key_pem": pem});
    admin(settings, "rotate-key", &body).await
}

/// Posts `body` to the running stack's admin action `action` (on loopback, at
/// `--cognito-port`) and prints its answer.
async fn admin(
    settings: &StackSettings,
    action: &str,
    body: &serde_json::Value,
) -> Result<ExitCode, String> {
    let host = if settings.host.is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        settings.host
    };
    let url =
        format!("http://{}/admin/{action}", std::net::SocketAddr::new(host, settings.cognito_port));
    let response = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot reach the stack at {url}: {e}; start it first, and pass the same --host and --cognito-port"
            )
        })?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{url}: cannot read the answer: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {text}"));
    }
    emit(&format!("{text}\n"))?;
    Ok(ExitCode::SUCCESS)
}

/// `claimsgate users ...`: edits or lists the users file.
fn users(settings: &StackSettings, action: UsersAction) -> Result<ExitCode, String> {
    use claimsgate::users;
    let file = || {
        settings.users_file.as_deref().ok_or_else(|| {
            "name the users file with --users-file FILE (the stack loads it with the same flag)"
                .to_owned()
        })
    };
    let pairs = |items: &[String]| -> Result<Vec<(String, String)>, String> {
        items
            .iter()
            .map(|item| {
                item.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                    .ok_or_else(|| format!("`{item}` is not NAME=VALUE"))
            })
            .collect()
    };
    match action {
        UsersAction::Add { email, password, email_verified, attributes, groups } => {
            let path = file()?;
            let mut user = users::User::new(&email, &password, email_verified);
            for (name, value) in pairs(&attributes).map_err(|e| format!("--attribute: {e}"))? {
                user.set_attribute(&name, &value).map_err(|e| format!("--attribute: {e}"))?;
            }
            user.groups = groups;
            users::add(path, user)?;
            emit(&format!("added {email} to {}\n", path.display()))?;
        }
        UsersAction::SetAttribute { email, attributes } => {
            let path = file()?;
            users::set_attributes(path, &email, &pairs(&attributes)?)?;
            emit(&format!("updated {email} in {}\n", path.display()))?;
        }
        UsersAction::List => {
            let list = claimsgate::users_of(settings)?;
            let mut out = String::new();
            for user in &list {
                out.push_str(&format!(
                    "{:<28} sub: {}{}\n",
                    user.email,
                    user.sub(),
                    user_details(user)
                ));
            }
            emit(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
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

async fn jwks_snapshot(
    issuers: &[String],
    pools: &[String],
    out: &Path,
) -> Result<ExitCode, String> {
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
