//! # authorizer
//!
//! The API Gateway Lambda authorizer of claimsgate: it verifies the bearer
//! token and allows the routes of the route table (`ROUTE_RULES`) that the
//! token's `pet_preference` earns.
//!
//! - REST `TOKEN` and `REQUEST` events get an IAM policy whose Allow lists
//!   every route this principal may call (and whose Deny lists the others),
//!   so the policy API Gateway caches per token is right for every route.
//! - HTTP API payload 2.0 events get the simple response `{isAuthorized, context}`.
//! - A missing, malformed or invalid token is the error `Unauthorized` (401).
//!
//! [`Authorizer::decide`] is the whole handler over a parsed event, and its
//! [`Decision`] serializes to the response. `main.rs` only wires it to the
//! Lambda runtime; [`Authorizer::handle`] wraps it for JSON values (the local
//! stack and the tests).

pub mod arn;
pub mod event;
mod lenient;
pub mod response;

use std::sync::Arc;

use claimsgate_core::rules::routes::{RouteTable, allowed_routes};
use claimsgate_core::{ConfigError, FetchError, Verifier, VerifierConfig};
use serde::Deserialize as _;
use serde_json::Value;

use crate::arn::MethodArn;
use crate::event::{AuthorizerEvent, Call, EventKind};
use crate::response::{Decision, PolicyMemo};

/// Why the authorizer gives no policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No usable token: missing, malformed, invalid, expired, or its keys
    /// unavailable. The message is exactly `Unauthorized`, which API Gateway
    /// turns into a 401.
    #[error("Unauthorized")]
    Unauthorized,
    /// The event is not an authorizer event this function understands (a
    /// deployment mistake). API Gateway answers 500; nothing is allowed.
    #[error("unsupported authorizer event: {0}")]
    UnsupportedEvent(&'static str),
}

impl AuthError {
    /// True for the 401 case.
    #[must_use]
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Unauthorized)
    }
}

impl From<AuthError> for lambda_runtime::Diagnostic {
    fn from(error: AuthError) -> Self {
        let error_type = match error {
            AuthError::Unauthorized => "Unauthorized",
            AuthError::UnsupportedEvent(_) => "UnsupportedEvent",
        };
        Self {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Why the authorizer cannot start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A configuration variable is missing or malformed; the message names it.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTPS client for JWKS fetches cannot be built.
    #[error("cannot build the JWKS HTTP client: {0}")]
    Client(#[from] FetchError),
}

/// The authorizer: a verifier and a route table, both fixed at cold start.
#[derive(Debug)]
pub struct Authorizer {
    verifier: Verifier,
    routes: RouteTable,
    policies: PolicyMemo,
}

impl Authorizer {
    /// An authorizer over a verifier and a route table.
    #[must_use]
    pub fn new(verifier: Verifier, routes: RouteTable) -> Self {
        Self {
            verifier,
            routes,
            policies: PolicyMemo::default(),
        }
    }

    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    /// The first variable that is missing or malformed, or a client that cannot be built.
    pub fn from_env() -> Result<Self, InitError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (a variable name to its value).
    ///
    /// # Errors
    /// As [`Authorizer::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, InitError> {
        let config = VerifierConfig::from_lookup(&lookup)?;
        let routes = RouteTable::from_env_value(
            lookup(claimsgate_core::rules::routes::ROUTE_RULES_VAR).as_deref(),
        )?;
        Ok(Self::new(Verifier::from_config(&config)?, routes))
    }

    /// The verifier (to `hydrate()` at cold start).
    #[must_use]
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The route table.
    #[must_use]
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// Handles one authorizer event and returns API Gateway's expected response.
    ///
    /// # Errors
    /// [`AuthError::Unauthorized`] for a missing or invalid token,
    /// [`AuthError::UnsupportedEvent`] for an event of another shape.
    pub async fn handle(&self, event: Value) -> Result<Value, AuthError> {
        let event = AuthorizerEvent::deserialize(&event).map_err(|_| {
            tracing::error!(reason = "not a JSON object", "unsupported authorizer event");
            AuthError::UnsupportedEvent("the event is not a JSON object")
        })?;
        let decision = self.decide(&event).await?;
        // Serializing a decision cannot fail; if it ever did, fail closed.
        serde_json::to_value(&decision).map_err(|_| AuthError::Unauthorized)
    }

    /// Decides on a parsed event; the [`Decision`] serializes to the response.
    /// This is what the Lambda runs (`main.rs`), without a JSON tree in between.
    ///
    /// # Errors
    /// As [`Authorizer::handle`].
    pub async fn decide(&self, event: &AuthorizerEvent) -> Result<Decision, AuthError> {
        let call = event.call().map_err(|why| {
            tracing::error!(reason = why, "unsupported authorizer event");
            AuthError::UnsupportedEvent(why)
        })?;
        let kind = call.kind.as_str();
        let token = self.verify(&call).await?;
        let claims = &token.claims;
        let Some(sub) = claims.sub().filter(|s| !s.is_empty()) else {
            tracing::warn!(event_type = kind, code = "missing_sub", "token has no sub");
            return Err(AuthError::Unauthorized);
        };

        let arn = MethodArn::parse(call.arn)
            .map_err(|why| {
                tracing::error!(
                    event_type = kind,
                    sub,
                    reason = why,
                    "unreadable route ARN; denying all"
                );
            })
            .ok();
        let allowed = allowed_routes(claims, &self.routes);
        let decision = match call.kind {
            EventKind::HttpV2 => {
                // Same answer as `rules::routes::is_allowed`: a listed route that the pet admits.
                let called = arn
                    .as_ref()
                    .is_some_and(|a| allowed.iter().any(|r| r.is(a.method(), a.path())));
                Decision::simple(Arc::clone(&token), called)
            }
            EventKind::RestToken | EventKind::RestRequest => Decision::rest(
                call.kind,
                Arc::clone(&token),
                arn.as_ref(),
                &self.routes,
                &allowed,
                &self.policies,
            ),
        };
        tracing::info!(
            event_type = kind,
            sub,
            kid = &*token.header.kid,
            pet = claims.pet_preference(),
            method = arn.as_ref().map(MethodArn::method),
            path = arn.as_ref().map(MethodArn::path),
            decision = if decision.allows_called_route() {
                "allow"
            } else {
                "deny"
            },
            allowed_routes = allowed.len(),
            "authorized"
        );
        Ok(decision)
    }

    async fn verify(
        &self,
        call: &Call<'_>,
    ) -> Result<Arc<claimsgate_core::VerifiedToken>, AuthError> {
        let kind = call.kind.as_str();
        let token = call.token.map_err(|why| {
            tracing::info!(
                event_type = kind,
                code = "no_bearer_token",
                reason = why,
                "unauthorized"
            );
            AuthError::Unauthorized
        })?;
        self.verifier.verify(token).await.map_err(|e| {
            if e.is_server_side() {
                tracing::error!(event_type = kind, code = e.code(), error = %e, "cannot verify tokens; unauthorized");
            } else {
                tracing::info!(event_type = kind, code = e.code(), error = %e, "unauthorized");
            }
            AuthError::Unauthorized
        })
    }
}
