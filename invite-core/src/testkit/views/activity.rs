//! Daily activity by local day (R9.3), the audit trail (R10.2) and the standing of
//! application users (R2.11).

use crate::access::{Access, Role};
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::contact::Channel;
use crate::dashboard::DayActivity;
use crate::error::Refusal;
use crate::ids::UserRef;
use crate::invitation::Status;
use crate::org::OrgSettings;
use crate::service::{DirectoryUser, UserStatus};
use crate::store::Store;
use crate::testkit::fixtures::{Harness, at, refusal};
use chrono::{NaiveDate, TimeDelta};

/// R9.3: daily activity buckets deliveries, signups and first logins by the organization's
/// local day (here Tokyo, UTC+9), includes days without activity as zeros, and counts only
/// the organization's own activity.
pub async fn r9_3_daily_activity_buckets_by_local_day_with_zero_days<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let settings = OrgSettings {
        time_zone: chrono_tz::Asia::Tokyo,
        ..OrgSettings::with_seats(10)
    };
    let acme = h.org_with("Tokyo", settings).await;
    let other = h.standalone(10).await;

    h.set_time(at("2026-03-02T14:00:00Z"));
    let x = h.invite(&acme, "x@example.com").await;
    h.invite(&other, "noise@example.com").await;
    h.set_time(at("2026-03-02T14:30:00Z")); // Mar 2 23:30 in Tokyo
    h.deliver().await;
    let y = h.invite(&acme, "y@example.com").await;
    h.set_time(at("2026-03-02T15:30:00Z")); // Mar 3 00:30 in Tokyo
    h.deliver().await;
    h.set_time(at("2026-03-03T16:00:00Z")); // Mar 4 01:00 in Tokyo
    let signup = h.sign_up(&h.token_of(x.id)).await;
    h.set_time(at("2026-03-04T20:00:00Z")); // Mar 5 05:00 in Tokyo
    h.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    assert_eq!(h.status(y.id).await, Status::Pending);

    let d = |day: u32| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
    let activity = h
        .store
        .daily_activity(acme.id(), d(1), d(6), chrono_tz::Asia::Tokyo)
        .await
        .unwrap();
    let row = |day: u32, sent, signups, logins| DayActivity {
        day: d(day),
        invitations_sent: sent,
        signups,
        first_logins: logins,
    };
    assert_eq!(
        activity,
        vec![
            row(1, 0, 0, 0),
            row(2, 1, 0, 0),
            row(3, 1, 0, 0),
            row(4, 0, 1, 0),
            row(5, 0, 0, 1),
            row(6, 0, 0, 0)
        ]
    );
    // One day only, and a range with no activity at all.
    let one = h
        .store
        .daily_activity(acme.id(), d(3), d(3), chrono_tz::Asia::Tokyo)
        .await
        .unwrap();
    assert_eq!(one, vec![row(3, 1, 0, 0)]);
    let quiet = h
        .store
        .daily_activity(acme.id(), d(10), d(12), chrono_tz::Asia::Tokyo)
        .await
        .unwrap();
    assert_eq!(
        quiet,
        vec![row(10, 0, 0, 0), row(11, 0, 0, 0), row(12, 0, 0, 0)]
    );
    // In UTC the same events fall on other days.
    let utc = h
        .store
        .daily_activity(acme.id(), d(2), d(4), chrono_tz::UTC)
        .await
        .unwrap();
    assert_eq!(utc, vec![row(2, 2, 0, 0), row(3, 0, 1, 0), row(4, 0, 0, 1)]);
}

/// R10.2: every change leaves an audit event with its actor, time and the invitation's status
/// before and after, in order; a refused command leaves none.
pub async fn r10_2_every_change_is_audited_with_actor_time_and_statuses<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let created_at = h.now();
    let t = |minutes: i64| created_at + TimeDelta::minutes(minutes);
    let inv = h.invite(&acme, "audit@example.com").await; // t(0)
    h.set_time(t(1));
    h.deliver().await;
    h.set_time(t(120));
    h.service.resend(&acme.admin, inv.id).await.unwrap();
    h.set_time(t(121));
    h.deliver().await;
    h.set_time(t(180));
    let signup = h.sign_up(&h.token_of(inv.id)).await;
    h.set_time(t(240));
    h.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    h.set_time(t(300));
    h.service
        .remove_member(&acme.admin, signup.member.id)
        .await
        .unwrap();
    h.set_time(t(301));
    let refused = h.service.cancel(&acme.admin, inv.id).await;
    assert!(matches!(refusal(refused), Refusal::ActionNotAllowed { .. }));

    use Status::*;
    let admin = acme.admin.clone();
    let expected = [
        (admin.clone(), t(0), None, Some(Queued)),
        (Actor::System, t(1), Some(Queued), Some(Pending)),
        (admin.clone(), t(120), Some(Pending), Some(Queued)),
        (Actor::System, t(121), Some(Queued), Some(Pending)),
        (Actor::Invitee, t(180), Some(Pending), Some(NeverUsed)),
        (Actor::Application, t(240), Some(NeverUsed), Some(Completed)),
        (admin.clone(), t(300), Some(Completed), Some(Cancelled)),
    ];
    let trail = h.audit(acme.id(), Some(inv.id)).await;
    let got: Vec<_> = trail
        .iter()
        .map(|e| (e.actor.clone(), e.at, e.before, e.after))
        .collect();
    assert_eq!(got, expected);
    let actions: Vec<_> = trail
        .iter()
        .map(|e| std::mem::discriminant(&e.action))
        .collect();
    let want = [
        AuditAction::Invited,
        AuditAction::Delivered,
        AuditAction::Resent,
        AuditAction::Delivered,
        AuditAction::SignedUp {
            member: signup.member.id,
        },
        AuditAction::FirstLogin,
        AuditAction::MemberRemoved {
            member: signup.member.id,
        },
    ];
    assert_eq!(
        actions,
        want.iter().map(std::mem::discriminant).collect::<Vec<_>>()
    );
    assert!(
        trail
            .iter()
            .all(|e| e.org == acme.id() && e.invitation == Some(inv.id))
    );

    // Organization changes are audited too, and the whole trail is oldest first.
    h.set_time(t(400));
    h.service
        .change_seat_limit(&h.operator, acme.id(), 6)
        .await
        .unwrap();
    h.set_time(t(401));
    h.service
        .set_reminders(&acme.admin, acme.id(), true)
        .await
        .unwrap();
    let all = h.audit(acme.id(), None).await;
    assert!(all.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    let org_events: Vec<_> = all
        .iter()
        .filter(|e| e.invitation.is_none())
        .map(|e| (e.actor.clone(), e.at, e.action.clone()))
        .collect();
    assert_eq!(
        org_events,
        vec![
            (
                h.operator.clone(),
                created_at,
                AuditAction::OrganizationCreated
            ),
            (
                h.operator.clone(),
                t(400),
                AuditAction::SeatLimitChanged { from: 5, to: 6 }
            ),
            (
                admin.clone(),
                t(401),
                AuditAction::RemindersSwitched { enabled: true }
            ),
        ]
    );
    assert_eq!(all.len(), trail.len() + 3);
    let other = h.standalone(5).await;
    assert!(
        h.audit(other.id(), None)
            .await
            .iter()
            .all(|e| e.org == other.id())
    );
}

/// R2.11: invitations tied to application user ids are found by those ids, closed ones
/// included; the status of users with no invitation is `NotInvited`, and another
/// organization's invitations to the same user ids do not count.
pub async fn r2_11_users_without_an_invitation_are_not_invited<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(10).await;
    let other = h.standalone(10).await;
    let directory = [
        DirectoryUser {
            user: UserRef::new("app-1"),
            email: Some("one@example.com".into()),
            phone: None,
        },
        DirectoryUser {
            user: UserRef::new("app-2"),
            email: None,
            phone: Some("+79053333333".into()),
        },
    ];
    let access = Access::user(Role::ReadOnly);
    let outcomes = h
        .service
        .invite_directory_users(
            &acme.admin,
            acme.id(),
            &directory,
            Channel::Email,
            access.clone(),
        )
        .await
        .unwrap();
    let first = outcomes[0]
        .result
        .clone()
        .expect("app-1 has an e-mail address");
    assert_eq!(first.user_ref(), Some(&UserRef::new("app-1")));
    assert!(matches!(
        outcomes[1].result,
        Err(Refusal::MissingContact { ref user, channel: Channel::Email }) if *user == UserRef::new("app-2")
    ));
    h.service
        .invite_directory_users(
            &other.admin,
            other.id(),
            &directory[..1],
            Channel::Email,
            access.clone(),
        )
        .await
        .unwrap();

    let users = [
        UserRef::new("app-1"),
        UserRef::new("app-2"),
        UserRef::new("app-3"),
    ];
    let found = h
        .store
        .invitations_for_users(acme.id(), &users)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    let status = h
        .service
        .status_of_users(&acme.admin, acme.id(), &users)
        .await
        .unwrap();
    assert_eq!(
        status,
        vec![
            (users[0].clone(), UserStatus::Invited(Status::Queued)),
            (users[1].clone(), UserStatus::NotInvited),
            (users[2].clone(), UserStatus::NotInvited),
        ]
    );

    // Cancelled: still found, and its status is the user's.
    h.service.cancel(&acme.admin, first.id).await.unwrap();
    let found = h
        .store
        .invitations_for_users(acme.id(), &users[..1])
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    let status = h
        .service
        .status_of_users(&acme.admin, acme.id(), &users[..1])
        .await
        .unwrap();
    assert_eq!(status[0].1, UserStatus::Invited(Status::Cancelled));

    // Invited again: both are found, and the latest one decides.
    h.advance(TimeDelta::minutes(1));
    let outcomes = h
        .service
        .invite_directory_users(
            &acme.admin,
            acme.id(),
            &directory[..1],
            Channel::Email,
            access,
        )
        .await
        .unwrap();
    let second = outcomes[0].result.clone().expect("invited again");
    let mut found: Vec<_> = h
        .store
        .invitations_for_users(acme.id(), &users)
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    found.sort();
    let mut want = vec![first.id, second.id];
    want.sort();
    assert_eq!(found, want);
    let status = h
        .service
        .status_of_users(&acme.admin, acme.id(), &users[..1])
        .await
        .unwrap();
    assert_eq!(status[0].1, UserStatus::Invited(Status::Queued));
    assert!(
        h.store
            .invitations_for_users(acme.id(), &[])
            .await
            .unwrap()
            .is_empty()
    );
}
