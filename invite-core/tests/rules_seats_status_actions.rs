//! Domain rule tests for seats (R3), status (R4) and actions (R5) of SPEC.md.

mod common;

use chrono::TimeDelta;
use common::*;
use invite_core::*;
use std::sync::Arc;

/// Adds a member without invitation (the organization's own admin, say).
async fn add_member(w: &World, admin: &Actor, org: OrgId, email: &str) -> Result<Member, Error> {
    w.service
        .add_member(
            admin,
            org,
            Contact::parse_email(email).unwrap(),
            None,
            Access::user(Role::Admin),
        )
        .await
}

fn reserve_on_invite(seats: u32) -> OrgSettings {
    OrgSettings {
        seat_policy: SeatPolicy::ReserveOnInvite,
        ..OrgSettings::with_seats(seats)
    }
}

// ------------------------------------------------------------------------------------ R3

#[tokio::test]
async fn r3_1_a_seat_is_a_registered_user_admins_included_and_used_plus_available_is_limit() {
    let w = World::new();
    let (org, admin) = w.standalone(4).await;
    // Given the organization's own admin registered directly
    add_member(&w, &operator(), org.id, "ann@example.com")
        .await
        .unwrap();
    assert_eq!(w.seats(org.id).await, Seats::new(4, 1));
    // and one invitee, invited (no seat yet under ClaimOnSignup) then signed up
    w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    assert_eq!(w.seats(org.id).await.used, 1);
    w.sign_up("bob@example.com").await;
    // Then two seats are used, two available: used + available = limit
    let seats = w.service.seats(&admin, org.id).await.unwrap();
    assert_eq!(
        seats,
        Seats {
            limit: 4,
            used: 2,
            available: 2
        }
    );
    assert_eq!(seats.used + seats.available, seats.limit);
    // and the dashboard shows the same three figures
    let d = w.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(d.seats, seats);
}

#[tokio::test]
async fn r3_2_signup_fails_when_seats_exhausted_and_the_invitation_becomes_failed() {
    let w = World::new();
    let (org, admin) = w.standalone(1).await;
    // Given two invitations for one seat (allowed: one seat is available when inviting)
    let first = w.invite(&admin, org.id, "first@example.com").await;
    let second = w.invite(&admin, org.id, "second@example.com").await;
    w.deliver().await;
    // When the first signs up, the seat is taken
    w.sign_up("first@example.com").await;
    assert_eq!(w.status(first.id).await, Status::NeverUsed);
    // Then the second signup fails
    let token = w.link_for("second@example.com");
    assert_eq!(
        refused(w.service.sign_up(&token, None).await),
        Refusal::SeatsExhausted
    );
    // and the invitation is Failed with the reason "seats exhausted"
    let rec = w.inv(second.id).await;
    assert_eq!(rec.status_at(w.now()), Status::Failed);
    assert_eq!(rec.failure().cloned(), Some(FailureReason::SeatsExhausted));
    assert_eq!(
        rec.failure().cloned().unwrap().to_string(),
        "seats exhausted"
    );
    assert_eq!(rec.member(), None);
    assert_eq!(w.seats(org.id).await, Seats::new(1, 1));
    // recorded in the audit trail as a signup failure
    let trail = w
        .service
        .audit_trail(&admin, org.id, Some(second.id))
        .await
        .unwrap();
    let last = trail.last().unwrap();
    assert_eq!(last.action, AuditAction::SignupFailedSeatsExhausted);
    assert_eq!(
        (last.before, last.after),
        (Some(Status::Pending), Some(Status::Failed))
    );
}

#[tokio::test]
async fn r3_3_inviting_needs_an_available_seat_and_nothing_is_queued_without_one() {
    let w = World::new();
    let (org, admin) = w.standalone(1).await;
    add_member(&w, &admin, org.id, "ann@example.com")
        .await
        .unwrap();
    assert_eq!(w.seats(org.id).await.available, 0);
    // A single invite is refused
    let r = w
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("bob@example.com").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await;
    assert_eq!(refused(r), Refusal::NoSeatsAvailable);
    // So is each address of a bulk invite
    let out = w
        .service
        .invite_many(
            &admin,
            org.id,
            &["c@example.com", "+79051111111"],
            user_access(),
        )
        .await
        .unwrap();
    assert!(
        out.iter()
            .all(|o| o.result == Err(Refusal::NoSeatsAvailable))
    );
    // and nothing was queued or listed
    assert_eq!(w.store.outbox_counts(), (0, 0, 0, 0));
    assert_eq!(w.deliver().await.claimed, 0);
    assert_eq!(
        w.service
            .dashboard(&admin, org.id)
            .await
            .unwrap()
            .counts
            .all,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r3_4_two_signups_racing_for_the_last_seat_give_exactly_one_member() {
    for round in 0..20 {
        let w = Arc::new(World::new());
        let (org, admin) = w.standalone(1).await;
        w.invite(&admin, org.id, "a@example.com").await;
        w.invite(&admin, org.id, "b@example.com").await;
        w.deliver().await;
        let tokens = [w.link_for("a@example.com"), w.link_for("b@example.com")];
        let tasks: Vec<_> = tokens
            .into_iter()
            .map(|t| {
                let w = w.clone();
                tokio::spawn(async move { w.service.sign_up(&t, None).await })
            })
            .collect();
        let mut members = 0;
        let mut exhausted = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => members += 1,
                Err(Error::Refused(Refusal::SeatsExhausted)) => exhausted += 1,
                Err(e) => panic!("round {round}: unexpected {e:?}"),
            }
        }
        assert_eq!((members, exhausted), (1, 1), "round {round}");
        assert_eq!(w.seats(org.id).await, Seats::new(1, 1), "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r3_4_used_seats_never_exceed_the_limit_under_many_concurrent_signups() {
    let w = Arc::new(World::new());
    let (org, admin) = w.standalone(3).await;
    let addresses: Vec<String> = (0..12).map(|i| format!("u{i}@example.com")).collect();
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    w.service
        .invite_many(&admin, org.id, &refs, user_access())
        .await
        .unwrap();
    w.deliver().await;
    let tasks: Vec<_> = addresses
        .iter()
        .map(|a| {
            let w = w.clone();
            let token = w.link_for(a);
            tokio::spawn(async move { w.service.sign_up(&token, None).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert!(
                matches!(e, Error::Refused(Refusal::SeatsExhausted)),
                "{e:?}"
            ),
        }
    }
    assert_eq!(ok, 3);
    assert_eq!(w.seats(org.id).await, Seats::new(3, 3));
    let d = w.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!((d.counts.never_used, d.counts.expired_or_failed), (3, 9));
}

#[tokio::test]
async fn r3_4_used_seats_never_exceed_the_limit_after_a_seat_policy_switch() {
    let w = World::new();
    let (org, admin) = w.standalone(2).await;
    // Given five live invitations on two seats (allowed under ClaimOnSignup)
    for i in 0..5 {
        w.invite(&admin, org.id, &format!("p{i}@example.com")).await;
    }
    w.deliver().await;
    // When the operator switches to ReserveOnInvite and all five sign up
    w.service
        .change_seat_policy(&operator(), org.id, SeatPolicy::ReserveOnInvite)
        .await
        .unwrap();
    let mut refused = 0;
    for i in 0..5 {
        let token = w.link_for(&format!("p{i}@example.com"));
        match w.service.sign_up(&token, None).await {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.refusal(), Some(&Refusal::SeatsExhausted));
                refused += 1;
            }
        }
    }
    // Then exactly two are members and the other three failed for seats (R3.2)
    let d = w.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(d.counts.never_used, 2);
    assert_eq!(d.counts.expired_or_failed, 3);
    assert_eq!(refused, 3);
}

#[tokio::test]
async fn r3_5_under_reserve_on_invite_a_live_invitation_holds_a_seat() {
    let w = World::new();
    let (org, admin) = w.standalone_with(reserve_on_invite(3)).await;
    // Given two live invitations out of three seats
    w.invite(&admin, org.id, "a@example.com").await;
    w.invite(&admin, org.id, "b@example.com").await;
    assert_eq!(w.seats(org.id).await, Seats::new(3, 2));
    // When three more are invited at once, only one fits
    let out = w
        .service
        .invite_many(
            &admin,
            org.id,
            &["c@example.com", "d@example.com", "e@example.com"],
            user_access(),
        )
        .await
        .unwrap();
    assert!(out[0].result.is_ok());
    assert_eq!(out[1].result, Err(Refusal::NoSeatsAvailable));
    assert_eq!(out[2].result, Err(Refusal::NoSeatsAvailable));
    assert_eq!(w.seats(org.id).await, Seats::new(3, 3));
    // A signup keeps the seat it reserved: still three used
    w.deliver().await;
    w.sign_up("a@example.com").await;
    assert_eq!(w.seats(org.id).await, Seats::new(3, 3));
}

#[tokio::test]
async fn r3_5_a_reserved_signup_cannot_fail_for_seats() {
    // Under ClaimOnSignup, a member added after the invite takes the last seat and the signup
    // fails; under ReserveOnInvite the invitation holds its seat and the signup succeeds.
    for (policy, signup_ok) in [
        (SeatPolicy::ClaimOnSignup, false),
        (SeatPolicy::ReserveOnInvite, true),
    ] {
        let w = World::new();
        let settings = OrgSettings {
            seat_policy: policy,
            ..OrgSettings::with_seats(1)
        };
        let (org, admin) = w.standalone_with(settings).await;
        let inv = w.invite(&admin, org.id, "a@example.com").await;
        w.deliver().await;
        let added = add_member(&w, &admin, org.id, "z@example.com").await;
        let token = w.link_for("a@example.com");
        let signup = w.service.sign_up(&token, None).await;
        if signup_ok {
            assert_eq!(refused(added), Refusal::NoSeatsAvailable, "{policy:?}");
            assert!(signup.is_ok(), "{policy:?}");
            assert_eq!(w.status(inv.id).await, Status::NeverUsed);
        } else {
            assert!(added.is_ok(), "{policy:?}");
            assert_eq!(refused(signup), Refusal::SeatsExhausted, "{policy:?}");
            assert_eq!(w.status(inv.id).await, Status::Failed);
        }
        assert_eq!(w.seats(org.id).await, Seats::new(1, 1), "{policy:?}");
    }
}

#[tokio::test]
async fn r3_5_a_reservation_ends_when_the_invitation_expires_fails_or_is_cancelled() {
    let w = World::new();
    let (org, admin) = w.standalone_with(reserve_on_invite(3)).await;
    w.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    let expiring = w.invite(&admin, org.id, "expiring@example.com").await;
    let failing = w.invite(&admin, org.id, "failed@example.com").await;
    let cancelled = w.invite(&admin, org.id, "cancelled@example.com").await;
    assert_eq!(w.seats(org.id).await, Seats::new(3, 3));
    // Delivery fails for good: its seat is free
    w.deliver().await;
    assert_eq!(w.status(failing.id).await, Status::Failed);
    assert_eq!(w.seats(org.id).await, Seats::new(3, 2));
    // Cancelled: free
    w.service.cancel(&admin, cancelled.id).await.unwrap();
    assert_eq!(w.seats(org.id).await, Seats::new(3, 1));
    // Expired, with no sweeper run: free
    w.advance(TimeDelta::hours(72));
    assert_eq!(w.status(expiring.id).await, Status::Expired);
    assert_eq!(w.seats(org.id).await, Seats::new(3, 0));
    // and three new invitations fit again
    let out = w
        .service
        .invite_many(
            &admin,
            org.id,
            &["x@example.com", "y@example.com", "z@example.com"],
            user_access(),
        )
        .await
        .unwrap();
    assert!(out.iter().all(|o| o.result.is_ok()));
}

#[tokio::test]
async fn r3_6_removing_a_member_frees_the_seat() {
    let w = World::new();
    let (org, admin) = w.standalone(1).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    let signup = w.sign_up("bob@example.com").await;
    let r = w
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("carl@example.com").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await;
    assert_eq!(refused(r), Refusal::NoSeatsAvailable);
    // When the member is removed
    let removed = w
        .service
        .remove_member(&admin, signup.member.id)
        .await
        .unwrap();
    assert!(removed.removed_at.is_some());
    // Then the seat is free, and the old invitation left the lists
    assert_eq!(w.seats(org.id).await, Seats::new(1, 0));
    assert_eq!(w.status(inv.id).await, Status::Cancelled);
    w.invite(&admin, org.id, "carl@example.com").await;
    // and the removed person may be invited again
    w.deliver().await;
    w.sign_up("carl@example.com").await;
    assert_eq!(w.seats(org.id).await, Seats::new(1, 1));
}

#[tokio::test]
async fn r3_6_lowering_the_limit_below_the_seats_used_blocks_new_registrations_until_seats_free() {
    let w = World::new();
    let (org, admin) = w.standalone(4).await;
    let m1 = add_member(&w, &admin, org.id, "m1@example.com")
        .await
        .unwrap();
    let m2 = add_member(&w, &admin, org.id, "m2@example.com")
        .await
        .unwrap();
    add_member(&w, &admin, org.id, "m3@example.com")
        .await
        .unwrap();
    let pending = w.invite(&admin, org.id, "p@example.com").await;
    w.deliver().await;
    // When the operator lowers the limit to 2, below the 3 used: allowed
    w.service
        .change_seat_limit(&operator(), org.id, 2)
        .await
        .unwrap();
    let seats = w.seats(org.id).await;
    assert_eq!((seats.limit, seats.used, seats.available), (2, 3, 0));
    // Then no one new can register: no invite, no member, no signup
    let r = w
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("new@example.com").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await;
    assert_eq!(refused(r), Refusal::NoSeatsAvailable);
    assert_eq!(
        refused(add_member(&w, &admin, org.id, "m4@example.com").await),
        Refusal::NoSeatsAvailable
    );
    let token = w.link_for("p@example.com");
    assert_eq!(
        refused(w.service.sign_up(&token, None).await),
        Refusal::SeatsExhausted
    );
    assert_eq!(w.status(pending.id).await, Status::Failed);
    // Removing one member is not enough (3 -> 2 of 2)
    w.service.remove_member(&admin, m1.id).await.unwrap();
    assert_eq!(w.seats(org.id).await, Seats::new(2, 2));
    assert!(
        add_member(&w, &admin, org.id, "m4@example.com")
            .await
            .is_err()
    );
    // Removing a second frees one
    w.service.remove_member(&admin, m2.id).await.unwrap();
    assert_eq!(w.seats(org.id).await, Seats::new(2, 1));
    w.invite(&admin, org.id, "new@example.com").await;
}

// ------------------------------------------------------------------------------------ R4

#[tokio::test]
async fn r4_1_an_accepted_invitation_is_queued_until_delivered() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    w.notifier.script("bob@example.com", &[Scripted::Transient]);
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    // Accepted, not delivered
    assert_eq!(inv.status_at(w.now()), Status::Queued);
    assert_eq!(w.status(inv.id).await, Status::Queued);
    assert_eq!(Status::Queued.tab(), Some(Tab::Pending));
    // A failed attempt that will be retried keeps it Queued
    let r = w.deliver().await;
    assert_eq!((r.sent, r.retried), (0, 1));
    assert_eq!(w.status(inv.id).await, Status::Queued);
    // Queued does not expire: it has no link yet (code's choice; validity runs from delivery)
    w.advance(TimeDelta::hours(24 * 10));
    assert_eq!(w.status(inv.id).await, Status::Queued);
    // Delivered: no longer Queued
    w.deliver().await;
    assert_eq!(w.status(inv.id).await, Status::Pending);
}

#[tokio::test]
async fn r4_2_a_delivered_invitation_is_pending_while_its_link_is_valid() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    assert_eq!(w.status(inv.id).await, Status::Pending);
    w.advance(TimeDelta::hours(71));
    assert_eq!(w.status(inv.id).await, Status::Pending);
    let view = w.service.invitation(&admin, inv.id).await.unwrap();
    assert_eq!(view.status, Status::Pending);
    assert_eq!(Status::Pending.tab(), Some(Tab::Pending));
    // The link works while Pending
    w.sign_up("bob@example.com").await;
}

#[tokio::test]
async fn r4_3_expiry_is_exactly_the_validity_after_delivery_without_any_sweeper() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let t0 = w.now();
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    // Delivered an hour after the invite
    w.advance(TimeDelta::hours(1));
    w.deliver().await;
    let delivered = w.now();
    assert_eq!(
        w.inv(inv.id).await.expires_at(),
        Some(delivered + TimeDelta::hours(72))
    );
    // 72 h after the invite (71 h after delivery): still Pending
    w.set(t0 + TimeDelta::hours(72));
    assert_eq!(w.status(inv.id).await, Status::Pending);
    // One second before the validity after delivery: Pending
    w.set(delivered + TimeDelta::hours(72) - TimeDelta::seconds(1));
    assert_eq!(w.status(inv.id).await, Status::Pending);
    // At exactly the validity after delivery: Expired, nothing having run in between
    w.set(delivered + TimeDelta::hours(72));
    assert_eq!(w.status(inv.id).await, Status::Expired);
    let view = w.service.invitation(&admin, inv.id).await.unwrap();
    assert_eq!(view.status, Status::Expired);
    let d = w.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!((d.counts.pending, d.counts.expired_or_failed), (0, 1));
    // and the link is refused as expired
    let token = w.link_for("bob@example.com");
    assert_eq!(
        refused(w.service.sign_up(&token, None).await),
        Refusal::LinkExpired
    );
}

#[tokio::test]
async fn r4_4_failed_keeps_the_reason_rejected_address_retries_exhausted_or_seats() {
    let w = World::new();
    let (org, admin) = w.standalone(1).await;
    w.notifier
        .script("rejected@example.com", &[Scripted::Permanent]);
    w.notifier
        .script("flaky@example.com", &[Scripted::Transient; 8]);
    let rejected = w.invite(&admin, org.id, "rejected@example.com").await;
    let flaky = w.invite(&admin, org.id, "flaky@example.com").await;
    let late = w.invite(&admin, org.id, "late@example.com").await;
    w.invite(&admin, org.id, "early@example.com").await;
    // Retries run over hours of back-off
    for _ in 0..12 {
        w.deliver().await;
        w.advance(TimeDelta::hours(1));
    }
    w.sign_up("early@example.com").await;
    let token = w.link_for("late@example.com");
    assert_eq!(
        refused(w.service.sign_up(&token, None).await),
        Refusal::SeatsExhausted
    );

    let failure = |id| {
        let w = &w;
        async move {
            let inv = w.inv(id).await;
            assert_eq!(inv.status_at(w.now()), Status::Failed);
            inv.failure().cloned().unwrap()
        }
    };
    assert_eq!(
        failure(rejected.id).await,
        FailureReason::DeliveryRejected("550 no such user (scripted)".into())
    );
    assert_eq!(
        failure(flaky.id).await,
        FailureReason::RetriesExhausted("451 mailbox busy (scripted)".into())
    );
    assert_eq!(failure(late.id).await, FailureReason::SeatsExhausted);
    // The reason is shown to admins in the list, under Expired or Failed
    let page = w
        .service
        .list(&admin, org.id, &ListQuery::tab(Tab::ExpiredOrFailed))
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 3);
    assert!(
        page.rows
            .iter()
            .all(|r| r.status == Status::Failed && r.invitation.failure().cloned().is_some())
    );
}

#[tokio::test]
async fn r4_5_never_used_is_signed_up_holding_a_seat_and_never_logged_in() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    let signup = w.sign_up("bob@example.com").await;
    assert_eq!(signup.invitation.status_at(w.now()), Status::NeverUsed);
    assert_eq!(w.status(inv.id).await, Status::NeverUsed);
    // holds a seat
    assert_eq!(w.seats(org.id).await, Seats::new(5, 1));
    let member = w.store.member(signup.member.id).await.unwrap().unwrap();
    assert!(member.is_active());
    assert_eq!(member.invitation, Some(inv.id));
    let rec = w.inv(inv.id).await;
    assert_eq!(rec.member(), Some(member.id));
    assert_eq!(rec.first_login_at(), None);
    // and stays Never Used however long it waits (no expiry after signup)
    w.advance(TimeDelta::days(30));
    assert_eq!(w.status(inv.id).await, Status::NeverUsed);
    assert_eq!(Status::NeverUsed.tab(), Some(Tab::NeverUsed));
}

#[tokio::test]
async fn r4_6_completed_after_first_login_or_marked_by_an_admin() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let by_login = w.invite(&admin, org.id, "login@example.com").await;
    let by_admin = w.invite(&admin, org.id, "admin@example.com").await;
    w.deliver().await;
    let s1 = w.sign_up("login@example.com").await;
    w.sign_up("admin@example.com").await;
    w.advance(TimeDelta::hours(2));
    // Logged in
    w.service
        .record_first_login(&Actor::Application, s1.member.id)
        .await
        .unwrap();
    let rec = w.inv(by_login.id).await;
    assert_eq!(rec.status_at(w.now()), Status::Completed);
    assert_eq!(rec.completed(), Some((w.now(), CompletedBy::FirstLogin)));
    // Marked
    w.service.mark_completed(&admin, by_admin.id).await.unwrap();
    let rec = w.inv(by_admin.id).await;
    assert_eq!(rec.status_at(w.now()), Status::Completed);
    assert_eq!(rec.completed(), Some((w.now(), CompletedBy::Admin)));
    // Both still hold their seat
    assert_eq!(w.seats(org.id).await, Seats::new(5, 2));
    let d = w.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!((d.counts.completed, d.counts.never_used), (2, 0));
}

#[tokio::test]
async fn r4_7_a_cancelled_invitation_has_a_dead_link_and_leaves_every_list_but_the_audit() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let pending = w.invite(&admin, org.id, "pending@example.com").await;
    w.deliver().await;
    let token = w.link_for("pending@example.com");
    let queued = w.invite(&admin, org.id, "queued@example.com").await;
    // When both are cancelled, one delivered and one still queued
    w.service.cancel(&admin, pending.id).await.unwrap();
    w.service.cancel(&admin, queued.id).await.unwrap();
    assert_eq!(w.status(pending.id).await, Status::Cancelled);
    assert_eq!(w.status(queued.id).await, Status::Cancelled);
    // Then the delivered link is dead
    assert_eq!(
        refused(w.service.sign_up(&token, None).await),
        Refusal::LinkCancelled
    );
    // the queued message is never sent
    let r = w.deliver().await;
    assert_eq!((r.sent, r.dropped), (0, 1));
    assert!(w.delivered_to("queued@example.com").is_empty());
    // no tab lists them and no count includes them
    for tab in Tab::ALL {
        let page = w
            .service
            .list(&admin, org.id, &ListQuery::tab(tab))
            .await
            .unwrap();
        assert!(page.rows.is_empty(), "{tab}");
    }
    let d = w.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(d.counts, TabCounts::default());
    assert_eq!(Status::Cancelled.tab(), None);
    // but the audit trail keeps them
    let trail = w
        .service
        .audit_trail(&admin, org.id, Some(pending.id))
        .await
        .unwrap();
    let cancel = trail
        .iter()
        .find(|e| e.action == AuditAction::Cancelled)
        .unwrap();
    assert_eq!(
        (cancel.before, cancel.after),
        (Some(Status::Pending), Some(Status::Cancelled))
    );
    // and a direct read still finds it, with no action left
    let view = w.service.invitation(&admin, pending.id).await.unwrap();
    assert_eq!(view.status, Status::Cancelled);
    assert!(view.actions.is_empty());
}

#[tokio::test]
async fn r4_8_tabs_and_their_counts() {
    let w = World::new();
    let (org, admin) = w.standalone(20).await;
    // One expired (made first: it needs the clock to move)
    w.invite(&admin, org.id, "expired@example.com").await;
    w.deliver().await;
    w.advance(TimeDelta::hours(72));
    // One failed, one pending, one never used, two completed, one cancelled
    w.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    for a in ["failed", "pending", "never", "login", "marked", "cancelled"] {
        w.invite(&admin, org.id, &format!("{a}@example.com")).await;
    }
    w.deliver().await;
    w.sign_up("never@example.com").await;
    let login = w.sign_up("login@example.com").await;
    w.service
        .record_first_login(&Actor::Application, login.member.id)
        .await
        .unwrap();
    let marked = w.sign_up("marked@example.com").await;
    w.service
        .mark_completed(&admin, marked.invitation.id)
        .await
        .unwrap();
    let cancelled = w
        .service
        .list(
            &admin,
            org.id,
            &ListQuery {
                search: Some("cancelled".into()),
                ..ListQuery::tab(Tab::All)
            },
        )
        .await
        .unwrap()
        .rows[0]
        .invitation
        .id;
    w.service.cancel(&admin, cancelled).await.unwrap();
    // and two queued
    w.invite(&admin, org.id, "queued1@example.com").await;
    w.invite(&admin, org.id, "queued2@example.com").await;

    // Then the counts are: All = everything but Cancelled, Pending = Queued + Pending, ...
    let counts = w.service.dashboard(&admin, org.id).await.unwrap().counts;
    assert_eq!(counts.of(Tab::All), 8);
    assert_eq!(counts.of(Tab::Pending), 3);
    assert_eq!(counts.of(Tab::NeverUsed), 1);
    assert_eq!(counts.of(Tab::ExpiredOrFailed), 2);
    assert_eq!(counts.of(Tab::Completed), 2);
    // and each tab lists exactly its count, of the statuses it holds
    for tab in Tab::ALL {
        let page = w
            .service
            .list(&admin, org.id, &ListQuery::tab(tab))
            .await
            .unwrap();
        assert_eq!(page.rows.len() as u64, counts.of(tab), "{tab}");
        assert!(page.rows.iter().all(|r| tab.contains(r.status)), "{tab}");
    }
    let pending_tab = w
        .service
        .list(&admin, org.id, &ListQuery::tab(Tab::Pending))
        .await
        .unwrap();
    let mut statuses: Vec<Status> = pending_tab.rows.iter().map(|r| r.status).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        vec![Status::Queued, Status::Queued, Status::Pending]
    );
    // The tab membership of each status
    assert!(Tab::ExpiredOrFailed.contains(Status::Expired));
    assert!(Tab::ExpiredOrFailed.contains(Status::Failed));
    assert!(!Tab::All.contains(Status::Cancelled));
    for s in Status::ALL.into_iter().filter(|s| *s != Status::Cancelled) {
        assert!(Tab::All.contains(s));
        assert_eq!(
            Tab::ALL[1..].iter().filter(|t| t.contains(s)).count(),
            1,
            "{s:?}"
        );
    }
}

// ------------------------------------------------------------------------------------ R5

const COMMANDS: [Action; 5] = [
    Action::Resend,
    Action::Cancel,
    Action::EditAccess,
    Action::SendFollowUp,
    Action::MarkCompleted,
];

async fn perform(
    w: &World,
    admin: &Actor,
    id: InvitationId,
    action: Action,
) -> Result<Invitation, Error> {
    match action {
        Action::Resend => w.service.resend(admin, id).await,
        Action::Cancel => w.service.cancel(admin, id).await,
        Action::EditAccess => {
            w.service
                .edit_access(admin, id, Access::user(Role::Admin))
                .await
        }
        Action::SendFollowUp => w.service.send_follow_up(admin, id).await,
        Action::MarkCompleted => w.service.mark_completed(admin, id).await,
        Action::Details => w.service.invitation(admin, id).await.map(|v| v.invitation),
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
        let w = World::new();
        let (org, admin) = w.standalone(5).await;
        let id = w.in_status(&admin, org.id, "bob@example.com", status).await;
        w.advance(TimeDelta::minutes(5)); // past the resend cool-down
        let before = w.inv(id).await;
        let now = w.now();
        for action in COMMANDS.into_iter().filter(|a| !status.allows(*a)) {
            let r = perform(&w, &admin, id, action).await;
            assert_eq!(
                refused(r),
                Refusal::ActionNotAllowed {
                    action,
                    status: before.status_at(now)
                },
                "{action:?} on {status:?}"
            );
        }
        // nothing changed
        assert_eq!(w.inv(id).await, before, "{status:?}");
        // and the view offers exactly the table's actions
        let view = w.service.invitation(&admin, id).await.unwrap();
        assert_eq!(view.actions, view.status.actions());
    }
}

#[tokio::test]
async fn r5_1_every_action_in_the_table_is_performed() {
    for status in Status::ALL {
        for action in status.actions().iter().copied() {
            let w = World::new();
            let (org, admin) = w.standalone(5).await;
            let id = w.in_status(&admin, org.id, "bob@example.com", status).await;
            w.advance(TimeDelta::minutes(5)); // past the resend cool-down
            let done = perform(&w, &admin, id, action)
                .await
                .unwrap_or_else(|e| panic!("{action:?} on {status:?}: {e:?}"));
            let expected = match action {
                Action::Resend => Status::Queued,
                Action::Cancel => Status::Cancelled,
                Action::MarkCompleted => Status::Completed,
                Action::EditAccess | Action::SendFollowUp | Action::Details => status,
            };
            assert_eq!(w.status(id).await, expected, "{action:?} on {status:?}");
            if action == Action::EditAccess {
                assert_eq!(done.access().clone(), Access::user(Role::Admin));
            }
        }
    }
}

#[tokio::test]
async fn r5_2_resend_mints_a_new_link_and_kills_the_previous_ones() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    let old = w.link_for("bob@example.com");
    w.advance(TimeDelta::minutes(10));
    // When resent
    let resent = w.service.resend(&admin, inv.id).await.unwrap();
    assert_eq!(resent.link_generation(), inv.link_generation() + 1);
    // Then a new delivery is queued and the old link is dead at once
    assert_eq!(w.status(inv.id).await, Status::Queued);
    assert_eq!(
        refused(w.service.sign_up(&old, None).await),
        Refusal::LinkSuperseded
    );
    let r = w.deliver().await;
    assert_eq!(r.sent, 1);
    let msgs = w.delivered_to("bob@example.com");
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].kind, MessageKind::Resend);
    let new = token_of(&msgs[1]);
    assert_ne!(new, old);
    // the old link stays dead after delivery, and the new one works
    assert_eq!(
        refused(w.service.sign_up(&old, None).await),
        Refusal::LinkSuperseded
    );
    let signup = w.service.sign_up(&new, None).await.unwrap();
    assert_eq!(signup.invitation.id, inv.id);
}

#[tokio::test]
async fn r5_2_a_resend_within_the_cool_down_is_refused_so_a_double_click_sends_one_message() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    let delivered = w.now();
    // 30 s after the delivery: refused, with when it will be allowed
    w.advance(TimeDelta::seconds(30));
    assert_eq!(
        refused(w.service.resend(&admin, inv.id).await),
        Refusal::ResendCooldown {
            retry_after: delivered + TimeDelta::seconds(60)
        }
    );
    // at 60 s: accepted
    w.advance(TimeDelta::seconds(30));
    w.service.resend(&admin, inv.id).await.unwrap();
    let resent_at = w.now();
    let double_click = Refusal::ResendCooldown {
        retry_after: resent_at + TimeDelta::seconds(60),
    };
    // A double click a second later, before delivery: refused by the cool-down
    w.advance(TimeDelta::seconds(1));
    assert_eq!(
        refused(w.service.resend(&admin, inv.id).await),
        double_click
    );
    // and the same answer once the resend was delivered in between
    w.deliver().await;
    w.advance(TimeDelta::seconds(1));
    assert_eq!(
        refused(w.service.resend(&admin, inv.id).await),
        double_click
    );
    w.deliver().await;
    let resends = w
        .delivered_to("bob@example.com")
        .into_iter()
        .filter(|n| n.kind == MessageKind::Resend)
        .count();
    assert_eq!(resends, 1);
    assert_eq!(w.inv(inv.id).await.send_count(), 2);
}

#[tokio::test]
async fn r5_2_the_validity_period_restarts_when_the_resend_is_delivered() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let t0 = w.now();
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    // Resent at 70 h, delivered 10 minutes later
    w.set(t0 + TimeDelta::hours(70));
    w.service.resend(&admin, inv.id).await.unwrap();
    // Queued while waiting, even past the first link's expiry
    w.set(t0 + TimeDelta::hours(72));
    assert_eq!(w.status(inv.id).await, Status::Queued);
    let redelivered = t0 + TimeDelta::hours(70) + TimeDelta::minutes(10);
    w.set(redelivered);
    w.deliver().await;
    assert_eq!(
        w.inv(inv.id).await.expires_at(),
        Some(redelivered + TimeDelta::hours(72))
    );
    // Then it is Pending well after the first period would have ended
    w.set(t0 + TimeDelta::hours(100));
    assert_eq!(w.status(inv.id).await, Status::Pending);
    // and expires 72 h after the redelivery
    w.set(redelivered + TimeDelta::hours(72));
    assert_eq!(w.status(inv.id).await, Status::Expired);
    // An Expired invitation resent is Pending again once delivered
    w.service.resend(&admin, inv.id).await.unwrap();
    w.deliver().await;
    assert_eq!(w.status(inv.id).await, Status::Pending);
    w.sign_up("bob@example.com").await;
}

#[tokio::test]
async fn r5_3_mark_completed_is_for_users_who_do_not_need_the_agent() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let access = Access::user(Role::Admin).as_admin(PermissionLevel::new("owner").unwrap());
    let inv = w
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
        refused(w.service.mark_completed(&admin, inv.id).await),
        Refusal::ActionNotAllowed {
            action: Action::MarkCompleted,
            status: Status::Queued
        }
    );
    w.deliver().await;
    let signup = w.sign_up("boss@example.com").await;
    // When an admin marks the Never Used admin completed
    let done = w.service.mark_completed(&admin, inv.id).await.unwrap();
    assert_eq!(done.status_at(w.now()), Status::Completed);
    assert_eq!(done.completed(), Some((w.now(), CompletedBy::Admin)));
    assert_eq!(done.first_login_at(), None);
    // Then it is not marked twice, and a later first login does not change how it completed
    assert_eq!(
        refused(w.service.mark_completed(&admin, inv.id).await),
        Refusal::ActionNotAllowed {
            action: Action::MarkCompleted,
            status: Status::Completed
        }
    );
    w.advance(TimeDelta::hours(1));
    w.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    let rec = w.inv(inv.id).await;
    assert_eq!(rec.completed().map(|c| c.1), Some(CompletedBy::Admin));
    assert_eq!(rec.first_login_at(), Some(w.now()));
    assert_eq!(w.seats(org.id).await.used, 1);
}

#[tokio::test]
async fn r5_4_a_follow_up_goes_to_a_never_used_user_at_most_once_a_day() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    // Not to someone who has not signed up
    assert_eq!(
        refused(w.service.send_follow_up(&admin, inv.id).await),
        Refusal::ActionNotAllowed {
            action: Action::SendFollowUp,
            status: Status::Pending
        }
    );
    w.sign_up("bob@example.com").await;
    // When the follow-up is sent to the Never Used member
    let first = w.now();
    w.service.send_follow_up(&admin, inv.id).await.unwrap();
    w.deliver().await;
    let follow_ups = |w: &World| {
        w.delivered_to("bob@example.com")
            .into_iter()
            .filter(|n| n.kind == MessageKind::FollowUp)
            .collect::<Vec<_>>()
    };
    let sent = follow_ups(&w);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].signup_url.is_none(),
        "a follow-up carries no signup link"
    );
    // Then another within a day is refused
    w.advance(TimeDelta::hours(23) + TimeDelta::minutes(59));
    assert_eq!(
        refused(w.service.send_follow_up(&admin, inv.id).await),
        Refusal::FollowUpTooSoon {
            retry_after: first + TimeDelta::days(1)
        }
    );
    // and a day later allowed
    w.advance(TimeDelta::minutes(1));
    w.service.send_follow_up(&admin, inv.id).await.unwrap();
    w.deliver().await;
    assert_eq!(follow_ups(&w).len(), 2);
    // Once the member completed, no more follow-ups; a queued one is dropped
    w.advance(TimeDelta::days(1));
    w.service.send_follow_up(&admin, inv.id).await.unwrap();
    w.service.mark_completed(&admin, inv.id).await.unwrap();
    let r = w.deliver().await;
    assert_eq!((r.sent, r.dropped), (0, 1));
    assert_eq!(follow_ups(&w).len(), 2);
    w.advance(TimeDelta::days(1));
    assert_eq!(
        refused(w.service.send_follow_up(&admin, inv.id).await),
        Refusal::ActionNotAllowed {
            action: Action::SendFollowUp,
            status: Status::Completed
        }
    );
}
