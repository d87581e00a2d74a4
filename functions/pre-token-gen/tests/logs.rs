//! What the trigger logs: the decision with `sub` and the rule, never the email.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use claimsgate_core::testing::LogCapture;
use pre_token_gen::{Config, respond};
use serde_json::json;

fn logs_of(event: serde_json::Value) -> String {
    let captured = LogCapture::default();
    tracing::subscriber::with_default(captured.subscriber(), || {
        respond(&Config::default(), event).unwrap();
    });
    captured.text()
}

#[test]
fn the_decision_is_logged_without_the_email() {
    let logs = logs_of(json!({
        "version": "2",
        "triggerSource": "TokenGeneration_Authentication",
        "request": {"userAttributes": {
            "sub": "0b1c-sub-42",
            "email": "private.person@corp.amazon.com",
            "email_verified": "true",
            "custom:pet_preference": "parrots"
        }},
        "response": {}
    }));
    let decision = logs.lines().find(|l| l.contains("pet_preference decided")).expect(&logs);
    for field in [
        "\"sub\":\"0b1c-sub-42\"",
        "\"pet_preference\":\"dogs\"",
        "\"basis\":\"email_domain\"",
        "\"rule\":\"amazon.com\"",
        "\"trigger_source\":\"TokenGeneration_Authentication\"",
    ] {
        assert!(decision.contains(field), "{field} missing in {decision}");
    }
    assert!(logs.contains("custom:pet_preference is not dogs or cats"), "{logs}");
    assert!(!logs.contains("private.person"), "the email leaked into the logs: {logs}");
    assert!(!logs.contains("parrots"), "the attribute value leaked into the logs: {logs}");
    let emf = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|l| l["fields"]["emf"].as_str().map(str::to_owned))
        .expect(&logs);
    let emf: serde_json::Value = serde_json::from_str(&emf).unwrap();
    assert_eq!(emf["PetAssigned"], 1.0);
    assert_eq!((&emf["Pet"], &emf["Rule"]), (&json!("dogs"), &json!("email_domain")));
    assert_eq!(
        emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["FunctionName", "Pet", "Rule"]])
    );
}

#[test]
fn dropping_an_empty_group_override_is_logged() {
    let logs = logs_of(json!({
        "version": "1",
        "request": {"userAttributes": {}},
        "response": {"claimsOverrideDetails": {"groupOverrideDetails": {"groupsToOverride": []}}}
    }));
    assert!(logs.contains("group override without groups"), "{logs}");
}

/// The JSON log lines whose message is `message`.
fn lines_with(logs: &str, message: &str) -> Vec<serde_json::Value> {
    logs.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|line| line["fields"]["message"] == message)
        .collect()
}

#[test]
fn only_an_unknown_trigger_source_is_logged_as_unknown() {
    const UNKNOWN: &str = "unknown trigger source; answering like a sign-in";
    let event = |source: &str| {
        json!({
            "version": "2",
            "triggerSource": source,
            "request": {"userAttributes": {}},
            "response": {}
        })
    };
    let lines = lines_with(&logs_of(event("TokenGeneration_SomethingNew")), UNKNOWN);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["level"], "INFO");
    assert_eq!(lines[0]["fields"]["trigger_source"], "TokenGeneration_SomethingNew");
    for source in pre_token_gen::KNOWN_TRIGGER_SOURCES {
        assert_eq!(lines_with(&logs_of(event(source)), UNKNOWN).len(), 0, "{source}");
    }
}

#[test]
fn a_response_that_is_not_an_object_is_replaced_with_a_warning() {
    const REPLACED: &str = "replaced a value that is not an object";
    let event = |response: serde_json::Value| json!({"version": "1", "request": {"userAttributes": {}}, "response": response});
    let lines = lines_with(&logs_of(event(json!("junk"))), REPLACED);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["level"], "WARN");
    assert_eq!(lines[0]["fields"]["field"], "response");
    // Absent or null is how Cognito sends an empty response: nothing to warn about.
    for response in [json!(null), json!({}), json!({"claimsOverrideDetails": null})] {
        assert_eq!(lines_with(&logs_of(event(response.clone())), REPLACED).len(), 0, "{response}");
    }
}
