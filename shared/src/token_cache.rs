//! The verified-token cache: a token verified twice skips the RSA work from then until its `exp`.
//!
//! Keyed by the SHA-256 of the whole token, so a hit means the very same bytes
//! (header, claims and signature) were verified before. Only the time checks
//! remain to be done, and the verifier runs them on every hit.
//!
//! A token is admitted on its second verification, not its first. Behind API
//! Gateway's own result cache most tokens reach the function once, and for
//! those the SHA-256 and the moka insert (with its bookkeeping) would be pure
//! cost, about a quarter of the RSA check itself. A small table of *marks*
//! remembers which tokens were seen: a mark is 63 bits of the token's tail,
//! which is its signature, so tokens of one issuer differ there. The table only
//! steers the cache; it is never trusted for a decision: a hit still needs the
//! SHA-256 of the presented token to match the cached one's. Two tokens sharing
//! a slot cost each other at most a few extra verifications.
//!
//! It uses `claims`, `config`, `token`; it is used by `verify`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{SHA256, digest};
use moka::Expiry;
use moka::sync::Cache;

use crate::token::VerifiedToken;

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

/// MurmurHash3's 64-bit finalizer: every input bit flips about half the output bits.
fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

#[derive(Clone)]
struct Entry {
    token: Arc<VerifiedToken>,
    life: Duration,
}

impl Entry {
    /// An entry kept for `life`, at most [`MAX_ENTRY_LIFE`].
    fn new(token: Arc<VerifiedToken>, life: Duration) -> Self {
        Self { token, life: life.min(MAX_ENTRY_LIFE) }
    }
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

/// Bytes of the token's tail that make its mark (16 base64url characters: 96 bits of signature).
const MARK_BYTES: usize = 16;
/// The low bit of a slot: set once the token with this mark was admitted to the cache.
const CACHED: u64 = 1;

/// Where a token's mark lives in the table, and the mark itself (never 0, low bit clear).
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    slot: usize,
    tag: u64,
}

/// A bounded cache of verified tokens.
pub struct TokenCache {
    inner: Cache<TokenDigest, Entry>,
    /// One slot per mark: 0 (empty), `tag` (seen once) or `tag | CACHED`.
    seen: Box<[AtomicU64]>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache").field("entries", &self.inner.entry_count()).finish()
    }
}

impl TokenCache {
    /// A cache holding at most `capacity` tokens (0 disables it).
    ///
    /// The mark table has twice as many slots as the cache has entries (a power
    /// of two, 8 bytes each, at most 2^20).
    #[must_use]
    pub fn new(capacity: u64) -> Self {
        let slots = if capacity == 0 {
            0
        } else {
            usize::try_from(capacity.saturating_mul(2))
                .unwrap_or(usize::MAX)
                .clamp(64, 1 << 20)
                .next_power_of_two()
        };
        Self {
            inner: Cache::builder().max_capacity(capacity).expire_after(UntilExp).build(),
            seen: (0..slots).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The most tokens it holds.
    #[must_use]
    pub fn capacity(&self) -> u64 {
        self.inner.policy().max_capacity().unwrap_or(u64::MAX)
    }

    /// The mark of `token` (a few loads from its tail, no hashing); `None` when the cache is disabled.
    #[must_use]
    pub fn mark(&self, token: &str) -> Option<Mark> {
        if self.seen.is_empty() {
            return None;
        }
        let bytes = token.as_bytes();
        let mut tail = [0u8; MARK_BYTES];
        let n = bytes.len().min(MARK_BYTES);
        tail[MARK_BYTES - n..].copy_from_slice(&bytes[bytes.len() - n..]);
        let (hi, lo) = tail.split_at(8);
        let mut word = [0u8; 8];
        word.copy_from_slice(hi);
        let hi = u64::from_le_bytes(word);
        word.copy_from_slice(lo);
        let lo = u64::from_le_bytes(word);
        // Mix so that every input bit reaches the slot index and the tag.
        let mixed = fmix64(hi ^ fmix64(lo));
        let tag = (mixed & !CACHED).max(2);
        let slot = usize::try_from(mixed >> 40).unwrap_or(0) & (self.seen.len() - 1);
        Some(Mark { slot, tag })
    }

    /// The verified token that is exactly `token`, if it was admitted and is still cached.
    #[must_use]
    pub fn get(&self, token: &str, mark: Mark) -> Option<Arc<VerifiedToken>> {
        let slot = self.seen.get(mark.slot)?;
        if slot.load(Ordering::Relaxed) != mark.tag | CACHED {
            return None;
        }
        self.inner.get(&token_digest(token)).map(|e| e.token)
    }

    /// Records a verification of `token`; from its second on, keeps it for
    /// `life` (its remaining validity, capped at a day).
    pub fn admit(&self, token: &str, mark: Mark, verified: Arc<VerifiedToken>, life: Duration) {
        let Some(slot) = self.seen.get(mark.slot) else {
            return;
        };
        if life.is_zero() {
            return;
        }
        if slot.load(Ordering::Relaxed) & !CACHED != mark.tag {
            slot.store(mark.tag, Ordering::Relaxed);
            return;
        }
        self.inner.insert(token_digest(token), Entry::new(verified, life));
        slot.store(mark.tag | CACHED, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::claims::{Claims, TokenUse};
    use crate::token::TokenHeader;

    const LIFE: Duration = Duration::from_secs(600);

    fn verified(sub: &str) -> Arc<VerifiedToken> {
        let claims = Claims::from_json(format!(r#"{{"sub":"{sub}"}}"#).as_bytes()).unwrap();
        Arc::new(VerifiedToken {
            header: TokenHeader { alg: "RS256", kid: "k".into() },
            token_use: TokenUse::Id,
            claims,
        })
    }

    fn sub_of(cache: &TokenCache, token: &str) -> Option<String> {
        let mark = cache.mark(token)?;
        cache.get(token, mark).and_then(|t| t.claims.sub().map(str::to_owned))
    }

    #[test]
    fn a_token_is_cached_from_its_second_verification() {
        let cache = TokenCache::new(100);
        let token = "head.body.c2lnbmF0dXJlLW9uZS10aGF0LWlzLWxvbmc";
        let mark = cache.mark(token).unwrap();
        assert_eq!(sub_of(&cache, token), None);
        cache.admit(token, mark, verified("a"), LIFE);
        assert_eq!(sub_of(&cache, token), None, "cached on first sight");
        cache.admit(token, mark, verified("a"), LIFE);
        assert_eq!(sub_of(&cache, token).as_deref(), Some("a"));
    }

    #[test]
    fn the_same_tail_with_other_bytes_misses() {
        let cache = TokenCache::new(100);
        let token = "head.body.c2lnbmF0dXJlLW9uZS10aGF0LWlzLWxvbmc";
        let forged = "HEAD.BODY.c2lnbmF0dXJlLW9uZS10aGF0LWlzLWxvbmc";
        let mark = cache.mark(token).unwrap();
        cache.admit(token, mark, verified("a"), LIFE);
        cache.admit(token, mark, verified("a"), LIFE);
        let forged_mark = cache.mark(forged).unwrap();
        assert_eq!(forged_mark.tag, mark.tag);
        assert!(cache.get(forged, forged_mark).is_none());
        assert_eq!(sub_of(&cache, token).as_deref(), Some("a"));
    }

    #[test]
    fn expired_and_disabled_are_never_cached() {
        let cache = TokenCache::new(100);
        let token = "a.b.c2lnbmF0dXJlLXR3by10aGF0LWlzLWxvbmc";
        let mark = cache.mark(token).unwrap();
        for _ in 0..3 {
            cache.admit(token, mark, verified("a"), Duration::ZERO);
        }
        assert_eq!(sub_of(&cache, token), None);

        let off = TokenCache::new(0);
        assert!(off.mark(token).is_none());
    }

    #[test]
    fn marks_spread_over_the_table_and_short_tokens_do_not_panic() {
        let cache = TokenCache::new(1000);
        let mut slots = std::collections::HashSet::new();
        for i in 0..500 {
            let token = format!("h.b.sig{i:013}");
            let mark = cache.mark(&token).unwrap();
            assert_eq!(mark.tag & CACHED, 0);
            assert_ne!(mark.tag, 0);
            slots.insert(mark.slot);
        }
        // 500 marks over 2048 slots: a fair spread leaves few collisions.
        assert!(slots.len() > 400, "{} distinct slots", slots.len());
        for short in ["", ".", "a.b.c"] {
            let mark = cache.mark(short).unwrap();
            cache.admit(short, mark, verified("s"), LIFE);
            cache.admit(short, mark, verified("s"), LIFE);
            assert_eq!(sub_of(&cache, short).as_deref(), Some("s"));
        }
    }

    /// How many tokens the cache holds once moka has applied its pending evictions.
    fn held(cache: &TokenCache) -> u64 {
        cache.inner.run_pending_tasks();
        cache.inner.entry_count()
    }

    #[test]
    fn a_flood_of_distinct_tokens_stays_within_the_capacity() {
        const CAPACITY: u64 = 500;
        let cache = TokenCache::new(CAPACITY);
        let slots = cache.seen.len();
        for i in 0..10 * CAPACITY {
            let token = format!("h.b.flood-signature-{i:012}");
            let mark = cache.mark(&token).unwrap();
            // Each token verified twice, so each one asks to be cached.
            cache.admit(&token, mark, verified("f"), LIFE);
            cache.admit(&token, mark, verified("f"), LIFE);
        }
        let held = held(&cache);
        assert!(held <= CAPACITY, "{held} tokens held, capacity {CAPACITY}");
        assert!(held >= CAPACITY / 2, "the flood should have filled the cache: {held} held");
        assert_eq!((slots, cache.seen.len()), (1024, 1024), "the mark table never grows");
    }

    #[test]
    fn the_default_bound_is_ten_thousand_tokens_and_the_mark_table_is_capped() {
        let cache = TokenCache::new(crate::config::DEFAULT_TOKEN_CACHE_CAPACITY);
        assert_eq!(cache.capacity(), 10_000);
        // Twice the capacity, rounded up to a power of two: 256 KiB.
        assert_eq!(cache.seen.len(), 32_768);
        // Whatever capacity is asked for, the table stays at most 2^20 slots (8 MiB).
        assert_eq!(TokenCache::new(u64::MAX).seen.len(), 1 << 20);
    }

    #[test]
    fn an_entry_leaves_the_cache_when_its_life_is_over_and_lives_a_day_at_most() {
        let cache = TokenCache::new(100);
        let token = "h.b.c2lnbmF0dXJlLXNob3J0LWxpdmVkLXRva2Vu";
        let mark = cache.mark(token).unwrap();
        let life = Duration::from_millis(40);
        cache.admit(token, mark, verified("a"), life);
        cache.admit(token, mark, verified("a"), life);
        assert_eq!(sub_of(&cache, token).as_deref(), Some("a"));
        std::thread::sleep(2 * life);
        assert_eq!(sub_of(&cache, token), None, "kept past its life");

        let day = Duration::from_secs(24 * 3600);
        assert_eq!(Entry::new(verified("a"), 2 * day).life, day);
        assert_eq!(Entry::new(verified("a"), LIFE).life, LIFE);
    }

    #[test]
    fn debug_counts_the_tokens_and_shows_none_of_them() {
        let cache = TokenCache::new(100);
        let token = "h.b.c2lnbmF0dXJlLW9mLWEtZGVidWctdG9rZW4";
        let mark = cache.mark(token).unwrap();
        cache.admit(token, mark, verified("debug-sub"), LIFE);
        cache.admit(token, mark, verified("debug-sub"), LIFE);
        cache.inner.run_pending_tasks();
        assert_eq!(format!("{cache:?}"), "TokenCache { entries: 1 }");
    }

    #[test]
    fn tokens_that_differ_in_any_of_their_last_sixteen_characters_get_their_own_tags() {
        let cache = TokenCache::new(1000);
        for varied in [0, 8] {
            // Sixteen characters of tail; the varied half is `varied` characters from the end.
            let tags: std::collections::HashSet<u64> = (0..1000)
                .map(|i| {
                    let half = format!("{i:08}");
                    let tail = if varied == 0 {
                        format!("AAAAAAAA{half}")
                    } else {
                        format!("{half}AAAAAAAA")
                    };
                    cache.mark(&format!("h.b.{tail}")).unwrap().tag
                })
                .collect();
            assert_eq!(tags.len(), 1000, "varied {varied} characters from the end");
        }
    }

    #[test]
    fn tokens_seen_once_each_are_never_cached() {
        let cache = TokenCache::new(1000);
        for i in 0..5_000 {
            let token = format!("h.b.once-{i:012}");
            let mark = cache.mark(&token).unwrap();
            cache.admit(&token, mark, verified("flood"), LIFE);
        }
        cache.inner.run_pending_tasks();
        assert_eq!(cache.inner.entry_count(), 0, "a token is kept from its second sighting on");
    }
}
