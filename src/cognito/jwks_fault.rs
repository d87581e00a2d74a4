//! What the pool's JWKS endpoint answers: its keys, or one of the faults a key
//! source can have (set with `POST /admin/jwks-fault`), and how many times it
//! was asked. Load and fault tests read the count to see that the functions
//! fetch no more often than their refreshes and `JWKS_MIN_REFRESH_SECS` allow.
//!
//! It uses `support`; it is used by `cognito::admin`, `cognito::pool`.

use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes, HttpBody};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::support::lock;

/// How the JWKS endpoint answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum JwksFault {
    /// The keys, as always.
    #[default]
    Ok,
    /// The connection drops before an answer, as when the source is stopped.
    Down,
    /// The keys, after [`SLOW`]: longer than the functions' fetch timeout.
    Slow,
    /// `500 Internal Server Error`.
    #[serde(rename = "500")]
    #[value(name = "500")]
    ServerError,
    /// `200` with a body that is not JSON.
    Garbage,
    /// `200` with `{"keys": []}`.
    Empty,
}

impl JwksFault {
    /// The name the admin action and the CLI use.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Down => "down",
            Self::Slow => "slow",
            Self::ServerError => "500",
            Self::Garbage => "garbage",
            Self::Empty => "empty",
        }
    }
}

/// How long a slow JWKS answer takes: twice the functions' total fetch timeout.
pub const SLOW: Duration = Duration::from_secs(6);

/// The fault in force and the count of JWKS requests.
#[derive(Debug, Default)]
pub struct JwksSource {
    fault: Mutex<JwksFault>,
    requests: AtomicU64,
}

/// What `POST /admin/jwks-fault` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct JwksState {
    /// The fault in force.
    pub mode: JwksFault,
    /// JWKS requests served (or failed) since start.
    pub jwks_requests: u64,
}

impl JwksSource {
    /// The fault in force and the requests counted so far.
    #[must_use]
    pub fn state(&self) -> JwksState {
        JwksState { mode: *lock(&self.fault), jwks_requests: self.requests.load(Ordering::SeqCst) }
    }

    /// Puts `mode` in force.
    pub fn set(&self, mode: JwksFault) {
        *lock(&self.fault) = mode;
    }

    /// Counts one request and answers it with `keys` or the fault in force.
    pub async fn answer(&self, keys: Value) -> Response {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let fault = *lock(&self.fault);
        if fault != JwksFault::Ok {
            tracing::warn!(fault = fault.as_str(), "JWKS request answered with a fault");
        }
        match fault {
            JwksFault::Ok => Json(keys).into_response(),
            // The status is never sent; it keeps the request's log line from saying 200.
            JwksFault::Down => {
                (StatusCode::SERVICE_UNAVAILABLE, Body::new(Severed)).into_response()
            }
            JwksFault::Slow => {
                tokio::time::sleep(SLOW).await;
                Json(keys).into_response()
            }
            JwksFault::ServerError => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
            JwksFault::Garbage => {
                ([(header::CONTENT_TYPE, "application/json")], "<html>\u{0}\u{1}not a key set")
                    .into_response()
            }
            JwksFault::Empty => Json(serde_json::json!({"keys": []})).into_response(),
        }
    }
}

/// A body that fails before its first byte: the server drops the connection
/// without a complete answer.
struct Severed;

impl HttpBody for Severed {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "the JWKS source is down",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_answer_outlasts_the_functions_fetch_timeout() {
        assert!(SLOW >= 2 * claimsgate_core::FetchLimits::default().total_timeout);
    }
}
