//! Admin actions on the running stand-in, under `/admin/`, for loopback
//! clients only (the CLI run beside the stack).
//!
//! Each action is one `POST /admin/{action}` with a JSON body, answered with
//! JSON; a new action is one more route in [`router`]. Requests must come from
//! a loopback address, name a loopback `Host` (no DNS rebinding) and be
//! `application/json` (a cross-site form cannot send that without a preflight,
//! which is never granted).
//!
//! It uses `cognito::jwks_fault`, `cognito::keys`, `cognito::pool`; it is used by `cognito`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::ExtensionRejection;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::jwks_fault::{JwksFault, JwksState};
use super::keys::{self, Rotation};
use super::pool::Cognito;

/// The admin routes, behind the loopback check.
pub fn router() -> Router<Arc<Cognito>> {
    Router::new()
        .route("/admin/rotate-key", post(rotate_key))
        .route("/admin/jwks-fault", post(jwks_fault))
        .layer(middleware::from_fn(loopback_only))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

async fn loopback_only(
    peer: Result<ConnectInfo<SocketAddr>, ExtensionRejection>,
    request: Request,
    next: Next,
) -> Response {
    let peer_is_loopback = peer.is_ok_and(|ConnectInfo(peer)| peer.ip().is_loopback());
    let host_is_loopback = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| url::Url::parse(&format!("http://{h}")).ok())
        .is_some_and(|url| match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        });
    if !(peer_is_loopback && host_is_loopback) {
        tracing::warn!("admin request refused: not from loopback");
        return refuse(StatusCode::FORBIDDEN, "admin actions are for loopback clients only");
    }
    next.run(request).await
}

/// `POST /admin/rotate-key`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateKey {
    /// How long the old key stays published (default: the token lifetime, so every token it signed can live out its life).
    grace_secs: Option<u64>,
    /// The new key as PKCS#8 PEM; a fresh 2048-bit key when absent.
    private_key_pem: Option<String>,
}

async fn rotate_key(State(pool): State<Arc<Cognito>>, Json(body): Json<RotateKey>) -> Response {
    let next = match body.private_key_pem {
        Some(pem) => keys::from_pem(&pem),
        // Making an RSA key takes a while: off the async workers.
        None => tokio::task::spawn_blocking(|| {
            claimsgate_core::signing::SigningKey::generate("")
                .map(keys::with_derived_kid)
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string())),
    };
    let next = match next {
        Ok(key) => key,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &format!("private_key_pem: {e}")),
    };
    match pool.rotate_key(next, body.grace_secs) {
        Ok(rotation) => {
            tracing::info!(kid = %rotation.kid, retiring = rotation.retiring.len(), "signing key rotated");
            Json::<Rotation>(rotation).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "key rotation failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, &e)
        }
    }
}

/// `POST /admin/jwks-fault`: `{"mode": ...}` puts a fault in force; `{}` only reads.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetJwksFault {
    mode: Option<JwksFault>,
}

async fn jwks_fault(
    State(pool): State<Arc<Cognito>>,
    Json(body): Json<SetJwksFault>,
) -> Json<JwksState> {
    if let Some(mode) = body.mode {
        pool.jwks_source.set(mode);
        tracing::info!(mode = mode.as_str(), "JWKS fault set");
    }
    Json(pool.jwks_source.state())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use axum::body::Body;
    use axum::extract::connect_info::MockConnectInfo;
    use tower::ServiceExt as _;

    use super::*;

    /// The status of an admin-shaped request from `peer` naming `host`, past the loopback check.
    async fn status(peer: Option<&str>, host: &str) -> StatusCode {
        let router = Router::new()
            .route("/admin/action", post(|| async { "done" }))
            .layer(middleware::from_fn(loopback_only));
        let router = match peer {
            Some(peer) => router.layer(MockConnectInfo(peer.parse::<SocketAddr>().unwrap())),
            None => router,
        };
        let request = axum::http::Request::post("/admin/action")
            .header(header::HOST, host)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        router.oneshot(request).await.unwrap().status()
    }

    #[tokio::test]
    async fn only_a_loopback_peer_naming_a_loopback_host_passes() {
        for (peer, host, want) in [
            (Some("127.0.0.1:50000"), "127.0.0.1:9229", StatusCode::OK),
            (Some("127.0.0.7:50000"), "localhost:9229", StatusCode::OK),
            (Some("[::1]:50000"), "[::1]:9229", StatusCode::OK),
            // Another machine, even naming a loopback host (the check the stack's own tests
            // cannot reach: every request they send comes from loopback).
            (Some("192.0.2.10:50000"), "127.0.0.1:9229", StatusCode::FORBIDDEN),
            (Some("10.0.0.5:50000"), "localhost:9229", StatusCode::FORBIDDEN),
            (Some("[2001:db8::1]:50000"), "[::1]:9229", StatusCode::FORBIDDEN),
            (Some("[::ffff:192.0.2.10]:50000"), "127.0.0.1:9229", StatusCode::FORBIDDEN),
            // A loopback peer naming a foreign host: DNS rebinding.
            (Some("127.0.0.1:50000"), "evil.example:9229", StatusCode::FORBIDDEN),
            // No peer known at all.
            (None, "127.0.0.1:9229", StatusCode::FORBIDDEN),
        ] {
            assert_eq!(status(peer, host).await, want, "{peer:?} naming {host}");
        }
    }
}
