//! Properties of the verifier over generated input: no string up to the size
//! cap panics it or passes it, and no one-byte edit of a valid token passes,
//! whether or not the token itself was cached.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::testing::{cognito_id_claims, test_key};
use claimsgate_core::{MAX_TOKEN_BYTES, TokenUsePolicy, Verifier, VerifierConfig};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Props";
const CLIENT: &str = "props-client";
const KID: &str = "props-kid";
const NOW: u64 = claimsgate_core::testing::TEST_NOW;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn verifier() -> Verifier {
    let config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any).unwrap();
    let jwks = test_key(0, KID).jwks().to_string().into_bytes();
    claimsgate_core::Verifier::in_memory(&config, jwks, NOW).0
}

/// `n` cases; a failure is reported with its shrunk input (nothing is written next to the sources).
fn cases(n: u32) -> Config {
    Config { failure_persistence: None, ..Config::with_cases(n) }
}

fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// Strings of every kind up to the cap: any text, long runs of the token
/// alphabet, and three segments whose header and claims get as far as the
/// signature check, with a signature of any length.
fn token_strings() -> impl Strategy<Value = String> {
    // A short piece repeated to any length: long inputs without a generator call per character.
    let run = |piece: &'static str, max: usize| {
        (piece, 0..=max).prop_map(|(piece, n)| piece.repeat(n / piece.len().max(1)))
    };
    let header = select(vec![
        b64(&json!({"alg": "RS256", "kid": KID}).to_string()),
        b64(&json!({"alg": "RS256", "kid": "other"}).to_string()),
        b64(&json!({"alg": "none"}).to_string()),
        b64("[]"),
        String::new(),
    ]);
    let payload = select(vec![
        b64(&cognito_id_claims(ISS, CLIENT, NOW, "j").to_string()),
        b64("{}"),
        b64(r#"{"iss": 1}"#),
        String::new(),
    ]);
    // A good header and payload with a signature that decodes (whole 4-character
    // groups), in two cases of seven: the signature check is reached in every run.
    let signed = format!(
        "{}.{}",
        b64(&json!({"alg": "RS256", "kid": KID}).to_string()),
        b64(&cognito_id_claims(ISS, CLIENT, NOW, "j").to_string())
    );
    prop_oneof![
        1 => any::<String>(),
        1 => run(r"[A-Za-z0-9._~+/= %\t-]{1,6}|\PC{1,3}", MAX_TOKEN_BYTES),
        3 => (header, payload, run("[A-Za-z0-9_-]{1,6}", MAX_TOKEN_BYTES - 1500))
            .prop_map(|(h, p, signature)| format!("{h}.{p}.{signature}")),
        2 => run("[A-Za-z0-9_-]{4}", MAX_TOKEN_BYTES - 1500)
            .prop_map(move |signature| format!("{signed}.{signature}")),
    ]
    .prop_filter("up to the cap", |s| s.len() <= MAX_TOKEN_BYTES)
}

#[test]
fn no_string_up_to_the_cap_panics_or_passes() {
    let rt = runtime();
    let verifier = verifier();
    let codes = RefCell::new(BTreeSet::new());
    let mut runner = TestRunner::new(cases(256));
    runner
        .run(&token_strings(), |token| {
            let answer = rt.block_on(verifier.verify(&token));
            prop_assert!(answer.is_err(), "verified: {:?}", answer);
            codes.borrow_mut().extend(answer.err().map(|e| e.code()));
            Ok(())
        })
        .unwrap();
    // The strings reached the checks behind the parsers, up to the signature.
    let codes = codes.into_inner();
    for code in ["malformed_token", "alg_not_allowed", "invalid_signature"] {
        assert!(codes.contains(code), "no string reached {code}: {codes:?}");
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

#[test]
fn every_one_byte_edit_of_a_valid_token_is_refused() {
    let rt = runtime();
    let verifier = verifier();
    let token = test_key(0, KID).sign(&cognito_id_claims(ISS, CLIENT, NOW, "jti-1")).unwrap();
    // Three verifications: the token is in the verified-token cache from here on.
    for _ in 0..3 {
        assert!(rt.block_on(verifier.verify(&token)).is_ok());
    }
    let len = token.len();
    let edits = prop_oneof![
        (0..len, 0u8..128).prop_map(|(at, b)| Edit::Replace(at, b)),
        (0..=len, 0u8..128).prop_map(|(at, b)| Edit::Insert(at, b)),
        (0..len).prop_map(Edit::Delete),
    ];
    let mut runner = TestRunner::new(cases(400));
    runner
        .run(&edits, |edit| {
            let mut bytes = token.clone().into_bytes();
            match edit {
                Edit::Replace(at, b) => {
                    prop_assume!(bytes[at] != b);
                    bytes[at] = b;
                }
                Edit::Insert(at, b) => bytes.insert(at, b),
                Edit::Delete(at) => {
                    bytes.remove(at);
                }
            }
            let edited = String::from_utf8(bytes).unwrap();
            let answer = rt.block_on(verifier.verify(&edited));
            prop_assert!(answer.is_err(), "{:?} passed", edit);
            prop_assert!(rt.block_on(verifier.verify(&token)).is_ok());
            Ok(())
        })
        .unwrap();
}
