//! Cognito token claims: typed accessors over the claims exactly as the token carries them.

use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
///
/// The Cognito claims are read once, at verification; the full set is parsed
/// only when asked for ([`Claims::as_map`], serialization), so a decision that
/// needs a few claims does not pay for all of them.
#[derive(Debug, Clone)]
pub struct Claims {
    text: String,
    known: Known,
    all: OnceLock<Map<String, Value>>,
}

/// The claims this crate and the functions read, as in the token.
#[derive(Debug, Clone, Default, Deserialize)]
struct Known {
    #[serde(default, deserialize_with = "present")]
    sub: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    iss: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    token_use: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    aud: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    client_id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[serde(rename = "cognito:username")]
    cognito_username: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    username: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[serde(rename = "cognito:groups")]
    groups: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    scope: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    email_verified: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pet_preference: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    exp: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    iat: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    nbf: Option<Value>,
}

/// A known claim that is a string.
fn text(claim: &Option<Value>) -> Option<&str> {
    claim.as_ref().and_then(Value::as_str)
}

/// Keeps a claim that is present, even as `null` (which is not the same as absent).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Why a payload is not a claim set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsError {
    /// Not a JSON object (or not JSON at all).
    NotAnObject,
    /// A claim appears twice: which one counts would depend on the reader.
    DuplicateClaim,
}

impl Claims {
    /// Reads a JSON object of claims, as a token's payload carries it.
    ///
    /// # Errors
    /// When the text is not a JSON object, or names a Cognito claim twice.
    pub fn from_json(text: impl Into<String>) -> Result<Self, ClaimsError> {
        let text = text.into();
        // serde would also read a struct from a JSON array; claims are an object.
        if text.trim_start().as_bytes().first() != Some(&b'{') {
            return Err(ClaimsError::NotAnObject);
        }
        let known: Known = serde_json::from_str(&text).map_err(|e| {
            if e.to_string().starts_with("duplicate field") {
                ClaimsError::DuplicateClaim
            } else {
                ClaimsError::NotAnObject
            }
        })?;
        Ok(Self {
            text,
            known,
            all: OnceLock::new(),
        })
    }

    /// Wraps a JSON object of claims.
    #[must_use]
    pub fn new(map: Map<String, Value>) -> Self {
        let text = Value::Object(map.clone()).to_string();
        let known = serde_json::from_str(&text).unwrap_or_default();
        Self {
            text,
            known,
            all: OnceLock::from(map),
        }
    }

    /// Wraps a JSON value that is an object of claims; `None` for any other value.
    #[must_use]
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self::new(map)),
            _ => None,
        }
    }

    /// All claims, as in the token.
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        // The text was read as a JSON object when the claims were made, so this parse succeeds.
        self.all
            .get_or_init(|| serde_json::from_str(&self.text).unwrap_or_default())
    }

    /// One claim, as in the token.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        let k = &self.known;
        let known = match name {
            "sub" => &k.sub,
            "iss" => &k.iss,
            "token_use" => &k.token_use,
            "aud" => &k.aud,
            "client_id" => &k.client_id,
            "cognito:username" => &k.cognito_username,
            "username" => &k.username,
            "cognito:groups" => &k.groups,
            "scope" => &k.scope,
            "email" => &k.email,
            "email_verified" => &k.email_verified,
            "pet_preference" => &k.pet_preference,
            "exp" => &k.exp,
            "iat" => &k.iat,
            "nbf" => &k.nbf,
            other => return self.as_map().get(other),
        };
        known.as_ref()
    }

    /// The claims the checks read, as in the token, without looking them up by name.
    pub(crate) fn exp_value(&self) -> Option<&Value> {
        self.known.exp.as_ref()
    }

    pub(crate) fn iat_value(&self) -> Option<&Value> {
        self.known.iat.as_ref()
    }

    pub(crate) fn nbf_value(&self) -> Option<&Value> {
        self.known.nbf.as_ref()
    }

    pub(crate) fn aud_value(&self) -> Option<&Value> {
        self.known.aud.as_ref()
    }

    /// A claim that is a string.
    #[must_use]
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// `sub`: the user's stable id (for a client-credentials token, the client id).
    #[must_use]
    pub fn sub(&self) -> Option<&str> {
        text(&self.known.sub)
    }

    /// `iss`: the issuer URL.
    #[must_use]
    pub fn iss(&self) -> Option<&str> {
        text(&self.known.iss)
    }

    /// `token_use`, when it is `id` or `access`.
    #[must_use]
    pub fn token_use(&self) -> Option<TokenUse> {
        match text(&self.known.token_use)? {
            "id" => Some(TokenUse::Id),
            "access" => Some(TokenUse::Access),
            _ => None,
        }
    }

    /// `aud` values (a string or an array of strings).
    #[must_use]
    pub fn aud(&self) -> Vec<&str> {
        match self.known.aud.as_ref() {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// `client_id` (access tokens).
    #[must_use]
    pub fn client_id(&self) -> Option<&str> {
        text(&self.known.client_id)
    }

    /// The app client the token was issued to: `aud` of an ID token, `client_id` of an access token.
    #[must_use]
    pub fn app_client_id(&self) -> Option<&str> {
        match self.token_use() {
            Some(TokenUse::Access) => self.client_id(),
            _ => match self.known.aud.as_ref()? {
                Value::String(aud) => Some(aud),
                Value::Array(auds) => auds.iter().find_map(Value::as_str),
                _ => None,
            },
        }
    }

    /// The user name: `cognito:username` (ID token) or `username` (access token).
    #[must_use]
    pub fn username(&self) -> Option<&str> {
        text(&self.known.cognito_username).or_else(|| text(&self.known.username))
    }

    /// `cognito:groups`.
    #[must_use]
    pub fn groups(&self) -> Vec<&str> {
        match self.known.groups.as_ref() {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// `scope` (access tokens): space-separated.
    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        text(&self.known.scope)
    }

    /// `email`.
    #[must_use]
    pub fn email(&self) -> Option<&str> {
        text(&self.known.email)
    }

    /// `email_verified`: a boolean, or the strings `"true"`/`"false"` as Cognito attributes carry it.
    #[must_use]
    pub fn email_verified(&self) -> Option<bool> {
        match self.known.email_verified.as_ref()? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// `pet_preference`, as the trigger set it.
    #[must_use]
    pub fn pet_preference(&self) -> Option<&str> {
        text(&self.known.pet_preference)
    }

    /// `exp`, seconds since the epoch (verified tokens always have it).
    #[must_use]
    pub fn exp(&self) -> Option<u64> {
        self.known.exp.as_ref().and_then(Value::as_u64)
    }

    /// `iat`, seconds since the epoch.
    #[must_use]
    pub fn iat(&self) -> Option<u64> {
        self.known.iat.as_ref().and_then(Value::as_u64)
    }
}

impl PartialEq for Claims {
    fn eq(&self, other: &Self) -> bool {
        self.as_map() == other.as_map()
    }
}

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_map().serialize(serializer)
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
    fn duplicates_and_non_objects_are_refused() {
        assert_eq!(
            Claims::from_json(r#"{"exp": 1, "exp": 2}"#).err(),
            Some(ClaimsError::DuplicateClaim)
        );
        for bad in ["[1, 2]", "\"str\"", "null", "{", ""] {
            assert_eq!(
                Claims::from_json(bad).err(),
                Some(ClaimsError::NotAnObject),
                "{bad}"
            );
        }
        let c =
            Claims::from_json(r#"{"sub": "u", "custom": [1]}"#).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.sub(), Some("u"));
        assert_eq!(c.get("custom"), Some(&json!([1])));
    }

    #[test]
    fn escaped_strings_read_unescaped() {
        let text = r#"{"pet_preference": "\u0064ogs", "sub": "a\"b", "aud": "app", "email_verified": "true", "exp": 1000}"#;
        let c = Claims::from_json(text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.pet_preference(), Some("dogs"));
        assert_eq!(c.sub(), Some("a\"b"));
        assert_eq!(c.aud(), vec!["app"]);
        assert_eq!(c.email_verified(), Some(true));
        assert_eq!(c.exp(), Some(1000));
        assert_eq!(c.username(), None);
    }

    #[test]
    fn serializes_as_the_token_had_it() {
        let raw = json!({"exp": 10, "cognito:groups": ["a"], "custom": {"n": 1.5}});
        let c = claims(raw.clone());
        assert_eq!(serde_json::to_value(&c).ok(), Some(raw));
    }
}
