//! The whole authorizer handler as the Lambda runs it (event JSON bytes in,
//! response JSON bytes out: `AuthorizerEvent` -> `Authorizer::decide` ->
//! `Decision`) for a fresh token and for a repeated one, beside the raw RS256
//! check with a pre-parsed key: the floor a fresh token cannot go below.
//!
//! Fresh tokens: a pool of distinct tokens (distinct `jti`) is signed before
//! timing; each pass over the pool runs on a new authorizer (JWKS hydrated,
//! token cache empty, a few warm-up calls, untimed), so every timed call is a
//! first sighting and does the whole verification.
//!
//! `cargo bench -p authorizer --bench authorizer -- --warm-up-time 1 --measurement-time 3`
//! (`benches/paired.rs` measures the fresh-token ratio side by side.)
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{Bench, POOL};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let b = Bench::new();
    let mut group = c.benchmark_group("authorizer");
    group.bench_function("raw_rs256_verify", |bencher| {
        bencher.iter(|| black_box(b.raw_check()));
    });
    group.bench_function("handler_fresh_token", |bencher| {
        bencher.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = usize::try_from(iters).unwrap();
            while left > 0 {
                let (auth, fresh) = b.warm_authorizer();
                let n = left.min(POOL);
                let start = Instant::now();
                for event in &fresh[..n] {
                    black_box(b.call(&auth, black_box(event)));
                }
                timed += start.elapsed();
                left -= n;
            }
            timed
        });
    });
    let auth = b.authorizer();
    let first = b.call(&auth, &b.repeated);
    assert!(String::from_utf8_lossy(&first).contains("\"Allow\""));
    group.bench_function("handler_repeated_token", |bencher| {
        bencher.iter(|| black_box(b.call(&auth, black_box(&b.repeated))));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
