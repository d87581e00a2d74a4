//! The Rust cases of `bench/run`: verifications of one Cognito ID token, timed
//! on demand; and the authorizer's whole decision on it (verification, then
//! Cedar on the shipped policy store), beside which bench/run sets a call to
//! Amazon Verified Permissions. The authorizer also runs on the 20-route store
//! of `bench/store20/`, and with its verified-token cache on (a repeated token):
//! the guard rails against the floor.
//!
//! `bench-verify FIXTURE` reads the fixture the harness made (issuer, client id,
//! JWKS, the token, and tokens every verifier must refuse), checks that each
//! case accepts the token and refuses the others, prints `{"ready": [cases]}`,
//! then answers each stdin line `CASE SECONDS` with one JSON line
//! `{"case", "verifications", "seconds"}`. The Node and Python peers speak the same.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use authorizer::policies::{Source, Store};
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::testing::StaticFetcher;
use claimsgate_core::{SystemClock, TokenUsePolicy, Verifier, VerifierConfig};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};

type Error = Box<dyn std::error::Error>;

const CASES: [&str; 7] = [
    "floor",
    "claimsgate",
    "claimsgate_repeated",
    "jsonwebtoken",
    "authorizer",
    "authorizer_store20",
    "authorizer_repeated",
];

/// A `TOKEN` event for `GET /dogs`, which the fixture's dogs token may call.
fn token_event(token: &str) -> Result<AuthorizerEvent, Error> {
    Ok(serde_json::from_value(json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/dogs",
    }))?)
}

/// The fixture's token and every case's verifier, ready before timing starts.
/// The verifiers answer key lookups from the fixture's JWKS in memory, as after a warm start.
struct Bench {
    token: String,
    /// The token's signed part and decoded signature, for the floor.
    signed: String,
    signature: Vec<u8>,
    rt: tokio::runtime::Runtime,
    /// aws-lc-rs alone: the RS256 check with a key parsed once (the floor).
    floor: ParsedPublicKey,
    /// claimsgate-core with the verified-token cache off: every token is new to it.
    fresh: Verifier,
    /// claimsgate-core with its default verified-token cache.
    cached: Verifier,
    /// jsonwebtoken with its aws-lc-rs backend and the same claim checks.
    jwt_key: DecodingKey,
    jwt_validation: Validation,
    /// The authorizer on the shipped policy store, its verified-token cache off.
    authorizer: Authorizer,
    /// The authorizer on `bench/store20/`, its verified-token cache off.
    authorizer_store20: Authorizer,
    /// The authorizer on the shipped policy store with its default verified-token cache.
    authorizer_cached: Authorizer,
}

impl Bench {
    fn new(fixture: &Value) -> Result<Self, Error> {
        let text = |name: &str| {
            fixture[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("the fixture has no {name}"))
        };
        let (iss, client) = (text("iss")?, text("client_id")?);
        let jwk = &fixture["jwks"]["keys"][0];
        let (n, e) = match (jwk["n"].as_str(), jwk["e"].as_str()) {
            (Some(n), Some(e)) => (n, e),
            _ => return Err("the fixture's JWKS has no RSA key".into()),
        };
        let floor =
            RsaPublicKeyComponents { n: URL_SAFE_NO_PAD.decode(n)?, e: URL_SAFE_NO_PAD.decode(e)? }
                .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)?;

        let jwks = serde_json::to_vec(&fixture["jwks"])?;
        let config = VerifierConfig::for_issuer(&iss, &[&client], TokenUsePolicy::Id)?;
        let verifier = |capacity: u64| {
            let config = VerifierConfig { token_cache_capacity: capacity, ..config.clone() };
            Verifier::new(
                &config,
                Arc::new(StaticFetcher::new(jwks.clone())),
                Arc::new(SystemClock),
            )
        };
        let (fresh, cached) = (verifier(0), verifier(10_000));
        let authorizer = Authorizer::new(verifier(0), Store::shipped()?);
        let store20 = Path::new(env!("CARGO_MANIFEST_DIR")).join("../store20");
        let authorizer_store20 =
            Authorizer::new(verifier(0), Store::load(Source::read(&store20)?)?);
        let authorizer_cached = Authorizer::new(verifier(10_000), Store::shipped()?);

        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.set_issuer(&[&iss]);
        validation.set_audience(&[&client]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
        validation.validate_nbf = true;

        let rt = tokio::runtime::Builder::new_current_thread().build()?;
        rt.block_on(async {
            fresh.hydrate().await;
            cached.hydrate().await;
            for authorizer in [&authorizer, &authorizer_store20, &authorizer_cached] {
                authorizer.verifier().hydrate().await;
            }
        });
        let token = text("token")?;
        let (signed, signature) =
            token.rsplit_once('.').ok_or("the fixture's token is not a JWT")?;
        Ok(Self {
            signed: signed.to_owned(),
            signature: URL_SAFE_NO_PAD.decode(signature)?,
            token,
            rt,
            floor,
            fresh,
            cached,
            jwt_key: DecodingKey::from_rsa_components(n, e)?,
            jwt_validation: validation,
            authorizer,
            authorizer_store20,
            authorizer_cached,
        })
    }

    /// Whether `case` accepts `token`.
    fn accepts(&self, case: &str, token: &str) -> bool {
        match case {
            "floor" => token.rsplit_once('.').is_some_and(|(signed, sig)| {
                URL_SAFE_NO_PAD
                    .decode(sig)
                    .is_ok_and(|sig| self.floor.verify_sig(signed.as_bytes(), &sig).is_ok())
            }),
            "claimsgate" => self.rt.block_on(self.fresh.verify(token)).is_ok(),
            "claimsgate_repeated" => self.rt.block_on(self.cached.verify(token)).is_ok(),
            "jsonwebtoken" => self.jsonwebtoken(token),
            "authorizer" | "authorizer_store20" | "authorizer_repeated" => self
                .decide(self.authorizer_of(case), token)
                .is_some_and(|answer| answer.contains("\"Allow\"")),
            _ => false,
        }
    }

    /// jsonwebtoken's own checks, then what it leaves to the caller: `token_use`, and `iat` not in the future.
    fn jsonwebtoken(&self, token: &str) -> bool {
        let Ok(data) =
            jsonwebtoken::decode::<Map<String, Value>>(token, &self.jwt_key, &self.jwt_validation)
        else {
            return false;
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        data.claims.get("token_use").and_then(Value::as_str) == Some("id")
            && data.claims.get("iat").and_then(Value::as_u64).is_some_and(|iat| iat <= now)
    }

    /// The authorizer an `authorizer*` case runs.
    fn authorizer_of(&self, case: &str) -> &Authorizer {
        match case {
            "authorizer_store20" => &self.authorizer_store20,
            "authorizer_repeated" => &self.authorizer_cached,
            _ => &self.authorizer,
        }
    }

    /// `authorizer`'s answer to a `TOKEN` event carrying `token`, as the Lambda writes it.
    fn decide(&self, authorizer: &Authorizer, token: &str) -> Option<String> {
        let event = token_event(token).ok()?;
        let answer = self.rt.block_on(authorizer.handle(event)).ok()?;
        serde_json::to_string(&answer).ok()
    }

    /// Verifies the token for about `seconds`, in batches; returns (verifications, seconds).
    fn measure(&self, case: &str, seconds: f64) -> (u64, f64) {
        const BATCH: u64 = 64;
        let budget = Duration::from_secs_f64(seconds);
        let token = self.token.as_str();
        let started = Instant::now();
        let mut done = 0;
        while started.elapsed() < budget {
            match case {
                "floor" => {
                    for _ in 0..BATCH {
                        let signed = black_box(self.signed.as_bytes());
                        black_box(self.floor.verify_sig(signed, &self.signature)).ok();
                    }
                }
                "claimsgate" | "claimsgate_repeated" => {
                    let verifier = if case == "claimsgate" { &self.fresh } else { &self.cached };
                    self.rt.block_on(async {
                        for _ in 0..BATCH {
                            black_box(verifier.verify(black_box(token)).await).ok();
                        }
                    });
                }
                "authorizer" | "authorizer_store20" | "authorizer_repeated" => {
                    let authorizer = self.authorizer_of(case);
                    for _ in 0..BATCH {
                        black_box(self.decide(authorizer, black_box(token)));
                    }
                }
                _ => {
                    for _ in 0..BATCH {
                        black_box(self.jsonwebtoken(black_box(token)));
                    }
                }
            }
            done += BATCH;
        }
        (done, started.elapsed().as_secs_f64())
    }
}

/// Every case accepts the token and, except the floor (a signature check only), refuses every bad token.
fn self_check(bench: &Bench, bad: &BTreeMap<String, String>) -> Result<(), Error> {
    for case in CASES {
        // Three times: the verified-token cache admits a token on its second sighting.
        for _ in 0..3 {
            if !bench.accepts(case, &bench.token) {
                return Err(format!("{case} refuses the good token").into());
            }
        }
        for (name, token) in bad {
            let must_refuse = case != "floor" || name == "bad_signature";
            if must_refuse && bench.accepts(case, token) {
                return Err(format!("{case} accepts the {name} token").into());
            }
        }
    }
    Ok(())
}

fn run() -> Result<(), Error> {
    let path = std::env::args().nth(1).ok_or("usage: bench-verify FIXTURE.json")?;
    let fixture: Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let bench = Bench::new(&fixture)?;
    let bad: BTreeMap<String, String> = serde_json::from_value(fixture["bad_tokens"].clone())?;
    self_check(&bench, &bad)?;
    println!("{}", json!({ "ready": CASES }));

    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        let (Some(case), Some(seconds)) = (words.next(), words.next()) else {
            return Err(format!("expected `CASE SECONDS`, got `{line}`").into());
        };
        if !CASES.contains(&case) {
            return Err(format!("unknown case {case}").into());
        }
        let (verifications, seconds) = bench.measure(case, seconds.parse()?);
        println!("{}", json!({ "case": case, "verifications": verifications, "seconds": seconds }));
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-verify: {e}");
            ExitCode::FAILURE
        }
    }
}
