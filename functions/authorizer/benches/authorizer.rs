//! The whole authorizer handler as the Lambda runs it (event JSON bytes in,
//! response JSON bytes out: `AuthorizerEvent` -> `Authorizer::decide` ->
//! `Decision`) for a fresh token and for a repeated one, beside the raw RS256
//! check with a pre-parsed key: the floor a fresh token cannot go below.
//!
//! Fresh tokens: a pool of distinct tokens (distinct `jti`) is signed before
//! timing; each pass over the pool runs on a new authorizer (JWKS hydrated,
//! token cache empty, untimed), so every timed call is a first sighting and
//! does the whole verification. The pool is small enough (100 events, about
//! 140 KiB) to stay in the CPU cache, like an event the runtime has just
//! received and like the raw check's input; a pool of thousands would add
//! memory stalls that neither has.
//!
//! `cargo bench -p authorizer --bench authorizer -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::jwk::VerifyingKey;
use claimsgate_core::rules::routes::RouteTable;
use claimsgate_core::signing::SigningKey;
use claimsgate_core::{ManualClock, StaticFetcher, TokenUsePolicy, Verifier, VerifierConfig};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

const NOW: u64 = 1_767_225_600;
const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BenchPool";
const CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
const POOL: usize = 100;

fn claims(jti: usize) -> Value {
    json!({
        "sub": "aaaaaaaa-1111-4a4a-8b8b-000000000001",
        "iss": ISS,
        "aud": CLIENT,
        "token_use": "id",
        "cognito:username": "dog-lover",
        "email": "dog-lover@example.com",
        "email_verified": true,
        "pet_preference": "dogs",
        "auth_time": NOW - 60,
        "iat": NOW - 60,
        "exp": NOW + 3540,
        "jti": format!("bench-{jti:08}"),
        "origin_jti": "0f6b3c2e-1d2a-4c5b-9e8f-7a6b5c4d3e2f",
        "event_id": "5b3f6c1e-2d4a-4b8c-9f1e-3c2d1b0a9f8e",
    })
}

fn event(token: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/dogs",
    }))
    .unwrap()
}

fn authorizer(key: &SigningKey) -> Authorizer {
    authorizer_cap(key, None)
}
fn authorizer_cap(key: &SigningKey, cap: Option<u64>) -> Authorizer {
    let mut config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any);
    if let Some(c) = cap {
        config.token_cache_capacity = c;
    }
    let fetcher = Arc::new(StaticFetcher::new(key.jwks().to_string().into_bytes()));
    let verifier = Verifier::new(&config, fetcher, Arc::new(ManualClock::at_secs(NOW)));
    Authorizer::new(verifier, RouteTable::default())
}

/// The handler as the Lambda runtime drives it: bytes to event, event to decision, decision to bytes.
fn call(rt: &tokio::runtime::Runtime, auth: &Authorizer, event: &[u8]) -> Vec<u8> {
    let event: AuthorizerEvent = serde_json::from_slice(event).unwrap();
    let decision = run(rt, auth.decide(&event)).unwrap();
    serde_json::to_vec(&decision).unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = SigningKey::generate("bench-kid").unwrap();
    let fresh: Vec<Vec<u8>> = (0..POOL)
        .map(|i| event(&key.sign(&claims(i)).unwrap()))
        .collect();
    let repeated = event(&key.sign(&claims(POOL)).unwrap());

    let token = key.sign(&claims(POOL + 1)).unwrap();
    let (signed, sig) = token.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    let raw = VerifyingKey::from_components(key.kid(), key.modulus(), key.exponent()).unwrap();
    assert!(raw.verify_rs256(signed.as_bytes(), &sig));

    let mut group = c.benchmark_group("authorizer");
    group.bench_function("raw_rs256_verify", |b| {
        b.iter(|| black_box(raw.verify_rs256(black_box(signed.as_bytes()), black_box(&sig))));
    });
    group.bench_function("handler_fresh_token", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = usize::try_from(iters).unwrap();
            while left > 0 {
                let auth = authorizer(&key);
                assert!(rt.block_on(auth.verifier().hydrate()).is_empty());
                let n = left.min(POOL);
                let start = Instant::now();
                for event in &fresh[..n] {
                    black_box(call(&rt, &auth, black_box(event)));
                }
                timed += start.elapsed();
                left -= n;
            }
            timed
        });
    });
    let auth = authorizer(&key);
    let first = call(&rt, &auth, &repeated);
    assert!(String::from_utf8_lossy(&first).contains("\"Allow\""));
    group.bench_function("handler_repeated_token", |b| {
        b.iter(|| black_box(call(&rt, &auth, black_box(&repeated))));
    });
    group.finish();
}

/// Polls once: with the keys loaded the handler never waits, so the bench
/// measures the handler rather than the runtime; anything else goes to tokio.
fn run<F: Future>(rt: &tokio::runtime::Runtime, future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => rt.block_on(future),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
