//! Token issuance: Cognito's claim set, passed through the Pre Token Generation trigger.
//!
//! It uses `cognito::keys`, `cognito::trigger`, `cognito::users`, `support::random`; it is used by
//! `cognito::pool`, `cognito::token`, `stack`.

use std::sync::Arc;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::Clock;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::keys::KeySet;
use super::trigger::{Changes, EventInput, Subject, Trigger, TriggerVersion, event, read_answer};
use super::users::User;
use crate::support::random;

/// Why tokens could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The Pre Token Generation trigger failed or answered what Cognito refuses (Cognito fails the sign-in).
    #[error("PreTokenGeneration failed: {0}")]
    Trigger(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
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

/// The answer to a client-credentials grant: an access token only.
#[derive(Debug, Clone, Serialize)]
pub struct MachineTokens {
    /// The access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
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

/// What one client-credentials issuance is for.
#[derive(Debug, Clone)]
pub struct MachineGrant<'a> {
    /// The machine client.
    pub client_id: &'a str,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// `aws_client_metadata` of the request, passed to a V3 trigger.
    pub metadata: Map<String, Value>,
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

/// Mints Cognito-shaped tokens with the pool's current key.
#[derive(Debug)]
pub struct TokenIssuer {
    /// The signing keys (published at the pool's JWKS URI).
    pub keys: Arc<KeySet>,
    /// `iss`.
    pub issuer: String,
    /// The pool id.
    pub pool_id: String,
    /// The app client id of users' tokens.
    pub client_id: String,
    /// ID and access token lifetime, in seconds.
    pub token_ttl: u64,
    /// The Pre Token Generation trigger.
    pub trigger: Arc<dyn Trigger>,
    /// The event version it is sent.
    pub version: TriggerVersion,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl TokenIssuer {
    /// Issues an ID and an access token (no refresh token: the caller adds one).
    ///
    /// # Errors
    /// When the trigger fails or answers what Cognito refuses, or signing fails.
    pub async fn issue(&self, grant: &Grant<'_>) -> Result<Tokens, IssueError> {
        let user = grant.user;
        let now = self.clock.now_secs();
        let event_id = random::uuid();
        let sub = user.sub();
        let attributes = user.attributes();
        let input = EventInput {
            version: self.version,
            source: grant.source.trigger_source(),
            pool_id: &self.pool_id,
            client_id: &self.client_id,
            user_name: &sub,
            scopes: &grant.scopes,
            subject: Subject::User { attributes: &attributes, groups: &user.groups },
        };
        let changes = self.run_trigger(&input, false).await?;
        let groups = changes.groups.as_ref().unwrap_or(&user.groups);
        let scopes = changes.scopes(&grant.scopes);

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
        changes.access.apply(&mut access);
        let access_token = self.sign(&access)?;

        let mut id = Map::new();
        put(&mut id, "at_hash", json!(at_hash(&access_token)));
        put(&mut id, "sub", json!(sub));
        if !groups.is_empty() {
            put(&mut id, "cognito:groups", json!(groups));
        }
        if !changes.roles.is_empty() {
            put(&mut id, "cognito:roles", json!(changes.roles));
        }
        if let Some(role) = &changes.preferred_role {
            put(&mut id, "cognito:preferred_role", json!(role));
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
        // The user's other attributes (`custom:role`, `name`, …), as Cognito puts the readable ones in the ID token.
        for (name, value) in &attributes {
            if !name.starts_with("cognito:") && !id.contains_key(name) {
                id.insert(name.clone(), value.clone());
            }
        }
        changes.id.apply(&mut id);
        let id_token = self.sign(&id)?;

        Ok(Tokens {
            id_token,
            access_token,
            refresh_token: None,
            token_type: "Bearer",
            expires_in: self.token_ttl,
        })
    }

    /// Issues the access token of a client-credentials grant: `sub` and
    /// `client_id` are the client's, no user. Only a V3 trigger is invoked, as in Cognito.
    ///
    /// # Errors
    /// When the trigger fails or answers what Cognito refuses, or signing fails.
    pub async fn issue_machine(
        &self,
        grant: &MachineGrant<'_>,
    ) -> Result<MachineTokens, IssueError> {
        let now = self.clock.now_secs();
        let changes = if self.version == TriggerVersion::V3 {
            let input = EventInput {
                version: self.version,
                source: pre_token_gen::CLIENT_CREDENTIALS,
                pool_id: &self.pool_id,
                client_id: grant.client_id,
                user_name: "ClientCredentials",
                scopes: &grant.scopes,
                subject: Subject::Client { metadata: &grant.metadata },
            };
            self.run_trigger(&input, true).await?
        } else {
            Changes::default()
        };
        let scopes = changes.scopes(&grant.scopes);
        let mut access = json!({
            "sub": grant.client_id,
            "token_use": "access",
            "scope": scopes.join(" "),
            "auth_time": now,
            "iss": self.issuer,
            "exp": now + self.token_ttl,
            "iat": now,
            "version": 2,
            "jti": random::uuid(),
            "client_id": grant.client_id,
        });
        if let Value::Object(claims) = &mut access {
            changes.access.apply(claims);
        }
        Ok(MachineTokens {
            access_token: self.sign(&access)?,
            token_type: "Bearer",
            expires_in: self.token_ttl,
        })
    }

    async fn run_trigger(
        &self,
        input: &EventInput<'_>,
        machine: bool,
    ) -> Result<Changes, IssueError> {
        let answer = self.trigger.invoke(event(input)).await.map_err(IssueError::Trigger)?;
        read_answer(self.version, machine, &answer).map_err(|why| {
            tracing::error!(reason = %why, "the trigger's answer was refused");
            IssueError::Trigger(why)
        })
    }

    fn sign<T: Serialize>(&self, claims: &T) -> Result<String, IssueError> {
        self.keys.current().sign(claims).map_err(|e| IssueError::Signing(e.to_string()))
    }
}

/// OpenID Connect `at_hash`: base64url of the left half of SHA-256 of the access token.
#[must_use]
pub fn at_hash(access_token: &str) -> String {
    let d = digest(&SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&d.as_ref()[..16])
}
