//! R9 Dashboard: counts and seats in one call, lists (search, sort, paging), the daily series.

use crate::support::{day, harness, harness_at};
use chrono::{NaiveDate, TimeDelta};
use invite_core::testkit::*;
use invite_core::*;
use std::collections::HashSet;

/// The address keys of a page's rows, in order.
fn addresses(page: &Page) -> Vec<String> {
    page.rows
        .iter()
        .map(|r| r.invitation.address_key())
        .collect()
}

#[tokio::test]
async fn r9_1_the_dashboard_gives_counts_seats_channels_and_the_reminder_switch_in_one_call() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(10).await;
    // Given the admin holding a seat
    h.service
        .add_member(
            &h.operator,
            org.id,
            Contact::parse_email("ann@example.com").unwrap(),
            Some(UserRef::new("u1")),
            Access::user(Role::Admin),
        )
        .await
        .unwrap();
    // and invitations: e-mail pending x2, SMS pending, never used, completed, failed, cancelled
    h.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    for a in ["p1", "p2", "never", "done", "failed", "cancelled"] {
        h.invite_as(&admin, org.id, &format!("{a}@example.com"))
            .await;
    }
    h.invite_sms_as(&admin, org.id, "+79051111111").await;
    h.deliver().await;
    h.sign_up_as("never@example.com").await;
    let done = h.sign_up_as("done@example.com").await;
    h.service
        .mark_completed(&admin, done.invitation.id)
        .await
        .unwrap();
    let cancelled = h
        .service
        .list(
            &admin,
            org.id,
            &ListQuery {
                search: Some("cancelled".into()),
                ..ListQuery::tab(Tab::Pending)
            },
        )
        .await
        .unwrap()
        .rows[0]
        .invitation
        .id;
    h.service.cancel(&admin, cancelled).await.unwrap();
    // When a read-only user opens the dashboard
    let reader = Actor::read_only(org.id, "r1", "Rita");
    let d = h.service.dashboard(&reader, org.id).await.unwrap();
    // Then one call answers everything
    assert_eq!(
        Dashboard {
            splits: Default::default(),
            ..d
        },
        Dashboard {
            org: org.id,
            splits: Default::default(),
            counts: TabCounts {
                all: 6,
                pending: 3,
                never_used: 1,
                expired_or_failed: 1,
                completed: 1,
                invited_by_email: 5,
                invited_by_sms: 1,
            },
            seats: Seats {
                limit: 10,
                used: 3,
                available: 7
            },
            reminders_enabled: false,
            waitlist: 0,
        }
    );
    // and follows the reminder switch
    h.service.set_reminders(&admin, org.id, true).await.unwrap();
    assert!(
        h.service
            .dashboard(&reader, org.id)
            .await
            .unwrap()
            .reminders_enabled
    );
}

#[tokio::test]
async fn r9_2_lists_search_by_address_and_sort_by_last_invitation_date() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(20).await;
    for a in [
        "anna@example.com",
        "bob@example.com",
        "carl@other.org",
        "dora@example.com",
    ] {
        h.invite_as(&admin, org.id, a).await;
        h.advance(TimeDelta::minutes(1));
    }
    h.invite_sms_as(&admin, org.id, "+79051111111").await;
    let list = |q: ListQuery| {
        let h = &h;
        let admin = admin.clone();
        async move { h.service.list(&admin, org.id, &q).await.unwrap() }
    };
    // Newest first by default
    let all = list(ListQuery::tab(Tab::All)).await;
    assert_eq!(
        addresses(&all),
        [
            "+79051111111",
            "dora@example.com",
            "carl@other.org",
            "bob@example.com",
            "anna@example.com"
        ]
    );
    assert!(all.next.is_none());
    // Oldest first
    let oldest = list(ListQuery {
        order: SortOrder::OldestFirst,
        ..ListQuery::tab(Tab::All)
    })
    .await;
    assert_eq!(addresses(&oldest)[0], "anna@example.com");
    // Search, case-insensitive, on e-mail or phone
    let search = |s: &str| ListQuery {
        search: Some(s.into()),
        ..ListQuery::tab(Tab::All)
    };
    assert_eq!(addresses(&list(search("EXAMPLE.COM")).await).len(), 3);
    assert_eq!(
        addresses(&list(search(" other ")).await),
        ["carl@other.org"]
    );
    assert_eq!(addresses(&list(search("905111")).await), ["+79051111111"]);
    assert!(list(search("nobody")).await.rows.is_empty());
    // Search within a tab
    h.deliver().await;
    h.sign_up_as("bob@example.com").await;
    let q = ListQuery {
        search: Some("example".into()),
        ..ListQuery::tab(Tab::Pending)
    };
    assert_eq!(
        addresses(&list(q).await),
        ["dora@example.com", "anna@example.com"]
    );
    // A resend moves the row to the top: it sorts by the last invitation date
    h.advance(TimeDelta::minutes(5));
    let anna = all.rows[4].invitation.id;
    h.service.resend(&admin, anna).await.unwrap();
    assert_eq!(
        addresses(&list(ListQuery::tab(Tab::All)).await)[0],
        "anna@example.com"
    );
    // Rows carry their status and actions
    let rows = list(ListQuery::tab(Tab::NeverUsed)).await.rows;
    assert_eq!(rows[0].status, Status::NeverUsed);
    assert_eq!(rows[0].actions, Status::NeverUsed.actions());
    // Page sizes out of range are refused
    for limit in [0, 501] {
        let r = h
            .service
            .list(
                &admin,
                org.id,
                &ListQuery {
                    limit,
                    ..ListQuery::tab(Tab::All)
                },
            )
            .await;
        assert!(matches!(refusal(r), Refusal::OutOfRange { .. }));
    }
}

#[tokio::test]
async fn r9_2_lists_sort_by_signup_date_with_the_not_signed_up_last() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(20).await;
    for a in ["a@example.com", "b@example.com", "c@example.com"] {
        h.invite_as(&admin, org.id, a).await;
    }
    h.deliver().await;
    h.advance(TimeDelta::minutes(1));
    h.sign_up_as("c@example.com").await;
    h.advance(TimeDelta::minutes(1));
    h.sign_up_as("a@example.com").await;
    let q = ListQuery {
        sort: SortKey::SignedUp,
        ..ListQuery::tab(Tab::All)
    };
    let page = h.service.list(&admin, org.id, &q).await.unwrap();
    assert_eq!(
        addresses(&page),
        ["a@example.com", "c@example.com", "b@example.com"]
    );
    // paged one row at a time, across the rows without a signup date, in the same order
    let mut q = ListQuery { limit: 1, ..q };
    let mut paged = Vec::new();
    loop {
        let page = h.service.list(&admin, org.id, &q).await.unwrap();
        paged.extend(addresses(&page));
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
        assert!(paged.len() <= 3);
    }
    assert_eq!(paged, ["a@example.com", "c@example.com", "b@example.com"]);
    let q = ListQuery {
        sort: SortKey::SignedUp,
        order: SortOrder::OldestFirst,
        ..ListQuery::tab(Tab::NeverUsed)
    };
    let page = h.service.list(&admin, org.id, &q).await.unwrap();
    assert_eq!(addresses(&page), ["c@example.com", "a@example.com"]);
}

#[tokio::test]
async fn r9_2_paging_neither_skips_nor_repeats_rows_when_invitations_arrive() {
    for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
        let h = harness();
        let TestOrg { org, admin } = h.standalone(50).await;
        let mut originals = HashSet::new();
        for i in 0..7 {
            let inv = h
                .invite_as(&admin, org.id, &format!("u{i}@example.com"))
                .await;
            originals.insert(inv.id);
            // two pairs share a timestamp: ties are broken by id
            if i % 2 == 1 {
                h.advance(TimeDelta::seconds(1));
            }
        }
        let mut query = ListQuery {
            order,
            limit: 2,
            ..ListQuery::tab(Tab::All)
        };
        let mut seen = Vec::new();
        let mut arrived = HashSet::new();
        let mut pages = 0;
        loop {
            let page = h.service.list(&admin, org.id, &query).await.unwrap();
            pages += 1;
            assert!(page.rows.len() <= 2);
            seen.extend(page.rows.iter().map(|r| r.invitation.id));
            // New invitations arrive between page loads
            h.advance(TimeDelta::seconds(1));
            let inv = h
                .invite_as(&admin, org.id, &format!("new{pages}@example.com"))
                .await;
            arrived.insert(inv.id);
            match page.next {
                // the cursor survives a round trip through a URL
                Some(c) => query.after = Some(Cursor::decode(&c.encode()).unwrap()),
                None => break,
            }
            assert!(pages < 20, "paging does not end");
        }
        let unique: HashSet<_> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "{order:?}: no row repeated");
        assert!(originals.is_subset(&unique), "{order:?}: no row skipped");
        match order {
            // newest first: the new rows are before the first page, not mixed in
            SortOrder::NewestFirst => assert_eq!(unique, originals),
            // oldest first: they come at the end, each once
            SortOrder::OldestFirst => {
                assert!(unique.difference(&originals).all(|id| arrived.contains(id)))
            }
        }
    }
}

#[tokio::test]
async fn r9_3_series_count_sends_signups_and_first_logins_per_local_day_and_completion_share() {
    // Berlin is UTC+2 in June
    let h = harness_at(at("2026-06-01T10:00:00Z"));
    let settings = OrgSettings {
        time_zone: chrono_tz::Europe::Berlin,
        ..OrgSettings::with_seats(10)
    };
    let TestOrg { org, admin } = h.org_with("Acme", settings).await;
    // Day 1: three invitations delivered
    for a in ["a@example.com", "b@example.com", "c@example.com"] {
        h.invite_as(&admin, org.id, a).await;
    }
    h.deliver().await;
    // Day 2: two signups, and one resend delivered
    h.set_time(at("2026-06-02T12:00:00Z"));
    let a = h.sign_up_as("a@example.com").await;
    h.sign_up_as("b@example.com").await;
    let c = h
        .service
        .list(
            &admin,
            org.id,
            &ListQuery {
                search: Some("c@".into()),
                ..ListQuery::tab(Tab::Pending)
            },
        )
        .await
        .unwrap()
        .rows[0]
        .invitation
        .id;
    h.service.resend(&admin, c).await.unwrap();
    h.deliver().await;
    // 2026-06-03 22:30 UTC is already 4 June in Berlin: a first login
    h.set_time(at("2026-06-03T22:30:00Z"));
    h.service
        .record_first_login(&Actor::Application, a.member.id)
        .await
        .unwrap();
    let reader = Actor::read_only(org.id, "r1", "Rita");
    let series = h
        .service
        .series(&reader, org.id, day(2026, 6, 1), day(2026, 6, 5))
        .await
        .unwrap();
    let got: Vec<(NaiveDate, u64, u64, u64)> = series
        .days
        .iter()
        .map(|d| (d.day, d.invitations_sent, d.signups, d.first_logins))
        .collect();
    assert_eq!(
        got,
        vec![
            (day(2026, 6, 1), 3, 0, 0),
            (day(2026, 6, 2), 1, 2, 0),
            (day(2026, 6, 3), 0, 0, 0),
            (day(2026, 6, 4), 0, 0, 1),
            (day(2026, 6, 5), 0, 0, 0),
        ]
    );
    // One of three listed invitations reached Completed
    assert!((series.completion_share - 1.0 / 3.0).abs() < 1e-9);
    // Ranges out of bounds are refused
    let r = h
        .service
        .series(&reader, org.id, day(2026, 6, 5), day(2026, 6, 1))
        .await;
    assert!(matches!(refusal(r), Refusal::OutOfRange { .. }));
    let r = h
        .service
        .series(&reader, org.id, day(2025, 1, 1), day(2026, 6, 1))
        .await;
    assert!(matches!(refusal(r), Refusal::OutOfRange { .. }));
}

#[tokio::test]
async fn r9_3_an_organization_without_invitations_has_a_zero_completion_share() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let s = h
        .service
        .series(&admin, org.id, day(2026, 3, 1), day(2026, 3, 2))
        .await
        .unwrap();
    assert_eq!(s.completion_share, 0.0);
    assert_eq!(
        s.days,
        vec![
            DayActivity::empty(day(2026, 3, 1)),
            DayActivity::empty(day(2026, 3, 2))
        ]
    );
}
