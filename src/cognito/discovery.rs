//! `/{pool}/.well-known/`: the OpenID discovery document and the JWKS (as the
//! fault switch of [`super::jwks_fault`] lets it answer).
//!
//! It uses `cognito::pool`; it is used by `cognito`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::pool::Cognito;

pub async fn discovery(State(pool): State<Arc<Cognito>>, Path(id): Path<String>) -> Response {
    if id != pool.pool_id {
        return (StatusCode::NOT_FOUND, "no such user pool").into_response();
    }
    let base = &pool.base_url;
    axum::Json(json!({
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "code_challenge_methods_supported": ["S256"],
        "end_session_endpoint": format!("{base}/logout"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": pool.issuer_url(),
        "jwks_uri": format!("{}/.well-known/jwks.json", pool.issuer_url()),
        "response_types_supported": ["code"],
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": format!("{base}/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": format!("{base}/oauth2/userInfo"),
    }))
    .into_response()
}

pub async fn jwks(State(pool): State<Arc<Cognito>>, Path(id): Path<String>) -> Response {
    if id != pool.pool_id {
        return (StatusCode::NOT_FOUND, "no such user pool").into_response();
    }
    let now = pool.issuer.clock.now_secs();
    pool.jwks_source.answer(pool.issuer.keys.jwks(now)).await
}
