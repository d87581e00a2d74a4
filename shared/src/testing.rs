//! Test doubles for the seams of this crate, behind the `test-util` feature:
//! a clock that only moves when told, a JWKS fetcher that answers from memory,
//! and a log capture.

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use crate::clock::Clock;
use crate::error::FetchError;
use crate::fetch::{BoxFuture, Fetcher};

/// Four fixed RSA-2048 keys for tests and benchmarks: `index` picks one, `kid`
/// names it. They are `tests/fixtures/keys/`, published on purpose and trusted
/// nowhere: parsing one costs well under a millisecond, making one 70 to 180 ms
/// in every test binary.
///
/// # Panics
/// When a fixture is not a PKCS#8 RSA key.
#[cfg(feature = "signing")]
#[must_use]
pub fn test_key(index: usize, kid: &str) -> crate::signing::SigningKey {
    const PEMS: [&str; 4] = [
        include_str!("../../tests/fixtures/keys/test-key-0.pem"),
        include_str!("../../tests/fixtures/keys/test-key-1.pem"),
        include_str!("../../tests/fixtures/keys/test-key-2.pem"),
        include_str!("../../tests/fixtures/keys/test-key-3.pem"),
    ];
    static KEYS: [std::sync::OnceLock<crate::signing::SigningKey>; 4] =
        [const { std::sync::OnceLock::new() }; 4];
    let i = index % PEMS.len();
    KEYS[i]
        .get_or_init(|| {
            crate::signing::SigningKey::from_pkcs8_pem("", PEMS[i])
                .unwrap_or_else(|e| panic!("tests/fixtures/keys/test-key-{i}.pem: {e}"))
        })
        .clone()
        .with_kid(kid)
}

/// The claims of an ID token as Cognito issues them after the trigger ran
/// (about 1 KiB once signed: `tests/fixtures/tokens/cognito-id.claims.json`),
/// issued by `iss` to `client` at `now`, for benchmarks and tests.
#[must_use]
pub fn cognito_id_claims(iss: &str, client: &str, now: u64, jti: &str) -> serde_json::Value {
    let fixture = include_str!("../../tests/fixtures/tokens/cognito-id.claims.json");
    let mut claims: serde_json::Value = serde_json::from_str(fixture).unwrap_or_default();
    (claims["iss"], claims["aud"], claims["jti"]) = (iss.into(), client.into(), jti.into());
    (claims["auth_time"], claims["iat"], claims["exp"]) =
        (now.into(), now.into(), (now + 3600).into());
    claims
}

/// Polls `done` every 10 ms, at most 50 times, for work a background task
/// finishes (a JWKS refresh); true as soon as it says so.
pub async fn eventually<F: std::future::Future<Output = bool>>(done: impl Fn() -> F) -> bool {
    for _ in 0..50 {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// A clock that only moves when told to.
#[derive(Debug, Default)]
pub struct ManualClock {
    millis: AtomicU64,
}

impl ManualClock {
    /// A clock standing at `secs` seconds after the epoch.
    #[must_use]
    pub fn at_secs(secs: u64) -> Self {
        Self { millis: AtomicU64::new(secs.saturating_mul(1000)) }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `secs` seconds after the epoch.
    pub fn set_secs(&self, secs: u64) {
        self.millis.store(secs.saturating_mul(1000), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }
}

/// A [`Fetcher`] that answers every URI from memory and counts its calls.
#[derive(Debug)]
pub struct StaticFetcher {
    answer: RwLock<Result<Vec<u8>, FetchError>>,
    calls: AtomicUsize,
}

impl StaticFetcher {
    /// A fetcher that answers with `body`.
    #[must_use]
    pub fn new(body: Vec<u8>) -> Self {
        Self { answer: RwLock::new(Ok(body)), calls: AtomicUsize::new(0) }
    }

    /// From now on, answer with `answer`.
    pub fn set(&self, answer: Result<Vec<u8>, FetchError>) {
        *self.answer.write().unwrap_or_else(PoisonError::into_inner) = answer;
    }

    /// How many fetches were made.
    #[must_use]
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Fetcher for StaticFetcher {
    fn fetch<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<Vec<u8>, FetchError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = self.answer.read().unwrap_or_else(PoisonError::into_inner).clone();
        Box::pin(async move { answer })
    }
}

/// Everything a `tracing` subscriber writes, captured as JSON lines.
#[derive(Debug, Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// A subscriber writing every event, at every level, as JSON into this capture.
    #[must_use]
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let sink = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .json()
            .with_writer(move || sink.clone())
            .finish()
    }

    /// What was written so far.
    #[must_use]
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
