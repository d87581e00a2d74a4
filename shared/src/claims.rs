//! Cognito token claims: typed accessors over the claims exactly as the token carries them.

use serde::Serialize;
use serde_json::{Map, Value};

/// Which kind of Cognito token this is (`token_use`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenUse {
    /// An ID token: identity claims, `aud` is the app client.
    Id,
    /// An access token: scopes, `client_id` is the app client.
    Access,
}

impl TokenUse {
    /// `"id"` or `"access"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Access => "access",
        }
    }
}

/// The verified claims of a token.
///
/// Every claim is kept as it is in the token (numbers stay numbers, arrays stay
/// arrays); the methods read the Cognito ones with their types. A method returns
/// `None` (or an empty list) when the claim is absent or of another type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Claims {
    raw: Map<String, Value>,
}

impl Claims {
    /// Wraps a JSON object of claims.
    #[must_use]
    pub fn new(raw: Map<String, Value>) -> Self {
        Self { raw }
    }

    /// Wraps a JSON value that is an object of claims; `None` for any other value.
    #[must_use]
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(raw) => Some(Self { raw }),
            _ => None,
        }
    }

    /// All claims, as in the token.
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// One claim, as in the token.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// A claim that is a string.
    #[must_use]
    pub fn str(&self, name: &str) -> Option<&str> {
        self.raw.get(name).and_then(Value::as_str)
    }

    /// `sub`: the user's stable id (for a client-credentials token, the client id).
    #[must_use]
    pub fn sub(&self) -> Option<&str> {
        self.str("sub")
    }

    /// `iss`: the issuer URL.
    #[must_use]
    pub fn iss(&self) -> Option<&str> {
        self.str("iss")
    }

    /// `token_use`, when it is `id` or `access`.
    #[must_use]
    pub fn token_use(&self) -> Option<TokenUse> {
        match self.str("token_use")? {
            "id" => Some(TokenUse::Id),
            "access" => Some(TokenUse::Access),
            _ => None,
        }
    }

    /// `aud` values (a string or an array of strings).
    #[must_use]
    pub fn aud(&self) -> Vec<&str> {
        match self.raw.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// `client_id` (access tokens).
    #[must_use]
    pub fn client_id(&self) -> Option<&str> {
        self.str("client_id")
    }

    /// The app client the token was issued to: `aud` of an ID token, `client_id` of an access token.
    #[must_use]
    pub fn app_client_id(&self) -> Option<&str> {
        match self.token_use() {
            Some(TokenUse::Access) => self.client_id(),
            _ => self.aud().first().copied(),
        }
    }

    /// The user name: `cognito:username` (ID token) or `username` (access token).
    #[must_use]
    pub fn username(&self) -> Option<&str> {
        self.str("cognito:username")
            .or_else(|| self.str("username"))
    }

    /// `cognito:groups`.
    #[must_use]
    pub fn groups(&self) -> Vec<&str> {
        match self.raw.get("cognito:groups") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// `scope` (access tokens): space-separated.
    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        self.str("scope")
    }

    /// `email`.
    #[must_use]
    pub fn email(&self) -> Option<&str> {
        self.str("email")
    }

    /// `email_verified`: a boolean, or the strings `"true"`/`"false"` as Cognito attributes carry it.
    #[must_use]
    pub fn email_verified(&self) -> Option<bool> {
        match self.raw.get("email_verified")? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// `pet_preference`, as the trigger set it.
    #[must_use]
    pub fn pet_preference(&self) -> Option<&str> {
        self.str("pet_preference")
    }

    /// `exp`, seconds since the epoch (verified tokens always have it).
    #[must_use]
    pub fn exp(&self) -> Option<u64> {
        self.raw.get("exp").and_then(Value::as_u64)
    }

    /// `iat`, seconds since the epoch.
    #[must_use]
    pub fn iat(&self) -> Option<u64> {
        self.raw.get("iat").and_then(Value::as_u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        Claims::from_value(v).unwrap_or_else(|| Claims::new(Map::new()))
    }

    #[test]
    fn reads_id_token_claims() {
        let c = claims(json!({
            "sub": "u1", "token_use": "id", "aud": "client", "cognito:username": "alice",
            "cognito:groups": ["admins", 3], "email_verified": "true", "pet_preference": "dogs", "exp": 10
        }));
        assert_eq!(c.token_use(), Some(TokenUse::Id));
        assert_eq!(c.app_client_id(), Some("client"));
        assert_eq!(c.username(), Some("alice"));
        assert_eq!(c.groups(), vec!["admins"]);
        assert_eq!(c.email_verified(), Some(true));
        assert_eq!(c.pet_preference(), Some("dogs"));
        assert_eq!(c.exp(), Some(10));
    }

    #[test]
    fn reads_access_token_claims() {
        let c = claims(
            json!({"token_use": "access", "client_id": "c2", "username": "bob", "aud": ["x"]}),
        );
        assert_eq!(c.app_client_id(), Some("c2"));
        assert_eq!(c.username(), Some("bob"));
    }

    #[test]
    fn wrong_types_read_as_absent() {
        let c = claims(
            json!({"token_use": "refresh", "aud": 5, "email_verified": "yes", "exp": "10", "cognito:groups": "a"}),
        );
        assert_eq!(c.token_use(), None);
        assert!(c.aud().is_empty());
        assert_eq!(c.email_verified(), None);
        assert_eq!(c.exp(), None);
        assert!(c.groups().is_empty());
    }

    #[test]
    fn serializes_as_the_token_had_it() {
        let raw = json!({"exp": 10, "cognito:groups": ["a"], "custom": {"n": 1.5}});
        let c = claims(raw.clone());
        assert_eq!(serde_json::to_value(&c).ok(), Some(raw));
    }
}
