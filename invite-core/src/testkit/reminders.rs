//! Reminders (R8): one per invitation and organization-local day, however many sweeps run.

use super::fixtures::{Harness, TestOrg, at, invited_event};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::ids::{InvitationId, OrgId};
use crate::invitation::Status;
use crate::notifier::Scripted;
use crate::org::OrgSettings;
use crate::outbox::{MessageKind, OutboxMessage};
use crate::service::SweepReport;
use crate::store::{Commit, ReminderMark, ReminderQuery, Store};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("a valid time")
}

/// Settings with reminders on at `reminder_time` in `tz`, links valid for two weeks.
fn reminder_settings(tz: Tz, reminder_time: NaiveTime) -> OrgSettings {
    OrgSettings {
        reminders_enabled: true,
        reminder_time,
        time_zone: tz,
        validity: TimeDelta::days(14),
        ..OrgSettings::with_seats(20)
    }
}

/// Runs `n` reminder sweeps at once, at the clock's current instant, each reading the
/// candidates before any commits its reminders (so each must find some).
async fn sweep_concurrently<S: Store + 'static>(h: &Harness<S>, n: usize) -> SweepReport {
    let racing = h.racing(n);
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let service = racing.clone();
            tokio::spawn(async move { service.sweep_reminders().await })
        })
        .collect();
    let mut total = SweepReport::default();
    for t in tasks {
        let r = t.await.expect("the task ran").expect("the sweep works");
        total.organizations_due += r.organizations_due;
        total.queued += r.queued;
        total.already_reminded += r.already_reminded;
    }
    total
}

/// The local days of the reminders delivered so far, per invitation.
async fn reminder_days<S: Store + 'static>(
    h: &Harness<S>,
) -> BTreeMap<InvitationId, Vec<NaiveDate>> {
    let mut days: BTreeMap<InvitationId, Vec<NaiveDate>> = BTreeMap::new();
    for a in h.attempts.attempts() {
        if a.kind != MessageKind::Reminder || !a.accepted {
            continue;
        }
        let message = h
            .store
            .message(a.message_id)
            .await
            .unwrap()
            .expect("stored message");
        days.entry(a.invitation)
            .or_default()
            .push(message.reminder_day.expect("a reminder names its day"));
    }
    days
}

/// How many reminders the audit trail records per invitation.
fn queued_per_invitation(trail: &[AuditEvent]) -> BTreeMap<InvitationId, usize> {
    let mut out = BTreeMap::new();
    for e in trail
        .iter()
        .filter(|e| e.action == AuditAction::ReminderQueued)
    {
        *out.entry(e.invitation.expect("about an invitation"))
            .or_default() += 1;
    }
    out
}

/// An organization in Tokyo (UTC+9) with reminders at 08:00 local, i.e. 23:00 UTC the day
/// before: its local day and the UTC day differ at the reminder time. Three Pending invitees,
/// a Never Used member and a Completed one, all delivered at [`super::start`] (Mar 2 18:00
/// local).
async fn tokyo_with_invitees<S: Store + 'static>(h: &Harness<S>) -> (TestOrg, Vec<InvitationId>) {
    let acme = h
        .org_with(
            "Tokyo",
            reminder_settings(chrono_tz::Asia::Tokyo, time(8, 0)),
        )
        .await;
    let mut reminded = Vec::new();
    for a in ["p1@example.com", "p2@example.com", "p3@example.com"] {
        reminded.push(h.invite(&acme, a).await.id);
    }
    let (never_used, token) = h.invite_delivered(&acme, "nu@example.com").await;
    h.sign_up(&token).await;
    reminded.push(never_used.id);
    let (_, token) = h.invite_delivered(&acme, "done@example.com").await;
    let signup = h.sign_up(&token).await;
    h.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .expect("first login");
    assert_eq!(h.status(signup.invitation.id).await, Status::Completed);
    (acme, reminded)
}

/// R8.2 (and R8.1): two sweeps at the same instant queue exactly one reminder per Pending or
/// Never Used invitation; sweeping again on the same local day (even on the next UTC day)
/// queues none; the next local day queues again. Nothing goes to a Completed member, and
/// nothing to an invitation delivered after today's reminder time.
pub async fn r8_2_concurrent_sweeps_queue_one_reminder_per_invitation_and_local_day<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let (acme, reminded) = tokyo_with_invitees(&h).await;

    // Mar 2 18:00 in Tokyo: today's 08:00 has passed, but everything was sent after it.
    let today = h.service.sweep_reminders().await.unwrap();
    assert_eq!((today.organizations_due, today.queued), (1, 0));

    // Mar 3 08:30 in Tokyo (Mar 2 23:30 UTC).
    h.set_time(at("2026-03-02T23:30:00Z"));
    let r = sweep_concurrently(&h, 2).await;
    assert_eq!(r.queued, 4, "one reminder per invitation: {r:?}");
    assert_eq!(
        r.already_reminded, 4,
        "the other sweep's marks were skipped: {r:?}"
    );
    let per_invitation = queued_per_invitation(&h.audit(acme.id(), None).await);
    assert_eq!(
        per_invitation.keys().copied().collect::<BTreeSet<_>>(),
        reminded.iter().copied().collect()
    );
    assert!(
        per_invitation.values().all(|n| *n == 1),
        "{per_invitation:?}"
    );
    h.deliver().await;

    // Mar 3 10:00 in Tokyo, already Mar 3 in UTC too: the same local day, nothing new.
    h.set_time(at("2026-03-03T01:00:00Z"));
    for _ in 0..2 {
        assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 0);
    }
    // Mar 4 07:59 in Tokyo: the new local day's reminder time has not come yet.
    h.set_time(at("2026-03-03T22:59:00Z"));
    let early = h.service.sweep_reminders().await.unwrap();
    assert_eq!((early.organizations_due, early.queued), (0, 0));
    // Mar 4 08:00 in Tokyo: the next local day.
    h.set_time(at("2026-03-03T23:00:00Z"));
    assert_eq!(sweep_concurrently(&h, 2).await.queued, 4);
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 0);
    h.deliver().await;

    let days = reminder_days(&h).await;
    assert_eq!(days.len(), 4, "no reminder to the Completed member");
    for id in &reminded {
        assert_eq!(days[id], vec![day(2026, 3, 3), day(2026, 3, 4)]);
    }
}

/// R8.2: after three days without any sweep, one reminder per invitation, not a backlog; and
/// repeated sweeps that day add none.
pub async fn r8_2_after_three_days_down_one_reminder_not_a_backlog<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let (_acme, reminded) = tokyo_with_invitees(&h).await;
    h.set_time(at("2026-03-02T23:30:00Z")); // Mar 3 08:30 in Tokyo
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 4);
    h.deliver().await;

    // Down on Mar 4, 5 and 6; back on Mar 7 at 08:30, then again at 09:00 and 15:00.
    h.set_time(at("2026-03-06T23:30:00Z"));
    assert_eq!(sweep_concurrently(&h, 2).await.queued, 4);
    h.set_time(at("2026-03-07T00:00:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 0);
    h.set_time(at("2026-03-07T06:00:00Z"));
    assert_eq!(h.service.sweep_reminders().await.unwrap().queued, 0);
    h.deliver().await;

    let days = reminder_days(&h).await;
    for id in &reminded {
        assert_eq!(days[id], vec![day(2026, 3, 3), day(2026, 3, 7)]);
    }
}

/// R8.3: sweeping every hour across a daylight-saving change gives one reminder per local
/// day, the day of the change included, even when the reminder time does not exist that day.
pub async fn r8_3_hourly_sweeps_across_a_dst_change_remind_once_per_local_day<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    // New York springs forward on 2026-03-08 at 02:00; 02:30 does not exist that day.
    let acme = h
        .org_with(
            "New York",
            reminder_settings(chrono_tz::America::New_York, time(2, 30)),
        )
        .await;
    let (inv, _) = h.invite_delivered(&acme, "nyc@example.com").await;
    let mut t = at("2026-03-06T12:00:00Z");
    while t <= at("2026-03-10T12:00:00Z") {
        h.set_time(t);
        h.service.sweep_reminders().await.unwrap();
        // Delivered within its local day, as a running dispatcher would.
        h.deliver().await;
        t += TimeDelta::hours(1);
    }
    let days = reminder_days(&h).await;
    assert_eq!(
        days[&inv.id],
        vec![
            day(2026, 3, 6),
            day(2026, 3, 7),
            day(2026, 3, 8),
            day(2026, 3, 9),
            day(2026, 3, 10)
        ]
    );
}

/// A reminder mark for `invitation` on `day`, with its message and audit event.
fn mark(org: OrgId, invitation: InvitationId, on: NaiveDate, now: DateTime<Utc>) -> ReminderMark {
    let mut message = OutboxMessage::new(org, invitation, MessageKind::Reminder, 1, now);
    message.reminder_day = Some(on);
    ReminderMark {
        invitation,
        day: on,
        message,
        audit: AuditEvent::invitation(
            org,
            invitation,
            &Actor::System,
            now,
            AuditAction::ReminderQueued,
            Some(Status::Pending),
            Some(Status::Pending),
        ),
    }
}

/// R8.2 at the store: a reminder mark for an invitation and day that already has one is
/// skipped (reported in `CommitOutcome::reminders_skipped`), together with its message and
/// audit event, while the rest of the commit lands; reminder candidates leave marked
/// invitations out for that day.
pub async fn r8_2_store_skips_a_second_reminder_mark_for_one_day<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h
        .org_with("Marks", reminder_settings(Tz::UTC, time(10, 0)))
        .await;
    let (a, _) = h.invite_delivered(&acme, "a@example.com").await;
    let (b, _) = h.invite_delivered(&acme, "b@example.com").await;
    let on = day(2026, 3, 3);
    let now = at("2026-03-03T10:30:00Z");
    let query = |on: NaiveDate, now: DateTime<Utc>| ReminderQuery {
        org: acme.id(),
        day: on,
        now,
        cutoff: on.and_time(time(10, 0)).and_utc(),
        after: None,
        limit: 100,
    };
    let before = h.store.reminder_candidates(&query(on, now)).await.unwrap();
    assert_eq!(before.len(), 2);

    let first = mark(acme.id(), a.id, on, now);
    let mut commit = Commit::new(acme.id(), now);
    commit.reminders.push(first.clone());
    let outcome = h.store.commit(commit).await.unwrap();
    assert!(outcome.reminders_skipped.is_empty());
    assert_eq!(
        h.store
            .message(first.message.id)
            .await
            .unwrap()
            .map(|m| m.kind),
        Some(MessageKind::Reminder)
    );

    let again = mark(acme.id(), a.id, on, now);
    let other = mark(acme.id(), b.id, on, now);
    let extra = invited_event(acme.id(), b.id, now);
    let mut commit = Commit::new(acme.id(), now);
    commit.reminders.push(again.clone());
    commit.reminders.push(other.clone());
    commit.audit.push(extra.clone());
    let outcome = h.store.commit(commit).await.unwrap();
    assert_eq!(outcome.reminders_skipped, vec![a.id]);
    assert_eq!(h.store.message(again.message.id).await.unwrap(), None);
    assert!(h.store.message(other.message.id).await.unwrap().is_some());
    let trail = h.audit(acme.id(), None).await;
    assert!(
        trail.iter().all(|e| e.id != again.audit.id),
        "the skipped mark's event is not written"
    );
    assert!(trail.iter().any(|e| e.id == other.audit.id));
    assert!(
        trail.iter().any(|e| e.id == extra.id),
        "the rest of the commit lands"
    );
    assert!(
        h.store
            .reminder_candidates(&query(on, now))
            .await
            .unwrap()
            .is_empty()
    );

    // The next day is another day.
    let next = day(2026, 3, 4);
    let next_now = at("2026-03-04T10:30:00Z");
    let mut commit = Commit::new(acme.id(), next_now);
    commit.reminders.push(mark(acme.id(), a.id, next, next_now));
    assert!(
        h.store
            .commit(commit)
            .await
            .unwrap()
            .reminders_skipped
            .is_empty()
    );
    let left = h
        .store
        .reminder_candidates(&query(next, next_now))
        .await
        .unwrap();
    assert_eq!(left.iter().map(|i| i.id).collect::<Vec<_>>(), vec![b.id]);
}

/// R8.1 at the store: reminder candidates of a day are the invitations Pending at the sweep's
/// instant and delivered before the day's reminder instant, and the Never Used ones signed up
/// before it; not Queued, Expired, Failed, Completed or Cancelled ones; in id order, paged
/// by id.
pub async fn r8_1_reminder_candidates_are_pending_and_never_used_invitations<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let settings = OrgSettings {
        validity: TimeDelta::hours(48),
        ..reminder_settings(Tz::UTC, time(10, 0))
    };
    h.set_time(at("2026-03-01T09:00:00Z"));
    let acme = h.org_with("Candidates", settings).await;
    let (expired, _) = h.invite_delivered(&acme, "expired@example.com").await;

    h.set_time(at("2026-03-02T09:00:00Z"));
    let (pending, _) = h.invite_delivered(&acme, "pending@example.com").await;
    let (never_used, token) = h.invite_delivered(&acme, "never@example.com").await;
    let (completed, token_c) = h.invite_delivered(&acme, "completed@example.com").await;
    let (cancelled, _) = h.invite_delivered(&acme, "cancelled@example.com").await;
    h.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    let failed = h.invite(&acme, "failed@example.com").await;
    h.deliver().await;
    h.advance(TimeDelta::hours(3));
    h.sign_up(&token).await;
    let done = h.sign_up(&token_c).await;
    h.service
        .mark_completed(&acme.admin, done.invitation.id)
        .await
        .unwrap();
    h.service.cancel(&acme.admin, cancelled.id).await.unwrap();

    h.set_time(at("2026-03-03T10:00:00Z"));
    let (late, _) = h.invite_delivered(&acme, "late@example.com").await; // at the cutoff
    h.set_time(at("2026-03-03T10:30:00Z"));
    let queued = h.invite(&acme, "queued@example.com").await;

    let now = h.now();
    let statuses = [
        (expired.id, Status::Expired),
        (pending.id, Status::Pending),
        (never_used.id, Status::NeverUsed),
        (completed.id, Status::Completed),
        (cancelled.id, Status::Cancelled),
        (failed.id, Status::Failed),
        (late.id, Status::Pending),
        (queued.id, Status::Queued),
    ];
    for (id, status) in statuses {
        assert_eq!(h.status(id).await, status);
    }
    let mut expected = vec![pending.id, never_used.id];
    expected.sort();

    let query = ReminderQuery {
        org: acme.id(),
        day: day(2026, 3, 3),
        now,
        cutoff: at("2026-03-03T10:00:00Z"),
        after: None,
        limit: 100,
    };
    let all = h.store.reminder_candidates(&query).await.unwrap();
    assert_eq!(all.iter().map(|i| i.id).collect::<Vec<_>>(), expected);

    let mut walked = Vec::new();
    let mut after = None;
    for _ in 0..=expected.len() {
        let page = h
            .store
            .reminder_candidates(&ReminderQuery {
                after,
                limit: 1,
                ..query.clone()
            })
            .await
            .unwrap();
        assert!(page.len() <= 1);
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        walked.extend(page.iter().map(|i| i.id));
    }
    assert_eq!(walked, expected);

    // Another organization's candidates are its own.
    let other = h
        .org_with("Elsewhere", reminder_settings(Tz::UTC, time(10, 0)))
        .await;
    let elsewhere = h
        .store
        .reminder_candidates(&ReminderQuery {
            org: other.id(),
            ..query.clone()
        })
        .await
        .unwrap();
    assert!(elsewhere.is_empty());

    let report = h.service.sweep_reminders().await.unwrap();
    assert_eq!(report.queued, 2);
    assert!(
        h.store
            .reminder_candidates(&query)
            .await
            .unwrap()
            .is_empty()
    );
}

/// R8.4 (and the store's organization query): `organizations_with_reminders` lists exactly
/// the organizations whose switch is on, in id order, paged by id; switching off stops
/// reminders: a sweep queues none for that organization and a reminder queued before the
/// switch went off is dropped, not sent.
pub async fn r8_4_only_organizations_with_reminders_on_are_swept<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let mut orgs = Vec::new();
    for i in 0..6 {
        let settings = OrgSettings {
            reminders_enabled: matches!(i, 0 | 2 | 3 | 5),
            ..OrgSettings::with_seats(5)
        };
        orgs.push(h.org_with(&format!("Org {i}"), settings).await);
    }
    h.service
        .set_reminders(&orgs[3].admin, orgs[3].id(), false)
        .await
        .unwrap();
    h.service
        .set_reminders(&orgs[1].admin, orgs[1].id(), true)
        .await
        .unwrap();
    let mut expected: Vec<OrgId> = [0, 1, 2, 5].iter().map(|i| orgs[*i].id()).collect();
    expected.sort();

    for limit in [1, 2, 100] {
        let mut walked = Vec::new();
        let mut after = None;
        for _ in 0..=orgs.len() {
            let page = h
                .store
                .organizations_with_reminders(after, limit)
                .await
                .unwrap();
            assert!(page.len() <= limit as usize);
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            assert!(page.iter().all(|o| o.settings.reminders_enabled));
            walked.extend(page.iter().map(|o| o.id));
        }
        assert_eq!(walked, expected, "page size {limit}");
    }

    // Org 1 (on) and org 3 (off) each have a Pending invitee; at 10:30 UTC only org 1 is swept.
    let (on_inv, _) = h.invite_delivered(&orgs[1], "on@example.com").await;
    let (off_inv, _) = h.invite_delivered(&orgs[3], "off@example.com").await;
    h.set_time(at("2026-03-02T10:30:00Z"));
    let report = h.service.sweep_reminders().await.unwrap();
    assert_eq!(report.queued, 1);
    let trail = h.audit(orgs[3].id(), Some(off_inv.id)).await;
    assert!(
        trail
            .iter()
            .all(|e| e.action != AuditAction::ReminderQueued)
    );
    let trail = h.audit(orgs[1].id(), Some(on_inv.id)).await;
    assert!(
        trail
            .iter()
            .any(|e| e.action == AuditAction::ReminderQueued)
    );

    // Switched off before the dispatcher ran: the queued reminder is dropped.
    h.service
        .set_reminders(&orgs[1].admin, orgs[1].id(), false)
        .await
        .unwrap();
    let delivered = h.deliver().await;
    assert_eq!((delivered.sent, delivered.dropped), (0, 1));
    assert!(
        h.attempts
            .attempts()
            .iter()
            .all(|a| a.kind != MessageKind::Reminder)
    );
}
