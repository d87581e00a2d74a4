//! # authorizer
//!
//! The API Gateway Lambda authorizer of claimsgate: it verifies the bearer
//! token and allows the routes of the route table (`ROUTE_RULES`) that the
//! token's `pet_preference` (or `scope`) earns.
//!
//! - REST `TOKEN` and `REQUEST` events get an IAM policy whose Allow lists
//!   every route this principal may call (and whose Deny lists the others),
//!   so the policy API Gateway caches per token is right for every route.
//! - HTTP API payload 2.0 events get the simple response `{isAuthorized, context}`.
//! - A missing, malformed or invalid token is the error `Unauthorized` (401).
//!
//! [`Authorizer::handle`] is the whole handler; `main.rs` only wires it to the
//! Lambda runtime, and the local stack calls it directly.

pub mod arn;
pub mod event;
pub mod response;

use std::time::Duration;

use claimsgate_core::metrics;
use claimsgate_core::rules::routes::{ROUTE_RULES_VAR, RouteTable, allowed_routes, is_allowed};
use claimsgate_core::{Claims, ConfigError, Report, Verifier, VerifierConfig};

use crate::arn::MethodArn;
use crate::event::{AuthorizerEvent, EventKind};
use crate::response::{Answer, Context, PolicyDocument, PolicyResponse, SimpleResponse};

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
        Self { error_type: error_type.to_owned(), error_message: error.to_string() }
    }
}

/// The authorizer: a verifier and a route table, both fixed at cold start.
#[derive(Debug)]
pub struct Authorizer {
    verifier: Verifier,
    routes: RouteTable,
}

impl Authorizer {
    /// An authorizer over a verifier and a route table.
    #[must_use]
    pub fn new(verifier: Verifier, routes: RouteTable) -> Self {
        Self { verifier, routes }
    }

    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    /// The first variable that is missing or malformed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (a variable name to its value).
    ///
    /// # Errors
    /// As [`Authorizer::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let config = VerifierConfig::from_lookup(&lookup)?;
        let routes = RouteTable::from_env_value(lookup(ROUTE_RULES_VAR).as_deref())?;
        Ok(Self::new(Verifier::from_config(&config), routes))
    }

    /// The verifier (to `hydrate()` at cold start).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The route table.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// Answers one authorizer event.
    ///
    /// # Errors
    /// [`AuthError::Unauthorized`] for a missing or invalid token,
    /// [`AuthError::UnsupportedEvent`] for an event of another shape.
    pub async fn handle(&self, event: AuthorizerEvent) -> Result<Answer, AuthError> {
        let call = event.call().map_err(|why| {
            tracing::error!(reason = why, "unsupported authorizer event");
            AuthError::UnsupportedEvent(why)
        })?;
        let arn = MethodArn::parse(call.arn);
        let mut outcome =
            Outcome { kind: Some(call.kind), arn: arn.as_ref().ok(), ..Outcome::default() };
        let token = call.token.map_err(|why| outcome.refuse("no_bearer_token", why, false))?;
        let (verified, report) = self.verifier.verify_reported(token).await;
        outcome.report = Some(report);
        let verified =
            verified.map_err(|e| outcome.refuse(e.code(), &e.to_string(), e.is_server_side()))?;
        let claims = &verified.claims;
        let Some(sub) = claims.sub().filter(|s| !s.is_empty()) else {
            return Err(outcome.refuse("missing_sub", "the token has no sub", false));
        };
        if let Err(why) = &arn {
            tracing::error!(reason = why, sub, "unreadable route ARN; denying all");
        }

        let called =
            outcome.arn.is_some_and(|a| is_allowed(claims, &self.routes, a.method(), a.path()));
        let context = Context::of(&verified);
        let answer = match call.kind {
            EventKind::HttpV2 => Answer::Simple(SimpleResponse { is_authorized: called, context }),
            EventKind::RestToken | EventKind::RestRequest => Answer::Policy(PolicyResponse {
                principal_id: sub.to_owned(),
                policy_document: self.policy(outcome.arn, claims),
                context,
            }),
        };
        outcome.token = Some((sub, &verified.header.kid, claims.pet_preference()));
        if called {
            outcome.record("allow", None, "", false);
        } else {
            outcome.record("deny", Some("route_not_allowed"), "", false);
        }
        Ok(answer)
    }

    /// Allow the routes `claims` may call; Deny the table's others, and the
    /// called route when the table lacks it; all on the ARN's API and stage.
    /// Without a readable ARN the policy denies everything.
    fn policy(&self, arn: Option<&MethodArn<'_>>, claims: &Claims) -> PolicyDocument {
        let Some(arn) = arn else {
            return PolicyDocument::new(Vec::new(), vec!["*".to_owned()]);
        };
        let allowed = allowed_routes(claims, &self.routes);
        let allow = allowed.iter().map(|r| arn.for_route(r)).collect();
        let mut deny: Vec<String> = self
            .routes
            .rules()
            .iter()
            .filter(|rule| !allowed.contains(&&rule.route))
            .map(|rule| arn.for_route(&rule.route))
            .collect();
        if self.routes.rule_for(arn.method(), arn.path()).is_none() {
            deny.push(arn.called());
        }
        PolicyDocument::new(allow, deny)
    }
}

/// One decision, as its log line and its metrics tell it.
#[derive(Default)]
struct Outcome<'a> {
    kind: Option<EventKind>,
    arn: Option<&'a MethodArn<'a>>,
    /// What the verification cost and used, once it ran.
    report: Option<Report>,
    /// `sub`, `kid` and pet of a verified token.
    token: Option<(&'a str, &'a str, Option<&'a str>)>,
}

impl Outcome<'_> {
    /// Records a 401 (an error when the fault is ours) and gives the error to answer.
    fn refuse(&self, code: &str, reason: &str, server_side: bool) -> AuthError {
        self.record("unauthorized", Some(code), reason, server_side);
        AuthError::Unauthorized
    }

    /// One log line (an error when the fault is ours) and one metrics line:
    /// `Allowed`, or `Denied` by code, and what the verification cost.
    fn record(&self, decision: &str, code: Option<&str>, reason: &str, error: bool) {
        let (sub, kid, pet) =
            self.token.map_or((None, None, None), |(s, k, p)| (Some(s), Some(k), p));
        let reason = (!reason.is_empty()).then_some(reason);
        let jwks_age_s = self.report.and_then(|r| r.jwks_age).map(|a| a.as_secs());
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    event_type = self.kind.map(EventKind::as_str),
                    sub,
                    kid,
                    pet,
                    method = self.arn.map(MethodArn::method),
                    path = self.arn.map(MethodArn::path),
                    decision,
                    code,
                    reason,
                    verify_us = self.report.map(|r| micros(r.elapsed)),
                    cache_hit = self.report.map(|r| r.cache_hit),
                    jwks_age_s,
                    "decision"
                )
            };
        }
        if error {
            line!(error);
        } else {
            line!(info);
        }
        metrics::decision(code, self.report.as_ref());
    }
}

fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}
