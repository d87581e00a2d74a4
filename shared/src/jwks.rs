//! The JWKS cache: one key set per JWKS URI, fetched once and shared.
//!
//! - Concurrent misses share one fetch (single-flight, per URI).
//! - A `kid` missing from a fresh set triggers a refetch at once, unless a
//!   fetch of that URI failed or lacked the kid it was made for less than
//!   `min_refresh` ago (the penalty). A key the issuer has just published is
//!   found on its first request, also right after a refresh, while a flood of
//!   random kids costs at most one fetch per `min_refresh`, as does a failing
//!   key source.
//! - After `ttl` the set is refreshed in the background while it keeps
//!   answering for the kids it holds, so no request waits for the issuer; if
//!   refreshes fail, it keeps serving (logged) until it is `max_stale` old.
//! - A set may be seeded from a snapshot taken at build time, so a cold start
//!   needs no network round trip.
//!
//! The URIs are fixed when the cache is built (one per configured issuer), so
//! the cache is a plain list of slots: it never grows with input.
//!
//! It uses `clock`, `config`, `error`, `fetch`, `jwk`, `metrics`; it is used by `verify`.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::config::JwksSettings;
use crate::error::{FetchError, VerifyError};
use crate::fetch::Fetcher;
use crate::jwk::{KeySet, VerifyingKey};
use crate::metrics::{COUNT, Metrics};

#[derive(Debug)]
struct Loaded {
    keys: KeySet,
    fetched_at: Duration,
}

/// The outcome of the latest fetch of a URI.
#[derive(Debug, Default)]
struct Attempt {
    /// When a fetch that failed, or did not hold the kid it was made for,
    /// ended: no other fetch starts until `min_refresh` after it.
    penalty_from: Option<Duration>,
    /// Whether the latest fetch failed.
    failed: bool,
}

#[derive(Debug)]
struct Slot {
    uri: String,
    current: RwLock<Option<Arc<Loaded>>>,
    // Held while fetching: the single-flight gate, and the record of the last attempt.
    attempt: Arc<Mutex<Attempt>>,
}

// A poisoned lock only means a panic elsewhere; the data (an Arc swap) is still whole.
impl Slot {
    fn current(&self) -> Option<Arc<Loaded>> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn store(&self, loaded: Arc<Loaded>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(loaded);
    }
}

/// What a fetch needs, cheap to clone into a background task.
#[derive(Debug, Clone)]
struct Source {
    fetcher: Arc<dyn Fetcher>,
    clock: Arc<dyn Clock>,
}

impl Source {
    /// Fetches `slot`'s set; `wanted` is the kid the fetch is for (none for a
    /// refresh), which decides whether its outcome starts the penalty.
    async fn fetch_into(
        &self,
        slot: &Slot,
        attempt: &mut Attempt,
        wanted: Option<&str>,
    ) -> Result<Arc<Loaded>, FetchError> {
        let started = self.clock.now();
        let result = match self.fetcher.fetch(&slot.uri).await {
            Ok(body) => KeySet::parse(&body),
            Err(e) => Err(e),
        };
        attempt.failed = result.is_err();
        let missing = wanted.is_some_and(|kid| result.as_ref().is_ok_and(|k| k.get(kid).is_none()));
        // The penalty runs from the end: those who waited for a slow fetch do not start another.
        attempt.penalty_from = (attempt.failed || missing).then(|| self.clock.now());
        let mut metrics = Metrics::default();
        let metric = if attempt.failed { "JwksFetchFailed" } else { "JwksFetch" };
        metrics.put(metric, 1.0, COUNT, &[]);
        metrics.emit();
        match result {
            Ok(keys) => {
                tracing::info!(jwks_uri = slot.uri, keys = keys.len(), "JWKS fetched");
                let loaded = Arc::new(Loaded { keys, fetched_at: started });
                slot.store(Arc::clone(&loaded));
                Ok(loaded)
            }
            Err(e) => {
                tracing::error!(jwks_uri = slot.uri, code = "jwks_unavailable", error = %e, "JWKS fetch failed");
                Err(e)
            }
        }
    }
}

/// Caches the key sets of a fixed list of JWKS URIs.
#[derive(Debug)]
pub struct JwksCache {
    source: Source,
    settings: JwksSettings,
    // One slot per configured issuer: a few at most, so a scan beats hashing a long URL.
    slots: Vec<Arc<Slot>>,
}

impl JwksCache {
    /// A cache for `uris`, filled on first use, by [`JwksCache::seed`] or by [`JwksCache::hydrate`].
    pub fn new(
        uris: impl IntoIterator<Item = String>,
        fetcher: Arc<dyn Fetcher>,
        clock: Arc<dyn Clock>,
        settings: JwksSettings,
    ) -> Self {
        let slots = uris
            .into_iter()
            .map(|uri| Arc::new(Slot { uri, current: RwLock::new(None), attempt: Arc::default() }))
            .collect();
        Self { source: Source { fetcher, clock }, settings, slots }
    }

    /// How long after a fetch that failed, or lacked the kid it was made for,
    /// the next one may start: the soonest keys that could not be had may be had.
    #[must_use]
    pub fn min_refresh(&self) -> Duration {
        self.settings.min_refresh
    }

    /// Fetches every URI that has no current set (at cold start, before the
    /// first request). Failures are logged and returned; requests will retry
    /// after `min_refresh`.
    pub async fn hydrate(&self) -> Vec<(String, FetchError)> {
        let mut failures = Vec::new();
        for slot in &self.slots {
            if slot.current().is_some_and(|loaded| self.age(&loaded) < self.settings.ttl) {
                continue;
            }
            let mut attempt = slot.attempt.lock().await;
            if let Err(e) = self.source.fetch_into(slot, &mut attempt, None).await {
                failures.push((slot.uri.clone(), e));
            }
        }
        failures
    }

    /// Installs a key set taken earlier (`body` is the JWKS document fetched
    /// from `uri` at `fetched_at`, since the epoch), unless it is older than
    /// `max_stale`. It then ages and refreshes like a fetched one.
    ///
    /// # Errors
    /// When `uri` is not configured, the set is too old, or `body` is not a usable JWKS.
    pub fn seed(&self, uri: &str, body: &[u8], fetched_at: Duration) -> Result<(), FetchError> {
        let slot = self.slot(uri).ok_or(FetchError::NotJwks(format!("{uri} is not configured")))?;
        let age = self.source.clock.now().saturating_sub(fetched_at);
        if age > self.settings.max_stale {
            return Err(FetchError::NotJwks(format!(
                "the snapshot is {} s old, older than JWKS_MAX_STALE_SECS",
                age.as_secs()
            )));
        }
        let keys = KeySet::parse(body)?;
        slot.store(Arc::new(Loaded { keys, fetched_at }));
        Ok(())
    }

    /// How old the key set of `uri` is; `None` before it was first loaded.
    #[must_use]
    pub fn age_of(&self, uri: &str) -> Option<Duration> {
        self.slot(uri)?.current().map(|loaded| self.age(&loaded))
    }

    /// The key `kid` from the set at `uri`, fetching or refreshing as the rules allow.
    ///
    /// # Errors
    /// [`VerifyError::UnknownKid`] when a good, current set lacks the kid;
    /// [`VerifyError::JwksUnavailable`] when no usable set can be had, or the
    /// kid is missing and the latest refresh failed.
    pub async fn key(&self, uri: &str, kid: &str) -> Result<Arc<VerifyingKey>, VerifyError> {
        let slot = self.slot(uri).ok_or(VerifyError::JwksUnavailable)?;
        if let Some(loaded) = slot.current()
            && let Some(key) = loaded.keys.get(kid)
        {
            let age = self.age(&loaded);
            if age < self.settings.ttl {
                return Ok(Arc::clone(key));
            }
            if age <= self.settings.max_stale {
                self.refresh_in_background(slot);
                return Ok(Arc::clone(key));
            }
        }

        let mut attempt = slot.attempt.lock().await;
        // Another task may have fetched while this one waited for the lock.
        let current = slot.current();
        if let Some(loaded) = &current
            && self.age(loaded) < self.settings.ttl
            && let Some(key) = loaded.keys.get(kid)
        {
            return Ok(Arc::clone(key));
        }
        if !self.penalised(&attempt) {
            match self.source.fetch_into(slot, &mut attempt, Some(kid)).await {
                Ok(loaded) => return loaded.keys.get(kid).cloned().ok_or(VerifyError::UnknownKid),
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
        let age = self.age(&loaded);
        if age > self.settings.max_stale.max(self.settings.ttl) {
            tracing::error!(jwks_uri = uri, age_secs = age.as_secs(), "JWKS is too stale to use");
            return Err(VerifyError::JwksUnavailable);
        }
        match loaded.keys.get(kid) {
            Some(key) => Ok(Arc::clone(key)),
            None if attempt.failed => Err(VerifyError::JwksUnavailable),
            None => Err(VerifyError::UnknownKid),
        }
    }

    /// Starts a refresh of `slot` unless one is running or the penalty holds.
    fn refresh_in_background(&self, slot: &Arc<Slot>) {
        let Ok(mut attempt) = Arc::clone(&slot.attempt).try_lock_owned() else {
            return;
        };
        if self.penalised(&attempt) {
            return;
        }
        let (source, slot) = (self.source.clone(), Arc::clone(slot));
        tokio::spawn(async move {
            // A failure is logged inside; the stale set keeps serving meanwhile.
            let _ = source.fetch_into(&slot, &mut attempt, None).await;
        });
    }

    fn slot(&self, uri: &str) -> Option<&Arc<Slot>> {
        self.slots.iter().find(|slot| slot.uri == uri)
    }

    fn age(&self, loaded: &Loaded) -> Duration {
        self.source.clock.now().saturating_sub(loaded.fetched_at)
    }

    fn penalised(&self, attempt: &Attempt) -> bool {
        let now = self.source.clock.now();
        attempt.penalty_from.is_some_and(|at| now.saturating_sub(at) < self.settings.min_refresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::BoxFuture;
    use crate::testing::{LogCapture, ManualClock, StaticFetcher, test_key};

    /// A key source that takes `delay` of the manual clock to answer.
    #[derive(Debug)]
    struct Slow {
        clock: Arc<ManualClock>,
        body: Vec<u8>,
        delay: Duration,
        calls: std::sync::atomic::AtomicUsize,
    }

    impl Fetcher for Slow {
        fn fetch<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<Vec<u8>, FetchError>> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async move {
                tokio::task::yield_now().await;
                self.clock.advance(self.delay);
                Ok(self.body.clone())
            })
        }
    }

    #[tokio::test]
    async fn the_refetch_penalty_runs_from_the_end_of_a_slow_fetch() {
        let clock = Arc::new(ManualClock::at_secs(1_000));
        let slow = Arc::new(Slow {
            clock: Arc::clone(&clock),
            body: test_key(0, "k").jwks().to_string().into_bytes(),
            delay: Duration::from_secs(3),
            calls: 0.into(),
        });
        let settings =
            JwksSettings { min_refresh: Duration::from_secs(1), ..JwksSettings::default() };
        let uri = "https://issuer.example/jwks.json".to_owned();
        let cache = JwksCache::new([uri.clone()], slow.clone(), clock, settings);
        // Two requests for a kid the set lacks: the second waits for the first's
        // three-second fetch, and must not start a second one on its heels.
        let (a, b) = tokio::join!(cache.key(&uri, "other"), cache.key(&uri, "other"));
        assert_eq!(
            (a.err(), b.err()),
            (Some(VerifyError::UnknownKid), Some(VerifyError::UnknownKid))
        );
        assert_eq!(slow.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_key_cache_holds_one_set_per_configured_uri_whatever_is_asked() {
        let clock = Arc::new(ManualClock::at_secs(1_000));
        let fetcher =
            Arc::new(StaticFetcher::new(test_key(0, "k").jwks().to_string().into_bytes()));
        let uris = ["https://a.example/jwks.json", "https://b.example/jwks.json"];
        let cache = JwksCache::new(
            uris.map(str::to_owned),
            fetcher.clone(),
            clock,
            JwksSettings::default(),
        );
        for i in 0..1_000 {
            let elsewhere = format!("https://issuer-{i}.example/jwks.json");
            assert_eq!(cache.key(&elsewhere, "k").await.err(), Some(VerifyError::JwksUnavailable));
            let kid = format!("random-{i}");
            assert_eq!(cache.key(uris[i % 2], &kid).await.err(), Some(VerifyError::UnknownKid));
        }
        assert_eq!(cache.slots.len(), 2, "one slot per configured URI, none for what was asked");
        for slot in &cache.slots {
            let kids: Vec<String> = slot
                .current()
                .map_or_else(Vec::new, |loaded| loaded.keys.kids().map(str::to_owned).collect());
            assert_eq!(kids, ["k"], "{}: only the published key is held", slot.uri);
        }
        assert_eq!(fetcher.calls(), 2, "one fetch per configured URI; none for the others");
    }

    const URI: &str = "https://issuer.example/jwks.json";

    /// A cache of [`URI`] with the default settings (`min_refresh` 10 s) over
    /// a fetcher serving `keys`, on a manual clock.
    fn cache_of(keys: &[&str]) -> (JwksCache, Arc<StaticFetcher>, Arc<ManualClock>) {
        let fetcher = Arc::new(StaticFetcher::new(jwks_of(keys)));
        let clock = Arc::new(ManualClock::at_secs(1_000));
        let cache = JwksCache::new(
            [URI.to_owned()],
            fetcher.clone(),
            clock.clone(),
            JwksSettings::default(),
        );
        (cache, fetcher, clock)
    }

    fn jwks_of(kids: &[&str]) -> Vec<u8> {
        let keys: Vec<serde_json::Value> =
            kids.iter().enumerate().map(|(i, kid)| test_key(i, kid).jwk()).collect();
        serde_json::json!({ "keys": keys }).to_string().into_bytes()
    }

    async fn found(cache: &JwksCache, kid: &str) -> Result<String, VerifyError> {
        cache.key(URI, kid).await.map(|key| key.kid().to_owned())
    }

    #[tokio::test]
    async fn a_key_published_right_after_a_fetch_is_fetched_on_its_first_request() {
        let (cache, fetcher, clock) = cache_of(&["k1"]);
        assert!(cache.hydrate().await.is_empty());
        assert_eq!(fetcher.calls(), 1);
        // The issuer publishes k2 a moment after the cold-start fetch: its first token is verified.
        clock.advance(Duration::from_millis(200));
        fetcher.set(Ok(jwks_of(&["k1", "k2"])));
        assert_eq!(found(&cache, "k2").await.as_deref(), Ok("k2"));
        assert_eq!(fetcher.calls(), 2);
        // And k3 right after that fetch, which found what it was made for.
        fetcher.set(Ok(jwks_of(&["k1", "k2", "k3"])));
        assert_eq!(found(&cache, "k3").await.as_deref(), Ok("k3"));
        assert_eq!(fetcher.calls(), 3);
        assert_eq!(found(&cache, "k1").await.as_deref(), Ok("k1"), "known kids need no fetch");
        assert_eq!(fetcher.calls(), 3);
    }

    #[tokio::test]
    async fn a_flood_of_random_kids_costs_at_most_one_fetch_per_min_refresh() {
        let (cache, fetcher, clock) = cache_of(&["k1"]);
        assert!(cache.hydrate().await.is_empty());
        // Five random kids a second for a minute.
        for i in 0..300 {
            let kid = format!("random-{i}");
            assert_eq!(found(&cache, &kid).await, Err(VerifyError::UnknownKid), "{kid}");
            clock.advance(Duration::from_millis(200));
        }
        // The hydrate, then one fetch at 0, 10, 20, 30, 40 and 50 s.
        assert_eq!(fetcher.calls(), 1 + 6);
        assert_eq!(found(&cache, "k1").await.as_deref(), Ok("k1"));
    }

    #[tokio::test]
    async fn a_kid_still_missing_after_its_fetch_waits_out_the_interval() {
        let (cache, fetcher, clock) = cache_of(&["k1"]);
        assert!(cache.hydrate().await.is_empty());
        assert_eq!(found(&cache, "k2").await, Err(VerifyError::UnknownKid));
        assert_eq!(fetcher.calls(), 2, "the missing kid was fetched for at once");
        // Published now, but the fetch that lacked it started the penalty.
        fetcher.set(Ok(jwks_of(&["k1", "k2"])));
        clock.advance(Duration::from_millis(9_999));
        assert_eq!(found(&cache, "k2").await, Err(VerifyError::UnknownKid));
        assert_eq!(found(&cache, "other").await, Err(VerifyError::UnknownKid));
        assert_eq!(fetcher.calls(), 2, "no fetch within JWKS_MIN_REFRESH_SECS of the miss");
        clock.advance(Duration::from_millis(1));
        assert_eq!(found(&cache, "k2").await.as_deref(), Ok("k2"));
        assert_eq!(fetcher.calls(), 3);
    }

    #[tokio::test]
    async fn a_failing_key_source_is_tried_at_most_once_per_min_refresh() {
        let (cache, fetcher, clock) = cache_of(&["k1"]);
        fetcher.set(Err(FetchError::Status(503)));
        assert_eq!(cache.hydrate().await.len(), 1);
        for _ in 0..20 {
            assert_eq!(found(&cache, "k1").await, Err(VerifyError::JwksUnavailable));
            clock.advance(Duration::from_millis(475));
        }
        assert_eq!(fetcher.calls(), 1, "9.5 s after the failed fetch, no other was made");
        clock.advance(Duration::from_millis(500));
        assert_eq!(found(&cache, "k1").await, Err(VerifyError::JwksUnavailable));
        assert_eq!(fetcher.calls(), 2);
        // A source that fails after a good fetch: known kids keep answering, unknown ones wait.
        fetcher.set(Ok(jwks_of(&["k1"])));
        clock.advance(Duration::from_secs(10));
        assert_eq!(found(&cache, "k1").await.as_deref(), Ok("k1"));
        fetcher.set(Err(FetchError::Status(500)));
        for i in 0..20 {
            let kid = format!("random-{i}");
            assert_eq!(found(&cache, &kid).await, Err(VerifyError::JwksUnavailable), "{kid}");
            assert_eq!(found(&cache, "k1").await.as_deref(), Ok("k1"));
        }
        assert_eq!(fetcher.calls(), 4, "one good fetch, then one failed one for the first kid");
    }

    /// Lets a refresh spawned in the background run to its end.
    async fn settle() {
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_set_is_refreshed_from_the_moment_it_is_ttl_old() {
        let (cache, fetcher, clock) = cache_of(&["k1"]);
        assert!(cache.hydrate().await.is_empty());
        clock.advance(Duration::from_millis(3_599_999));
        assert_eq!(found(&cache, "k1").await.as_deref(), Ok("k1"));
        assert!(cache.hydrate().await.is_empty());
        settle().await;
        assert_eq!(
            fetcher.calls(),
            1,
            "younger than JWKS_TTL_SECS: neither a request nor hydrate fetches"
        );
        clock.advance(Duration::from_millis(1));
        assert!(cache.hydrate().await.is_empty());
        assert_eq!(fetcher.calls(), 2, "hydrate refetches a set that is JWKS_TTL_SECS old");
        clock.advance(Duration::from_secs(3_600));
        assert_eq!(found(&cache, "k1").await.as_deref(), Ok("k1"));
        settle().await;
        assert_eq!(fetcher.calls(), 3, "a request refreshes it in the background");
    }

    #[tokio::test]
    async fn a_stale_set_serves_its_keys_up_to_max_stale_while_it_refreshes() {
        let (cache, fetcher, clock) = cache_of(&["k1"]);
        assert!(cache.hydrate().await.is_empty());
        // The issuer dropped k1; the set in hand is exactly JWKS_MAX_STALE_SECS old.
        fetcher.set(Ok(jwks_of(&["k2"])));
        clock.advance(Duration::from_secs(86_400));
        assert_eq!(found(&cache, "k1").await.as_deref(), Ok("k1"), "served while the refresh runs");
        settle().await;
        assert_eq!(fetcher.calls(), 2);
        assert_eq!(
            found(&cache, "k1").await,
            Err(VerifyError::UnknownKid),
            "gone after the refresh"
        );
    }

    #[test]
    fn a_snapshot_is_taken_up_to_max_stale_old() {
        let (cache, _, clock) = cache_of(&[]);
        let now = Duration::from_secs(1_000_000);
        clock.set_secs(now.as_secs());
        let body = jwks_of(&["k1"]);
        let day = Duration::from_secs(86_400);
        assert!(cache.seed(URI, &body, now - day - Duration::from_millis(1)).is_err());
        assert_eq!(cache.age_of(URI), None);
        assert!(cache.seed(URI, &body, now - day).is_ok());
        assert_eq!(cache.age_of(URI), Some(day));
    }

    /// A cache of [`URI`] with `settings` over a fetcher serving `keys`, on a manual clock.
    fn cache_with(
        keys: &[&str],
        settings: JwksSettings,
    ) -> (JwksCache, Arc<StaticFetcher>, Arc<ManualClock>) {
        let fetcher = Arc::new(StaticFetcher::new(jwks_of(keys)));
        let clock = Arc::new(ManualClock::at_secs(1_000));
        let cache = JwksCache::new([URI.to_owned()], fetcher.clone(), clock.clone(), settings);
        (cache, fetcher, clock)
    }

    #[tokio::test]
    async fn with_no_staleness_allowed_a_ttl_old_set_is_refetched_before_it_answers() {
        let settings = JwksSettings { max_stale: Duration::ZERO, ..JwksSettings::default() };
        let (cache, fetcher, clock) = cache_with(&["k1"], settings);
        assert!(cache.hydrate().await.is_empty());
        clock.advance(settings.ttl - Duration::from_millis(1));
        assert_eq!(found(&cache, "k1").await.as_deref(), Ok("k1"));
        assert_eq!(fetcher.calls(), 1);
        // Exactly JWKS_TTL_SECS old, and the issuer has dropped k1 meanwhile.
        clock.advance(Duration::from_millis(1));
        fetcher.set(Ok(jwks_of(&["k2"])));
        assert_eq!(found(&cache, "k1").await, Err(VerifyError::UnknownKid));
        assert_eq!(fetcher.calls(), 2);
    }

    #[tokio::test]
    async fn a_set_answers_up_to_max_stale_old_and_not_a_moment_longer() {
        // Fetches held off (min_refresh) for longer than the set may be used (max_stale).
        let settings = JwksSettings {
            ttl: Duration::from_secs(1),
            max_stale: Duration::from_secs(5),
            min_refresh: Duration::from_secs(10),
        };
        let (cache, fetcher, clock) = cache_with(&["k1"], settings);
        assert_eq!(found(&cache, "k2").await, Err(VerifyError::UnknownKid));
        assert_eq!(fetcher.calls(), 1, "the first request fetched; the kid was missing");
        clock.advance(Duration::from_secs(5));
        assert_eq!(
            found(&cache, "k2").await,
            Err(VerifyError::UnknownKid),
            "5 s old: still the set"
        );
        assert_eq!(found(&cache, "k1").await.as_deref(), Ok("k1"));
        clock.advance(Duration::from_millis(1));
        assert_eq!(found(&cache, "k2").await, Err(VerifyError::JwksUnavailable));
        assert_eq!(found(&cache, "k1").await, Err(VerifyError::JwksUnavailable));
        assert_eq!(fetcher.calls(), 1, "no fetch while the penalty holds");
    }

    #[tokio::test]
    async fn a_failed_refresh_says_the_last_good_set_is_served_only_when_there_is_one() {
        let logs = LogCapture::default();
        let _guard = tracing::subscriber::set_default(logs.subscriber());
        let (cache, fetcher, clock) = cache_of(&["k1"]);
        fetcher.set(Err(FetchError::Status(503)));
        assert_eq!(found(&cache, "k1").await, Err(VerifyError::JwksUnavailable));
        assert!(!logs.text().contains("serving the last good key set"), "{}", logs.text());

        fetcher.set(Ok(jwks_of(&["k1"])));
        clock.advance(Duration::from_secs(10));
        assert_eq!(found(&cache, "k1").await.as_deref(), Ok("k1"));
        fetcher.set(Err(FetchError::Status(503)));
        assert_eq!(found(&cache, "k2").await, Err(VerifyError::JwksUnavailable));
        assert_eq!(
            logs.text().matches("serving the last good key set").count(),
            1,
            "{}",
            logs.text()
        );
    }
}
