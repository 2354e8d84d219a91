//! R3 Seats: what a seat is, exhaustion, racing signups, reservations, removals and lowered limits.

use crate::support::{harness, user_access};
use chrono::TimeDelta;
use invite_core::testkit::*;
use invite_core::*;

/// Adds a member without invitation (the organization's own admin, say).
async fn add_member(
    h: &Harness<MemoryStore>,
    admin: &Actor,
    org: OrgId,
    email: &str,
) -> Result<Member, Error> {
    h.service
        .add_member(
            admin,
            org,
            Contact::parse_email(email).unwrap(),
            None,
            Access::user(Role::Admin),
        )
        .await
}

/// Settings with `seats` seats under `ReserveOnInvite`.
fn reserve_on_invite(seats: u32) -> OrgSettings {
    OrgSettings {
        seat_policy: SeatPolicy::ReserveOnInvite,
        ..OrgSettings::with_seats(seats)
    }
}

#[tokio::test]
async fn r3_1_a_seat_is_a_registered_user_admins_included_and_used_plus_available_is_limit() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(4).await;
    // Given the organization's own admin registered directly
    add_member(&h, &h.operator, org.id, "ann@example.com")
        .await
        .unwrap();
    assert_eq!(h.seats(org.id).await, Seats::new(4, 1));
    // and one invitee, invited (no seat yet under ClaimOnSignup) then signed up
    h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    assert_eq!(h.seats(org.id).await.used, 1);
    h.sign_up_as("bob@example.com").await;
    // Then two seats are used, two available: used + available = limit
    let seats = h.service.seats(&admin, org.id).await.unwrap();
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
    let d = h.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(d.seats, seats);
}

#[tokio::test]
async fn r3_2_signup_fails_when_seats_exhausted_and_the_invitation_becomes_failed() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(1).await;
    // Given two invitations for one seat (allowed: one seat is available when inviting)
    let first = h.invite_as(&admin, org.id, "first@example.com").await;
    let second = h.invite_as(&admin, org.id, "second@example.com").await;
    h.deliver().await;
    // When the first signs up, the seat is taken
    h.sign_up_as("first@example.com").await;
    assert_eq!(h.status(first.id).await, Status::NeverUsed);
    // Then the second signup fails
    let token = h.token_sent_to("second@example.com");
    assert_eq!(
        refusal(h.service.sign_up(&token, None).await),
        Refusal::SeatsExhausted
    );
    // and the invitation is Failed with the reason "seats exhausted"
    let rec = h.invitation(second.id).await;
    assert_eq!(rec.status_at(h.now()), Status::Failed);
    assert_eq!(rec.failure().cloned(), Some(FailureReason::SeatsExhausted));
    assert_eq!(
        rec.failure().cloned().unwrap().to_string(),
        "seats exhausted"
    );
    assert_eq!(rec.member(), None);
    assert_eq!(h.seats(org.id).await, Seats::new(1, 1));
    // recorded in the audit trail as a signup failure
    let trail = h
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
    let h = harness();
    let TestOrg { org, admin } = h.standalone(1).await;
    add_member(&h, &admin, org.id, "ann@example.com")
        .await
        .unwrap();
    assert_eq!(h.seats(org.id).await.available, 0);
    // A single invite is refused
    let r = h
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("bob@example.com").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await;
    assert_eq!(refusal(r), Refusal::NoSeatsAvailable);
    // So is each address of a bulk invite
    let out = h
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
    assert_eq!(h.store.outbox_counts(), (0, 0, 0, 0));
    assert_eq!(h.deliver().await.claimed, 0);
    assert_eq!(
        h.service
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
        let h = harness();
        let TestOrg { org, admin } = h.standalone(1).await;
        h.invite_as(&admin, org.id, "a@example.com").await;
        h.invite_as(&admin, org.id, "b@example.com").await;
        h.deliver().await;
        let tokens = [
            h.token_sent_to("a@example.com"),
            h.token_sent_to("b@example.com"),
        ];
        let tasks: Vec<_> = tokens
            .into_iter()
            .map(|t| {
                let service = h.service.clone();
                tokio::spawn(async move { service.sign_up(&t, None).await })
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
        assert_eq!(h.seats(org.id).await, Seats::new(1, 1), "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r3_4_used_seats_never_exceed_the_limit_under_many_concurrent_signups() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(3).await;
    let addresses: Vec<String> = (0..12).map(|i| format!("u{i}@example.com")).collect();
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    h.service
        .invite_many(&admin, org.id, &refs, user_access())
        .await
        .unwrap();
    h.deliver().await;
    let tasks: Vec<_> = addresses
        .iter()
        .map(|a| {
            let service = h.service.clone();
            let token = h.token_sent_to(a);
            tokio::spawn(async move { service.sign_up(&token, None).await })
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
    assert_eq!(h.seats(org.id).await, Seats::new(3, 3));
    let d = h.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!((d.counts.never_used, d.counts.expired_or_failed), (3, 9));
}

#[tokio::test]
async fn r3_4_used_seats_never_exceed_the_limit_after_a_seat_policy_switch() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(2).await;
    // Given five live invitations on two seats (allowed under ClaimOnSignup)
    for i in 0..5 {
        h.invite_as(&admin, org.id, &format!("p{i}@example.com"))
            .await;
    }
    h.deliver().await;
    // When the operator switches to ReserveOnInvite and all five sign up
    h.service
        .change_seat_policy(&h.operator, org.id, SeatPolicy::ReserveOnInvite)
        .await
        .unwrap();
    let mut refused = 0;
    for i in 0..5 {
        let token = h.token_sent_to(&format!("p{i}@example.com"));
        match h.service.sign_up(&token, None).await {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.refusal(), Some(&Refusal::SeatsExhausted));
                refused += 1;
            }
        }
    }
    // Then exactly two are members and the other three failed for seats (R3.2)
    let d = h.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(d.counts.never_used, 2);
    assert_eq!(d.counts.expired_or_failed, 3);
    assert_eq!(refused, 3);
}

#[tokio::test]
async fn r3_5_under_reserve_on_invite_a_live_invitation_holds_a_seat() {
    let h = harness();
    let TestOrg { org, admin } = h.org_with("Acme", reserve_on_invite(3)).await;
    // Given two live invitations out of three seats
    h.invite_as(&admin, org.id, "a@example.com").await;
    h.invite_as(&admin, org.id, "b@example.com").await;
    assert_eq!(h.seats(org.id).await, Seats::new(3, 2));
    // When three more are invited at once, only one fits
    let out = h
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
    assert_eq!(h.seats(org.id).await, Seats::new(3, 3));
    // A signup keeps the seat it reserved: still three used
    h.deliver().await;
    h.sign_up_as("a@example.com").await;
    assert_eq!(h.seats(org.id).await, Seats::new(3, 3));
}

#[tokio::test]
async fn r3_5_a_reserved_signup_cannot_fail_for_seats() {
    // Under ClaimOnSignup, a member added after the invite takes the last seat and the signup
    // fails; under ReserveOnInvite the invitation holds its seat and the signup succeeds.
    for (policy, signup_ok) in [
        (SeatPolicy::ClaimOnSignup, false),
        (SeatPolicy::ReserveOnInvite, true),
    ] {
        let h = harness();
        let settings = OrgSettings {
            seat_policy: policy,
            ..OrgSettings::with_seats(1)
        };
        let TestOrg { org, admin } = h.org_with("Acme", settings).await;
        let inv = h.invite_as(&admin, org.id, "a@example.com").await;
        h.deliver().await;
        let added = add_member(&h, &admin, org.id, "z@example.com").await;
        let token = h.token_sent_to("a@example.com");
        let signup = h.service.sign_up(&token, None).await;
        if signup_ok {
            assert_eq!(refusal(added), Refusal::NoSeatsAvailable, "{policy:?}");
            assert!(signup.is_ok(), "{policy:?}");
            assert_eq!(h.status(inv.id).await, Status::NeverUsed);
        } else {
            assert!(added.is_ok(), "{policy:?}");
            assert_eq!(refusal(signup), Refusal::SeatsExhausted, "{policy:?}");
            assert_eq!(h.status(inv.id).await, Status::Failed);
        }
        assert_eq!(h.seats(org.id).await, Seats::new(1, 1), "{policy:?}");
    }
}

#[tokio::test]
async fn r3_5_a_reservation_ends_when_the_invitation_expires_fails_or_is_cancelled() {
    let h = harness();
    let TestOrg { org, admin } = h.org_with("Acme", reserve_on_invite(3)).await;
    h.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    let expiring = h.invite_as(&admin, org.id, "expiring@example.com").await;
    let failing = h.invite_as(&admin, org.id, "failed@example.com").await;
    let cancelled = h.invite_as(&admin, org.id, "cancelled@example.com").await;
    assert_eq!(h.seats(org.id).await, Seats::new(3, 3));
    // Delivery fails for good: its seat is free
    h.deliver().await;
    assert_eq!(h.status(failing.id).await, Status::Failed);
    assert_eq!(h.seats(org.id).await, Seats::new(3, 2));
    // Cancelled: free
    h.service.cancel(&admin, cancelled.id).await.unwrap();
    assert_eq!(h.seats(org.id).await, Seats::new(3, 1));
    // Expired, with no sweeper run: free
    h.advance(TimeDelta::hours(72));
    assert_eq!(h.status(expiring.id).await, Status::Expired);
    assert_eq!(h.seats(org.id).await, Seats::new(3, 0));
    // and three new invitations fit again
    let out = h
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
    let h = harness();
    let TestOrg { org, admin } = h.standalone(1).await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    let signup = h.sign_up_as("bob@example.com").await;
    let r = h
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("carl@example.com").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await;
    assert_eq!(refusal(r), Refusal::NoSeatsAvailable);
    // When the member is removed
    let removed = h
        .service
        .remove_member(&admin, signup.member.id)
        .await
        .unwrap();
    assert!(removed.removed_at.is_some());
    // Then the seat is free, and the old invitation left the lists
    assert_eq!(h.seats(org.id).await, Seats::new(1, 0));
    assert_eq!(h.status(inv.id).await, Status::Cancelled);
    h.invite_as(&admin, org.id, "carl@example.com").await;
    // and the removed person may be invited again
    h.deliver().await;
    h.sign_up_as("carl@example.com").await;
    assert_eq!(h.seats(org.id).await, Seats::new(1, 1));
}

#[tokio::test]
async fn r3_6_lowering_the_limit_below_the_seats_used_blocks_new_registrations_until_seats_free() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(4).await;
    let m1 = add_member(&h, &admin, org.id, "m1@example.com")
        .await
        .unwrap();
    let m2 = add_member(&h, &admin, org.id, "m2@example.com")
        .await
        .unwrap();
    add_member(&h, &admin, org.id, "m3@example.com")
        .await
        .unwrap();
    let pending = h.invite_as(&admin, org.id, "p@example.com").await;
    h.deliver().await;
    // When the operator lowers the limit to 2, below the 3 used: allowed
    h.service
        .change_seat_limit(&h.operator, org.id, 2)
        .await
        .unwrap();
    let seats = h.seats(org.id).await;
    assert_eq!((seats.limit, seats.used, seats.available), (2, 3, 0));
    // Then no one new can register: no invite, no member, no signup
    let r = h
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("new@example.com").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await;
    assert_eq!(refusal(r), Refusal::NoSeatsAvailable);
    assert_eq!(
        refusal(add_member(&h, &admin, org.id, "m4@example.com").await),
        Refusal::NoSeatsAvailable
    );
    let token = h.token_sent_to("p@example.com");
    assert_eq!(
        refusal(h.service.sign_up(&token, None).await),
        Refusal::SeatsExhausted
    );
    assert_eq!(h.status(pending.id).await, Status::Failed);
    // Removing one member is not enough (3 -> 2 of 2)
    h.service.remove_member(&admin, m1.id).await.unwrap();
    assert_eq!(h.seats(org.id).await, Seats::new(2, 2));
    assert!(
        add_member(&h, &admin, org.id, "m4@example.com")
            .await
            .is_err()
    );
    // Removing a second frees one
    h.service.remove_member(&admin, m2.id).await.unwrap();
    assert_eq!(h.seats(org.id).await, Seats::new(2, 1));
    h.invite_as(&admin, org.id, "new@example.com").await;
}
