//! The verified-token cache: a token already verified skips the RSA work until its `exp`.
//!
//! Keyed by the SHA-256 of the whole token, so a hit means the very same bytes
//! (header, claims and signature) were verified before. Only the time checks
//! remain to be done, and the verifier runs them on every hit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{SHA256, digest};
use moka::Expiry;
use moka::sync::Cache;

use crate::verify::VerifiedToken;

/// The longest an entry is kept, whatever its `exp` says.
const MAX_ENTRY_LIFE: Duration = Duration::from_secs(24 * 3600);

/// A SHA-256 digest of a token.
pub type TokenDigest = [u8; 32];

/// Hashes a token for the cache key.
#[must_use]
pub fn token_digest(token: &str) -> TokenDigest {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    out
}

#[derive(Clone)]
struct Entry {
    token: Arc<VerifiedToken>,
    life: Duration,
}

struct UntilExp;

impl Expiry<TokenDigest, Entry> for UntilExp {
    fn expire_after_create(
        &self,
        _key: &TokenDigest,
        value: &Entry,
        _now: Instant,
    ) -> Option<Duration> {
        Some(value.life)
    }
}

/// A bounded cache of verified tokens.
#[derive(Clone)]
pub struct TokenCache {
    inner: Cache<TokenDigest, Entry>,
    enabled: bool,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.inner.entry_count())
            .finish()
    }
}

impl TokenCache {
    /// A cache holding at most `capacity` tokens (0 disables it).
    #[must_use]
    pub fn new(capacity: u64) -> Self {
        Self {
            inner: Cache::builder()
                .max_capacity(capacity)
                .expire_after(UntilExp)
                .build(),
            enabled: capacity > 0,
        }
    }

    /// False when the cache was built with capacity 0.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The verified token with this digest, if cached.
    #[must_use]
    pub fn get(&self, key: &TokenDigest) -> Option<Arc<VerifiedToken>> {
        if !self.enabled {
            return None;
        }
        self.inner.get(key).map(|e| e.token)
    }

    /// Keeps `token` for `life` (its remaining validity), capped at a day.
    pub fn insert(&self, key: TokenDigest, token: Arc<VerifiedToken>, life: Duration) {
        if !self.enabled || life.is_zero() {
            return;
        }
        let life = life.min(MAX_ENTRY_LIFE);
        self.inner.insert(key, Entry { token, life });
    }
}
