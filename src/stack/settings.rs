//! Settings of the local stack, from flags or `CLAIMSGATE_*` variables.
//!
//! It uses `cognito::trigger` and `cognito::pool` (the settings a pool takes); it is used by `stack` and `cli`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use claimsgate_core::FetchLimits;
use clap::{Args, FromArgMatches as _};

use crate::cognito::pool::PoolSettings;
use crate::cognito::trigger::TriggerVersion;

/// Everything the local stack can be told; every field has a working default.
#[derive(Debug, Clone, Args)]
pub struct StackSettings {
    /// Address both stand-ins listen on (keep it on loopback).
    #[arg(long, global = true, env = "CLAIMSGATE_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port of the Cognito stand-in (0 picks a free one).
    #[arg(long, global = true, env = "CLAIMSGATE_COGNITO_PORT", default_value_t = 9229)]
    pub cognito_port: u16,
    /// Port of the API Gateway stand-in (0 picks a free one).
    #[arg(long, global = true, env = "CLAIMSGATE_API_PORT", default_value_t = 3000)]
    pub api_port: u16,
    /// User pool id; the issuer is `http://{host}:{cognito_port}/{pool_id}`.
    #[arg(long, global = true, env = "CLAIMSGATE_POOL_ID", default_value = "local_claimsgate")]
    pub pool_id: String,
    /// App client id.
    #[arg(
        long,
        global = true,
        env = "CLAIMSGATE_CLIENT_ID",
        default_value = "claimsgate-local-client"
    )]
    pub client_id: String,
    /// App client secret.
    #[arg(
        long,
        global = true,
        env = "CLAIMSGATE_CLIENT_SECRET",
        default_value = "claimsgate-local-secret"
    )]
    pub client_secret: String,
    /// Allowed callback (and sign-out) URLs, comma-separated.
    #[arg(
        long = "callback-url",
        global = true,
        env = "CLAIMSGATE_CALLBACK_URLS",
        value_delimiter = ',',
        default_value = "http://localhost"
    )]
    pub callback_urls: Vec<String>,
    /// JSON file of users (`[{"email", "password", "email_verified", "attributes", "groups"}]`) replacing the seeded ones; read strictly (`email_verified` required, no unknown keys).
    #[arg(long, global = true, env = "CLAIMSGATE_USERS_FILE")]
    pub users_file: Option<PathBuf>,
    /// PKCS#8 PEM signing key; created there if missing, so restarts and `token` share one key.
    #[arg(
        long,
        global = true,
        env = "CLAIMSGATE_KEY_FILE",
        default_value = ".claimsgate/signing-key.pem"
    )]
    pub key_file: PathBuf,
    /// How long the API Gateway stand-in caches an authorizer result per token (0 disables).
    #[arg(long, global = true, env = "CLAIMSGATE_AUTHORIZER_CACHE_TTL", default_value_t = 300)]
    pub authorizer_cache_ttl: u64,
    /// Lifetime of ID and access tokens, in seconds (Cognito: 300 to 86400).
    #[arg(long, global = true, env = "CLAIMSGATE_TOKEN_TTL", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub token_ttl: u64,
    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, global = true, env = "CLAIMSGATE_REFRESH_TOKEN_TTL", default_value_t = 30 * 86_400)]
    pub refresh_token_ttl: u64,
    /// Pre Token Generation event version: 1 (ID token only), 2 (ID and access token, as deployed), 3 (also client-credentials grants).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "CLAIMSGATE_TRIGGER_VERSION",
        default_value = "2"
    )]
    pub trigger_version: TriggerVersion,
    /// Machine-to-machine app client id (the `client_credentials` grant).
    #[arg(
        long,
        global = true,
        env = "CLAIMSGATE_MACHINE_CLIENT_ID",
        default_value = "claimsgate-local-machine"
    )]
    pub machine_client_id: String,
    /// Machine-to-machine app client secret.
    #[arg(
        long,
        global = true,
        env = "CLAIMSGATE_MACHINE_CLIENT_SECRET",
        default_value = "claimsgate-local-machine-secret"
    )]
    pub machine_client_secret: String,
    /// Custom scopes of the resource server (`identifier/name`, repeatable or comma-separated); the machine client may ask for each.
    #[arg(
        long = "resource-scope",
        global = true,
        env = "CLAIMSGATE_RESOURCE_SCOPES",
        value_delimiter = ',',
        default_value = "claimsgate/pets.read,claimsgate/pets.write"
    )]
    pub resource_scopes: Vec<String>,
    /// The authorizer's Cedar policy store: a folder with `schema.cedarschema` and `*.cedar`
    /// files (`POLICY_STORE` in Lambda). Default: the shipped `policies/`. Read at start.
    #[arg(long, global = true, env = "CLAIMSGATE_POLICIES", value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Variables the functions read (`POLICY_STORE`, `PET_RULES`, ...), over the process
    /// environment: lets a test or an embedding program configure them without `setenv`.
    #[arg(skip)]
    pub function_env: BTreeMap<String, String>,
    /// Origins allowed to call the API from a browser, comma-separated, or `*` (none by default).
    /// Preflights, errors and responses carry CORS headers as the deployed API's (`corsAllowOrigins`).
    #[arg(long, global = true, env = "CLAIMSGATE_CORS_ALLOW_ORIGINS", value_delimiter = ',')]
    pub cors_allow_origins: Vec<String>,
    /// Limits of the functions' JWKS fetches: the Lambdas' own by default (tests shorten the timeout).
    #[arg(skip)]
    pub jwks_fetch: FetchLimits,
}

impl StackSettings {
    /// The settings with every flag's default, listening on free ports and keeping
    /// the signing key at `key_file` (for tests). The process environment is not read.
    ///
    /// # Errors
    /// Only if a flag's default no longer parses.
    pub fn ephemeral(key_file: PathBuf) -> Result<Self, clap::Error> {
        let flags = Self::augment_args(clap::Command::new("claimsgate")).mut_args(|a| a.env(None));
        let mut settings = Self::from_arg_matches(&flags.try_get_matches_from(["claimsgate"])?)?;
        (settings.cognito_port, settings.api_port, settings.key_file) = (0, 0, key_file);
        Ok(settings)
    }

    /// The value of a function's variable: [`StackSettings::function_env`], else the process environment.
    #[must_use]
    pub fn function_var(&self, name: &str) -> Option<String> {
        self.function_env.get(name).cloned().or_else(|| std::env::var(name).ok())
    }

    /// What the Cognito stand-in's pool takes of these settings.
    #[must_use]
    pub fn pool(&self) -> PoolSettings {
        PoolSettings {
            pool_id: self.pool_id.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            callback_urls: self.callback_urls.clone(),
            refresh_token_ttl: self.refresh_token_ttl,
            machine_client_id: self.machine_client_id.clone(),
            machine_client_secret: self.machine_client_secret.clone(),
            resource_scopes: self.resource_scopes.clone(),
            users_file: self.users_file.clone(),
            key_file: self.key_file.clone(),
        }
    }

    /// Token lifetime as a duration.
    #[must_use]
    pub fn token_life(&self) -> Duration {
        Duration::from_secs(self.token_ttl)
    }
}
