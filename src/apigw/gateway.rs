//! The API as API Gateway holds it: its account, API id and stage, its
//! routes, the handlers behind them (the authorizer, me-claims, the mock
//! bodies), CORS, and the two result caches. The REST and HTTP API modes
//! ([`super::rest`], [`super::http`]) are functions over this state.
//! It uses the gateway responses beside it and `me-claims`' CORS rules.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use authorizer::policies::{Route, Routes};
use axum::body::Body;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use claimsgate_core::Clock;
use claimsgate_core::fetch::BoxFuture;
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

/// The error message of an authorizer that refuses the token: API Gateway's 401.
pub(super) const UNAUTHORIZED: &str = "Unauthorized";

/// Whatever answers the API's authorizer events, invoked as API Gateway invokes
/// a Lambda authorizer: the event as JSON in, the answer as JSON out, or the
/// invocation's error message (`Unauthorized` is a 401, any other a 500). The
/// real handler, or a test's stand-in for one that fails.
pub trait AuthorizerFunction: Send + Sync + std::fmt::Debug {
    /// Answers one event, as the Lambda would.
    fn invoke(&self, event: Value) -> BoxFuture<'_, Result<Value, String>>;
}

/// The real `authorizer` handler, its event read and its answer written as the Lambda runtime does.
#[derive(Debug)]
pub struct LambdaAuthorizer(pub Arc<Authorizer>);

impl AuthorizerFunction for LambdaAuthorizer {
    fn invoke(&self, event: Value) -> BoxFuture<'_, Result<Value, String>> {
        Box::pin(async move {
            let event: AuthorizerEvent =
                serde_json::from_value(event).map_err(|e| e.to_string())?;
            let answer = self.0.handle(event).await.map_err(|e| e.to_string())?;
            serde_json::to_value(answer).map_err(|e| e.to_string())
        })
    }
}

/// The API's state.
pub struct ApiGateway {
    /// The API's routes: the actions of the authorizer's policy store.
    pub(super) routes: Routes,
    pub(super) authorizer: Arc<dyn AuthorizerFunction>,
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
    /// An API of these routes over these handlers.
    ///
    /// # Errors
    /// When the mock bodies file is not a JSON object of strings.
    pub fn new(
        (routes, authorizer): (Routes, Arc<dyn AuthorizerFunction>),
        me_claims: Arc<me_claims::App>,
        kind: AuthorizerKind,
        cache_ttl: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        let mocks: HashMap<String, String> =
            serde_json::from_str(MOCKS).map_err(|e| format!("openapi/mocks.json: {e}"))?;
        Ok(Self {
            routes,
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

/// Headers API Gateway sets itself, never the client's (a client's bad value
/// would otherwise break the event).
const OWN_HEADERS: [&str; 3] = ["host", "x-forwarded-proto", "x-forwarded-port"];

/// How an event's `headers` holds a header the request repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Repeated {
    /// REST events: the last value (all of them are in `multiValueHeaders`).
    Last,
    /// HTTP API payload 2.0: the values joined with commas.
    Joined,
}

/// The request's headers as API Gateway passes them on, `Host` and
/// `X-Forwarded-*` its own.
pub(super) fn gateway_headers(headers: &HeaderMap, repeated: Repeated) -> Map<String, Value> {
    let mut flat = Map::new();
    for (name, value) in headers.iter().filter(|(k, _)| !OWN_HEADERS.contains(&k.as_str())) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        let value = match flat.get(name.as_str()).and_then(Value::as_str) {
            Some(before) if repeated == Repeated::Joined => format!("{before},{value}"),
            _ => value.to_owned(),
        };
        flat.insert(name.as_str().to_owned(), json!(value));
    }
    flat.insert("host".into(), json!(format!("{API_ID}.execute-api.{REGION}.amazonaws.com")));
    flat.insert("x-forwarded-proto".into(), json!("https"));
    flat.insert("x-forwarded-port".into(), json!("443"));
    flat
}

/// Every value of each header, as a REST event's `multiValueHeaders` holds them.
pub(super) fn gateway_multi_value_headers(headers: &HeaderMap) -> Map<String, Value> {
    let last = gateway_headers(headers, Repeated::Last);
    last.into_iter()
        .map(|(name, last)| {
            let all: Vec<Value> = if OWN_HEADERS.contains(&name.as_str()) {
                Vec::new()
            } else {
                headers
                    .get_all(name.as_str())
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .map(|v| json!(v))
                    .collect()
            };
            (name, if all.is_empty() { json!([last]) } else { Value::Array(all) })
        })
        .collect()
}

/// The `Authorization` identity source as API Gateway reads it: every header of
/// that name, joined with commas (two headers are one value that is no bearer
/// credential); `None` when there is none, or it is blank or not text, which
/// API Gateway answers itself.
pub(super) fn identity_source(headers: &HeaderMap) -> Option<String> {
    let values = headers.get_all(AUTHORIZATION).iter().map(|v| v.to_str().ok());
    let joined = values.collect::<Option<Vec<&str>>>()?.join(",");
    (!joined.trim().is_empty()).then_some(joined)
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
        let routes = &self.routes;
        routes.select(method.as_str(), path).map(|i| &routes.all()[i])
    }

    /// True when a route of the store has `path` (whatever its method): CORS preflights are answered there.
    pub(super) fn has_path(&self, path: &str) -> bool {
        self.routes.all().iter().any(|r| r.parameters(path).is_some())
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
        let parameters = path_parameters(route, path);
        Integration::Echo(json!({"route": route.to_string(), "pathParameters": parameters}))
    }
}

/// The path parameters of `path` on `route`, as an event's `pathParameters` holds them.
pub(super) fn path_parameters(route: &Route, path: &str) -> Map<String, Value> {
    route
        .parameters(path)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), json!(value)))
        .collect()
}
