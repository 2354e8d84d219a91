//! Time, injected. Nothing in the library reads the wall clock except [`SystemClock`]
//! (enforced by `clippy.toml`'s `disallowed-methods`), so every rule about time can be tested
//! by moving a [`ManualClock`].

use chrono::{DateTime, NaiveDate, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
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

/// `t + d`, or the last representable instant if that overflows: a validity or cool-down so
/// long that it ends after the end of time simply never ends. Every instant the library
/// computes from a stored duration goes through here, so no stored value can make it panic.
///
/// ```
/// use chrono::{DateTime, TimeDelta, Utc};
/// use invite_core::clock::saturating_add;
/// let t: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
/// assert_eq!(saturating_add(t, TimeDelta::hours(1)).to_rfc3339(), "2026-03-02T10:00:00+00:00");
/// assert_eq!(saturating_add(t, TimeDelta::MAX), DateTime::<Utc>::MAX_UTC);
/// assert_eq!(saturating_add(t, TimeDelta::MIN), DateTime::<Utc>::MIN_UTC);
/// ```
pub fn saturating_add(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < TimeDelta::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// The local date of `t` in `tz`. Where that date would lie past the last day of chrono's
/// calendar (or before its first), which only an instant at its very end can give, the UTC
/// date: chrono's own `date_naive` panics there, and a stored instant must not make a read
/// or a worker panic.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use invite_core::clock::local_date;
/// let t: DateTime<Utc> = "2026-03-02T23:30:00Z".parse().unwrap();
/// assert_eq!(local_date(t, chrono_tz::Europe::Moscow).to_string(), "2026-03-03");
/// let end = DateTime::<Utc>::MAX_UTC;
/// assert_eq!(local_date(end, chrono_tz::Pacific::Kiritimati), end.date_naive());
/// ```
pub fn local_date(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    let utc = t.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_offset(offset).unwrap_or(utc).date()
}

/// The end of a validity period of `validity` starting at `start` (R4.3): saturating, so a
/// period too long for the calendar never ends, and a validity that is not positive (which
/// only a value written past [`crate::bounds`] can be) ends at once rather than before it
/// began, at an instant no store could hold.
///
/// ```
/// use chrono::{DateTime, TimeDelta, Utc};
/// use invite_core::clock::period_end;
/// let t: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
/// assert_eq!(period_end(t, TimeDelta::hours(72)), t + TimeDelta::hours(72));
/// assert_eq!(period_end(t, TimeDelta::MAX), DateTime::<Utc>::MAX_UTC);
/// assert_eq!(period_end(t, TimeDelta::MIN), t);
/// ```
pub fn period_end(start: DateTime<Utc>, validity: TimeDelta) -> DateTime<Utc> {
    saturating_add(start, validity.max(TimeDelta::zero()))
}
