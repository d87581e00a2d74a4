//! The API as API Gateway holds it: its account, API id and stage, its
//! routes, the handlers behind them (the authorizer, me-claims, the mock
//! bodies), CORS, and the two result caches. The REST and HTTP API modes
//! ([`super::rest`], [`super::http`]) are functions over this state.
//! It uses the gateway responses beside it and `me-claims`' CORS rules.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authorizer::Authorizer;
use authorizer::policies::Route;
use axum::body::Body;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use claimsgate_core::Clock;
use me_claims::cors::Cors;
use serde_json::{Map, Value, json};

use super::cache::{CachedPolicy, HttpCache};
use super::gateway_response::{ErrorCors, GatewayResponse};

/// The mock integration bodies, shared with serverless.yml.
pub const MOCKS: &str = include_str!("../../openapi/mocks.json");

pub(super) const REGION: &str = "us-east-1";
pub(super) const ACCOUNT: &str = "123456789012";
pub(super) const API_ID: &str = "local";
pub(super) const STAGE: &str = "prod";

/// How the stand-in calls the authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizerKind {
    /// REST `TOKEN` events (what serverless.yml deploys).
    Token,
    /// REST `REQUEST` events.
    Request,
    /// An HTTP API (`serve --api http`): payload 2.0 events on the `$default`
    /// stage, simple responses, the HTTP API's answers.
    Http,
}

/// The API's state.
pub struct ApiGateway {
    pub(super) authorizer: Arc<Authorizer>,
    pub(super) me_claims: Arc<me_claims::App>,
    pub(super) kind: AuthorizerKind,
    pub(super) cache_ttl: Duration,
    pub(super) cache: Mutex<HashMap<String, CachedPolicy>>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) mocks: HashMap<String, String>,
    pub(super) http_cache: HttpCache,
    pub(super) cors: Cors,
    pub(super) error_cors: ErrorCors,
}

impl std::fmt::Debug for ApiGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiGateway").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl ApiGateway {
    /// An API over these handlers.
    ///
    /// # Errors
    /// When the mock bodies file is not a JSON object of strings.
    pub fn new(
        authorizer: Arc<Authorizer>,
        me_claims: Arc<me_claims::App>,
        kind: AuthorizerKind,
        cache_ttl: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        let mocks: HashMap<String, String> =
            serde_json::from_str(MOCKS).map_err(|e| format!("openapi/mocks.json: {e}"))?;
        Ok(Self {
            authorizer,
            me_claims,
            kind,
            cache_ttl,
            cache: Mutex::new(HashMap::new()),
            clock,
            mocks,
            http_cache: HttpCache::default(),
            cors: Cors::default(),
            error_cors: ErrorCors::Off,
        })
    }

    /// Answers CORS for `origins` (`*` for any; empty: off), as the deployed
    /// API does with `corsAllowOrigins` (me-claims gets the same list).
    ///
    /// # Errors
    /// An entry that is neither `*` nor an origin.
    pub fn with_cors(mut self, origins: &[String]) -> Result<Self, String> {
        self.cors = Cors::parse(Some(&origins.join(",")))
            .map_err(|e| format!("--cors-allow-origins: {}", e.problem))?;
        self.error_cors = ErrorCors::for_origins(origins);
        Ok(self)
    }
}

impl ApiGateway {
    /// Calls the me-claims handler with a proxy event (REST or HTTP API) and returns its response.
    pub(super) async fn call_me_claims(&self, event: &Value) -> Response {
        let request = match lambda_http::request::from_str(&event.to_string()) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "could not build the proxy event");
                return GatewayResponse::InternalError.response();
            }
        };
        match self.me_claims.handle(request).await {
            Ok(r) => from_lambda(r),
            Err(never) => match never {},
        }
    }
}

/// The stand-in's response to a response of a Lambda handler.
pub(super) fn from_lambda(response: lambda_http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = response.into_parts();
    let bytes: Vec<u8> = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    Response::from_parts(parts, Body::from(bytes))
}

/// The request's headers as API Gateway passes them on: `Host` and
/// `X-Forwarded-*` are its own, never the client's (a client's bad value would
/// otherwise break the event).
pub(super) fn gateway_headers(headers: &HeaderMap) -> Map<String, Value> {
    const OWN: [&str; 3] = ["host", "x-forwarded-proto", "x-forwarded-port"];
    let mut flat: Map<String, Value> = headers
        .iter()
        .filter(|(k, _)| !OWN.contains(&k.as_str()))
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), json!(v.to_str().ok()?))))
        .collect();
    flat.insert("host".into(), json!(format!("{API_ID}.execute-api.{REGION}.amazonaws.com")));
    flat.insert("x-forwarded-proto".into(), json!("https"));
    flat.insert("x-forwarded-port".into(), json!("443"));
    flat
}

/// What the integration behind a route answers, as serverless.yml deploys it.
pub(super) enum Integration {
    /// `GET /me/claims`: the me-claims handler, with a proxy event.
    MeClaims,
    /// `GET /dogs`, `GET /cats`: a mock body of `openapi/mocks.json`.
    Mock(String),
    /// Any other route of the store: 200 with the route and its path parameters.
    Echo(Value),
}

impl ApiGateway {
    /// The store's route API Gateway sends `method` on `path` to; `None` when none matches.
    pub(super) fn route(&self, method: &Method, path: &str) -> Option<&Route> {
        let routes = &self.authorizer.store().routes;
        routes.select(method.as_str(), path).map(|i| &routes.all()[i])
    }

    /// True when a route of the store has `path` (whatever its method): CORS preflights are answered there.
    pub(super) fn has_path(&self, path: &str) -> bool {
        self.authorizer.store().routes.all().iter().any(|r| r.parameters(path).is_some())
    }

    /// The integration of `route`, called on `path`.
    pub(super) fn integration(&self, route: &Route, path: &str) -> Integration {
        let get = route.method() == "get";
        if get && route.path() == "/me/claims" {
            return Integration::MeClaims;
        }
        if let Some(body) = self.mocks.get(route.path().trim_start_matches('/')).filter(|_| get) {
            return Integration::Mock(body.clone());
        }
        let parameters: Map<String, Value> = route
            .parameters(path)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), json!(value)))
            .collect();
        Integration::Echo(json!({"route": route.to_string(), "pathParameters": parameters}))
    }
}
