//! The fresh-token ratio, measured side by side: blocks of [`POOL`] handler
//! calls (each on a token never seen, event bytes in, response bytes out) and
//! blocks of as many raw RS256 checks alternate, each pair within a few
//! milliseconds, so a machine that speeds up or slows down moves both alike.
//! Each block follows a few untimed calls of its own kind, so both are timed warm.
//! Prints the median per-call times and the median of the per-round ratios.
//!
//! `cargo bench -p authorizer --bench paired`
//! (without `--bench`, as under `cargo test --benches`, it runs two rounds as a smoke test)
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::hint::black_box;
use std::time::Instant;

use common::{Bench, POOL, WARM_CALLS};

const WARM_UP_ROUNDS: usize = 20;
const ROUNDS: usize = 600;

/// Microseconds per call of `POOL` runs of `f`.
fn per_call(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..POOL {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / POOL as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[f64], p: usize) -> f64 {
    sorted[(sorted.len() - 1) * p / 100]
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let (warm_up, rounds) = if benching {
        (WARM_UP_ROUNDS, ROUNDS)
    } else {
        (0, 2)
    };
    let b = Bench::new();
    let (mut raw, mut fresh, mut repeated, mut ratio) = (vec![], vec![], vec![], vec![]);
    for round in 0..warm_up + rounds {
        let (auth, events) = b.warm_authorizer();
        let mut fresh_events = events.iter();
        let mut fresh_block = || {
            per_call(|| {
                let event = fresh_events.next().unwrap();
                black_box(b.call(&auth, black_box(event)));
            })
        };
        let raw_block = || {
            for _ in 0..WARM_CALLS {
                assert!(b.raw_check());
            }
            per_call(|| assert!(b.raw_check()))
        };
        // Alternate which goes first, so neither always runs on a warmer machine.
        let (f, r) = if round % 2 == 0 {
            let f = fresh_block();
            (f, raw_block())
        } else {
            let r = raw_block();
            (fresh_block(), r)
        };
        // Two calls admit the token to the cache; the timed ones are hits.
        b.call(&auth, &b.repeated);
        b.call(&auth, &b.repeated);
        let again = per_call(|| {
            black_box(b.call(&auth, black_box(&b.repeated)));
        });
        if round >= warm_up {
            raw.push(r);
            fresh.push(f);
            repeated.push(again);
            ratio.push(f / r);
        }
    }
    let ratio_median = median(&mut ratio);
    println!("authorizer, side by side: {rounds} rounds of {POOL} calls per case (medians)");
    println!("  raw_rs256_verify        {:7.2} µs", median(&mut raw));
    println!(
        "  handler_fresh_token     {:7.2} µs   {ratio_median:.2}× raw (rounds: p10 {:.2}×, p90 {:.2}×)",
        median(&mut fresh),
        percentile(&ratio, 10),
        percentile(&ratio, 90),
    );
    println!("  handler_repeated_token  {:7.2} µs", median(&mut repeated));
}
