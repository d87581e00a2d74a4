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
use claimsgate_core::{
    Claims, InitError, TokenHeader, TokenUse, VerifiedToken, Verifier, VerifierConfig,
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
        Self {
            verifier,
            cors: Cors::new(cors_allow_origins),
        }
    }

    /// Reads the configuration from the process environment and builds the app.
    ///
    /// # Errors
    /// The first variable that is missing or malformed (the message names it),
    /// or an HTTPS client that cannot be built.
    pub fn from_env() -> Result<Self, InitError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`App::from_env`], reading variables through `lookup`.
    ///
    /// # Errors
    /// As [`App::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, InitError> {
        let config = VerifierConfig::from_lookup(&lookup)?;
        let cors = Cors::parse(lookup(CORS_ALLOW_ORIGINS).as_deref())?;
        let verifier = Verifier::from_config(&config)?;
        Ok(Self { verifier, cors })
    }

    /// The verifier (for `hydrate()` at cold start).
    #[must_use]
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
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(response)
    }

    async fn respond(&self, request: &Request) -> Response<Body> {
        if !route::is_me_claims(request) {
            tracing::info!(status = 404, code = "not_found", "no such resource");
            return Problem::not_found().into_response();
        }
        match *request.method() {
            Method::GET => {}
            Method::OPTIONS if self.cors.is_enabled() => {
                return self.cors.preflight(request.headers());
            }
            _ => {
                let allow = if self.cors.is_enabled() {
                    "GET, OPTIONS"
                } else {
                    "GET"
                };
                tracing::info!(status = 405, method = %request.method(), "method not allowed");
                return Problem::method_not_allowed(allow).into_response();
            }
        }

        let authorization = request.headers().get_all(AUTHORIZATION).iter();
        let token = match from_headers(authorization.map(|v| v.as_bytes())) {
            Ok(token) => token,
            Err(BearerError::Missing) => {
                tracing::info!(
                    status = 401,
                    code = "missing_token",
                    "no Authorization header"
                );
                return Problem::missing_token().into_response();
            }
            Err(BearerError::Malformed(reason)) => {
                tracing::info!(
                    status = 400,
                    code = "invalid_request",
                    reason,
                    "malformed Authorization header"
                );
                return Problem::invalid_request(reason).into_response();
            }
        };

        match self.verifier.verify(token).await {
            Ok(verified) => {
                tracing::info!(
                    status = 200,
                    sub = verified.claims.sub().unwrap_or_default(),
                    kid = %verified.header.kid,
                    token_use = verified.token_use.as_str(),
                    "claims returned"
                );
                self.claims_response(&verified, request.request_context_ref())
            }
            Err(error) if error.is_server_side() => {
                tracing::error!(
                    status = 503,
                    code = error.code(),
                    "cannot verify: the issuer's keys are unavailable"
                );
                Problem::jwks_unavailable(&error, self.verifier.retry_after()).into_response()
            }
            Err(error) => {
                tracing::info!(status = 401, code = error.code(), "token rejected");
                Problem::invalid_token(&error).into_response()
            }
        }
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
