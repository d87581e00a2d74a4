//! # claimsgate local stack
//!
//! One process with a Cognito stand-in and an API Gateway stand-in, both
//! driving the real handlers of the three functions (`pre-token-gen`,
//! `authorizer`, `me-claims`). Nothing here re-implements their logic.

pub mod apigw;
pub mod cognito;
pub mod gateway_response;
pub mod issuer;
pub mod policy;
pub mod random;
pub mod settings;
pub mod users;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use authorizer::Authorizer;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::rules::routes::RouteTable;
use claimsgate_core::signing::SigningKey;
use claimsgate_core::{Clock, SystemClock, TokenUsePolicy, Verifier, VerifierConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use apigw::AuthorizerKind;
use cognito::Cognito;
use issuer::{Grant, Source, TokenIssuer, Tokens};
pub use settings::StackSettings;

/// Locks a mutex; a poisoned one only means a panic elsewhere, and the maps it guards stay consistent.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Loads the signing key from `path`, or makes one and saves it there.
///
/// # Errors
/// When the file cannot be read, parsed or written.
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, String> {
    let key = if path.exists() {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read key file {}: {e}", path.display()))?;
        SigningKey::from_pkcs8_pem("", &pem)
            .map_err(|e| format!("key file {}: {e}", path.display()))?
    } else {
        let fresh = SigningKey::generate("").map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        write_private(path, &fresh.to_pkcs8_pem())
            .map_err(|e| format!("cannot write key file {}: {e}", path.display()))?;
        fresh
    };
    // The kid is derived from the key, so every process using the file names it alike.
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.modulus());
    let kid = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..20]);
    Ok(key.with_kid(&kid))
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// The users of the pool: the users file, or the seeded two.
///
/// # Errors
/// When the users file cannot be used.
pub fn users_of(settings: &StackSettings) -> Result<Vec<users::User>, String> {
    match &settings.users_file {
        Some(path) => users::load(path),
        None => Ok(users::seeded()),
    }
}

/// The token issuer for `settings`, with the issuer URL served at `base_url`.
///
/// # Errors
/// When the key or the trigger configuration cannot be loaded.
pub fn token_issuer(settings: &StackSettings, base_url: &str) -> Result<TokenIssuer, String> {
    let key = load_or_create_key(&settings.key_file)?;
    let trigger = pre_token_gen::Config::from_env().map_err(|e| e.to_string())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Ok(TokenIssuer {
        key: Arc::new(key),
        issuer: format!("{base_url}/{}", settings.pool_id),
        pool_id: settings.pool_id.clone(),
        client_id: settings.client_id.clone(),
        token_ttl: settings.token_ttl,
        trigger,
        clock,
    })
}

/// The base URL of the Cognito stand-in for `settings` (before binding: the configured port).
#[must_use]
pub fn cognito_base_url(settings: &StackSettings) -> String {
    format!(
        "http://{}",
        SocketAddr::new(settings.host, settings.cognito_port)
    )
}

/// A running local stack. Dropping it stops both servers.
#[derive(Debug)]
pub struct Stack {
    /// Base URL of the Cognito stand-in.
    pub cognito_url: String,
    /// Base URL of the API Gateway stand-in.
    pub api_url: String,
    /// The pool.
    pub cognito: Arc<Cognito>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Stack {
    /// Issues tokens for a user without a browser, through the same path as the token endpoint.
    ///
    /// # Errors
    /// When there is no such user or issuance fails.
    pub async fn tokens_for(&self, email: &str) -> Result<Tokens, String> {
        tokens_for(&self.cognito, email, None).await
    }
}

/// Issues tokens (with a refresh token) for `email`, checking `password` when given.
///
/// # Errors
/// When the user is unknown, the password is wrong or issuance fails.
pub async fn tokens_for(
    pool: &Cognito,
    email: &str,
    password: Option<&str>,
) -> Result<Tokens, String> {
    let user = pool
        .user(email)
        .ok_or_else(|| format!("no user {email} in the pool"))?;
    if password.is_some_and(|p| pool.authenticate(email, p).is_none()) {
        return Err("Incorrect username or password.".into());
    }
    let now = pool.issuer.clock.now_secs();
    let scopes = vec!["openid".to_owned(), "email".to_owned()];
    let grant = Grant {
        user,
        scopes: scopes.clone(),
        nonce: None,
        auth_time: now,
        origin_jti: random::uuid(),
        source: Source::Authentication,
    };
    let mut tokens = pool.issuer.issue(&grant).await.map_err(|e| e.to_string())?;
    tokens.refresh_token =
        Some(pool.refresh_token(&user.email, scopes, now, grant.origin_jti.clone(), now));
    Ok(tokens)
}

/// Starts both stand-ins.
///
/// # Errors
/// When a port cannot be bound or a part cannot be configured.
pub async fn start(settings: &StackSettings, kind: AuthorizerKind) -> Result<Stack, String> {
    let cognito_addr = SocketAddr::new(settings.host, settings.cognito_port);
    let cognito_listener = TcpListener::bind(cognito_addr)
        .await
        .map_err(|e| format!("cannot listen on {cognito_addr} (Cognito stand-in): {e}; pick another with --cognito-port"))?;
    let cognito_url = format!(
        "http://{}",
        cognito_listener.local_addr().map_err(|e| e.to_string())?
    );
    let users = users_of(settings)?;
    let issuer = token_issuer(settings, &cognito_url)?;
    let cognito = Arc::new(Cognito::new(cognito_url.clone(), settings, users, issuer));
    let mut tasks = vec![tokio::spawn(serve(
        cognito_listener,
        Arc::clone(&cognito).router(),
    ))];

    let verifier = || -> Result<Verifier, String> {
        let config = VerifierConfig::for_issuer(
            cognito.issuer_url(),
            &[&settings.client_id],
            TokenUsePolicy::Any,
        );
        Verifier::from_config(&config).map_err(|e| e.to_string())
    };
    let routes = RouteTable::from_env().map_err(|e| e.to_string())?;
    let authorizer = Arc::new(Authorizer::new(verifier()?, routes));
    let me_claims = Arc::new(me_claims::App::new(
        verifier()?,
        settings.cors_allow_origins.clone(),
    ));
    authorizer.verifier().hydrate().await;
    me_claims.verifier().hydrate().await;
    let api = Arc::new(
        apigw::ApiGateway::new(
            authorizer,
            me_claims,
            kind,
            Duration::from_secs(settings.authorizer_cache_ttl),
        )?
        .with_cors(&settings.cors_allow_origins)?,
    );

    let api_addr = SocketAddr::new(settings.host, settings.api_port);
    let api_listener = TcpListener::bind(api_addr).await.map_err(|e| {
        format!(
            "cannot listen on {api_addr} (API Gateway stand-in): {e}; pick another with --api-port"
        )
    })?;
    let api_url = format!(
        "http://{}",
        api_listener.local_addr().map_err(|e| e.to_string())?
    );
    tasks.push(tokio::spawn(serve(api_listener, api.router())));
    Ok(Stack {
        cognito_url,
        api_url,
        cognito,
        tasks,
    })
}

async fn serve(listener: TcpListener, router: axum::Router) {
    if let Err(e) = axum::serve(listener, router).await {
        tracing::error!(error = %e, "server stopped");
    }
}
