//! The allowed range of every setting and input, decided here so that every store gives the
//! same answer: an out-of-range value is refused with [`Refusal::OutOfRange`] naming the field
//! and its range, before anything is stored.
//!
//! | what | allowed |
//! |---|---|
//! | validity of a link (R1.2) | 1 minute to 365 days |
//! | resend cool-down (R5.2) | 0 to 1 day |
//! | seat limit (R1.2) | 0 to 10,000,000 |
//! | organization, sender and client names | 1 to 200 characters after trimming, no control characters |
//! | application user ids, operator ids | 1 to 256 characters, no control characters |
//! | permission levels (R2.4) | 1 to 64 characters, no control characters |
//! | list search text (R9.2) | at most 200 characters, no control characters |
//! | list page size (R9.2) | 1 to 500 |
//! | event feed page size (R10.2) | 1 to 1,000 |
//! | series range (R9.3) | 1 to 367 days, within years 1900 to 9999 |
//! | addresses in one bulk call (R2.9) | `ServiceConfig::max_bulk`, 1,000 by default |
//!
//! Durations and instants computed from stored values go through
//! [`saturating_add`](crate::clock::saturating_add), so even a value written past these
//! bounds (by an older version, or by hand) cannot make a worker panic.

use crate::org::OrgSettings;
use crate::refusal::Refusal;
use chrono::{Datelike, NaiveDate, TimeDelta};

/// Longest link validity.
pub const MAX_VALIDITY: TimeDelta = TimeDelta::days(365);
/// Shortest link validity.
pub const MIN_VALIDITY: TimeDelta = TimeDelta::minutes(1);
/// Longest resend cool-down.
pub const MAX_RESEND_COOLDOWN: TimeDelta = TimeDelta::days(1);
/// Highest seat limit.
pub const MAX_SEAT_LIMIT: u32 = 10_000_000;
/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest application user id or operator id, in characters.
pub const MAX_ID_CHARS: usize = 256;
/// Longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Largest list page.
pub const MAX_PAGE_SIZE: u32 = 500;
/// Longest series range, in days, the first and last included.
pub const MAX_SERIES_DAYS: i64 = 367;

fn out_of_range(field: &str, allowed: &str) -> Refusal {
    Refusal::OutOfRange {
        field: field.to_owned(),
        allowed: allowed.to_owned(),
    }
}

/// Checks every bounded organization setting (R1.2).
///
/// ```
/// use invite_core::{bounds, OrgSettings, Refusal};
/// assert!(bounds::check_settings(&OrgSettings::with_seats(5)).is_ok());
/// let mut s = OrgSettings::with_seats(5);
/// s.validity = chrono::TimeDelta::days(100_000_000);
/// assert!(matches!(bounds::check_settings(&s), Err(Refusal::OutOfRange { field, .. }) if field == "validity"));
/// ```
pub fn check_settings(s: &OrgSettings) -> Result<(), Refusal> {
    if s.validity < MIN_VALIDITY || s.validity > MAX_VALIDITY {
        return Err(out_of_range("validity", "1 minute to 365 days"));
    }
    if s.resend_cooldown < TimeDelta::zero() || s.resend_cooldown > MAX_RESEND_COOLDOWN {
        return Err(out_of_range("resend_cooldown", "0 to 1 day"));
    }
    if s.seat_limit > MAX_SEAT_LIMIT {
        return Err(out_of_range("seat_limit", "0 to 10,000,000"));
    }
    if !s.channels.email && !s.channels.sms {
        return Err(out_of_range(
            "channels",
            "at least one of e-mail and SMS allowed",
        ));
    }
    Ok(())
}

fn check_text(field: &str, value: &str, max: usize, allowed: &str) -> Result<String, Refusal> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > max || trimmed.chars().any(char::is_control) {
        return Err(out_of_range(field, allowed));
    }
    Ok(trimmed.to_owned())
}

/// Trims and checks a name (`field` names it in the refusal): 1 to 200 characters, no
/// control characters (which no mail header or database text column takes).
///
/// ```
/// use invite_core::bounds::check_name;
/// assert_eq!(check_name("name", "  Acme ").unwrap(), "Acme");
/// assert!(check_name("name", "Ac\0me").is_err());
/// assert!(check_name("name", &"x".repeat(201)).is_err());
/// ```
pub fn check_name(field: &str, value: &str) -> Result<String, Refusal> {
    check_text(
        field,
        value,
        MAX_NAME_CHARS,
        "1 to 200 characters, no control characters",
    )
}

/// Checks an id of the application's (a user id, an operator id): 1 to 256 characters after
/// trimming, no control characters. Answers it trimmed.
pub fn check_id(field: &str, value: &str) -> Result<String, Refusal> {
    check_text(
        field,
        value,
        MAX_ID_CHARS,
        "1 to 256 characters, no control characters",
    )
}

/// Checks a list search text: at most 200 characters, no control characters. Empty is no
/// search.
pub fn check_search(search: Option<&str>) -> Result<(), Refusal> {
    let Some(text) = search else { return Ok(()) };
    if text.chars().count() > MAX_SEARCH_CHARS || text.chars().any(char::is_control) {
        return Err(out_of_range(
            "search",
            "at most 200 characters, no control characters",
        ));
    }
    Ok(())
}

/// Checks an event feed page size: 1 to 1,000.
pub fn check_feed_limit(limit: u32) -> Result<(), Refusal> {
    if !(1..=1_000).contains(&limit) {
        return Err(out_of_range("limit", "1 to 1,000"));
    }
    Ok(())
}

/// Checks a list page size: 1 to 500.
pub fn check_page_size(limit: u32) -> Result<(), Refusal> {
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(out_of_range("limit", "1 to 500"));
    }
    Ok(())
}

/// Checks a series range: `from <= to`, at most 367 days, within years 1900 to 9999 (a
/// dashboard's graphs, not the calendar's edges).
pub fn check_series_range(from: NaiveDate, to: NaiveDate) -> Result<(), Refusal> {
    let in_years = |d: NaiveDate| (1900..=9999).contains(&d.year());
    if from > to || !in_years(from) || !in_years(to) || (to - from).num_days() >= MAX_SERIES_DAYS {
        return Err(out_of_range(
            "range",
            "1 to 367 days, from <= to, within years 1900 to 9999",
        ));
    }
    Ok(())
}
