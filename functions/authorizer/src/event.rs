//! Reading the authorizer event: which kind it is, the bearer token, the called route's ARN.
//!
//! [`AuthorizerEvent`] keeps only what the authorizer reads and skips the
//! rest of the event unread (a REST `REQUEST` event carries dozens of fields).
//! It is lenient about types: a field of an unexpected JSON type reads as
//! absent, so odd input becomes `Unauthorized`, never a parse failure.

use serde::Deserialize;

use crate::lenient::{authorization_headers, authorization_multi_value_headers, text, texts};

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

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
