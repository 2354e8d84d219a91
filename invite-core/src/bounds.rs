//! The allowed range of every setting and input, decided here so that every store gives the
//! same answer: an out-of-range value is refused with [`Refusal::OutOfRange`] naming the field
//! and its range, before anything is stored. Nothing that reaches a store escapes them: a
//! control character, say, which PostgreSQL refuses in text and JSONB but `MemoryStore` would
//! keep, is refused the same way for both.
//!
//! | what | field named | allowed |
//! |---|---|---|
//! | validity of a link (R1.2) | `validity` | 1 minute to 365 days |
//! | resend cool-down (R5.2) | `resend_cooldown` | 0 to 1 day |
//! | reminder local time (R1.2, R8.1) | `reminder_time` | 00:00:00 to 23:59:59, whole seconds (no leap second) |
//! | seat limit (R1.2) | `seat_limit` | 0 to 10,000,000 |
//! | allowed channels (R1.2) | `channels` | at least one of e-mail and SMS |
//! | organization name (R1.1) | `name` | 1 to 200 characters after trimming, no control characters |
//! | the acting user's name, the sender of their invitations (R2.10, R10.2) | `actor.name` | 1 to 200 characters, not blank, no control characters |
//! | the acting user's id, the operator's id (R10.1, R10.2) | `actor.user`, `actor.id` | 1 to 256 characters, not blank, no control characters |
//! | application user ids given to `add_member`, `sign_up`, `invite_directory_users`, `status_of_users` (R2.11) | `user_ref`, `user`, `users` | 1 to 256 characters after trimming, no control characters |
//! | user ids asked about in one `status_of_users` call (R2.11) | `users` | at most 1,000 |
//! | client grants of one invitation (R2.5) | `grants` | at most 1,000 (and at least one: `MspNeedsClientGrants`) |
//! | permission level (R2.4) | [`AccessError::InvalidPermissionLevel`](crate::AccessError::InvalidPermissionLevel) | 1 to 64 characters after trimming, no control characters |
//! | phone numbers (R2.2) | [`ContactError::InvalidPhone`](crate::ContactError::InvalidPhone) | E.164: `+` and at most 15 digits (spaces, dashes, dots, parentheses between them are dropped) |
//! | list search text (R9.2) | `search` | at most 200 characters, no control characters |
//! | list page size (R9.2) | `limit` | 1 to 500 |
//! | list cursor (R9.2) | `after` | a sort value within years 1900 to 9999 ([`Cursor::decode`](crate::Cursor::decode) answers `None` outside them) |
//! | event feed page size (R10.2) | `limit` | 1 to 1,000 |
//! | series range (R9.3) | `range` | 1 to 367 days, within years 1900 to 9999 |
//! | addresses in one bulk call (R2.9) | `addresses` | `ServiceConfig::max_bulk`, 1,000 by default |
//! | directory users in one import (R2.3, issue 11) | | any number, committed in chunks of `ServiceConfig::max_bulk` |
//! | invitation ids in one selection action (issue 11) | `ids` | 1 to 500 |
//! | user ids in one action by application users (issue 11) | `users` | 1 to 500 |
//! | list filters (issue 11): permission level, sender | `filter.permission_level`, `filter.sender` | 1 to 64 and 1 to 256 characters, no control characters |
//! | the bounds of a per-invitation validity (issue 11) | `min_validity`, `max_validity` | 1 minute to 365 days, min <= `validity` <= max |
//! | one invitation's validity (issue 11) | `validity` | the organization's `min_validity` to `max_validity` |
//! | application metadata of one invitation (issue 11) | `metadata` | a JSON object of at most 8,192 bytes, no NUL character |
//! | return path after signup (issue 11) | `return_path` | a relative path ([`ReturnPath`](crate::ReturnPath)), at most 2,048 characters |
//! | waitlist entries listed at once (issue 11) | `limit` | 1 to 500 |
//!
//! Names, ids and texts are counted in characters (Unicode scalar values); control
//! characters are those of [`char::is_control`] (C0, DEL and C1, tab and line breaks
//! included), which no mail header, SMS or database text column takes safely.
//!
//! Durations and instants computed from stored values go through
//! [`saturating_add`](crate::clock::saturating_add), so even a value written past these
//! bounds (by an older version, or by hand) cannot make a worker panic.

use crate::access::{Access, AccessScope};
use crate::actor::Actor;
use crate::dashboard::Cursor;
use crate::ids::UserRef;
use crate::org::OrgSettings;
use crate::refusal::Refusal;
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc};
use std::ops::RangeInclusive;

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
/// Most user ids one `status_of_users` call asks about.
pub const MAX_USERS_PER_CALL: usize = 1_000;
/// Most ids one selection action takes (seed 002's ticked rows: a page is at most 500).
pub const MAX_SELECTION: usize = 500;
/// Most client grants one invitation carries.
pub const MAX_GRANTS: usize = 1_000;
/// Longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Largest list page.
pub const MAX_PAGE_SIZE: u32 = 500;
/// Longest series range, in days, the first and last included.
pub const MAX_SERIES_DAYS: i64 = 367;
/// The years a dashboard's dates (series ranges, list cursors) fall in: a dashboard's, not
/// the calendar's edges, which no two stores agree on.
pub const DASHBOARD_YEARS: RangeInclusive<i32> = 1900..=9999;

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
    check_validity_bounds(s)?;
    if s.resend_cooldown < TimeDelta::zero() || s.resend_cooldown > MAX_RESEND_COOLDOWN {
        return Err(out_of_range("resend_cooldown", "0 to 1 day"));
    }
    if s.reminder_time.nanosecond() != 0 {
        return Err(out_of_range(
            "reminder_time",
            "00:00:00 to 23:59:59 in whole seconds",
        ));
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

/// Like `check_text`, for a value stored as given (an actor in the audit trail): the whole
/// value counts, surrounding white space included.
fn check_as_given(field: &str, value: &str, max: usize, allowed: &str) -> Result<(), Refusal> {
    if value.chars().count() > max {
        return Err(out_of_range(field, allowed));
    }
    check_text(field, value, max, allowed).map(drop)
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

/// Checks the actor of a command that changes something (R10.1, R10.2): the actor goes into
/// the audit trail as given, and a user's name onto their invitations as the sender (R2.10).
/// A user's id (`actor.user`) and an operator's (`actor.id`) are 1 to 256 characters, a
/// user's name (`actor.name`) 1 to 200, none blank or with control characters. The
/// invitee, the application and the system carry nothing to check.
///
/// ```
/// use invite_core::{bounds, Actor, OrgId, Refusal};
/// let org = OrgId::new();
/// assert!(bounds::check_actor(&Actor::admin(org, "u-1", "Ann Lee")).is_ok());
/// let refused = bounds::check_actor(&Actor::admin(org, "u-1", "Ann\0Lee"));
/// assert!(matches!(refused, Err(Refusal::OutOfRange { field, .. }) if field == "actor.name"));
/// ```
pub fn check_actor(actor: &Actor) -> Result<(), Refusal> {
    const ID: &str = "1 to 256 characters, not blank, no control characters";
    const NAME: &str = "1 to 200 characters, not blank, no control characters";
    match actor {
        Actor::OrgUser { user, name, .. } => {
            check_as_given("actor.user", user.as_str(), MAX_ID_CHARS, ID)?;
            check_as_given("actor.name", name, MAX_NAME_CHARS, NAME)
        }
        Actor::Operator { id } => check_as_given("actor.id", id, MAX_ID_CHARS, ID),
        Actor::Invitee | Actor::Application | Actor::System => Ok(()),
    }
}

/// Checks the application user ids of one `status_of_users` call (R2.11): at most 1,000,
/// each as [`check_id`] wants it. Answers them trimmed, in order.
pub fn check_user_refs(users: &[UserRef]) -> Result<Vec<UserRef>, Refusal> {
    if users.len() > MAX_USERS_PER_CALL {
        return Err(out_of_range("users", "at most 1,000 user ids per call"));
    }
    users
        .iter()
        .map(|u| check_id("users", u.as_str()).map(UserRef))
        .collect()
}

/// Checks the number of client grants of an access (R2.5): at most 1,000. (None at all is
/// the access rule's [`AccessError::MspNeedsClientGrants`](crate::AccessError::MspNeedsClientGrants).)
pub fn check_grants(access: &Access) -> Result<(), Refusal> {
    match &access.scope {
        AccessScope::Clients(grants) if grants.len() > MAX_GRANTS => Err(out_of_range(
            "grants",
            "at most 1,000 client grants per invitation",
        )),
        _ => Ok(()),
    }
}

/// Checks the size of one selection action (issue 11): 1 to 500 ids, as many as the largest
/// list page shows. `field` names the input (`ids`, or `users` for an action by application
/// user ids).
///
/// ```
/// use invite_core::bounds::check_selection_of;
/// assert!(check_selection_of("ids", 500).is_ok());
/// assert!(check_selection_of("ids", 0).is_err());
/// assert!(check_selection_of("users", 501).is_err());
/// ```
pub fn check_selection_of(field: &str, len: usize) -> Result<(), Refusal> {
    if len == 0 || len > MAX_SELECTION {
        return Err(out_of_range(field, "1 to 500 per call"));
    }
    Ok(())
}

/// [`check_selection_of`] for invitation ids (`ids`).
pub fn check_selection(len: usize) -> Result<(), Refusal> {
    check_selection_of("ids", len)
}

/// Whether an instant falls in [`DASHBOARD_YEARS`].
pub fn in_dashboard_years(t: DateTime<Utc>) -> bool {
    DASHBOARD_YEARS.contains(&t.year())
}

/// Checks a list cursor (R9.2): its sort value, if any, within years 1900 to 9999. A cursor
/// a store handed out always is, unless a stored record was given an instant outside them.
pub fn check_cursor(cursor: Option<&Cursor>) -> Result<(), Refusal> {
    match cursor.and_then(|c| c.key) {
        Some(key) if !in_dashboard_years(key) => Err(out_of_range(
            "after",
            "a cursor whose sort value is within years 1900 to 9999",
        )),
        _ => Ok(()),
    }
}

/// Checks a list's filters (issue 11): a permission level of 1 to 64 characters and a sender
/// id of 1 to 256, neither with control characters (no stored value has them).
pub fn check_filter(filter: &crate::filter::ListFilter) -> Result<(), Refusal> {
    if let Some(level) = &filter.permission_level {
        let n = level.chars().count();
        if n == 0 || n > 64 || level.chars().any(char::is_control) {
            return Err(out_of_range(
                "filter.permission_level",
                "1 to 64 characters, no control characters",
            ));
        }
    }
    if let Some(sender) = &filter.sender {
        let n = sender.as_str().chars().count();
        if n == 0 || n > MAX_ID_CHARS || sender.as_str().chars().any(char::is_control) {
            return Err(out_of_range(
                "filter.sender",
                "1 to 256 characters, no control characters",
            ));
        }
    }
    Ok(())
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
    let in_years = |d: NaiveDate| DASHBOARD_YEARS.contains(&d.year());
    if from > to || !in_years(from) || !in_years(to) || (to - from).num_days() >= MAX_SERIES_DAYS {
        return Err(out_of_range(
            "range",
            "1 to 367 days, from <= to, within years 1900 to 9999",
        ));
    }
    Ok(())
}

/// Largest application metadata of one invitation, as JSON text.
pub const MAX_METADATA_BYTES: usize = 8_192;
/// Longest return path, in characters.
pub const MAX_RETURN_PATH_CHARS: usize = 2_048;

/// The bounds a per-invitation validity must keep: within [`MIN_VALIDITY`] and
/// [`MAX_VALIDITY`], the minimum at most the organization's default `validity`, the maximum at
/// least it, so an invite without options is always allowed.
fn check_validity_bounds(s: &OrgSettings) -> Result<(), Refusal> {
    if s.min_validity < MIN_VALIDITY || s.min_validity > s.validity {
        return Err(out_of_range(
            "min_validity",
            "1 minute to the organization's validity",
        ));
    }
    if s.max_validity > MAX_VALIDITY || s.max_validity < s.validity {
        return Err(out_of_range(
            "max_validity",
            "the organization's validity to 365 days",
        ));
    }
    Ok(())
}

/// One invitation's own validity: within the organization's `min_validity..=max_validity`.
pub fn check_invitation_validity(s: &OrgSettings, validity: TimeDelta) -> Result<(), Refusal> {
    if validity < s.min_validity || validity > s.max_validity {
        return Err(Refusal::OutOfRange {
            field: "validity".into(),
            allowed: format!(
                "{} to {} seconds (the organization's bounds)",
                s.min_validity.num_seconds(),
                s.max_validity.num_seconds()
            ),
        });
    }
    Ok(())
}

/// Application metadata: a JSON object of at most [`MAX_METADATA_BYTES`] as JSON text, with
/// no NUL character (PostgreSQL's `jsonb` refuses one, so no store could keep it).
pub fn check_metadata(metadata: &serde_json::Value) -> Result<(), Refusal> {
    let refuse = || {
        out_of_range(
            "metadata",
            "a JSON object of at most 8,192 bytes without NUL characters",
        )
    };
    if !metadata.is_object() {
        return Err(refuse());
    }
    let text = serde_json::to_string(metadata).map_err(|_| refuse())?;
    if text.len() > MAX_METADATA_BYTES || text.contains("\\u0000") {
        return Err(refuse());
    }
    Ok(())
}
