//! # me-claims
//!
//! `GET /me/claims`: verifies the bearer token itself (defense in depth: it may
//! run without the authorizer in front) and echoes the verified header and
//! claims as JSON. Errors are RFC 9457 problem details with RFC 6750 bearer
//! challenges; every response carries `Cache-Control: no-store`.
//!
//! The handler takes a `lambda_http::Request`, so it serves REST API (v1) and
//! HTTP API (v2) proxy events and Lambda function URLs alike; the local stack
//! calls [`App::handle`] with a request parsed from a REST proxy event.

pub mod cors;
pub mod problem;
pub mod route;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;

use claimsgate_core::bearer::{BearerError, from_headers};
use claimsgate_core::metrics;
use claimsgate_core::{
    Claims, ConfigError, Report, TokenHeader, TokenUse, VerifiedToken, Verifier, VerifierConfig,
};
use lambda_http::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use lambda_http::http::{HeaderValue, Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::Value;

use crate::cors::{CORS_ALLOW_ORIGINS, Cors};
use crate::problem::Problem;

/// The `me-claims` function: a verifier and the CORS settings, built once per cold start.
#[derive(Debug)]
pub struct App {
    verifier: Verifier,
    cors: Cors,
}

/// The 200 body.
#[derive(Serialize)]
struct ClaimsBody<'a> {
    token_use: TokenUse,
    header: &'a TokenHeader,
    claims: &'a Claims,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer: Option<BTreeMap<&'a str, &'a Value>>,
}

impl App {
    /// An app over `verifier`, answering CORS for `cors_allow_origins` (`*` for any; empty: CORS off).
    #[must_use]
    pub fn new(verifier: Verifier, cors_allow_origins: Vec<String>) -> Self {
        Self { verifier, cors: Cors::new(cors_allow_origins) }
    }

    /// Reads the configuration from the process environment and builds the app.
    ///
    /// # Errors
    /// The first variable that is missing or malformed (the message names it).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`App::from_env`], reading variables through `lookup`.
    ///
    /// # Errors
    /// As [`App::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let config = VerifierConfig::from_lookup(&lookup)?;
        let cors = Cors::parse(lookup(CORS_ALLOW_ORIGINS).as_deref())?;
        let verifier = Verifier::from_config(&config);
        Ok(Self { verifier, cors })
    }

    /// The verifier (for `hydrate()` at cold start).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Answers one request. Every outcome, error or not, is a response.
    ///
    /// # Errors
    /// Never; the error type only fits `lambda_http::run`.
    pub async fn handle(&self, request: Request) -> Result<Response<Body>, Infallible> {
        let mut response = self.respond(&request).await;
        self.cors.decorate(request.headers(), &mut response);
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(response)
    }

    async fn respond(&self, request: &Request) -> Response<Body> {
        if *request.method() == Method::OPTIONS
            && self.cors.is_enabled()
            && route::is_me_claims(request)
        {
            return self.cors.preflight(request.headers());
        }
        let (result, report) = self.decide(request).await;
        let report = report.as_ref();
        let (status, code, token) = match &result {
            Ok(verified) => (StatusCode::OK, None, Some(verified)),
            Err(problem) => (problem.status(), Some(problem.code()), None),
        };
        let server_side = status == StatusCode::SERVICE_UNAVAILABLE;
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    status = status.as_u16(),
                    code,
                    sub = token.and_then(|t| t.claims.sub()),
                    kid = token.map(|t| t.header.kid.as_str()),
                    token_use = token.map(|t| t.token_use.as_str()),
                    verify_us =
                        report.map(|r| u64::try_from(r.elapsed.as_micros()).unwrap_or(u64::MAX)),
                    cache_hit = report.map(|r| r.cache_hit),
                    jwks_age_s = report.and_then(|r| r.jwks_age).map(|a| a.as_secs()),
                    "decision"
                )
            };
        }
        if server_side {
            line!(error);
        } else {
            line!(info);
        }
        metrics::decision(code, report);
        match result {
            Ok(verified) => self.claims_response(&verified, request.request_context_ref()),
            Err(problem) => problem.into_response(),
        }
    }

    /// The verified token of a `GET /me/claims`, or the problem to answer;
    /// and what the verification cost, when one ran.
    async fn decide(
        &self,
        request: &Request,
    ) -> (Result<Arc<VerifiedToken>, Problem>, Option<Report>) {
        if !route::is_me_claims(request) {
            return (Err(Problem::not_found()), None);
        }
        if *request.method() != Method::GET {
            let allow = if self.cors.is_enabled() { "GET, OPTIONS" } else { "GET" };
            return (Err(Problem::method_not_allowed(allow)), None);
        }
        let authorization = request.headers().get_all(AUTHORIZATION).iter();
        let token = match from_headers(authorization.map(|v| v.as_bytes())) {
            Ok(token) => token,
            Err(BearerError::Missing) => return (Err(Problem::missing_token()), None),
            Err(BearerError::Malformed(reason)) => {
                return (Err(Problem::invalid_request(reason)), None);
            }
        };
        let (verified, report) = self.verifier.verify_reported(token).await;
        let verified = verified.map_err(|error| {
            if error.is_server_side() {
                Problem::jwks_unavailable(&error, self.verifier.retry_after())
            } else {
                Problem::invalid_token(&error)
            }
        });
        (verified, Some(report))
    }

    fn claims_response(
        &self,
        verified: &Arc<VerifiedToken>,
        context: Option<&RequestContext>,
    ) -> Response<Body> {
        let now = self.verifier.clock().now_secs();
        let body = ClaimsBody {
            token_use: verified.token_use,
            header: &verified.header,
            claims: &verified.claims,
            expires_in: verified.exp().saturating_sub(now),
            authorizer: context.and_then(authorizer_context),
        };
        match serde_json::to_string(&body) {
            Ok(json) => {
                let mut response = Response::new(Body::Text(json));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                response
            }
            Err(error) => {
                // Claims came from JSON, so this cannot happen; if it does, say so rather than send half a body.
                tracing::error!(%error, "cannot serialize the claims");
                let mut response = Response::new(Body::Empty);
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response
            }
        }
    }
}

/// What the authorizer in front passed on (REST `requestContext.authorizer`, HTTP API `authorizer.lambda`).
fn authorizer_context(context: &RequestContext) -> Option<BTreeMap<&str, &Value>> {
    let fields = match context {
        RequestContext::ApiGatewayV1(ctx) => &ctx.authorizer.fields,
        RequestContext::ApiGatewayV2(ctx) => &ctx.authorizer.as_ref()?.fields,
        _ => return None,
    };
    (!fields.is_empty()).then(|| fields.iter().map(|(k, v)| (k.as_str(), v)).collect())
}
