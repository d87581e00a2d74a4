//! The authorizer's answer, in the shapes of `aws_lambda_events`'
//! `ApiGatewayCustomAuthorizerResponse` (REST: an IAM policy) and
//! `ApiGatewayV2CustomAuthorizerSimpleResponse` (HTTP API); a test reads them back as such.
//!
//! It uses nothing else of the crate; it is used by the crate root (lib.rs).

use claimsgate_core::VerifiedToken;
use serde::Serialize;

/// What the authorizer answers for a valid token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// REST `TOKEN` and `REQUEST` events: a policy for the principal.
    Policy(PolicyResponse),
    /// HTTP API payload 2.0: whether the called route is allowed.
    Simple(SimpleResponse),
}

/// A REST authorizer's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyResponse {
    /// `sub`.
    pub principal_id: String,
    /// What the principal may invoke.
    pub policy_document: PolicyDocument,
    /// Passed on to the integration.
    pub context: Context,
}

/// An IAM policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    /// Always `2012-10-17`.
    pub version: &'static str,
    /// An Allow and a Deny statement, each only when it lists a resource.
    pub statement: Vec<Statement>,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// Always `execute-api:Invoke`.
    pub action: &'static str,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
    /// Route ARNs.
    pub resource: Vec<String>,
}

impl PolicyDocument {
    /// Allows `allow` and denies `deny`, leaving out an empty statement.
    #[must_use]
    pub fn new(allow: Vec<String>, deny: Vec<String>) -> Self {
        let statement = [("Allow", allow), ("Deny", deny)]
            .into_iter()
            .filter(|(_, resource)| !resource.is_empty())
            .map(|(effect, resource)| Statement { action: "execute-api:Invoke", effect, resource })
            .collect();
        Self { version: "2012-10-17", statement }
    }
}

/// An HTTP API authorizer's simple answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleResponse {
    /// True when the called route is allowed.
    pub is_authorized: bool,
    /// Passed on to the integration.
    pub context: Context,
}

/// The flat `context` handed to the integration: always the same seven string
/// keys (empty when the token lacks the claim), so mapping templates never
/// meet a missing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Context {
    sub: String,
    username: String,
    pet_preference: String,
    token_use: &'static str,
    client_id: String,
    scope: String,
    /// The principal's groups (`cognito:groups`), comma-separated.
    groups: String,
}

impl Context {
    /// The context of a verified token whose principal is in `groups`.
    #[must_use]
    pub fn of(token: &VerifiedToken, groups: &[String]) -> Self {
        let c = &token.claims;
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        Self {
            sub: text(c.sub()),
            username: text(c.username()),
            pet_preference: text(c.pet_preference()),
            token_use: token.token_use.as_str(),
            client_id: text(c.app_client_id()),
            scope: text(c.scope()),
            groups: groups.join(","),
        }
    }
}
