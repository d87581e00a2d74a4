//! `verify`: the cost of a verification against its floor, the RS256 check itself.
//!
//! Three cases on the same token and key, in one run:
//! - `raw_rs256_preparsed`: aws-lc-rs verifying the signature with a key parsed once (the floor);
//! - `verify_cold_token_cache`: the whole verifier with the verified-token cache disabled;
//! - `verify_token_cache_hit`: the whole verifier when the token was verified before.
//!
//! `cargo bench -p claimsgate-core`; the ratio of the first two is what matters.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::jwk::VerifyingKey;
use claimsgate_core::testing::{StaticFetcher, cognito_id_claims, test_key};
use claimsgate_core::{Clock, SystemClock, TokenUsePolicy, Verifier, VerifierConfig};
use criterion::{Criterion, criterion_group, criterion_main};

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench";

fn bench(c: &mut Criterion) {
    let key = test_key(0, "bench-key");
    let now = SystemClock.now_secs();
    let token = key.sign(&cognito_id_claims(ISS, "bench-client", now, "bench-jti")).unwrap();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let floor = VerifyingKey::from_components("k", key.modulus(), key.exponent()).unwrap();

    let jwks = key.jwks().to_string().into_bytes();
    let verifier = |capacity: u64| {
        let mut config =
            VerifierConfig::for_issuer(ISS, &["bench-client"], TokenUsePolicy::Any).unwrap();
        config.token_cache_capacity = capacity;
        let fetcher = Arc::new(StaticFetcher::new(jwks.clone()));
        Verifier::new(&config, fetcher, Arc::new(SystemClock))
    };
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let cold = verifier(0);
    let warm = verifier(1000);
    rt.block_on(async {
        cold.hydrate().await;
        for _ in 0..2 {
            warm.verify(&token).await.unwrap();
        }
    });

    let mut group = c.benchmark_group("verify");
    group.bench_function("raw_rs256_preparsed", |b| {
        b.iter(|| assert!(floor.verify_rs256(black_box(signed.as_bytes()), black_box(&signature))));
    });
    group.bench_function("verify_cold_token_cache", |b| {
        b.iter(|| rt.block_on(cold.verify(black_box(&token))).unwrap());
    });
    group.bench_function("verify_token_cache_hit", |b| {
        b.iter(|| rt.block_on(warm.verify(black_box(&token))).unwrap());
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
