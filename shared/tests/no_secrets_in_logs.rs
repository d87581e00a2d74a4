//! No token, nor any part of one, reaches the logs: captured from a real run
//! of a successful, a failed and a stale-JWKS verification.
//!
//! In a test binary of its own: tracing's per-thread subscriber would miss
//! events whose interest another test thread cached first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use claimsgate_core::testing::{LogCapture, ManualClock, leaks, test_key};
use claimsgate_core::{Clock, TokenUsePolicy};
use common::*;

#[tokio::test]
async fn logs_never_contain_the_token() {
    let capture = LogCapture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());

    let server = JwksServer::start().await;
    let pool = Pool::new(&server, "us-east-1_Pool1");
    let key = test_key(0, "key-1");
    server.set(&pool.jwks_path, Mode::Serve(jwks_of(&[&key])));
    let clock = Arc::new(ManualClock::at_secs(START));
    let v = verifier(&config(&[&pool], TokenUsePolicy::Any), &clock);
    let good = key.sign(&id_claims(&pool.iss, clock.now_secs())).unwrap();
    let stranger = test_key(1, "ghost");
    let bad = stranger.sign(&id_claims(&pool.iss, clock.now_secs())).unwrap();
    assert_eq!(code(v.verify(&good).await), "ok");
    assert_eq!(code(v.verify(&bad).await), "unknown_kid");
    server.set(&pool.jwks_path, Mode::Status(500, b"{}".to_vec()));
    clock.advance(Duration::from_secs(3601));
    let late = key.sign(&id_claims(&pool.iss, clock.now_secs())).unwrap();
    assert_eq!(code(v.verify(&late).await), "ok");
    // The unknown kid waits for the background refresh the late token started.
    assert_eq!(code(v.verify(&bad).await), "jwks_unavailable");

    let logs = capture.text();
    assert!(logs.contains("unknown_kid"), "the failure is logged with its code:\n{logs}");
    assert!(
        logs.contains("JWKS fetch failed") && logs.contains("jwks_unavailable"),
        "the failed refresh is logged:\n{logs}"
    );
    assert!(logs.contains("token verified"), "the success is logged:\n{logs}");
    let leaked = leaks(&logs, &[good, bad, late]);
    assert!(leaked.is_empty(), "a token, or a segment of one, in the logs: {leaked:?}");
}
