//! What only the rule tests share; the harness itself is the testkit's
//! ([`invite_core::testkit::Harness`]), the one every store's conformance cases run on too.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use invite_core::testkit::Harness;
use invite_core::{Access, MemoryStore, OrgSettings, Role};

/// A harness over a fresh `MemoryStore`, clock at the testkit's start instant, dispatchers
/// without jitter: rule tests check back-off instants to the second (the jitter has tests of
/// its own in the conformance suite).
pub(crate) fn harness() -> Harness<MemoryStore> {
    Harness::new(MemoryStore::new()).without_jitter()
}

/// [`harness`] with the clock set to `start` before anything happens.
pub(crate) fn harness_at(start: DateTime<Utc>) -> Harness<MemoryStore> {
    let h = harness();
    h.set_time(start);
    h
}

/// A general user with a read-only role (client or standalone organization).
pub(crate) fn user_access() -> Access {
    Access::user(Role::ReadOnly)
}

/// A calendar day.
pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A local time of day, to the minute.
pub(crate) fn hm(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
}

/// Settings with `seats` seats and reminders on at `at` local time in `tz`.
pub(crate) fn with_reminders(seats: u32, tz: Tz, at: NaiveTime) -> OrgSettings {
    OrgSettings {
        reminders_enabled: true,
        time_zone: tz,
        reminder_time: at,
        ..OrgSettings::with_seats(seats)
    }
}
