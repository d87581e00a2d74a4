//! `respond`: the cost of answering one trigger event (no I/O; the Lambda's whole work).
//! Each iteration clones the event, as the runtime hands the handler an owned one.
//!
//! - `v1_domain_rule`: a V1 hosted-UI sign-in earning `dogs` by its verified email;
//! - `v2_attribute_with_suppression`: a V2 refresh decided by the attribute, with two claims suppressed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pre_token_gen::{Config, respond};
use serde_json::{Value, json};

fn event(version: &str, source: &str, attributes: Value) -> Value {
    json!({
        "version": version,
        "triggerSource": source,
        "region": "us-east-1",
        "userPoolId": "us-east-1_Bench",
        "userName": "test-user",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "bench-client"},
        "request": {
            "userAttributes": attributes,
            "groupConfiguration": {"groupsToOverride": ["readers"], "iamRolesToOverride": [], "preferredRole": null},
            "scopes": ["openid", "email"]
        },
        "response": {}
    })
}

fn bench(c: &mut Criterion) {
    let plain = Config::default();
    let v1 = event(
        "1",
        "TokenGeneration_HostedAuth",
        json!({"sub": "8f1c2a40", "email": "test-user@corp.amazon.com", "email_verified": "true"}),
    );
    c.bench_function("v1_domain_rule", |b| {
        b.iter(|| respond(&plain, black_box(v1.clone())).unwrap())
    });

    let suppressing = Config::from_lookup(|name| {
        (name == "SUPPRESS_CLAIMS").then(|| "email,phone_number".to_owned())
    })
    .unwrap();
    let v2 = event(
        "2",
        "TokenGeneration_RefreshTokens",
        json!({"sub": "8f1c2a40", "email": "a@example.com", "email_verified": "true", "custom:pet_preference": "Dogs"}),
    );
    c.bench_function("v2_attribute_with_suppression", |b| {
        b.iter(|| respond(&suppressing, black_box(v2.clone())).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
