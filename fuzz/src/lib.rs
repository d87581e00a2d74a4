//! What the fuzz targets share: one RSA key per process and the JWKS that
//! publishes it, a clock that stands still, valid tokens for the placeholders
//! of the test fixtures, and a runtime to drive the async handlers.
//!
//! Seeds stay valid from one process to the next although the key does not:
//! they name tokens by placeholder (`{{dogs_id_token}}`, ...), and a token
//! whose signature segment is `~` is signed here, so the fuzzer edits header
//! and claims freely and still reaches every check behind the signature.

use std::borrow::Cow;
use std::future::Future;
use std::sync::OnceLock;

use claimsgate_core::signing::SigningKey;
use claimsgate_core::testing::{
    TEST_NOW, cognito_access_claims, cognito_id_claims, test_key, with_claims,
};
use claimsgate_core::{TokenUsePolicy, Verifier, VerifierConfig};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

/// The instant every target judges time by.
pub const NOW: u64 = TEST_NOW;
/// The one accepted issuer.
pub const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz";
/// The one accepted app client.
pub const CLIENT: &str = "fuzz-client";
/// The key id of the process's key.
pub const KID: &str = "fuzz-kid";
/// A signature segment asking to be replaced by a real signature.
const SIGN_ME: &str = ".~";
/// At most this many tokens are signed per input: each signature costs an RSA operation.
const MAX_SIGNED: usize = 4;

/// The process-wide fixture.
pub struct World {
    /// The issuer's key.
    pub key: SigningKey,
    encoding: EncodingKey,
    jwks: Vec<u8>,
    placeholders: Vec<(&'static str, String)>,
    runtime: tokio::runtime::Runtime,
}

/// The fixture, made on first use.
pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(World::new)
}

/// An input after [`World::expand`], and whether a token of ours went into it.
pub struct Expanded<'a> {
    /// The text to hand to the code under test.
    pub text: Cow<'a, str>,
    /// True when a placeholder or a `~` signature was replaced by a token signed with the key.
    pub ours: bool,
}

impl World {
    fn new() -> Self {
        let key = test_key(0, KID);
        let encoding = EncodingKey::from_rsa_pem(key.to_pkcs8_pem().as_bytes())
            .expect("the test key is a PEM RSA key");
        let jwk = key.jwk().to_string();
        let sign = |claims: Value| key.sign(&claims).expect("the test key signs");
        let dogs = sign(id_claims("dogs"));
        let placeholders = vec![
            ("{{dogs_id_token}}", dogs.clone()),
            ("{{TOKEN}}", dogs),
            ("{{cats_id_token}}", sign(id_claims("cats"))),
            ("{{dogs_access_token}}", sign(access_claims("dogs"))),
            ("{{expired_token}}", {
                let mut c = id_claims("dogs");
                c["iat"] = json!(NOW - 7200);
                c["exp"] = json!(NOW - 3600);
                sign(c)
            }),
            ("{{wrong_client_token}}", {
                let mut c = id_claims("dogs");
                c["aud"] = json!("some-other-app-client");
                sign(c)
            }),
            ("{{jwks}}", key.jwks().to_string()),
            ("{{jwk}}", jwk),
        ];
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime");
        Self { jwks: key.jwks().to_string().into_bytes(), key, encoding, placeholders, runtime }
    }

    /// A fresh verifier over the fixed JWKS and clock (no state carried from one input to the next).
    #[must_use]
    pub fn verifier(&self) -> Verifier {
        let mut config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any)
            .unwrap_or_else(|e| panic!("{e}"));
        // Small, so that making one per input is cheap; three verifications of a token reach a hit.
        config.token_cache_capacity = 32;
        claimsgate_core::Verifier::in_memory(&config, self.jwks.clone(), NOW).0
    }

    /// Runs a future to completion.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Replaces placeholders by tokens (or the JWKS) and `<header>.<payload>.~` by a signed token.
    #[must_use]
    pub fn expand<'a>(&self, input: &'a str) -> Expanded<'a> {
        let mut text = Cow::Borrowed(input);
        let mut ours = false;
        if input.contains("{{") {
            for (name, value) in &self.placeholders {
                if text.contains(name) {
                    text = Cow::Owned(text.replace(name, value));
                    ours = true;
                }
            }
        }
        let mut from = 0;
        for _ in 0..MAX_SIGNED {
            let Some(at) = text[from..].find(SIGN_ME).map(|i| i + from) else {
                break;
            };
            from = at + SIGN_ME.len();
            let Some(start) = signed_part_start(&text[..at]) else {
                continue;
            };
            let Ok(signature) = jsonwebtoken::crypto::sign(
                text[start..at].as_bytes(),
                &self.encoding,
                Algorithm::RS256,
            ) else {
                continue;
            };
            let mut owned = text.into_owned();
            owned.replace_range(at + 1..at + 2, &signature);
            from = at + 1 + signature.len();
            text = Cow::Owned(owned);
            ours = true;
        }
        Expanded { text, ours }
    }
}

/// Where `<header>.<payload>` starts, given the text that ends right after the payload.
fn signed_part_start(before: &str) -> Option<usize> {
    let b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let payload = before.trim_end_matches(b64);
    let header = payload.strip_suffix('.')?.trim_end_matches(b64);
    Some(header.len())
}

/// The claims of an ID token of the fixture's issuer and client for a user of
/// `pet`, issued a minute before [`NOW`] and valid for an hour.
#[must_use]
pub fn id_claims(pet: &str) -> Value {
    with_claims(cognito_id_claims(ISS, CLIENT, NOW - 60, "jti-id"), json!({"pet_preference": pet}))
}

/// The claims of the access token issued with it.
#[must_use]
pub fn access_claims(pet: &str) -> Value {
    let claims = cognito_access_claims(ISS, CLIENT, NOW - 60, "jti-access");
    with_claims(claims, json!({"pet_preference": pet}))
}
