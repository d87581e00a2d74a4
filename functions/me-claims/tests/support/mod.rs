//! Shared test setup: a signing key, a verifier over an in-memory JWKS and a
//! manual clock, request fixtures with the token substituted, response readers.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::{Arc, OnceLock};

use claimsgate_core::signing::SigningKey;
#[allow(unused_imports)]
pub use claimsgate_core::testing::with_claims;
use claimsgate_core::testing::{
    ManualClock, StaticFetcher, TEST_NOW, cognito_access_claims, cognito_id_claims, test_key,
};
use claimsgate_core::{TokenUsePolicy, VerifierConfig};
use lambda_http::{Body, Request, Response};
use me_claims::App;
use serde_json::{Value, json};

pub const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool";
pub const CLIENT: &str = "local-client";
pub const KID: &str = "test-kid";
/// The manual clock's start (the fixtures' request times are not read).
pub const NOW: u64 = TEST_NOW;
pub const PLACEHOLDER: &str = "{{TOKEN}}";

/// The key the test JWKS publishes.
pub fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| test_key(0, KID))
}

/// The handler with its seams exposed.
pub struct Harness {
    pub app: App,
    pub fetcher: Arc<StaticFetcher>,
    pub clock: Arc<ManualClock>,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_cors(Vec::new())
    }

    pub fn with_cors(origins: Vec<String>) -> Self {
        let config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any).unwrap();
        let jwks = key().jwks().to_string().into_bytes();
        let (verifier, fetcher, clock) = claimsgate_core::Verifier::in_memory(&config, jwks, NOW);
        Self { app: App::new(verifier, origins), fetcher, clock }
    }

    pub async fn call(&self, request: Request) -> Response<Body> {
        self.app.handle(request).await.unwrap()
    }
}

/// The claims of an ID token as Cognito issues it after the trigger ran, issued at [`NOW`].
pub fn id_claims() -> Value {
    cognito_id_claims(ISS, CLIENT, NOW, "5a9d3c7b-0000-4000-8000-000000000003")
}

/// The claims of the access token issued with it.
pub fn access_claims() -> Value {
    cognito_access_claims(ISS, CLIENT, NOW, "5a9d3c7b-0000-4000-8000-000000000004")
}

pub fn sign(claims: &Value) -> String {
    key().sign(claims).unwrap()
}

/// The fixture's JSON text with the token placeholder replaced.
pub fn fixture_text(name: &str, token: &str) -> String {
    let path = format!("{}/../../tests/fixtures/me-claims/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(text.contains(PLACEHOLDER) || name.contains("no-token"));
    text.replace(PLACEHOLDER, token)
}

/// A request parsed from a fixture the way the Lambda runtime and the local stack parse it.
pub fn event(name: &str, token: &str) -> Request {
    lambda_http::request::from_str(&fixture_text(name, token)).unwrap()
}

/// Like [`event`], after `edit` changed the event JSON.
pub fn event_with(name: &str, token: &str, edit: impl FnOnce(&mut Value)) -> Request {
    let mut value: Value = serde_json::from_str(&fixture_text(name, token)).unwrap();
    edit(&mut value);
    lambda_http::request::from_str(&value.to_string()).unwrap()
}

/// Sets (or with `None` removes) a header in both `headers` and `multiValueHeaders` (v1) or `headers` (v2).
pub fn set_header(event: &mut Value, name: &str, value: Option<&str>) {
    for key in ["headers", "multiValueHeaders"] {
        let Some(map) = event.get_mut(key).and_then(Value::as_object_mut) else {
            continue;
        };
        map.retain(|k, _| !k.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            let v = if key == "multiValueHeaders" { json!([v]) } else { json!(v) };
            map.insert(name.to_owned(), v);
        }
    }
}

pub fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

pub fn body_json(response: &Response<Body>) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap(),
        Body::Empty => Value::Null,
        _ => panic!("unexpected body"),
    }
}

pub fn body_text(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    }
}

/// Checks the RFC 9457 shape shared by every error, and returns the body.
pub fn assert_problem(response: &Response<Body>, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "{}", body_text(response));
    assert_eq!(header(response, "content-type"), Some("application/problem+json"));
    assert_eq!(header(response, "cache-control"), Some("no-store"));
    let body = body_json(response);
    assert_eq!(body["status"], status);
    assert_eq!(body["code"], code);
    assert!(body["type"].as_str().unwrap().starts_with("https://"), "{body}");
    assert!(!body["title"].as_str().unwrap().is_empty(), "{body}");
    assert!(!body["detail"].as_str().unwrap().is_empty(), "{body}");
    body
}
