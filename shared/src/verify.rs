//! The token verifier: a token string in, verified claims or a precise error out.
//!
//! Every check runs on every token, in this order: size; three base64url
//! segments; a header that is a JSON object with `alg` exactly `RS256`, no
//! `crit` and a `kid` (`jku`, `x5u`, `jwk`, `x5c` are ignored, never fetched);
//! a payload that [`Claims::from_json`] accepts; `iss` among the configured
//! issuers; the signature with that issuer's key; then `exp` (required),
//! `iat` (required, not in the future), `nbf`, `token_use` and the app client
//! (`aud` or `client_id`).
//!
//! It uses `checks`, `claims`, `clock`, `config`, `error`, `fetch`, `jwk`, `jwks`, `snapshot`,
//! `token_cache` and `token`: it is the top of the crate, which the functions and the local
//! stack use through the crate root.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::checks::{check_client, check_times};
use crate::claims::Claims;
use crate::clock::{Clock, SystemClock};
use crate::config::{Issuer, TokenUsePolicy, VerifierConfig};
use crate::error::{FetchError, VerifyError};
use crate::fetch::{FetchLimits, Fetcher, HttpFetcher};
use crate::jwk::VerifyingKey;
use crate::jwks::JwksCache;
use crate::snapshot::Snapshot;
use crate::token::{MAX_TOKEN_BYTES, Report, TokenHeader, VerifiedToken};
use crate::token_cache::TokenCache;

/// Verifies Cognito JWTs against the configured issuers.
#[derive(Debug)]
pub struct Verifier {
    issuers: Vec<Issuer>,
    client_ids: Vec<String>,
    token_use: TokenUsePolicy,
    leeway: u64,
    jwks: JwksCache,
    cache: TokenCache,
    clock: Arc<dyn Clock>,
}

impl Verifier {
    /// A verifier that fetches keys over HTTPS and reads the system clock.
    #[must_use]
    pub fn from_config(config: &VerifierConfig) -> Self {
        let fetcher = HttpFetcher::new(FetchLimits::default());
        Self::new(config, Arc::new(fetcher), Arc::new(SystemClock))
    }

    /// A verifier over the given fetcher and clock (the seams tests replace).
    #[must_use]
    pub fn new(config: &VerifierConfig, fetcher: Arc<dyn Fetcher>, clock: Arc<dyn Clock>) -> Self {
        let jwks = JwksCache::new(
            config.issuers.iter().map(|i| i.jwks_uri.clone()),
            fetcher,
            Arc::clone(&clock),
            config.jwks,
        );
        if let Some(path) = &config.snapshot {
            seed(&jwks, path);
        }
        Self {
            issuers: config.issuers.clone(),
            client_ids: config.client_ids.clone(),
            token_use: config.token_use,
            leeway: config.leeway.as_secs(),
            jwks,
            cache: TokenCache::new(config.token_cache_capacity),
            clock,
        }
    }

    /// Prefetches the keys of every issuer; call at cold start. Failures are logged and returned.
    pub async fn hydrate(&self) -> Vec<(String, FetchError)> {
        self.jwks.hydrate().await
    }

    /// When keys that could not be fetched will next be tried: a `Retry-After`
    /// for [`VerifyError::JwksUnavailable`].
    pub fn retry_after(&self) -> Duration {
        self.jwks.min_refresh()
    }

    /// The clock this verifier judges time by.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Verifies `token` and returns its header and claims.
    ///
    /// # Errors
    /// The first check that fails, as a [`VerifyError`].
    pub async fn verify(&self, token: &str) -> Result<Arc<VerifiedToken>, VerifyError> {
        self.verify_reported(token).await.0
    }

    /// Like [`Verifier::verify`], with a [`Report`] of what the verification cost and used.
    pub async fn verify_reported(
        &self,
        token: &str,
    ) -> (Result<Arc<VerifiedToken>, VerifyError>, Report) {
        let started = Instant::now();
        let mut report = Report::default();
        let result = self.check(token, &mut report).await;
        report.elapsed = started.elapsed();
        match &result {
            Ok(t) => tracing::debug!(sub = t.claims.sub(), kid = t.header.kid, "token verified"),
            Err(e) => tracing::debug!(code = e.code(), "token rejected"),
        }
        (result, report)
    }

    async fn check(
        &self,
        token: &str,
        report: &mut Report,
    ) -> Result<Arc<VerifiedToken>, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::TokenTooLarge { max: MAX_TOKEN_BYTES });
        }
        let now = self.clock.now_secs();
        let mark = self.cache.mark(token);
        if let Some(hit) = mark.and_then(|m| self.cache.get(token, m)) {
            report.cache_hit = true;
            check_times(&hit.claims, now, self.leeway)?;
            // A key removed from the issuer's JWKS stops its tokens at the next refresh, cached or not.
            self.key(&hit.claims, &hit.header.kid, report).await?;
            return Ok(hit);
        }

        let (header, payload, signature) = segments(token)?;
        let signed = &token[..header.len() + 1 + payload.len()];
        let header = parse_header(header)?;
        let claims = base64url(payload)
            .ok_or(VerifyError::Malformed("the payload is not base64url"))
            .and_then(|json| {
                Claims::from_json(&json).map_err(|e| VerifyError::Malformed(e.reason()))
            })?;
        let signature =
            base64url(signature).ok_or(VerifyError::Malformed("the signature is not base64url"))?;
        let key = self.key(&claims, &header.kid, report).await?;
        if !key.verify_rs256(signed.as_bytes(), &signature) {
            return Err(VerifyError::InvalidSignature);
        }
        check_times(&claims, now, self.leeway)?;
        let token_use = check_client(&claims, self.token_use, &self.client_ids)?;

        let verified = Arc::new(VerifiedToken { header, token_use, claims });
        if let Some(mark) = mark {
            let exp = verified.exp().saturating_add(self.leeway);
            let life = Duration::from_secs(exp.saturating_sub(now));
            self.cache.admit(token, mark, Arc::clone(&verified), life);
        }
        Ok(verified)
    }

    /// The key `kid` of the issuer the claims name, which must be a configured one.
    async fn key(
        &self,
        claims: &Claims,
        kid: &str,
        report: &mut Report,
    ) -> Result<Arc<VerifyingKey>, VerifyError> {
        let iss = match claims.get("iss") {
            Some(Value::String(iss)) => iss,
            Some(_) => return Err(VerifyError::InvalidClaim("iss")),
            None => return Err(VerifyError::MissingClaim("iss")),
        };
        let uri = self
            .issuers
            .iter()
            .find(|known| known.iss == *iss)
            .map(|known| known.jwks_uri.as_str())
            .ok_or(VerifyError::InvalidIssuer)?;
        let key = self.jwks.key(uri, kid).await;
        report.jwks_age = self.jwks.age_of(uri);
        key
    }
}

#[cfg(feature = "test-util")]
impl Verifier {
    /// A verifier over `config` whose key sets come from `jwks` in memory and whose
    /// clock stands at `now` until moved; with the fetcher and the clock, to look
    /// at and to move (for tests).
    #[must_use]
    pub fn in_memory(
        config: &VerifierConfig,
        jwks: Vec<u8>,
        now: u64,
    ) -> (Self, Arc<crate::testing::StaticFetcher>, Arc<crate::testing::ManualClock>) {
        let fetcher = Arc::new(crate::testing::StaticFetcher::new(jwks));
        let clock = Arc::new(crate::testing::ManualClock::at_secs(now));
        (Self::new(config, fetcher.clone(), clock.clone()), fetcher, clock)
    }
}

/// Seeds `jwks` from the snapshot file at `path`. A snapshot only saves a
/// fetch: when it is missing, unreadable or too old, the keys are fetched.
fn seed(jwks: &JwksCache, path: &std::path::Path) {
    let snapshot = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice::<Snapshot>(&bytes).map_err(|e| e.to_string()));
    let snapshot = match snapshot {
        Ok(snapshot) => snapshot,
        Err(error) => {
            tracing::warn!(file = %path.display(), error, "JWKS snapshot not used; keys will be fetched");
            return;
        }
    };
    for (uri, body) in &snapshot.jwks {
        match jwks.seed(uri, body.get().as_bytes(), Duration::from_secs(snapshot.taken_at)) {
            Ok(()) => {
                tracing::info!(jwks_uri = uri, taken_at = snapshot.taken_at, "JWKS snapshot loaded")
            }
            Err(error) => tracing::warn!(jwks_uri = uri, %error, "JWKS snapshot entry not used"),
        }
    }
}

/// The three segments of a compact JWS, not yet decoded.
fn segments(token: &str) -> Result<(&str, &str, &str), VerifyError> {
    let Some((header, rest)) = token.split_once('.') else {
        return Err(VerifyError::Malformed("a JWT has exactly three segments"));
    };
    match rest.split_once('.') {
        Some((_, "")) => Err(VerifyError::Malformed("the signature segment is empty")),
        Some((payload, signature)) if !signature.contains('.') => Ok((header, payload, signature)),
        _ => Err(VerifyError::Malformed("a JWT has exactly three segments")),
    }
}

/// Decodes one base64url segment: no padding, no stray bits (one spelling per value), any length.
fn base64url(segment: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(segment).ok().filter(|b| !b.is_empty())
}

/// The header fields the verifier reads; everything else (`typ`, `jku`, `x5u`, `jwk`, `x5c`, ...) is ignored.
#[derive(Deserialize)]
struct RawHeader {
    alg: Option<Value>,
    kid: Option<Value>,
    crit: Option<IgnoredAny>,
}

fn parse_header(segment: &str) -> Result<TokenHeader, VerifyError> {
    let header = base64url(segment)
        // serde would also read a struct from a JSON array; a JOSE header is an object.
        .filter(|bytes| bytes.trim_ascii_start().first() == Some(&b'{'))
        .and_then(|bytes| serde_json::from_slice::<RawHeader>(&bytes).ok())
        .ok_or(VerifyError::Malformed("the header is not a base64url-encoded JSON object"))?;
    check_header(header)
}

fn check_header(header: RawHeader) -> Result<TokenHeader, VerifyError> {
    // The allow-list is ours; the token's own `alg` is only compared against it.
    match header.alg {
        Some(Value::String(alg)) if alg == "RS256" => {}
        _ => return Err(VerifyError::AlgNotAllowed),
    }
    if header.crit.is_some() {
        return Err(VerifyError::CritNotSupported);
    }
    match header.kid {
        Some(Value::String(kid)) if !kid.is_empty() => Ok(TokenHeader { alg: "RS256", kid }),
        _ => Err(VerifyError::MissingKid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    #[test]
    fn header_table() {
        let cases = [
            (json!({"alg": "RS256", "kid": "k"}), Ok("k")),
            (json!({"alg": "none", "kid": "k"}), Err(VerifyError::AlgNotAllowed)),
            (json!({"alg": "rs256", "kid": "k"}), Err(VerifyError::AlgNotAllowed)),
            (json!({"kid": "k"}), Err(VerifyError::AlgNotAllowed)),
            (json!({"alg": ["RS256"], "kid": "k"}), Err(VerifyError::AlgNotAllowed)),
            (json!({"alg": "RS256"}), Err(VerifyError::MissingKid)),
            (json!({"alg": "RS256", "kid": 7}), Err(VerifyError::MissingKid)),
            (json!({"alg": "RS256", "kid": ""}), Err(VerifyError::MissingKid)),
            (
                json!({"alg": "RS256", "kid": "k", "crit": ["exp"]}),
                Err(VerifyError::CritNotSupported),
            ),
            (json!({"alg": "RS256", "kid": "k", "jku": "http://x", "x5u": "http://y"}), Ok("k")),
        ];
        for (h, want) in cases {
            let raw: RawHeader = match serde_json::from_value(h.clone()) {
                Ok(raw) => raw,
                Err(e) => panic!("{h}: {e}"),
            };
            let got = check_header(raw).map(|t| t.kid);
            assert_eq!(got.as_deref().map_err(Clone::clone), want, "{h}");
        }
    }

    /// Every decoding step, in the verifier's order, without keys.
    fn split(token: &str) -> Result<(), VerifyError> {
        let (header, payload, signature) = segments(token)?;
        parse_header(header)?;
        let payload = base64url(payload).ok_or(VerifyError::Malformed("payload"))?;
        Claims::from_json(&payload).map_err(|e| VerifyError::Malformed(e.reason()))?;
        base64url(signature).ok_or(VerifyError::Malformed("signature"))?;
        Ok(())
    }

    #[test]
    fn split_rejects_bad_shapes() {
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"k"}"#);
        let p = URL_SAFE_NO_PAD.encode(br#"{}"#);
        for bad in [
            String::new(),
            format!("{h}.{p}"),
            format!("{h}.{p}.c2ln.extra"),
            format!("{h}.{p}."),
            format!("{h}.{p}.not*base64"),
            format!("!!.{p}.c2ln"),
            format!("{}.{p}.c2ln", URL_SAFE_NO_PAD.encode(b"[1]")),
            format!("{h}.{}.c2ln", URL_SAFE_NO_PAD.encode(b"\"str\"")),
            format!("{h}=.{p}.c2ln"),
            // Padding, and set trailing bits: other spellings of the same bytes are refused.
            format!("{h}.{p}.c2c="),
            format!("{h}.{p}.c2d"),
            format!("{h}.{p}.c2ln\n"),
        ] {
            assert!(matches!(split(&bad), Err(VerifyError::Malformed(_))), "{bad}");
        }
        assert!(split(&format!("{h}.{p}.c2ln")).is_ok());
        assert!(split(&format!("{h}.{p}.c2c")).is_ok());
    }

    #[test]
    fn a_bad_shape_says_which_segment_is_wrong() {
        let three = Err(VerifyError::Malformed("a JWT has exactly three segments"));
        assert_eq!(segments("h.p.s.extra").map(|_| ()), three);
        assert_eq!(segments("h.p").map(|_| ()), three);
        assert_eq!(segments("h").map(|_| ()), three);
        let empty = Err(VerifyError::Malformed("the signature segment is empty"));
        assert_eq!(segments("h.p.").map(|_| ()), empty);
        assert_eq!(segments("h.p.s"), Ok(("h", "p", "s")));
    }

    fn verifier() -> Verifier {
        let config =
            VerifierConfig::for_issuer("https://issuer.example", &["c"], TokenUsePolicy::Any)
                .unwrap_or_else(|e| panic!("{e}"));
        let fetcher = Arc::new(crate::testing::StaticFetcher::new(Vec::new()));
        Verifier::new(&config, fetcher, Arc::new(SystemClock))
    }

    #[tokio::test]
    async fn a_token_of_the_largest_size_is_read_and_one_byte_more_is_not() {
        let verifier = verifier();
        let largest = "a".repeat(MAX_TOKEN_BYTES);
        assert!(matches!(verifier.verify(&largest).await, Err(VerifyError::Malformed(_))));
        let larger = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(
            verifier.verify(&larger).await.err(),
            Some(VerifyError::TokenTooLarge { max: MAX_TOKEN_BYTES })
        );
    }

    #[test]
    fn unavailable_keys_are_retried_after_the_refetch_interval() {
        assert_eq!(verifier().retry_after(), Duration::from_secs(10));
    }

    #[test]
    fn the_verified_token_cache_is_as_large_as_configured() {
        let mut config =
            VerifierConfig::for_issuer("https://issuer.example", &["c"], TokenUsePolicy::Any)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.token_cache_capacity, crate::config::DEFAULT_TOKEN_CACHE_CAPACITY);
        config.token_cache_capacity = 123;
        let fetcher = Arc::new(crate::testing::StaticFetcher::new(Vec::new()));
        let verifier = Verifier::new(&config, fetcher, Arc::new(SystemClock));
        assert_eq!(verifier.cache.capacity(), 123);
    }
}
