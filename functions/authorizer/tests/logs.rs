//! What the authorizer logs and counts: one line and one metrics line per
//! decision, an error for a fault on our side, never a token.
//!
//! In a test binary of its own: tracing caches callsite interest process-wide,
//! so a thread-local subscriber is only reliable when no test without one
//! runs the same callsites at the same time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use authorizer::AuthError;
use claimsgate_core::FetchError;
use claimsgate_core::testing::{LogCapture, leaks, test_key};
use common::{DOGS_SUB, Harness, id_claims, token_event};
use serde_json::{Value, json};

fn capture() -> (LogCapture, tracing::subscriber::DefaultGuard) {
    let logs = LogCapture::default();
    let guard = tracing::subscriber::set_default(logs.subscriber());
    (logs, guard)
}

#[tokio::test]
async fn unreachable_jwks_and_unknown_kid_is_unauthorized_with_an_error_log() {
    let h = Harness::new();
    assert!(h.authorizer.verifier().hydrate().await.is_empty());
    let rotated = test_key(1, "rotated-kid");
    let token = rotated.sign(&id_claims(DOGS_SUB, "dog-lover", Some("dogs"))).unwrap();
    h.fetcher.set(Err(FetchError::Transport("connection refused".into())));
    h.clock.advance(Duration::from_secs(60));

    let (logs, _guard) = capture();
    let got = h.call(token_event(&token, "GET", "/dogs")).await;
    assert_eq!(got, Err(AuthError::Unauthorized));
    assert_eq!(h.fetcher.calls(), 2, "the unknown kid must trigger one refetch");
    let logs = logs.text();
    let line = logs
        .lines()
        .find(|l| l.contains("\"event_type\":\"rest_token\""))
        .unwrap_or_else(|| panic!("no authorizer line in:\n{logs}"));
    assert!(line.contains("\"level\":\"ERROR\""), "{line}");
    assert!(line.contains("\"code\":\"jwks_unavailable\""), "{line}");
    assert_eq!(
        leaks(&logs, &[token]),
        Vec::<String>::new(),
        "a token, or a piece of one, was logged"
    );
}

#[tokio::test]
async fn decisions_are_logged_with_sub_and_without_the_token() {
    let h = Harness::new();
    let token = h.dogs_id_token();
    let (logs, _guard) = capture();
    h.call(token_event(&token, "GET", "/cats")).await.unwrap();
    h.call(token_event("not-a-jwt", "GET", "/cats")).await.unwrap_err();
    let logs = logs.text();
    let line = logs.lines().find(|l| l.contains("\"message\":\"decision\"")).unwrap_or_default();
    for field in [
        DOGS_SUB,
        "\"decision\":\"deny\"",
        "\"code\":\"route_not_allowed\"",
        "\"kid\":\"test-kid-1\"",
        "\"path\":\"/cats\"",
        "\"route\":\"get /cats\"",
        "\"verify_us\":",
        "\"cache_hit\":false",
        "\"jwks_age_s\":0",
    ] {
        assert!(line.contains(field), "{field} missing in {line}");
    }
    let decision: Value = serde_json::from_str(line).unwrap();
    // An RSA check takes microseconds, never none: the figure is the verification's.
    assert!(decision["fields"]["verify_us"].as_u64().is_some_and(|us| us >= 2), "{line}");
    assert!(decision["fields"].get("reason").is_none(), "a plain deny has no reason: {line}");
    let refused = logs
        .lines()
        .filter(|l| l.contains("\"message\":\"decision\""))
        .nth(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .unwrap_or_default();
    assert_eq!(refused["fields"]["decision"], "unauthorized", "{logs}");
    assert!(refused["fields"]["reason"].as_str().is_some_and(|r| !r.is_empty()), "{refused}");
    assert_eq!(leaks(&logs, std::slice::from_ref(&token)), Vec::<String>::new());

    // One EMF line per decision: Denied by code, and what the verification cost.
    let emf: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|l| l["fields"]["emf"].as_str().map(str::to_owned))
        .map(|emf| serde_json::from_str(&emf).unwrap())
        .collect();
    assert_eq!(emf.len(), 3, "{logs}");
    assert_eq!(emf[0]["JwksFetch"], 1.0, "the first token fetched the keys");
    for (doc, code) in emf[1..].iter().zip(["route_not_allowed", "malformed_token"]) {
        assert_eq!(doc["Denied"], 1.0);
        assert_eq!(doc["Code"], code);
        let names: Vec<&str> = doc["_aws"]["CloudWatchMetrics"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| d["Metrics"].as_array().unwrap())
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Denied", "VerifyMicros", "TokenCacheHit"], "{doc}");
        assert!(doc["VerifyMicros"].as_f64().is_some());
    }
}

#[tokio::test]
async fn a_claim_that_does_not_fit_the_schema_is_left_out_with_a_line_naming_it_not_its_value() {
    let schema = r#"namespace Shop { entity User { "age"?: Long, "email"?: String }; entity Application;
        action "get /pets" appliesTo { principal: [User], resource: [Application] }; }"#;
    let h = Harness::with_store(common::store(
        schema,
        &[
            "permit (principal, action, resource) when { principal has age || principal has email };",
        ],
    ));
    let mut claims = id_claims(DOGS_SUB, "dog-lover", None);
    claims["age"] = json!("thirty-one");
    let token = h.sign(&claims);
    let (logs, _guard) = capture();
    let answer = h.call(token_event(&token, "GET", "/pets")).await.unwrap();
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "decided on what remains"
    );
    let logs = logs.text();
    let line = logs
        .lines()
        .find(|l| l.contains("claim left out"))
        .unwrap_or_else(|| panic!("no line for the misfit claim in:\n{logs}"));
    assert!(line.contains("\"level\":\"WARN\"") && line.contains("principal.age"), "{line}");
    assert!(line.contains("\"expected\":\"Long\""), "{line}");
    assert!(!logs.contains("thirty-one"), "the claim's value was logged");
}

#[test]
fn a_store_that_loads_with_warnings_logs_each_at_init() {
    let dir = std::env::temp_dir().join(format!("claimsgate-warned-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("schema.cedarschema"),
        r#"namespace Shop { entity Application; entity User { "pet"?: String };
           action "get /files/{name}", "get /files/{path+}" appliesTo { principal: [User], resource: [Application] }; }"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("p.cedar"),
        "@id(\"typo\") permit (principal, action, resource) when { principal has pett && principal.pett == \"dogs\" };",
    )
    .unwrap();
    let folder = dir.to_string_lossy().into_owned();

    let (logs, _guard) = capture();
    let store =
        authorizer::store_from_lookup(|name| (name == "POLICY_STORE").then(|| folder.clone()));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        store.is_ok(),
        "warnings do not stop the authorizer, as they stop neither Cedar nor Verified Permissions"
    );
    let logs = logs.text();
    let warnings: Vec<&str> = logs.lines().filter(|l| l.contains("\"WARN\"")).collect();
    assert_eq!(warnings.len(), 2, "{logs}");
    assert!(warnings[0].contains("for policy `typo`, policy is impossible"), "{logs}");
    assert!(
        warnings[1].contains("catch each other's requests")
            && warnings[1].contains("get /files/{name}, get /files/{path+}"),
        "{logs}"
    );
}
