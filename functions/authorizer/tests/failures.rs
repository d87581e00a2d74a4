//! Every failure path denies: bad tokens, unreachable keys, odd events, bad configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use authorizer::{AuthError, Authorizer};
use claimsgate_core::FetchError;
use common::{DOGS_SUB, Harness, NOW, id_claims, token_event};
use serde_json::{Value, json};

#[test]
fn unauthorized_is_the_exact_string_api_gateway_matches() {
    assert_eq!(AuthError::Unauthorized.to_string(), "Unauthorized");
    assert!(AuthError::Unauthorized.is_unauthorized());
    let other = AuthError::UnsupportedEvent("x");
    assert!(!other.is_unauthorized());
    assert_ne!(other.to_string(), "Unauthorized");
    let d: lambda_runtime::Diagnostic = AuthError::Unauthorized.into();
    assert_eq!((d.error_type.as_str(), d.error_message.as_str()), ("Unauthorized", "Unauthorized"));
}

#[tokio::test]
async fn jwks_never_fetched_is_unauthorized_for_every_event_kind() {
    let h = Harness::new();
    h.fetcher.set(Err(FetchError::Status(503)));
    let token = h.dogs_id_token();
    let events = [
        token_event(&token, "GET", "/dogs"),
        json!({"type": "REQUEST", "methodArn": common::arn("GET", "/dogs"), "headers": {"Authorization": format!("Bearer {token}")}}),
        json!({"version": "2.0", "type": "REQUEST", "routeArn": common::arn("GET", "/dogs"), "identitySource": [format!("Bearer {token}")]}),
    ];
    for event in events {
        assert_eq!(h.call(event.clone()).await, Err(AuthError::Unauthorized), "{event}");
    }
}

#[tokio::test]
async fn a_repeated_token_is_verified_once_and_expires_on_time() {
    let h = Harness::new();
    let token = h.dogs_id_token();
    let first = h.call(token_event(&token, "GET", "/dogs")).await.unwrap();
    for _ in 0..50 {
        assert_eq!(h.call(token_event(&token, "GET", "/dogs")).await.unwrap(), first);
    }
    assert_eq!(h.fetcher.calls(), 1);
    h.clock.set_secs(NOW + 3540);
    assert_eq!(h.call(token_event(&token, "GET", "/dogs")).await, Err(AuthError::Unauthorized));
}

#[tokio::test]
async fn hostile_tokens_are_unauthorized() {
    let h = Harness::new();
    let mut no_sub = id_claims(DOGS_SUB, "dog-lover", Some("dogs"));
    no_sub.as_object_mut().unwrap().remove("sub");
    let mut empty_sub = id_claims(DOGS_SUB, "dog-lover", Some("dogs"));
    empty_sub["sub"] = json!("");
    let claims = id_claims(DOGS_SUB, "dog-lover", Some("dogs"));
    let none_alg = h.key.sign_raw(&json!({"alg": "none", "kid": "test-kid-1"}), &claims).unwrap();
    let hs256 = h.key.sign_raw(&json!({"alg": "HS256", "kid": "test-kid-1"}), &claims).unwrap();
    let good = h.dogs_id_token();
    let (head, _) = good.rsplit_once('.').unwrap();
    let tampered = format!("{head}.{}", "A".repeat(342));
    let mut other_iss = claims.clone();
    other_iss["iss"] = json!("https://evil.example.com");
    for token in [
        h.sign(&no_sub),
        h.sign(&empty_sub),
        none_alg,
        hs256,
        tampered,
        h.sign(&other_iss),
        format!("{good}.{good}"),
        "x".repeat(20_000),
    ] {
        assert_eq!(
            h.call(token_event(&token, "GET", "/me/claims")).await,
            Err(AuthError::Unauthorized)
        );
    }
}

#[tokio::test]
async fn odd_events_never_panic_and_never_allow() {
    let h = Harness::new();
    let token = h.dogs_id_token();
    let bearer = format!("Bearer {token}");
    let events: Vec<Value> = vec![
        json!(null),
        json!(42),
        json!({"type": "TOKEN"}),
        json!({"type": "TOKEN", "authorizationToken": 7, "methodArn": common::arn("GET", "/dogs")}),
        json!({"type": "TOKEN", "authorizationToken": bearer, "methodArn": null}),
        json!({"type": "TOKEN", "authorizationToken": bearer, "methodArn": "arn:aws:execute-api:r:1:api/*/GET/dogs"}),
        json!({"type": "TOKEN", "authorizationToken": bearer, "methodArn": "arn:aws:execute-api:r:1:a\u{1f436}/\u{e9}/GET/\u{0}"}),
        json!({"type": "REQUEST", "methodArn": common::arn("GET", "/dogs"), "headers": [bearer]}),
        json!({"type": "REQUEST", "methodArn": common::arn("GET", "/dogs"), "headers": {"Authorization": [bearer]}}),
        json!({"version": "2.0", "routeArn": 5, "identitySource": [bearer]}),
        json!({"version": "2.0", "identitySource": "not-a-list"}),
        json!({"version": 2, "type": "REQUEST"}),
    ];
    for event in events {
        match h.call(event.clone()).await {
            Err(_) => {}
            Ok(response) => {
                let allowed = response["isAuthorized"] == json!(true)
                    || response["policyDocument"]["Statement"]
                        .as_array()
                        .is_some_and(|s| s.iter().any(|s| s["Effect"] == "Allow"));
                assert!(!allowed, "{event} got {response}");
            }
        }
    }
    assert!(matches!(h.call(json!({"type": "OTHER"})).await, Err(AuthError::UnsupportedEvent(_))));
}

#[test]
fn configuration_errors_name_the_variable() {
    let base = |extra: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            [("COGNITO_USER_POOL_ID", "us-east-1_AbC123"), ("COGNITO_CLIENT_IDS", "app1")]
                .iter()
                .chain(extra)
                .rev()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let ok = Authorizer::from_lookup(base(&[])).unwrap();
    let ids: Vec<&str> = ok.store().routes.all().iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["get /cats", "get /dogs", "get /me/claims"], "the shipped store");
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let folder = Box::leak(shipped.display().to_string().into_boxed_str());
    let read =
        Authorizer::from_lookup(base(Box::leak(Box::new([("POLICY_STORE", &*folder)])))).unwrap();
    assert_eq!(read.store().routes, ok.store().routes);

    let err = |extra| Authorizer::from_lookup(base(extra)).unwrap_err().to_string();
    // The retired route table says what to write instead.
    let retired = err(&[("ROUTE_RULES", "GET /pets=dogs,cats")]);
    assert!(
        retired.starts_with("ROUTE_RULES: is retired") && retired.contains("permit (principal"),
        "{retired}"
    );
    assert!(
        err(&[("POLICY_STORE", "/no/such/folder")])
            .starts_with("POLICY_STORE: policy store /no/such/folder: cannot read it")
    );
    assert!(err(&[("COGNITO_CLIENT_IDS", " ")]).starts_with("COGNITO_CLIENT_IDS:"));
    assert!(err(&[("TOKEN_USE", "both")]).starts_with("TOKEN_USE:"));
}
