//! The authorizer's answers: a REST IAM policy, or an HTTP API simple response.
//!
//! Built straight as `serde_json::Value` (the handler's output type) rather
//! than through `aws_lambda_events` structs and `to_value`, which would copy
//! every string once more on a path that runs on every request. The shapes are
//! those of `ApiGatewayCustomAuthorizerResponse` and
//! `ApiGatewayV2CustomAuthorizerSimpleResponse`; a test deserializes into them.

use claimsgate_core::VerifiedToken;
use claimsgate_core::rules::routes::{Route, RouteTable};
use serde_json::{Map, Value};

use crate::arn::MethodArn;

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// The flat `context` handed to the integration: always the same six string
/// keys (empty when the token lacks the claim), so mapping templates never
/// meet a missing key.
#[must_use]
pub fn context(token: &VerifiedToken) -> Map<String, Value> {
    let c = &token.claims;
    let mut context = Map::new();
    for (key, value) in [
        ("sub", c.sub()),
        ("username", c.username()),
        ("pet_preference", c.pet_preference()),
        ("token_use", Some(token.token_use.as_str())),
        ("client_id", c.app_client_id()),
        ("scope", c.scope()),
    ] {
        context.insert(key.to_owned(), text(value.unwrap_or_default()));
    }
    context
}

/// The REST policy for a principal.
///
/// Allow lists every route this principal may call; Deny lists every other
/// route of the table, plus the called route when the table lacks it. So the
/// policy depends on the principal, not on which listed route was called, and
/// the copy API Gateway caches per token is right for every route.
/// Without a readable ARN the policy denies everything.
#[must_use]
pub fn policy(
    principal: &str,
    arn: Option<&MethodArn<'_>>,
    table: &RouteTable,
    allowed: &[&Route],
    context: Map<String, Value>,
) -> Value {
    let mut statements = Vec::with_capacity(2);
    match arn {
        None => statements.push(statement("Deny", vec![text("*")])),
        Some(arn) => {
            if !allowed.is_empty() {
                let resources = allowed.iter().map(|r| Value::String(arn.for_route(r)));
                statements.push(statement("Allow", resources.collect()));
            }
            let mut denied: Vec<Value> = table
                .rules()
                .iter()
                .filter(|rule| !allowed.contains(&&rule.route))
                .map(|rule| Value::String(arn.for_route(&rule.route)))
                .collect();
            if table.rule_for(arn.method(), arn.path()).is_none() {
                denied.push(Value::String(arn.called()));
            }
            if !denied.is_empty() {
                statements.push(statement("Deny", denied));
            }
        }
    }
    let mut document = Map::new();
    document.insert("Version".to_owned(), text("2012-10-17"));
    document.insert("Statement".to_owned(), Value::Array(statements));
    let mut response = Map::new();
    response.insert("principalId".to_owned(), text(principal));
    response.insert("policyDocument".to_owned(), Value::Object(document));
    response.insert("context".to_owned(), Value::Object(context));
    Value::Object(response)
}

fn statement(effect: &str, resources: Vec<Value>) -> Value {
    let mut statement = Map::new();
    statement.insert("Action".to_owned(), text("execute-api:Invoke"));
    statement.insert("Effect".to_owned(), text(effect));
    statement.insert("Resource".to_owned(), Value::Array(resources));
    Value::Object(statement)
}

/// The HTTP API payload 2.0 simple response.
#[must_use]
pub fn simple(is_authorized: bool, context: Map<String, Value>) -> Value {
    let mut response = Map::new();
    response.insert("isAuthorized".to_owned(), Value::Bool(is_authorized));
    response.insert("context".to_owned(), Value::Object(context));
    Value::Object(response)
}
