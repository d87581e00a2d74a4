//! Token issuance: Cognito's claim set, passed through the real pre-token-gen handler.

use std::sync::Arc;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::Clock;
use claimsgate_core::signing::SigningKey;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::random;
use crate::users::User;

/// Why tokens could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The Pre Token Generation trigger refused the event (Cognito fails the sign-in).
    #[error("PreTokenGeneration failed: {0}")]
    Trigger(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The system RNG failed.
    #[error("no randomness available")]
    Random,
}

/// The tokens of one sign-in or refresh, as `/oauth2/token` returns them.
#[derive(Debug, Clone, Serialize)]
pub struct Tokens {
    /// The ID token.
    pub id_token: String,
    /// The access token.
    pub access_token: String,
    /// The refresh token (absent on a refresh grant, as in Cognito).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the ID and access tokens expire.
    pub expires_in: u64,
}

/// How a sign-in came about, as the trigger's `triggerSource` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The hosted login page.
    HostedAuth,
    /// A refresh-token grant.
    Refresh,
    /// The CLI (`claimsgate token`), like an API sign-in.
    Authentication,
}

impl Source {
    fn trigger_source(self) -> &'static str {
        match self {
            Self::HostedAuth => "TokenGeneration_HostedAuth",
            Self::Refresh => "TokenGeneration_RefreshTokens",
            Self::Authentication => "TokenGeneration_Authentication",
        }
    }
}

/// What one issuance is for.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    /// The user.
    pub user: &'a User,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The `nonce` of the authorization request, echoed in the ID token.
    pub nonce: Option<String>,
    /// When the user authenticated (`auth_time`).
    pub auth_time: u64,
    /// `origin_jti` of the session (kept across refreshes).
    pub origin_jti: String,
    /// What started it.
    pub source: Source,
}

/// Mints Cognito-shaped tokens with the pool's key.
#[derive(Debug)]
pub struct TokenIssuer {
    /// The signing key (published at the pool's JWKS URI).
    pub key: Arc<SigningKey>,
    /// `iss`.
    pub issuer: String,
    /// The pool id.
    pub pool_id: String,
    /// The app client id.
    pub client_id: String,
    /// ID and access token lifetime, in seconds.
    pub token_ttl: u64,
    /// The trigger's configuration.
    pub trigger: pre_token_gen::Config,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl TokenIssuer {
    /// Issues an ID and an access token (no refresh token: the caller adds one).
    ///
    /// # Errors
    /// When the trigger fails or signing fails.
    pub async fn issue(&self, grant: &Grant<'_>) -> Result<Tokens, IssueError> {
        let user = grant.user;
        let now = self.clock.now_secs();
        let event_id = random::uuid();
        let sub = user.sub();

        let event = json!({
            "version": "2",
            "triggerSource": grant.source.trigger_source(),
            "region": "us-east-1",
            "userPoolId": self.pool_id,
            "userName": sub,
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": self.client_id},
            "request": {
                "userAttributes": user.attributes(),
                "groupConfiguration": {"groupsToOverride": user.groups, "iamRolesToOverride": [], "preferredRole": null},
                "scopes": grant.scopes,
            },
            "response": {"claimsAndScopeOverrideDetails": null},
        });
        let answered = pre_token_gen::handle(&self.trigger, event)
            .await
            .map_err(|e| IssueError::Trigger(e.to_string()))?;
        let details = answered
            .pointer("/response/claimsAndScopeOverrideDetails")
            .cloned()
            .unwrap_or(Value::Null);

        let mut groups = user.groups.clone();
        if let Some(Value::Array(over)) = details.pointer("/groupOverrideDetails/groupsToOverride")
        {
            groups = over
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        let mut scopes = grant.scopes.clone();
        let access_gen = details.get("accessTokenGeneration");
        if let Some(Value::Array(add)) = access_gen.and_then(|a| a.get("scopesToAdd")) {
            for s in add.iter().filter_map(Value::as_str) {
                if !scopes.iter().any(|x| x == s) {
                    scopes.push(s.to_owned());
                }
            }
        }
        if let Some(Value::Array(drop)) = access_gen.and_then(|a| a.get("scopesToSuppress")) {
            scopes.retain(|s| !drop.iter().any(|d| d.as_str() == Some(s)));
        }

        let mut access = Map::new();
        let put = |m: &mut Map<String, Value>, k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        put(&mut access, "sub", json!(sub));
        if !groups.is_empty() {
            put(&mut access, "cognito:groups", json!(groups));
        }
        put(&mut access, "iss", json!(self.issuer));
        put(&mut access, "version", json!(2));
        put(&mut access, "client_id", json!(self.client_id));
        put(&mut access, "origin_jti", json!(grant.origin_jti));
        put(&mut access, "event_id", json!(event_id));
        put(&mut access, "token_use", json!("access"));
        put(&mut access, "scope", json!(scopes.join(" ")));
        put(&mut access, "auth_time", json!(grant.auth_time));
        put(&mut access, "exp", json!(now + self.token_ttl));
        put(&mut access, "iat", json!(now));
        put(&mut access, "jti", json!(random::uuid()));
        put(&mut access, "username", json!(sub));
        apply_claims(&mut access, access_gen);
        let access_token = self
            .key
            .sign(&access)
            .map_err(|e| IssueError::Signing(e.to_string()))?;

        let mut id = Map::new();
        put(&mut id, "at_hash", json!(at_hash(&access_token)));
        put(&mut id, "sub", json!(sub));
        if !groups.is_empty() {
            put(&mut id, "cognito:groups", json!(groups));
        }
        put(&mut id, "email_verified", json!(user.email_verified));
        put(&mut id, "iss", json!(self.issuer));
        put(&mut id, "cognito:username", json!(sub));
        if let Some(nonce) = &grant.nonce {
            put(&mut id, "nonce", json!(nonce));
        }
        put(&mut id, "origin_jti", json!(grant.origin_jti));
        put(&mut id, "aud", json!(self.client_id));
        put(&mut id, "event_id", json!(event_id));
        put(&mut id, "token_use", json!("id"));
        put(&mut id, "auth_time", json!(grant.auth_time));
        put(&mut id, "exp", json!(now + self.token_ttl));
        put(&mut id, "iat", json!(now));
        put(&mut id, "jti", json!(random::uuid()));
        put(&mut id, "email", json!(user.email));
        apply_claims(&mut id, details.get("idTokenGeneration"));
        let id_token = self
            .key
            .sign(&id)
            .map_err(|e| IssueError::Signing(e.to_string()))?;

        Ok(Tokens {
            id_token,
            access_token,
            refresh_token: None,
            token_type: "Bearer",
            expires_in: self.token_ttl,
        })
    }
}

fn apply_claims(claims: &mut Map<String, Value>, generation: Option<&Value>) {
    let Some(generation) = generation else { return };
    if let Some(Value::Object(add)) = generation.get("claimsToAddOrOverride") {
        for (k, v) in add {
            if pre_token_gen::is_protected_claim(k) {
                tracing::warn!(claim = %k, "trigger tried to override a protected claim; ignored");
            } else {
                claims.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(Value::Array(drop)) = generation.get("claimsToSuppress") {
        for k in drop.iter().filter_map(Value::as_str) {
            if !pre_token_gen::is_protected_claim(k) {
                claims.remove(k);
            }
        }
    }
}

/// OpenID Connect `at_hash`: base64url of the left half of SHA-256 of the access token.
#[must_use]
pub fn at_hash(access_token: &str) -> String {
    let d = digest(&SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&d.as_ref()[..16])
}
