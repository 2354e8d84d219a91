//! R5 Actions: the action table, resend, mark completed, follow-ups.

use crate::support::harness;
use chrono::TimeDelta;
use invite_core::testkit::*;
use invite_core::*;

/// The actions a command exists for (`Details` is a read).
const COMMANDS: [Action; 5] = [
    Action::Resend,
    Action::Cancel,
    Action::EditAccess,
    Action::SendFollowUp,
    Action::MarkCompleted,
];

/// Performs `action` on the invitation `id` as `admin`, through the service.
async fn perform(
    h: &Harness<MemoryStore>,
    admin: &Actor,
    id: InvitationId,
    action: Action,
) -> Result<Invitation, Error> {
    match action {
        Action::Resend => h.service.resend(admin, id).await,
        Action::Cancel => h.service.cancel(admin, id).await,
        Action::EditAccess => {
            h.service
                .edit_access(admin, id, Access::user(Role::Admin))
                .await
        }
        Action::SendFollowUp => h.service.send_follow_up(admin, id).await,
        Action::MarkCompleted => h.service.mark_completed(admin, id).await,
        Action::Details => h.service.invitation(admin, id).await.map(|v| v.invitation),
    }
}

#[test]
fn r5_1_the_action_table() {
    use Action::*;
    let table: [(Status, &[Action]); 7] = [
        (Status::Queued, &[Cancel, EditAccess]),
        (Status::Pending, &[Resend, Cancel, EditAccess]),
        (Status::Expired, &[Resend, Cancel, EditAccess]),
        (Status::Failed, &[Resend, Cancel, EditAccess]),
        (Status::NeverUsed, &[Details, SendFollowUp, MarkCompleted]),
        (Status::Completed, &[Details]),
        (Status::Cancelled, &[]),
    ];
    for (status, actions) in table {
        assert_eq!(status.actions(), actions, "{status:?}");
        for a in [
            Resend,
            Cancel,
            EditAccess,
            Details,
            SendFollowUp,
            MarkCompleted,
        ] {
            assert_eq!(status.allows(a), actions.contains(&a), "{status:?} {a:?}");
        }
    }
}

#[tokio::test]
async fn r5_1_every_action_outside_the_table_is_action_not_allowed() {
    for status in Status::ALL {
        let h = harness();
        let TestOrg { org, admin } = h.standalone(5).await;
        let id = h
            .invitation_in(&admin, org.id, "bob@example.com", status)
            .await;
        h.advance(TimeDelta::minutes(5)); // past the resend cool-down
        let before = h.invitation(id).await;
        let now = h.now();
        for action in COMMANDS.into_iter().filter(|a| !status.allows(*a)) {
            let r = perform(&h, &admin, id, action).await;
            assert_eq!(
                refusal(r),
                Refusal::ActionNotAllowed {
                    action,
                    status: before.status_at(now)
                },
                "{action:?} on {status:?}"
            );
        }
        // nothing changed
        assert_eq!(h.invitation(id).await, before, "{status:?}");
        // and the view offers exactly the table's actions
        let view = h.service.invitation(&admin, id).await.unwrap();
        assert_eq!(view.actions, view.status.actions());
    }
}

#[tokio::test]
async fn r5_1_every_action_in_the_table_is_performed() {
    for status in Status::ALL {
        for action in status.actions().iter().copied() {
            let h = harness();
            let TestOrg { org, admin } = h.standalone(5).await;
            let id = h
                .invitation_in(&admin, org.id, "bob@example.com", status)
                .await;
            h.advance(TimeDelta::minutes(5)); // past the resend cool-down
            let done = perform(&h, &admin, id, action)
                .await
                .unwrap_or_else(|e| panic!("{action:?} on {status:?}: {e:?}"));
            let expected = match action {
                Action::Resend => Status::Queued,
                Action::Cancel => Status::Cancelled,
                Action::MarkCompleted => Status::Completed,
                Action::EditAccess | Action::SendFollowUp | Action::Details => status,
            };
            assert_eq!(h.status(id).await, expected, "{action:?} on {status:?}");
            if action == Action::EditAccess {
                assert_eq!(done.access().clone(), Access::user(Role::Admin));
            }
        }
    }
}

#[tokio::test]
async fn r5_2_resend_mints_a_new_link_and_kills_the_previous_ones() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    let old = h.token_sent_to("bob@example.com");
    h.advance(TimeDelta::minutes(10));
    // When resent
    let resent = h.service.resend(&admin, inv.id).await.unwrap();
    assert_eq!(resent.link_generation(), inv.link_generation() + 1);
    // Then a new delivery is queued and the old link is dead at once
    assert_eq!(h.status(inv.id).await, Status::Queued);
    assert_eq!(
        refusal(h.service.sign_up(&old, None).await),
        Refusal::LinkSuperseded
    );
    let r = h.deliver().await;
    assert_eq!(r.sent, 1);
    let msgs = h.notifier.delivered_to("bob@example.com");
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].kind, MessageKind::Resend);
    let new = link_token(&msgs[1]);
    assert_ne!(new, old);
    // the old link stays dead after delivery, and the new one works
    assert_eq!(
        refusal(h.service.sign_up(&old, None).await),
        Refusal::LinkSuperseded
    );
    let signup = h.service.sign_up(&new, None).await.unwrap();
    assert_eq!(signup.invitation.id, inv.id);
}

#[tokio::test]
async fn r5_2_a_resend_within_the_cool_down_is_refused_so_a_double_click_sends_one_message() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    let delivered = h.now();
    // 30 s after the delivery: refused, with when it will be allowed
    h.advance(TimeDelta::seconds(30));
    assert_eq!(
        refusal(h.service.resend(&admin, inv.id).await),
        Refusal::ResendCooldown {
            retry_after: delivered + TimeDelta::seconds(60)
        }
    );
    // at 60 s: accepted
    h.advance(TimeDelta::seconds(30));
    h.service.resend(&admin, inv.id).await.unwrap();
    let resent_at = h.now();
    let double_click = Refusal::ResendCooldown {
        retry_after: resent_at + TimeDelta::seconds(60),
    };
    // A double click a second later, before delivery: refused by the cool-down
    h.advance(TimeDelta::seconds(1));
    assert_eq!(
        refusal(h.service.resend(&admin, inv.id).await),
        double_click
    );
    // and the same answer once the resend was delivered in between
    h.deliver().await;
    h.advance(TimeDelta::seconds(1));
    assert_eq!(
        refusal(h.service.resend(&admin, inv.id).await),
        double_click
    );
    h.deliver().await;
    let resends = h
        .notifier
        .delivered_to("bob@example.com")
        .into_iter()
        .filter(|n| n.kind == MessageKind::Resend)
        .count();
    assert_eq!(resends, 1);
    assert_eq!(h.invitation(inv.id).await.send_count(), 2);
}

#[tokio::test]
async fn r5_2_the_validity_period_restarts_when_the_resend_is_delivered() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let t0 = h.now();
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    // Resent at 70 h, delivered 10 minutes later
    h.set_time(t0 + TimeDelta::hours(70));
    h.service.resend(&admin, inv.id).await.unwrap();
    // Queued while waiting, even past the first link's expiry
    h.set_time(t0 + TimeDelta::hours(72));
    assert_eq!(h.status(inv.id).await, Status::Queued);
    let redelivered = t0 + TimeDelta::hours(70) + TimeDelta::minutes(10);
    h.set_time(redelivered);
    h.deliver().await;
    assert_eq!(
        h.invitation(inv.id).await.expires_at(),
        Some(redelivered + TimeDelta::hours(72))
    );
    // Then it is Pending well after the first period would have ended
    h.set_time(t0 + TimeDelta::hours(100));
    assert_eq!(h.status(inv.id).await, Status::Pending);
    // and expires 72 h after the redelivery
    h.set_time(redelivered + TimeDelta::hours(72));
    assert_eq!(h.status(inv.id).await, Status::Expired);
    // An Expired invitation resent is Pending again once delivered
    h.service.resend(&admin, inv.id).await.unwrap();
    h.deliver().await;
    assert_eq!(h.status(inv.id).await, Status::Pending);
    h.sign_up_as("bob@example.com").await;
}

#[tokio::test]
async fn r5_3_mark_completed_is_for_users_who_do_not_need_the_agent() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let access = Access::user(Role::Admin).as_admin(PermissionLevel::new("owner").unwrap());
    let inv = h
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("boss@example.com").unwrap(),
            Channel::Email,
            access,
        )
        .await
        .unwrap();
    // Not before signup
    assert_eq!(
        refusal(h.service.mark_completed(&admin, inv.id).await),
        Refusal::ActionNotAllowed {
            action: Action::MarkCompleted,
            status: Status::Queued
        }
    );
    h.deliver().await;
    let signup = h.sign_up_as("boss@example.com").await;
    // When an admin marks the Never Used admin completed
    let done = h.service.mark_completed(&admin, inv.id).await.unwrap();
    assert_eq!(done.status_at(h.now()), Status::Completed);
    assert_eq!(done.completed(), Some((h.now(), CompletedBy::Admin)));
    assert_eq!(done.first_login_at(), None);
    // Then it is not marked twice, and a later first login does not change how it completed
    assert_eq!(
        refusal(h.service.mark_completed(&admin, inv.id).await),
        Refusal::ActionNotAllowed {
            action: Action::MarkCompleted,
            status: Status::Completed
        }
    );
    h.advance(TimeDelta::hours(1));
    h.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    let rec = h.invitation(inv.id).await;
    assert_eq!(rec.completed().map(|c| c.1), Some(CompletedBy::Admin));
    assert_eq!(rec.first_login_at(), Some(h.now()));
    assert_eq!(h.seats(org.id).await.used, 1);
}

#[tokio::test]
async fn r5_4_a_follow_up_goes_to_a_never_used_user_at_most_once_a_day() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    // Not to someone who has not signed up
    assert_eq!(
        refusal(h.service.send_follow_up(&admin, inv.id).await),
        Refusal::ActionNotAllowed {
            action: Action::SendFollowUp,
            status: Status::Pending
        }
    );
    h.sign_up_as("bob@example.com").await;
    // When the follow-up is sent to the Never Used member
    let first = h.now();
    h.service.send_follow_up(&admin, inv.id).await.unwrap();
    h.deliver().await;
    let follow_ups = |h: &Harness<MemoryStore>| {
        h.notifier
            .delivered_to("bob@example.com")
            .into_iter()
            .filter(|n| n.kind == MessageKind::FollowUp)
            .collect::<Vec<_>>()
    };
    let sent = follow_ups(&h);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].signup_url.is_none(),
        "a follow-up carries no signup link"
    );
    // Then another within a day is refused
    h.advance(TimeDelta::hours(23) + TimeDelta::minutes(59));
    assert_eq!(
        refusal(h.service.send_follow_up(&admin, inv.id).await),
        Refusal::FollowUpTooSoon {
            retry_after: first + TimeDelta::days(1)
        }
    );
    // and a day later allowed
    h.advance(TimeDelta::minutes(1));
    h.service.send_follow_up(&admin, inv.id).await.unwrap();
    h.deliver().await;
    assert_eq!(follow_ups(&h).len(), 2);
    // Once the member completed, no more follow-ups; a queued one is dropped
    h.advance(TimeDelta::days(1));
    h.service.send_follow_up(&admin, inv.id).await.unwrap();
    h.service.mark_completed(&admin, inv.id).await.unwrap();
    let r = h.deliver().await;
    assert_eq!((r.sent, r.dropped), (0, 1));
    assert_eq!(follow_ups(&h).len(), 2);
    h.advance(TimeDelta::days(1));
    assert_eq!(
        refusal(h.service.send_follow_up(&admin, inv.id).await),
        Refusal::ActionNotAllowed {
            action: Action::SendFollowUp,
            status: Status::Completed
        }
    );
}
