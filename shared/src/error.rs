//! Errors of the verifier and of configuration, each with a stable `code()`.
//!
//! It uses nothing else of the crate; it is used by `checks`, `config`, `fetch`, `jwk`, `jwks`,
//! `rules::pet`, `snapshot`, `testing`, `verify`.

use thiserror::Error;

/// Why a token was rejected.
///
/// Every variant names its cause, and [`VerifyError::code`] gives a stable
/// snake_case code for logs and responses. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// The token is longer than `MAX_TOKEN_BYTES`.
    #[error("token is larger than {max} bytes")]
    TokenTooLarge {
        /// The limit that was exceeded.
        max: usize,
    },
    /// The token is not three base64url segments of JSON objects (the reason says which part).
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not `RS256` (this includes `none`, HMAC and PSS).
    #[error("algorithm not allowed (only RS256 is accepted)")]
    AlgNotAllowed,
    /// The header has no `kid`, or its `kid` is not a non-empty string.
    #[error("token header has no usable kid")]
    MissingKid,
    /// The header carries `crit`, whose extensions this verifier does not implement.
    #[error("token header has a crit parameter, which is not supported")]
    CritNotSupported,
    /// The `iss` claim is missing or is not one of the configured issuers.
    #[error("issuer is not accepted")]
    InvalidIssuer,
    /// No key with the token's `kid` is in the issuer's JWKS, even after a refetch.
    #[error("no key in the issuer's JWKS matches the token's kid")]
    UnknownKid,
    /// The issuer's JWKS could not be fetched and no usable copy is cached.
    #[error("the issuer's JWKS is unavailable")]
    JwksUnavailable,
    /// The signature does not verify with the issuer's key.
    #[error("signature is invalid")]
    InvalidSignature,
    /// A required claim is absent.
    #[error("required claim `{0}` is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type (for example a string `exp`).
    #[error("claim `{0}` has the wrong type")]
    InvalidClaim(&'static str),
    /// `exp` is in the past.
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("token is not valid yet")]
    NotYetValid,
    /// `iat` is in the future.
    #[error("token was issued in the future")]
    IssuedInFuture,
    /// `token_use` is not the one this deployment accepts.
    #[error("token_use is not accepted here")]
    InvalidTokenUse,
    /// The ID token's `aud` is not an allowed app client.
    #[error("audience is not an allowed app client")]
    InvalidAudience,
    /// The access token's `client_id` is not an allowed app client.
    #[error("client_id is not an allowed app client")]
    InvalidClientId,
}

impl VerifyError {
    /// A stable snake_case code naming the cause, for logs and response bodies.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::TokenTooLarge { .. } => "token_too_large",
            Self::Malformed(_) => "malformed_token",
            Self::AlgNotAllowed => "alg_not_allowed",
            Self::MissingKid => "missing_kid",
            Self::CritNotSupported => "crit_not_supported",
            Self::InvalidIssuer => "invalid_issuer",
            Self::UnknownKid => "unknown_kid",
            Self::JwksUnavailable => "jwks_unavailable",
            Self::InvalidSignature => "invalid_signature",
            Self::MissingClaim(_) => "missing_claim",
            Self::InvalidClaim(_) => "invalid_claim",
            Self::Expired => "token_expired",
            Self::NotYetValid => "token_not_yet_valid",
            Self::IssuedInFuture => "token_issued_in_future",
            Self::InvalidTokenUse => "invalid_token_use",
            Self::InvalidAudience => "invalid_audience",
            Self::InvalidClientId => "invalid_client_id",
        }
    }

    /// True when the fault is on the server's side (the token may be fine):
    /// callers still deny, but log it as an error and may answer 503 rather than 401.
    #[must_use]
    pub fn is_server_side(&self) -> bool {
        matches!(self, Self::JwksUnavailable)
    }
}

/// A configuration value that cannot be used. The message names the variable and the fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// What is wrong with it and how to fix it.
    pub problem: String,
}

impl ConfigError {
    /// A problem with `var`, described by `problem`.
    pub fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self { var, problem: problem.into() }
    }
}

/// Why a JWKS fetch failed. Logged with the URI; never shown to clients.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FetchError {
    /// Connecting, sending or reading failed (includes timeouts).
    #[error("request failed: {0}")]
    Transport(String),
    /// The server answered with a status other than 200.
    #[error("unexpected HTTP status {0}")]
    Status(u16),
    /// The body exceeded the size cap.
    #[error("response body is larger than {0} bytes")]
    TooLarge(usize),
    /// The body is not a JWKS document (`{"keys": [...]}`).
    #[error("response is not a JWKS document: {0}")]
    NotJwks(String),
    /// The document parsed but holds no usable RS256 signing key.
    #[error("JWKS holds no usable RS256 signing key")]
    NoUsableKeys,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let all = [
            VerifyError::TokenTooLarge { max: 1 },
            VerifyError::Malformed("x"),
            VerifyError::AlgNotAllowed,
            VerifyError::MissingKid,
            VerifyError::CritNotSupported,
            VerifyError::InvalidIssuer,
            VerifyError::UnknownKid,
            VerifyError::JwksUnavailable,
            VerifyError::InvalidSignature,
            VerifyError::MissingClaim("exp"),
            VerifyError::InvalidClaim("exp"),
            VerifyError::Expired,
            VerifyError::NotYetValid,
            VerifyError::IssuedInFuture,
            VerifyError::InvalidTokenUse,
            VerifyError::InvalidAudience,
            VerifyError::InvalidClientId,
        ];
        let mut codes: Vec<_> = all.iter().map(VerifyError::code).collect();
        assert!(codes.iter().all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
