//! The token verifier: a token string in, verified claims or a precise error out.
//!
//! Every check runs on every token, in this order: size; three base64url
//! segments of JSON; header `alg` exactly `RS256`, no `crit`, a `kid`
//! (`jku`, `x5u`, `jwk`, `x5c` are ignored, never fetched); `iss` among the
//! configured issuers; the signature with that issuer's key; then `exp`
//! (required), `iat` (required, not in the future), `nbf`, `token_use` and the
//! app client (`aud` or `client_id`).

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::checks::{check_claim_types, check_client, check_times};
use crate::claims::{Claims, ClaimsError, TokenUse};
use crate::clock::{Clock, SystemClock};
use crate::config::{TokenUsePolicy, VerifierConfig};
use crate::error::{FetchError, VerifyError};
use crate::fetch::{FetchLimits, Fetcher, HttpFetcher};
use crate::jwks::JwksCache;
use crate::token_cache::TokenCache;

/// Longest token accepted, in bytes. Cognito tokens are 1–4 KiB; API Gateway caps headers near 10 KiB.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// How many distinct header segments of verified tokens the verifier remembers.
/// An issuer signs every token of one key with the same header, so this is
/// about one per key in service.
const KNOWN_HEADERS: usize = 16;

/// The verified header fields worth showing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenHeader {
    /// Always `RS256`.
    pub alg: &'static str,
    /// The key id the token was signed with.
    pub kid: Arc<str>,
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedToken {
    /// The header.
    pub header: TokenHeader,
    /// `id` or `access`.
    pub token_use: TokenUse,
    /// Every claim, as in the token.
    pub claims: Claims,
}

impl VerifiedToken {
    /// `exp` (always present on a verified token).
    #[must_use]
    pub fn exp(&self) -> u64 {
        self.claims.exp().unwrap_or(0)
    }
}

/// Verifies Cognito JWTs against the configured issuers.
#[derive(Debug)]
pub struct Verifier {
    // A handful of issuers at most: a scan beats hashing a long URL.
    jwks_by_issuer: Vec<(String, String)>,
    client_ids: Vec<String>,
    token_use: TokenUsePolicy,
    leeway: u64,
    jwks: JwksCache,
    cache: TokenCache,
    /// Header segments (base64url text) of verified tokens, and what they say:
    /// a token with one of these skips decoding and parsing its header.
    headers: RwLock<Vec<(Box<str>, TokenHeader)>>,
    clock: Arc<dyn Clock>,
}

impl Verifier {
    /// A verifier that fetches keys over HTTPS and reads the system clock.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn from_config(config: &VerifierConfig) -> Result<Self, FetchError> {
        let fetcher = HttpFetcher::new(FetchLimits::default())?;
        Ok(Self::new(config, Arc::new(fetcher), Arc::new(SystemClock)))
    }

    /// A verifier over the given fetcher and clock (the seams tests replace).
    #[must_use]
    pub fn new(config: &VerifierConfig, fetcher: Arc<dyn Fetcher>, clock: Arc<dyn Clock>) -> Self {
        let jwks_by_issuer: Vec<(String, String)> = config
            .issuers
            .iter()
            .map(|i| (i.iss.clone(), i.jwks_uri.clone()))
            .collect();
        let jwks = JwksCache::new(
            jwks_by_issuer.iter().map(|(_, uri)| uri.clone()),
            fetcher,
            Arc::clone(&clock),
            config.jwks,
        );
        Self {
            jwks_by_issuer,
            client_ids: config.client_ids.clone(),
            token_use: config.token_use,
            leeway: config.leeway.as_secs(),
            jwks,
            cache: TokenCache::new(config.token_cache_capacity),
            headers: RwLock::new(Vec::new()),
            clock,
        }
    }

    /// Prefetches the keys of every issuer; call at cold start. Failures are logged and returned.
    pub async fn hydrate(&self) -> Vec<(String, FetchError)> {
        self.jwks.hydrate().await
    }

    /// When keys that could not be fetched will next be tried: a `Retry-After`
    /// for [`VerifyError::JwksUnavailable`].
    #[must_use]
    pub fn retry_after(&self) -> Duration {
        self.jwks.min_refresh()
    }

    /// The clock this verifier judges time by.
    #[must_use]
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Verifies `token` and returns its header and claims.
    ///
    /// # Errors
    /// The first check that fails, as a [`VerifyError`].
    pub async fn verify(&self, token: &str) -> Result<Arc<VerifiedToken>, VerifyError> {
        let result = self.check(token).await;
        match &result {
            Ok(t) => tracing::debug!(
                sub = t.claims.sub().unwrap_or_default(),
                kid = %t.header.kid,
                token_use = t.token_use.as_str(),
                "token verified"
            ),
            Err(e) => tracing::debug!(code = e.code(), "token rejected"),
        }
        result
    }

    async fn check(&self, token: &str) -> Result<Arc<VerifiedToken>, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::TokenTooLarge {
                max: MAX_TOKEN_BYTES,
            });
        }
        let now = self.clock.now_secs();
        let mark = self.cache.mark(token);
        if let Some(hit) = mark.and_then(|m| self.cache.get(token, m)) {
            check_times(&hit.claims, now, self.leeway)?;
            return Ok(hit);
        }

        let segments = segments(token)?;
        let known = self.known_header(segments.header);
        let header = match &known {
            Some(header) => header.clone(),
            None => check_header(decode_header(segments.header)?)?,
        };
        let parts = decode(segments)?;
        let iss = match parts.claims.get("iss") {
            Some(Value::String(iss)) => iss.as_str(),
            Some(_) => return Err(VerifyError::InvalidClaim("iss")),
            None => return Err(VerifyError::MissingClaim("iss")),
        };
        let uri = self
            .jwks_by_issuer
            .iter()
            .find(|(known, _)| known == iss)
            .map(|(_, uri)| uri.as_str())
            .ok_or(VerifyError::InvalidIssuer)?;
        let key = self.jwks.key(uri, &header.kid).await?;
        if !key.verify_rs256(parts.signed.as_bytes(), parts.signature.as_slice()) {
            return Err(VerifyError::InvalidSignature);
        }

        let claims = parts.claims;
        check_claim_types(&claims)?;
        check_times(&claims, now, self.leeway)?;
        let token_use = check_client(&claims, self.token_use, &self.client_ids)?;

        if known.is_none() {
            self.remember_header(segments.header, &header);
        }
        let verified = Arc::new(VerifiedToken {
            header,
            token_use,
            claims,
        });
        if let Some(mark) = mark {
            let exp = verified.exp().saturating_add(self.leeway);
            self.cache.admit(
                token,
                mark,
                Arc::clone(&verified),
                Duration::from_secs(exp.saturating_sub(now)),
            );
        }
        Ok(verified)
    }

    fn known_header(&self, segment: &str) -> Option<TokenHeader> {
        let known = self.headers.read().unwrap_or_else(PoisonError::into_inner);
        known
            .iter()
            .find(|(seen, _)| seen.as_ref() == segment)
            .map(|(_, header)| header.clone())
    }

    /// Remembers the header of a token that passed every check; bounded, so
    /// issuers rotating keys forever cannot grow it.
    fn remember_header(&self, segment: &str, header: &TokenHeader) {
        let mut known = self.headers.write().unwrap_or_else(PoisonError::into_inner);
        if known.len() < KNOWN_HEADERS && !known.iter().any(|(seen, _)| seen.as_ref() == segment) {
            known.push((segment.into(), header.clone()));
        }
    }
}

/// The header fields the verifier reads; everything else (`typ`, `jku`, `x5u`, `jwk`, `x5c`, ...) is ignored.
#[derive(Deserialize)]
struct RawHeader {
    #[serde(default)]
    alg: Option<Value>,
    #[serde(default)]
    kid: Option<Value>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// The three base64url segments of a compact JWS, not yet decoded.
#[derive(Clone, Copy)]
struct Segments<'a> {
    header: &'a str,
    claims: &'a str,
    signature: &'a str,
    /// `header.claims`: the bytes the signature covers.
    signed: &'a str,
}

struct Parts<'a> {
    signed: &'a str,
    claims: Claims,
    signature: Signature,
}

/// A decoded signature, on the stack (RSA signatures of keys up to 8192 bits).
struct Signature {
    bytes: [u8; 1024],
    len: usize,
}

impl Signature {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn segments(token: &str) -> Result<Segments<'_>, VerifyError> {
    let mut segments = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(VerifyError::Malformed("a JWT has exactly three segments"));
    };
    if signature.is_empty() {
        return Err(VerifyError::Malformed("the signature segment is empty"));
    }
    Ok(Segments {
        header,
        claims,
        signature,
        signed: &token[..header.len() + 1 + claims.len()],
    })
}

/// Decodes one base64url segment (no padding, canonical trailing bits) with SIMD.
fn base64url(segment: &str) -> Option<Vec<u8>> {
    base64_simd::URL_SAFE_NO_PAD.decode_to_vec(segment).ok()
}

fn decode_header(segment: &str) -> Result<RawHeader, VerifyError> {
    base64url(segment)
        // serde would also read a struct from a JSON array; a JOSE header is an object.
        .filter(|bytes| bytes.trim_ascii_start().first() == Some(&b'{'))
        .and_then(|bytes| serde_json::from_slice::<RawHeader>(&bytes).ok())
        .ok_or(VerifyError::Malformed(
            "the header is not a base64url-encoded JSON object",
        ))
}

/// Decodes the claims and the signature (the header is decoded, or known, already).
fn decode(segments: Segments<'_>) -> Result<Parts<'_>, VerifyError> {
    let claims = claims(segments.claims)?;
    let mut signature = Signature {
        bytes: [0; 1024],
        len: 0,
    };
    signature.len = base64_simd::URL_SAFE_NO_PAD
        .decode(
            segments.signature.as_bytes(),
            base64_simd::Out::from_slice(&mut signature.bytes),
        )
        .map_err(|_| VerifyError::Malformed("the signature is not base64url"))?
        .len();
    Ok(Parts {
        signed: segments.signed,
        claims,
        signature,
    })
}

/// Every decoding step, in the verifier's order (for the tests).
#[cfg(test)]
fn split(token: &str) -> Result<Parts<'_>, VerifyError> {
    let segments = segments(token)?;
    decode_header(segments.header)?;
    decode(segments)
}

fn claims(segment: &str) -> Result<Claims, VerifyError> {
    const WHY: &str = "the payload is not a base64url-encoded JSON object";
    let bytes = base64url(segment).ok_or(VerifyError::Malformed(WHY))?;
    // The decoded bytes become the claims' text without a copy.
    let text = String::from_utf8(bytes).map_err(|_| VerifyError::Malformed(WHY))?;
    Claims::from_json(text).map_err(|e| match e {
        ClaimsError::NotAnObject => VerifyError::Malformed(WHY),
        ClaimsError::DuplicateClaim => VerifyError::Malformed("the payload names a claim twice"),
    })
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
        Some(Value::String(kid)) if !kid.is_empty() => Ok(TokenHeader {
            alg: "RS256",
            kid: kid.into(),
        }),
        _ => Err(VerifyError::MissingKid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    #[test]
    fn header_table() {
        let cases = [
            (json!({"alg": "RS256", "kid": "k"}), Ok("k")),
            (
                json!({"alg": "none", "kid": "k"}),
                Err(VerifyError::AlgNotAllowed),
            ),
            (
                json!({"alg": "rs256", "kid": "k"}),
                Err(VerifyError::AlgNotAllowed),
            ),
            (json!({"kid": "k"}), Err(VerifyError::AlgNotAllowed)),
            (
                json!({"alg": ["RS256"], "kid": "k"}),
                Err(VerifyError::AlgNotAllowed),
            ),
            (json!({"alg": "RS256"}), Err(VerifyError::MissingKid)),
            (
                json!({"alg": "RS256", "kid": 7}),
                Err(VerifyError::MissingKid),
            ),
            (
                json!({"alg": "RS256", "kid": ""}),
                Err(VerifyError::MissingKid),
            ),
            (
                json!({"alg": "RS256", "kid": "k", "crit": ["exp"]}),
                Err(VerifyError::CritNotSupported),
            ),
            (
                json!({"alg": "RS256", "kid": "k", "jku": "http://x", "x5u": "http://y"}),
                Ok("k"),
            ),
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

    #[test]
    fn split_rejects_bad_shapes() {
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
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
            assert!(
                matches!(split(&bad), Err(VerifyError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(split(&format!("{h}.{p}.c2ln")).is_ok());
        assert!(split(&format!("{h}.{p}.c2c")).is_ok());
    }
}
