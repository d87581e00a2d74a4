//! The authorizer's answer: a REST IAM policy, or an HTTP API simple response.
//!
//! A [`Decision`] serializes itself straight to the JSON API Gateway expects,
//! reading the context from the verified claims as it goes: no intermediate
//! struct or `serde_json::Value` is built on the Lambda path. The shapes are
//! those of `aws_lambda_events`' `ApiGatewayCustomAuthorizerResponse` and
//! `ApiGatewayV2CustomAuthorizerSimpleResponse`; a test reads them back as such.

use std::sync::Arc;

use claimsgate_core::VerifiedToken;
use claimsgate_core::rules::routes::{Route, RouteTable};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::arn::MethodArn;
use crate::event::EventKind;

/// What the authorizer answers for a valid token.
#[derive(Debug, Clone)]
pub struct Decision {
    kind: EventKind,
    token: Arc<VerifiedToken>,
    called: bool,
    allow: Vec<String>,
    deny: Vec<String>,
}

impl Decision {
    /// The answer to a REST event: a policy for the principal.
    ///
    /// Allow lists every route this principal may call; Deny lists every other
    /// route of the table, plus the called route when the table lacks it. So the
    /// policy depends on the principal, not on which listed route was called, and
    /// the copy API Gateway caches per token is right for every route.
    /// Without a readable ARN the policy denies everything.
    #[must_use]
    pub fn rest(
        kind: EventKind,
        token: Arc<VerifiedToken>,
        arn: Option<&MethodArn<'_>>,
        table: &RouteTable,
        allowed: &[&Route],
    ) -> Self {
        let Some(arn) = arn else {
            return Self {
                kind,
                token,
                called: false,
                allow: Vec::new(),
                deny: vec!["*".to_owned()],
            };
        };
        let called = allowed.iter().any(|r| r.is(arn.method(), arn.path()));
        let allow = allowed.iter().map(|r| arn.for_route(r)).collect();
        let mut deny: Vec<String> = table
            .rules()
            .iter()
            .filter(|rule| !allowed.contains(&&rule.route))
            .map(|rule| arn.for_route(&rule.route))
            .collect();
        if table.rule_for(arn.method(), arn.path()).is_none() {
            deny.push(arn.called());
        }
        Self {
            kind,
            token,
            called,
            allow,
            deny,
        }
    }

    /// The answer to an HTTP API payload 2.0 event: whether the called route is allowed.
    #[must_use]
    pub fn simple(token: Arc<VerifiedToken>, called: bool) -> Self {
        Self {
            kind: EventKind::HttpV2,
            token,
            called,
            allow: Vec::new(),
            deny: Vec::new(),
        }
    }

    /// True when the called route is allowed.
    #[must_use]
    pub fn allows_called_route(&self) -> bool {
        self.called
    }

    /// The verified token the decision is about.
    #[must_use]
    pub fn token(&self) -> &VerifiedToken {
        &self.token
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let context = Context(&self.token);
        match self.kind {
            EventKind::HttpV2 => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("context", &context)?;
                map.serialize_entry("isAuthorized", &self.called)?;
                map.end()
            }
            EventKind::RestToken | EventKind::RestRequest => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("context", &context)?;
                map.serialize_entry("policyDocument", &Document(self))?;
                map.serialize_entry("principalId", self.token.claims.sub().unwrap_or_default())?;
                map.end()
            }
        }
    }
}

/// The flat `context` handed to the integration: always the same six string
/// keys (empty when the token lacks the claim), so mapping templates never
/// meet a missing key.
struct Context<'a>(&'a VerifiedToken);

impl Serialize for Context<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let c = &self.0.claims;
        let mut map = serializer.serialize_map(Some(6))?;
        map.serialize_entry("client_id", c.app_client_id().unwrap_or_default())?;
        map.serialize_entry("pet_preference", c.pet_preference().unwrap_or_default())?;
        map.serialize_entry("scope", c.scope().unwrap_or_default())?;
        map.serialize_entry("sub", c.sub().unwrap_or_default())?;
        map.serialize_entry("token_use", self.0.token_use.as_str())?;
        map.serialize_entry("username", c.username().unwrap_or_default())?;
        map.end()
    }
}

struct Document<'a>(&'a Decision);

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("Statement", &Statements(self.0))?;
        map.serialize_entry("Version", "2012-10-17")?;
        map.end()
    }
}

struct Statements<'a>(&'a Decision);

impl Serialize for Statements<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let statements = [("Allow", &self.0.allow), ("Deny", &self.0.deny)];
        let present = statements.iter().filter(|(_, r)| !r.is_empty());
        let mut seq = serializer.serialize_seq(Some(present.clone().count()))?;
        for (effect, resources) in present {
            seq.serialize_element(&Statement(effect, resources))?;
        }
        seq.end()
    }
}

struct Statement<'a>(&'static str, &'a [String]);

impl Serialize for Statement<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("Action", "execute-api:Invoke")?;
        map.serialize_entry("Effect", self.0)?;
        map.serialize_entry("Resource", self.1)?;
        map.end()
    }
}
