//! CORS through the local stack, as a browser app on another origin meets the
//! deployed API: preflights answered without the authorizer, and API Gateway's
//! own 401/403 carrying the bearer challenge and the CORS headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use claimsgate::{AuthorizerKind, StackSettings};
use claimsgate_core::testing::ManualClock;
use common::{KeyDir, START, TestStack, stack_with};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const APP: &str = "https://app.example.com";
const DOGS: &str = "test-user@amazon.com";

async fn stack_allowing(origins: &[&str]) -> TestStack {
    stack_with(AuthorizerKind::Token, |settings| {
        settings.cors_allow_origins = origins.iter().map(|o| (*o).to_owned()).collect();
    })
    .await
}

async fn preflight(s: &TestStack, path: &str, origin: &str) -> (StatusCode, HeaderMap) {
    let r = reqwest::Client::new()
        .request(Method::OPTIONS, format!("{}{path}", s.api_url))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    (r.status(), r.headers().clone())
}

async fn get(s: &TestStack, path: &str, token: Option<&str>) -> (StatusCode, HeaderMap, Value) {
    let mut req = reqwest::Client::new().get(format!("{}{path}", s.api_url)).header("Origin", APP);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.json().await.unwrap())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn a_listed_origin_gets_preflights_answered_without_the_authorizer() {
    let s = stack_allowing(&[APP]).await;
    for path in ["/dogs", "/cats", "/me/claims"] {
        let (status, h) = preflight(&s, path, APP).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}");
        assert_eq!(header(&h, "access-control-allow-origin"), Some(APP), "{path}");
        assert_eq!(header(&h, "access-control-allow-methods"), Some("GET"));
        assert_eq!(header(&h, "access-control-allow-headers"), Some("Authorization"));
        assert_eq!(header(&h, "access-control-max-age"), Some("600"));
    }
    let (status, h) = preflight(&s, "/me/claims", "https://evil.example").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(header(&h, "access-control-allow-origin"), None);

    // Only the API's routes have an OPTIONS method.
    let (status, h) = preflight(&s, "/birds", APP).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(header(&h, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_cross_origin_call_without_credentials_reads_the_gateways_401() {
    let s = stack_allowing(&[APP]).await;
    let (status, h, body) = get(&s, "/me/claims", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"message": "Unauthorized"}));
    assert_eq!(header(&h, "www-authenticate"), Some("Bearer realm=\"claimsgate\""));
    assert_eq!(header(&h, "access-control-allow-origin"), Some(APP));
    assert_eq!(
        header(&h, "access-control-expose-headers"),
        Some("WWW-Authenticate"),
        "the page can read the challenge"
    );
    assert_eq!(header(&h, "vary"), Some("Origin"));
}

#[tokio::test]
async fn answers_behind_the_authorizer_carry_the_grant_too() {
    let s = stack_allowing(&[APP]).await;
    let id = s.tokens_for(DOGS).await.unwrap().id_token;
    let (status, h, body) = get(&s, "/me/claims", Some(&id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["claims"]["pet_preference"], "dogs");
    assert_eq!(header(&h, "access-control-allow-origin"), Some(APP));
    let (status, h, _) = get(&s, "/dogs", Some(&id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "access-control-allow-origin"), Some(APP));
    let (status, h, body) = get(&s, "/cats", Some(&id)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"message": "User is not authorized to access this resource"}));
    assert_eq!(header(&h, "access-control-allow-origin"), Some(APP));
}

#[tokio::test]
async fn without_origins_nothing_is_granted_and_preflights_still_skip_the_authorizer() {
    let s = stack_allowing(&[]).await;
    let (status, h) = preflight(&s, "/me/claims", APP).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(header(&h, "access-control-allow-origin"), None);
    let (status, h, _) = get(&s, "/me/claims", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(header(&h, "www-authenticate"), Some("Bearer realm=\"claimsgate\""));
    assert_eq!(header(&h, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn any_origin_gets_a_star() {
    let s = stack_allowing(&["*"]).await;
    let (_, h) = preflight(&s, "/dogs", "https://anyone.example").await;
    assert_eq!(header(&h, "access-control-allow-origin"), Some("*"));
    let (status, h, _) = get(&s, "/dogs", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(header(&h, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&h, "vary"), None);
}

#[tokio::test]
async fn a_bad_origin_stops_the_stack_at_start() {
    let key = KeyDir::new();
    let mut settings = StackSettings::ephemeral(key.path()).unwrap();
    settings.cors_allow_origins = vec!["app.example.com".into()];
    let clock = Arc::new(ManualClock::at_secs(START));
    let err = claimsgate::start(&settings, AuthorizerKind::Token, clock).await.unwrap_err();
    assert!(err.contains("--cors-allow-origins"), "{err}");
}
