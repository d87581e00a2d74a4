//! Cache safety as a property. API Gateway caches the first answer for a token
//! and replays it on the token's next calls, whatever their route. So for any
//! route table, token and order of calls, each answer must equal the one an
//! authorizer called in another order gives, and replayed on any route it must
//! decide what a call on that route decides.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use claimsgate::policy::{Evaluation, evaluate};
use claimsgate_core::rules::routes::RouteTable;
use claimsgate_core::testing::{ManualClock, StaticFetcher, test_key};
use claimsgate_core::{TokenUsePolicy, Verifier, VerifierConfig};
use common::{CATS_SUB, CLIENT, ISS, NOW, arn, runtime};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// The kid the test key is published under (as the shared harness names it).
const KID: &str = "test-kid-1";
const METHODS: [&str; 2] = ["GET", "POST"];
const PATHS: [&str; 5] = ["/dogs", "/cats", "/me/claims", "/pets", "/"];
const ACCESS: [&str; 5] = ["*", "dogs", "cats", "dogs,cats", "scope:claimsgate/pets.read"];

/// A route table over a few routes, as `ROUTE_RULES` text.
fn table() -> impl Strategy<Value = String> {
    prop::collection::vec((select(&METHODS[..]), select(&PATHS[..]), select(&ACCESS[..])), 1..6)
        .prop_map(|rules| {
            let unique: BTreeMap<_, _> = rules.into_iter().map(|(m, p, a)| ((m, p), a)).collect();
            let rules: Vec<String> = unique
                .into_iter()
                .map(|((method, path), access)| format!("{method} {path}={access}"))
                .collect();
            rules.join(";")
        })
}

/// Claims of a token: a pet (or none, or an odd one), ID or access, with or without the scope.
fn claims() -> impl Strategy<Value = Value> {
    (select(&[Some("dogs"), Some("cats"), Some("birds"), None][..]), any::<bool>(), any::<bool>())
        .prop_map(|(pet, access, scoped)| {
            let mut c = if access {
                common::access_claims(CATS_SUB, "cat-lover", pet)
            } else {
                common::id_claims(CATS_SUB, "cat-lover", pet)
            };
            if scoped {
                c["scope"] = json!("openid claimsgate/pets.read");
            }
            c
        })
}

fn event(rest_request: bool, token: &str, method: &str, path: &str) -> Value {
    if rest_request {
        json!({"type": "REQUEST", "methodArn": arn(method, path), "headers": {"Authorization": format!("Bearer {token}")}})
    } else {
        common::token_event(token, method, path)
    }
}

/// An authorizer over the test key's JWKS, with a small verified-token cache (quick to make).
fn authorizer(table: &RouteTable) -> Authorizer {
    let mut config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any).unwrap();
    config.token_cache_capacity = 64;
    let jwks = test_key(0, KID).jwks().to_string().into_bytes();
    let verifier = Verifier::new(
        &config,
        Arc::new(StaticFetcher::new(jwks)),
        Arc::new(ManualClock::at_secs(NOW)),
    );
    Authorizer::new(verifier, table.clone())
}

/// The handler as Lambda runs it: JSON in, JSON out (every token here is valid, so an answer is due).
fn call(rt: &Runtime, authorizer: &Authorizer, event: Value) -> Value {
    let event: AuthorizerEvent = serde_json::from_value(event).unwrap();
    serde_json::to_value(rt.block_on(authorizer.handle(event)).unwrap()).unwrap()
}

/// What API Gateway does with a cached answer on a call of `resource`.
fn permits(answer: &Value, resource: &str) -> bool {
    evaluate(&answer["policyDocument"], resource) == Evaluation::Allow
}

#[test]
fn any_first_route_gives_answers_right_for_every_route() {
    let rt = runtime();
    let key = test_key(0, KID);
    let signed = RefCell::new(BTreeMap::new());
    let routes: Vec<(&str, &str)> =
        METHODS.iter().flat_map(|m| PATHS.iter().map(move |p| (*m, *p))).collect();
    let calls = prop::collection::vec(select(routes.clone()), 1..5);
    let mut runner =
        TestRunner::new(Config { failure_persistence: None, ..Config::with_cases(32) });
    let strategy = (table(), claims(), any::<bool>(), calls);
    runner
        .run(&strategy, |(rules, claims, rest_request, calls)| {
            let table = RouteTable::from_rules(&rules).unwrap();
            let warm = authorizer(&table);
            // Sixteen kinds of claims: sign each once.
            let token = signed
                .borrow_mut()
                .entry(claims.to_string())
                .or_insert_with(|| key.sign(&claims).unwrap())
                .clone();
            // Each route once, in a fixed order, on another authorizer.
            let reference = authorizer(&table);
            let fresh: Vec<Value> = routes
                .iter()
                .map(|(m, p)| call(&rt, &reference, event(rest_request, &token, m, p)))
                .collect();
            for (method, path) in &calls {
                let answer = call(&rt, &warm, event(rest_request, &token, method, path));
                let at = routes.iter().position(|r| r == &(*method, *path)).unwrap();
                prop_assert_eq!(&answer, &fresh[at], "{} {} after earlier calls", method, path);
                for ((m, p), direct) in routes.iter().zip(&fresh) {
                    prop_assert_eq!(
                        permits(&answer, &arn(m, p)),
                        permits(direct, &arn(m, p)),
                        "answer cached on {} {} replayed on {} {} (table {})",
                        method,
                        path,
                        m,
                        p,
                        rules
                    );
                }
            }
            Ok(())
        })
        .unwrap();
}
