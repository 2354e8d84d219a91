//! Inputs at the edges (issue 9.6): days at the ends of the calendar, search text no address
//! can contain, keyset cursors at instants no database calendar reaches. A store answers
//! them as [`MemoryStore`](crate::MemoryStore) does, from the same rules, and never panics
//! or fails: a database whose own calendar is narrower than chrono's (PostgreSQL's starts in
//! 4714 BC) must still answer for days and instants outside it, where nothing can be stored.

use super::fixtures::{Harness, at};
use crate::dashboard::{Cursor, DayActivity, ListQuery, Page, Row, SortKey, SortOrder};
use crate::ids::InvitationId;
use crate::invitation::{Invitation, Tab};
use crate::store::Store;
use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

/// `n` days from `d`, or `d` itself where the calendar ends.
fn shift(d: NaiveDate, n: i64) -> NaiveDate {
    match n >= 0 {
        true => d.checked_add_days(Days::new(n.unsigned_abs())),
        false => d.checked_sub_days(Days::new(n.unsigned_abs())),
    }
    .unwrap_or(d)
}

/// Every day from `from` to `to`, both included, `NaiveDate::MAX` too.
fn every_day(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    std::iter::successors(Some(from), |d| d.succ_opt()).take_while(move |d| *d <= to)
}

/// Daily activity for ranges at both ends of chrono's calendar, around the first day of
/// PostgreSQL's (24 November 4714 BC), and empty ranges there, in time zones from UTC-12 to
/// UTC+14: one zero row per day, in order, no panic and no error. A range around real
/// activity still counts it.
pub async fn daily_activity_at_the_edges_of_the_calendar_never_panics<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(10).await;
    h.invite(&acme, "edge@example.com").await;
    h.deliver().await;
    let today = h.now().date_naive();

    let first_postgres_day = NaiveDate::from_ymd_opt(-4713, 11, 24).expect("a valid date");
    let zones: [Tz; 4] = [
        chrono_tz::UTC,
        chrono_tz::Etc::GMTPlus12,
        chrono_tz::Pacific::Kiritimati,
        chrono_tz::Asia::Tokyo,
    ];
    let ranges = [
        (NaiveDate::MIN, shift(NaiveDate::MIN, 3)),
        (NaiveDate::MIN, NaiveDate::MIN),
        (shift(NaiveDate::MAX, -3), NaiveDate::MAX),
        (NaiveDate::MAX, NaiveDate::MAX),
        (shift(first_postgres_day, -3), shift(first_postgres_day, 3)),
        (shift(first_postgres_day, -1), first_postgres_day),
        (
            NaiveDate::from_ymd_opt(262_000, 1, 1).expect("a valid date"),
            NaiveDate::from_ymd_opt(262_000, 1, 2).expect("a valid date"),
        ),
    ];
    for tz in zones {
        for (from, to) in ranges {
            let days = h
                .store
                .daily_activity(acme.id(), from, to, tz)
                .await
                .unwrap_or_else(|e| panic!("{from}..={to} in {tz}: {e:?}"));
            let expected: Vec<DayActivity> = every_day(from, to).map(DayActivity::empty).collect();
            assert_eq!(days, expected, "{from}..={to} in {tz}");
            if from != to {
                let backwards = h.store.daily_activity(acme.id(), to, from, tz).await;
                let backwards = backwards.unwrap_or_else(|e| panic!("{to}..={from}: {e:?}"));
                assert!(backwards.is_empty(), "{to}..={from} in {tz}");
            }
        }
    }
    // Ordinary days still count.
    let days = h
        .store
        .daily_activity(acme.id(), shift(today, -1), shift(today, 1), chrono_tz::UTC)
        .await
        .unwrap();
    let sent: Vec<u64> = days.iter().map(|d| d.invitations_sent).collect();
    assert_eq!(sent, vec![0, 1, 0]);
}

/// Invites five addresses at different times, signs two of them up, and answers the
/// invitations as stored.
async fn five_invitations<S: Store + 'static>(h: &Harness<S>) -> (crate::OrgId, Vec<Invitation>) {
    let acme = h.standalone(10).await;
    let mut ids: Vec<InvitationId> = Vec::new();
    for (n, address) in ["a@example.com", "b@example.com", "c@example.com"]
        .iter()
        .enumerate()
    {
        h.set_time(at("2026-03-02T09:00:00Z") + TimeDelta::minutes(n as i64));
        let (inv, token) = h.invite_delivered(&acme, address).await;
        if n < 2 {
            h.sign_up(&token).await;
        }
        ids.push(inv.id);
    }
    ids.push(h.invite(&acme, "d@example.com").await.id);
    ids.push(h.invite(&acme, "e@example.com").await.id);
    let mut invitations = Vec::new();
    for id in ids {
        invitations.push(h.invitation(id).await);
    }
    (acme.id(), invitations)
}

/// The page the rules give: the invitations `query` selects at `now` after its cursor, in
/// its order, `limit` of them, and the cursor of the last if more follow.
fn page_by_the_rules(query: &ListQuery, invitations: &[Invitation], now: DateTime<Utc>) -> Page {
    let mut rows: Vec<&Invitation> = invitations
        .iter()
        .filter(|i| query.selects(i, now) && query.is_after_cursor(i))
        .collect();
    rows.sort_by(|a, b| query.compare(a, b));
    let has_more = rows.len() > query.limit as usize;
    rows.truncate(query.limit as usize);
    Page {
        next: match has_more {
            true => rows.last().map(|i| query.cursor_at(i)),
            false => None,
        },
        rows: rows.into_iter().map(|i| Row::at(i.clone(), now)).collect(),
    }
}

/// R9.2: a search containing a NUL character (which no stored address holds) matches
/// nothing, on every tab, whatever else it contains; it is not an error. Nor are lookups by
/// address, contact or user id with a NUL: they find nothing.
pub async fn r9_2_a_search_containing_nul_matches_nothing<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let (org, invitations) = five_invitations(&h).await;
    let now = h.now();
    for search in ["\0", "a\0", "\0@example.com", " a@example.com\0 ", "\0\0"] {
        for tab in [Tab::All, Tab::Pending, Tab::NeverUsed, Tab::Completed] {
            let query = ListQuery {
                search: Some(search.to_owned()),
                ..ListQuery::tab(tab)
            };
            let page = h
                .store
                .list(org, &query, now)
                .await
                .unwrap_or_else(|e| panic!("search {search:?} on {tab:?}: {e:?}"));
            assert_eq!(page, page_by_the_rules(&query, &invitations, now));
            assert!(page.rows.is_empty(), "{search:?} matched something");
        }
    }
    let keys = vec!["a@example.com\0".to_owned(), "\0".to_owned()];
    assert!(
        h.store
            .open_invitations(org, &keys)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(h.store.active_members(org, &keys).await.unwrap().is_empty());
    let users = [crate::UserRef::new("user\0")];
    assert!(
        h.store
            .invitations_for_users(org, &users)
            .await
            .unwrap()
            .is_empty()
    );
    // A NUL key beside a real one does not hide the real one.
    let mixed = vec!["\0".to_owned(), invitations[3].address_key()];
    let found = h.store.open_invitations(org, &mixed).await.unwrap();
    assert_eq!(
        found.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![invitations[3].id]
    );
}

/// R9.2: keyset cursors at any instant chrono can hold, the first and last included (far
/// outside any database's calendar), and with any id, page exactly as the rules say: every
/// sort key, both orders, every tab, small pages.
pub async fn r9_2_cursors_at_extreme_instants_page_as_the_rules_say<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let (org, invitations) = five_invitations(&h).await;
    let now = h.now();
    let first_postgres_instant = NaiveDate::from_ymd_opt(-4713, 11, 24)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid instant")
        .and_utc();
    let keys = [
        None,
        Some(DateTime::<Utc>::MIN_UTC),
        Some(DateTime::<Utc>::MIN_UTC + TimeDelta::microseconds(1)),
        Some(first_postgres_instant),
        Some(first_postgres_instant - TimeDelta::seconds(1)),
        Some(at("2026-03-02T09:01:00Z")),
        // Between two microseconds, next to a stored value.
        Some(at("2026-03-02T09:01:00Z") + TimeDelta::nanoseconds(1)),
        Some(at("2026-03-02T09:01:00Z") - TimeDelta::nanoseconds(1)),
        Some(DateTime::<Utc>::MAX_UTC - TimeDelta::microseconds(1)),
        Some(DateTime::<Utc>::MAX_UTC),
    ];
    let ids = [
        InvitationId(uuid::Uuid::nil()),
        invitations[1].id,
        InvitationId(uuid::Uuid::max()),
    ];
    for sort in [SortKey::LastInvited, SortKey::SignedUp] {
        for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
            for tab in [Tab::All, Tab::NeverUsed, Tab::Pending] {
                for key in keys {
                    for id in ids {
                        let query = ListQuery {
                            sort,
                            order,
                            after: Some(Cursor { key, id }),
                            limit: 2,
                            ..ListQuery::tab(tab)
                        };
                        let page = h.store.list(org, &query, now).await.unwrap_or_else(|e| {
                            panic!("{sort:?} {order:?} {tab:?} after {key:?}/{id}: {e:?}")
                        });
                        assert_eq!(
                            page,
                            page_by_the_rules(&query, &invitations, now),
                            "{sort:?} {order:?} {tab:?} after {key:?}/{id}"
                        );
                    }
                }
            }
        }
    }
}
