//! The stand-in as a REST API (what serverless.yml deploys): `TOKEN` or
//! `REQUEST` authorizer events with a `methodArn`, the returned IAM policy
//! evaluated for the called route and cached per token for the TTL, then the
//! integration: me-claims with a REST proxy event, or a mock body.
//! It uses the API's state ([`super::gateway`]), the policy evaluation and the
//! gateway responses beside it.

use std::sync::Arc;

use authorizer::policies::Route;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Request, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::cache::CachedPolicy;
use super::gateway::{
    ACCOUNT, API_ID, ApiGateway, AuthorizerKind, Integration, REGION, Repeated, STAGE,
    UNAUTHORIZED, from_lambda, gateway_headers, gateway_multi_value_headers, identity_source,
    path_parameters,
};
use super::gateway_response::GatewayResponse;
use super::policy::{Evaluation, evaluate};
use crate::support::{lock, random};

/// The method ARN API Gateway passes to the authorizer.
#[must_use]
pub fn method_arn(method: &str, path: &str) -> String {
    format!(
        "arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/{method}/{}",
        path.trim_start_matches('/')
    )
}

pub(super) async fn handle(State(api): State<Arc<ApiGateway>>, request: Request<Body>) -> Response {
    let headers = request.headers().clone();
    let mut response = route(&api, request).await;
    api.error_cors.apply(&headers, &mut response);
    response
}

async fn route(api: &ApiGateway, request: Request<Body>) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    if method == Method::OPTIONS && api.has_path(&path) {
        // The deployed OPTIONS methods are mock integrations without the
        // authorizer, answering what me-claims answers to a preflight.
        return from_lambda(api.cors.preflight(&headers));
    }
    let Some(route) = api.route(&method, &path) else {
        return GatewayResponse::MissingAuthenticationToken.response();
    };
    let Some(token) = identity_source(&headers) else {
        // API Gateway answers a missing identity source itself, without calling the authorizer.
        return GatewayResponse::Unauthorized.response();
    };
    let token = token.as_str();
    let arn = method_arn(method.as_str(), &path);

    let cached = api.cached(token);
    let result = match cached {
        Some(hit) => hit,
        None => match api.authorize(token, &arn, &method, (route, &path), &headers).await {
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
    let json_answer = |body: String| {
        let mut answer = lambda_http::Response::new(lambda_http::Body::from(body));
        answer
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        // The deployed mock's response template adds the CORS headers me-claims adds.
        api.cors.decorate(&headers, &mut answer);
        from_lambda(answer)
    };
    match api.integration(route, &path) {
        Integration::MeClaims => api.me_claims(&headers, &result).await,
        Integration::Mock(body) => json_answer(body),
        Integration::Echo(body) => json_answer(body.to_string()),
    }
}

impl ApiGateway {
    fn cached(&self, token: &str) -> Option<CachedPolicy> {
        if self.cache_ttl.is_zero() {
            return None;
        }
        let now = self.clock.now();
        lock(&self.cache).get(token).filter(|c| now.saturating_sub(c.at) < self.cache_ttl).cloned()
    }

    async fn authorize(
        &self,
        token: &str,
        arn: &str,
        method: &Method,
        (route, path): (&Route, &str),
        headers: &HeaderMap,
    ) -> Result<CachedPolicy, Response> {
        let event = match self.kind {
            AuthorizerKind::Token => {
                json!({"type": "TOKEN", "authorizationToken": token, "methodArn": arn})
            }
            // An HTTP API never gets here: `http::handle` serves it.
            AuthorizerKind::Request | AuthorizerKind::Http => {
                let parameters = path_parameters(route, path);
                json!({
                    "type": "REQUEST", "methodArn": arn, "resource": route.path(), "path": path,
                    "httpMethod": method.as_str(), "headers": gateway_headers(headers, Repeated::Last),
                    "multiValueHeaders": gateway_multi_value_headers(headers),
                    "pathParameters": parameters,
                    "requestContext": {"accountId": ACCOUNT, "apiId": API_ID, "stage": STAGE, "httpMethod": method.as_str(), "resourcePath": route.path()},
                })
            }
        };
        let answer = match self.authorizer.invoke(event).await {
            Ok(answer) => answer,
            Err(e) if e == UNAUTHORIZED => {
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
            let mut cache = lock(&self.cache);
            cache.retain(|_, c| now.saturating_sub(c.at) < self.cache_ttl);
            cache.insert(token.to_owned(), result.clone());
        }
        Ok(result)
    }

    async fn me_claims(&self, headers: &HeaderMap, auth: &CachedPolicy) -> Response {
        let flat = gateway_headers(headers, Repeated::Last);
        let multi = gateway_multi_value_headers(headers);
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
                "requestId": random::uuid(),
                "protocol": "HTTP/1.1",
                "identity": {"sourceIp": "127.0.0.1"},
                "authorizer": authorizer,
            },
            "body": null,
            "isBase64Encoded": false,
        });
        self.call_me_claims(&event).await
    }
}
