//! Time, injected. Nothing in the library reads the wall clock except [`SystemClock`]
//! (enforced by `clippy.toml`'s `disallowed-methods`), so every rule about time can be tested
//! by moving a [`ManualClock`].

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Mutex;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place allowed to read the wall clock
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to: for tests, simulations and the quickstart.
///
/// ```
/// use invite_core::{Clock, ManualClock};
/// use chrono::TimeDelta;
/// let clock = ManualClock::new("2026-03-01T09:00:00Z".parse().unwrap());
/// clock.advance(TimeDelta::hours(73));
/// assert_eq!(clock.now().to_rfc3339(), "2026-03-04T10:00:00+00:00");
/// ```
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    /// Moves the clock forward (or back, with a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    /// Sets the clock.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}
