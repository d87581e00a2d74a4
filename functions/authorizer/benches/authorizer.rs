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
use std::sync::Arc;
use std::time::{Duration, Instant};

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use authorizer::policies::Store;
use authorizer::policies::source::{File, Source};
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

/// A store of 20 routes (literals, `{param}`s, a greedy one) and 14 policies:
/// groups, the pet claim, an email domain, a scope, and a `forbid`.
fn store20() -> Store {
    let mut actions = Vec::new();
    for r in ["dogs", "cats", "birds", "fish"] {
        actions.extend([
            format!("get /{r}"),
            format!("get /{r}/{{id}}"),
            format!("post /{r}"),
            format!("delete /{r}/{{id}}"),
        ]);
    }
    actions.extend(
        ["get /me/claims", "get /files/{path+}", "put /pets/{id}/owner", "any /admin/{action}"]
            .map(String::from),
    );
    let schema = format!(
        "namespace Bench {{ entity UserGroup; entity Application; \
         entity User in [UserGroup] {{ \"pet_preference\"?: String, \"email\"?: String, \"email_verified\"?: Bool }}; \
         type Token = {{ \"scope\"?: Set<String>, \"client_id\"?: String }}; \
         action {} appliesTo {{ principal: [User], resource: [Application], context: {{ \"token\"?: Token }} }}; }}",
        actions.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
    );
    let a = |id: &str| format!("Bench::Action::{id:?}");
    let group = |g: &str| format!("Bench::UserGroup::\"us-east-1_BenchPool|{g}\"");
    let mut policies = Vec::new();
    for r in ["dogs", "cats", "birds", "fish"] {
        policies.push(format!(
            "permit (principal, action in [{}, {}], resource) when {{ principal has pet_preference && principal.pet_preference == \"{r}\" }};",
            a(&format!("get /{r}")), a(&format!("get /{r}/{{id}}"))
        ));
        policies.push(format!(
            "permit (principal in {}, action in [{}, {}], resource);",
            group(&format!("{r}-keepers")),
            a(&format!("post /{r}")),
            a(&format!("delete /{r}/{{id}}"))
        ));
    }
    policies.push(format!("permit (principal, action == {}, resource);", a("get /me/claims")));
    policies.push(format!("permit (principal in {}, action, resource);", group("admins")));
    policies.push(format!(
        "permit (principal, action == {}, resource) when {{ principal has email && principal.email like \"*@example.com\" && principal has email_verified && principal.email_verified }};",
        a("get /files/{path+}")
    ));
    policies.push(format!(
        "permit (principal, action == {}, resource) when {{ context has token && context.token has scope && context.token.scope.contains(\"bench/pets.write\") }};",
        a("put /pets/{id}/owner")
    ));
    policies.push(format!("forbid (principal in {}, action, resource);", group("banned")));
    policies.push(format!(
        "permit (principal in {}, action == {}, resource);",
        group("ops"),
        a("any /admin/{action}")
    ));
    let source = Source {
        folder: None,
        schema: (File { name: "schema.cedarschema".into(), text: schema }, false),
        policies: vec![File { name: "bench.cedar".into(), text: policies.join("\n") }],
    };
    let store = Store::load(source).unwrap();
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
