//! Seats (R3): counted by the store at commit time, whatever the concurrency.

use super::fixtures::{Harness, TestOrg, conflict, email_invitation, refusal};
use crate::access::{Access, Role};
use crate::contact::{Channel, Contact};
use crate::decide::signup::Signup;
use crate::error::{Error, Refusal};
use crate::ids::MemberId;
use crate::invitation::{FailureReason, Invitation, Status};
use crate::member::{Member, Seats};
use crate::org::{OrgSettings, SeatPolicy};
use crate::store::{Commit, Conflict, SeatCheck, Store, Write};
use chrono::{DateTime, TimeDelta, Utc};

/// Adds a member without an invitation (as the operator), taking a seat.
async fn add_member<S: Store + 'static>(h: &Harness<S>, org: &TestOrg, email: &str) -> Member {
    h.service
        .add_member(
            &h.operator,
            org.id(),
            Contact::parse_email(email).unwrap(),
            None,
            Access::user(Role::Admin),
        )
        .await
        .expect("the member is added")
}

/// Runs `sign_up` for every token at once, each in its own task, all deciding before any
/// commits.
async fn sign_up_concurrently<S: Store + 'static>(
    h: &Harness<S>,
    tokens: Vec<String>,
) -> Vec<Result<Signup, Error>> {
    let racing = h.racing(tokens.len());
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let service = racing.clone();
            tokio::spawn(async move { service.sign_up(&token, None).await })
        })
        .collect();
    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        results.push(t.await.expect("the task ran"));
    }
    results
}

/// Invites every address, delivers, and answers the invitations with their tokens.
async fn invite_all_delivered<S: Store + 'static>(
    h: &Harness<S>,
    org: &TestOrg,
    addresses: &[String],
) -> Vec<(Invitation, String)> {
    let mut invitations = Vec::with_capacity(addresses.len());
    for a in addresses {
        invitations.push(h.invite(org, a).await);
    }
    h.deliver().await;
    let mut out = Vec::with_capacity(invitations.len());
    for inv in invitations {
        let token = h.token_of(inv.id);
        out.push((h.invitation(inv.id).await, token));
    }
    out
}

/// Checks that `n` signups for `seats` free seats made exactly `seats` members, and that each
/// loser got [`Refusal::SeatsExhausted`] with its invitation Failed for that reason (R3.2).
async fn assert_seats_went_to_exactly<S: Store + 'static>(
    h: &Harness<S>,
    org: &TestOrg,
    invitations: &[(Invitation, String)],
    results: &[Result<Signup, Error>],
    winners_expected: usize,
) {
    let mut winners = 0;
    for ((inv, _), result) in invitations.iter().zip(results) {
        let stored = h.invitation(inv.id).await;
        match result {
            Ok(signup) => {
                winners += 1;
                assert_eq!(signup.invitation.id, inv.id);
                assert_eq!(stored.status_at(h.now()), Status::NeverUsed);
                assert_eq!(stored.member(), Some(signup.member.id));
                let member = h.store.member(signup.member.id).await.unwrap();
                assert!(member.is_some_and(|m| m.is_active()));
            }
            Err(Error::Refused(Refusal::SeatsExhausted)) => {
                assert_eq!(stored.status_at(h.now()), Status::Failed);
                assert_eq!(stored.failure(), Some(&FailureReason::SeatsExhausted));
                assert_eq!(stored.member(), None);
                let keys = stored.contact.keys();
                assert!(
                    h.store
                        .active_members(org.id(), &keys)
                        .await
                        .unwrap()
                        .is_empty()
                );
            }
            Err(other) => panic!("a signup ended with {other:?}, not a seat or a refusal"),
        }
    }
    assert_eq!(winners, winners_expected);
}

/// R3.4: two signups racing for the last seat give exactly one member; the other is refused
/// with [`Refusal::SeatsExhausted`] and its invitation is Failed with that reason (R3.2).
pub async fn r3_4_two_signups_for_the_last_seat_make_one_member<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(2).await;
    add_member(&h, &acme, "first.admin@example.com").await;
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(2, 1)
    );

    let pair = invite_all_delivered(
        &h,
        &acme,
        &["left@example.com".into(), "right@example.com".into()],
    )
    .await;
    let tokens = pair.iter().map(|(_, t)| t.clone()).collect();
    let results = sign_up_concurrently(&h, tokens).await;
    assert_seats_went_to_exactly(&h, &acme, &pair, &results, 1).await;

    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(2, 2)
    );
    let loser = pair
        .iter()
        .zip(&results)
        .find(|(_, r)| r.is_err())
        .map(|((inv, _), _)| inv.id)
        .expect("one signup lost");
    let trail = h.audit(acme.id(), Some(loser)).await;
    let failed = trail
        .iter()
        .find(|e| e.action == crate::audit::AuditAction::SignupFailedSeatsExhausted)
        .expect("the failed signup is audited");
    assert_eq!(
        (failed.before, failed.after),
        (Some(Status::Pending), Some(Status::Failed))
    );
}

/// R3.4: sixteen signups racing for five seats make exactly five members.
pub async fn r3_4_sixteen_concurrent_signups_for_five_seats_make_five_members<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let addresses: Vec<String> = (0..16).map(|i| format!("user{i:02}@example.com")).collect();
    let invitations = invite_all_delivered(&h, &acme, &addresses).await;
    let tokens = invitations.iter().map(|(_, t)| t.clone()).collect();
    let results = sign_up_concurrently(&h, tokens).await;
    assert_seats_went_to_exactly(&h, &acme, &invitations, &results, 5).await;

    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(5, 5)
    );
    let dashboard = h
        .store
        .dashboard(acme.id(), h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dashboard.counts.never_used, 5);
    assert_eq!(dashboard.counts.expired_or_failed, 11);
}

/// R3.5: under `ReserveOnInvite` a live invitation holds a seat: of sixteen concurrent invites
/// for five seats exactly five are accepted (the rest [`Refusal::NoSeatsAvailable`]), and all
/// five reserved signups succeed at once.
pub async fn r3_5_reserved_seats_admit_exactly_the_limit_and_every_reserved_signup<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let settings = OrgSettings {
        seat_policy: SeatPolicy::ReserveOnInvite,
        ..OrgSettings::with_seats(5)
    };
    let acme = h.org_with("Reserved", settings).await;

    let racing = h.racing(16);
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let service = racing.clone();
            let admin = acme.admin.clone();
            let org = acme.id();
            tokio::spawn(async move {
                let contact = Contact::parse_email(&format!("seat{i:02}@example.com")).unwrap();
                service
                    .invite(
                        &admin,
                        org,
                        contact,
                        Channel::Email,
                        Access::user(Role::ReadOnly),
                    )
                    .await
            })
        })
        .collect();
    let mut invited = Vec::new();
    for t in tasks {
        match t.await.expect("the task ran") {
            Ok(inv) => invited.push(inv),
            Err(e) => assert_eq!(refusal::<()>(Err(e)), Refusal::NoSeatsAvailable),
        }
    }
    assert_eq!(invited.len(), 5, "exactly the seats' worth of invitations");
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(5, 5)
    );
    let queued = h
        .store
        .dashboard(acme.id(), h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(queued.counts.pending, 5);

    h.deliver().await;
    let tokens = invited.iter().map(|inv| h.token_of(inv.id)).collect();
    let results = sign_up_concurrently(&h, tokens).await;
    for r in &results {
        assert!(r.is_ok(), "a reserved signup cannot fail for seats: {r:?}");
    }
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(5, 5)
    );
    let dashboard = h
        .store
        .dashboard(acme.id(), h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dashboard.counts.never_used, 5);
}

/// R3.5: under `ReserveOnInvite` the store counts live (Queued, Pending) invitations as used
/// seats at the instant asked, and stops counting them once they expire, fail or are
/// cancelled; a commit's seat check counts at the commit's instant.
pub async fn r3_5_live_invitations_hold_seats_until_they_end<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let settings = OrgSettings {
        seat_policy: SeatPolicy::ReserveOnInvite,
        ..OrgSettings::with_seats(3)
    };
    let acme = h.org_with("Reserved", settings).await;
    let seats = |used| Seats::new(3, used);

    let a = h.invite(&acme, "a@example.com").await;
    let b = h.invite(&acme, "b@example.com").await;
    let c = h.invite(&acme, "c@example.com").await;
    assert_eq!(h.store.seats(acme.id(), h.now()).await.unwrap(), seats(3));
    let refused = h
        .service
        .invite(
            &acme.admin,
            acme.id(),
            Contact::parse_email("d@example.com").unwrap(),
            Channel::Email,
            Access::user(Role::ReadOnly),
        )
        .await;
    assert_eq!(refusal(refused), Refusal::NoSeatsAvailable);

    // Cancelled: the seat is free again.
    h.service.cancel(&acme.admin, a.id).await.expect("cancel");
    assert_eq!(h.store.seats(acme.id(), h.now()).await.unwrap(), seats(2));

    // Failed delivery: the seat is free again.
    h.notifier
        .script("c@example.com", &[crate::notifier::Scripted::Permanent]);
    h.deliver().await;
    assert_eq!(h.status(c.id).await, Status::Failed);
    assert_eq!(h.status(b.id).await, Status::Pending);
    assert_eq!(h.store.seats(acme.id(), h.now()).await.unwrap(), seats(1));

    // Expired: no seat, at the later instant only; nothing had to run (R4.3).
    let expiry = h.invitation(b.id).await.expires_at().expect("delivered");
    assert_eq!(
        h.store
            .seats(acme.id(), expiry - TimeDelta::seconds(1))
            .await
            .unwrap(),
        seats(1)
    );
    assert_eq!(h.store.seats(acme.id(), expiry).await.unwrap(), seats(0));

    // The seat check of a commit counts at the commit's instant.
    let mut full = Commit::new(acme.id(), h.now());
    full.seat_check = Some(SeatCheck::seats(3));
    full.invitations.push(Write::Insert(email_invitation(
        acme.id(),
        "x@example.com",
        h.now(),
    )));
    assert_eq!(
        conflict(h.store.commit(full).await),
        Conflict::SeatsExhausted {
            required: 3,
            available: 2
        }
    );
    let mut later = Commit::new(acme.id(), expiry);
    later.seat_check = Some(SeatCheck::seats(3));
    let x = email_invitation(acme.id(), "x@example.com", expiry);
    later.invitations.push(Write::Insert(x.clone()));
    h.store
        .commit(later)
        .await
        .expect("after the expiry three seats are free");
    assert_eq!(h.invitation(x.id).await.id, x.id);
}

/// R3.1: a seat is one registered user, admins included; `used + available = limit`, and the
/// service shows the store's figures.
pub async fn r3_1_seats_count_active_members_and_add_up_to_the_limit<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(4).await;
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(4, 0)
    );

    add_member(&h, &acme, "owner@example.com").await; // an admin holds a seat too
    let (_, token) = h.invite_delivered(&acme, "user@example.com").await;
    // An invitation holds no seat under ClaimOnSignup; its signup does.
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(4, 1)
    );
    h.sign_up(&token).await;
    let seats = h.store.seats(acme.id(), h.now()).await.unwrap();
    assert_eq!(seats, Seats::new(4, 2));
    assert_eq!(seats.used + seats.available, seats.limit);
    assert_eq!(
        h.service.seats(&acme.admin, acme.id()).await.unwrap(),
        seats
    );
    let dashboard = h
        .store
        .dashboard(acme.id(), h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dashboard.seats, seats);

    // Seats are per organization.
    let other = h.standalone(3).await;
    assert_eq!(
        h.store.seats(other.id(), h.now()).await.unwrap(),
        Seats::new(3, 0)
    );
}

/// R3.6 and R3.3: removing a member frees a seat; lowering the limit below the seats used is
/// allowed and leaves none available, so invites are refused and signups fail until enough
/// members leave. A store's seat check refuses a commit needing more than is free and writes
/// nothing of it (R3.4).
pub async fn r3_6_removing_members_frees_seats_and_a_lowered_limit_admits_no_one<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(3).await;
    let m1 = add_member(&h, &acme, "m1@example.com").await;
    let m2 = add_member(&h, &acme, "m2@example.com").await;
    let m3 = add_member(&h, &acme, "m3@example.com").await;
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(3, 3)
    );
    let refused = h
        .service
        .invite(
            &acme.admin,
            acme.id(),
            Contact::parse_email("late@example.com").unwrap(),
            Channel::Email,
            Access::user(Role::ReadOnly),
        )
        .await;
    assert_eq!(refusal(refused), Refusal::NoSeatsAvailable);

    h.service
        .remove_member(&acme.admin, m3.id)
        .await
        .expect("removed");
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(3, 2)
    );
    let (early, early_token) = h.invite_delivered(&acme, "early@example.com").await;
    let (spare, spare_token) = h.invite_delivered(&acme, "spare@example.com").await;

    // The vendor lowers the limit below the seats used.
    h.service
        .change_seat_limit(&h.operator, acme.id(), 1)
        .await
        .expect("lowering below usage is allowed");
    let seats = h.store.seats(acme.id(), h.now()).await.unwrap();
    assert_eq!((seats.limit, seats.used, seats.available), (1, 2, 0));
    let refused = h.service.sign_up(&early_token, None).await;
    assert_eq!(refusal(refused), Refusal::SeatsExhausted);
    assert_eq!(
        h.invitation(early.id).await.failure(),
        Some(&FailureReason::SeatsExhausted)
    );

    // At the store: a commit needing a seat is refused and writes nothing.
    let now = h.now();
    let ghost = ghost_member(&acme, now);
    let mut commit = Commit::new(acme.id(), now);
    commit.seat_check = Some(SeatCheck::seats(1));
    commit.members.push(Write::Insert(ghost.clone()));
    assert_eq!(
        conflict(h.store.commit(commit).await),
        Conflict::SeatsExhausted {
            required: 1,
            available: 0
        }
    );
    assert_eq!(h.store.member(ghost.id).await.unwrap(), None);
    assert_eq!(h.store.seats(acme.id(), now).await.unwrap().used, 2);

    h.service
        .remove_member(&acme.admin, m2.id)
        .await
        .expect("removed");
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(1, 1)
    );
    h.service
        .remove_member(&acme.admin, m1.id)
        .await
        .expect("removed");
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(1, 0)
    );
    let signup = h.sign_up(&spare_token).await;
    assert_eq!(signup.invitation.id, spare.id);
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(1, 1)
    );
}

/// R3.4, R3.5: a reserved signup needs no free seat, but never pushes the members past the
/// limit. Switched to `ReserveOnInvite` with five live invitations on two seats (allowed under
/// `ClaimOnSignup`), five racing signups make exactly two members; the other three fail for
/// seats. At the store, a commit adding a member with [`SeatCheck::reserved_member`] is refused
/// once the members fill the limit, and writes nothing.
pub async fn r3_4_reserved_signups_never_push_members_past_the_limit<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(2).await;
    let mut tokens = Vec::new();
    for i in 0..5 {
        let (_, token) = h
            .invite_delivered(&acme, &format!("over{i}@example.com"))
            .await;
        tokens.push(token);
    }
    h.service
        .change_seat_policy(&h.operator, acme.id(), SeatPolicy::ReserveOnInvite)
        .await
        .expect("the operator switches the policy");

    let racing = h.racing(5);
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let service = racing.clone();
            tokio::spawn(async move { service.sign_up(&token, None).await })
        })
        .collect();
    let mut members = 0;
    for t in tasks {
        match t.await.expect("the task ran") {
            Ok(_) => members += 1,
            Err(e) => assert_eq!(refusal::<()>(Err(e)), Refusal::SeatsExhausted),
        }
    }
    assert_eq!(members, 2, "members never exceed the limit");
    let dashboard = h
        .store
        .dashboard(acme.id(), h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dashboard.counts.never_used, 2);
    assert_eq!(dashboard.counts.expired_or_failed, 3);

    // At the store: the limit is full of members, so a reserved member is refused.
    let now = h.now();
    let ghost = ghost_member(&acme, now);
    let mut commit = Commit::new(acme.id(), now);
    commit.seat_check = Some(SeatCheck::reserved_member());
    commit.members.push(Write::Insert(ghost.clone()));
    assert!(matches!(
        conflict(h.store.commit(commit).await),
        Conflict::SeatsExhausted { .. }
    ));
    assert_eq!(h.store.member(ghost.id).await.unwrap(), None);
}

/// A member added straight through `Store::commit`, to probe a store's seat check.
fn ghost_member(org: &TestOrg, now: DateTime<Utc>) -> Member {
    Member {
        id: MemberId::new(),
        org: org.id(),
        contact: Contact::parse_email("ghost@example.com").unwrap(),
        user_ref: None,
        access: Access::user(Role::ReadOnly),
        invitation: None,
        joined_at: now,
        removed_at: None,
        version: 0,
    }
}
