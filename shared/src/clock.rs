//! Time as a seam: production reads the system clock, tests move a manual one.
//!
//! It uses nothing else of the crate; it is used by `jwks`, `testing`, `verify`.

use std::fmt::Debug;
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
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
    }
}
