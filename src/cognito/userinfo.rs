//! `GET /oauth2/userInfo`: the attributes of the user an access token names,
//! unless the token's family was revoked.
//!
//! It uses `cognito::pool`, `support`; it is used by `cognito`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use claimsgate_core::bearer::from_headers;
use serde_json::json;

use super::pool::Cognito;
use crate::support::lock;

pub async fn user_info(State(pool): State<Arc<Cognito>>, headers: HeaderMap) -> Response {
    let denied = |description: &str| {
        let challenge =
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
            axum::Json(json!({"error": "invalid_token", "error_description": description})),
        )
            .into_response()
    };
    let authorization = headers.get_all(header::AUTHORIZATION).iter();
    let Ok(token) = from_headers(authorization.map(|v| v.as_bytes())) else {
        return denied("Access token is missing");
    };
    let verified = match pool.verifier.verify(token).await {
        Ok(v) => v,
        Err(e) => return denied(e.code()),
    };
    let now = pool.issuer.clock.now_secs();
    let family = verified.claims.str("origin_jti").unwrap_or_default();
    if lock(&pool.revoked).is_revoked(family, now) {
        return denied("Access token has been revoked");
    }
    let Some(user) = verified.claims.sub().and_then(|s| pool.user_by_sub(s)) else {
        return denied("User does not exist");
    };
    let mut body = user.attributes();
    body.remove("cognito:user_status");
    body.insert("username".into(), json!(user.sub()));
    axum::Json(body).into_response()
}
