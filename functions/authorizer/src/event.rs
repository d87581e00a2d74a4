//! Reading the authorizer event: which kind it is, the bearer token, the called route's ARN.
//!
//! [`AuthorizerEvent`] keeps only the fields the authorizer reads and skips the
//! rest. Any of them may be absent or of an odd JSON type: it then reads as
//! absent, so odd input becomes `Unauthorized`, never a parse failure.
//!
//! It uses nothing else of the crate; it is used by the crate root (lib.rs).

use claimsgate_core::bearer::{BearerError, bearer_token};
use serde::Deserialize;
use serde_json::Value;

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
    #[serde(rename = "type")]
    kind: Value,
    version: Value,
    authorization_token: Value,
    method_arn: Value,
    route_arn: Value,
    headers: Value,
    multi_value_headers: Value,
    identity_source: Value,
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
        if self.version.as_str() == Some("2.0") {
            return Ok(Call {
                kind: EventKind::HttpV2,
                token: self.http_v2_header().and_then(bearer),
                arn: self.route_arn.as_str().unwrap_or(""),
            });
        }
        let arn = self.method_arn.as_str().unwrap_or("");
        let (kind, header) = match self.kind.as_str() {
            Some("TOKEN") => (
                EventKind::RestToken,
                self.authorization_token.as_str().ok_or("no authorizationToken"),
            ),
            Some("REQUEST") => (EventKind::RestRequest, self.rest_request_header()),
            _ => return Err("not a TOKEN, REQUEST or payload 2.0 authorizer event"),
        };
        Ok(Call { kind, token: header.and_then(bearer), arn })
    }

    /// The one `Authorization` header of a REST `REQUEST` event, in any case.
    ///
    /// Two differing values (two spellings in `headers`, or several entries in
    /// `multiValueHeaders`) are refused: which one would API Gateway have cached?
    fn rest_request_header(&self) -> Result<&str, &'static str> {
        let multi =
            authorization(&self.multi_value_headers).filter_map(Value::as_array).flatten().count();
        if multi > 1 {
            return Err("more than one Authorization header");
        }
        self.single_header()
    }

    /// The `Authorization` header of a payload 2.0 event, else its only identity source.
    fn http_v2_header(&self) -> Result<&str, &'static str> {
        match self.single_header() {
            Err("no Authorization header") => match self.identity_source.as_array() {
                None => Err("no Authorization header"),
                Some(sources) => match sources.as_slice() {
                    [] => Err("no Authorization header"),
                    [only] => only.as_str().ok_or("identitySource is not a string"),
                    _ => Err("several identity sources and no Authorization header"),
                },
            },
            other => other,
        }
    }

    fn single_header(&self) -> Result<&str, &'static str> {
        let mut found: Option<&str> = None;
        for value in authorization(&self.headers) {
            let value = value.as_str().ok_or("the Authorization header is not a string")?;
            match found {
                Some(seen) if seen != value => return Err("more than one Authorization header"),
                _ => found = Some(value),
            }
        }
        found.ok_or("no Authorization header")
    }
}

/// The values of every `Authorization` entry of a header map, whatever its case.
fn authorization(headers: &Value) -> impl Iterator<Item = &Value> {
    headers
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value)
}

/// The token of an `Authorization` value, by the one bearer grammar of `claimsgate-core`.
fn bearer(value: &str) -> Result<&str, &'static str> {
    bearer_token(value).map_err(|e| match e {
        BearerError::Missing => "no Authorization header",
        BearerError::Malformed(why) => why,
    })
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
