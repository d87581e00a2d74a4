//! What the trigger logs: the decision with `sub` and the rule, never the email.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use pre_token_gen::{Config, respond};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs_of(event: serde_json::Value) -> String {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        respond(&Config::default(), event).unwrap();
    });
    String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
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
    let decision = logs
        .lines()
        .find(|l| l.contains("pet_preference decided"))
        .expect(&logs);
    for field in [
        "\"sub\":\"0b1c-sub-42\"",
        "\"pet_preference\":\"dogs\"",
        "\"basis\":\"email_domain\"",
        "\"rule\":\"amazon.com\"",
        "\"trigger_source\":\"TokenGeneration_Authentication\"",
    ] {
        assert!(decision.contains(field), "{field} missing in {decision}");
    }
    assert!(
        logs.contains("custom:pet_preference is not dogs or cats"),
        "{logs}"
    );
    assert!(
        !logs.contains("private.person"),
        "the email leaked into the logs: {logs}"
    );
    assert!(
        !logs.contains("parrots"),
        "the attribute value leaked into the logs: {logs}"
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
