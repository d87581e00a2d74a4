//! Reading the authorizer event: which kind it is, the bearer token, the called route's ARN.
//!
//! [`AuthorizerEvent`] keeps only what the authorizer reads and skips the
//! rest of the event unread (a REST `REQUEST` event carries dozens of fields).
//! It is lenient about types: a field of an unexpected JSON type reads as
//! absent, so odd input becomes `Unauthorized`, never a parse failure.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The three event shapes API Gateway sends a Lambda authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// REST API, `TOKEN` authorizer: `authorizationToken` and `methodArn`.
    RestToken,
    /// REST API (or HTTP API payload 1.0), `REQUEST` authorizer: `headers` and `methodArn`.
    RestRequest,
    /// HTTP API payload 2.0: `identitySource`, `headers` and `routeArn`; simple response.
    HttpV2,
}

impl EventKind {
    /// A short name for logs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RestToken => "rest_token",
            Self::RestRequest => "rest_request",
            Self::HttpV2 => "http_v2",
        }
    }
}

/// The fields of an authorizer event that the authorizer reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthorizerEvent {
    #[serde(rename = "type", deserialize_with = "text")]
    kind: Option<String>,
    #[serde(deserialize_with = "text")]
    version: Option<String>,
    #[serde(deserialize_with = "text")]
    authorization_token: Option<String>,
    #[serde(deserialize_with = "text")]
    method_arn: Option<String>,
    #[serde(deserialize_with = "text")]
    route_arn: Option<String>,
    #[serde(deserialize_with = "authorization_headers")]
    headers: Vec<Option<String>>,
    #[serde(deserialize_with = "authorization_multi_value_headers")]
    multi_value_headers: Vec<Option<String>>,
    #[serde(deserialize_with = "texts")]
    identity_source: Vec<Option<String>>,
}

/// What the handler needs from an event.
#[derive(Debug, PartialEq, Eq)]
pub struct Call<'e> {
    /// The event shape.
    pub kind: EventKind,
    /// The bearer token, or why there is none.
    pub token: Result<&'e str, &'static str>,
    /// The ARN of the called route (`methodArn` or `routeArn`); empty when absent.
    pub arn: &'e str,
}

impl AuthorizerEvent {
    /// Tells the event kind apart and extracts token and ARN.
    ///
    /// # Errors
    /// When the event is none of the three shapes (a deployment mistake, not a client one).
    pub fn call(&self) -> Result<Call<'_>, &'static str> {
        if self.version.as_deref() == Some("2.0") {
            return Ok(Call {
                kind: EventKind::HttpV2,
                token: self.http_v2_header().and_then(bearer),
                arn: self.route_arn.as_deref().unwrap_or(""),
            });
        }
        let arn = self.method_arn.as_deref().unwrap_or("");
        match self.kind.as_deref() {
            Some("TOKEN") => Ok(Call {
                kind: EventKind::RestToken,
                token: self
                    .authorization_token
                    .as_deref()
                    .ok_or("no authorizationToken")
                    .and_then(bearer),
                arn,
            }),
            Some("REQUEST") => Ok(Call {
                kind: EventKind::RestRequest,
                token: self.rest_request_header().and_then(bearer),
                arn,
            }),
            _ => Err("not a TOKEN, REQUEST or payload 2.0 authorizer event"),
        }
    }

    /// The one `Authorization` header of a REST `REQUEST` event, in any case.
    ///
    /// Two differing values (two spellings in `headers`, or several entries in
    /// `multiValueHeaders`) are refused: which one would API Gateway have cached?
    fn rest_request_header(&self) -> Result<&str, &'static str> {
        if self.multi_value_headers.len() > 1 {
            return Err("more than one Authorization header");
        }
        self.single_header()
    }

    /// The `Authorization` header of a payload 2.0 event, else its only identity source.
    fn http_v2_header(&self) -> Result<&str, &'static str> {
        match self.single_header() {
            Err("no Authorization header") => match self.identity_source.as_slice() {
                [] => Err("no Authorization header"),
                [only] => only.as_deref().ok_or("identitySource is not a string"),
                _ => Err("several identity sources and no Authorization header"),
            },
            other => other,
        }
    }

    fn single_header(&self) -> Result<&str, &'static str> {
        let mut found: Option<&str> = None;
        for value in &self.headers {
            let value = value
                .as_deref()
                .ok_or("the Authorization header is not a string")?;
            match found {
                Some(seen) if seen != value => return Err("more than one Authorization header"),
                _ => found = Some(value),
            }
        }
        found.ok_or("no Authorization header")
    }
}

/// The token of an `Authorization: Bearer <token>` value.
///
/// The scheme is case-insensitive and blanks around the parts are tolerated;
/// anything but exactly the scheme and one token is refused.
///
/// # Errors
/// Why the value is not a single bearer token.
pub fn bearer(value: &str) -> Result<&str, &'static str> {
    let value = value.trim_ascii();
    let (scheme, token) = match value.find(|c: char| c.is_ascii_whitespace()) {
        Some(i) => (&value[..i], value[i..].trim_ascii_start()),
        None => (value, ""),
    };
    if scheme.is_empty() {
        return Err("the Authorization value is empty");
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("the scheme is not Bearer");
    }
    if token.is_empty() {
        return Err("Bearer without a token");
    }
    // A fold, not `any`: no early exit, so the scan over a 1 KiB token vectorizes.
    let blanks = token
        .bytes()
        .fold(false, |seen, b| seen | b.is_ascii_whitespace());
    if blanks {
        return Err("more than one token after Bearer");
    }
    Ok(token)
}

/// A JSON string as `Some`; any other JSON value, skipped, as `None`.
struct Text;

impl<'de> Visitor<'de> for Text {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// One lenient string (see [`Text`]).
struct LenientText(Option<String>);

impl<'de> Deserialize<'de> for LenientText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Text).map(Self)
    }
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(Text)
}

/// An array's elements as lenient strings; anything but an array is empty.
fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Option<String>>, D::Error> {
    d.deserialize_any(Texts)
}

struct Texts;

impl<'de> Visitor<'de> for Texts {
    type Value = Vec<Option<String>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(LenientText(item)) = seq.next_element()? {
            out.push(item);
        }
        Ok(out)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Text.visit_str(v).map(|_| Vec::new())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Text.visit_map(map).map(|_| Vec::new())
    }
}

/// True for a header name spelling `authorization` in any case; read without allocating.
struct IsAuthorization(bool);

impl<'de> Deserialize<'de> for IsAuthorization {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a header name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
                Ok(v.eq_ignore_ascii_case("authorization"))
            }
        }
        d.deserialize_str(Name).map(Self)
    }
}

/// The values of every `Authorization` entry (any case) of `headers`; other
/// headers are skipped unread. A value that is not a string reads as `None`.
/// Anything but a map gives no values.
fn authorization_headers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Option<String>>, D::Error> {
    d.deserialize_any(Headers { multi: false })
}

/// As [`authorization_headers`], for `multiValueHeaders`: one item per array element.
fn authorization_multi_value_headers<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<Option<String>>, D::Error> {
    d.deserialize_any(Headers { multi: true })
}

struct Headers {
    multi: bool,
}

impl<'de> Visitor<'de> for Headers {
    type Value = Vec<Option<String>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of headers")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(IsAuthorization(wanted)) = map.next_key()? {
            if !wanted {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            match map.next_value::<AuthorizationValue>()? {
                AuthorizationValue::One(v) => out.push(v),
                AuthorizationValue::Many(vs) if self.multi => out.extend(vs),
                AuthorizationValue::Many(_) => out.push(None),
            }
        }
        Ok(out)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Text.visit_seq(seq).map(|_| Vec::new())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// An `Authorization` header value: a string (`headers`) or an array (`multiValueHeaders`).
enum AuthorizationValue {
    One(Option<String>),
    Many(Vec<Option<String>>),
}

impl<'de> Deserialize<'de> for AuthorizationValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Value;
        impl<'de> Visitor<'de> for Value {
            type Value = AuthorizationValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a header value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Texts.visit_seq(seq).map(AuthorizationValue::Many)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AuthorizationValue::One(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(AuthorizationValue::One(Some(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Text.visit_map(map).map(AuthorizationValue::One)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(AuthorizationValue::One(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(AuthorizationValue::One(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(AuthorizationValue::One(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(AuthorizationValue::One(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(AuthorizationValue::One(None))
            }
        }
        d.deserialize_any(Value)
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
