//! The truth table: a store that restates core rules in its own language (SQL) must agree
//! with the core on every combination of the facts those rules read. This case writes one
//! invitation for each combination, under both seat policies, and compares what the store
//! answers with what the core computes from the same records.
//!
//! It guards every twin ARCHITECTURE.md lists: the status ([`Invitation::status_at`], R4),
//! tab membership ([`Tab::contains`], R4.8), tab and channel counts ([`TabCounts::tally`],
//! R9.1), what holds a seat ([`Invitation::reserves_seat_at`], R3.5), reminder eligibility
//! ([`reminders::eligible`], R8.1) and the series kinds ([`DayActivity::count`], R9.3).

use super::fixtures::{Harness, TestOrg, invitation_record, with_facts};
use crate::access::{Access, Role};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::contact::{Channel, Contact};
use crate::dashboard::{DayActivity, ListQuery, TabCounts};
use crate::ids::{InvitationId, MemberId};
use crate::invitation::{CloseReason, CompletedBy, FailureReason, Invitation, Tab};
use crate::member::{Member, Seats};
use crate::org::{OrgSettings, SeatPolicy};
use crate::reminders;
use crate::store::{Commit, ReminderQuery, Store, Write};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// When the link of a combination expires, relative to the instant the table is read at.
#[derive(Clone, Copy, Debug)]
enum Expiry {
    Never,
    Passed,
    Now,
    Later,
}

/// Every combination of the facts `status_at`, `reserves_seat_at` and `eligible` read, as an
/// invitation of `org` at `now`: closed or not, signed up, completed, failed, awaiting
/// delivery, delivered, and four positions of the expiry (none, past, this very instant,
/// future). 256 records, each to its own address.
pub(super) fn every_combination(org: &TestOrg, now: DateTime<Utc>) -> Vec<Invitation> {
    let mut out = Vec::new();
    let flags = [false, true];
    let expiries = [Expiry::Never, Expiry::Passed, Expiry::Now, Expiry::Later];
    for closed in flags {
        for signed_up in flags {
            for completed in flags {
                for failed in flags {
                    for awaiting in flags {
                        for delivered in flags {
                            for expiry in expiries {
                                let n = out.len();
                                let contact =
                                    Contact::parse_email(&format!("t{n}@table.example")).unwrap();
                                let fresh =
                                    invitation_record(org.id(), contact, Channel::Email, now);
                                out.push(with_facts(&fresh, |r| {
                                    r.created_at = now - TimeDelta::hours(5);
                                    r.last_invited_at = now - TimeDelta::hours(4);
                                    r.closed = closed.then(|| {
                                        (now - TimeDelta::minutes(1), CloseReason::CancelledByAdmin)
                                    });
                                    r.signed_up_at = signed_up.then(|| now - TimeDelta::hours(3));
                                    r.completed = completed.then(|| {
                                        (now - TimeDelta::hours(1), CompletedBy::FirstLogin)
                                    });
                                    r.failure = failed
                                        .then(|| FailureReason::DeliveryRejected("550".into()));
                                    r.awaiting_delivery = awaiting;
                                    r.last_sent_at = delivered.then(|| now - TimeDelta::hours(2));
                                    r.send_count = u32::from(delivered);
                                    r.expires_at = match expiry {
                                        Expiry::Never => None,
                                        Expiry::Passed => Some(now - TimeDelta::minutes(30)),
                                        Expiry::Now => Some(now),
                                        Expiry::Later => Some(now + TimeDelta::hours(30)),
                                    };
                                }));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// One audit event of every kind there is, at `at`: the series must count exactly the ones
/// the core counts. The match has no wildcard, so a new kind fails to compile until it is
/// added here.
fn one_event_of_every_kind(org: &TestOrg, inv: InvitationId, at: DateTime<Utc>) -> Vec<AuditEvent> {
    let member = MemberId::new();
    let entry = crate::ids::WaitlistId::new();
    let all = [
        AuditAction::OrganizationCreated,
        AuditAction::SeatLimitChanged { from: 1, to: 2 },
        AuditAction::SeatPolicyChanged,
        AuditAction::RemindersSwitched { enabled: true },
        AuditAction::SettingsChanged,
        AuditAction::Invited,
        AuditAction::Replaced { by: inv },
        AuditAction::Resent,
        AuditAction::Cancelled,
        AuditAction::AccessEdited,
        AuditAction::Delivered,
        AuditAction::DeliveryRetried {
            reason: "451".into(),
        },
        AuditAction::DeliveryFailed {
            reason: "550".into(),
        },
        AuditAction::ReminderQueued,
        AuditAction::FollowUpQueued,
        AuditAction::SignedUp { member },
        AuditAction::SignupFailedSeatsExhausted,
        AuditAction::FirstLogin,
        AuditAction::MarkedCompleted,
        AuditAction::MemberAdded { member },
        AuditAction::MemberRemoved { member },
        AuditAction::MemberAccessEdited {
            member,
            from: Access::user(Role::ReadOnly),
            to: Access::user(Role::Admin),
        },
        AuditAction::WaitlistJoined { entry },
        AuditAction::WaitlistMoved { entry },
        AuditAction::WaitlistRemoved { entry },
    ];
    for action in &all {
        // Exhaustiveness check: every kind must be listed above.
        match action {
            AuditAction::OrganizationCreated
            | AuditAction::SeatLimitChanged { .. }
            | AuditAction::SeatPolicyChanged
            | AuditAction::RemindersSwitched { .. }
            | AuditAction::SettingsChanged
            | AuditAction::Invited
            | AuditAction::Replaced { .. }
            | AuditAction::Resent
            | AuditAction::Cancelled
            | AuditAction::AccessEdited
            | AuditAction::Delivered
            | AuditAction::DeliveryRetried { .. }
            | AuditAction::DeliveryFailed { .. }
            | AuditAction::ReminderQueued
            | AuditAction::FollowUpQueued
            | AuditAction::SignedUp { .. }
            | AuditAction::SignupFailedSeatsExhausted
            | AuditAction::FirstLogin
            | AuditAction::MarkedCompleted
            | AuditAction::MemberAdded { .. }
            | AuditAction::MemberRemoved { .. }
            | AuditAction::MemberAccessEdited { .. }
            | AuditAction::WaitlistJoined { .. }
            | AuditAction::WaitlistMoved { .. }
            | AuditAction::WaitlistRemoved { .. } => {}
        }
    }
    all.into_iter()
        .map(|action| AuditEvent::invitation(org.id(), inv, &Actor::System, at, action, None, None))
        .collect()
}

/// R4.1 to R4.8, R3.5, R8.1, R9.1, R9.3: on every combination of the facts the core's rules
/// read, under both seat policies, the store's lists (row statuses and tab membership), tab
/// and channel counts, seat count, reminder candidates and daily series equal the core's
/// answer over the same records.
pub async fn r4_8_r3_5_r8_1_r9_3_store_views_agree_with_the_core_on_every_combination_of_facts<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let now = h.now();
    for policy in [SeatPolicy::ClaimOnSignup, SeatPolicy::ReserveOnInvite] {
        let settings = OrgSettings {
            seat_policy: policy,
            ..OrgSettings::with_seats(1_000)
        };
        let org = h.org_with("Table", settings).await;
        let records = every_combination(&org, now);
        let members: Vec<Member> = (0..3)
            .map(|i| {
                let contact = Contact::parse_email(&format!("m{i}@table.example")).unwrap();
                Member::joined(
                    org.id(),
                    contact,
                    None,
                    Access::user(Role::ReadOnly),
                    None,
                    now,
                )
            })
            .collect();
        let mut commit = Commit::new(org.id(), now);
        commit.invitations = records.iter().cloned().map(Write::Insert).collect();
        commit.members = members.iter().cloned().map(Write::Insert).collect();
        h.store.commit(commit).await.expect("the table is stored");

        // Each record reads back as written.
        for inv in &records {
            assert_eq!(&h.invitation(inv.id).await, inv, "stored facts round-trip");
        }

        // Lists: per tab, exactly the records whose core status the tab contains, each row
        // with the core's status.
        for tab in Tab::ALL {
            let mut listed = BTreeMap::new();
            let mut query = ListQuery {
                limit: 100,
                ..ListQuery::tab(tab)
            };
            loop {
                let page = h.store.list(org.id(), &query, now).await.expect("the list");
                for row in &page.rows {
                    listed.insert(row.invitation.id, row.status);
                }
                match page.next {
                    Some(next) => query.after = Some(next),
                    None => break,
                }
            }
            let expected: BTreeMap<_, _> = records
                .iter()
                .map(|i| (i.id, i.status_at(now)))
                .filter(|(_, s)| tab.contains(*s))
                .collect();
            assert_eq!(listed, expected, "{tab} under {policy:?}");
        }

        // Counts per tab and channel.
        let dashboard = h
            .store
            .dashboard(org.id(), now)
            .await
            .expect("the dashboard")
            .expect("the organization exists");
        assert_eq!(
            dashboard.counts,
            TabCounts::tally(&records, now),
            "{policy:?}"
        );

        // Seats: members, plus the invitations that hold one under ReserveOnInvite.
        let reserved = match policy {
            SeatPolicy::ClaimOnSignup => 0,
            SeatPolicy::ReserveOnInvite => {
                records.iter().filter(|i| i.reserves_seat_at(now)).count() as u32
            }
        };
        let expected = Seats::new(1_000, members.len() as u32 + reserved);
        assert_eq!(
            dashboard.seats, expected,
            "dashboard seats under {policy:?}"
        );
        let seats = h.store.seats(org.id(), now).await.expect("seats");
        assert_eq!(seats, expected, "seats under {policy:?}");

        // Reminder candidates.
        let cutoff = now - TimeDelta::hours(1);
        let query = ReminderQuery {
            org: org.id(),
            day: now.date_naive(),
            now,
            cutoff,
            after: None,
            limit: 1_000,
        };
        let candidates: BTreeSet<InvitationId> = h
            .store
            .reminder_candidates(&query)
            .await
            .expect("candidates")
            .iter()
            .map(|i| i.id)
            .collect();
        let eligible: BTreeSet<InvitationId> = records
            .iter()
            .filter(|i| reminders::eligible(i, now, cutoff))
            .map(|i| i.id)
            .collect();
        assert_eq!(candidates, eligible, "reminder candidates under {policy:?}");

        // Series kinds: one event of every kind, counted as the core counts them.
        let events = one_event_of_every_kind(&org, records[0].id, now);
        let mut expected = DayActivity::empty(now.date_naive());
        let before = h
            .store
            .daily_activity(org.id(), now.date_naive(), now.date_naive(), chrono_tz::UTC)
            .await
            .expect("the series")[0];
        for e in &events {
            expected.count(&e.action);
        }
        let mut commit = Commit::new(org.id(), now);
        commit.audit = events;
        h.store.commit(commit).await.expect("the events are stored");
        let after = h
            .store
            .daily_activity(org.id(), now.date_naive(), now.date_naive(), chrono_tz::UTC)
            .await
            .expect("the series")[0];
        assert_eq!(
            (
                after.invitations_sent - before.invitations_sent,
                after.signups - before.signups,
                after.first_logins - before.first_logins
            ),
            (
                expected.invitations_sent,
                expected.signups,
                expected.first_logins
            ),
            "series kinds"
        );
    }
}
