//! R8 Reminders: who gets one and when, one a day, daylight-saving changes, the switch.

use crate::support::{day, harness, harness_at, hm, with_reminders};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use invite_core::reminders::reminder_instant;
use invite_core::testkit::*;
use invite_core::*;
use std::collections::{BTreeMap, HashSet};

/// The reminders delivered to `to`.
fn reminders_to(h: &Harness<MemoryStore>, to: &str) -> Vec<Notification> {
    h.notifier
        .delivered_to(to)
        .into_iter()
        .filter(|n| n.kind == MessageKind::Reminder)
        .collect()
}

/// Sweeps (and dispatches) every 15 minutes from `from` to `to` for an organization in `tz`
/// with reminders at `time` and one Never Used member; returns the instants reminders were
/// queued at, per local day.
async fn sweep_through(
    tz: Tz,
    time: NaiveTime,
    from: &str,
    to: &str,
) -> BTreeMap<NaiveDate, Vec<DateTime<Utc>>> {
    let h = harness_at(at(from));
    let TestOrg { org, admin } = h.org_with("Acme", with_reminders(5, tz, time)).await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    h.sign_up_as("bob@example.com").await;
    while h.now() < at(to) {
        h.advance(TimeDelta::minutes(15));
        h.service.sweep_reminders().await.unwrap();
        h.deliver().await;
    }
    let trail = h
        .service
        .audit_trail(&admin, org.id, Some(inv.id))
        .await
        .unwrap();
    let mut per_day: BTreeMap<NaiveDate, Vec<DateTime<Utc>>> = BTreeMap::new();
    for e in trail
        .iter()
        .filter(|e| e.action == AuditAction::ReminderQueued)
    {
        per_day
            .entry(e.at.with_timezone(&tz).date_naive())
            .or_default()
            .push(e.at);
    }
    // every queued reminder was delivered
    let delivered = reminders_to(&h, "bob@example.com").len();
    assert_eq!(delivered, per_day.values().map(Vec::len).sum::<usize>());
    per_day
}

#[tokio::test]
async fn r8_1_a_reminder_goes_at_local_reminder_time_to_pending_and_never_used_only() {
    // 06:00 UTC is 08:00 in Berlin (summer time)
    let h = harness_at(at("2026-06-01T06:00:00Z"));
    let settings = with_reminders(20, chrono_tz::Europe::Berlin, hm(10, 0));
    let TestOrg { org, admin } = h.org_with("Acme", settings).await;
    // Expired by the reminder day
    h.invite_as(&admin, org.id, "expired@example.com").await;
    h.deliver().await;
    h.advance(TimeDelta::hours(72)); // 2026-06-04 08:00 local
    // Pending, Never Used, Completed, Failed, Cancelled
    h.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    for a in ["pending", "never", "completed", "failed", "cancelled"] {
        h.invite_as(&admin, org.id, &format!("{a}@example.com"))
            .await;
    }
    h.deliver().await;
    h.sign_up_as("never@example.com").await;
    let done = h.sign_up_as("completed@example.com").await;
    h.service
        .record_first_login(&Actor::Application, done.member.id)
        .await
        .unwrap();
    let page = h
        .service
        .list(&admin, org.id, &ListQuery::tab(Tab::Pending))
        .await
        .unwrap();
    let cancelled = page
        .rows
        .iter()
        .find(|r| r.invitation.address_key() == "cancelled@example.com")
        .unwrap()
        .invitation
        .id;
    h.service.cancel(&admin, cancelled).await.unwrap();
    // and Queued (not yet delivered)
    h.invite_as(&admin, org.id, "queued@example.com").await;

    // At 09:59:59 local: nothing
    h.set_time(at("2026-06-04T07:59:59Z"));
    let r = h.service.sweep_reminders().await.unwrap();
    assert_eq!((r.organizations_due, r.queued), (0, 0));
    // At 10:00 local: the Pending invitee and the Never Used member
    h.set_time(at("2026-06-04T08:00:00Z"));
    let r = h.service.sweep_reminders().await.unwrap();
    assert_eq!((r.organizations_due, r.queued), (1, 2));
    h.deliver().await;
    let to_pending = reminders_to(&h, "pending@example.com");
    let to_never = reminders_to(&h, "never@example.com");
    assert_eq!((to_pending.len(), to_never.len()), (1, 1));
    // the invitee's reminder carries a working link, the member's none
    assert!(to_never[0].signup_url.is_none());
    let token = link_token(&to_pending[0]);
    h.service.sign_up(&token, None).await.unwrap();
    for a in ["expired", "completed", "failed", "cancelled", "queued"] {
        assert!(
            reminders_to(&h, &format!("{a}@example.com")).is_empty(),
            "{a}"
        );
    }
}

#[tokio::test]
async fn r8_1_no_reminders_while_the_switch_is_off() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await; // reminders off by default
    h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    for hour in 0..48 {
        h.advance(TimeDelta::hours(1));
        let r = h.service.sweep_reminders().await.unwrap();
        assert_eq!((r.organizations_due, r.queued), (0, 0), "hour {hour}");
    }
    h.deliver().await;
    assert!(reminders_to(&h, "bob@example.com").is_empty());
}

#[tokio::test]
async fn r8_1_the_reminder_time_and_time_zone_are_the_organizations() {
    // 08:30 in New York (EDT, UTC-4) is 12:30 UTC
    let h = harness_at(at("2026-06-01T06:00:00Z"));
    let settings = with_reminders(5, chrono_tz::America::New_York, hm(8, 30));
    let TestOrg { org, admin } = h.org_with("Acme", settings).await;
    h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    h.set_time(at("2026-06-01T12:29:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 0);
    h.set_time(at("2026-06-01T12:30:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r8_2_never_two_reminders_a_day_and_missed_days_do_not_pile_up() {
    let h = harness_at(at("2026-06-01T06:00:00Z"));
    let settings = OrgSettings {
        validity: TimeDelta::days(30),
        ..with_reminders(5, Tz::UTC, hm(10, 0))
    };
    let TestOrg { org, admin } = h.org_with("Acme", settings).await;
    h.invite_as(&admin, org.id, "pending@example.com").await;
    h.invite_as(&admin, org.id, "never@example.com").await;
    h.deliver().await;
    h.sign_up_as("never@example.com").await;
    // Day 1: the first sweep at 10:00 queues two; later sweeps, from another worker too, none
    h.set_time(at("2026-06-01T10:00:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 2);
    let other_worker = InvitationService::new(h.store.clone(), h.clock.clone());
    for t in [
        "2026-06-01T10:00:00Z",
        "2026-06-01T10:30:00Z",
        "2026-06-01T23:59:59Z",
    ] {
        h.set_time(at(t));
        assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 0, "{t}");
        assert_eq!(
            other_worker.sweep_reminders().await.unwrap().queued,
            0,
            "{t}"
        );
    }
    h.deliver().await;
    // Day 2, before 10:00: nothing yet; then many workers race: two in all
    h.set_time(at("2026-06-02T09:59:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 0);
    h.set_time(at("2026-06-02T10:00:00Z"));
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let (store, clock) = (h.store.clone(), h.clock.clone());
            tokio::spawn(async move {
                let svc = InvitationService::new(store, clock);
                svc.sweep_reminders().await.unwrap()
            })
        })
        .collect();
    let mut queued = 0;
    for r in racers {
        queued += r.await.unwrap().queued;
    }
    assert_eq!(queued, 2);
    h.deliver().await;
    // Days 3 to 5: nothing runs. Day 6 in the afternoon: one reminder each, not four
    h.set_time(at("2026-06-06T15:00:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 2);
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 0);
    h.deliver().await;
    assert_eq!(reminders_to(&h, "pending@example.com").len(), 3);
    assert_eq!(reminders_to(&h, "never@example.com").len(), 3);
    // one per local day
    let days: HashSet<NaiveDate> = reminders_to(&h, "never@example.com")
        .iter()
        .map(|n| {
            h.attempts
                .attempts()
                .iter()
                .find(|a| a.message_id == n.message_id)
                .unwrap()
                .at
                .date_naive()
        })
        .collect();
    assert_eq!(
        days,
        HashSet::from([day(2026, 6, 1), day(2026, 6, 2), day(2026, 6, 6)])
    );
}

#[test]
fn r8_3_reminder_instant_is_right_across_daylight_saving_changes() {
    let berlin = chrono_tz::Europe::Berlin;
    let ny = chrono_tz::America::New_York;
    let cases = [
        // Berlin, 10:00 either side of the spring change (CET +1, then CEST +2)
        (berlin, day(2026, 3, 28), hm(10, 0), "2026-03-28T09:00:00Z"),
        (berlin, day(2026, 3, 29), hm(10, 0), "2026-03-29T08:00:00Z"),
        // and of the autumn change
        (berlin, day(2026, 10, 24), hm(10, 0), "2026-10-24T08:00:00Z"),
        (berlin, day(2026, 10, 25), hm(10, 0), "2026-10-25T09:00:00Z"),
        // 02:30 does not exist on the spring day: the first minute after the gap, 03:00 CEST
        (berlin, day(2026, 3, 29), hm(2, 30), "2026-03-29T01:00:00Z"),
        // 02:30 happens twice on the autumn day: the first one, CEST
        (berlin, day(2026, 10, 25), hm(2, 30), "2026-10-25T00:30:00Z"),
        // New York: 02:30 missing on 8 March (03:00 EDT), 01:30 twice on 1 November (EDT first)
        (ny, day(2026, 3, 8), hm(2, 30), "2026-03-08T07:00:00Z"),
        (ny, day(2026, 3, 8), hm(10, 0), "2026-03-08T14:00:00Z"),
        (ny, day(2026, 11, 1), hm(1, 30), "2026-11-01T05:30:00Z"),
        (ny, day(2026, 11, 1), hm(10, 0), "2026-11-01T15:00:00Z"),
    ];
    for (tz, d, t, expected) in cases {
        assert_eq!(reminder_instant(d, t, tz), at(expected), "{tz} {d} {t}");
    }
}

#[tokio::test]
async fn r8_3_daylight_saving_changes_never_skip_or_double_a_days_reminder() {
    let berlin = chrono_tz::Europe::Berlin;
    let ny = chrono_tz::America::New_York;
    let runs = [
        (
            berlin,
            hm(10, 0),
            "2026-03-26T00:00:00Z",
            day(2026, 3, 26),
            day(2026, 4, 1),
        ),
        (
            berlin,
            hm(2, 30),
            "2026-03-26T00:00:00Z",
            day(2026, 3, 26),
            day(2026, 4, 1),
        ),
        (
            berlin,
            hm(10, 0),
            "2026-10-22T00:00:00Z",
            day(2026, 10, 22),
            day(2026, 10, 28),
        ),
        (
            berlin,
            hm(2, 30),
            "2026-10-22T00:00:00Z",
            day(2026, 10, 22),
            day(2026, 10, 28),
        ),
        (
            ny,
            hm(2, 30),
            "2026-03-05T06:00:00Z",
            day(2026, 3, 5),
            day(2026, 3, 11),
        ),
        (
            ny,
            hm(1, 30),
            "2026-10-29T04:00:00Z",
            day(2026, 10, 29),
            day(2026, 11, 4),
        ),
    ];
    for (tz, time, from, first_day, last_day) in runs {
        let end = reminder_instant(last_day, time, tz) + TimeDelta::minutes(30);
        let per_day = sweep_through(tz, time, from, &end.to_rfc3339()).await;
        let expected_days: Vec<NaiveDate> = first_day
            .iter_days()
            .take_while(|d| *d <= last_day)
            .collect();
        assert_eq!(
            per_day.keys().copied().collect::<Vec<_>>(),
            expected_days,
            "{tz} {time}: one reminder each local day"
        );
        for (d, times) in &per_day {
            assert_eq!(times.len(), 1, "{tz} {time} {d}: {times:?}");
            // queued at the first sweep at or after that day's reminder instant
            let instant = reminder_instant(*d, time, tz);
            assert!(
                times[0] >= instant && times[0] - instant < TimeDelta::minutes(15),
                "{tz} {time} {d}: queued {} for {instant}",
                times[0]
            );
        }
    }
}

#[tokio::test]
async fn r8_4_switching_reminders_off_stops_those_not_yet_sent() {
    let h = harness_at(at("2026-06-01T06:00:00Z"));
    let settings = OrgSettings {
        validity: TimeDelta::days(30),
        ..with_reminders(5, Tz::UTC, hm(10, 0))
    };
    let TestOrg { org, admin } = h.org_with("Acme", settings).await;
    h.invite_as(&admin, org.id, "pending@example.com").await;
    h.invite_as(&admin, org.id, "never@example.com").await;
    h.deliver().await;
    h.sign_up_as("never@example.com").await;
    // Given two reminders queued
    h.set_time(at("2026-06-01T10:00:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 2);
    // When the admin switches reminders off before they are sent
    let org2 = h
        .service
        .set_reminders(&admin, org.id, false)
        .await
        .unwrap();
    assert!(!org2.settings.reminders_enabled);
    assert!(
        !h.service
            .dashboard(&admin, org.id)
            .await
            .unwrap()
            .reminders_enabled
    );
    // Then the dispatcher drops them
    let r = h.deliver().await;
    assert_eq!((r.sent, r.dropped), (0, 2));
    assert_eq!(h.store.outbox_counts().3, 2);
    assert!(reminders_to(&h, "pending@example.com").is_empty());
    assert!(reminders_to(&h, "never@example.com").is_empty());
    // and no more are queued on the next days
    h.set_time(at("2026-06-02T10:00:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 0);
    // Switched on again, they resume the next reminder time
    h.service.set_reminders(&admin, org.id, true).await.unwrap();
    h.set_time(at("2026-06-03T10:00:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 2);
    assert_eq!(h.deliver().await.sent, 2);
    let switched = h
        .service
        .audit_trail(&admin, org.id, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.action, AuditAction::RemindersSwitched { .. }))
        .count();
    assert_eq!(switched, 2);
}

#[tokio::test]
async fn r8_4_switching_off_and_on_again_still_stops_the_reminders_queued_before() {
    let h = harness_at(at("2026-06-01T06:00:00Z"));
    let settings = OrgSettings {
        validity: TimeDelta::days(30),
        ..with_reminders(5, Tz::UTC, hm(10, 0))
    };
    let TestOrg { org, admin } = h.org_with("Acme", settings).await;
    h.invite_as(&admin, org.id, "pending@example.com").await;
    h.deliver().await;
    // Given a reminder queued at 10:00
    h.set_time(at("2026-06-01T10:00:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 1);
    // When the admin switches reminders off and on again before it is sent
    h.advance(TimeDelta::minutes(1));
    h.service
        .set_reminders(&admin, org.id, false)
        .await
        .unwrap();
    h.service.set_reminders(&admin, org.id, true).await.unwrap();
    // Then the reminder queued before the switch-off is dropped
    let r = h.deliver().await;
    assert_eq!((r.sent, r.dropped), (0, 1));
    assert!(reminders_to(&h, "pending@example.com").is_empty());
    // and switching on while already on drops nothing queued later
    h.set_time(at("2026-06-02T10:00:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 1);
    h.service.set_reminders(&admin, org.id, true).await.unwrap();
    assert_eq!(h.deliver().await.sent, 1);
}
