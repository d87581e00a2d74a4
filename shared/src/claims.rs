//! Cognito token claims: one strict parse of the payload, typed accessors over it.
//!
//! It uses nothing else of the crate; it is used by `checks`, `token_cache`, `token`, `verify`.

use std::cell::Cell;
use std::fmt;

use serde::Serialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Deepest nesting of arrays and objects a payload may have (the claim set itself is level 1).
/// Cognito's claims nest two levels at most; a deeper payload is an attack, not a token.
pub const MAX_CLAIMS_DEPTH: usize = 32;

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
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Access => "access",
        }
    }
}

/// Why a payload is not a claim set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsError {
    /// Not a JSON object, or not valid JSON (bad escapes, numbers out of range, ...).
    NotAnObject,
    /// A name appears twice in one object: which one counts would depend on the reader.
    DuplicateClaim,
    /// Arrays and objects nest deeper than [`MAX_CLAIMS_DEPTH`].
    TooDeep,
}

impl ClaimsError {
    /// Why, in words (for error messages).
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotAnObject => "the payload is not a JSON object",
            Self::DuplicateClaim => "the payload names a claim twice",
            Self::TooDeep => "the payload nests deeper than 32 levels",
        }
    }
}

/// The claims of a token, exactly as it carries them.
///
/// Every claim is kept (numbers stay numbers, arrays stay arrays); the methods
/// read the Cognito ones with their types and return `None` (or an empty list)
/// when a claim is absent or of another type.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Claims(Map<String, Value>);

impl Claims {
    /// Parses a token's payload. It must be one JSON object: valid UTF-8 and
    /// escapes, numbers that fit a double, no name twice in any object, at most
    /// [`MAX_CLAIMS_DEPTH`] levels deep.
    ///
    /// # Errors
    /// The first rule the text breaks.
    pub fn from_json(text: &[u8]) -> Result<Self, ClaimsError> {
        let why = Cell::new(None);
        let mut reader = serde_json::Deserializer::from_slice(text);
        let parsed = Strict { depth: 1, why: &why }
            .deserialize(&mut reader)
            .and_then(|value| reader.end().map(|()| value));
        match parsed {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ClaimsError::NotAnObject),
            Err(_) => Err(why.get().unwrap_or(ClaimsError::NotAnObject)),
        }
    }

    /// Wraps a JSON object of claims.
    #[must_use]
    pub fn new(map: Map<String, Value>) -> Self {
        Self(map)
    }

    /// Wraps a JSON value that is an object of claims; `None` for any other value.
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self(map)),
            _ => None,
        }
    }

    /// All claims, as in the token.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// One claim, as in the token.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A claim that is a string.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// `sub`: the user's stable id (for a client-credentials token, the client id).
    pub fn sub(&self) -> Option<&str> {
        self.str("sub")
    }

    /// `iss`: the issuer URL.
    pub fn iss(&self) -> Option<&str> {
        self.str("iss")
    }

    /// `token_use`, when it is `id` or `access`.
    pub fn token_use(&self) -> Option<TokenUse> {
        match self.str("token_use")? {
            "id" => Some(TokenUse::Id),
            "access" => Some(TokenUse::Access),
            _ => None,
        }
    }

    /// `aud` values (a string or an array of strings).
    pub fn aud(&self) -> Vec<&str> {
        strings(self.get("aud"))
    }

    /// `client_id` (access tokens).
    pub fn client_id(&self) -> Option<&str> {
        self.str("client_id")
    }

    /// The app client the token was issued to: `aud` of an ID token, `client_id` of an access token.
    pub fn app_client_id(&self) -> Option<&str> {
        match self.token_use() {
            Some(TokenUse::Access) => self.client_id(),
            _ => self.aud().first().copied(),
        }
    }

    /// The user name: `cognito:username` (ID token) or `username` (access token).
    pub fn username(&self) -> Option<&str> {
        self.str("cognito:username").or_else(|| self.str("username"))
    }

    /// `cognito:groups`.
    pub fn groups(&self) -> Vec<&str> {
        match self.get("cognito:groups") {
            Some(Value::Array(_)) => strings(self.get("cognito:groups")),
            _ => Vec::new(),
        }
    }

    /// `scope` (access tokens): space-separated.
    pub fn scope(&self) -> Option<&str> {
        self.str("scope")
    }

    /// True when `scope` lists `wanted`.
    #[must_use]
    pub fn has_scope(&self, wanted: &str) -> bool {
        self.scope().is_some_and(|s| s.split(' ').any(|scope| scope == wanted))
    }

    /// `email`.
    pub fn email(&self) -> Option<&str> {
        self.str("email")
    }

    /// `email_verified`: a boolean, or the strings `"true"`/`"false"` as Cognito attributes carry it.
    pub fn email_verified(&self) -> Option<bool> {
        match self.get("email_verified")? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// `pet_preference`, as the trigger set it.
    pub fn pet_preference(&self) -> Option<&str> {
        self.str("pet_preference")
    }

    /// `exp`, seconds since the epoch (verified tokens always have it).
    pub fn exp(&self) -> Option<u64> {
        self.get("exp").and_then(Value::as_u64)
    }

    /// `iat`, seconds since the epoch.
    pub fn iat(&self) -> Option<u64> {
        self.get("iat").and_then(Value::as_u64)
    }
}

/// A string, or the strings of an array (other elements skipped).
fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A JSON reader that refuses what `serde_json::Value` would let through
/// silently: a name twice in an object (the last would win) and deep nesting.
/// It records why in `why`, since serde errors carry only text.
#[derive(Clone, Copy)]
struct Strict<'w> {
    depth: usize,
    why: &'w Cell<Option<ClaimsError>>,
}

impl Strict<'_> {
    fn fail<E: serde::de::Error>(&self, why: ClaimsError) -> E {
        self.why.set(Some(why));
        E::custom(why.reason())
    }

    /// The reader for what an array or object at this depth holds.
    fn inside<E: serde::de::Error>(&self) -> Result<Self, E> {
        if self.depth > MAX_CLAIMS_DEPTH {
            return Err(self.fail(ClaimsError::TooDeep));
        }
        Ok(Strict { depth: self.depth + 1, why: self.why })
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inside = self.inside()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inside)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let inside = self.inside()?;
        let mut map = Map::new();
        while let Some(name) = access.next_key::<String>()? {
            let value = access.next_value_seed(inside)?;
            if map.insert(name, value).is_some() {
                return Err(self.fail(ClaimsError::DuplicateClaim));
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        Claims::from_value(v).unwrap_or_default()
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
            json!({"token_use": "access", "client_id": "c2", "username": "bob", "aud": ["x"], "scope": "openid claimsgate/pets.read"}),
        );
        assert_eq!(c.app_client_id(), Some("c2"));
        assert_eq!(c.username(), Some("bob"));
        assert!(c.has_scope("claimsgate/pets.read"));
        assert!(!c.has_scope("claimsgate/pets"));
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
    fn what_the_strict_parse_refuses() {
        let cases: &[(&str, ClaimsError)] = &[
            (r#"{"exp": 1, "exp": 2}"#, ClaimsError::DuplicateClaim),
            (r#"{"a": {"x": 1, "x": 1}}"#, ClaimsError::DuplicateClaim),
            (r#"{"a": [{"x": 1, "x": 2}]}"#, ClaimsError::DuplicateClaim),
            (r#"{"sub": "\ud800"}"#, ClaimsError::NotAnObject),
            (r#"{"n": 1e400}"#, ClaimsError::NotAnObject),
            (r#"{"n": -1e400}"#, ClaimsError::NotAnObject),
            (r#"{"s": "\x"}"#, ClaimsError::NotAnObject),
            (r#"{"a": 1} {"b": 2}"#, ClaimsError::NotAnObject),
            ("[1, 2]", ClaimsError::NotAnObject),
            ("\"str\"", ClaimsError::NotAnObject),
            ("null", ClaimsError::NotAnObject),
            ("{", ClaimsError::NotAnObject),
            ("", ClaimsError::NotAnObject),
        ];
        for (text, want) in cases {
            assert_eq!(Claims::from_json(text.as_bytes()).err(), Some(*want), "{text}");
        }
        assert_eq!(Claims::from_json(b"{\"s\": \"\xff\"}").err(), Some(ClaimsError::NotAnObject));
        let c = Claims::from_json(br#"{"sub": "u", "custom": [1]}"#).unwrap_or_default();
        assert_eq!(c.sub(), Some("u"));
        assert_eq!(c.get("custom"), Some(&json!([1])));
    }

    #[test]
    fn nesting_is_allowed_up_to_the_limit_only() {
        let nest = |levels: usize| {
            // The claim set is one level; each `[` below adds one.
            let inner = levels - 1;
            format!(r#"{{"a": {}1{}}}"#, "[".repeat(inner), "]".repeat(inner))
        };
        assert!(Claims::from_json(nest(MAX_CLAIMS_DEPTH).as_bytes()).is_ok());
        assert_eq!(
            Claims::from_json(nest(MAX_CLAIMS_DEPTH + 1).as_bytes()).err(),
            Some(ClaimsError::TooDeep)
        );
        assert_eq!(Claims::from_json(nest(100_000).as_bytes()).err(), Some(ClaimsError::TooDeep));
    }

    #[test]
    fn escaped_strings_read_unescaped() {
        let text = r#"{"pet_preference": "\u0064ogs", "sub": "a\"b", "aud": "app", "email_verified": "true", "exp": 1000}"#;
        let c = Claims::from_json(text.as_bytes()).unwrap_or_default();
        assert_eq!(c.pet_preference(), Some("dogs"));
        assert_eq!(c.sub(), Some("a\"b"));
        assert_eq!(c.aud(), vec!["app"]);
        assert_eq!(c.email_verified(), Some(true));
        assert_eq!(c.exp(), Some(1000));
        assert_eq!(c.username(), None);
    }

    #[test]
    fn serializes_as_the_token_had_it() {
        let raw = json!({"exp": 10, "cognito:groups": ["a"], "custom": {"n": 1.5, "on": true, "off": false, "none": null}, "big": 18446744073709551615u64, "neg": -3, "esc": "a\"b"});
        let parsed = Claims::from_json(raw.to_string().as_bytes()).unwrap_or_default();
        assert_eq!(serde_json::to_value(&parsed).ok(), Some(raw));
    }

    #[test]
    fn reads_the_identity_claims_by_name() {
        let map = json!({"iss": "https://issuer", "email": "a@example.com", "iat": 5, "client_id": "c", "sub": "s"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let c = Claims::new(map.clone());
        assert_eq!(c.as_map(), &map);
        assert_eq!(c.iss(), Some("https://issuer"));
        assert_eq!(c.email(), Some("a@example.com"));
        assert_eq!(c.iat(), Some(5));
        assert_eq!(c.client_id(), Some("c"));
        assert_eq!(c.scope(), None);
        assert!(!c.has_scope(""));
        assert_eq!(Claims::from_value(json!([1])), None);
        assert_eq!(Claims::from_value(Value::Object(map)), Some(c));
    }

    #[test]
    fn token_use_is_named_as_the_token_names_it() {
        for token_use in [TokenUse::Id, TokenUse::Access] {
            let claims = claims(json!({ "token_use": token_use.as_str() }));
            assert_eq!(claims.token_use(), Some(token_use));
            assert_eq!(serde_json::to_value(token_use).ok(), Some(json!(token_use.as_str())));
        }
    }

    #[test]
    fn each_refusal_says_which_rule_was_broken() {
        for (text, why, words) in [
            (r#"["a"]"#, ClaimsError::NotAnObject, "not a JSON object"),
            (r#"{"a": 1, "a": 2}"#, ClaimsError::DuplicateClaim, "a claim twice"),
            (
                &format!("{{\"a\": {}{}}}", "[".repeat(40), "]".repeat(40)),
                ClaimsError::TooDeep,
                "deeper than 32",
            ),
        ] {
            assert_eq!(Claims::from_json(text.as_bytes()), Err(why), "{text}");
            assert!(why.reason().contains(words), "{why:?}: {}", why.reason());
        }
    }

    #[test]
    fn email_verified_is_a_boolean_or_its_string() {
        for (value, want) in [
            (json!(true), Some(true)),
            (json!(false), Some(false)),
            (json!("true"), Some(true)),
            (json!("false"), Some(false)),
            (json!("False"), None),
            (json!(1), None),
        ] {
            assert_eq!(
                claims(json!({ "email_verified": value })).email_verified(),
                want,
                "{value}"
            );
        }
    }
}
