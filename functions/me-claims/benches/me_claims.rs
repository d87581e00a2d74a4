//! The whole handler, request in and response out, for a fresh and for a repeated token.
//!
//! "Fresh" is a token this warm instance has not seen: the verifier does the
//! RSA check. The pre-minted tokens are handed out in turn, and the app (with
//! its verified-token cache) is rebuilt, untimed, whenever they run out, so no
//! fresh-token call can hit the cache. "Repeated" is the same token every
//! time: a cache hit plus the time checks.
//!
//! `cargo bench -p me-claims`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use claimsgate_core::signing::SigningKey;
use claimsgate_core::testing::{StaticFetcher, cognito_id_claims, test_key};
use claimsgate_core::{Clock, SystemClock, TokenUsePolicy, Verifier, VerifierConfig};
use criterion::{Criterion, criterion_group, criterion_main};
use lambda_http::Request;
use me_claims::App;
use tokio::runtime::Runtime;

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench";
const CLIENT: &str = "bench-client";
const POOL: usize = 512;
const EVENT: &str = include_str!("../../../tests/fixtures/me-claims/rest-v1-authorizer.json");

/// A warm instance: keys fetched, verified-token cache empty.
fn app(key: &SigningKey, rt: &Runtime) -> App {
    let config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any).unwrap();
    let fetcher = Arc::new(StaticFetcher::new(key.jwks().to_string().into_bytes()));
    let verifier = Verifier::new(&config, fetcher, Arc::new(SystemClock));
    rt.block_on(verifier.hydrate());
    App::new(verifier, Vec::new())
}

fn request(token: &str) -> Request {
    lambda_http::request::from_str(&EVENT.replace("{{TOKEN}}", token)).unwrap()
}

/// Times `iters` calls, the request for call `i` made (untimed) by `request(i)`.
fn timed(
    iters: u64,
    mut request: impl FnMut(usize) -> (Request, Option<App>),
    rt: &Runtime,
    app: &mut App,
) -> Duration {
    let mut total = Duration::ZERO;
    for i in 0..usize::try_from(iters).unwrap() {
        let (req, fresh_app) = request(i);
        if let Some(fresh_app) = fresh_app {
            *app = fresh_app;
        }
        let start = Instant::now();
        let response = rt.block_on(app.handle(req)).unwrap();
        total += start.elapsed();
        assert_eq!(response.status(), 200);
        black_box(response);
    }
    total
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let key = test_key(0, "bench-kid");
    let now = SystemClock.now_secs();
    let tokens: Vec<String> = (0..POOL)
        .map(|i| key.sign(&cognito_id_claims(ISS, CLIENT, now, &format!("bench-{i}"))).unwrap())
        .collect();
    let mut group = c.benchmark_group("me_claims");
    group.bench_function("handler_fresh_token", |b| {
        let mut current = app(&key, &rt);
        b.iter_custom(|iters| {
            let next = |i: usize| {
                let slot = i % POOL;
                let renew = (slot == 0).then(|| app(&key, &rt));
                (request(&tokens[slot]), renew)
            };
            timed(iters, next, &rt, &mut current)
        });
    });
    group.bench_function("handler_repeated_token", |b| {
        let mut current = app(&key, &rt);
        b.iter_custom(|iters| timed(iters, |_| (request(&tokens[0]), None), &rt, &mut current));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
