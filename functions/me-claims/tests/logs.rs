//! Log hygiene, in its own test binary: tracing caches callsite interest
//! process-wide, so a thread-local subscriber is only reliable when no other
//! test runs the same callsites concurrently.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use claimsgate_core::testing::{LogCapture, leaks};
use serde_json::json;
use support::*;

fn with_authorization(fixture: &str, value: Option<&str>) -> lambda_http::Request {
    event_with(fixture, "unused", |e| set_header(e, "Authorization", value))
}

#[tokio::test]
async fn logs_name_the_outcome_but_never_the_token() {
    let capture = LogCapture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());

    let h = Harness::new();
    let good = sign(&id_claims());
    let expired = sign(&with_claims(id_claims(), json!({"exp": NOW - 1})));
    assert_eq!(h.call(event("rest-v1-get.json", &good)).await.status(), 200);
    assert_eq!(h.call(event("rest-v1-get.json", &expired)).await.status(), 401);
    let bad = format!("Bearer {good} extra");
    assert_eq!(h.call(with_authorization("rest-v1-get.json", Some(&bad))).await.status(), 400);

    let logs = capture.text();
    assert!(logs.contains(id_claims()["sub"].as_str().unwrap()), "{logs}");
    assert!(logs.contains("token_expired"), "{logs}");
    assert!(logs.contains("invalid_request"), "{logs}");
    let leaked = leaks(&logs, &[good, expired]);
    assert!(leaked.is_empty(), "a token, or a segment of one, was logged: {leaked:?}");
}
