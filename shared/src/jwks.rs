//! The JWKS cache: one key set per JWKS URI, fetched once and shared.
//!
//! - Concurrent misses share one fetch (single-flight, per URI).
//! - A `kid` missing from a fresh set triggers a refetch at most once per
//!   `min_refresh` per URI, so a flood of random kids is not a flood of fetches.
//! - After `ttl` the set is refreshed; if that fails, the last good set keeps
//!   serving (logged) until it is `max_stale` old.
//!
//! The URIs are fixed when the cache is built (one per configured issuer), so
//! the cache is a plain map of slots: it never grows with input.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::error::{FetchError, VerifyError};
use crate::fetch::Fetcher;
use crate::jwk::{KeySet, VerifyingKey};

/// How long key sets live and how often they may be refetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksSettings {
    /// Age after which a set is refreshed (`JWKS_TTL_SECS`).
    pub ttl: Duration,
    /// Least time between two fetches of one URI (`JWKS_MIN_REFRESH_SECS`).
    pub min_refresh: Duration,
    /// Oldest set still served while refreshes fail (`JWKS_MAX_STALE_SECS`).
    pub max_stale: Duration,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(3600),
            min_refresh: Duration::from_secs(10),
            max_stale: Duration::from_secs(86_400),
        }
    }
}

#[derive(Debug)]
struct Loaded {
    keys: KeySet,
    fetched_at: Duration,
}

#[derive(Debug, Default)]
struct Attempt {
    at: Option<Duration>,
    failed: bool,
}

#[derive(Debug, Default)]
struct Slot {
    current: RwLock<Option<Arc<Loaded>>>,
    // Held while fetching: the single-flight gate, and the record of the last attempt.
    attempt: Mutex<Attempt>,
}

// A poisoned lock only means a panic elsewhere; the data (an Arc swap) is still whole.
impl Slot {
    fn current(&self) -> Option<Arc<Loaded>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn store(&self, loaded: Arc<Loaded>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(loaded);
    }
}

/// Caches the key sets of a fixed list of JWKS URIs.
#[derive(Debug)]
pub struct JwksCache {
    fetcher: Arc<dyn Fetcher>,
    clock: Arc<dyn Clock>,
    settings: JwksSettings,
    // One slot per configured issuer: a few at most, so a scan beats hashing a long URL.
    slots: Vec<(String, Slot)>,
}

impl JwksCache {
    /// A cache for `uris`, filled on first use or by [`JwksCache::hydrate`].
    pub fn new(
        uris: impl IntoIterator<Item = String>,
        fetcher: Arc<dyn Fetcher>,
        clock: Arc<dyn Clock>,
        settings: JwksSettings,
    ) -> Self {
        let slots = uris.into_iter().map(|u| (u, Slot::default())).collect();
        Self {
            fetcher,
            clock,
            settings,
            slots,
        }
    }

    /// How long after a fetch (failed or not) the next one may start: the
    /// soonest keys that could not be had may be had.
    #[must_use]
    pub fn min_refresh(&self) -> Duration {
        self.settings.min_refresh
    }

    /// Fetches every URI now (at cold start, before the first request).
    /// Failures are logged and returned; requests will retry after `min_refresh`.
    pub async fn hydrate(&self) -> Vec<(String, FetchError)> {
        let mut failures = Vec::new();
        for (uri, slot) in &self.slots {
            let mut attempt = slot.attempt.lock().await;
            if let Err(e) = self.fetch_into(uri, slot, &mut attempt).await {
                failures.push((uri.clone(), e));
            }
        }
        failures
    }

    /// The key `kid` from the set at `uri`, fetching or refreshing as the rules allow.
    ///
    /// # Errors
    /// [`VerifyError::UnknownKid`] when a good, current set lacks the kid;
    /// [`VerifyError::JwksUnavailable`] when no usable set can be had, or the
    /// kid is missing and the latest refresh failed.
    pub async fn key(&self, uri: &str, kid: &str) -> Result<Arc<VerifyingKey>, VerifyError> {
        let slot = self
            .slots
            .iter()
            .find(|(known, _)| known == uri)
            .map(|(_, slot)| slot)
            .ok_or(VerifyError::JwksUnavailable)?;
        if let Some(loaded) = slot.current()
            && self.is_fresh(&loaded)
            && let Some(key) = loaded.keys.get(kid)
        {
            return Ok(Arc::clone(key));
        }

        let mut attempt = slot.attempt.lock().await;
        // Another task may have fetched while this one waited for the lock.
        let current = slot.current();
        if let Some(loaded) = &current
            && self.is_fresh(loaded)
            && let Some(key) = loaded.keys.get(kid)
        {
            return Ok(Arc::clone(key));
        }

        let now = self.clock.now();
        let penalised = attempt
            .at
            .is_some_and(|at| now.saturating_sub(at) < self.settings.min_refresh);
        if !penalised {
            match self.fetch_into(uri, slot, &mut attempt).await {
                Ok(loaded) => {
                    return loaded.keys.get(kid).cloned().ok_or(VerifyError::UnknownKid);
                }
                Err(_) if current.is_some() => {
                    tracing::warn!(
                        jwks_uri = uri,
                        "JWKS refresh failed; serving the last good key set"
                    );
                }
                Err(_) => {}
            }
        }

        let Some(loaded) = current else {
            return Err(VerifyError::JwksUnavailable);
        };
        let age = now.saturating_sub(loaded.fetched_at);
        if age > self.settings.max_stale.max(self.settings.ttl) {
            tracing::error!(
                jwks_uri = uri,
                age_secs = age.as_secs(),
                "JWKS is too stale to use"
            );
            return Err(VerifyError::JwksUnavailable);
        }
        match loaded.keys.get(kid) {
            Some(key) => Ok(Arc::clone(key)),
            None if attempt.failed => Err(VerifyError::JwksUnavailable),
            None => Err(VerifyError::UnknownKid),
        }
    }

    /// How old the key set of `uri` is; `None` before it was first fetched.
    #[must_use]
    pub fn age(&self, uri: &str) -> Option<Duration> {
        let (_, slot) = self.slots.iter().find(|(known, _)| known == uri)?;
        let loaded = slot.current()?;
        Some(self.clock.now().saturating_sub(loaded.fetched_at))
    }

    fn is_fresh(&self, loaded: &Loaded) -> bool {
        self.clock.now().saturating_sub(loaded.fetched_at) < self.settings.ttl
    }

    async fn fetch_into(
        &self,
        uri: &str,
        slot: &Slot,
        attempt: &mut Attempt,
    ) -> Result<Arc<Loaded>, FetchError> {
        let started = self.clock.now();
        attempt.at = Some(started);
        let result = match self.fetcher.fetch(uri).await {
            Ok(body) => KeySet::parse(&body),
            Err(e) => Err(e),
        };
        match result {
            Ok(keys) => {
                attempt.failed = false;
                tracing::info!(jwks_uri = uri, keys = keys.len(), "JWKS fetched");
                let loaded = Arc::new(Loaded {
                    keys,
                    fetched_at: started,
                });
                slot.store(Arc::clone(&loaded));
                Ok(loaded)
            }
            Err(e) => {
                attempt.failed = true;
                tracing::error!(jwks_uri = uri, code = "jwks_unavailable", error = %e, "JWKS fetch failed");
                Err(e)
            }
        }
    }
}
