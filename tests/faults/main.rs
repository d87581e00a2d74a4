//! The stack while its key source fails and its signing key rotates, told by a
//! manual clock: known keys keep their answers, unknown kids are refused, no
//! answer is a 5xx, and each function fetches the JWKS once per refresh and at
//! most once more per `JWKS_MIN_REFRESH_SECS` for a kid it lacks (a new key is
//! fetched on its first request). And what its operators read meanwhile: metric lines
//! in the shape CloudWatch's Embedded Metric Format asks for, and no token,
//! password, email or client secret in any line.
//!
//! In a test binary of its own, each test capturing its logs with a
//! thread-local subscriber: tracing caches callsite interest process-wide, and
//! the stack's tasks run on the test's (current-thread) runtime.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod emf;
mod hostile;
mod sequence;

use std::time::Duration;

use claimsgate::AuthorizerKind;
use claimsgate_core::FetchLimits;
use claimsgate_core::testing::{LogCapture, has_email, leaks};
use common::flow::{CLIENT_SECRET, DOGS, MACHINE_SECRET, client};
use common::{TestStack, stack_with};
use emf::emf_problems;
use hostile::attack_like_requests;
use reqwest::StatusCode;
use sequence::{PATHS, fault_sequence, jwks_requests, status};
use serde_json::Value;

const TTL: u64 = 60;
const MIN_REFRESH: u64 = 10;
const FAULTS: [&str; 5] = ["down", "slow", "500", "garbage", "empty"];

thread_local! {
    // One client per test (each test has its thread and runtime): building one reads the system's root certificates.
    static HTTP: reqwest::Client = client();
}

fn http() -> reqwest::Client {
    HTTP.with(Clone::clone)
}

fn capture() -> (LogCapture, tracing::subscriber::DefaultGuard) {
    let logs = LogCapture::default();
    let guard = tracing::subscriber::set_default(logs.subscriber());
    (logs, guard)
}

/// A stack whose functions keep keys for [`TTL`] and refetch at most every
/// [`MIN_REFRESH`] seconds, give up on a JWKS fetch after 400 ms (a slow
/// source takes 6 s; a loopback fetch takes a few ms), and whose gateway
/// caches no authorizer result: every request is judged afresh.
async fn fault_stack() -> TestStack {
    stack_with(AuthorizerKind::Token, |s| {
        s.authorizer_cache_ttl = 0;
        s.token_ttl = 86_400;
        s.function_env.insert("JWKS_TTL_SECS".into(), TTL.to_string());
        s.function_env.insert("JWKS_MIN_REFRESH_SECS".into(), MIN_REFRESH.to_string());
        s.jwks_fetch = FetchLimits {
            connect_timeout: Duration::from_millis(400),
            total_timeout: Duration::from_millis(400),
            ..FetchLimits::default()
        };
    })
    .await
}

#[tokio::test]
async fn known_keys_keep_their_answers_while_the_key_source_fails_and_rotates() {
    let (logs, _guard) = capture();
    let s = fault_stack().await;
    assert_eq!(jwks_requests(&s).await, 2, "one hydrate per function");
    fault_sequence(&s).await;
    // Operators see each failed fetch, with its cause: one per function and fault.
    let logs = logs.text();
    let failed: Vec<&str> = logs.lines().filter(|l| l.contains("JWKS fetch failed")).collect();
    assert_eq!(failed.len(), 2 * FAULTS.len(), "{failed:#?}");
    for cause in [
        "request failed",
        "unexpected http status 500",
        "not a jwks document",
        "no usable rs256 signing key",
    ] {
        assert!(
            failed.iter().any(|l| l.to_lowercase().contains(cause)),
            "no failed fetch says `{cause}`: {failed:#?}"
        );
    }
}

#[tokio::test]
async fn metric_lines_follow_emf_and_no_line_holds_a_secret() {
    let (logs, _guard) = capture();
    let s = fault_stack().await;
    let mut secrets = attack_like_requests(&s).await;
    secrets.extend(fault_sequence(&s).await);
    for user in &s.cognito.users {
        secrets.push(user.password.clone());
    }
    secrets.extend([
        CLIENT_SECRET.to_owned(),
        MACHINE_SECRET.to_owned(),
        s.cognito.client_secret.clone(),
    ]);
    let logs = logs.text();
    let lines: Vec<&str> = logs.lines().collect();
    assert!(lines.len() > 100, "too few lines captured: {}", lines.len());
    for line in &lines {
        assert!(!has_email(line), "an email in: {line}");
        let leaked = leaks(line, &secrets);
        assert!(leaked.is_empty(), "a secret ({leaked:?}) in: {line}");
    }

    let mut names = std::collections::BTreeSet::new();
    let mut denied_codes = std::collections::BTreeSet::new();
    for line in &lines {
        let event: Value = serde_json::from_str(line).unwrap();
        let Some(emf) = event["fields"]["emf"].as_str() else {
            continue;
        };
        let doc: Value = serde_json::from_str(emf).unwrap();
        assert_eq!(emf_problems(&doc), Vec::<String>::new(), "{emf}");
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "claimsgate");
        for directive in doc["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            assert_eq!(directive["Dimensions"][0][0], "FunctionName", "{emf}");
            for metric in directive["Metrics"].as_array().unwrap() {
                names.insert(metric["Name"].as_str().unwrap().to_owned());
            }
        }
        if let Some(code) = doc["Code"].as_str() {
            denied_codes.insert(code.to_owned());
        }
    }
    let expected = [
        "Allowed",
        "Denied",
        "JwksFetch",
        "JwksFetchFailed",
        "PetAssigned",
        "TokenCacheHit",
        "VerifyMicros",
    ];
    assert_eq!(names, expected.map(str::to_owned).into(), "metrics seen");
    for code in [
        "route_not_allowed",
        "invalid_signature",
        "alg_not_allowed",
        "unknown_kid",
        "jwks_unavailable",
        "token_too_large",
    ] {
        assert!(denied_codes.contains(code), "no Denied for {code}: {denied_codes:?}");
    }
}

#[tokio::test]
async fn a_key_source_that_never_answered_fails_closed() {
    let (_logs, _guard) = capture();
    // JWKS_URI points the functions at a port where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let s = stack_with(AuthorizerKind::Token, |s| {
        s.function_env.insert("JWKS_URI".into(), uri);
    })
    .await;
    let dogs = s.tokens_for(DOGS.0).await.unwrap();
    for path in PATHS {
        assert_eq!(
            status(&s, path, Some(&dogs.id_token)).await,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    assert_eq!(jwks_requests(&s).await, 0, "the stand-in's JWKS was never asked");
}
