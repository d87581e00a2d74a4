//! Cedar's decision on every route of the store for one verified token.
//!
//! Cedar allows a request when a `permit` whose scope covers it holds and no
//! such `forbid` does. The authorizer needs that answer for every route at
//! once (API Gateway caches one policy per token), so a policy that does not
//! read `action` is evaluated once, with its action scope set aside, and the
//! scope is applied per route from what [`Store::load`] worked out; a policy
//! that reads `action` is evaluated once per route. Both are Cedar's own
//! evaluation; the split saves evaluating each policy once per route (on a
//! 20-route store, most of the authorizer's time).
//!
//! Stricter than Cedar in one way, on purpose: a `forbid` that fails to
//! evaluate (an overflow, say) denies, where Cedar would skip it. And a
//! request whose principal or context lacks a required attribute is denied
//! whole. It uses the store and the token mapping ([`super::principal`]).

use cedar_policy::{
    AuthorizationError, Authorizer, Context, Entities, EntityUid, PolicyId, PolicySet, Request,
};
use claimsgate_core::VerifiedToken;

use super::principal::{Inputs, inputs};
use super::store::Store;

/// What one policy did for this token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Held {
    #[default]
    No,
    Yes,
    /// It failed to evaluate.
    Failed,
}

/// Cedar's decisions for one token, on every route of a store.
#[derive(Debug, Clone)]
pub struct Decisions<'s> {
    store: &'s Store,
    /// Per rule, for the rules evaluated once.
    once: Vec<Held>,
    /// Per route, per rule, for the rules evaluated per route (empty when there are none).
    per_route: Vec<Vec<Held>>,
    /// Why every route is denied, when the request could not be made.
    refused: Option<String>,
    /// The principal's groups (`cognito:groups`).
    pub groups: Vec<String>,
    /// `NS::User::"<pool>|<sub>"`, once the token is mapped.
    principal: Option<EntityUid>,
}

impl Store {
    /// Cedar's decisions for `token` on every route.
    pub fn decide(&self, token: &VerifiedToken) -> Decisions<'_> {
        let mut decisions = Decisions {
            store: self,
            once: vec![Held::No; self.rules.len()],
            per_route: Vec::new(),
            refused: None,
            groups: Vec::new(),
            principal: None,
        };
        let inputs = match inputs(&self.shape, &self.names, &self.uses, token) {
            Ok(inputs) => inputs,
            Err(why) => {
                tracing::error!(
                    reason = why,
                    "cannot build the Cedar request; denying every route"
                );
                decisions.refused = Some(why);
                return decisions;
            }
        };
        let Inputs { principal, entity, context, groups, incomplete } = inputs;
        decisions.groups = groups;
        if let Some(missing) = &incomplete {
            tracing::warn!(
                attribute = missing,
                "a required attribute is missing from the token; denying every route"
            );
            decisions.refused =
                Some(format!("the token does not fill the required attribute {missing}"));
            return decisions;
        }
        // The entity is needed again only when some policy is evaluated per route.
        let again = if self.per_route.is_empty() { None } else { Some(entity.clone()) };
        let Ok(entities) = Entities::from_entities([entity], None) else {
            decisions.refused = Some("the principal is not a valid entity".into());
            return decisions;
        };
        let authorizer = Authorizer::new();
        if let Some(first) = self.actions.first() {
            decisions.once =
                self.held(&authorizer, (&principal, &context), first, &self.once, &entities);
        }
        if !self.per_route.is_empty() {
            let with_actions = self.action_entities.clone().add_entities(again, None);
            let Ok(with_actions) = with_actions else {
                decisions.refused = Some("the principal is not a valid entity".into());
                return decisions;
            };
            decisions.per_route = self
                .actions
                .iter()
                .map(|action| {
                    self.held(
                        &authorizer,
                        (&principal, &context),
                        action,
                        &self.per_route,
                        &with_actions,
                    )
                })
                .collect();
        }
        decisions.principal = Some(principal);
        decisions
    }

    /// Which rules of `set` hold for one request, by rule index.
    fn held(
        &self,
        authorizer: &Authorizer,
        (principal, context): (&EntityUid, &Context),
        action: &EntityUid,
        set: &PolicySet,
        entities: &Entities,
    ) -> Vec<Held> {
        let mut held = vec![Held::No; self.rules.len()];
        let request = Request::new(
            principal.clone(),
            action.clone(),
            self.names.resource.clone(),
            context.clone(),
            None,
        );
        let Ok(request) = request else {
            return vec![Held::Failed; self.rules.len()];
        };
        let response = authorizer.is_authorized(&request, set, entities);
        // Every policy of `set` is a `permit`: the reason lists each one that holds.
        for id in response.diagnostics().reason() {
            if let Some(&i) = self.index.get(id) {
                held[i] = Held::Yes;
            }
        }
        for error in response.diagnostics().errors() {
            let AuthorizationError::PolicyEvaluationError(error) = error;
            if let Some(&i) = self.index.get(error.policy_id()) {
                // The policy's id only: Cedar's message may quote a claim's value.
                tracing::warn!(policy = %error.policy_id(), "policy failed to evaluate");
                held[i] = Held::Failed;
            }
        }
        held
    }
}

impl Decisions<'_> {
    fn held(&self, rule: usize, route: usize) -> Held {
        let r = &self.store.rules[rule];
        if r.per_route {
            self.per_route.get(route).and_then(|h| h.get(rule)).copied().unwrap_or_default()
        } else if r.covers.get(route).copied().unwrap_or(false) {
            self.once.get(rule).copied().unwrap_or_default()
        } else {
            Held::No
        }
    }

    fn forbidden(&self, route: usize) -> bool {
        (0..self.store.rules.len())
            .any(|i| self.store.rules[i].forbid && self.held(i, route) != Held::No)
    }

    /// True when Cedar allows route `route` (an index into the store's routes;
    /// one past them is no route, and denied).
    pub fn allowed(&self, route: usize) -> bool {
        self.refused.is_none()
            && !self.forbidden(route)
            && (0..self.store.rules.len())
                .any(|i| !self.store.rules[i].forbid && self.held(i, route) == Held::Yes)
    }

    /// Every route's decision, by route index.
    pub fn all(&self) -> Vec<bool> {
        (0..self.store.routes.all().len()).map(|r| self.allowed(r)).collect()
    }

    /// The policies that decided route `route`: the `forbid`s that denied it,
    /// else the `permit`s that allowed it; none for a default deny.
    pub fn deciding(&self, route: usize) -> Vec<&PolicyId> {
        // A refused request holds no policy: neither branch below keeps one.
        let forbidden = self.forbidden(route);
        let allowed = self.allowed(route);
        self.store
            .rules
            .iter()
            .enumerate()
            .filter(|&(i, rule)| {
                let held = self.held(i, route);
                if forbidden {
                    rule.forbid && held != Held::No
                } else {
                    allowed && !rule.forbid && held == Held::Yes
                }
            })
            .map(|(_, rule)| &rule.id)
            .collect()
    }

    /// The principal, `NS::User::"<pool>|<sub>"`, written as in a policy.
    pub fn principal(&self) -> String {
        self.principal.as_ref().map(ToString::to_string).unwrap_or_default()
    }

    /// Why every route is denied, when the token could not be made into a request.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }
}
