//! The whole authorizer handler as the Lambda runs it (event JSON in, answer
//! JSON out), for a fresh token and for a repeated one, beside the raw RS256
//! check with a pre-parsed key: the floor a fresh token cannot go below. With
//! the shipped policy store, and with a 20-route store of group, claim and
//! path-parameter rules (every route decided for every token: the policy
//! covers them all).
//!
//! Fresh tokens are distinct (own `jti`), signed before timing; each pass over
//! them runs on a new authorizer, so every timed call is a first sighting.
//!
//! `cargo bench -p authorizer`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use authorizer::policies::Source;
use authorizer::policies::Store;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::jwk::VerifyingKey;
use claimsgate_core::signing::SigningKey;
use claimsgate_core::testing::{StaticFetcher, cognito_id_claims, test_key};
use claimsgate_core::{Clock, SystemClock, TokenUsePolicy, Verifier, VerifierConfig};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BenchPool";
const CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
/// Distinct tokens per pass: a new authorizer every this many fresh calls.
const POOL: usize = 100;

/// The 20-route store of `bench/store20/`: literals, `{id}`s, a greedy route
/// and an `any` one, under 14 policies (groups, the pet claim, an email
/// domain, a scope, a `forbid`). `bench/run` times the same folder.
fn store20() -> Store {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/store20");
    let store = Store::load(Source::read(&folder).unwrap()).unwrap();
    assert_eq!(store.routes.all().len(), 20);
    store
}

fn event(key: &SigningKey, jti: &str) -> Vec<u8> {
    let now = SystemClock.now_secs();
    let mut claims = cognito_id_claims(ISS, CLIENT, now, jti);
    claims["cognito:groups"] = json!(["dogs-keepers", "vets"]);
    let token = key.sign(&claims).unwrap();
    serde_json::to_vec(&json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/dogs",
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let key = test_key(0, "bench-kid");
    let jwks = key.jwks().to_string().into_bytes();
    let authorizer = |store: &dyn Fn() -> Store| {
        let config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any).unwrap();
        let fetcher = Arc::new(StaticFetcher::new(jwks.clone()));
        let verifier = Verifier::new(&config, fetcher, Arc::new(SystemClock));
        let auth = Authorizer::new(verifier, store());
        assert!(rt.block_on(auth.verifier().hydrate()).is_empty());
        auth
    };
    // The handler as the Lambda runtime drives it: bytes to event, event to answer, answer to bytes.
    let call = |auth: &Authorizer, event: &[u8]| {
        let event: AuthorizerEvent = serde_json::from_slice(event).unwrap();
        serde_json::to_vec(&rt.block_on(auth.handle(event)).unwrap()).unwrap()
    };

    let fresh: Vec<Vec<u8>> = (0..POOL).map(|i| event(&key, &format!("fresh-{i}"))).collect();
    let repeated = event(&key, "repeated");
    let token = key.sign(&cognito_id_claims(ISS, CLIENT, SystemClock.now_secs(), "raw")).unwrap();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let floor = VerifyingKey::from_components("k", key.modulus(), key.exponent()).unwrap();
    let shipped = || Store::shipped().unwrap();
    let stores: [(&str, &dyn Fn() -> Store); 2] = [("shipped", &shipped), ("store20", &store20)];

    let mut group = c.benchmark_group("authorizer");
    group.bench_function("raw_rs256_preparsed", |b| {
        b.iter(|| assert!(floor.verify_rs256(black_box(signed.as_bytes()), black_box(&signature))));
    });
    // Cold start: parsing, validating and working out the shipped store, once per process.
    group.bench_function("load_store_shipped", |b| b.iter(|| black_box(Store::shipped().unwrap())));
    for (name, store) in stores {
        let prototype = store();
        group.bench_function(format!("handler_fresh_token_{name}"), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                let mut left = usize::try_from(iters).unwrap();
                while left > 0 {
                    let auth = authorizer(&|| prototype.clone());
                    let n = left.min(POOL);
                    let start = Instant::now();
                    for event in &fresh[..n] {
                        black_box(call(&auth, black_box(event)));
                    }
                    timed += start.elapsed();
                    left -= n;
                }
                timed
            });
        });
        let auth = authorizer(store);
        assert!(String::from_utf8_lossy(&call(&auth, &repeated)).contains("\"Allow\""));
        group.bench_function(format!("handler_repeated_token_{name}"), |b| {
            b.iter(|| black_box(call(&auth, black_box(&repeated))));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
