//! What `/oauth2/token` and `/oauth2/revoke` share: the request's parameters,
//! client authentication, and OAuth 2.0 error responses.
//!
//! It uses `cognito::pool`; it is used by `cognito::revoke`, `cognito::token`.

use std::collections::HashMap;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::pool::Cognito;

/// An OAuth 2.0 error body with the no-store headers of RFC 6749.
#[must_use]
pub fn error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")],
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// `400 invalid_request` with `description`.
#[must_use]
pub fn invalid_request(description: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// The parameters of a request: those of the query string, then those of the
/// form body, which win where both give one. (The article's token request puts
/// them all in the query string, and Cognito accepts that.)
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Reads the query string and the body.
    ///
    /// # Errors
    /// `invalid_request` for a body that is not a form, or a parameter given twice in one place.
    // The refusal is the response itself (axum style); its size does not matter on this path.
    #[allow(clippy::result_large_err)]
    pub fn read(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Result<Self, Response> {
        let mut params = HashMap::new();
        if let Some(query) = query {
            params.extend(pairs(query.as_bytes())?);
        }
        if !body.is_empty() {
            let form = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .is_some_and(|v| {
                    v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
                });
            if !form {
                return Err(invalid_request(
                    "Send the parameters as application/x-www-form-urlencoded.",
                ));
            }
            params.extend(pairs(body)?);
        }
        Ok(Self(params))
    }

    /// The value of `name`, if given.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

// The refusal is the response itself (axum style); its size does not matter on this path.
#[allow(clippy::result_large_err)]
fn pairs(text: &[u8]) -> Result<HashMap<String, String>, Response> {
    let mut found = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(text) {
        if found.insert(name.to_string(), value.into_owned()).is_some() {
            // RFC 6749 3.2: parameters must not be included more than once.
            return Err(invalid_request(&format!("{name} is given twice.")));
        }
    }
    Ok(found)
}

/// Reads the parameters of a request and authenticates its client.
///
/// # Errors
/// The response to give: a malformed request, or failed client authentication.
// The refusal is the response itself (axum style); its size does not matter on this path.
#[allow(clippy::result_large_err)]
pub fn read_request(
    pool: &Cognito,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<(Params, Client), Response> {
    let params = Params::read(headers, query, body)?;
    let client = authenticate(pool, headers, &params)?;
    Ok((params, client))
}

/// Which app client a request authenticated as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// The web client: authorization code and refresh token grants.
    Web,
    /// The machine client: the client-credentials grant.
    Machine,
}

/// Authenticates the client by `client_secret_basic` or `client_secret_post` (exactly one).
///
/// # Errors
/// `invalid_client` (401) for unknown or wrong credentials; `invalid_request` for two methods at once.
// The refusal is the response itself (axum style); its size does not matter on this path.
#[allow(clippy::result_large_err)]
pub fn authenticate(
    pool: &Cognito,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Client, Response> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, b64)| b64.trim().to_owned());
    let invalid_client = || {
        let mut r =
            error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed.");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"claimsgate\""),
        );
        r
    };
    let (id, secret) = match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(invalid_request("Use one client authentication method."));
        }
        (Some(b64), None) => {
            let decoded = STANDARD.decode(b64).ok().and_then(|b| String::from_utf8(b).ok());
            let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                return Err(invalid_client());
            };
            if params.get("client_id").is_some_and(|f| f != id) {
                return Err(invalid_client());
            }
            (id.to_owned(), secret.to_owned())
        }
        (None, Some(secret)) => match params.get("client_id") {
            Some(id) => (id.to_owned(), secret.to_owned()),
            None => return Err(invalid_client()),
        },
        (None, None) => return Err(invalid_client()),
    };
    let matches = |known_id: &str, known_secret: &str| {
        let id_ok = verify_slices_are_equal(id.as_bytes(), known_id.as_bytes()).is_ok();
        let secret_ok = verify_slices_are_equal(secret.as_bytes(), known_secret.as_bytes()).is_ok();
        id_ok && secret_ok
    };
    if matches(&pool.client_id, &pool.client_secret) {
        Ok(Client::Web)
    } else if matches(&pool.machine.id, &pool.machine.secret) {
        Ok(Client::Machine)
    } else {
        Err(invalid_client())
    }
}
