//! The pool itself: its app clients, users, signing keys and the stores of
//! what it remembers between requests (codes, sessions, revocations). Every
//! endpoint of the stand-in is a function over this state. It uses the
//! pool's building blocks beside it (issuer, keys, users, csrf, refresh,
//! state, jwks_fault); the endpoints and the stack use it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use aws_lc_rs::hmac;
use claimsgate_core::fetch::BoxFuture;
use claimsgate_core::signing::SigningKey;
use claimsgate_core::{
    Clock, FetchError, Fetcher, JwksSettings, TokenUsePolicy, Verifier, VerifierConfig,
};

use super::csrf;
use super::issuer::TokenIssuer;
use super::jwks_fault;
use super::keys::{KeySet, Rotation, save_key};
use super::refresh::{RefreshGrant, refresh_key};
use super::state::{Codes, Revocations, Sessions};
use super::users::User;
use crate::support::lock;

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

/// What the stack tells a pool about its app clients and files (from its flags).
#[derive(Debug, Clone)]
pub struct PoolSettings {
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
    /// Machine-to-machine client id.
    pub machine_client_id: String,
    /// Machine-to-machine client secret.
    pub machine_client_secret: String,
    /// The resource server's custom scopes (`identifier/name`), unchecked.
    pub resource_scopes: Vec<String>,
    /// Where the users came from (`None`: the seeded two).
    pub users_file: Option<PathBuf>,
    /// Where the signing key is kept.
    pub key_file: PathBuf,
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
    pub(super) key_file: PathBuf,
    /// Verifies access tokens for `/oauth2/userInfo`.
    pub(super) verifier: Verifier,
    pub(super) codes: Mutex<Codes>,
    pub(super) sessions: Mutex<Sessions>,
    pub(super) revoked: Mutex<Revocations>,
    sealing: RwLock<Sealing>,
    pub(super) csrf: csrf::Csrf,
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
        settings: PoolSettings,
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
        let refresh_key = refresh_key(&issuer.keys.current().to_pkcs8_pem());
        Ok(Self {
            base_url,
            machine: MachineClient {
                id: settings.machine_client_id,
                secret: settings.machine_client_secret,
                scopes: resource_scopes(&settings.resource_scopes)?,
            },
            pool_id: settings.pool_id,
            client_id: settings.client_id,
            client_secret: settings.client_secret,
            callback_urls: settings.callback_urls,
            refresh_token_ttl: settings.refresh_token_ttl,
            users,
            users_file: settings.users_file,
            issuer,
            key_file: settings.key_file,
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

    /// Registers `urls` as callback and sign-out URLs of the app client too
    /// (the local app's page registers its own this way).
    #[must_use]
    pub fn with_client_urls(mut self, urls: impl IntoIterator<Item = String>) -> Self {
        self.callback_urls.extend(urls);
        self
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
    pub(super) fn open_refresh_token(&self, token: &str) -> Option<RefreshGrant> {
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
        save_key(&self.key_file, &next)?;
        let sealing = refresh_key(&next.to_pkcs8_pem());
        let now = self.issuer.clock.now_secs();
        let rotation =
            self.issuer.keys.rotate(next, grace_secs.unwrap_or(self.issuer.token_ttl), now);
        let mut keys = self.sealing.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.all.push(sealing.clone());
        keys.current = sealing;
        Ok(rotation)
    }

    pub(super) fn user_by_sub(&self, sub: &str) -> Option<&User> {
        self.users.iter().find(|u| u.sub() == sub)
    }

    pub(super) fn is_registered(&self, url: &str) -> bool {
        self.callback_urls.iter().any(|u| u == url)
    }

    /// Revokes every token family issued in the hosted-login session `id`.
    pub(super) fn end_session(&self, id: &str) {
        let now = self.issuer.clock.now_secs();
        let origins = lock(&self.sessions).end(id, now);
        let mut revoked = lock(&self.revoked);
        for origin in &origins {
            revoked.revoke(origin, now + self.refresh_token_ttl, now);
        }
        tracing::info!(revoked = origins.len(), "hosted-login session ended");
    }
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
