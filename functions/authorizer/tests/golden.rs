//! Recorded events in, golden responses out: `tests/fixtures/authorizer/**/*.json`.
//!
//! Each fixture is `{"description", "event", "response"}` or `{..., "error": "Unauthorized"}`.
//! Tokens are signed at test time, so events name them by placeholder
//! (`{{dogs_id_token}}`, ...); the clock is fixed, so every answer is stable.
//! `UPDATE_GOLDEN=1 cargo test -p authorizer --test golden` rewrites the expectations (review the diff).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerResponse, ApiGatewayV2CustomAuthorizerSimpleResponse,
};
use serde_json::{Value, json};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/authorizer")
}

fn fixtures(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            fixtures(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Every response has the shape of `aws_lambda_events`' types, as API Gateway expects.
fn assert_typed(file: &Path, response: &Value) {
    let ok = if response.get("isAuthorized").is_some() {
        serde_json::from_value::<ApiGatewayV2CustomAuthorizerSimpleResponse>(response.clone())
            .is_ok_and(|r| r.context.is_object())
    } else {
        serde_json::from_value::<ApiGatewayCustomAuthorizerResponse>(response.clone())
            .is_ok_and(|r| r.principal_id.is_some() && !r.policy_document.statement.is_empty())
    };
    let flat = response["context"]
        .as_object()
        .is_some_and(|c| c.len() == 7 && c.values().all(Value::is_string));
    assert!(ok && flat, "{}: {response}", file.display());
}

#[tokio::test]
async fn every_fixture_gets_its_golden_response() {
    let harness = common::Harness::new();
    let placeholders = harness.placeholders();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut files = Vec::new();
    fixtures(&fixture_dir(), &mut files);
    files.sort();
    assert!(files.len() >= 30, "expected the fixture set, found {} files", files.len());

    let mut failures = Vec::new();
    for file in &files {
        let raw = std::fs::read_to_string(file).unwrap();
        let mut fixture: Value = serde_json::from_str(&raw).unwrap();
        let mut event_text = fixture["event"].to_string();
        for (name, token) in &placeholders {
            event_text = event_text.replace(name, token);
        }
        assert!(!event_text.contains("{{"), "{}: unknown placeholder", file.display());
        let event: Value = serde_json::from_str(&event_text).unwrap();
        let got = match harness.call(event).await {
            Ok(response) => {
                assert_typed(file, &response);
                json!({"response": response})
            }
            Err(e) => json!({"error": e.to_string()}),
        };
        let want = json!({
            "response": fixture.get("response").cloned(),
            "error": fixture.get("error").cloned(),
        });
        let got_full = json!({
            "response": got.get("response").cloned(),
            "error": got.get("error").cloned(),
        });
        if update {
            let obj = fixture.as_object_mut().unwrap();
            obj.remove("response");
            obj.remove("error");
            obj.extend(got.as_object().unwrap().clone());
            let text = serde_json::to_string_pretty(&fixture).unwrap();
            std::fs::write(file, text + "\n").unwrap();
        } else if got_full != want {
            failures.push(format!(
                "{}\n  want {want}\n  got  {got_full}",
                file.strip_prefix(fixture_dir()).unwrap_or(file).display()
            ));
        }
    }
    assert!(failures.is_empty(), "{} fixtures differ:\n{}", failures.len(), failures.join("\n"));
}

/// What DESIGN.md gives each fixture's caller, written from the design, not
/// from the code: the routes it may call, or `Unauthorized`.
fn spec(stem: &str) -> Result<&'static [&'static str], &'static str> {
    match stem {
        "expired_token"
        | "garbage_token"
        | "no_token"
        | "raw_token_without_scheme"
        | "wrong_client_token"
        | "basic_auth" => Err("Unauthorized"),
        // The called route cannot be read: nothing is allowed.
        "malformed_arn" => Ok(&[]),
        s if s.starts_with("dogs_") => Ok(&["GET /dogs", "GET /me/claims"]),
        s if s.starts_with("cats_") || s == "lowercase_scheme_and_header" => {
            Ok(&["GET /cats", "GET /me/claims"])
        }
        other => panic!("no spec for fixture {other}: write what DESIGN.md says it may do"),
    }
}

/// The `{api}/{stage}/` prefix and the called `METHOD /path` of an event's ARN.
fn called(event: &Value) -> (String, String) {
    let arn = event["methodArn"].as_str().or(event["routeArn"].as_str()).unwrap_or_default();
    let prefix = "arn:aws:execute-api:us-east-1:123456789012:abc123/";
    let Some(rest) = arn.strip_prefix(prefix) else {
        return (format!("{prefix}prod/"), String::new());
    };
    let (stage, route) = rest.split_once('/').unwrap_or((rest, ""));
    let (method, path) = route.split_once('/').unwrap_or((route, ""));
    (format!("{prefix}{stage}/"), format!("{method} /{path}"))
}

#[tokio::test]
async fn golden_and_fresh_answers_give_the_decisions_of_the_design() {
    let harness = common::Harness::new();
    let placeholders = harness.placeholders();
    let mut files = Vec::new();
    fixtures(&fixture_dir(), &mut files);
    let routes = ["GET /dogs", "GET /cats", "GET /me/claims", "DELETE /dogs", "POST /cats"];
    for file in &files {
        let fixture: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let mut event_text = fixture["event"].to_string();
        for (name, token) in &placeholders {
            event_text = event_text.replace(name, token);
        }
        let fresh = match harness.call(serde_json::from_str(&event_text).unwrap()).await {
            Ok(response) => json!({"response": response}),
            Err(e) => json!({"error": e.to_string()}),
        };
        let (prefix, route) = called(&fixture["event"]);
        for (which, answer) in [("golden", &fixture), ("fresh", &fresh)] {
            let what = format!("{} ({which})", file.display());
            match spec(stem) {
                Err(error) => assert_eq!(answer["error"], json!(error), "{what}"),
                Ok(allowed) if answer["response"].get("isAuthorized").is_some() => {
                    let want = allowed.contains(&route.as_str());
                    assert_eq!(answer["response"]["isAuthorized"], json!(want), "{what}");
                }
                Ok(allowed) => {
                    let policy = &answer["response"]["policyDocument"];
                    for r in routes {
                        let (method, path) = r.split_once(' ').unwrap();
                        let arn = format!("{prefix}{method}{path}");
                        let want = allowed.contains(&r);
                        assert_eq!(common::iam::permits(policy, &arn), want, "{what}: {r}");
                    }
                }
            }
        }
    }
}
