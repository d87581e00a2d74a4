//! `POST /oauth2/revoke`: revokes a refresh token and every token issued from it.
//!
//! As in Cognito, revocation is of the token family (`origin_jti`): the refresh
//! token stops working, and `/oauth2/userInfo` refuses the access tokens issued
//! with it. A JWT verifier elsewhere (the authorizer) cannot know and keeps
//! accepting those access tokens until they expire, as with Cognito.
//!
//! It uses `cognito::oauth`, `cognito::pool`, `support`; it is used by `cognito`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::oauth::{self, Client, invalid_request};
use super::pool::Cognito;
use crate::support::lock;

/// `POST /oauth2/revoke` with `token=<refresh token>` and client authentication.
pub async fn revoke(
    State(pool): State<Arc<Cognito>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = match oauth::read_request(&pool, &headers, query.as_deref(), &body) {
        Ok((params, Client::Web)) => params,
        Ok((_, Client::Machine)) => {
            return oauth::error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                "This client has no refresh tokens to revoke.",
            );
        }
        Err(response) => return response,
    };
    let Some(token) = params.get("token") else {
        return invalid_request("token is required.");
    };
    if token.split('.').count() == 3 {
        return oauth::error(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "Only refresh tokens can be revoked; revoking one revokes the tokens issued with it.",
        );
    }
    let now = pool.issuer.clock.now_secs();
    // RFC 7009 2.2: an unknown or expired token is answered like a revoked one.
    if let Some(grant) = pool
        .open_refresh_token(token)
        .filter(|g| g.client_id == pool.client_id && g.expires_at > now)
    {
        lock(&pool.revoked).revoke(&grant.origin_jti, grant.expires_at, now);
        tracing::info!("refresh token revoked");
    }
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response()
}
