//! What both authorizer benchmarks share: the tokens, the events, a fresh
//! authorizer, the handler as the Lambda runtime drives it, and the raw RS256
//! check that is the floor of a fresh token.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, dead_code)]

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::jwk::VerifyingKey;
use claimsgate_core::rules::routes::RouteTable;
use claimsgate_core::signing::SigningKey;
use claimsgate_core::{ManualClock, StaticFetcher, TokenUsePolicy, Verifier, VerifierConfig};
use serde_json::{Value, json};

const NOW: u64 = 1_767_225_600;
const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BenchPool";
const CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";

/// Distinct fresh tokens per pass. Small enough (about 140 KiB of events) to
/// stay in the CPU cache, like an event the runtime has just received and like
/// the raw check's input; a pool of thousands would add memory stalls that
/// neither has.
pub const POOL: usize = 100;

/// Untimed calls on each new authorizer before its timed ones, so that what an
/// authorizer does once (its first header parse, its first policy document)
/// is not counted as the cost of every fresh token.
pub const WARM_CALLS: usize = 10;

fn claims(jti: usize) -> Value {
    json!({
        "sub": "aaaaaaaa-1111-4a4a-8b8b-000000000001",
        "iss": ISS,
        "aud": CLIENT,
        "token_use": "id",
        "cognito:username": "dog-lover",
        "email": "dog-lover@example.com",
        "email_verified": true,
        "pet_preference": "dogs",
        "auth_time": NOW - 60,
        "iat": NOW - 60,
        "exp": NOW + 3540,
        "jti": format!("bench-{jti:08}"),
        "origin_jti": "0f6b3c2e-1d2a-4c5b-9e8f-7a6b5c4d3e2f",
        "event_id": "5b3f6c1e-2d4a-4b8c-9f1e-3c2d1b0a9f8e",
    })
}

fn event(token: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/dogs",
    }))
    .unwrap()
}

/// Keys, events and the runtime, made before any timing.
pub struct Bench {
    pub rt: tokio::runtime::Runtime,
    key: SigningKey,
    /// [`WARM_CALLS`] + [`POOL`] events, each with a token of its own.
    fresh: Vec<Vec<u8>>,
    /// One event, for the repeated-token case.
    pub repeated: Vec<u8>,
    raw_key: VerifyingKey,
    signed: String,
    signature: Vec<u8>,
}

impl Bench {
    pub fn new() -> Self {
        let pool = WARM_CALLS + POOL;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let key = SigningKey::generate("bench-kid").unwrap();
        let fresh = (0..pool)
            .map(|i| event(&key.sign(&claims(i)).unwrap()))
            .collect();
        let repeated = event(&key.sign(&claims(pool)).unwrap());
        let token = key.sign(&claims(pool + 1)).unwrap();
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        let raw_key =
            VerifyingKey::from_components(key.kid(), key.modulus(), key.exponent()).unwrap();
        assert!(raw_key.verify_rs256(signed.as_bytes(), &signature));
        Self {
            rt,
            key,
            fresh,
            repeated,
            raw_key,
            signed: signed.to_owned(),
            signature,
        }
    }

    /// A new authorizer that has answered [`WARM_CALLS`] fresh tokens, and the
    /// [`POOL`] fresh events it has never seen.
    pub fn warm_authorizer(&self) -> (Authorizer, &[Vec<u8>]) {
        let auth = self.authorizer();
        let (warm, fresh) = self.fresh.split_at(WARM_CALLS);
        for event in warm {
            black_box(self.call(&auth, event));
        }
        (auth, fresh)
    }

    /// A new authorizer: keys loaded, token cache empty.
    pub fn authorizer(&self) -> Authorizer {
        let config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any);
        let fetcher = Arc::new(StaticFetcher::new(self.key.jwks().to_string().into_bytes()));
        let verifier = Verifier::new(&config, fetcher, Arc::new(ManualClock::at_secs(NOW)));
        let auth = Authorizer::new(verifier, RouteTable::default());
        assert!(self.rt.block_on(auth.verifier().hydrate()).is_empty());
        auth
    }

    /// The handler as the Lambda runtime drives it: bytes to event, event to decision, decision to bytes.
    pub fn call(&self, auth: &Authorizer, event: &[u8]) -> Vec<u8> {
        let event: AuthorizerEvent = serde_json::from_slice(event).unwrap();
        let decision = run(&self.rt, auth.decide(&event)).unwrap();
        serde_json::to_vec(&decision).unwrap()
    }

    /// The floor: the RS256 check alone, key parsed once.
    pub fn raw_check(&self) -> bool {
        self.raw_key.verify_rs256(
            black_box(self.signed.as_bytes()),
            black_box(&self.signature),
        )
    }
}

/// Polls once: with the keys loaded the handler never waits, so the bench
/// measures the handler rather than the runtime; anything else goes to tokio.
fn run<F: Future>(rt: &tokio::runtime::Runtime, future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => rt.block_on(future),
    }
}
