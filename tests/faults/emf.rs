//! CloudWatch's Embedded Metric Format, as a check of a document's structure.

use serde_json::{Value, json};

/// CloudWatch's units, as the EMF specification lists them.
pub(crate) const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// What keeps `doc` from being an EMF document CloudWatch turns into metrics:
/// `_aws.Timestamp` (ms since the epoch), `_aws.CloudWatchMetrics` directives
/// each with a `Namespace`, `Dimensions` (sets of at most 30 names, each a
/// string at the root) and `Metrics` (at most 100, each `Name` a number or
/// numbers at the root, `Unit` a CloudWatch unit). Empty when it conforms.
pub(crate) fn emf_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |text: String| problems.push(text);
    let Some(root) = doc.as_object() else {
        return vec!["not a JSON object".into()];
    };
    let aws = &doc["_aws"];
    match aws["Timestamp"].as_u64() {
        Some(ms) if (1_000_000_000_000..10_000_000_000_000).contains(&ms) => {}
        _ => problem(format!("_aws.Timestamp is not epoch milliseconds: {}", aws["Timestamp"])),
    }
    let directives = aws["CloudWatchMetrics"].as_array().cloned().unwrap_or_default();
    if directives.is_empty() {
        problem("_aws.CloudWatchMetrics is not a non-empty array".into());
    }
    for directive in &directives {
        match directive["Namespace"].as_str() {
            Some(ns) if (1..=255).contains(&ns.len()) => {}
            _ => problem(format!("bad Namespace in {directive}")),
        }
        let Some(sets) = directive["Dimensions"].as_array() else {
            problem(format!("Dimensions is not an array in {directive}"));
            continue;
        };
        for set in sets {
            let names = set.as_array().cloned().unwrap_or_default();
            if !set.is_array() || names.len() > 30 {
                problem(format!("bad dimension set {set}"));
            }
            for name in &names {
                let value = name.as_str().and_then(|n| root.get(n));
                if !value.is_some_and(Value::is_string) {
                    problem(format!("dimension {name} has no string value at the root"));
                }
            }
        }
        let metrics = directive["Metrics"].as_array().cloned().unwrap_or_default();
        if metrics.is_empty() || metrics.len() > 100 {
            problem(format!("Metrics is not 1 to 100 definitions in {directive}"));
        }
        for metric in &metrics {
            let Some(name) = metric["Name"].as_str().filter(|n| (1..=1024).contains(&n.len()))
            else {
                problem(format!("metric without a Name: {metric}"));
                continue;
            };
            let numeric = match root.get(name) {
                Some(Value::Number(_)) => true,
                Some(Value::Array(values)) => {
                    !values.is_empty() && values.len() <= 100 && values.iter().all(Value::is_number)
                }
                _ => false,
            };
            if !numeric {
                problem(format!("metric {name} has no numeric value at the root"));
            }
            if let Some(unit) = metric.get("Unit")
                && !unit.as_str().is_some_and(|u| UNITS.contains(&u))
            {
                problem(format!("metric {name} has unit {unit}"));
            }
        }
    }
    problems
}

#[test]
fn the_emf_check_refuses_what_cloudwatch_would_not_read() {
    let good = json!({
        "_aws": {"Timestamp": 1_767_225_600_000u64, "CloudWatchMetrics": [
            {"Namespace": "claimsgate", "Dimensions": [["FunctionName", "Code"]],
             "Metrics": [{"Name": "Denied", "Unit": "Count"}]}]},
        "FunctionName": "authorizer", "Code": "token_expired", "Denied": 1.0,
    });
    assert_eq!(emf_problems(&good), Vec::<String>::new());
    type Breakage = fn(&mut Value);
    let broken: [(&str, Breakage); 6] = [
        ("seconds, not ms", |d| d["_aws"]["Timestamp"] = json!(1_767_225_600)),
        ("no directives", |d| d["_aws"]["CloudWatchMetrics"] = json!([])),
        ("dimension missing", |d| {
            d.as_object_mut().unwrap().remove("Code");
        }),
        ("value missing", |d| {
            d.as_object_mut().unwrap().remove("Denied");
        }),
        ("value not a number", |d| d["Denied"] = json!("1")),
        ("unknown unit", |d| {
            d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Dogs");
        }),
    ];
    for (why, edit) in broken {
        let mut doc = good.clone();
        edit(&mut doc);
        assert!(!emf_problems(&doc).is_empty(), "{why} passed");
    }
}
