//! The whole handler, request in and response out, for a fresh and for a repeated token.
//!
//! "Fresh" means a token this warm instance has not seen: the verifier does
//! the RSA check. The pool of pre-minted tokens is handed out in turn, and the
//! app (with its verified-token cache) is rebuilt, untimed, whenever the pool
//! wraps, so no fresh-token iteration can hit the cache. "Repeated" is the same
//! token every time: a cache hit plus the time checks. The `verifier_only`
//! cases time
//! the verifier alone on the same tokens, to show what the HTTP layer adds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use claimsgate_core::signing::SigningKey;
use claimsgate_core::{ManualClock, StaticFetcher, TokenUsePolicy, Verifier, VerifierConfig};
use criterion::{Criterion, criterion_group, criterion_main};
use lambda_http::Request;
use me_claims::App;
use serde_json::json;
use tokio::runtime::Runtime;

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench";
const CLIENT: &str = "bench-client";
const NOW: u64 = 1_795_851_600;
const POOL: usize = 512;
const EVENT: &str = include_str!("../../../tests/fixtures/me-claims/rest-v1-authorizer.json");

fn tokens(key: &SigningKey) -> Vec<String> {
    (0..POOL)
        .map(|i| {
            key.sign(&json!({
                "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
                "iss": ISS,
                "aud": CLIENT,
                "token_use": "id",
                "cognito:username": "test-user@amazon.com",
                "cognito:groups": ["pet-owners"],
                "email": "test-user@amazon.com",
                "email_verified": true,
                "pet_preference": "dogs",
                "auth_time": NOW - 60,
                "iat": NOW - 60,
                "exp": NOW + 3600,
                "jti": format!("bench-{i}"),
            }))
            .unwrap()
        })
        .collect()
}

/// A warm instance: keys fetched, verified-token cache empty.
fn app(key: &SigningKey, rt: &Runtime) -> App {
    let config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any);
    let fetcher = Arc::new(StaticFetcher::new(key.jwks().to_string().into_bytes()));
    let verifier = Verifier::new(&config, fetcher, Arc::new(ManualClock::at_secs(NOW)));
    rt.block_on(verifier.hydrate());
    App::new(verifier, Vec::new())
}

fn request(token: &str) -> Request {
    lambda_http::request::from_str(&EVENT.replace("{{TOKEN}}", token)).unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = SigningKey::generate("bench-kid").unwrap();
    let tokens = tokens(&key);
    let mut group = c.benchmark_group("me_claims");

    group.bench_function("handler_fresh_token", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut current = app(&key, &rt);
            for i in 0..iters {
                let slot = usize::try_from(i).unwrap() % POOL;
                if slot == 0 && i > 0 {
                    current = app(&key, &rt);
                }
                let req = request(&tokens[slot]);
                let start = Instant::now();
                let response = rt.block_on(current.handle(req)).unwrap();
                total += start.elapsed();
                assert_eq!(response.status(), 200);
                black_box(response);
            }
            total
        });
    });

    group.bench_function("handler_repeated_token", |b| {
        let current = app(&key, &rt);
        let token = &tokens[0];
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let req = request(token);
                let start = Instant::now();
                let response = rt.block_on(current.handle(req)).unwrap();
                total += start.elapsed();
                assert_eq!(response.status(), 200);
                black_box(response);
            }
            total
        });
    });

    group.bench_function("verifier_only_fresh_token", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut current = app(&key, &rt);
            for i in 0..iters {
                let slot = usize::try_from(i).unwrap() % POOL;
                if slot == 0 && i > 0 {
                    current = app(&key, &rt);
                }
                let start = Instant::now();
                let verified = rt.block_on(current.verifier().verify(&tokens[slot]));
                total += start.elapsed();
                black_box(verified.unwrap());
            }
            total
        });
    });
    group.bench_function("verifier_only_repeated_token", |b| {
        let current = app(&key, &rt);
        let token = &tokens[0];
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let verified = rt.block_on(current.verifier().verify(token));
                total += start.elapsed();
                black_box(verified.unwrap());
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
