//! Time as a seam: production reads the system clock, tests move a manual one.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time, as a duration since the Unix epoch.
pub trait Clock: Send + Sync + Debug {
    /// The current time since the Unix epoch.
    fn now(&self) -> Duration;

    /// The current time in whole seconds since the Unix epoch.
    fn now_secs(&self) -> u64 {
        self.now().as_secs()
    }
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        // A clock before 1970 is a broken host; treating it as the epoch makes every token look expired (fail closed).
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    millis: AtomicU64,
}

impl ManualClock {
    /// A clock standing at `secs` seconds after the epoch.
    #[must_use]
    pub fn at_secs(secs: u64) -> Self {
        Self {
            millis: AtomicU64::new(secs.saturating_mul(1000)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `secs` seconds after the epoch.
    pub fn set_secs(&self, secs: u64) {
        self.millis
            .store(secs.saturating_mul(1000), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }
}
