//! PostgreSQL's calendar against chrono's (issue 9.6). `timestamptz` and `date` start on
//! 24 November 4714 BC and count microseconds; chrono reaches back to 262143 BC and counts
//! nanoseconds. (At the other end chrono stops first: its last instant, in 262142 AD, is
//! inside PostgreSQL's range, which ends in 294276 AD.) Values the store sends must be ones
//! PostgreSQL takes, and the answers must be the ones `MemoryStore` gives on chrono's
//! calendar: nothing can be stored outside PostgreSQL's, so there the answer is "nothing".

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use invite_core::dashboard::{Cursor, SortOrder};
use uuid::Uuid;

/// The first day PostgreSQL's `date` holds: 24 November 4714 BC (year -4713 in chrono).
pub(crate) fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(-4713, 11, 24).expect("a valid date")
}

/// The first instant PostgreSQL's `timestamptz` holds: that day's midnight, UTC.
pub(crate) fn first_instant() -> DateTime<Utc> {
    first_day().and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Every day from `from` to `to`, both included (`NaiveDate::MAX` too, which chrono's
/// `iter_days` never yields).
pub(crate) fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    std::iter::successors(Some(from), |d| d.succ_opt()).take_while(move |d| *d <= to)
}

/// The UTC window `[start, end)` holding every instant of the local days `from..=to` in any
/// time zone (offsets stay within a day), clamped to what PostgreSQL and chrono hold. For
/// `from` on or after [`first_day`].
pub(crate) fn utc_window(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let start = from
        .checked_sub_days(Days::new(2))
        .map(midnight)
        .map_or(first_instant(), |s| s.max(first_instant()));
    let end = to
        .checked_add_days(Days::new(3))
        .map_or(DateTime::<Utc>::MAX_UTC, midnight);
    (start, end)
}

/// The keyset position to bind for `cursor` in `order`: the cursor itself when PostgreSQL
/// holds its key exactly, otherwise a position PostgreSQL holds that selects exactly the
/// same stored rows. Stored sort values are whole microseconds on or after
/// [`first_instant`], and a missing one (`None`) sorts before every instant as
/// `'-infinity'`, so:
///
/// - a key before [`first_instant`] lies between every missing value and every stored one:
///   newest first, the rows before it are exactly those without a value, which
///   `(first_instant, nil id)` selects; oldest first, the rows after it are exactly those
///   with one, which `(None, max id)` selects;
/// - a key between two microseconds: newest first, the rows before it are those up to the
///   microsecond below, which `(next microsecond, nil id)` selects; oldest first, the rows
///   after it are those from the microsecond above, which `(microsecond below, max id)`
///   selects.
pub(crate) fn cursor_position(order: SortOrder, cursor: &Cursor) -> (Option<DateTime<Utc>>, Uuid) {
    let Some(key) = cursor.key else {
        return (None, cursor.id.0);
    };
    if key < first_instant() {
        return match order {
            SortOrder::NewestFirst => (Some(first_instant()), Uuid::nil()),
            SortOrder::OldestFirst => (None, Uuid::max()),
        };
    }
    let Some(below) = DateTime::from_timestamp_micros(key.timestamp_micros()) else {
        return (Some(key), cursor.id.0);
    };
    if below == key {
        return (Some(key), cursor.id.0);
    }
    match order {
        SortOrder::OldestFirst => (Some(below), Uuid::max()),
        SortOrder::NewestFirst => match below.checked_add_signed(TimeDelta::microseconds(1)) {
            Some(above) => (Some(above), Uuid::nil()),
            // Past chrono's last microsecond: every stored row is before the key; only a
            // row at that very microsecond with the largest id would be missed.
            None => (Some(below), Uuid::max()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;
    use invite_core::InvitationId;

    fn postgres_epoch() -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2000, 1, 1)
            .unwrap()
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
    }

    /// The other end needs no clamping: PostgreSQL's `timestamptz` ends (294276 AD) after
    /// chrono's calendar, and its `date` (5874897 AD) too.
    #[test]
    fn chrono_ends_before_postgresql_does() {
        // PostgreSQL's END_TIMESTAMP (exclusive), microseconds from 2000-01-01.
        let end = 9_223_371_331_200_000_000_i64;
        let from_postgres_epoch = DateTime::<Utc>::MAX_UTC - postgres_epoch();
        assert!(
            from_postgres_epoch
                .num_microseconds()
                .is_some_and(|m| m < end)
        );
        assert!(
            NaiveDate::MAX.year() < 294_276,
            "PostgreSQL's dates go further still"
        );
    }

    #[test]
    fn the_first_instant_is_postgresqls() {
        // PostgreSQL's MIN_TIMESTAMP: -211813488000000000 microseconds from 2000-01-01.
        let since = first_instant() - postgres_epoch();
        assert_eq!(since.num_microseconds(), Some(-211_813_488_000_000_000));
    }

    #[test]
    fn windows_never_overflow() {
        let (start, end) = utc_window(first_day(), first_day());
        assert_eq!(start, first_instant());
        assert!(end > start);
        let (start, end) = utc_window(NaiveDate::MAX, NaiveDate::MAX);
        assert_eq!(end, DateTime::<Utc>::MAX_UTC);
        assert!(end > start);
    }

    #[test]
    fn days_include_both_ends_of_the_calendar() {
        assert_eq!(days(NaiveDate::MAX, NaiveDate::MAX).count(), 1);
        assert_eq!(days(NaiveDate::MIN, NaiveDate::MIN).count(), 1);
        assert_eq!(days(NaiveDate::MAX, NaiveDate::MIN).count(), 0);
    }

    #[test]
    fn exact_cursors_are_kept() {
        let id = InvitationId::new();
        let key = Some(first_instant());
        let c = Cursor { key, id };
        assert_eq!(cursor_position(SortOrder::NewestFirst, &c), (key, id.0));
        let c = Cursor { key: None, id };
        assert_eq!(cursor_position(SortOrder::OldestFirst, &c), (None, id.0));
    }
}
