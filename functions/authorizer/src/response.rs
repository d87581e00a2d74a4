//! The authorizer's answer: a REST IAM policy, or an HTTP API simple response.
//!
//! A [`Decision`] serializes itself straight to the JSON API Gateway expects,
//! reading the context from the verified claims as it goes: no intermediate
//! struct or `serde_json::Value` is built on the Lambda path. The shapes are
//! those of `aws_lambda_events`' `ApiGatewayCustomAuthorizerResponse` and
//! `ApiGatewayV2CustomAuthorizerSimpleResponse`; a test reads them back as such.

use std::convert::Infallible;
use std::sync::{Arc, PoisonError, RwLock};

use claimsgate_core::VerifiedToken;
use claimsgate_core::rules::routes::{Route, RouteTable};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;

use crate::arn::MethodArn;
use crate::event::EventKind;

/// What the authorizer answers for a valid token.
///
/// It borrows the route table of the [`Authorizer`](crate::Authorizer) that
/// made it; the ARNs of the policy are written as the decision is serialized.
#[derive(Debug, Clone)]
pub struct Decision<'t> {
    kind: EventKind,
    token: Arc<VerifiedToken>,
    called: bool,
    policy: Policy<'t>,
}

#[derive(Debug, Clone)]
enum Policy<'t> {
    /// HTTP API simple response: no policy.
    None,
    /// A policy document rendered before, from the [`PolicyMemo`].
    Rendered(Arc<RawValue>),
    /// No readable ARN: Deny `*`.
    DenyAll,
    /// Allow the allowed routes, Deny the table's others (and the called route when unlisted).
    Routes {
        /// `arn:{partition}:execute-api:{region}:{account}:{api}/{stage}/`.
        prefix: String,
        table: &'t RouteTable,
        allowed: Vec<&'t Route>,
        /// `{METHOD}{path}` of the called route when the table lacks it.
        unlisted: Option<String>,
    },
}

impl<'t> Decision<'t> {
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
        table: &'t RouteTable,
        allowed: Vec<&'t Route>,
        memo: &PolicyMemo,
    ) -> Self {
        let Some(arn) = arn else {
            return Self {
                kind,
                token,
                called: false,
                policy: Policy::DenyAll,
            };
        };
        let called = allowed.iter().any(|r| r.is(arn.method(), arn.path()));
        let listed = table.rule_for(arn.method(), arn.path()).is_some();
        let policy = if listed {
            memo.policy(arn.prefix(), table, allowed)
        } else {
            // The unlisted route joins the Deny list; such documents are not memoized.
            Policy::Routes {
                prefix: arn.prefix().to_owned(),
                table,
                allowed,
                unlisted: Some([arn.method(), arn.path()].concat()),
            }
        };
        Self {
            kind,
            token,
            called,
            policy,
        }
    }

    /// The answer to an HTTP API payload 2.0 event: whether the called route is allowed.
    #[must_use]
    pub fn simple(token: Arc<VerifiedToken>, called: bool) -> Self {
        Self {
            kind: EventKind::HttpV2,
            token,
            called,
            policy: Policy::None,
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

impl Serialize for Decision<'_> {
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
                map.serialize_entry("policyDocument", &Document(&self.policy))?;
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

struct Document<'a>(&'a Policy<'a>);

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Policy::Rendered(document) = self.0 {
            return document.serialize(serializer);
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("Statement", &Statements(self.0))?;
        map.serialize_entry("Version", "2012-10-17")?;
        map.end()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

struct Statements<'a>(&'a Policy<'a>);

impl Serialize for Statements<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let statements = [Effect::Allow, Effect::Deny].map(|effect| Resources(self.0, effect));
        let present = statements.iter().filter(|r| r.count() > 0);
        let mut seq = serializer.serialize_seq(Some(present.clone().count()))?;
        for resources in present {
            seq.serialize_element(&Statement(*resources))?;
        }
        seq.end()
    }
}

struct Statement<'a>(Resources<'a>);

impl Serialize for Statement<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let effect = match self.0.1 {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("Action", "execute-api:Invoke")?;
        map.serialize_entry("Effect", effect)?;
        map.serialize_entry("Resource", &self.0)?;
        map.end()
    }
}

/// The resource ARNs of one effect, written without building them first.
#[derive(Clone, Copy)]
struct Resources<'a>(&'a Policy<'a>, Effect);

impl Resources<'_> {
    /// Calls `each` with the parts of every ARN of this effect, in order.
    fn for_each<E>(
        &self,
        mut each: impl FnMut(&str, &str, &str) -> Result<(), E>,
    ) -> Result<(), E> {
        match (self.0, self.1) {
            (Policy::None | Policy::Rendered(_), _) | (Policy::DenyAll, Effect::Allow) => Ok(()),
            (Policy::DenyAll, Effect::Deny) => each("*", "", ""),
            (
                Policy::Routes {
                    prefix, allowed, ..
                },
                Effect::Allow,
            ) => allowed
                .iter()
                .try_for_each(|r| each(prefix, r.method(), r.path())),
            (
                Policy::Routes {
                    prefix,
                    table,
                    allowed,
                    unlisted,
                },
                Effect::Deny,
            ) => {
                for rule in table.rules() {
                    if !allowed.contains(&&rule.route) {
                        each(prefix, rule.route.method(), rule.route.path())?;
                    }
                }
                match unlisted {
                    Some(called) => each(prefix, called, ""),
                    None => Ok(()),
                }
            }
        }
    }

    fn count(&self) -> usize {
        let mut n = 0;
        let Ok(()) = self.for_each::<Infallible>(|_, _, _| {
            n += 1;
            Ok(())
        });
        n
    }
}

impl Serialize for Resources<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.count()))?;
        // One buffer for every ARN of the list.
        let mut arn = String::with_capacity(128);
        self.for_each(|prefix, method, path| {
            arn.clear();
            arn.push_str(prefix);
            arn.push_str(method);
            arn.push_str(path);
            seq.serialize_element(arn.as_str())
        })?;
        seq.end()
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
/// rendered per call instead.
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
    fn policy<'t>(
        &self,
        prefix: &str,
        table: &'t RouteTable,
        allowed: Vec<&'t Route>,
    ) -> Policy<'t> {
        let mask = mask(table, &allowed);
        let find = |documents: &[Memoized]| {
            documents
                .iter()
                .find(|m| Some(m.allowed) == mask && *m.prefix == *prefix)
                .map(|m| Policy::Rendered(Arc::clone(&m.document)))
        };
        if mask.is_some()
            && let Some(hit) = find(
                &self
                    .documents
                    .read()
                    .unwrap_or_else(PoisonError::into_inner),
            )
        {
            return hit;
        }
        let routes = Policy::Routes {
            prefix: prefix.to_owned(),
            table,
            allowed,
            unlisted: None,
        };
        let Some(mask) = mask else {
            return routes;
        };
        // Rendering a document of strings into a string cannot fail; if it did, write it per call.
        let Ok(document) = serde_json::value::to_raw_value(&Document(&routes)) else {
            return routes;
        };
        let document: Arc<RawValue> = Arc::from(document);
        let mut documents = self
            .documents
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = find(&documents) {
            return hit;
        }
        if documents.len() < MEMO_DOCUMENTS {
            documents.push(Memoized {
                prefix: prefix.into(),
                allowed: mask,
                document: Arc::clone(&document),
            });
        }
        Policy::Rendered(document)
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
