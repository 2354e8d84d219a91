//! Domain rule tests for the dashboard (R9) and for who may do what (R10) of SPEC.md.

mod common;

use chrono::{NaiveDate, TimeDelta};
use common::*;
use invite_core::*;
use std::collections::HashSet;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn addresses(page: &Page) -> Vec<String> {
    page.rows
        .iter()
        .map(|r| r.invitation.address_key())
        .collect()
}

// ------------------------------------------------------------------------------------ R9

#[tokio::test]
async fn r9_1_the_dashboard_gives_counts_seats_channels_and_the_reminder_switch_in_one_call() {
    let w = World::new();
    let (org, admin) = w.standalone(10).await;
    // Given the admin holding a seat
    w.service
        .add_member(
            &operator(),
            org.id,
            Contact::parse_email("ann@example.com").unwrap(),
            Some(UserRef::new("u1")),
            Access::user(Role::Admin),
        )
        .await
        .unwrap();
    // and invitations: e-mail pending x2, SMS pending, never used, completed, failed, cancelled
    w.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    for a in ["p1", "p2", "never", "done", "failed", "cancelled"] {
        w.invite(&admin, org.id, &format!("{a}@example.com")).await;
    }
    w.invite_sms(&admin, org.id, "+79051111111").await;
    w.deliver().await;
    w.sign_up("never@example.com").await;
    let done = w.sign_up("done@example.com").await;
    w.service
        .mark_completed(&admin, done.invitation.id)
        .await
        .unwrap();
    let cancelled = w
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
    w.service.cancel(&admin, cancelled).await.unwrap();
    // When a read-only user opens the dashboard
    let reader = Actor::read_only(org.id, "r1", "Rita");
    let d = w.service.dashboard(&reader, org.id).await.unwrap();
    // Then one call answers everything
    assert_eq!(
        d,
        Dashboard {
            org: org.id,
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
        }
    );
    // and follows the reminder switch
    w.service.set_reminders(&admin, org.id, true).await.unwrap();
    assert!(
        w.service
            .dashboard(&reader, org.id)
            .await
            .unwrap()
            .reminders_enabled
    );
}

#[tokio::test]
async fn r9_2_lists_search_by_address_and_sort_by_last_invitation_date() {
    let w = World::new();
    let (org, admin) = w.standalone(20).await;
    for a in [
        "anna@example.com",
        "bob@example.com",
        "carl@other.org",
        "dora@example.com",
    ] {
        w.invite(&admin, org.id, a).await;
        w.advance(TimeDelta::minutes(1));
    }
    w.invite_sms(&admin, org.id, "+79051111111").await;
    let list = |q: ListQuery| {
        let w = &w;
        let admin = admin.clone();
        async move { w.service.list(&admin, org.id, &q).await.unwrap() }
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
    w.deliver().await;
    w.sign_up("bob@example.com").await;
    let q = ListQuery {
        search: Some("example".into()),
        ..ListQuery::tab(Tab::Pending)
    };
    assert_eq!(
        addresses(&list(q).await),
        ["dora@example.com", "anna@example.com"]
    );
    // A resend moves the row to the top: it sorts by the last invitation date
    w.advance(TimeDelta::minutes(5));
    let anna = all.rows[4].invitation.id;
    w.service.resend(&admin, anna).await.unwrap();
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
        let r = w
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
        assert!(matches!(refused(r), Refusal::OutOfRange { .. }));
    }
}

#[tokio::test]
async fn r9_2_lists_sort_by_signup_date_with_the_not_signed_up_last() {
    let w = World::new();
    let (org, admin) = w.standalone(20).await;
    for a in ["a@example.com", "b@example.com", "c@example.com"] {
        w.invite(&admin, org.id, a).await;
    }
    w.deliver().await;
    w.advance(TimeDelta::minutes(1));
    w.sign_up("c@example.com").await;
    w.advance(TimeDelta::minutes(1));
    w.sign_up("a@example.com").await;
    let q = ListQuery {
        sort: SortKey::SignedUp,
        ..ListQuery::tab(Tab::All)
    };
    let page = w.service.list(&admin, org.id, &q).await.unwrap();
    assert_eq!(
        addresses(&page),
        ["a@example.com", "c@example.com", "b@example.com"]
    );
    // paged one row at a time, across the rows without a signup date, in the same order
    let mut q = ListQuery { limit: 1, ..q };
    let mut paged = Vec::new();
    loop {
        let page = w.service.list(&admin, org.id, &q).await.unwrap();
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
    let page = w.service.list(&admin, org.id, &q).await.unwrap();
    assert_eq!(addresses(&page), ["c@example.com", "a@example.com"]);
}

#[tokio::test]
async fn r9_2_paging_neither_skips_nor_repeats_rows_when_invitations_arrive() {
    for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
        let w = World::new();
        let (org, admin) = w.standalone(50).await;
        let mut originals = HashSet::new();
        for i in 0..7 {
            let inv = w.invite(&admin, org.id, &format!("u{i}@example.com")).await;
            originals.insert(inv.id);
            // two pairs share a timestamp: ties are broken by id
            if i % 2 == 1 {
                w.advance(TimeDelta::seconds(1));
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
            let page = w.service.list(&admin, org.id, &query).await.unwrap();
            pages += 1;
            assert!(page.rows.len() <= 2);
            seen.extend(page.rows.iter().map(|r| r.invitation.id));
            // New invitations arrive between page loads
            w.advance(TimeDelta::seconds(1));
            let inv = w
                .invite(&admin, org.id, &format!("new{pages}@example.com"))
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
    let w = World::at(at("2026-06-01T10:00:00Z"));
    let settings = OrgSettings {
        time_zone: chrono_tz::Europe::Berlin,
        ..OrgSettings::with_seats(10)
    };
    let (org, admin) = w.standalone_with(settings).await;
    // Day 1: three invitations delivered
    for a in ["a@example.com", "b@example.com", "c@example.com"] {
        w.invite(&admin, org.id, a).await;
    }
    w.deliver().await;
    // Day 2: two signups, and one resend delivered
    w.set(at("2026-06-02T12:00:00Z"));
    let a = w.sign_up("a@example.com").await;
    w.sign_up("b@example.com").await;
    let c = w
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
    w.service.resend(&admin, c).await.unwrap();
    w.deliver().await;
    // 2026-06-03 22:30 UTC is already 4 June in Berlin: a first login
    w.set(at("2026-06-03T22:30:00Z"));
    w.service
        .record_first_login(&Actor::Application, a.member.id)
        .await
        .unwrap();
    let reader = Actor::read_only(org.id, "r1", "Rita");
    let series = w
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
    let r = w
        .service
        .series(&reader, org.id, day(2026, 6, 5), day(2026, 6, 1))
        .await;
    assert!(matches!(refused(r), Refusal::OutOfRange { .. }));
    let r = w
        .service
        .series(&reader, org.id, day(2025, 1, 1), day(2026, 6, 1))
        .await;
    assert!(matches!(refused(r), Refusal::OutOfRange { .. }));
}

#[tokio::test]
async fn r9_3_an_organization_without_invitations_has_a_zero_completion_share() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let s = w
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

// ------------------------------------------------------------------------------------ R10

/// Every state-changing command, attempted by `actor`; each answer paired with its name.
async fn every_command(
    w: &World,
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
            ok(w.service
                .invite(actor, org, email(), Channel::Email, user_access())
                .await),
        ),
        (
            "invite_many",
            ok(w.service
                .invite_many(actor, org, &["new@example.com"], user_access())
                .await),
        ),
        (
            "invite_directory_users",
            ok(w.service
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
        ("resend", ok(w.service.resend(actor, pending).await)),
        ("cancel", ok(w.service.cancel(actor, pending).await)),
        (
            "edit_access",
            ok(w.service
                .edit_access(actor, pending, Access::user(Role::Admin))
                .await),
        ),
        (
            "mark_completed",
            ok(w.service.mark_completed(actor, never_used).await),
        ),
        (
            "send_follow_up",
            ok(w.service.send_follow_up(actor, never_used).await),
        ),
        (
            "record_first_login",
            ok(w.service.record_first_login(actor, member).await),
        ),
        (
            "set_reminders",
            ok(w.service.set_reminders(actor, org, true).await),
        ),
        (
            "update_settings",
            ok(w.service
                .update_settings(actor, org, SettingsUpdate::default())
                .await),
        ),
        (
            "add_member",
            ok(w.service
                .add_member(actor, org, email(), None, user_access())
                .await),
        ),
        (
            "remove_member",
            ok(w.service.remove_member(actor, member).await),
        ),
        (
            "change_seat_limit",
            ok(w.service.change_seat_limit(actor, org, 99).await),
        ),
        (
            "change_seat_policy",
            ok(w.service
                .change_seat_policy(actor, org, SeatPolicy::ReserveOnInvite)
                .await),
        ),
        (
            "create_organization",
            ok(w.service
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
async fn scene(w: &World) -> (Organization, Actor, InvitationId, InvitationId, MemberId) {
    let (org, admin) = w.standalone(10).await;
    let pending = w.invite(&admin, org.id, "pending@example.com").await;
    w.service
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
    w.deliver().await;
    let bob = w.sign_up("bob@example.com").await;
    w.advance(TimeDelta::minutes(5));
    (org, admin, pending.id, bob.invitation.id, bob.member.id)
}

#[tokio::test]
async fn r10_1_a_read_only_user_is_refused_every_command_and_may_read() {
    let w = World::new();
    let (org, admin, pending, never_used, member) = scene(&w).await;
    let reader = Actor::read_only(org.id, "r1", "Rita");
    let trail_before = w
        .service
        .audit_trail(&admin, org.id, None)
        .await
        .unwrap()
        .len();
    let outbox_before = w.store.outbox_counts();
    // Every command is refused
    for (name, result) in every_command(&w, &reader, org.id, pending, never_used, member).await {
        assert!(
            matches!(result, Err(Error::Refused(Refusal::Forbidden(_)))),
            "{name} by a read-only user: {result:?}"
        );
    }
    // and nothing changed
    assert_eq!(
        w.service
            .audit_trail(&admin, org.id, None)
            .await
            .unwrap()
            .len(),
        trail_before
    );
    assert_eq!(w.store.outbox_counts(), outbox_before);
    assert_eq!(w.status(pending).await, Status::Pending);
    assert_eq!(w.status(never_used).await, Status::NeverUsed);
    // Every read is allowed
    let view = w.service.invitation(&reader, pending).await.unwrap();
    assert_eq!(view.status, Status::Pending);
    assert_eq!(
        w.service
            .dashboard(&reader, org.id)
            .await
            .unwrap()
            .counts
            .all,
        2
    );
    assert_eq!(
        w.service
            .list(&reader, org.id, &ListQuery::tab(Tab::All))
            .await
            .unwrap()
            .rows
            .len(),
        2
    );
    assert_eq!(w.service.seats(&reader, org.id).await.unwrap().used, 1);
    let day = w.now().date_naive();
    assert_eq!(
        w.service
            .series(&reader, org.id, day, day)
            .await
            .unwrap()
            .days
            .len(),
        1
    );
    assert_eq!(
        w.service
            .status_of_users(&reader, org.id, &[UserRef::new("app-bob")])
            .await
            .unwrap()[0]
            .1,
        UserStatus::Invited(Status::NeverUsed)
    );
    assert_eq!(
        w.service
            .audit_trail(&reader, org.id, None)
            .await
            .unwrap()
            .len(),
        trail_before
    );
}

#[tokio::test]
async fn r10_1_a_member_may_report_their_own_first_login_but_not_anothers() {
    let w = World::new();
    let (org, _admin, _pending, never_used, member) = scene(&w).await;
    // A read-only colleague may not complete bob's invitation
    let colleague = Actor::read_only(org.id, "r1", "Rita");
    assert!(matches!(
        refused(w.service.record_first_login(&colleague, member).await),
        Refusal::Forbidden(_)
    ));
    assert_eq!(w.status(never_used).await, Status::NeverUsed);
    // bob himself, signed in as a read-only user, reports his own first login
    let bob = Actor::read_only(org.id, "app-bob", "Bob");
    w.service.record_first_login(&bob, member).await.unwrap();
    assert_eq!(w.status(never_used).await, Status::Completed);
}

#[tokio::test]
async fn r10_1_no_one_acts_on_or_reads_another_organizations_invitations() {
    let w = World::new();
    let (org, _admin, pending, never_used, member) = scene(&w).await;
    let (_other, other_admin) = w.standalone(10).await;
    for (name, result) in every_command(&w, &other_admin, org.id, pending, never_used, member).await
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
        operator(),
    ] {
        let r = w
            .service
            .invite(
                &actor,
                org.id,
                Contact::parse_email("x@example.com").unwrap(),
                Channel::Email,
                user_access(),
            )
            .await;
        assert!(matches!(refused(r), Refusal::Forbidden(_)), "{actor}");
        assert!(matches!(
            refused(w.service.cancel(&actor, pending).await),
            Refusal::Forbidden(_) | Refusal::InvitationNotFound(_)
        ));
    }
    // reads are refused too; to an outsider the invitation does not exist
    assert_eq!(
        refused(w.service.invitation(&other_admin, pending).await),
        Refusal::InvitationNotFound(pending)
    );
    assert!(matches!(
        refused(w.service.dashboard(&other_admin, org.id).await),
        Refusal::Forbidden(_)
    ));
    assert!(matches!(
        refused(w.service.audit_trail(&other_admin, org.id, None).await),
        Refusal::Forbidden(_)
    ));
    assert_eq!(w.status(pending).await, Status::Pending);
}

#[tokio::test]
async fn r10_1_admins_invite_resend_cancel_edit_and_mark_completed() {
    let w = World::new();
    let (org, admin, pending, never_used, _member) = scene(&w).await;
    // Any admin of the organization, not only the one who sent the invitation
    let other_admin = Actor::admin(org.id, "u9", "Nina");
    let inv = w
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
    w.service
        .edit_access(&other_admin, pending, Access::user(Role::Admin))
        .await
        .unwrap();
    w.service.resend(&other_admin, pending).await.unwrap();
    w.service.cancel(&admin, inv.id).await.unwrap();
    w.service
        .mark_completed(&other_admin, never_used)
        .await
        .unwrap();
    assert_eq!(w.status(pending).await, Status::Queued);
    assert_eq!(w.status(inv.id).await, Status::Cancelled);
    assert_eq!(w.status(never_used).await, Status::Completed);
}

#[tokio::test]
async fn r10_2_every_change_is_audited_with_actor_time_and_before_after_status() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let t_invite = w.now();
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.advance(TimeDelta::minutes(1));
    let t_deliver = w.now();
    w.deliver().await;
    w.advance(TimeDelta::minutes(1));
    let t_edit = w.now();
    w.service
        .edit_access(&admin, inv.id, Access::user(Role::Admin))
        .await
        .unwrap();
    w.advance(TimeDelta::minutes(1));
    let t_resend = w.now();
    w.service.resend(&admin, inv.id).await.unwrap();
    w.advance(TimeDelta::minutes(1));
    let t_redeliver = w.now();
    w.deliver().await;
    w.advance(TimeDelta::minutes(1));
    let t_signup = w.now();
    let signup = w.sign_up("bob@example.com").await;
    w.advance(TimeDelta::minutes(1));
    let t_login = w.now();
    w.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    // One event per change, oldest first, each with actor, time and before/after status
    let trail = w
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
    let other = w.invite(&admin, org.id, "carl@example.com").await;
    w.service.cancel(&admin, other.id).await.unwrap();
    let cancel = w
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
            w.now(),
            Some(Queued),
            Some(Cancelled)
        )
    );
    w.service.set_reminders(&admin, org.id, true).await.unwrap();
    w.service
        .change_seat_limit(&operator(), org.id, 8)
        .await
        .unwrap();
    let org_events: Vec<_> = w
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
            (AuditAction::OrganizationCreated, operator()),
            (
                AuditAction::RemindersSwitched { enabled: true },
                admin.clone()
            ),
            (AuditAction::SeatLimitChanged { from: 5, to: 8 }, operator()),
        ]
    );
}
