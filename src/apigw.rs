//! The API Gateway stand-in: `/dogs`, `/cats` and `/me/claims` behind the real
//! authorizer, with API Gateway's answers, policy evaluation and result cache.
//! As a REST API here; as an HTTP API in [`http`].

mod http;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Request, header};
use axum::response::Response;
use claimsgate_core::Clock;
use me_claims::cors::Cors;
use serde_json::{Map, Value, json};

use crate::gateway_response::{ErrorCors, GatewayResponse};
use crate::policy::{Evaluation, evaluate};

/// The mock integration bodies, shared with serverless.yml.
pub const MOCKS: &str = include_str!("../openapi/mocks.json");

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
const API_ID: &str = "local";
const STAGE: &str = "prod";

/// The API's paths: each answers `GET` behind the authorizer and `OPTIONS`
/// (the CORS preflight) without it, as serverless.yml deploys them.
pub const ROUTES: [&str; 3] = ["/dogs", "/cats", "/me/claims"];

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

#[derive(Debug, Clone)]
struct CachedPolicy {
    /// When it was cached, by the stack's clock.
    at: Duration,
    principal_id: String,
    policy: Value,
    context: Map<String, Value>,
}

/// The API's state.
pub struct ApiGateway {
    authorizer: Arc<Authorizer>,
    me_claims: Arc<me_claims::App>,
    kind: AuthorizerKind,
    cache_ttl: Duration,
    cache: Mutex<HashMap<String, CachedPolicy>>,
    clock: Arc<dyn Clock>,
    mocks: HashMap<String, String>,
    http_cache: http::Cache,
    cors: Cors,
    error_cors: ErrorCors,
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
            http_cache: http::Cache::default(),
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

    /// The router: every path goes through the REST API's `handle`, or the HTTP API's.
    pub fn router(self: Arc<Self>) -> Router {
        match self.kind {
            AuthorizerKind::Http => http::router(self),
            AuthorizerKind::Token | AuthorizerKind::Request => {
                Router::new().fallback(handle).with_state(self)
            }
        }
    }
}

/// The stand-in's response to a response of a Lambda handler.
fn from_lambda(response: lambda_http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = response.into_parts();
    let bytes: Vec<u8> = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    Response::from_parts(parts, Body::from(bytes))
}

/// The method ARN API Gateway passes to the authorizer.
#[must_use]
pub fn method_arn(method: &str, path: &str) -> String {
    format!(
        "arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/{method}/{}",
        path.trim_start_matches('/')
    )
}

/// The request's headers as API Gateway passes them on: `Host` and
/// `X-Forwarded-*` are its own, never the client's (a client's bad value would
/// otherwise break the event).
fn gateway_headers(headers: &HeaderMap) -> Map<String, Value> {
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

/// True for the API's routes: `GET` on `/dogs`, `/cats` and `/me/claims`.
fn is_served(method: &Method, path: &str) -> bool {
    *method == Method::GET && ROUTES.contains(&path)
}

async fn handle(State(api): State<Arc<ApiGateway>>, request: Request<Body>) -> Response {
    let headers = request.headers().clone();
    let mut response = route(&api, request).await;
    api.error_cors.apply(&headers, &mut response);
    response
}

async fn route(api: &ApiGateway, request: Request<Body>) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    let known = ROUTES.contains(&path.as_str());
    if known && method == Method::OPTIONS {
        // The deployed OPTIONS methods are mock integrations without the
        // authorizer, answering what me-claims answers to a preflight.
        return from_lambda(api.cors.preflight(&headers));
    }
    if !known || method != Method::GET {
        return GatewayResponse::MissingAuthenticationToken.response();
    }
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        // API Gateway answers a missing identity source itself, without calling the authorizer.
        return GatewayResponse::Unauthorized.response();
    };
    let arn = method_arn(method.as_str(), &path);

    let cached = api.cached(token);
    let result = match cached {
        Some(hit) => hit,
        None => match api.authorize(token, &arn, &method, &path, &headers).await {
            Ok(fresh) => fresh,
            Err(response) => return response,
        },
    };
    match evaluate(&result.policy, &arn) {
        Evaluation::Allow => {}
        Evaluation::ExplicitDeny | Evaluation::ImplicitDeny => {
            return GatewayResponse::AccessDenied.response();
        }
    }
    match path.as_str() {
        "/me/claims" => api.me_claims(&headers, &result).await,
        other => {
            let name = other.trim_start_matches('/');
            match api.mocks.get(name) {
                Some(body) => {
                    let mut mock =
                        lambda_http::Response::new(lambda_http::Body::from(body.clone()));
                    mock.headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    // The deployed mock's response template adds the CORS headers me-claims adds.
                    api.cors.decorate(&headers, &mut mock);
                    from_lambda(mock)
                }
                None => GatewayResponse::InternalError.response(),
            }
        }
    }
}

impl ApiGateway {
    fn cached(&self, token: &str) -> Option<CachedPolicy> {
        if self.cache_ttl.is_zero() {
            return None;
        }
        let now = self.clock.now();
        crate::lock(&self.cache)
            .get(token)
            .filter(|c| now.saturating_sub(c.at) < self.cache_ttl)
            .cloned()
    }

    async fn authorize(
        &self,
        token: &str,
        arn: &str,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<CachedPolicy, Response> {
        let event = match self.kind {
            AuthorizerKind::Token => {
                json!({"type": "TOKEN", "authorizationToken": token, "methodArn": arn})
            }
            // An HTTP API never gets here: `http::handle` serves it.
            AuthorizerKind::Request | AuthorizerKind::Http => {
                json!({
                    "type": "REQUEST", "methodArn": arn, "resource": path, "path": path,
                    "httpMethod": method.as_str(), "headers": gateway_headers(headers),
                    "requestContext": {"accountId": ACCOUNT, "apiId": API_ID, "stage": STAGE, "httpMethod": method.as_str(), "resourcePath": path},
                })
            }
        };
        let answer = match serde_json::from_value::<AuthorizerEvent>(event) {
            Ok(event) => self.authorizer.handle(event).await.map(|a| json!(a)),
            Err(_) => Err(authorizer::AuthError::UnsupportedEvent("not a JSON object")),
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) if e.is_unauthorized() => {
                return Err(GatewayResponse::Unauthorized.response());
            }
            Err(e) => {
                tracing::error!(error = %e, "authorizer failed");
                return Err(GatewayResponse::AuthorizerFailure.response());
            }
        };
        let (Some(principal_id), Some(policy)) =
            (answer.get("principalId").and_then(Value::as_str), answer.get("policyDocument"))
        else {
            tracing::error!("authorizer answered without principalId or policyDocument");
            return Err(GatewayResponse::AuthorizerFailure.response());
        };
        let context = match answer.get("context") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let now = self.clock.now();
        let result = CachedPolicy {
            at: now,
            principal_id: principal_id.to_owned(),
            policy: policy.clone(),
            context,
        };
        if !self.cache_ttl.is_zero() {
            let mut cache = crate::lock(&self.cache);
            cache.retain(|_, c| now.saturating_sub(c.at) < self.cache_ttl);
            cache.insert(token.to_owned(), result.clone());
        }
        Ok(result)
    }

    async fn me_claims(&self, headers: &HeaderMap, auth: &CachedPolicy) -> Response {
        let flat = gateway_headers(headers);
        let multi: Map<String, Value> = flat.iter().map(|(k, v)| (k.clone(), json!([v]))).collect();
        let mut authorizer = auth.context.clone();
        authorizer.insert("principalId".into(), json!(auth.principal_id));
        let event = json!({
            "resource": "/me/claims",
            "path": "/me/claims",
            "httpMethod": "GET",
            "headers": flat,
            "multiValueHeaders": multi,
            "queryStringParameters": null,
            "multiValueQueryStringParameters": null,
            "pathParameters": null,
            "stageVariables": null,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": API_ID,
                "stage": STAGE,
                "resourcePath": "/me/claims",
                "httpMethod": "GET",
                "path": format!("/{STAGE}/me/claims"),
                "requestId": crate::random::uuid(),
                "protocol": "HTTP/1.1",
                "identity": {"sourceIp": "127.0.0.1"},
                "authorizer": authorizer,
            },
            "body": null,
            "isBase64Encoded": false,
        });
        self.call_me_claims(&event).await
    }

    /// Calls the me-claims handler with a proxy event (REST or HTTP API) and returns its response.
    async fn call_me_claims(&self, event: &Value) -> Response {
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
