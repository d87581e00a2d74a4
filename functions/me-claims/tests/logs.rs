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

/// Level, `status` and `code` of each `decision` line, in order.
fn decisions(logs: &str) -> Vec<(String, u64, Option<String>)> {
    logs.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|line| line["fields"]["message"] == "decision")
        .map(|line| {
            let fields = &line["fields"];
            (
                line["level"].as_str().unwrap().to_owned(),
                fields["status"].as_u64().unwrap(),
                fields["code"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn unavailable_keys_log_at_error_and_client_refusals_at_info() {
    let capture = LogCapture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());

    let h = Harness::new();
    let expired = sign(&with_claims(id_claims(), json!({"exp": NOW - 1})));
    assert_eq!(h.call(event("rest-v1-get.json", &sign(&id_claims()))).await.status(), 200);
    assert_eq!(h.call(event("rest-v1-get.json", &expired)).await.status(), 401);
    let unreachable = Harness::new();
    unreachable.fetcher.set(Err(claimsgate_core::FetchError::Status(500)));
    let response = unreachable.call(event("rest-v1-get.json", &sign(&id_claims()))).await;
    assert_eq!(response.status(), 503);

    let info = |status, code: Option<&str>| ("INFO".to_owned(), status, code.map(str::to_owned));
    assert_eq!(
        decisions(&capture.text()),
        [
            info(200, None),
            info(401, Some("token_expired")),
            ("ERROR".to_owned(), 503, Some("jwks_unavailable".to_owned())),
        ]
    );
}
