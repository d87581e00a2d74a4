//! Error responses: RFC 9457 problem details with RFC 6750 bearer challenges.
//!
//! It uses nothing else of the crate; it is used by the crate root (lib.rs).

use claimsgate_core::VerifyError;
use lambda_http::http::header::{ALLOW, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use std::time::Duration;

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

/// Where the problem types are described; each type is this plus `#` and its kind.
pub const PROBLEM_TYPE_BASE: &str =
    "https://github.com/claimsgate/claimsgate/blob/main/functions/me-claims/README.md";

/// The protection space named in every `WWW-Authenticate` challenge.
pub const REALM: &str = "claimsgate";

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One error response: what the client did wrong (or what failed here), ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    code: &'static str,
    detail: String,
    challenge: Option<String>,
    allow: Option<&'static str>,
    /// Seconds, for `Retry-After`.
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    type_uri: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
}

impl Problem {
    /// A problem whose kind is its code, without headers beyond the body's type.
    fn new(status: StatusCode, code: &'static str, title: &'static str, detail: String) -> Self {
        let (kind, challenge, allow, retry_after) = (code, None, None, None);
        Self { status, kind, title, code, detail, challenge, allow, retry_after }
    }

    /// 401 without an error code: the request carried no credentials (RFC 6750 §3.1).
    #[must_use]
    pub fn missing_token() -> Self {
        let detail = "send the token as `Authorization: Bearer <token>`".to_owned();
        let problem =
            Self::new(StatusCode::UNAUTHORIZED, "missing_token", "Authentication required", detail);
        Self { challenge: Some(challenge(None)), ..problem }
    }

    /// 400 `invalid_request`: the `Authorization` header is not one bearer token.
    #[must_use]
    pub fn invalid_request(reason: &'static str) -> Self {
        let title = "Malformed Authorization header";
        let problem =
            Self::new(StatusCode::BAD_REQUEST, "invalid_request", title, reason.to_owned());
        Self { challenge: Some(challenge(Some(("invalid_request", reason)))), ..problem }
    }

    /// 401 `invalid_token`: the token was rejected; `code` says why.
    #[must_use]
    pub fn invalid_token(error: &VerifyError) -> Self {
        let challenge = Some(challenge(Some(("invalid_token", &error.to_string()))));
        let problem =
            Self::new(StatusCode::UNAUTHORIZED, error.code(), "Invalid token", error.to_string());
        Self { kind: "invalid_token", challenge, ..problem }
    }

    /// 503: the issuer's keys cannot be had, so no token can be judged. Not the client's fault.
    /// `Retry-After` says when the keys will next be fetched (at least a second).
    #[must_use]
    pub fn jwks_unavailable(error: &VerifyError, retry_after: Duration) -> Self {
        let (title, detail) = (
            "Token verification unavailable",
            "the issuer's signing keys cannot be fetched right now; try again later",
        );
        let problem =
            Self::new(StatusCode::SERVICE_UNAVAILABLE, error.code(), title, detail.to_owned());
        Self {
            kind: "jwks_unavailable",
            retry_after: Some(retry_after.as_secs().max(1)),
            ..problem
        }
    }

    /// 404: this function serves one resource only.
    #[must_use]
    pub fn not_found() -> Self {
        let detail = "there is no resource at this path; the endpoint is GET /me/claims";
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found", detail.to_owned())
    }

    /// 405 with the methods the resource does allow.
    #[must_use]
    pub fn method_not_allowed(allow: &'static str) -> Self {
        let detail = format!("/me/claims answers {allow} only");
        let problem = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
            detail,
        );
        Self { allow: Some(allow), ..problem }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable snake_case code carried in the body (the verifier's code for a rejected token).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The response: problem JSON body, `WWW-Authenticate` / `Allow` as the status calls for.
    pub fn into_response(self) -> Response<Body> {
        let body = ProblemBody {
            type_uri: format!("{PROBLEM_TYPE_BASE}#{}", self.kind),
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
        };
        // Serializing plain strings and a number cannot fail; the fallback keeps the status honest anyway.
        let json = serde_json::to_string(&body).unwrap_or_else(|_| {
            format!(r#"{{"status":{},"code":"{}"}}"#, self.status.as_u16(), self.code)
        });
        let mut response = Response::new(Body::Text(json));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(value) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(WWW_AUTHENTICATE, value);
        }
        if let Some(allow) = self.allow {
            headers.insert(ALLOW, HeaderValue::from_static(allow));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// `Bearer realm="claimsgate"`, plus `error` and `error_description` when a token was sent.
fn challenge(error: Option<(&str, &str)>) -> String {
    match error {
        None => format!("Bearer realm=\"{REALM}\""),
        Some((code, description)) => format!(
            "Bearer realm=\"{REALM}\", error=\"{code}\", error_description=\"{}\"",
            quoted_safe(description)
        ),
    }
}

/// RFC 6750 limits `error_description` to %x20-21 / %x23-5B / %x5D-7E: no quote, no backslash.
fn quoted_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn challenge_descriptions_stay_inside_the_allowed_characters() {
        assert_eq!(quoted_safe("a \"b\" \\ c\né"), "a 'b' ' c??");
        let header = challenge(Some(("invalid_token", "claim `exp` is \"bad\"")));
        assert_eq!(
            header,
            "Bearer realm=\"claimsgate\", error=\"invalid_token\", error_description=\"claim `exp` is 'bad'\""
        );
        assert!(HeaderValue::from_str(&header).is_ok());
    }

    #[test]
    fn every_verifier_error_makes_a_valid_challenge() {
        let errors = [
            VerifyError::TokenTooLarge { max: 16_384 },
            VerifyError::Malformed("a JWT has exactly three segments"),
            VerifyError::MissingClaim("exp"),
            VerifyError::InvalidClaim("iat"),
            VerifyError::Expired,
        ];
        for error in &errors {
            let response = Problem::invalid_token(error).into_response();
            assert!(response.headers().contains_key(WWW_AUTHENTICATE), "{error:?}");
        }
    }

    #[test]
    fn body_is_problem_json_with_the_code() {
        let response = Problem::invalid_token(&VerifyError::Expired).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let Body::Text(text) = response.body() else { panic!("not a text body") };
        let body: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(body["code"], "token_expired");
        assert_eq!(body["status"], 401);
        assert_eq!(body["type"], format!("{PROBLEM_TYPE_BASE}#invalid_token"));
    }
}
