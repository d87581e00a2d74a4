//! `POST /oauth2/token`: the authorization-code, refresh-token and client-credentials grants.
//!
//! It uses `cognito::issuer`, `cognito::oauth`, `cognito::pool`, `support`; it is used by
//! `cognito`.

use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

use super::issuer::{Grant, MachineGrant, Source};
use super::oauth::{self, Client, Params, invalid_request};
use super::pool::Cognito;
use crate::support::{lock, random};

/// The user session a grant continues: what the authorization-code and
/// refresh-token grants both hand to issuance.
#[derive(Debug)]
struct UserSession {
    email: String,
    source: Source,
    scopes: Vec<String>,
    nonce: Option<String>,
    auth_time: u64,
    origin_jti: String,
    /// Only the authorization-code grant returns a refresh token, as in Cognito.
    new_refresh_token: bool,
}

/// `POST /oauth2/token`.
pub async fn token(
    State(pool): State<Arc<Cognito>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let (params, client) = match oauth::read_request(&pool, &headers, query.as_deref(), &body) {
        Ok(read) => read,
        Err(response) => return response,
    };
    let now = pool.issuer.clock.now_secs();
    let grant_type = params.get("grant_type");
    let session = match (grant_type, client) {
        (None, _) => return invalid_request("grant_type is required."),
        (Some("client_credentials"), Client::Machine) => {
            return client_credentials(&pool, &params).await;
        }
        (Some("authorization_code"), Client::Web) => redeem_code(&pool, &params, now),
        (Some("refresh_token"), Client::Web) => refresh(&pool, &params, now),
        (Some("client_credentials" | "authorization_code" | "refresh_token"), _) => {
            return oauth::error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                "This client is not allowed this grant type.",
            );
        }
        (Some(_), _) => {
            return oauth::error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Use authorization_code, refresh_token or client_credentials.",
            );
        }
    };
    match session {
        Ok(session) => issue_for_user(&pool, session, now).await,
        Err(response) => response,
    }
}

fn invalid_grant(description: &str) -> Response {
    oauth::error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

// The refusal is the response itself (axum style); its size does not matter on this path.
#[allow(clippy::result_large_err)]
fn redeem_code(pool: &Cognito, params: &Params, now: u64) -> Result<UserSession, Response> {
    let code = params.get("code").ok_or_else(|| invalid_request("code is required."))?;
    // Single use: the code is gone whatever happens next.
    let grant = lock(&pool.codes)
        .take(code, now)
        .ok_or_else(|| invalid_grant("The code is invalid, expired or already used."))?;
    if grant.client_id != pool.client_id {
        return Err(invalid_grant("The code was issued to another client."));
    }
    match params.get("redirect_uri") {
        None => {
            return Err(invalid_request(
                "redirect_uri is required: send the redirect_uri of the authorization request.",
            ));
        }
        Some(uri) if uri != grant.redirect_uri => {
            return Err(invalid_grant("redirect_uri does not match the authorization request."));
        }
        Some(_) => {}
    }
    check_pkce(grant.challenge.as_deref(), params.get("code_verifier"))?;
    let origin_jti = random::uuid();
    lock(&pool.sessions).add_origin(&grant.session, &origin_jti, now);
    Ok(UserSession {
        email: grant.email,
        source: Source::HostedAuth,
        scopes: grant.scopes,
        nonce: grant.nonce,
        auth_time: grant.auth_time,
        origin_jti,
        new_refresh_token: true,
    })
}

/// PKCE as Cognito does it: `S256` only, and a verifier only for a code issued with a challenge.
// The refusal is the response itself (axum style); its size does not matter on this path.
#[allow(clippy::result_large_err)]
fn check_pkce(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), Response> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(invalid_grant(
            "code_verifier was sent, but the code was issued without a code_challenge.",
        )),
        (Some(_), None) => Err(invalid_request(
            "code_verifier is required: the code was issued for a code_challenge.",
        )),
        (Some(challenge), Some(verifier)) => {
            let len_ok = (43..=128).contains(&verifier.len());
            let computed = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
            if len_ok && verify_slices_are_equal(computed.as_bytes(), challenge.as_bytes()).is_ok()
            {
                Ok(())
            } else {
                Err(invalid_grant("code_verifier does not match the code_challenge."))
            }
        }
    }
}

// The refusal is the response itself (axum style); its size does not matter on this path.
#[allow(clippy::result_large_err)]
fn refresh(pool: &Cognito, params: &Params, now: u64) -> Result<UserSession, Response> {
    let token =
        params.get("refresh_token").ok_or_else(|| invalid_request("refresh_token is required."))?;
    let grant = pool
        .open_refresh_token(token)
        .filter(|g| g.expires_at > now && g.client_id == pool.client_id)
        .ok_or_else(|| invalid_grant("Invalid Refresh Token"))?;
    if lock(&pool.revoked).is_revoked(&grant.origin_jti, now) {
        return Err(invalid_grant("Refresh Token has been revoked"));
    }
    Ok(UserSession {
        email: grant.email,
        source: Source::Refresh,
        scopes: grant.scopes,
        nonce: None,
        auth_time: grant.auth_time,
        origin_jti: grant.origin_jti,
        new_refresh_token: false,
    })
}

async fn issue_for_user(pool: &Cognito, session: UserSession, now: u64) -> Response {
    let Some(user) = pool.user(&session.email) else {
        return invalid_grant("User does not exist.");
    };
    let grant = Grant {
        user,
        scopes: session.scopes.clone(),
        nonce: session.nonce,
        auth_time: session.auth_time,
        origin_jti: session.origin_jti.clone(),
        source: session.source,
    };
    let mut tokens = match pool.issuer.issue(&grant).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "token issuance failed");
            return invalid_request(&e.to_string());
        }
    };
    if session.new_refresh_token {
        tokens.refresh_token = Some(pool.refresh_token(
            &session.email,
            session.scopes,
            session.auth_time,
            session.origin_jti,
            now,
        ));
    }
    tracing::info!(sub = %user.sub(), grant = ?session.source, "tokens issued");
    no_store(&tokens)
}

fn no_store<T: Serialize>(body: &T) -> Response {
    ([(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], Json(body))
        .into_response()
}

/// `grant_type=client_credentials`: the machine client's scopes (all of them
/// when `scope` is absent), `aws_client_metadata` for a V3 trigger.
async fn client_credentials(pool: &Cognito, params: &Params) -> Response {
    let allowed = &pool.machine.scopes;
    let scopes: Vec<String> = match params.get("scope").map(str::trim) {
        None | Some("") => allowed.clone(),
        Some(asked) => asked.split_whitespace().map(str::to_owned).collect(),
    };
    if let Some(bad) = scopes.iter().find(|s| !allowed.contains(s)) {
        return oauth::error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!(
                "{bad} is not a scope of this client (it may ask for {}).",
                allowed.join(", ")
            ),
        );
    }
    let metadata = match params.get("aws_client_metadata") {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Map<String, Value>>(text) {
            Ok(map) if map.values().all(Value::is_string) => map,
            _ => {
                return invalid_request(
                    "aws_client_metadata must be a JSON object of string values.",
                );
            }
        },
    };
    let grant = MachineGrant { client_id: &pool.machine.id, scopes, metadata };
    match pool.issuer.issue_machine(&grant).await {
        Ok(tokens) => {
            tracing::info!(client_id = %pool.machine.id, "client-credentials token issued");
            no_store(&tokens)
        }
        Err(e) => {
            tracing::error!(error = %e, "token issuance failed");
            invalid_request(&e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_is_s256_only_and_says_what_is_missing() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        // RFC 7636 appendix B.
        let challenge = Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(check_pkce(challenge, Some(verifier)).is_ok());
        assert!(check_pkce(challenge, Some(&format!("{verifier}x"))).is_err());
        assert_eq!(
            check_pkce(challenge, None).map_err(|r| r.status()),
            Err(StatusCode::BAD_REQUEST)
        );
        // `plain` would compare the verifier with itself: never accepted.
        assert!(check_pkce(Some(verifier), Some(verifier)).is_err());
        assert!(check_pkce(None, Some(verifier)).is_err());
        assert!(check_pkce(None, None).is_ok());
        let short = "short";
        let short_challenge = URL_SAFE_NO_PAD.encode(digest(&SHA256, short.as_bytes()));
        assert!(check_pkce(Some(&short_challenge), Some(short)).is_err());
    }
}
