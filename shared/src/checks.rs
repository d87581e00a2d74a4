//! The claim checks: time (`exp`, `iat`, `nbf`), `token_use` and the app client, as pure functions.
//!
//! It uses `claims`, `config`, `error`; it is used by `verify`.

use serde_json::Value;

use crate::claims::{Claims, TokenUse};
use crate::config::TokenUsePolicy;
use crate::error::VerifyError;

/// Reads the NumericDate claim `name`: absent is `None`, a whole number of
/// seconds (as Cognito issues them) is its value, anything else is an error:
/// a fraction, a negative number or a string is not a date this verifier guesses at.
fn numeric_date(claims: &Claims, name: &'static str) -> Result<Option<u64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or(VerifyError::InvalidClaim(name)),
    }
}

/// The time checks, run on every verification, cached or not: `exp` and
/// `iat` required, `nbf` optional, all whole seconds; then their meaning.
pub(crate) fn check_times(claims: &Claims, now: u64, leeway: u64) -> Result<(), VerifyError> {
    let exp = numeric_date(claims, "exp")?.ok_or(VerifyError::MissingClaim("exp"))?;
    let iat = numeric_date(claims, "iat")?.ok_or(VerifyError::MissingClaim("iat"))?;
    let nbf = numeric_date(claims, "nbf")?;
    if now >= exp.saturating_add(leeway) {
        return Err(VerifyError::Expired);
    }
    if iat > now.saturating_add(leeway) {
        return Err(VerifyError::IssuedInFuture);
    }
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(VerifyError::NotYetValid);
    }
    Ok(())
}

pub(crate) fn check_client(
    claims: &Claims,
    policy: TokenUsePolicy,
    client_ids: &[String],
) -> Result<TokenUse, VerifyError> {
    let token_use = claims.token_use().ok_or(VerifyError::InvalidTokenUse)?;
    let accepted = matches!(
        (policy, token_use),
        (TokenUsePolicy::Any, _)
            | (TokenUsePolicy::Id, TokenUse::Id)
            | (TokenUsePolicy::Access, TokenUse::Access)
    );
    if !accepted {
        return Err(VerifyError::InvalidTokenUse);
    }
    let allowed = |id: &str| client_ids.iter().any(|c| c == id);
    match token_use {
        TokenUse::Id => {
            // Every audience must be an allowed client: a string, or a non-empty array of strings.
            let ok = match claims.get("aud") {
                Some(Value::String(aud)) => allowed(aud),
                Some(Value::Array(auds)) => {
                    !auds.is_empty() && auds.iter().all(|a| a.as_str().is_some_and(allowed))
                }
                _ => false,
            };
            if !ok {
                return Err(VerifyError::InvalidAudience);
            }
        }
        TokenUse::Access => {
            if !claims.client_id().is_some_and(allowed) {
                return Err(VerifyError::InvalidClientId);
            }
        }
    }
    Ok(token_use)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        Claims::from_value(v).unwrap_or_default()
    }

    #[test]
    fn time_checks_table() {
        let cases = [
            (json!({"exp": 100, "iat": 50}), 99, 0, Ok(())),
            (json!({"exp": 100, "iat": 50}), 100, 0, Err(VerifyError::Expired)),
            (json!({"exp": 100, "iat": 50}), 104, 5, Ok(())),
            (json!({"exp": 100, "iat": 60}), 59, 0, Err(VerifyError::IssuedInFuture)),
            (json!({"exp": 100, "iat": 60}), 58, 2, Ok(())),
            (json!({"exp": 100, "iat": 50, "nbf": 70}), 69, 0, Err(VerifyError::NotYetValid)),
            (json!({"exp": 100, "iat": 50, "nbf": 70}), 70, 0, Ok(())),
            (json!({"exp": 100.5, "iat": 50}), 99, 0, Err(VerifyError::InvalidClaim("exp"))),
            (json!({"exp": 100, "iat": 50.0}), 99, 0, Err(VerifyError::InvalidClaim("iat"))),
            (json!({"iat": 50}), 60, 0, Err(VerifyError::MissingClaim("exp"))),
            (json!({"exp": 100}), 60, 0, Err(VerifyError::MissingClaim("iat"))),
            (json!({"exp": "100", "iat": 50}), 60, 0, Err(VerifyError::InvalidClaim("exp"))),
            (json!({"exp": 100, "iat": true}), 60, 0, Err(VerifyError::InvalidClaim("iat"))),
            (
                json!({"exp": 100, "iat": 50, "nbf": [1]}),
                60,
                0,
                Err(VerifyError::InvalidClaim("nbf")),
            ),
            (json!({"exp": -1, "iat": 50}), 60, 0, Err(VerifyError::InvalidClaim("exp"))),
        ];
        for (c, now, leeway, want) in cases {
            assert_eq!(check_times(&claims(c.clone()), now, leeway), want, "{c} at {now}");
        }
    }

    #[test]
    fn client_and_token_use_table() {
        let ids = vec!["app".to_owned()];
        use TokenUsePolicy::{Access, Any, Id};
        let cases = [
            (json!({"token_use": "id", "aud": "app"}), Any, Ok(TokenUse::Id)),
            (json!({"token_use": "id", "aud": ["app"]}), Id, Ok(TokenUse::Id)),
            (
                json!({"token_use": "id", "aud": ["app", "other"]}),
                Id,
                Err(VerifyError::InvalidAudience),
            ),
            (json!({"token_use": "id", "aud": "other"}), Any, Err(VerifyError::InvalidAudience)),
            (json!({"token_use": "id", "aud": ["app", 5]}), Any, Err(VerifyError::InvalidAudience)),
            (json!({"token_use": "id", "aud": []}), Any, Err(VerifyError::InvalidAudience)),
            (json!({"token_use": "id"}), Any, Err(VerifyError::InvalidAudience)),
            (json!({"token_use": "id", "aud": "app"}), Access, Err(VerifyError::InvalidTokenUse)),
            (json!({"token_use": "access", "client_id": "app"}), Access, Ok(TokenUse::Access)),
            (
                json!({"token_use": "access", "client_id": "app"}),
                Id,
                Err(VerifyError::InvalidTokenUse),
            ),
            (json!({"token_use": "access", "aud": "app"}), Any, Err(VerifyError::InvalidClientId)),
            (json!({"token_use": "refresh", "aud": "app"}), Any, Err(VerifyError::InvalidTokenUse)),
            (json!({"aud": "app"}), Any, Err(VerifyError::InvalidTokenUse)),
        ];
        for (c, policy, want) in cases {
            assert_eq!(check_client(&claims(c.clone()), policy, &ids), want, "{c} {policy:?}");
        }
    }
}
