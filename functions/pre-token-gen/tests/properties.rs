//! Property tests: arbitrary events and attribute strings never panic, always
//! get an answer (or the one clear refusal), and never earn `dogs` by accident.
//! And real events from the fixtures, with any of their values swapped for any
//! JSON (a missing list, a number for an object, a null attribute map...), are
//! answered under every configuration, and nothing but `response` changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use pre_token_gen::{Config, respond};
use proptest::prelude::*;
use proptest::test_runner::{Config as Cases, TestRunner};
use serde_json::{Map, Value, json};

/// Keys of real events, so random objects reach the paths the handler reads.
const KEYS: &[&str] = &[
    "version",
    "triggerSource",
    "request",
    "response",
    "userAttributes",
    "email",
    "email_verified",
    "custom:pet_preference",
    "scopes",
    "groupConfiguration",
    "claimsOverrideDetails",
    "claimsAndScopeOverrideDetails",
    "idTokenGeneration",
    "accessTokenGeneration",
    "claimsToAddOrOverride",
    "claimsToSuppress",
    "groupOverrideDetails",
    "groupsToOverride",
    "pet_preference",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => ".{0,8}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("1".to_owned()),
            Just("2".to_owned()),
            Just("3".to_owned()),
            Just("true".to_owned()),
            Just("dogs".to_owned()),
            Just("test-user@amazon.com".to_owned()),
            ".{0,12}".prop_map(|s| s)
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn without_response(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(map) = value.as_object_mut() {
        map.remove("response");
    }
    value
}

/// The group overrides Cognito reads each list at least one group.
fn no_empty_group_override(response: &Value) -> bool {
    ["claimsOverrideDetails", "claimsAndScopeOverrideDetails"].iter().all(|details| match response
        .get(details)
        .and_then(|d| d.get("groupOverrideDetails"))
    {
        None => true,
        Some(group) => group["groupsToOverride"].as_array().is_some_and(|g| !g.is_empty()),
    })
}

/// Every `pet_preference` value written anywhere in the response.
fn pets_written(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "claimsToAddOrOverride"
                    && let Some(pet) = v.get("pet_preference")
                {
                    out.push(pet.clone());
                }
                pets_written(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| pets_written(v, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_json_gets_an_answer_or_a_clear_refusal(event in json_value()) {
        let config = Config::from_lookup(|name| (name == "SUPPRESS_CLAIMS").then(|| "email".to_owned())).unwrap();
        match respond(&config, event.clone()) {
            Ok(answered) => {
                prop_assert!(event.is_object());
                prop_assert!(answered["response"].is_object());
                prop_assert!(answered.get("response").is_some());
                prop_assert_eq!(without_response(&event), without_response(&answered));
                prop_assert!(no_empty_group_override(&answered["response"]));
            }
            Err(error) => {
                prop_assert!(!event.is_object());
                prop_assert_eq!(error.code(), "event_not_object");
            }
        }
    }

    #[test]
    fn attribute_strings_never_fail_and_never_give_dogs_by_accident(
        version in prop_oneof![Just("1"), Just("2"), Just("3"), Just("V2_0"), Just(""), Just("9")],
        source in prop_oneof![
            Just("TokenGeneration_HostedAuth"), Just("TokenGeneration_Authentication"),
            Just("TokenGeneration_RefreshTokens"), Just("TokenGeneration_NewPasswordChallenge"),
            Just("TokenGeneration_AuthenticateDevice"), Just("TokenGeneration_Other"),
        ],
        email in prop_oneof![".*", "[a-z@.]{0,24}", "[a-z]{1,5}@[a-z.]{0,10}amazon\\.com[a-z.@]{0,6}"],
        verified in prop_oneof![Just("true".to_owned()), Just("TRUE".to_owned()), Just("false".to_owned()), ".{0,6}"],
        preference in prop::option::of(prop_oneof![Just("dogs".to_owned()), Just("Cats".to_owned()), ".{0,8}"]),
    ) {
        let mut attributes = Map::new();
        attributes.insert("email".into(), json!(email));
        attributes.insert("email_verified".into(), json!(verified));
        if let Some(p) = &preference {
            attributes.insert("custom:pet_preference".into(), json!(p));
        }
        let event = json!({"version": version, "triggerSource": source, "request": {"userAttributes": attributes}, "response": {}});
        let answered = respond(&Config::default(), event).unwrap();

        let mut pets = Vec::new();
        pets_written(&answered["response"], &mut pets);
        prop_assert!(!pets.is_empty());
        prop_assert!(pets.iter().all(|p| p == &pets[0]));
        prop_assert!(pets[0] == "dogs" || pets[0] == "cats");

        let asked_dogs = preference.as_deref().is_some_and(|p| p.trim().eq_ignore_ascii_case("dogs"));
        let asked_cats = preference.as_deref().is_some_and(|p| p.trim().eq_ignore_ascii_case("cats"));
        let lower = email.to_ascii_lowercase();
        let earned_by_domain = verified.eq_ignore_ascii_case("true")
            && lower.matches('@').count() == 1
            && (lower.ends_with("@amazon.com") || lower.ends_with(".amazon.com"));
        if pets[0] == "dogs" {
            prop_assert!(asked_dogs || (!asked_cats && earned_by_domain), "dogs for {email:?} verified={verified:?}");
        }
        if asked_dogs {
            prop_assert_eq!(&pets[0], "dogs");
        }
    }
}

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
