//! Test harness: a signing key, an in-memory JWKS, a fixed clock, and an authorizer over them.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod iam;

use std::sync::Arc;

use authorizer::event::AuthorizerEvent;
use authorizer::policies::Store;
use authorizer::policies::source::{File, Source};
use authorizer::{AuthError, Authorizer};
use claimsgate_core::signing::SigningKey;
use claimsgate_core::testing::{
    ManualClock, StaticFetcher, TEST_NOW, cognito_access_claims, cognito_id_claims, test_key,
    with_claims,
};
use claimsgate_core::{TokenUsePolicy, Verifier, VerifierConfig};
use serde_json::{Value, json};

/// Every token and golden response is judged at this instant (2026-01-01T00:00:00Z, the shared one).
pub const NOW: u64 = TEST_NOW;
pub const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool";
pub const CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
pub const ARN_PREFIX: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod";
pub const DOGS_SUB: &str = "aaaaaaaa-1111-4a4a-8b8b-000000000001";
pub const CATS_SUB: &str = "cccccccc-2222-4c4c-8d8d-000000000002";

pub struct Harness {
    pub key: SigningKey,
    pub fetcher: Arc<StaticFetcher>,
    pub clock: Arc<ManualClock>,
    pub authorizer: Authorizer,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_store(Store::shipped().unwrap())
    }

    pub fn with_store(store: Store) -> Self {
        let key = test_key(0, "test-kid-1");
        let fetcher = Arc::new(StaticFetcher::new(key.jwks().to_string().into_bytes()));
        let clock = Arc::new(ManualClock::at_secs(NOW));
        let config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any).unwrap();
        let verifier = Verifier::new(&config, fetcher.clone(), clock.clone());
        Self { key, fetcher, clock, authorizer: Authorizer::new(verifier, store) }
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.key.sign(claims).unwrap()
    }

    pub fn dogs_id_token(&self) -> String {
        self.sign(&id_claims(DOGS_SUB, "dog-lover", Some("dogs")))
    }

    pub fn cats_id_token(&self) -> String {
        self.sign(&id_claims(CATS_SUB, "cat-lover", Some("cats")))
    }

    /// Every `{{name}}` placeholder of the fixtures, with the token it stands for.
    pub fn placeholders(&self) -> Vec<(&'static str, String)> {
        let mut expired = id_claims(DOGS_SUB, "dog-lover", Some("dogs"));
        expired["iat"] = json!(NOW - 7200);
        expired["exp"] = json!(NOW - 3600);
        let mut wrong_client = id_claims(DOGS_SUB, "dog-lover", Some("dogs"));
        wrong_client["aud"] = json!("some-other-app-client");
        vec![
            ("{{dogs_id_token}}", self.dogs_id_token()),
            ("{{cats_id_token}}", self.cats_id_token()),
            (
                "{{dogs_access_token}}",
                self.sign(&access_claims(DOGS_SUB, "dog-lover", Some("dogs"))),
            ),
            ("{{expired_token}}", self.sign(&expired)),
            ("{{wrong_client_token}}", self.sign(&wrong_client)),
        ]
    }

    /// The handler as Lambda runs it: JSON in, JSON out; an event that is not
    /// an object never reaches the handler (the runtime refuses it).
    pub async fn call(&self, event: Value) -> Result<Value, AuthError> {
        let event: AuthorizerEvent = serde_json::from_value(event)
            .map_err(|_| AuthError::UnsupportedEvent("not a JSON object"))?;
        let answer = self.authorizer.handle(event).await?;
        Ok(serde_json::to_value(answer).unwrap())
    }
}

/// Cognito-shaped ID token claims (the shared fixture's) of `sub`, issued a minute before [`NOW`].
pub fn id_claims(sub: &str, username: &str, pet: Option<&str>) -> Value {
    let claims = cognito_id_claims(ISS, CLIENT, NOW - 60, &format!("jti-id-{sub}"));
    let claims = with_claims(
        claims,
        json!({"sub": sub, "cognito:username": username, "email": format!("{username}@example.com")}),
    );
    pet_of(without_groups(claims), pet)
}

/// Cognito-shaped access token claims (the shared fixture's) of `sub`, issued a minute before [`NOW`].
pub fn access_claims(sub: &str, username: &str, pet: Option<&str>) -> Value {
    let claims = cognito_access_claims(ISS, CLIENT, NOW - 60, &format!("jti-access-{sub}"));
    pet_of(without_groups(with_claims(claims, json!({"sub": sub, "username": username}))), pet)
}

/// The fixture's user is in two groups; these tests name the groups they want.
fn without_groups(mut claims: Value) -> Value {
    claims.as_object_mut().map(|c| c.remove("cognito:groups"));
    claims
}

fn pet_of(mut claims: Value, pet: Option<&str>) -> Value {
    match pet {
        Some(pet) => claims["pet_preference"] = json!(pet),
        None => {
            claims.as_object_mut().map(|c| c.remove("pet_preference"));
        }
    }
    claims
}

/// A store of this schema and these policy files (named `p0.cedar`, `p1.cedar`, …).
pub fn source(schema: &str, policies: &[&str]) -> Source {
    Source {
        folder: None,
        schema: (File { name: "schema.cedarschema".into(), text: schema.into() }, false),
        policies: policies
            .iter()
            .enumerate()
            .map(|(i, text)| File { name: format!("p{i}.cedar"), text: (*text).into() })
            .collect(),
    }
}

/// [`source`], loaded; panics with the store's error.
pub fn store(schema: &str, policies: &[&str]) -> Store {
    Store::load(source(schema, policies)).unwrap_or_else(|e| panic!("{e}"))
}

pub fn arn(method: &str, path: &str) -> String {
    format!("{ARN_PREFIX}/{method}{path}")
}

pub fn token_event(token: &str, method: &str, path: &str) -> Value {
    json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": arn(method, path)})
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}
