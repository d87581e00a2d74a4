//! The fault sequence and what it checks at each step.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::testing::{eventually, test_key};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestStack;
use crate::common::flow::{CATS, DOGS, claims_of};
use crate::{FAULTS, MIN_REFRESH, TTL, http};

/// `POST /admin/jwks-fault` as `claimsgate jwks-fault` sends it: `{"mode": ...}` or `{}` (only read).
pub(crate) async fn jwks_fault(s: &TestStack, body: Value) -> Value {
    let r = http()
        .post(format!("{}/admin/jwks-fault", s.cognito_url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "jwks-fault {body}");
    r.json().await.unwrap()
}

/// Puts `mode` in force; the JWKS requests the stand-in counted so far.
pub(crate) async fn set_fault(s: &TestStack, mode: &str) -> u64 {
    let state = jwks_fault(s, json!({ "mode": mode })).await;
    assert_eq!(state["mode"], mode);
    state["jwks_requests"].as_u64().unwrap()
}

/// The JWKS requests the stand-in counted so far.
pub(crate) async fn jwks_requests(s: &TestStack) -> u64 {
    jwks_fault(s, json!({})).await["jwks_requests"].as_u64().unwrap()
}

/// The status `token` gets on `path`.
pub(crate) async fn status(s: &TestStack, path: &str, token: Option<&str>) -> StatusCode {
    let mut request = http().get(format!("{}{path}", s.api_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status()
}

pub(crate) const PATHS: [&str; 3] = ["/me/claims", "/dogs", "/cats"];

/// A token and what it must get on each of [`PATHS`].
pub(crate) struct Probe {
    name: &'static str,
    token: Option<String>,
    pet: Option<&'static str>,
}

impl Probe {
    fn new(name: &'static str, token: Option<&str>, pet: Option<&'static str>) -> Self {
        Self { name, token: token.map(str::to_owned), pet }
    }

    fn want(&self, path: &str) -> StatusCode {
        match self.pet {
            None => StatusCode::UNAUTHORIZED,
            Some(pet) if path == "/me/claims" || path == format!("/{pet}") => StatusCode::OK,
            Some(_) => StatusCode::FORBIDDEN,
        }
    }
}

/// Sends every probe on every path, twice, and asserts each answer.
pub(crate) async fn check(s: &TestStack, phase: &str, probes: &[&Probe]) {
    for round in 0..2 {
        for probe in probes {
            for path in PATHS {
                let got = status(s, path, probe.token.as_deref()).await;
                assert!(!got.is_server_error(), "{phase}: {} on {path}: {got}", probe.name);
                assert_eq!(
                    got,
                    probe.want(path),
                    "{phase} (round {round}): {} on {path}",
                    probe.name
                );
            }
        }
    }
}

/// Waits until the stand-in has counted `want` JWKS requests, then makes sure no more come.
pub(crate) async fn assert_fetches(s: &TestStack, phase: &str, want: u64) {
    let reached = eventually(|| async { jwks_requests(s).await >= want }).await;
    assert!(reached, "{phase}: expected {want} JWKS requests in all");
    assert_eq!(jwks_requests(s).await, want, "{phase}: JWKS fetched too often");
}

/// The dogs token's claims signed under a kid the pool never publishes (the
/// key is the one it rotates to later, published under its own kid).
pub(crate) fn unknown_kid_token(dogs: &str) -> String {
    test_key(1, "never-published").sign(&claims_of(dogs)).unwrap()
}

/// The token with one byte of its signature changed.
pub(crate) fn forged(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(signature).unwrap();
    raw[10] ^= 0x55;
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(raw))
}

/// The fault sequence; returns every token it minted.
///
/// The JWKS source fails in every way, one fault per [`TTL`] (so each
/// function's key set is due for a refresh in each), then recovers; then the
/// signing key rotates and, after its grace, the old key leaves the JWKS.
pub(crate) async fn fault_sequence(s: &TestStack) -> Vec<String> {
    let dogs = s.tokens_for(DOGS.0).await.unwrap();
    let cats = s.tokens_for(CATS.0).await.unwrap();
    let known = [
        Probe::new("dogs", Some(&dogs.id_token), Some("dogs")),
        Probe::new("dogs access", Some(&dogs.access_token), Some("dogs")),
        Probe::new("cats", Some(&cats.id_token), Some("cats")),
    ];
    let refused = [
        Probe::new("unknown kid", Some(&unknown_kid_token(&dogs.id_token)), None),
        Probe::new("forged", Some(&forged(&dogs.id_token)), None),
        Probe::new("no token", None, None),
    ];
    let all: Vec<&Probe> = known.iter().chain(&refused).collect();

    // Past the penalty of any kid missed before: the unknown kid costs the authorizer one fetch
    // (me-claims never sees it, the authorizer refuses it first), and no more while it holds.
    s.clock.advance(Duration::from_secs(MIN_REFRESH + 1));
    let mut fetches = set_fault(s, "ok").await;
    check(s, "start", &all).await;
    fetches += 1;
    assert_fetches(s, "start", fetches).await;

    for mode in FAULTS.into_iter().chain(["ok"]) {
        set_fault(s, mode).await;
        // Past the TTL: each function refreshes once in the background (and
        // fails), serving its last good set meanwhile; the unknown kid waits
        // for that refresh and is refused without another fetch. Once the
        // source is back, the good refresh lifts the penalty: the unknown kid
        // costs the authorizer one more fetch.
        s.clock.advance(Duration::from_secs(TTL + 1));
        check(s, mode, &all).await;
        fetches += if mode == "ok" { 3 } else { 2 };
        assert_fetches(s, mode, fetches).await;
    }

    // Rotation: the new key signs at once; the old one stays published for 600 s.
    s.clock.advance(Duration::from_secs(MIN_REFRESH + 1));
    let r = http()
        .post(format!("{}/admin/rotate-key", s.cognito_url))
        .json(&json!({"grace_secs": 600, "private_key_pem": test_key(1, "").to_pkcs8_pem()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let new_dogs = s.tokens_for(DOGS.0).await.unwrap();
    let new_cats = s.tokens_for(CATS.0).await.unwrap();
    assert_ne!(token_kid(&new_dogs.id_token), token_kid(&dogs.id_token), "signed by the new key");
    let fresh = [
        Probe::new("new dogs", Some(&new_dogs.id_token), Some("dogs")),
        Probe::new("new cats", Some(&new_cats.id_token), Some("cats")),
    ];
    // The new kid is unknown to both functions: each refetches once and knows it; the
    // unknown kid costs the authorizer one fetch (the penalty of its last has run out).
    let both: Vec<&Probe> = fresh.iter().chain(all.iter().copied()).collect();
    check(s, "both keys published", &both).await;
    fetches += 3;
    assert_fetches(s, "both keys published", fetches).await;

    // The grace ends: the old key leaves the JWKS; the functions drop it at their next
    // refresh, and the authorizer fetches once more for the kid that refresh dropped.
    s.clock.advance(Duration::from_secs(601));
    assert_eq!(status(s, "/me/claims", Some(&new_dogs.id_token)).await, StatusCode::OK);
    let dropped = eventually(|| async {
        status(s, "/dogs", Some(&dogs.id_token)).await == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(dropped, "the old key's tokens passed after the refresh");
    let retired = [
        Probe::new("old dogs", Some(&dogs.id_token), None),
        Probe::new("old cats", Some(&cats.id_token), None),
    ];
    let after: Vec<&Probe> = fresh.iter().chain(&retired).chain(&refused).collect();
    check(s, "old key removed", &after).await;
    fetches += 3;
    assert_fetches(s, "old key removed", fetches).await;

    [dogs, cats, new_dogs, new_cats]
        .into_iter()
        .flat_map(|t| [t.id_token, t.access_token, t.refresh_token.unwrap_or_default()])
        .collect()
}

pub(crate) fn token_kid(jwt: &str) -> String {
    let header = jwt.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}
