//! # authorizer
//!
//! The API Gateway Lambda authorizer of claimsgate: it verifies the bearer
//! token, then asks Cedar, on the policy store (`POLICY_STORE`, by default
//! the shipped `policies/`), which of the API's routes the token's principal
//! may call: the same policy files Amazon Verified Permissions evaluates,
//! in-process.
//!
//! - REST `TOKEN` and `REQUEST` events get an IAM policy that allows every
//!   route Cedar allows this principal and denies the others (see
//!   [`policies::iam`]), so the policy API Gateway caches per token is right
//!   for every route.
//! - HTTP API payload 2.0 events get the simple response `{isAuthorized, context}`.
//! - A missing, malformed or invalid token is the error `Unauthorized` (401).
//!
//! [`Authorizer::handle`] is the whole handler; `main.rs` only wires it to the
//! Lambda runtime, and the local stack calls it directly. It uses
//! `claimsgate-core` and [`policies`]; `event`, `arn` and `response` read the
//! event and write the answer.

pub mod arn;
pub mod event;
pub mod policies;
pub mod response;

use std::time::Duration;

use std::path::Path;

use claimsgate_core::metrics;
use claimsgate_core::{ConfigError, Report, Verifier, VerifierConfig};

use crate::arn::MethodArn;
use crate::event::{AuthorizerEvent, EventKind};
use crate::policies::{Decisions, Source, Store};
use crate::response::{Answer, Context, PolicyDocument, PolicyResponse, SimpleResponse};

/// The variable naming the policy store's folder.
pub const POLICY_STORE_VAR: &str = "POLICY_STORE";

/// The route table's variable before policy stores; set, it stops the authorizer with what to write instead.
pub const RETIRED_ROUTE_RULES_VAR: &str = "ROUTE_RULES";

/// The policy store `lookup` names: the folder in `POLICY_STORE`, else the shipped one.
///
/// # Errors
/// A store that does not load, parse or validate (naming the file and line),
/// or `ROUTE_RULES` set (it is retired).
pub fn store_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Store, ConfigError> {
    if lookup(RETIRED_ROUTE_RULES_VAR).is_some_and(|v| !v.trim().is_empty()) {
        return Err(ConfigError::new(
            RETIRED_ROUTE_RULES_VAR,
            "is retired: the routes and who may call them are a Cedar policy store now \
             (POLICY_STORE, by default the shipped policies/). Write `GET /dogs=dogs` as \
             `permit (principal, action == Claimsgate::Action::\"get /dogs\", resource) when { principal has pet_preference && principal.pet_preference == \"dogs\" };` \
             (README, \"Authorization policies\"), then unset ROUTE_RULES",
        ));
    }
    let folder = lookup(POLICY_STORE_VAR).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let source = match &folder {
        Some(folder) => Source::read(Path::new(folder)),
        None => Ok(Source::shipped()),
    };
    let store = source
        .and_then(Store::load)
        .map_err(|e| ConfigError::new(POLICY_STORE_VAR, e.to_string()))?;
    store.log_warnings();
    Ok(store)
}

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

/// The authorizer: a verifier and a policy store, both fixed at cold start.
#[derive(Debug)]
pub struct Authorizer {
    verifier: Verifier,
    store: Store,
}

impl Authorizer {
    /// An authorizer over a verifier and a policy store.
    #[must_use]
    pub fn new(verifier: Verifier, store: Store) -> Self {
        Self { verifier, store }
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
        let store = store_from_lookup(&lookup)?;
        Ok(Self::new(Verifier::from_config(&config), store))
    }

    /// The verifier (to `hydrate()` at cold start).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The policy store.
    pub fn store(&self) -> &Store {
        &self.store
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

        let decisions = self.store.decide(&verified);
        let route = outcome.arn.and_then(|a| self.store.routes.select(a.method(), a.path()));
        let called = route.is_some_and(|r| decisions.allowed(r));
        let context = Context::of(&verified, &decisions.groups);
        let answer = match call.kind {
            EventKind::HttpV2 => Answer::Simple(SimpleResponse { is_authorized: called, context }),
            EventKind::RestToken | EventKind::RestRequest => Answer::Policy(PolicyResponse {
                principal_id: sub.to_owned(),
                policy_document: self.policy(outcome.arn, &decisions, route.is_some()),
                context,
            }),
        };
        outcome.token = Some((sub, &verified.header.kid, claims.pet_preference()));
        outcome.route = route.map(|r| self.store.routes.all()[r].id());
        let deciding: Vec<String> = route
            .map(|r| decisions.deciding(r).iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        outcome.policies = deciding.join(",");
        match (called, route) {
            (true, _) => outcome.record("allow", None, "", false),
            (false, None) => outcome.record("deny", Some("route_not_in_store"), "", false),
            (false, Some(_)) => outcome.record("deny", Some("route_not_allowed"), "", false),
        }
        Ok(answer)
    }

    /// Allow the routes Cedar allows; Deny the others where that is safe (see
    /// [`policies::iam`]), and the called route when the store lacks it; all
    /// on the ARN's API and stage. Without a readable ARN the policy denies everything.
    fn policy(
        &self,
        arn: Option<&MethodArn<'_>>,
        decisions: &Decisions<'_>,
        known: bool,
    ) -> PolicyDocument {
        let Some(arn) = arn else {
            return PolicyDocument::new(Vec::new(), vec!["*".to_owned()]);
        };
        let patterns = self.store.patterns(&decisions.all());
        for &route in &patterns.conflicts {
            tracing::warn!(
                route = self.store.routes.all()[route].id(),
                "this route's pattern also matches requests of a route the principal may call; denied both ways until the cached policy expires"
            );
        }
        let on_arn = |glob: &String| format!("{}{glob}", arn.prefix());
        let allow = patterns.allow.iter().map(on_arn).collect();
        let mut deny: Vec<String> = patterns.deny.iter().map(on_arn).collect();
        if !known {
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
    /// The store's route the call is for.
    route: Option<&'a str>,
    /// The ids of the policies that decided it, comma-separated.
    policies: String,
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
                    route = self.route,
                    policies = (!self.policies.is_empty()).then_some(self.policies.as_str()),
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
