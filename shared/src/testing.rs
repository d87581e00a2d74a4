//! Test doubles for the seams of this crate, behind the `test-util` feature:
//! a clock that only moves when told, a JWKS fetcher that answers from memory,
//! and a log capture; and what the tests of every crate share: the test keys,
//! Cognito-shaped claims, the table of `Authorization` values, and the scan of
//! logs for secrets.
//!
//! It uses `clock`, `error`, `fetch`, `signing`; the unit tests of
//! `bearer`, `jwk`, `jwks` and `verify`, and every crate's tests, use it.

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

/// The instant the tests judge tokens at, unless one has a reason for another
/// (2026-01-01T00:00:00Z).
pub const TEST_NOW: u64 = 1_767_225_600;

/// The claims of an ID token as Cognito issues them after the trigger ran
/// (about 1 KiB once signed: `tests/fixtures/tokens/cognito-id.claims.json`),
/// issued by `iss` to `client` at `now` and valid for an hour, for benchmarks and tests.
#[must_use]
pub fn cognito_id_claims(iss: &str, client: &str, now: u64, jti: &str) -> serde_json::Value {
    let fixture = include_str!("../../tests/fixtures/tokens/cognito-id.claims.json");
    issued(fixture, ("aud", client), iss, now, jti)
}

/// The claims of the access token Cognito issues beside [`cognito_id_claims`]
/// (same user and session; `client_id`, `scope` and `username` instead of `aud`,
/// `email` and `cognito:username`): `tests/fixtures/tokens/cognito-access.claims.json`.
#[must_use]
pub fn cognito_access_claims(iss: &str, client: &str, now: u64, jti: &str) -> serde_json::Value {
    let fixture = include_str!("../../tests/fixtures/tokens/cognito-access.claims.json");
    issued(fixture, ("client_id", client), iss, now, jti)
}

fn issued(
    fixture: &str,
    (client_claim, client): (&str, &str),
    iss: &str,
    now: u64,
    jti: &str,
) -> serde_json::Value {
    let mut claims: serde_json::Value = serde_json::from_str(fixture).unwrap_or_default();
    (claims["iss"], claims[client_claim], claims["jti"]) = (iss.into(), client.into(), jti.into());
    (claims["auth_time"], claims["iat"], claims["exp"]) =
        (now.into(), now.into(), (now + 3600).into());
    claims
}

/// `claims` with each member of `changes` set to its value there (an object
/// of claims; `null` is a value, not a removal).
#[must_use]
pub fn with_claims(mut claims: serde_json::Value, changes: serde_json::Value) -> serde_json::Value {
    if let (Some(target), serde_json::Value::Object(changes)) = (claims.as_object_mut(), changes) {
        target.extend(changes);
    }
    claims
}

/// `Authorization` values around `token`, each with what the one bearer grammar
/// ([`crate::bearer`]) reads from it: the token, or a piece of the reason it gives
/// for reading none. One table for every part that reads the header; a value
/// read as something other than `token` must then fail as a token.
#[must_use]
pub fn bearer_cases(token: &str) -> Vec<(String, Result<String, &'static str>)> {
    let t = token;
    let read = |value: String, token: &str| (value, Ok(token.to_owned()));
    let refused = |value: String, why: &'static str| (value, Err(why));
    vec![
        read(format!("Bearer {t}"), t),
        read(format!("bearer {t}"), t),
        read(format!("BEARER {t}"), t),
        read(format!("bEaReR   {t}"), t),
        read(format!("Bearer\t{t}"), t),
        read(format!("  Bearer   {t}  \t"), t),
        // b64token padding: the grammar reads it, the token is no longer the one signed.
        read(format!("Bearer {t}=="), &format!("{t}==")),
        read(format!("Bearer {t}.x"), &format!("{t}.x")),
        refused(String::new(), "is empty"),
        refused("   ".to_owned(), "is empty"),
        refused(t.to_owned(), "only the Bearer scheme"),
        refused(format!("Basic {t}"), "only the Bearer scheme"),
        refused("Basic dXNlcjpwYXNzd29yZA==".to_owned(), "only the Bearer scheme"),
        refused(format!("Bearer{t}"), "only the Bearer scheme"),
        refused(format!("Token {t}"), "only the Bearer scheme"),
        refused(format!("Bearer\u{a0}{t}"), "only the Bearer scheme"),
        refused("Bearer".to_owned(), "without a token"),
        refused("Bearer    ".to_owned(), "without a token"),
        refused(format!("Bearer {t} {t}"), "more than one token"),
        refused(format!("Bearer Bearer {t}"), "more than one token"),
        refused(format!("Bearer {t},Bearer {t}"), "more than one token"),
        refused(format!("Bearer {t}, Bearer {t}"), "more than one token"),
        refused(format!("Bearer {t},"), "characters"),
        refused(format!("Bearer \"{t}\""), "characters"),
        refused(format!("Bearer {}", t.replace('.', "%2E")), "characters"),
        refused(format!("Bearer {t}\nx"), "characters"),
        refused(format!("Bearer {t}\u{e9}"), "characters"),
        refused("Bearer ===".to_owned(), "characters"),
        refused("Bearer a=b".to_owned(), "characters"),
    ]
}

/// What of `secrets` shows in `text`, shortened so that a report does not leak
/// it again: a secret whole, or, for a JWT among them, any of its segments of
/// 20 characters or more (a logged payload or signature alone gives it away).
#[must_use]
pub fn leaks(text: &str, secrets: &[String]) -> Vec<String> {
    let mut pieces: Vec<&str> = Vec::new();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        pieces.push(secret);
        if secret.matches('.').count() == 2 {
            pieces.extend(secret.split('.').filter(|p| p.len() >= 20));
        }
    }
    pieces
        .into_iter()
        .filter(|piece| text.contains(piece))
        .map(|piece| format!("{}...", piece.chars().take(12).collect::<String>()))
        .collect()
}

/// True when `line` holds something shaped like an email address.
#[must_use]
pub fn has_email(line: &str) -> bool {
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    line.match_indices('@').any(|(at, _)| {
        let before = line[..at].chars().next_back().is_some_and(local);
        let domain: String = line[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        let tld = domain.rsplit('.').next().unwrap_or("");
        before
            && domain.contains('.')
            && tld.len() >= 2
            && tld.chars().all(|c| c.is_ascii_alphabetic())
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaks_finds_a_secret_whole_or_a_token_by_any_long_segment() {
        let token = format!("{}.{}.{}", "h".repeat(20), "p".repeat(30), "s".repeat(40));
        let secrets = [token.clone(), "hunter2-password".to_owned(), String::new()];
        assert!(leaks("a clean line with sub and kid", &secrets).is_empty());
        assert_eq!(leaks(&format!("token={token}"), &secrets).len(), 4, "whole and each segment");
        assert_eq!(leaks(&format!("sig {}", "s".repeat(40)), &secrets), ["ssssssssssss..."]);
        assert_eq!(leaks("password hunter2-password", &secrets), ["hunter2-pass..."]);
        // Short segments (a kid, `e30`) are no finding; nor is an empty secret.
        assert!(leaks("a.b.c e30", &["a.b.c.".to_owned(), "x.e30.y".to_owned()]).is_empty());
    }

    #[test]
    fn has_email_finds_addresses_only() {
        for line in ["user test-user@amazon.com signed in", "\"email\":\"a.b+c@sub.example.io\""] {
            assert!(has_email(line), "{line}");
        }
        for line in ["claimsgate/pets.read", "@amazon.com", "x@localhost", "a@b.c1", "kid=@"] {
            assert!(!has_email(line), "{line}");
        }
    }
}
