//! Reading a Pre Token Generation event: its version, trigger source and user.
//!
//! Nothing here fails: a field that is missing or of another type reads as absent.
//!
//! It uses nothing else of the crate; it is used by `response`, the crate root (lib.rs).

use serde_json::{Map, Value};

/// The trigger source of a client-credentials (machine-to-machine) grant, V3 only.
pub const CLIENT_CREDENTIALS: &str = "TokenGeneration_ClientCredentials";

/// Trigger sources Cognito documents for this trigger.
pub const KNOWN_TRIGGER_SOURCES: &[&str] = &[
    "TokenGeneration_HostedAuth",
    "TokenGeneration_Authentication",
    "TokenGeneration_NewPasswordChallenge",
    "TokenGeneration_AuthenticateDevice",
    "TokenGeneration_RefreshTokens",
    CLIENT_CREDENTIALS,
];

/// Which response shape the event expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `V1_0`: `claimsOverrideDetails`, ID token only.
    V1,
    /// `V2_0`, `V3_0` and later: `claimsAndScopeOverrideDetails`, ID and access tokens.
    V2,
}

/// What the handler needs from an event, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub struct View<'e> {
    /// The `version` field as a number (`"1"`, `1` and `"V1_0"` all read as 1).
    pub version: Option<u64>,
    /// The response shape to write.
    pub shape: Shape,
    /// `triggerSource`, empty when absent.
    pub trigger_source: &'e str,
    /// `request.userAttributes`, when it is an object.
    pub attributes: Option<&'e Map<String, Value>>,
    /// True when `request.userAttributes` is present but not an object (nor null).
    pub attributes_malformed: bool,
}

impl<'e> View<'e> {
    /// Reads `event`.
    #[must_use]
    pub fn read(event: &'e Map<String, Value>) -> Self {
        let version = event.get("version").and_then(version_number);
        let trigger_source = event.get("triggerSource").and_then(Value::as_str).unwrap_or("");
        let request = event.get("request").and_then(Value::as_object);
        let raw_attributes = request.and_then(|r| r.get("userAttributes"));
        let attributes = raw_attributes.and_then(Value::as_object);
        let attributes_malformed =
            attributes.is_none() && raw_attributes.is_some_and(|v| !v.is_null());
        let shape = match version {
            Some(1) => Shape::V1,
            Some(n) if n >= 2 => Shape::V2,
            _ => shape_by_content(event, request, trigger_source),
        };
        Self { version, shape, trigger_source, attributes, attributes_malformed }
    }

    /// True for a client-credentials grant: a machine, no user, no ID token.
    pub fn is_client_credentials(&self) -> bool {
        self.trigger_source == CLIENT_CREDENTIALS
    }

    /// True when the trigger source is one Cognito documents.
    pub fn is_known_trigger_source(&self) -> bool {
        KNOWN_TRIGGER_SOURCES.contains(&self.trigger_source)
    }

    /// The user's `sub` attribute, for logs.
    pub fn sub(&self) -> Option<&'e str> {
        self.attributes.and_then(|a| a.get("sub")).and_then(Value::as_str)
    }
}

/// `1`, `"1"`, `"V1_0"` -> 1; anything else -> `None`.
fn version_number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.trim();
            let s = s.strip_prefix(['V', 'v']).unwrap_or(s);
            let digits = s.find(|c: char| !c.is_ascii_digit()).map_or(s, |end| &s[..end]);
            digits.parse().ok()
        }
        _ => None,
    }
}

/// An unknown version is answered by what the event looks like: a response or
/// request field that only V2 and later carry means V2, otherwise V1, which
/// every version of the trigger understands.
fn shape_by_content(
    event: &Map<String, Value>,
    request: Option<&Map<String, Value>>,
    trigger_source: &str,
) -> Shape {
    let response = event.get("response").and_then(Value::as_object);
    if response.is_some_and(|r| r.contains_key("claimsAndScopeOverrideDetails")) {
        Shape::V2
    } else if response.is_some_and(|r| r.contains_key("claimsOverrideDetails")) {
        Shape::V1
    } else if request.is_some_and(|r| r.contains_key("scopes"))
        || trigger_source == CLIENT_CREDENTIALS
    {
        Shape::V2
    } else {
        Shape::V1
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn shape(event: Value) -> Shape {
        View::read(event.as_object().unwrap()).shape
    }

    #[test]
    fn versions_and_shapes() {
        assert_eq!(shape(json!({"version": "1"})), Shape::V1);
        assert_eq!(shape(json!({"version": 1})), Shape::V1);
        assert_eq!(shape(json!({"version": "V1_0"})), Shape::V1);
        assert_eq!(shape(json!({"version": "2"})), Shape::V2);
        assert_eq!(shape(json!({"version": "V3_0"})), Shape::V2);
        assert_eq!(shape(json!({"version": "9"})), Shape::V2);
        assert_eq!(shape(json!({"version": 2})), Shape::V2);
        // A declared version wins over what the event carries.
        assert_eq!(shape(json!({"version": "1", "request": {"scopes": ["openid"]}})), Shape::V1);
        assert_eq!(
            shape(json!({"version": "1", "response": {"claimsAndScopeOverrideDetails": null}})),
            Shape::V1
        );
        // unknown versions: by shape
        assert_eq!(
            shape(json!({"version": "x", "response": {"claimsAndScopeOverrideDetails": null}})),
            Shape::V2
        );
        assert_eq!(
            shape(json!({"version": null, "response": {"claimsOverrideDetails": null}})),
            Shape::V1
        );
        assert_eq!(shape(json!({"request": {"scopes": []}})), Shape::V2);
        assert_eq!(shape(json!({"triggerSource": CLIENT_CREDENTIALS})), Shape::V2);
        assert_eq!(shape(json!({"version": "0"})), Shape::V1);
        assert_eq!(shape(json!({})), Shape::V1);
    }

    #[test]
    fn versions_read_as_numbers() {
        let version = |v: Value| View::read(json!({"version": v}).as_object().unwrap()).version;
        assert_eq!(version(json!(3)), Some(3));
        assert_eq!(version(json!("3")), Some(3));
        assert_eq!(version(json!("V2_0")), Some(2));
        assert_eq!(version(json!(-1)), None);
        assert_eq!(version(json!(true)), None);
    }

    #[test]
    fn odd_fields_read_as_absent() {
        let event = json!({"triggerSource": 5, "request": {"userAttributes": ["x"]}});
        let view = View::read(event.as_object().unwrap());
        assert_eq!(view.trigger_source, "");
        assert!(view.attributes.is_none());
        assert!(view.attributes_malformed);
        assert!(!view.is_known_trigger_source());
        let event = json!({"request": {"userAttributes": null}});
        assert!(!View::read(event.as_object().unwrap()).attributes_malformed);
    }
}
