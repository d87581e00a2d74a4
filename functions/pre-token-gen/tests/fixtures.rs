//! Golden fixtures: every `*.event.json` under tests/fixtures/pre-token-gen is
//! answered and its `response` compared with `*.response.json`; an optional
//! `*.env.json` holds the environment the case runs with.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pre_token_gen::{Config, handle};
use serde_json::{Value, json};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/pre-token-gen")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn config_for(dir: &Path, case: &str) -> Config {
    let env_path = dir.join(format!("{case}.env.json"));
    if !env_path.exists() {
        return Config::default();
    }
    let env: BTreeMap<String, String> = serde_json::from_value(read_json(&env_path)).unwrap();
    Config::from_lookup(|name| env.get(name).cloned()).unwrap_or_else(|e| panic!("{case}: {e}"))
}

/// Every `groupOverrideDetails` in `value` lists at least one group.
fn no_empty_group_override(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().all(|(key, inner)| {
            let ok = key != "groupOverrideDetails"
                || inner["groupsToOverride"].as_array().is_some_and(|g| !g.is_empty());
            ok && no_empty_group_override(inner)
        }),
        Value::Array(items) => items.iter().all(no_empty_group_override),
        _ => true,
    }
}

#[tokio::test]
async fn every_fixture_matches_its_golden_response() {
    let dir = fixtures_dir();
    let mut cases: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".event.json").map(str::to_owned)
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "expected the fixture set, found {cases:?}");

    let mut versions = BTreeSet::new();
    let mut sources = BTreeSet::new();
    for case in &cases {
        let event = read_json(&dir.join(format!("{case}.event.json")));
        let expected = read_json(&dir.join(format!("{case}.response.json")));
        let config = config_for(&dir, case);

        let answered =
            handle(&config, event.clone()).await.unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(answered["response"], expected, "{case}: response differs from the golden file");
        assert!(no_empty_group_override(&answered), "{case}: empty group override emitted");

        // Everything but `response` comes back untouched.
        let (mut before, mut after) = (event.clone(), answered.clone());
        before.as_object_mut().unwrap().remove("response");
        after.as_object_mut().unwrap().remove("response");
        assert_eq!(before, after, "{case}: the handler changed more than the response");

        versions.insert(event["version"].as_str().unwrap_or("none").to_owned());
        sources.insert(event["triggerSource"].as_str().unwrap_or("none").to_owned());
    }

    for version in ["1", "2", "3"] {
        assert!(versions.contains(version), "no fixture for version {version}");
    }
    for source in pre_token_gen::KNOWN_TRIGGER_SOURCES {
        assert!(sources.contains(*source), "no fixture for {source}");
    }
}

#[tokio::test]
async fn non_object_events_are_refused_with_a_code_and_what_arrived() {
    let cases = [
        (Value::Null, "null"),
        (json!(true), "a boolean"),
        (json!(1), "a number"),
        (json!("x"), "a string"),
        (json!([]), "an array"),
    ];
    for (event, found) in cases {
        let error = handle(&Config::default(), event).await.unwrap_err();
        // What the Lambda invocation reports as its error.
        let reported = lambda_runtime::Diagnostic::from(error);
        assert_eq!(reported.error_type, "event_not_object");
        assert_eq!(
            reported.error_message,
            format!("the event is not a JSON object (it is {found})")
        );
    }
}
