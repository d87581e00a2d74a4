//! Cache safety as a property, over generated policy stores.
//!
//! API Gateway caches a REST authorizer's policy per token and replays it on
//! the token's next calls, whatever their route. So for any store (routes with
//! literals, `{param}`s and `{proxy+}`, policies by group, claim and action,
//! `forbid`s among them), any principal and any called route, the returned
//! policy, evaluated as IAM does (`common::iam`, written apart from the
//! authorizer) on every concrete request of every route, must give
//! what Cedar itself decides for that route (asked directly, one request per
//! route, with the policies as written).
//!
//! The one exception is the conflict no IAM policy can express (a `{param}` and
//! a `{proxy+}` route catching each other's requests, with different
//! decisions): there the policy may refuse what Cedar allows, never allow what
//! it refuses, and the store must report the conflict.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::cell::Cell;
use std::collections::{BTreeSet, HashSet};
use std::str::FromStr;

use authorizer::policies::Routes;
use cedar_policy::{
    Authorizer as Cedar, Context, Decision, Entities, Entity, EntityUid, PolicySet, Request,
    RestrictedExpression,
};
use common::{Harness, arn, token_event};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

const POOL: &str = "us-east-1_TestPool";
const GROUPS: [&str; 3] = ["admins", "vets", "banned"];
/// Segment values of concrete requests: every literal of the templates, and others.
const VALUES: [&str; 4] = ["a", "b", "7", "x-y"];

/// A route template: a method and up to three segments.
fn route() -> impl Strategy<Value = String> {
    let segment = select(&["a", "b", "{p}", "{q}", "{rest+}"][..]);
    (select(&["get", "post", "any"][..]), prop::collection::vec(segment, 0..4)).prop_map(
        |(method, segments)| {
            // A greedy parameter only last, each parameter name once.
            let mut seen = HashSet::new();
            let mut path = String::new();
            for (i, s) in segments.iter().enumerate() {
                let s = if s.starts_with('{') && !seen.insert(*s) { "b" } else { *s };
                if s == "{rest+}" && i + 1 != segments.len() {
                    path.push_str("/a");
                } else {
                    path.push('/');
                    path.push_str(s);
                }
            }
            if path.is_empty() {
                path.push('/');
            }
            format!("{method} {path}")
        },
    )
}

/// One policy over the routes (by index): its effect, its action scope and its condition.
fn policy(routes: usize) -> impl Strategy<Value = (bool, Vec<usize>, u8, bool)> {
    (
        prop::bool::weighted(0.25),
        prop::collection::vec(0..routes.max(1), 0..3),
        0u8..5,
        prop::bool::weighted(0.2),
    )
}

fn schema(routes: &[String]) -> String {
    let actions: Vec<String> = routes.iter().map(|r| format!("{r:?}")).collect();
    format!(
        "namespace T {{ entity UserGroup; entity Application; \
         entity User in [UserGroup] {{ \"pet\"?: String }}; \
         action {} appliesTo {{ principal: [User], resource: [Application] }}; }}",
        actions.join(", ")
    )
}

/// The policy's text: `forbid`/`permit`, on the routes listed (all when none), when a condition holds.
fn policy_text(
    routes: &[String],
    (forbid, on, condition, unless_first): &(bool, Vec<usize>, u8, bool),
) -> String {
    let effect = if *forbid { "forbid" } else { "permit" };
    let on: BTreeSet<&String> = on.iter().filter_map(|&i| routes.get(i)).collect();
    let action = match on.len() {
        0 => "action".to_owned(),
        1 => format!("action == T::Action::{:?}", on.iter().next().unwrap()),
        _ => format!(
            "action in [{}]",
            on.iter().map(|r| format!("T::Action::{r:?}")).collect::<Vec<_>>().join(", ")
        ),
    };
    let principal = match condition {
        0 => format!("principal in T::UserGroup::\"{POOL}|{}\"", GROUPS[0]),
        1 => format!("principal in T::UserGroup::\"{POOL}|{}\"", GROUPS[1]),
        2 => format!("principal in T::UserGroup::\"{POOL}|{}\"", GROUPS[2]),
        _ => "principal".to_owned(),
    };
    let mut when = match condition {
        3 => " when { principal has pet && principal.pet == \"dogs\" }".to_owned(),
        _ => String::new(),
    };
    if *unless_first {
        // A condition that reads `action`: this policy is evaluated route by route.
        when.push_str(&format!(" unless {{ action == T::Action::{:?} }}", routes[0]));
    }
    format!("{effect} ({principal}, {action}, resource){when};")
}

/// Cedar's own decision for each route, one request per route, with the policies as written.
fn cedar_decisions(
    routes: &[String],
    policies: &str,
    groups: &[&str],
    pet: Option<&str>,
) -> Vec<bool> {
    let set = PolicySet::from_str(policies).unwrap();
    let principal = EntityUid::from_str(&format!("T::User::\"{POOL}|sub-1\"")).unwrap();
    let parents: HashSet<EntityUid> = groups
        .iter()
        .map(|g| EntityUid::from_str(&format!("T::UserGroup::\"{POOL}|{g}\"")).unwrap())
        .collect();
    let attrs = pet
        .map(|p| ("pet".to_owned(), RestrictedExpression::new_string(p.to_owned())))
        .into_iter()
        .collect();
    let entities =
        Entities::from_entities([Entity::new(principal.clone(), attrs, parents).unwrap()], None)
            .unwrap();
    let resource = EntityUid::from_str("T::Application::\"T\"").unwrap();
    routes
        .iter()
        .map(|r| {
            let action = EntityUid::from_str(&format!("T::Action::{r:?}")).unwrap();
            let request =
                Request::new(principal.clone(), action, resource.clone(), Context::empty(), None)
                    .unwrap();
            Cedar::new().is_authorized(&request, &set, &entities).decision() == Decision::Allow
        })
        .collect()
}

/// Concrete requests of a template: each parameter one of [`VALUES`], a greedy one one to three segments.
fn requests(route: &str) -> Vec<(String, String)> {
    let (method, path) = route.split_once(' ').unwrap();
    let methods: Vec<&str> =
        if method == "any" { vec!["GET", "POST", "DELETE"] } else { vec![method] };
    let mut paths = vec![String::new()];
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let choices: Vec<String> = if segment.ends_with("+}") {
            let mut tails = Vec::new();
            for a in VALUES {
                tails.push(format!("/{a}"));
                for b in VALUES {
                    tails.push(format!("/{a}/{b}"));
                    tails.push(format!("/{a}/{b}/7"));
                }
            }
            tails
        } else if segment.starts_with('{') {
            VALUES.iter().map(|v| format!("/{v}")).collect()
        } else {
            vec![format!("/{segment}")]
        };
        paths = paths.iter().flat_map(|p| choices.iter().map(move |c| format!("{p}{c}"))).collect();
    }
    let paths: Vec<String> =
        paths.into_iter().map(|p| if p.is_empty() { "/".into() } else { p }).collect();
    methods
        .iter()
        .flat_map(|m| paths.iter().map(move |p| (m.to_ascii_uppercase(), p.clone())))
        .collect()
}

/// `denies` (a Deny statement) beside an Allow of everything: permits exactly what the Deny does not catch.
fn conflict_allow(denies: &Value) -> Value {
    let mut policy = denies.clone();
    policy["Statement"].as_array_mut().unwrap().push(json!({"Effect": "Allow", "Resource": "*"}));
    policy
}

#[test]
fn replayed_policies_give_cedars_decision_on_every_route() {
    let rt = common::runtime();
    let strategy = prop::collection::vec(route(), 1..6)
        .prop_filter_map("one action per route", |routes| {
            let unique: Vec<String> =
                routes.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
            Routes::new(unique.iter().map(String::as_str)).ok().map(|_| unique)
        })
        .prop_flat_map(|routes| {
            let n = routes.len();
            (
                Just(routes),
                prop::collection::vec(policy(n), 1..6),
                prop::sample::subsequence(GROUPS.to_vec(), 0..=3),
                select(&[Some("dogs"), Some("cats"), None][..]),
                0..n,
            )
        });
    let mut runner =
        TestRunner::new(Config { failure_persistence: None, ..Config::with_cases(256) });
    let conflicts = Cell::new(0);
    let checked = Cell::new(0);
    runner
        .run(&strategy, |(routes, policies, groups, pet, called)| {
            let text: Vec<String> = policies.iter().map(|p| policy_text(&routes, p)).collect();
            let store = common::store(&schema(&routes), &[&text.join("\n")]);
            let want = cedar_decisions(&routes, &text.join("\n"), &groups, pet);
            // The store orders routes by action id: map Cedar's answers onto it.
            let by_id = |id: &str| routes.iter().position(|r| r == id).unwrap();
            let order: Vec<usize> = store.routes.all().iter().map(|r| by_id(r.id())).collect();
            let h = Harness::with_store(store);
            let mut claims = common::id_claims("sub-1", "someone", None);
            claims["cognito:groups"] = json!(groups);
            if let Some(pet) = pet {
                claims["pet"] = json!(pet);
            }
            let token = h.sign(&claims);
            let (method, path) = requests(&routes[called]).swap_remove(0);
            let picked = h.authorizer.store().routes.select(&method, &path).map(|r| order[r]);
            let answer: Value = rt.block_on(h.call(token_event(&token, &method, &path))).unwrap();
            let allowed: Vec<bool> = order.iter().map(|&i| want[i]).collect();
            let reported = h.authorizer.store().patterns(&allowed).conflicts;
            conflicts.set(conflicts.get() + usize::from(!reported.is_empty()));
            // The requests a reported conflict may refuse: those its route's pattern catches.
            let conflict_denies = json!({"Statement": [{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource":
                reported.iter().map(|&r| format!("{}/{}", common::ARN_PREFIX, h.authorizer.store().routes.all()[r].glob())).collect::<Vec<_>>()}]});
            for (i, route) in routes.iter().enumerate() {
                for (m, p) in requests(route) {
                    let picked = h.authorizer.store().routes.select(&m, &p).map(|r| order[r]);
                    if picked != Some(i) {
                        continue; // API Gateway sends this request to another route.
                    }
                    checked.set(checked.get() + 1);
                    let got = common::iam::permits(&answer["policyDocument"], &arn(&m, &p));
                    prop_assert!(
                        !got || want[i],
                        "{m} {p} ({route}) allowed, Cedar denies; policies {text:?}, groups {groups:?}, pet {pet:?}; answer {answer}"
                    );
                    let conflicted = !common::iam::permits(&conflict_allow(&conflict_denies), &arn(&m, &p));
                    prop_assert!(
                        got == want[i] || conflicted,
                        "{m} {p} ({route}) denied, Cedar allows, no conflict reported for it; policies {text:?}; answer {answer}"
                    );
                }
            }
            // The HTTP API's simple answer is the called route's decision.
            let simple = rt
                .block_on(h.call(json!({
                    "version": "2.0", "type": "REQUEST",
                    "routeArn": arn(&method, &path),
                    "headers": {"authorization": format!("Bearer {token}")},
                })))
                .unwrap();
            prop_assert_eq!(&simple["isAuthorized"], &json!(picked.is_some_and(|r| want[r])), "{:?}", text);
            Ok(())
        })
        .unwrap();
    // The generator reaches both: requests checked, and the conflict no policy can express.
    let (checked, conflicts) = (checked.get(), conflicts.get());
    assert!(checked > 2_000, "only {checked} requests checked");
    assert!(conflicts < 64, "{conflicts} of 256 stores had a conflict");
}
