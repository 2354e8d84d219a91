//! R10 Who may do what: read-only users, other organizations, admins, the audit trail.

use crate::support::{harness, user_access};
use chrono::TimeDelta;
use invite_core::testkit::*;
use invite_core::*;

/// Every state-changing command, attempted by `actor`; each answer paired with its name.
async fn every_command(
    h: &Harness<MemoryStore>,
    actor: &Actor,
    org: OrgId,
    pending: InvitationId,
    never_used: InvitationId,
    member: MemberId,
) -> Vec<(&'static str, Result<(), Error>)> {
    fn ok<T>(r: Result<T, Error>) -> Result<(), Error> {
        r.map(|_| ())
    }
    let email = || Contact::parse_email("new@example.com").unwrap();
    vec![
        (
            "invite",
            ok(h.service
                .invite(actor, org, email(), Channel::Email, user_access())
                .await),
        ),
        (
            "invite_many",
            ok(h.service
                .invite_many(actor, org, &["new@example.com"], user_access())
                .await),
        ),
        (
            "invite_directory_users",
            ok(h.service
                .invite_directory_users(
                    actor,
                    org,
                    &[DirectoryUser {
                        user: UserRef::new("d1"),
                        email: Some("d1@example.com".into()),
                        phone: None,
                    }],
                    Channel::Email,
                    user_access(),
                )
                .await),
        ),
        ("resend", ok(h.service.resend(actor, pending).await)),
        ("cancel", ok(h.service.cancel(actor, pending).await)),
        (
            "edit_access",
            ok(h.service
                .edit_access(actor, pending, Access::user(Role::Admin))
                .await),
        ),
        (
            "mark_completed",
            ok(h.service.mark_completed(actor, never_used).await),
        ),
        (
            "send_follow_up",
            ok(h.service.send_follow_up(actor, never_used).await),
        ),
        (
            "record_first_login",
            ok(h.service.record_first_login(actor, member).await),
        ),
        (
            "set_reminders",
            ok(h.service.set_reminders(actor, org, true).await),
        ),
        (
            "update_settings",
            ok(h.service
                .update_settings(actor, org, SettingsUpdate::default())
                .await),
        ),
        (
            "add_member",
            ok(h.service
                .add_member(actor, org, email(), None, user_access())
                .await),
        ),
        (
            "remove_member",
            ok(h.service.remove_member(actor, member).await),
        ),
        (
            "change_seat_limit",
            ok(h.service.change_seat_limit(actor, org, 99).await),
        ),
        (
            "change_seat_policy",
            ok(h.service
                .change_seat_policy(actor, org, SeatPolicy::ReserveOnInvite)
                .await),
        ),
        (
            "create_organization",
            ok(h.service
                .create_organization(
                    actor,
                    "Mine",
                    OrgKind::Standalone,
                    OrgSettings::with_seats(9),
                )
                .await),
        ),
    ]
}

/// An organization with a pending invitation and a Never Used member ("bob", app user
/// "app-bob"), after 5 minutes (past any cool-down).
async fn scene(
    h: &Harness<MemoryStore>,
) -> (Organization, Actor, InvitationId, InvitationId, MemberId) {
    let TestOrg { org, admin } = h.standalone(10).await;
    let pending = h.invite_as(&admin, org.id, "pending@example.com").await;
    h.service
        .invite_directory_users(
            &admin,
            org.id,
            &[DirectoryUser {
                user: UserRef::new("app-bob"),
                email: Some("bob@example.com".into()),
                phone: None,
            }],
            Channel::Email,
            user_access(),
        )
        .await
        .unwrap();
    h.deliver().await;
    let bob = h.sign_up_as("bob@example.com").await;
    h.advance(TimeDelta::minutes(5));
    (org, admin, pending.id, bob.invitation.id, bob.member.id)
}

#[tokio::test]
async fn r10_1_a_read_only_user_is_refused_every_command_and_may_read() {
    let h = harness();
    let (org, admin, pending, never_used, member) = scene(&h).await;
    let reader = Actor::read_only(org.id, "r1", "Rita");
    let trail_before = h
        .service
        .audit_trail(&admin, org.id, None)
        .await
        .unwrap()
        .len();
    let outbox_before = h.store.outbox_counts();
    // Every command is refused
    for (name, result) in every_command(&h, &reader, org.id, pending, never_used, member).await {
        assert!(
            matches!(result, Err(Error::Refused(Refusal::Forbidden(_)))),
            "{name} by a read-only user: {result:?}"
        );
    }
    // and nothing changed
    assert_eq!(
        h.service
            .audit_trail(&admin, org.id, None)
            .await
            .unwrap()
            .len(),
        trail_before
    );
    assert_eq!(h.store.outbox_counts(), outbox_before);
    assert_eq!(h.status(pending).await, Status::Pending);
    assert_eq!(h.status(never_used).await, Status::NeverUsed);
    // Every read is allowed
    let view = h.service.invitation(&reader, pending).await.unwrap();
    assert_eq!(view.status, Status::Pending);
    assert_eq!(
        h.service
            .dashboard(&reader, org.id)
            .await
            .unwrap()
            .counts
            .all,
        2
    );
    assert_eq!(
        h.service
            .list(&reader, org.id, &ListQuery::tab(Tab::All))
            .await
            .unwrap()
            .rows
            .len(),
        2
    );
    assert_eq!(h.service.seats(&reader, org.id).await.unwrap().used, 1);
    let day = h.now().date_naive();
    assert_eq!(
        h.service
            .series(&reader, org.id, day, day)
            .await
            .unwrap()
            .days
            .len(),
        1
    );
    assert_eq!(
        h.service
            .status_of_users(&reader, org.id, &[UserRef::new("app-bob")])
            .await
            .unwrap()[0]
            .1,
        UserStatus::Invited(Status::NeverUsed)
    );
    assert_eq!(
        h.service
            .audit_trail(&reader, org.id, None)
            .await
            .unwrap()
            .len(),
        trail_before
    );
}

#[tokio::test]
async fn r10_1_a_member_may_report_their_own_first_login_but_not_anothers() {
    let h = harness();
    let (org, _admin, _pending, never_used, member) = scene(&h).await;
    // A read-only colleague may not complete bob's invitation
    let colleague = Actor::read_only(org.id, "r1", "Rita");
    assert!(matches!(
        refusal(h.service.record_first_login(&colleague, member).await),
        Refusal::Forbidden(_)
    ));
    assert_eq!(h.status(never_used).await, Status::NeverUsed);
    // bob himself, signed in as a read-only user, reports his own first login
    let bob = Actor::read_only(org.id, "app-bob", "Bob");
    h.service.record_first_login(&bob, member).await.unwrap();
    assert_eq!(h.status(never_used).await, Status::Completed);
}

#[tokio::test]
async fn r10_1_no_one_acts_on_or_reads_another_organizations_invitations() {
    let h = harness();
    let (org, _admin, pending, never_used, member) = scene(&h).await;
    let TestOrg {
        org: _other,
        admin: other_admin,
    } = h.standalone(10).await;
    for (name, result) in every_command(&h, &other_admin, org.id, pending, never_used, member).await
    {
        // Commands naming an invitation or a member answer as for an id that does not exist,
        // so no one can probe which ids exist; those naming the organization are forbidden.
        assert!(
            matches!(
                result,
                Err(Error::Refused(
                    Refusal::Forbidden(_)
                        | Refusal::InvitationNotFound(_)
                        | Refusal::MemberNotFound(_)
                ))
            ),
            "{name} by another organization's admin: {result:?}"
        );
    }
    // nor does any non-person actor invite or act on invitations
    for actor in [
        Actor::Invitee,
        Actor::Application,
        Actor::System,
        h.operator.clone(),
    ] {
        let r = h
            .service
            .invite(
                &actor,
                org.id,
                Contact::parse_email("x@example.com").unwrap(),
                Channel::Email,
                user_access(),
            )
            .await;
        assert!(matches!(refusal(r), Refusal::Forbidden(_)), "{actor}");
        assert!(matches!(
            refusal(h.service.cancel(&actor, pending).await),
            Refusal::Forbidden(_) | Refusal::InvitationNotFound(_)
        ));
    }
    // reads are refused too; to an outsider the invitation does not exist
    assert_eq!(
        refusal(h.service.invitation(&other_admin, pending).await),
        Refusal::InvitationNotFound(pending)
    );
    assert!(matches!(
        refusal(h.service.dashboard(&other_admin, org.id).await),
        Refusal::Forbidden(_)
    ));
    assert!(matches!(
        refusal(h.service.audit_trail(&other_admin, org.id, None).await),
        Refusal::Forbidden(_)
    ));
    assert_eq!(h.status(pending).await, Status::Pending);
}

#[tokio::test]
async fn r10_1_admins_invite_resend_cancel_edit_and_mark_completed() {
    let h = harness();
    let (org, admin, pending, never_used, _member) = scene(&h).await;
    // Any admin of the organization, not only the one who sent the invitation
    let other_admin = Actor::admin(org.id, "u9", "Nina");
    let inv = h
        .service
        .invite(
            &other_admin,
            org.id,
            Contact::parse_email("x@example.com").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await
        .unwrap();
    assert_eq!(inv.sender.user, UserRef::new("u9"));
    h.service
        .edit_access(&other_admin, pending, Access::user(Role::Admin))
        .await
        .unwrap();
    h.service.resend(&other_admin, pending).await.unwrap();
    h.service.cancel(&admin, inv.id).await.unwrap();
    h.service
        .mark_completed(&other_admin, never_used)
        .await
        .unwrap();
    assert_eq!(h.status(pending).await, Status::Queued);
    assert_eq!(h.status(inv.id).await, Status::Cancelled);
    assert_eq!(h.status(never_used).await, Status::Completed);
}

#[tokio::test]
async fn r10_2_every_change_is_audited_with_actor_time_and_before_after_status() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let t_invite = h.now();
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.advance(TimeDelta::minutes(1));
    let t_deliver = h.now();
    h.deliver().await;
    h.advance(TimeDelta::minutes(1));
    let t_edit = h.now();
    h.service
        .edit_access(&admin, inv.id, Access::user(Role::Admin))
        .await
        .unwrap();
    h.advance(TimeDelta::minutes(1));
    let t_resend = h.now();
    h.service.resend(&admin, inv.id).await.unwrap();
    h.advance(TimeDelta::minutes(1));
    let t_redeliver = h.now();
    h.deliver().await;
    h.advance(TimeDelta::minutes(1));
    let t_signup = h.now();
    let signup = h.sign_up_as("bob@example.com").await;
    h.advance(TimeDelta::minutes(1));
    let t_login = h.now();
    h.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    // One event per change, oldest first, each with actor, time and before/after status
    let trail = h
        .service
        .audit_trail(&admin, org.id, Some(inv.id))
        .await
        .unwrap();
    let got: Vec<_> = trail
        .iter()
        .map(|e| (e.action.clone(), e.actor.clone(), e.at, e.before, e.after))
        .collect();
    use Status::*;
    assert_eq!(
        got,
        vec![
            (
                AuditAction::Invited,
                admin.clone(),
                t_invite,
                None,
                Some(Queued)
            ),
            (
                AuditAction::Delivered,
                Actor::System,
                t_deliver,
                Some(Queued),
                Some(Pending)
            ),
            (
                AuditAction::AccessEdited,
                admin.clone(),
                t_edit,
                Some(Pending),
                Some(Pending)
            ),
            (
                AuditAction::Resent,
                admin.clone(),
                t_resend,
                Some(Pending),
                Some(Queued)
            ),
            (
                AuditAction::Delivered,
                Actor::System,
                t_redeliver,
                Some(Queued),
                Some(Pending)
            ),
            (
                AuditAction::SignedUp {
                    member: signup.member.id
                },
                Actor::Invitee,
                t_signup,
                Some(Pending),
                Some(NeverUsed)
            ),
            (
                AuditAction::FirstLogin,
                Actor::Application,
                t_login,
                Some(NeverUsed),
                Some(Completed)
            ),
        ]
    );
    assert!(
        trail
            .iter()
            .all(|e| e.org == org.id && e.invitation == Some(inv.id))
    );
    // A cancellation, and organization changes, are audited too
    let other = h.invite_as(&admin, org.id, "carl@example.com").await;
    h.service.cancel(&admin, other.id).await.unwrap();
    let cancel = h
        .service
        .audit_trail(&admin, org.id, Some(other.id))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (
            cancel.action,
            cancel.actor,
            cancel.at,
            cancel.before,
            cancel.after
        ),
        (
            AuditAction::Cancelled,
            admin.clone(),
            h.now(),
            Some(Queued),
            Some(Cancelled)
        )
    );
    h.service.set_reminders(&admin, org.id, true).await.unwrap();
    h.service
        .change_seat_limit(&h.operator, org.id, 8)
        .await
        .unwrap();
    let org_events: Vec<_> = h
        .service
        .audit_trail(&admin, org.id, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.invitation.is_none())
        .map(|e| (e.action, e.actor))
        .collect();
    assert_eq!(
        org_events,
        vec![
            (AuditAction::OrganizationCreated, h.operator.clone()),
            (
                AuditAction::RemindersSwitched { enabled: true },
                admin.clone()
            ),
            (
                AuditAction::SeatLimitChanged { from: 5, to: 8 },
                h.operator.clone()
            ),
        ]
    );
}
