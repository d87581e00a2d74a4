//! The Cognito stand-in: discovery, JWKS, hosted login, token, revoke,
//! userInfo and logout endpoints, and the loopback admin actions.

mod admin;
mod csrf;
pub mod jwks_fault;
mod login;
mod oauth;
pub(crate) mod page;
mod refresh;
mod revoke;
pub mod state;
mod token;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use aws_lc_rs::hmac;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use claimsgate_core::bearer::from_headers;
use claimsgate_core::fetch::BoxFuture;
use claimsgate_core::signing::SigningKey;
use claimsgate_core::{
    Clock, FetchError, Fetcher, JwksSettings, TokenUsePolicy, Verifier, VerifierConfig,
};
use serde::Deserialize;
use serde_json::json;

use crate::issuer::TokenIssuer;
use crate::keys::{KeySet, Rotation};
use crate::lock;
use crate::users::User;

use refresh::RefreshGrant;
use state::{Codes, Revocations, Sessions};

/// Scopes the local app client may ask for.
pub const CLIENT_SCOPES: &[&str] =
    &["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"];

/// The cookie of a hosted-login session (`/logout` ends it).
pub const SESSION_COOKIE: &str = "cognito";

/// The machine-to-machine app client: `client_credentials` only, with the resource server's scopes.
#[derive(Debug, Clone)]
pub struct MachineClient {
    /// Client id.
    pub id: String,
    /// Client secret.
    pub secret: String,
    /// The custom scopes it may ask for (`identifier/name`).
    pub scopes: Vec<String>,
}

/// The state of the local user pool.
#[derive(Debug)]
pub struct Cognito {
    /// Base URL of the stand-in, e.g. `http://127.0.0.1:9229`.
    pub base_url: String,
    /// Pool id.
    pub pool_id: String,
    /// App client id.
    pub client_id: String,
    /// App client secret.
    pub client_secret: String,
    /// Registered callback and sign-out URLs.
    pub callback_urls: Vec<String>,
    /// Refresh token lifetime, in seconds.
    pub refresh_token_ttl: u64,
    /// The machine-to-machine client.
    pub machine: MachineClient,
    /// Users.
    pub users: Vec<User>,
    /// Where the users came from (`None`: the seeded two).
    pub users_file: Option<PathBuf>,
    /// Issues tokens through the trigger.
    pub issuer: TokenIssuer,
    key_file: PathBuf,
    /// Verifies access tokens for `/oauth2/userInfo`.
    verifier: Verifier,
    codes: Mutex<Codes>,
    sessions: Mutex<Sessions>,
    revoked: Mutex<Revocations>,
    sealing: RwLock<Sealing>,
    csrf: csrf::Csrf,
    /// What the JWKS endpoint answers, and how often it was asked.
    pub jwks_source: jwks_fault::JwksSource,
}

/// Refresh-token sealing keys, one per signing key held since start: the
/// newest seals, every one opens (a rotation does not end sessions).
#[derive(Debug, Clone)]
struct Sealing {
    current: hmac::Key,
    all: Vec<hmac::Key>,
}

/// Checks `--resource-scope` values: `identifier/name`, no blanks.
fn resource_scopes(scopes: &[String]) -> Result<Vec<String>, String> {
    let mut checked: Vec<String> = Vec::new();
    for scope in scopes.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let well_formed = scope
            .split_once('/')
            .is_some_and(|(server, name)| !server.is_empty() && !name.is_empty())
            && scope.chars().all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
        if !well_formed {
            return Err(format!(
                "--resource-scope: `{scope}` is not a custom scope; write identifier/name, e.g. claimsgate/pets.read"
            ));
        }
        if !checked.iter().any(|s| s == scope) {
            checked.push(scope.to_owned());
        }
    }
    Ok(checked)
}

impl Cognito {
    /// A pool served at `base_url`, issuing with `issuer`.
    ///
    /// # Errors
    /// When the issuer URL is not one a verifier accepts, a resource scope is
    /// malformed, or the system RNG fails.
    pub fn new(
        base_url: String,
        settings: &crate::settings::StackSettings,
        users: Vec<User>,
        issuer: TokenIssuer,
    ) -> Result<Self, String> {
        let mut config = VerifierConfig::for_issuer(
            &issuer.issuer,
            &[&settings.client_id],
            TokenUsePolicy::Access,
        )
        .map_err(|e| format!("--host: the issuer {}: {}", issuer.issuer, e.problem))?;
        // The keys are in this process: read them afresh each time, so a rotated key is known at once.
        config.jwks = JwksSettings {
            ttl: Duration::ZERO,
            min_refresh: Duration::ZERO,
            ..JwksSettings::default()
        };
        let jwks = LiveJwks { keys: Arc::clone(&issuer.keys), clock: Arc::clone(&issuer.clock) };
        let verifier = Verifier::new(&config, Arc::new(jwks), Arc::clone(&issuer.clock));
        let refresh_key = refresh::refresh_key(&issuer.keys.current().to_pkcs8_pem());
        // The local app's page (`/app`) is a callback and sign-out URL of the client too.
        let callback_urls = settings
            .callback_urls
            .iter()
            .cloned()
            .chain(crate::app::registered_urls(&base_url))
            .collect();
        Ok(Self {
            base_url,
            pool_id: settings.pool_id.clone(),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            callback_urls,
            refresh_token_ttl: settings.refresh_token_ttl,
            machine: MachineClient {
                id: settings.machine_client_id.clone(),
                secret: settings.machine_client_secret.clone(),
                scopes: resource_scopes(&settings.resource_scopes)?,
            },
            users,
            users_file: settings.users_file.clone(),
            issuer,
            key_file: settings.key_file.clone(),
            verifier,
            codes: Mutex::new(Codes::default()),
            sessions: Mutex::new(Sessions::default()),
            revoked: Mutex::new(Revocations::default()),
            sealing: RwLock::new(Sealing { current: refresh_key.clone(), all: vec![refresh_key] }),
            csrf: csrf::Csrf::new()
                .ok_or("no randomness available for the login form's CSRF key")?,
            jwks_source: jwks_fault::JwksSource::default(),
        })
    }

    /// The issuer URL, `{base_url}/{pool_id}`.
    #[must_use]
    pub fn issuer_url(&self) -> &str {
        &self.issuer.issuer
    }

    /// The user signing in with this name (the email, any case).
    #[must_use]
    pub fn user(&self, email: &str) -> Option<&User> {
        self.users.iter().find(|u| u.email.eq_ignore_ascii_case(email.trim()))
    }

    /// The user signing in with this name and password (compared in constant time).
    #[must_use]
    pub fn authenticate(&self, email: &str, password: &str) -> Option<&User> {
        self.user(email).filter(|u| {
            aws_lc_rs::constant_time::verify_slices_are_equal(
                u.password.as_bytes(),
                password.as_bytes(),
            )
            .is_ok()
        })
    }

    /// A refresh token for a session of `email` that began at `auth_time`,
    /// valid for the pool's refresh-token lifetime from `now`.
    #[must_use]
    pub fn refresh_token(
        &self,
        email: &str,
        scopes: Vec<String>,
        auth_time: u64,
        origin_jti: String,
        now: u64,
    ) -> String {
        let grant = RefreshGrant {
            email: email.to_owned(),
            client_id: self.client_id.clone(),
            scopes,
            auth_time,
            origin_jti,
            expires_at: now + self.refresh_token_ttl,
        };
        grant.seal(&self.sealing().current)
    }

    fn sealing(&self) -> Sealing {
        self.sealing.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The grant a refresh token stands for, if one of the pool's keys sealed it.
    fn open_refresh_token(&self, token: &str) -> Option<RefreshGrant> {
        RefreshGrant::open(token, &self.sealing().all)
    }

    /// How many authorization codes wait to be redeemed (expired ones are purged as codes come and go).
    #[must_use]
    pub fn pending_codes(&self) -> usize {
        lock(&self.codes).len()
    }

    /// Signs with `next` from now on and keeps the current key published for
    /// `grace_secs` (default: the token lifetime). The new key is saved to the
    /// key file first, so `claimsgate token` and a restart sign with it too.
    ///
    /// # Errors
    /// When the key file cannot be written (nothing changes then).
    pub fn rotate_key(
        &self,
        next: SigningKey,
        grace_secs: Option<u64>,
    ) -> Result<Rotation, String> {
        crate::keys::save_key(&self.key_file, &next)?;
        let sealing = refresh::refresh_key(&next.to_pkcs8_pem());
        let now = self.issuer.clock.now_secs();
        let rotation =
            self.issuer.keys.rotate(next, grace_secs.unwrap_or(self.issuer.token_ttl), now);
        let mut keys = self.sealing.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.all.push(sealing.clone());
        keys.current = sealing;
        Ok(rotation)
    }

    fn user_by_sub(&self, sub: &str) -> Option<&User> {
        self.users.iter().find(|u| u.sub() == sub)
    }

    fn is_registered(&self, url: &str) -> bool {
        self.callback_urls.iter().any(|u| u == url)
    }

    /// Revokes every token family issued in the hosted-login session `id`.
    fn end_session(&self, id: &str) {
        let now = self.issuer.clock.now_secs();
        let origins = lock(&self.sessions).end(id, now);
        let mut revoked = lock(&self.revoked);
        for origin in &origins {
            revoked.revoke(origin, now + self.refresh_token_ttl, now);
        }
        tracing::info!(revoked = origins.len(), "hosted-login session ended");
    }

    /// The router of every endpoint.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/{pool}/.well-known/openid-configuration", get(discovery))
            .route("/{pool}/.well-known/jwks.json", get(jwks))
            .route("/oauth2/authorize", get(login::authorize))
            .route("/login", get(login::form).post(login::submit))
            .route("/oauth2/token", post(token::token))
            .route("/oauth2/revoke", post(revoke::revoke))
            .route("/oauth2/userInfo", get(user_info))
            .route("/logout", get(logout))
            .merge(admin::router())
            .with_state(self)
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the stand-in's own pages (`max_age` 0 deletes it).
pub(crate) fn set_cookie(name: &str, value: &str, max_age: u64) -> HeaderValue {
    let text = format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The pool's own key set as published now, handed to the `/oauth2/userInfo` verifier without an HTTP round trip.
#[derive(Debug)]
struct LiveJwks {
    keys: Arc<KeySet>,
    clock: Arc<dyn Clock>,
}

impl Fetcher for LiveJwks {
    fn fetch<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<Vec<u8>, FetchError>> {
        let body = self.keys.jwks(self.clock.now_secs()).to_string().into_bytes();
        Box::pin(async move { Ok(body) })
    }
}

async fn discovery(State(pool): State<Arc<Cognito>>, Path(id): Path<String>) -> Response {
    if id != pool.pool_id {
        return (StatusCode::NOT_FOUND, "no such user pool").into_response();
    }
    let base = &pool.base_url;
    axum::Json(json!({
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "code_challenge_methods_supported": ["S256"],
        "end_session_endpoint": format!("{base}/logout"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": pool.issuer_url(),
        "jwks_uri": format!("{}/.well-known/jwks.json", pool.issuer_url()),
        "response_types_supported": ["code"],
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": format!("{base}/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": format!("{base}/oauth2/userInfo"),
    }))
    .into_response()
}

async fn jwks(State(pool): State<Arc<Cognito>>, Path(id): Path<String>) -> Response {
    if id != pool.pool_id {
        return (StatusCode::NOT_FOUND, "no such user pool").into_response();
    }
    let now = pool.issuer.clock.now_secs();
    pool.jwks_source.answer(pool.issuer.keys.jwks(now)).await
}

async fn user_info(State(pool): State<Arc<Cognito>>, headers: HeaderMap) -> Response {
    let denied = |description: &str| {
        let challenge =
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
            axum::Json(json!({"error": "invalid_token", "error_description": description})),
        )
            .into_response()
    };
    let authorization = headers.get_all(header::AUTHORIZATION).iter();
    let Ok(token) = from_headers(authorization.map(|v| v.as_bytes())) else {
        return denied("Access token is missing");
    };
    let verified = match pool.verifier.verify(token).await {
        Ok(v) => v,
        Err(e) => return denied(e.code()),
    };
    let now = pool.issuer.clock.now_secs();
    let family = verified.claims.str("origin_jti").unwrap_or_default();
    if lock(&pool.revoked).is_revoked(family, now) {
        return denied("Access token has been revoked");
    }
    let Some(user) = verified.claims.sub().and_then(|s| pool.user_by_sub(s)) else {
        return denied("User does not exist");
    };
    let mut body = user.attributes();
    body.remove("cognito:user_status");
    body.insert("username".into(), json!(user.sub()));
    axum::Json(body).into_response()
}

#[derive(Deserialize)]
struct LogoutQuery {
    client_id: Option<String>,
    logout_uri: Option<String>,
}

/// `GET /logout`: ends the hosted-login session, revoking the refresh tokens
/// it issued and the access tokens issued with them, then redirects.
async fn logout(
    State(pool): State<Arc<Cognito>>,
    headers: HeaderMap,
    Query(q): Query<LogoutQuery>,
) -> Response {
    match q.client_id.as_deref() {
        None => return page::error(StatusCode::BAD_REQUEST, "client_id is required."),
        Some(id) if id != pool.client_id => {
            return page::error(StatusCode::BAD_REQUEST, "Invalid client_id.");
        }
        Some(_) => {}
    }
    let uri = match q.logout_uri {
        None => return page::error(StatusCode::BAD_REQUEST, "logout_uri is required."),
        Some(uri) if !pool.is_registered(&uri) => {
            return page::error(
                StatusCode::BAD_REQUEST,
                "The logout_uri is not registered for this app client.",
            );
        }
        Some(uri) => uri,
    };
    if let Some(session) = cookie(&headers, SESSION_COOKIE) {
        pool.end_session(session);
    }
    let mut response = Redirect::to(&uri).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    response
}
