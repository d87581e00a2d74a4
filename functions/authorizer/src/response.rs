//! The authorizer's answers: a REST IAM policy, or an HTTP API simple response.

use std::collections::BTreeMap;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerResponse,
    ApiGatewayV2CustomAuthorizerSimpleResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use claimsgate_core::VerifiedToken;
use claimsgate_core::rules::routes::{Route, RouteTable};

use crate::arn::MethodArn;

/// The flat `context` handed to the integration: always the same six string keys
/// (empty when the token lacks the claim), so mapping templates never meet a missing key.
pub type AuthContext = BTreeMap<String, String>;

/// Builds the `context` from verified claims.
#[must_use]
pub fn context(token: &VerifiedToken) -> AuthContext {
    let c = &token.claims;
    [
        ("sub", c.sub()),
        ("username", c.username()),
        ("pet_preference", c.pet_preference()),
        ("token_use", Some(token.token_use.as_str())),
        ("client_id", c.app_client_id()),
        ("scope", c.scope()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.unwrap_or_default().to_owned()))
    .collect()
}

/// The REST policy for a principal.
///
/// Allow lists every route this principal may call; Deny lists every other
/// route of the table, plus the called route when the table lacks it. The
/// policy therefore depends on the principal, not on the called route, so
/// the copy API Gateway caches per token is right for every route.
/// When the ARN cannot be read, the policy denies everything.
#[must_use]
pub fn policy(
    principal: &str,
    arn: Option<&MethodArn<'_>>,
    table: &RouteTable,
    allowed: &[&Route],
    context: AuthContext,
) -> ApiGatewayCustomAuthorizerResponse<AuthContext> {
    let mut statements = Vec::with_capacity(2);
    match arn {
        None => statements.push(statement(IamPolicyEffect::Deny, vec!["*".to_owned()])),
        Some(arn) => {
            if !allowed.is_empty() {
                let resources = allowed.iter().map(|r| arn.for_route(r)).collect();
                statements.push(statement(IamPolicyEffect::Allow, resources));
            }
            let mut denied: Vec<String> = table
                .rules()
                .iter()
                .filter(|rule| !allowed.contains(&&rule.route))
                .map(|rule| arn.for_route(&rule.route))
                .collect();
            if table.rule_for(arn.method(), arn.path()).is_none() {
                denied.push(arn.called());
            }
            if !denied.is_empty() {
                statements.push(statement(IamPolicyEffect::Deny, denied));
            }
        }
    }
    let mut document = ApiGatewayCustomAuthorizerPolicy::default();
    document.version = Some("2012-10-17".to_owned());
    document.statement = statements;
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(principal.to_owned());
    response.policy_document = document;
    response.context = context;
    response
}

fn statement(effect: IamPolicyEffect, resource: Vec<String>) -> IamPolicyStatement {
    let mut s = IamPolicyStatement::default();
    s.action = vec!["execute-api:Invoke".to_owned()];
    s.effect = effect;
    s.resource = resource;
    s
}

/// The HTTP API payload 2.0 simple response.
#[must_use]
pub fn simple(
    is_authorized: bool,
    context: AuthContext,
) -> ApiGatewayV2CustomAuthorizerSimpleResponse<AuthContext> {
    let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    response.is_authorized = is_authorized;
    response.context = context;
    response
}
