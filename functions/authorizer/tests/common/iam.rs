//! IAM's evaluation of an authorizer's policy, as API Gateway applies it,
//! written for these tests apart from the authorizer (and from the local
//! stack's evaluator): a Deny that matches wins, else an Allow must match;
//! in a resource, `*` matches any characters (`/` too) and `?` any one.

use serde_json::Value;

/// True when `policy` (a `policyDocument`) lets the caller invoke `arn`.
pub fn permits(policy: &Value, arn: &str) -> bool {
    let statements = policy["Statement"].as_array().map(Vec::as_slice).unwrap_or_default();
    let matching = |effect: &str| {
        statements.iter().filter(|s| s["Effect"] == effect).any(|s| {
            let resources = match &s["Resource"] {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            resources.iter().any(|r| matches(r.as_bytes(), arn.as_bytes()))
        })
    };
    !matching("Deny") && matching("Allow")
}

/// Glob matching by recursion: clear before fast.
pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| matches(rest, &text[i..])),
        Some((&p, rest)) => text
            .split_first()
            .is_some_and(|(&t, tail)| (p == b'?' || p == t) && matches(rest, tail)),
    }
}
