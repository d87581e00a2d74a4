//! Property: the trigger never fails on an event that deserializes. Real
//! events from the fixtures, with any of their values swapped for any JSON
//! (a missing list, a number for an object, a null attribute map...), are
//! answered under every configuration, and nothing but `response` changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use pre_token_gen::{Config, respond};
use proptest::prelude::*;
use proptest::test_runner::{Config as Cases, TestRunner};
use serde_json::Value;

fn fixture_events() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/pre-token-gen");
    let mut events: Vec<Value> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".event.json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    events.sort_by_key(Value::to_string);
    assert!(events.len() >= 10, "the fixture events are there");
    events
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("true".to_owned()),
            Just("dogs".to_owned()),
            Just("test-user@amazon.com".to_owned()),
            Just("1".to_owned()),
            ".{0,10}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// How many values `event` holds below its root.
fn values(event: &Value) -> usize {
    match event {
        Value::Object(map) => map.values().map(|v| 1 + values(v)).sum(),
        Value::Array(items) => items.iter().map(|v| 1 + values(v)).sum(),
        _ => 0,
    }
}

/// Replaces the `n`-th value of `event` (depth first, the root excluded) by `new`.
fn replace_nth(event: &mut Value, n: &mut usize, new: &Value) -> bool {
    let children: Vec<&mut Value> = match event {
        Value::Object(map) => map.values_mut().collect(),
        Value::Array(items) => items.iter_mut().collect(),
        _ => return false,
    };
    for child in children {
        if *n == 0 {
            *child = new.clone();
            return true;
        }
        *n -= 1;
        if replace_nth(child, n, new) {
            return true;
        }
    }
    false
}

fn without_response(event: &Value) -> Value {
    let mut event = event.clone();
    if let Some(map) = event.as_object_mut() {
        map.remove("response");
    }
    event
}

#[test]
fn mutated_real_events_are_always_answered() {
    let events = fixture_events();
    let configs = [
        Config::default(),
        Config::from_lookup(|name| {
            let value = match name {
                "PET_RULES" => "example.com=cats,amazon.com=dogs",
                "DEFAULT_PET" => "none",
                "CLIENT_CREDENTIALS_PET" => "dogs",
                "SUPPRESS_CLAIMS" => "email",
                _ => return None,
            };
            Some(value.to_owned())
        })
        .unwrap(),
    ];
    let edits = prop::collection::vec((any::<prop::sample::Index>(), json_value()), 1..4);
    let mut runner = TestRunner::new(Cases { failure_persistence: None, ..Cases::with_cases(256) });
    runner
        .run(&(any::<prop::sample::Index>(), edits), |(which, edits)| {
            let mut event = which.get(&events).clone();
            for (at, value) in &edits {
                let mut n = at.index(values(&event));
                assert!(replace_nth(&mut event, &mut n, value));
            }
            // What the Lambda runtime hands the handler: the event as it deserializes.
            let event: Value = serde_json::from_str(&event.to_string()).unwrap();
            for config in &configs {
                let answered = respond(config, event.clone());
                prop_assert!(answered.is_ok(), "{:?} for {}", answered, event);
                let answered = answered.unwrap();
                prop_assert!(answered["response"].is_object());
                prop_assert_eq!(without_response(&answered), without_response(&event));
            }
            Ok(())
        })
        .unwrap();
}
