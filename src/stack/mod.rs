//! How the stand-ins are started together: one process, two listeners (the
//! Cognito stand-in with the app page on it, the API Gateway stand-in), the
//! real handlers of the three functions wired in, and the settings they read.
//! It uses every room; only the crate root and the CLI use it.

pub mod settings;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use authorizer::Authorizer;
use authorizer::policies::Store;
use claimsgate_core::{Clock, HttpFetcher, Verifier, VerifierConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::apigw::{AuthorizerFunction, AuthorizerKind, LambdaAuthorizer};
use crate::app;
use crate::cognito::Cognito;
use crate::cognito::issuer::{Grant, Source, TokenIssuer, Tokens};
use crate::cognito::keys::{self, load_or_create_key};
use crate::cognito::trigger::{LambdaTrigger, Trigger};
use crate::cognito::users;
use crate::support::random;
use settings::StackSettings;

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

/// The real trigger, configured by the variables the Lambda reads (`PET_RULES`, `DEFAULT_PET`, ...).
///
/// # Errors
/// The first variable that cannot be used, as the Lambda would report it at init.
pub fn lambda_trigger(settings: &StackSettings) -> Result<Arc<dyn Trigger>, String> {
    let config = pre_token_gen::Config::from_lookup(|name| settings.function_var(name))
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(LambdaTrigger(config)))
}

/// The token issuer for `settings`, with the issuer URL served at `base_url`.
///
/// # Errors
/// When the pool id or the key cannot be used.
pub fn token_issuer(
    settings: &StackSettings,
    base_url: &str,
    trigger: Arc<dyn Trigger>,
    clock: Arc<dyn Clock>,
) -> Result<TokenIssuer, String> {
    let pool_ok = !settings.pool_id.is_empty()
        && settings.pool_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !pool_ok {
        return Err(format!(
            "--pool-id: `{}` is not a user pool id; use letters, digits, _ and -, e.g. local_claimsgate",
            settings.pool_id
        ));
    }
    let key = load_or_create_key(&settings.key_file)?;
    Ok(TokenIssuer {
        keys: Arc::new(keys::KeySet::new(key)),
        issuer: format!("{base_url}/{}", settings.pool_id),
        pool_id: settings.pool_id.clone(),
        client_id: settings.client_id.clone(),
        token_ttl: settings.token_ttl,
        trigger,
        version: settings.trigger_version,
        clock,
    })
}

/// The base URL of the Cognito stand-in for `settings` (before binding: the configured port).
#[must_use]
pub fn cognito_base_url(settings: &StackSettings) -> String {
    format!("http://{}", SocketAddr::new(settings.host, settings.cognito_port))
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
    /// The local app's page: sign in, see the claim, call the routes.
    #[must_use]
    pub fn app_url(&self) -> String {
        format!("{}{}", self.cognito_url, app::HOME)
    }

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
    let user = pool.user(email).ok_or_else(|| format!("no user {email} in the pool"))?;
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

/// Starts both stand-ins. Every part tells time by `clock` (the system clock
/// when run; tests move a manual one).
///
/// # Errors
/// When a port cannot be bound or a part cannot be configured.
pub async fn start(
    settings: &StackSettings,
    kind: AuthorizerKind,
    clock: Arc<dyn Clock>,
) -> Result<Stack, String> {
    start_with_trigger(settings, kind, clock, lambda_trigger(settings)?).await
}

/// [`start`] with another Pre Token Generation trigger than the real one (a
/// test's stand-in for a user's own Lambda).
///
/// # Errors
/// As [`start`].
pub async fn start_with_trigger(
    settings: &StackSettings,
    kind: AuthorizerKind,
    clock: Arc<dyn Clock>,
    trigger: Arc<dyn Trigger>,
) -> Result<Stack, String> {
    start_with(settings, kind, clock, trigger, None).await
}

/// [`start`] with another authorizer than the real one behind the API (a
/// test's stand-in for one that fails).
///
/// # Errors
/// As [`start`].
pub async fn start_with_authorizer(
    settings: &StackSettings,
    kind: AuthorizerKind,
    clock: Arc<dyn Clock>,
    authorizer: Arc<dyn AuthorizerFunction>,
) -> Result<Stack, String> {
    start_with(settings, kind, clock, lambda_trigger(settings)?, Some(authorizer)).await
}

async fn start_with(
    settings: &StackSettings,
    kind: AuthorizerKind,
    clock: Arc<dyn Clock>,
    trigger: Arc<dyn Trigger>,
    authorizer: Option<Arc<dyn AuthorizerFunction>>,
) -> Result<Stack, String> {
    let cognito_addr = SocketAddr::new(settings.host, settings.cognito_port);
    let cognito_listener = TcpListener::bind(cognito_addr)
        .await
        .map_err(|e| format!("cannot listen on {cognito_addr} (Cognito stand-in): {e}; pick another with --cognito-port"))?;
    let cognito_url =
        format!("http://{}", cognito_listener.local_addr().map_err(|e| e.to_string())?);
    // Bound before the pool is served: the app page on it calls the API.
    let api_addr = SocketAddr::new(settings.host, settings.api_port);
    let api_listener = TcpListener::bind(api_addr).await.map_err(|e| {
        format!(
            "cannot listen on {api_addr} (API Gateway stand-in): {e}; pick another with --api-port"
        )
    })?;
    let api_url = format!("http://{}", api_listener.local_addr().map_err(|e| e.to_string())?);
    let users = users_of(settings)?;
    let issuer = token_issuer(settings, &cognito_url, trigger, Arc::clone(&clock))?;
    // The local app's page (`/app`) is a callback and sign-out URL of the client too.
    let cognito = Arc::new(
        Cognito::new(cognito_url.clone(), settings.pool(), users, issuer)?
            .with_client_urls(app::registered_urls(&cognito_url)),
    );
    let store = policy_store(settings)?;
    let rules = pre_token_gen::Config::from_lookup(|name| settings.function_var(name)).ok();
    let app =
        Arc::new(app::App::new(Arc::clone(&cognito), (api_url.clone(), &store.routes), rules)?);
    let mut tasks = vec![tokio::spawn(serve(
        cognito_listener,
        logged("cognito", Arc::clone(&cognito).router().merge(app.router())),
    ))];

    let verifier = || -> Result<Verifier, String> {
        let config = verifier_config(settings, cognito.issuer_url())?;
        let fetcher = HttpFetcher::new(settings.jwks_fetch);
        Ok(Verifier::new(&config, Arc::new(fetcher), Arc::clone(&clock)))
    };
    // The API's routes are the store's actions, whoever answers its authorizer events.
    let routes = store.routes.clone();
    let authorizer: Arc<dyn AuthorizerFunction> = match authorizer {
        Some(authorizer) => authorizer,
        None => {
            let real = Arc::new(Authorizer::new(verifier()?, store));
            real.verifier().hydrate().await;
            Arc::new(LambdaAuthorizer(real))
        }
    };
    let me_claims = Arc::new(me_claims::App::new(verifier()?, settings.cors_allow_origins.clone()));
    me_claims.verifier().hydrate().await;
    let api = Arc::new(
        crate::apigw::ApiGateway::new(
            (routes, authorizer),
            me_claims,
            kind,
            Duration::from_secs(settings.authorizer_cache_ttl),
            Arc::clone(&clock),
        )?
        .with_cors(&settings.cors_allow_origins)?,
    );

    tasks.push(tokio::spawn(serve(api_listener, logged("api", api.router()))));
    Ok(Stack { cognito_url, api_url, cognito, tasks })
}

/// The authorizer's policy store: `--policies`, else `POLICY_STORE` as the Lambda
/// reads it, else the shipped one. Read at start, so a policy edit shows on restart.
///
/// # Errors
/// A store that does not load or validate, as the Lambda would report it at init.
pub fn policy_store(settings: &StackSettings) -> Result<Store, String> {
    authorizer::store_from_lookup(|name| match (name, &settings.policies) {
        (authorizer::POLICY_STORE_VAR, Some(folder)) => Some(folder.display().to_string()),
        _ => settings.function_var(name),
    })
    .map_err(|e| match e.var {
        authorizer::POLICY_STORE_VAR => format!("--policies: {}", e.problem),
        var => format!("{var}: {}", e.problem),
    })
}

/// The functions' verifier configuration, read as the Lambdas read it: the
/// stack's issuer and app clients, any token use, and where the keys are and
/// how long they live (`JWKS_URI`, `JWKS_TTL_SECS`, `JWKS_MIN_REFRESH_SECS`,
/// `JWKS_MAX_STALE_SECS`) when set.
fn verifier_config(settings: &StackSettings, issuer: &str) -> Result<VerifierConfig, String> {
    let lookup = |name: &str| match name {
        "TOKEN_ISSUERS" => Some(issuer.to_owned()),
        "COGNITO_CLIENT_IDS" => {
            Some(format!("{},{}", settings.client_id, settings.machine_client_id))
        }
        "JWKS_URI" | "JWKS_TTL_SECS" | "JWKS_MIN_REFRESH_SECS" | "JWKS_MAX_STALE_SECS" => {
            settings.function_var(name)
        }
        _ => None,
    };
    VerifierConfig::from_lookup(lookup).map_err(|e| e.to_string())
}

/// Logs one line per request: which stand-in, method, path (never the query,
/// which may carry a code), status and time taken.
fn logged(part: &'static str, router: axum::Router) -> axum::Router {
    router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| async move {
            let (method, path) = (request.method().clone(), request.uri().path().to_owned());
            let started = std::time::Instant::now();
            let response = next.run(request).await;
            tracing::info!(
                target: "claimsgate::http",
                part,
                %method,
                path,
                status = response.status().as_u16(),
                ms = started.elapsed().as_secs_f64() * 1000.0,
                "request"
            );
            response
        },
    ))
}

async fn serve(listener: TcpListener, router: axum::Router) {
    // The peer address is what the admin actions' loopback check reads.
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    if let Err(e) = axum::serve(listener, service).await {
        tracing::error!(error = %e, "server stopped");
    }
}
