//! A policy store of path-parameter, greedy and group routes, through the real
//! HTTP stand-ins: the API Gateway stand-in serves every action of the store,
//! the authorizer decides by the store, the cached policy stays right, and the
//! app page offers a button per route.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use claimsgate::AuthorizerKind;
use common::flow::{browser, client};
use common::{TestStack, stack_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

const KINDS: [AuthorizerKind; 3] =
    [AuthorizerKind::Token, AuthorizerKind::Request, AuthorizerKind::Http];

fn pets_api() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies/pets-api")
}

/// The pets-api store, with a vet, an owner and a suspended user beside the seeded two.
async fn shop(kind: AuthorizerKind) -> TestStack {
    stack_with(kind, |s| {
        s.policies = Some(pets_api());
        let users = json!([
            {"email": "test-user@amazon.com", "password": "Dogs-rule-1", "email_verified": true},
            {"email": "test-user@example.com", "password": "Cats-rule-1", "email_verified": true},
            {"email": "vet@example.com", "password": "Vet-pass-1", "email_verified": true, "groups": ["vets"]},
            {"email": "owner@example.com", "password": "Owner-pass-1", "email_verified": true,
             "attributes": {"custom:role": "owner"}},
            {"email": "suspended@amazon.com", "password": "Suspended-1", "email_verified": true,
             "groups": ["suspended"]},
        ]);
        let path = std::env::temp_dir().join(format!("claimsgate-shop-{}.json", claimsgate::random::uuid()));
        std::fs::write(&path, users.to_string()).unwrap();
        s.users_file = Some(path);
    })
    .await
}

async fn id_token(s: &TestStack, email: &str) -> String {
    s.tokens_for(email).await.unwrap().id_token
}

async fn call(s: &TestStack, method: &str, path: &str, token: &str) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = client()
        .request(method, format!("{}{path}", s.api_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_action_of_the_store_is_served_and_decided_by_it() {
    for kind in KINDS {
        let s = shop(kind).await;
        let vet = id_token(&s, "vet@example.com").await;
        let owner = id_token(&s, "owner@example.com").await;
        let dogs = id_token(&s, "test-user@amazon.com").await;
        let suspended = id_token(&s, "suspended@amazon.com").await;
        // Each token's first call is on another route than the next: the cached policy must hold.
        for (who, token, method, path, want) in [
            ("dogs user", &dogs, "GET", "/pets/7", StatusCode::OK),
            ("dogs user", &dogs, "POST", "/pets", StatusCode::FORBIDDEN),
            ("dogs user", &dogs, "DELETE", "/pets/7", StatusCode::FORBIDDEN),
            ("dogs user", &dogs, "GET", "/files/a/b.txt", StatusCode::FORBIDDEN),
            ("dogs user", &dogs, "GET", "/dogs", StatusCode::OK),
            ("vet", &vet, "GET", "/files/reports/2026/q4.pdf", StatusCode::OK),
            ("vet", &vet, "POST", "/pets", StatusCode::OK),
            ("vet", &vet, "DELETE", "/pets/7", StatusCode::FORBIDDEN),
            ("vet", &vet, "GET", "/dogs", StatusCode::FORBIDDEN),
            ("owner", &owner, "DELETE", "/pets/mine", StatusCode::OK),
            ("owner", &owner, "GET", "/pets", StatusCode::OK),
            ("owner", &owner, "POST", "/pets", StatusCode::FORBIDDEN),
            ("suspended", &suspended, "GET", "/pets/7", StatusCode::FORBIDDEN),
            ("suspended", &suspended, "GET", "/dogs", StatusCode::FORBIDDEN),
            ("suspended", &suspended, "GET", "/me/claims", StatusCode::OK),
        ] {
            let (status, _) = call(&s, method, path, token).await;
            assert_eq!(status, want, "{kind:?}: {who} {method} {path}");
        }
    }
}

#[tokio::test]
async fn other_routes_answer_their_route_and_path_parameters() {
    let s = shop(AuthorizerKind::Token).await;
    let vet = id_token(&s, "vet@example.com").await;
    let (status, body) = call(&s, "GET", "/files/reports/2026/q4.pdf", &vet).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"route": "GET /files/{path+}", "pathParameters": {"path": "reports/2026/q4.pdf"}})
    );
    let (_, body) = call(&s, "GET", "/pets/7", &vet).await;
    assert_eq!(body, json!({"route": "GET /pets/{petId}", "pathParameters": {"petId": "7"}}));
    // The article's routes keep their mocks and me-claims.
    let dogs = id_token(&s, "test-user@amazon.com").await;
    let (_, body) = call(&s, "GET", "/dogs", &dogs).await;
    let mocks: Value = serde_json::from_str(claimsgate::apigw::MOCKS).unwrap();
    assert_eq!(body, serde_json::from_str::<Value>(mocks["dogs"].as_str().unwrap()).unwrap());
    let (status, body) = call(&s, "GET", "/me/claims", &dogs).await;
    assert_eq!((status, body["claims"]["pet_preference"].as_str()), (StatusCode::OK, Some("dogs")));
    // A request no route of the store matches never reaches the authorizer.
    let (status, body) = call(&s, "GET", "/pets", &dogs).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(&s, "PATCH", "/pets/7", &dogs).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (StatusCode::FORBIDDEN, Some("Missing Authentication Token"))
    );
}

#[tokio::test]
async fn the_app_page_offers_a_button_for_each_route_of_the_store() {
    let s = shop(AuthorizerKind::Token).await;
    let c = browser();
    common::flow::app_sign_in(&c, &s, ("vet@example.com", "Vet-pass-1")).await;
    let (_, page, csrf) = common::flow::app_page(&c, &s).await;
    for request in [
        "GET /dogs",
        "GET /cats",
        "GET /me/claims",
        "GET /pets",
        "GET /pets/1",
        "POST /pets",
        "DELETE /pets/1",
        "GET /files/a/b",
    ] {
        assert!(page.contains(&format!("data-route=\"{request}\"")), "{request}");
    }
    let answer: Value = c
        .post(format!("{}/app/call", s.cognito_url))
        .form(&[("route", "POST /pets"), ("use", "id"), ("_csrf", &csrf)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (answer["route"].as_str(), answer["status"].as_u64()),
        (Some("POST /pets"), Some(200))
    );
    let refused = c
        .post(format!("{}/app/call", s.cognito_url))
        .form(&[("route", "PUT /pets"), ("use", "id"), ("_csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "not an open proxy");
}

#[tokio::test]
async fn a_broken_store_stops_the_stack_naming_the_file_and_line() {
    let store = common::PolicyDir::shipped_plus(&[(
        "typo.cedar",
        "permit (principal, action, resource)\nwhen { principal.pet_preferance == \"dogs\" };",
    )]);
    let key = common::KeyDir::new();
    let mut settings = claimsgate::StackSettings::ephemeral(key.path()).unwrap();
    settings.policies = Some(store.0.clone());
    let clock = std::sync::Arc::new(claimsgate_core::testing::ManualClock::at_secs(common::START));
    let err = claimsgate::start(&settings, AuthorizerKind::Token, clock).await.unwrap_err();
    assert!(
        err.starts_with("--policies: ") && err.contains("typo.cedar:2: policy typo.cedar:1:"),
        "{err}"
    );
    assert!(err.contains("did you mean `pet_preference`?"), "{err}");
}
