//! The API Gateway stand-in as an HTTP API (`serve --api http`): payload 2.0
//! authorizer events with a `routeArn` on the `$default` stage, simple
//! responses (`isAuthorized` + `context`), the HTTP API's own error bodies,
//! and its authorizer result cache keyed by the identity sources.
//!
//! The identity sources are `$request.header.Authorization` and
//! `$context.routeKey`: a cached simple answer is not tied to a route, so
//! without the route key one route's "yes" would be replayed on another.
//!
//! It uses `apigw::cache`, `apigw::gateway`, `support`; it is used by `apigw`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::cache::HttpCached;
use super::gateway::{
    ACCOUNT, API_ID, ApiGateway, Integration, REGION, Repeated, UNAUTHORIZED, gateway_headers,
    identity_source,
};
use crate::support::{lock, random};

/// The stage of an HTTP API's default route.
pub const STAGE: &str = "$default";

/// The router of the HTTP API.
pub(super) fn router(api: Arc<ApiGateway>) -> Router {
    Router::new().fallback(handle).with_state(api)
}

/// The HTTP API's own answers: `{"message": ...}`, no `x-amzn-ErrorType`, an `apigw-requestid`.
fn message(status: StatusCode, text: &str) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "message": text }).to_string(),
    )
        .into_response();
    with_request_id(&mut response);
    response
}

fn with_request_id(response: &mut Response) {
    if let Ok(id) = HeaderValue::from_str(&random::uuid()) {
        response.headers_mut().insert("apigw-requestid", id);
    }
}

/// The route ARN API Gateway passes an HTTP API authorizer.
#[must_use]
pub fn route_arn(method: &str, path: &str) -> String {
    format!(
        "arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/{method}/{}",
        path.trim_start_matches('/')
    )
}

/// `requestContext` of the payload 2.0 events (authorizer and integration alike).
fn request_context(method: &str, path: &str, route_key: &str, now: Duration) -> Map<String, Value> {
    let context = json!({
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "domainName": format!("{API_ID}.execute-api.{REGION}.amazonaws.com"),
        "domainPrefix": API_ID,
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": ""},
        "requestId": random::uuid(),
        "routeKey": route_key,
        "stage": STAGE,
        "timeEpoch": u64::try_from(now.as_millis()).unwrap_or(u64::MAX),
    });
    match context {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

async fn handle(State(api): State<Arc<ApiGateway>>, request: Request<Body>) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    let Some(route) = api.route(&method, &path) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    // The route key names the route as the API declares it: `GET /pets/{petId}`.
    let route_key = route.to_string();
    let Some(authorization) = identity_source(&headers) else {
        // A missing identity source is answered without calling the authorizer.
        return message(StatusCode::UNAUTHORIZED, "Unauthorized");
    };
    let identity = [authorization.as_str(), route_key.as_str()];

    let result = match api.http_cached(&identity) {
        Some(hit) => hit,
        None => match api.authorize_http(&identity, &method, &path, &headers).await {
            Ok(fresh) => fresh,
            Err(response) => return response,
        },
    };
    if !result.is_authorized {
        return message(StatusCode::FORBIDDEN, "Forbidden");
    }
    let mut response = match api.integration(route, &path) {
        Integration::MeClaims => {
            let now = api.clock.now();
            let mut context = request_context(method.as_str(), &path, &route_key, now);
            context.insert("authorizer".into(), json!({ "lambda": result.context }));
            let event = json!({
                "version": "2.0",
                "routeKey": route_key,
                "rawPath": path,
                "rawQueryString": "",
                "headers": gateway_headers(&headers, Repeated::Joined),
                "requestContext": context,
                "isBase64Encoded": false,
            });
            api.call_me_claims(&event).await
        }
        Integration::Mock(body) => {
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Integration::Echo(body) => {
            ([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
        }
    };
    with_request_id(&mut response);
    response
}

impl ApiGateway {
    fn http_cached(&self, identity: &[&str]) -> Option<HttpCached> {
        if self.cache_ttl.is_zero() {
            return None;
        }
        let now = self.clock.now();
        lock(&self.http_cache.0)
            .get(&identity.join("\n"))
            .filter(|c| now.saturating_sub(c.at) < self.cache_ttl)
            .cloned()
    }

    async fn authorize_http(
        &self,
        identity: &[&str],
        method: &Method,
        path: &str,
        headers: &axum::http::HeaderMap,
    ) -> Result<HttpCached, Response> {
        let now = self.clock.now();
        let event = json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": route_arn(method.as_str(), path),
            "identitySource": identity,
            "routeKey": identity[1],
            "rawPath": path,
            "rawQueryString": "",
            "headers": gateway_headers(headers, Repeated::Joined),
            "requestContext": request_context(method.as_str(), path, identity[1], now),
        });
        let (is_authorized, context) = match self.authorizer.invoke(event).await {
            Ok(answer) => {
                let Some(is_authorized) = answer.get("isAuthorized").and_then(Value::as_bool)
                else {
                    tracing::error!("authorizer answered a payload 2.0 event without isAuthorized");
                    return Err(message(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Internal Server Error",
                    ));
                };
                let context = match answer.get("context") {
                    Some(Value::Object(map)) => map.clone(),
                    _ => Map::new(),
                };
                (is_authorized, context)
            }
            Err(e) if e == UNAUTHORIZED => {
                return Err(message(StatusCode::UNAUTHORIZED, "Unauthorized"));
            }
            Err(e) => {
                tracing::error!(error = %e, "authorizer failed");
                return Err(message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"));
            }
        };
        let result = HttpCached { at: now, is_authorized, context };
        if !self.cache_ttl.is_zero() {
            let mut cache = lock(&self.http_cache.0);
            cache.retain(|_, c| now.saturating_sub(c.at) < self.cache_ttl);
            cache.insert(identity.join("\n"), result.clone());
        }
        Ok(result)
    }
}
