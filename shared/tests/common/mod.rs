//! A real JWKS server on 127.0.0.1 for the verifier's tests, and token minting helpers.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use claimsgate_core::signing::SigningKey;
use claimsgate_core::testing::{ManualClock, cognito_access_claims, cognito_id_claims};
use claimsgate_core::{
    Clock, FetchLimits, HttpFetcher, Issuer, JwksSettings, TokenUsePolicy, Verifier,
    VerifierConfig, VerifyError,
};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// What the JWKS server answers.
#[derive(Debug, Clone)]
pub enum Mode {
    /// 200 with this JSON body.
    Serve(Vec<u8>),
    /// Waits, then serves the body.
    Slow(Duration, Vec<u8>),
    /// Answers with this status and this JSON body.
    Status(u16, Vec<u8>),
    /// 200 with an HTML page.
    Html,
    /// 302 to this location.
    Redirect(String),
}

#[derive(Debug)]
struct State {
    modes: Mutex<Vec<(String, Mode)>>,
    hits: Mutex<Vec<String>>,
}

/// The test server: per-path behaviour, and a record of every path asked.
pub struct JwksServer {
    pub base: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    pub async fn start() -> Self {
        let state = Arc::new(State { modes: Mutex::new(Vec::new()), hits: Mutex::new(Vec::new()) });
        let shared = Arc::clone(&state);
        let app = Router::new().fallback(move |uri: Uri| {
            let state = Arc::clone(&shared);
            async move { answer(&state, uri.path()).await }
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, state, task }
    }

    /// Sets what `path` answers.
    pub fn set(&self, path: &str, mode: Mode) {
        let mut modes = self.state.modes.lock().unwrap();
        modes.retain(|(p, _)| p != path);
        modes.push((path.to_owned(), mode));
    }

    /// How many requests asked for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.state.hits.lock().unwrap().iter().filter(|p| *p == path).count()
    }

    /// Every path asked, in order.
    pub fn paths(&self) -> Vec<String> {
        self.state.hits.lock().unwrap().clone()
    }

    /// Stops the server: from now on connections are refused.
    pub async fn stop(&self) {
        self.task.abort();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn answer(state: &State, path: &str) -> Response {
    state.hits.lock().unwrap().push(path.to_owned());
    let mode = state.modes.lock().unwrap().iter().find(|(p, _)| p == path).map(|(_, m)| m.clone());
    let json = |body: Vec<u8>| ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    match mode {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Mode::Serve(body)) => json(body),
        Some(Mode::Slow(delay, body)) => {
            tokio::time::sleep(delay).await;
            json(body)
        }
        Some(Mode::Status(code, body)) => {
            let mut response = json(body);
            *response.status_mut() = StatusCode::from_u16(code).unwrap();
            response
        }
        Some(Mode::Html) => {
            ([(header::CONTENT_TYPE, "text/html")], "<html><body>Service Unavailable</body></html>")
                .into_response()
        }
        Some(Mode::Redirect(to)) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
    }
}

/// `body` (a JSON document) padded with trailing blanks to `len` bytes: still the same document.
pub fn padded(body: &[u8], len: usize) -> Vec<u8> {
    let mut padded = body.to_vec();
    padded.resize(len.max(body.len()), b' ');
    padded
}

/// A server on 127.0.0.1 that answers every request with the bytes of `script`
/// as written, each part after its pause: for answers axum would not give (a
/// chunked body that never says its length, a body sent a drop at a time).
/// Its URL.
pub async fn scripted(script: Vec<(Duration, Vec<u8>)>) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let script = script.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1
                {
                    head.push(byte[0]);
                }
                for (pause, bytes) in script {
                    tokio::time::sleep(pause).await;
                    if stream.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// The head of a 200 JSON answer in chunked encoding, and `body` as chunks of `size` bytes.
pub fn chunked(body: &[u8], size: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec();
    let mut chunks: Vec<Vec<u8>> = body
        .chunks(size)
        .map(|c| [format!("{:x}\r\n", c.len()).as_bytes(), c, b"\r\n"].concat())
        .collect();
    chunks.push(b"0\r\n\r\n".to_vec());
    (head, chunks)
}

pub const CLIENT: &str = "client-1";
/// Where every test clock starts.
pub const START: u64 = claimsgate_core::testing::TEST_NOW;

/// A pool served by the test server: its issuer URL and JWKS path.
pub struct Pool {
    pub iss: String,
    pub jwks_path: String,
    pub jwks_uri: String,
}

impl Pool {
    pub fn new(server: &JwksServer, name: &str) -> Self {
        Self {
            iss: format!("{}/{name}", server.base),
            jwks_path: format!("/{name}/.well-known/jwks.json"),
            jwks_uri: format!("{}/{name}/.well-known/jwks.json", server.base),
        }
    }
}

pub fn jwks_of(keys: &[&SigningKey]) -> Vec<u8> {
    let keys: Vec<Value> = keys.iter().map(|k| k.jwk()).collect();
    json!({ "keys": keys }).to_string().into_bytes()
}

/// Fetch limits short enough for tests.
pub fn test_limits() -> FetchLimits {
    FetchLimits {
        connect_timeout: Duration::from_millis(300),
        total_timeout: Duration::from_millis(400),
        max_body_bytes: 64 * 1024,
    }
}

pub fn config(pools: &[&Pool], token_use: TokenUsePolicy) -> VerifierConfig {
    VerifierConfig {
        issuers: pools
            .iter()
            .map(|p| Issuer { iss: p.iss.clone(), jwks_uri: p.jwks_uri.clone() })
            .collect(),
        client_ids: vec![CLIENT.to_owned()],
        token_use,
        leeway: Duration::ZERO,
        jwks: JwksSettings {
            ttl: Duration::from_secs(3600),
            min_refresh: Duration::from_secs(10),
            max_stale: Duration::from_secs(86_400),
        },
        token_cache_capacity: 1000,
        snapshot: None,
    }
}

pub fn verifier(config: &VerifierConfig, clock: &Arc<ManualClock>) -> Verifier {
    let fetcher = HttpFetcher::new(test_limits());
    let clock: Arc<dyn Clock> = clock.clone();
    Verifier::new(config, Arc::new(fetcher), clock)
}

/// Claims of a valid ID token issued now by `iss` to [`CLIENT`], each with a jti of its own.
pub fn id_claims(iss: &str, now: u64) -> Value {
    cognito_id_claims(iss, CLIENT, now, &format!("jti-{now}-{}", next()))
}

/// Claims of a valid access token issued now by `iss` to [`CLIENT`].
pub fn access_claims(iss: &str, now: u64) -> Value {
    cognito_access_claims(iss, CLIENT, now, &format!("jti-{now}-{}", next()))
}

fn next() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// A verification's outcome as its code (`ok` for a verified token).
pub fn code(r: Result<Arc<claimsgate_core::VerifiedToken>, VerifyError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

pub fn header(kid: &str) -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": kid})
}
