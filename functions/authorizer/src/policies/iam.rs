//! The IAM policy's resources for one principal: which route patterns to
//! Allow and which to Deny so that API Gateway, replaying the policy on every
//! route of the store, gets Cedar's decision for each.
//!
//! Every allowed route's pattern is allowed. A denied route's pattern is
//! denied when it catches no request of an allowed route; when it would, the
//! denied route is left to IAM's implicit deny, which holds when no allowed
//! pattern catches its requests. When both fail (a `{param}` route and a
//! `{proxy+}` route under one prefix, with different decisions), no IAM
//! policy can tell their requests apart: the denied pattern is denied anyway
//! (fail closed: some requests of the allowed route are refused until the
//! cached policy expires) and the conflict is reported. It uses the store's
//! routes and [`super::overlap::Overlap`].

use super::store::Store;

/// The patterns (`{METHOD}/{path}`, after the stage) of one policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patterns {
    /// Allowed.
    pub allow: Vec<String>,
    /// Denied.
    pub deny: Vec<String>,
    /// Denied routes whose patterns could not be kept off an allowed route's requests.
    pub conflicts: Vec<usize>,
}

impl Store {
    /// The patterns for these per-route decisions (`allowed[i]` for route `i`).
    pub fn patterns(&self, allowed: &[bool]) -> Patterns {
        let routes = self.routes.all();
        let is_allowed = |i: usize| allowed.get(i).copied().unwrap_or(false);
        let mut patterns = Patterns::default();
        for (b, route) in routes.iter().enumerate() {
            if is_allowed(b) {
                patterns.allow.push(route.glob());
                continue;
            }
            let allowed_routes = || (0..routes.len()).filter(|&a| is_allowed(a));
            let catches_allowed = allowed_routes().any(|a| self.overlap.catches(b, a));
            if !catches_allowed {
                patterns.deny.push(route.glob());
            } else if allowed_routes().any(|a| self.overlap.catches(a, b)) {
                patterns.deny.push(route.glob());
                patterns.conflicts.push(b);
            }
        }
        patterns.allow.dedup();
        patterns.deny.dedup();
        patterns
    }
}
