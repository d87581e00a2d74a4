//! IAM policy evaluation as API Gateway applies an authorizer's policy:
//! an explicit Deny wins, an Allow is needed, `*` and `?` are wildcards.
//!
//! It uses nothing else of the crate (IAM's wildcard match is the authorizer's
//! `policies::route::glob_matches`, the one copy); it is used by `apigw::rest`.

use authorizer::policies::route::glob_matches as glob;
use serde_json::Value;

/// The outcome for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluation {
    /// A matching Allow and no matching Deny.
    Allow,
    /// A matching Deny.
    ExplicitDeny,
    /// No statement matches.
    ImplicitDeny,
}

/// Evaluates `policy` (an IAM policy document) for invoking `method_arn`.
#[must_use]
pub fn evaluate(policy: &Value, method_arn: &str) -> Evaluation {
    let statements: Vec<&Value> = match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Evaluation::ImplicitDeny,
    };
    let mut allowed = false;
    for statement in statements {
        let action_matches = strings(statement.get("Action"))
            .iter()
            .any(|a| glob(&a.to_ascii_lowercase(), "execute-api:invoke"));
        let resource_matches =
            strings(statement.get("Resource")).iter().any(|r| glob(r, method_arn));
        if !(action_matches && resource_matches) {
            continue;
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return Evaluation::ExplicitDeny,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    if allowed { Evaluation::Allow } else { Evaluation::ImplicitDeny }
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:local/prod/GET/dogs";

    #[test]
    fn explicit_deny_wins_and_allow_is_needed() {
        let allow =
            |r: &str| json!({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": [r]});
        let deny =
            |r: &str| json!({"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": r});
        let doc = |s: Vec<Value>| json!({"Version": "2012-10-17", "Statement": s});
        assert_eq!(evaluate(&doc(vec![allow(ARN)]), ARN), Evaluation::Allow);
        assert_eq!(evaluate(&doc(vec![allow("*"), deny(ARN)]), ARN), Evaluation::ExplicitDeny);
        assert_eq!(evaluate(&doc(vec![allow("arn:*/GET/cats")]), ARN), Evaluation::ImplicitDeny);
        assert_eq!(evaluate(&doc(vec![allow("arn:*/???/dogs")]), ARN), Evaluation::Allow);
        assert_eq!(evaluate(&doc(vec![allow("arn:*/GET/dogs/*")]), ARN), Evaluation::ImplicitDeny);
        assert_eq!(evaluate(&doc(vec![]), ARN), Evaluation::ImplicitDeny);
        assert_eq!(evaluate(&json!({}), ARN), Evaluation::ImplicitDeny);
        let other_action = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"});
        assert_eq!(evaluate(&doc(vec![other_action]), ARN), Evaluation::ImplicitDeny);
    }
}
