//! `POST /oauth2/token`: the authorization-code and refresh-token grants, with client authentication.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Cognito;
use crate::issuer::{Grant, Source};
use crate::lock;
use crate::random;

/// Authorization codes live five minutes.
pub const CODE_LIFE_SECS: u64 = 300;

/// What an authorization code stands for.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    /// The user's email.
    pub email: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI of the authorization request.
    pub redirect_uri: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The request's nonce.
    pub nonce: Option<String>,
    /// PKCE challenge and method (`S256` or `plain`).
    pub challenge: Option<(String, String)>,
    /// When the user signed in.
    pub auth_time: u64,
    /// When the code stops working.
    pub expires_at: u64,
}

/// What a refresh token stands for. The token is this, as JSON, sealed with an
/// HMAC keyed from the pool's signing key: any process holding the key file (the
/// server, `claimsgate token`) can issue and check them, and nobody else can forge one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshGrant {
    /// The user's email.
    pub email: String,
    /// The client it was issued to.
    pub client_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// When the user signed in.
    pub auth_time: u64,
    /// The session's `origin_jti`.
    pub origin_jti: String,
    /// When it stops working.
    pub expires_at: u64,
}

impl RefreshGrant {
    /// Seals the grant into a refresh token.
    #[must_use]
    pub fn seal(&self, key: &hmac::Key) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default());
        let tag = hmac::sign(key, body.as_bytes());
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Opens a refresh token sealed by [`RefreshGrant::seal`] with the same key.
    #[must_use]
    pub fn open(token: &str, key: &hmac::Key) -> Option<Self> {
        let (body, tag) = token.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        hmac::verify(key, body.as_bytes(), &tag).ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
    }
}

/// The refresh-token sealing key, derived from the signing key.
#[must_use]
pub fn refresh_key(signing_pem: &str) -> hmac::Key {
    let derived = digest(
        &SHA256,
        format!("claimsgate refresh tokens\n{signing_pem}").as_bytes(),
    );
    hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Authenticates the client by `client_secret_basic` or `client_secret_post` (exactly one).
// The refusal is the response itself (axum style); its size does not matter on this path.
#[allow(clippy::result_large_err)]
fn authenticate(
    pool: &Cognito,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(), Response> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, b64)| b64.trim().to_owned());
    let invalid_client = || {
        let mut r = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"claimsgate\""),
        );
        r
    };
    let (id, secret) = match (basic, form.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Use one client authentication method.",
            ));
        }
        (Some(b64), None) => {
            let decoded = STANDARD
                .decode(b64)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                return Err(invalid_client());
            };
            if form.get("client_id").is_some_and(|f| f != id) {
                return Err(invalid_client());
            }
            (id.to_owned(), secret.to_owned())
        }
        (None, Some(secret)) => match form.get("client_id") {
            Some(id) => (id.clone(), secret.clone()),
            None => return Err(invalid_client()),
        },
        (None, None) => return Err(invalid_client()),
    };
    let id_ok = verify_slices_are_equal(id.as_bytes(), pool.client_id.as_bytes()).is_ok();
    let secret_ok =
        verify_slices_are_equal(secret.as_bytes(), pool.client_secret.as_bytes()).is_ok();
    if id_ok && secret_ok {
        Ok(())
    } else {
        Err(invalid_client())
    }
}

fn pkce_ok(challenge: &Option<(String, String)>, verifier: Option<&String>) -> bool {
    match (challenge, verifier) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((challenge, method)), Some(verifier)) => {
            let len_ok = (43..=128).contains(&verifier.len());
            let computed = if method == "S256" {
                URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()))
            } else {
                verifier.clone()
            };
            len_ok && verify_slices_are_equal(computed.as_bytes(), challenge.as_bytes()).is_ok()
        }
    }
}

/// `POST /oauth2/token`.
pub async fn token(
    State(pool): State<Arc<Cognito>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(response) = authenticate(&pool, &headers, &form) {
        return response;
    }
    let now = pool.issuer.clock.now_secs();
    let bad_grant = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why);
    let (email, grant_source, scopes, nonce, auth_time, origin_jti, new_refresh) =
        match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => {
                let Some(code) = form.get("code") else {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "code is required.",
                    );
                };
                // Single use: the code is gone whatever happens next.
                let Some(grant) = lock(&pool.codes).remove(code) else {
                    return bad_grant("The code is invalid, expired or already used.");
                };
                if grant.expires_at <= now {
                    return bad_grant("The code has expired.");
                }
                if grant.client_id != pool.client_id {
                    return bad_grant("The code was issued to another client.");
                }
                if form.get("redirect_uri") != Some(&grant.redirect_uri) {
                    return bad_grant("redirect_uri does not match the authorization request.");
                }
                if !pkce_ok(&grant.challenge, form.get("code_verifier")) {
                    return bad_grant("code_verifier does not match the code_challenge.");
                }
                (
                    grant.email,
                    Source::HostedAuth,
                    grant.scopes,
                    grant.nonce,
                    grant.auth_time,
                    random::uuid(),
                    true,
                )
            }
            Some("refresh_token") => {
                let Some(token) = form.get("refresh_token") else {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "refresh_token is required.",
                    );
                };
                let grant = RefreshGrant::open(token, &pool.refresh_key);
                let Some(grant) =
                    grant.filter(|g| g.expires_at > now && g.client_id == pool.client_id)
                else {
                    return bad_grant("Invalid Refresh Token");
                };
                (
                    grant.email,
                    Source::Refresh,
                    grant.scopes,
                    None,
                    grant.auth_time,
                    grant.origin_jti,
                    false,
                )
            }
            Some(_) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    "Use authorization_code or refresh_token.",
                );
            }
            None => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "grant_type is required.",
                );
            }
        };
    let Some(user) = pool.user(&email) else {
        return bad_grant("User does not exist.");
    };
    let grant = Grant {
        user,
        scopes: scopes.clone(),
        nonce,
        auth_time,
        origin_jti: origin_jti.clone(),
        source: grant_source,
    };
    let mut tokens = match pool.issuer.issue(&grant).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "token issuance failed");
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string());
        }
    };
    if new_refresh {
        tokens.refresh_token = Some(pool.refresh_token(&email, scopes, auth_time, origin_jti, now));
    }
    tracing::info!(sub = %user.sub(), grant = ?grant_source, "tokens issued");
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(tokens),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_and_plain() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned();
        // RFC 7636 appendix B.
        let s256 = Some((
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned(),
            "S256".to_owned(),
        ));
        assert!(pkce_ok(&s256, Some(&verifier)));
        assert!(!pkce_ok(&s256, Some(&format!("{verifier}x"))));
        assert!(!pkce_ok(&s256, None));
        let plain = Some((verifier.clone(), "plain".to_owned()));
        assert!(pkce_ok(&plain, Some(&verifier)));
        assert!(!pkce_ok(
            &Some(("short".into(), "plain".into())),
            Some(&"short".to_owned())
        ));
        assert!(pkce_ok(&None, None));
    }
}
