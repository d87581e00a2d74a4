//! `verify`: the cost of a verification against its floor, the RS256 check itself.
//!
//! Three cases on the same token and key, in one run:
//! - `raw_rs256_preparsed`: aws-lc-rs verifying the signature with a key parsed once (the floor);
//! - `verify_cold_token_cache`: the whole verifier with the verified-token cache disabled;
//! - `verify_token_cache_hit`: the whole verifier when the token was verified before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::signing::SigningKey;
use claimsgate_core::{StaticFetcher, SystemClock, TokenUsePolicy, Verifier, VerifierConfig};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench";

fn bench(c: &mut Criterion) {
    let key = SigningKey::generate("bench-key").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // A realistic Cognito ID token, about 1 KiB.
    let token = key
        .sign(&json!({
            "sub": "8f1c2a40-1c1a-4f3e-9d2b-3c4d5e6f7a8b",
            "cognito:groups": ["readers", "writers"],
            "email_verified": true,
            "iss": ISS,
            "cognito:username": "test-user",
            "origin_jti": "4f0d8a5c-2d6e-4c55-a0b4-6a4f2e9b8c7d",
            "aud": "bench-client",
            "event_id": "a6a5f8e1-2b3c-4d5e-8f9a-0b1c2d3e4f5a",
            "token_use": "id",
            "auth_time": now,
            "pet_preference": "dogs",
            "exp": now + 3600,
            "iat": now,
            "jti": "0b9d3f5e-7a1c-4e2d-9f8b-6c5a4d3e2f1a",
            "email": "test-user@amazon.com",
        }))
        .unwrap();

    let (signed, sig) = token.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    let floor = RsaPublicKeyComponents {
        n: key.modulus(),
        e: key.exponent(),
    }
    .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
    .unwrap();

    let jwks = key.jwks().to_string().into_bytes();
    let verifier = |capacity: u64| {
        let mut config = VerifierConfig::for_issuer(ISS, &["bench-client"], TokenUsePolicy::Any);
        config.token_cache_capacity = capacity;
        Verifier::new(
            &config,
            Arc::new(StaticFetcher::new(jwks.clone())),
            Arc::new(SystemClock),
        )
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let cold = verifier(0);
    let warm = verifier(1000);
    rt.block_on(async {
        cold.hydrate().await;
        warm.verify(&token).await.unwrap();
    });

    let mut group = c.benchmark_group("verify");
    group.bench_function("raw_rs256_preparsed", |b| {
        b.iter(|| {
            floor
                .verify_sig(black_box(signed.as_bytes()), black_box(&sig))
                .unwrap()
        });
    });
    group.bench_function("verify_cold_token_cache", |b| {
        b.iter(|| run(&rt, cold.verify(black_box(&token))).unwrap());
    });
    group.bench_function("verify_token_cache_hit", |b| {
        b.iter(|| run(&rt, warm.verify(black_box(&token))).unwrap());
    });
    group.finish();
}

/// Polls once: with the keys cached, verification never waits, so the bench
/// measures the verifier rather than the runtime; anything else goes to tokio.
fn run<F: Future>(rt: &tokio::runtime::Runtime, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => rt.block_on(future),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
