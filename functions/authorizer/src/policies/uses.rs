//! Which attributes the store's policies read: `principal.x`, `principal has x`,
//! `context.token.y`. Cedar reads an attribute only by name, so a claim no
//! policy names cannot change a decision: the token mapping fills only the
//! attributes read here (a third of a fresh token's Cedar time on the shipped
//! store, measured in the authorizer bench). Works on the policies' JSON
//! form; nothing of the crate is used here.
//!
//! It uses nothing else of the crate; it is used by `policies::principal`, `policies::store`.

use std::collections::HashSet;

use serde_json::Value;

/// The attributes some policy reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uses {
    /// Of the principal.
    pub principal: HashSet<String>,
    /// Of `context.token`; `None` when `context` or `context.token` is used whole.
    pub token: Option<HashSet<String>>,
}

impl Uses {
    /// What the policies (each as Cedar's JSON form) read.
    pub fn of<'a>(policies: impl IntoIterator<Item = &'a Value>) -> Self {
        let mut uses = Self { principal: HashSet::new(), token: Some(HashSet::new()) };
        for policy in policies {
            if let Some(conditions) = policy.get("conditions") {
                uses.walk(conditions);
            }
        }
        uses
    }

    fn walk(&mut self, json: &Value) {
        match json {
            Value::Object(map) => {
                for (op, operand) in map {
                    if let ("." | "has", Some(left), Some(Value::String(attr))) =
                        (op.as_str(), operand.get("left"), operand.get("attr"))
                    {
                        if is_var(left, "principal") {
                            self.principal.insert(attr.clone());
                            continue;
                        }
                        if is_var(left, "context") {
                            // Reached only when no `.x`/`has x` is applied to it: `context.token` whole.
                            if op == "." && attr == "token" {
                                self.token = None;
                            }
                            continue;
                        }
                        if is_context_token(left) {
                            if let Some(token) = &mut self.token {
                                token.insert(attr.clone());
                            }
                            continue;
                        }
                    }
                    if is_var(json, "context") {
                        // `context` as a whole value: fill all of it.
                        self.token = None;
                    }
                    self.walk(operand);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.walk(item)),
            _ => {}
        }
    }

    /// True when a policy may read principal attribute `name`.
    pub fn principal_reads(&self, name: &str) -> bool {
        self.principal.contains(name)
    }

    /// True when a policy may read `context.token`'s attribute `name`.
    pub fn token_reads(&self, name: &str) -> bool {
        self.token.as_ref().is_none_or(|t| t.contains(name))
    }
}

fn is_var(json: &Value, name: &str) -> bool {
    json.get("Var").and_then(Value::as_str) == Some(name)
}

fn is_context_token(json: &Value) -> bool {
    json.get(".").is_some_and(|dot| {
        dot.get("left").is_some_and(|l| is_var(l, "context"))
            && dot.get("attr").and_then(Value::as_str) == Some("token")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_attributes_read_and_only_those() {
        let policy = json!({"conditions": [{"kind": "when", "body": {"&&": {
            "left": {"has": {"left": {"Var": "principal"}, "attr": "pet"}},
            "right": {"==": {
                "left": {".": {"left": {".": {"left": {"Var": "context"}, "attr": "token"}}, "attr": "scope"}},
                "right": {".": {"left": {"Var": "principal"}, "attr": "cognito:username"}}}}}}}]});
        let uses = Uses::of([&policy]);
        assert_eq!(
            uses.principal,
            HashSet::from(["pet".to_owned(), "cognito:username".to_owned()])
        );
        assert!(uses.token_reads("scope") && !uses.token_reads("client_id"));
        assert!(!uses.principal_reads("email"));
    }

    #[test]
    fn a_context_used_whole_keeps_every_claim() {
        let policy = json!({"conditions": [{"kind": "when", "body": {"==": {
            "left": {".": {"left": {"Var": "context"}, "attr": "token"}},
            "right": {"Record": {}}}}}]});
        assert!(Uses::of([&policy]).token_reads("anything"));
        let whole = json!({"conditions": [{"kind": "when", "body": {"==": {"left": {"Var": "context"}, "right": {"Record": {}}}}}]});
        assert!(Uses::of([&whole]).token_reads("anything"));
    }

    #[test]
    fn only_context_token_is_the_token_and_a_read_through_a_record_is_the_records() {
        // `context has token && principal.custom.role == "owner" && principal.token.kind == "x"`
        let dot = |left: Value, attr: &str| json!({".": {"left": left, "attr": attr}});
        let policy = json!({"conditions": [{"kind": "when", "body": {"&&": {
            "left": {"has": {"left": {"Var": "context"}, "attr": "token"}},
            "right": {"&&": {
                "left": {"==": {"left": dot(dot(json!({"Var": "principal"}), "custom"), "role"), "right": {"Value": "owner"}}},
                "right": {"==": {"left": dot(dot(json!({"Var": "principal"}), "token"), "kind"), "right": {"Value": "x"}}}}}}}}]});
        let uses = Uses::of([&policy]);
        assert_eq!(uses.principal, HashSet::from(["custom".to_owned(), "token".to_owned()]));
        assert_eq!(uses.token, Some(HashSet::new()), "`context has token` reads no claim of it");
        assert!(!uses.token_reads("role") && !uses.token_reads("kind"));
    }
}
