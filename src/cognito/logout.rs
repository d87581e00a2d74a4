//! `GET /logout`: ends the hosted-login session and redirects to a registered sign-out URL.
//!
//! It uses `cognito::cookie`, `cognito::page`, `cognito::pool`; it is used by `cognito`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::cookie::{cookie, set_cookie};
use super::page;
use super::pool::{Cognito, SESSION_COOKIE};

#[derive(Deserialize)]
pub struct LogoutQuery {
    client_id: Option<String>,
    logout_uri: Option<String>,
}

/// `GET /logout`: ends the hosted-login session, revoking the refresh tokens
/// it issued and the access tokens issued with them, then redirects.
pub async fn logout(
    State(pool): State<Arc<Cognito>>,
    headers: HeaderMap,
    Query(q): Query<LogoutQuery>,
) -> Response {
    match q.client_id.as_deref() {
        None => return page::error(StatusCode::BAD_REQUEST, "client_id is required."),
        Some(id) if id != pool.client_id => {
            return page::error(StatusCode::BAD_REQUEST, "Invalid client_id.");
        }
        Some(_) => {}
    }
    let uri = match q.logout_uri {
        None => return page::error(StatusCode::BAD_REQUEST, "logout_uri is required."),
        Some(uri) if !pool.is_registered(&uri) => {
            return page::error(
                StatusCode::BAD_REQUEST,
                "The logout_uri is not registered for this app client.",
            );
        }
        Some(uri) => uri,
    };
    if let Some(session) = cookie(&headers, SESSION_COOKIE) {
        pool.end_session(session);
    }
    let mut response = Redirect::to(&uri).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    response
}
