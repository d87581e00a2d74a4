//! The authorizer's answer: a REST IAM policy, or an HTTP API simple response.
//!
//! A [`Decision`] serializes itself straight to the JSON API Gateway expects,
//! reading the context from the verified claims as it goes: no intermediate
//! struct or `serde_json::Value` is built on the Lambda path. The policy
//! document of a listed route comes ready-rendered from a [`PolicyMemo`]. The
//! shapes are those of `aws_lambda_events`' `ApiGatewayCustomAuthorizerResponse`
//! and `ApiGatewayV2CustomAuthorizerSimpleResponse`; a test reads them back as such.

use std::sync::{Arc, PoisonError, RwLock};

use claimsgate_core::VerifiedToken;
use claimsgate_core::rules::routes::{Route, RouteTable};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;

use crate::arn::MethodArn;
use crate::event::EventKind;

/// What the authorizer answers for a valid token.
#[derive(Debug, Clone)]
pub struct Decision {
    kind: EventKind,
    token: Arc<VerifiedToken>,
    called: bool,
    /// The policy document of a REST answer; `None` for the HTTP API simple response.
    policy: Option<Policy>,
}

#[derive(Debug, Clone)]
enum Policy {
    /// Rendered once, from the [`PolicyMemo`].
    Rendered(Arc<RawValue>),
    /// Written per call.
    Listed(PolicyDocument),
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
        memo: &PolicyMemo,
    ) -> Self {
        let (called, policy) = match arn {
            None => (false, Policy::Listed(PolicyDocument::deny_all())),
            Some(arn) => {
                let called = allowed.iter().any(|r| r.is(arn.method(), arn.path()));
                let policy = if table.rule_for(arn.method(), arn.path()).is_some() {
                    memo.policy(arn, table, allowed)
                } else {
                    // The unlisted route joins the Deny list; such documents are not memoized.
                    let mut document = PolicyDocument::new(arn, table, allowed);
                    document.deny.push(arn.called());
                    Policy::Listed(document)
                };
                (called, policy)
            }
        };
        Self {
            kind,
            token,
            called,
            policy: Some(policy),
        }
    }

    /// The answer to an HTTP API payload 2.0 event: whether the called route is allowed.
    #[must_use]
    pub fn simple(token: Arc<VerifiedToken>, called: bool) -> Self {
        Self {
            kind: EventKind::HttpV2,
            token,
            called,
            policy: None,
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
                map.serialize_entry("policyDocument", &self.policy)?;
                map.serialize_entry("principalId", self.token.claims.sub().unwrap_or_default())?;
                map.end()
            }
        }
    }
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Rendered(document) => document.serialize(serializer),
            Self::Listed(document) => document.serialize(serializer),
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

/// An IAM policy document: the resource ARNs allowed, and those denied.
#[derive(Debug, Clone)]
struct PolicyDocument {
    allow: Vec<String>,
    deny: Vec<String>,
}

impl PolicyDocument {
    /// Allow the `allowed` routes, Deny the table's others, on the ARN's API and stage.
    fn new(arn: &MethodArn<'_>, table: &RouteTable, allowed: &[&Route]) -> Self {
        Self {
            allow: allowed.iter().map(|r| arn.for_route(r)).collect(),
            deny: table
                .rules()
                .iter()
                .filter(|rule| !allowed.contains(&&rule.route))
                .map(|rule| arn.for_route(&rule.route))
                .collect(),
        }
    }

    fn deny_all() -> Self {
        Self {
            allow: Vec::new(),
            deny: vec!["*".to_owned()],
        }
    }
}

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("Statement", &Statements(self))?;
        map.serialize_entry("Version", "2012-10-17")?;
        map.end()
    }
}

struct Statements<'a>(&'a PolicyDocument);

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

/// How many rendered policy documents an authorizer keeps.
const MEMO_DOCUMENTS: usize = 32;

/// Policy documents rendered once and written verbatim after that.
///
/// For a route of the table, the document depends only on the API and stage
/// (the ARN prefix) and on which routes the principal may call: a handful of
/// documents serve every principal of a deployment. Documents for unlisted
/// routes, for tables of over 64 routes, or beyond [`MEMO_DOCUMENTS`] are
/// written per call instead.
#[derive(Debug, Default)]
pub struct PolicyMemo {
    documents: RwLock<Vec<Memoized>>,
}

#[derive(Debug)]
struct Memoized {
    prefix: Box<str>,
    /// Bit `i` set when rule `i` of the table is allowed.
    allowed: u64,
    document: Arc<RawValue>,
}

impl PolicyMemo {
    fn policy(&self, arn: &MethodArn<'_>, table: &RouteTable, allowed: &[&Route]) -> Policy {
        let Some(mask) = mask(table, allowed) else {
            return Policy::Listed(PolicyDocument::new(arn, table, allowed));
        };
        let find = |documents: &[Memoized]| {
            documents
                .iter()
                .find(|m| m.allowed == mask && *m.prefix == *arn.prefix())
                .map(|m| Policy::Rendered(Arc::clone(&m.document)))
        };
        let read = self
            .documents
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = find(&read) {
            return hit;
        }
        drop(read);
        let document = PolicyDocument::new(arn, table, allowed);
        // Rendering a document of strings cannot fail; if it did, write it per call.
        let Ok(rendered) = serde_json::value::to_raw_value(&document) else {
            return Policy::Listed(document);
        };
        let rendered: Arc<RawValue> = Arc::from(rendered);
        let mut documents = self
            .documents
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = find(&documents) {
            return hit;
        }
        if documents.len() < MEMO_DOCUMENTS {
            documents.push(Memoized {
                prefix: arn.prefix().into(),
                allowed: mask,
                document: Arc::clone(&rendered),
            });
        }
        Policy::Rendered(rendered)
    }
}

/// The allowed rules of `table` as a bit set; `None` for tables of over 64 rules.
fn mask(table: &RouteTable, allowed: &[&Route]) -> Option<u64> {
    if table.rules().len() > 64 {
        return None;
    }
    let mut mask = 0u64;
    for (i, rule) in table.rules().iter().enumerate() {
        if allowed.contains(&&rule.route) {
            mask |= 1 << i;
        }
    }
    Some(mask)
}
