//! A verified token and what verifying it cost: plain data, produced by
//! [`crate::verify`] and read by the token cache, the metrics and the functions.
//! It depends only on [`crate::claims`].

use std::time::Duration;

use serde::Serialize;

use crate::claims::{Claims, TokenUse};

/// Longest token accepted, in bytes. Cognito tokens are 1–4 KiB; API Gateway caps headers near 10 KiB.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The verified header fields worth showing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenHeader {
    /// Always `RS256`.
    pub alg: &'static str,
    /// The key id the token was signed with.
    pub kid: String,
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedToken {
    /// The header.
    pub header: TokenHeader,
    /// `id` or `access`.
    pub token_use: TokenUse,
    /// Every claim, as in the token.
    pub claims: Claims,
}

impl VerifiedToken {
    /// `exp` (always present on a verified token).
    pub fn exp(&self) -> u64 {
        self.claims.exp().unwrap_or(0)
    }
}

/// What one verification cost and used, for the decision's log line and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// The verified-token cache answered (no RSA check was needed).
    pub cache_hit: bool,
    /// Age of the issuer's key set that was consulted, if one was.
    pub jwks_age: Option<Duration>,
    /// Time spent verifying.
    pub elapsed: Duration,
}
