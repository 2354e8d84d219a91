//! Reminder schedule and eligibility (R8), as pure functions of the organization's settings,
//! the record and the time.
//!
//! A reminder belongs to an organization-local *day*. The sweep may run as often and from as
//! many workers as you like: on each run it works out today's local date and today's reminder
//! instant, and if that instant has passed it queues a reminder for each eligible invitation
//! that has none for today. The store keeps one mark per invitation and day (R8.2), so repeats
//! and races skip; a day missed while nothing ran is not made up for, so after three days
//! down there is one reminder, today's.

use crate::invitation::{Invitation, Status};
use crate::org::OrgSettings;
use chrono::{DateTime, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant of the reminder on local `day` at local time `at` in `tz`, correct across
/// daylight-saving changes (R8.3):
/// - a local time that happens twice (clocks go back) fires at its first occurrence;
/// - a local time that does not exist (clocks go forward) fires at the first local minute
///   after the gap, so the day still gets its reminder.
///
/// ```
/// use invite_core::reminders::reminder_instant;
/// use chrono::{NaiveDate, NaiveTime};
/// let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(); // Europe switches to summer time
/// let at = NaiveTime::from_hms_opt(2, 30, 0).unwrap();    // 02:30 does not exist in Berlin
/// let t = reminder_instant(day, at, chrono_tz::Europe::Berlin);
/// assert_eq!(t.to_rfc3339(), "2026-03-29T01:00:00+00:00"); // 03:00 CEST
/// ```
pub fn reminder_instant(day: NaiveDate, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let local = day.and_time(at);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Inside a gap. Gaps last at most a few hours; step forward to its end.
            (1..=24 * 60)
                .find_map(|m| {
                    let later = local.checked_add_signed(TimeDelta::minutes(m))?;
                    tz.from_local_datetime(&later).earliest()
                })
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&local))
        }
    }
}

/// The local day whose reminder is due at `now`, with its instant: today, if today's reminder
/// instant has passed; otherwise nothing (yesterday's, if missed, is not made up for).
pub fn due_day(settings: &OrgSettings, now: DateTime<Utc>) -> Option<(NaiveDate, DateTime<Utc>)> {
    if !settings.reminders_enabled {
        return None;
    }
    let today = crate::clock::local_date(now, settings.time_zone);
    let instant = reminder_instant(today, settings.reminder_time, settings.time_zone);
    (now >= instant).then_some((today, instant))
}

/// Whether `inv` gets a reminder on a day whose reminder instant is `cutoff` (R8.1): an
/// invitee who has not signed up and whose link is still valid (Pending), or a member who
/// signed up and never logged in (Never Used), in either case since before `cutoff`, so that
/// a message sent a minute before is not followed by a reminder at once.
pub fn eligible(inv: &Invitation, now: DateTime<Utc>, cutoff: DateTime<Utc>) -> bool {
    match inv.status_at(now) {
        Status::Pending => inv.last_sent_at().is_some_and(|t| t < cutoff),
        Status::NeverUsed => inv.signed_up_at().is_some_and(|t| t < cutoff),
        _ => false,
    }
}
