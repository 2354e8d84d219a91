//! The seat waitlist and per-invitation options (issue 11) on a store: entries kept one per
//! address, in order, each moved once however many movers race; options stored with their
//! invitation and carried to the signup.

use super::fixtures::{Harness, TestOrg, conflict, refusal};
use crate::access::{Access, Role};
use crate::contact::{Channel, Contact};
use crate::error::Refusal;
use crate::ids::{InvitationId, WaitlistId};
use crate::invitation::{InvitationOptions, InviteOptions, ReturnPath, Sending, Status};
use crate::member::Member;
use crate::org::{Language, OrgSettings, SeatPolicy};
use crate::store::{Commit, Conflict, Store};
use crate::waitlist::{WaitingFor, WaitlistEntry, WaitlistMove, WaitlistWrite};
use chrono::TimeDelta;

fn waiting() -> InviteOptions {
    InviteOptions {
        waitlist: true,
        ..InviteOptions::default()
    }
}

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

/// The addresses on the waitlist of `org`, in order.
async fn waitlisted<S: Store + 'static>(h: &Harness<S>, org: &TestOrg) -> Vec<String> {
    let entries = h
        .service
        .waitlist(&org.admin, org.id(), None, 500)
        .await
        .expect("the waitlist is listed");
    let positions: Vec<u64> = entries.iter().map(|e| e.position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "in order");
    entries.into_iter().map(|e| e.address_key).collect()
}

async fn moved<S: Store + 'static>(h: &Harness<S>, org: &TestOrg) -> Vec<WaitlistMove> {
    h.service
        .advance_waitlist(org.id())
        .await
        .expect("the waitlist moves")
}

/// R3.3 with the waitlist: invites refused for want of a seat wait, one entry per address;
/// the waitlist moves first come first served, as far as seats no live invitation could
/// claim allow (a freed seat, a raised limit), never further; the dashboard counts it.
pub async fn r3_3_invites_without_a_seat_wait_and_move_in_order_as_seats_free<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let org = h.standalone(2).await;
    let first = add_member(&h, &org, "m1@example.com").await;
    add_member(&h, &org, "m2@example.com").await;
    let three = ["w1@example.com", "w2@example.com", "w3@example.com"];
    let answer = h
        .service
        .invite_many_with(
            &org.admin,
            org.id(),
            &three,
            Access::user(Role::ReadOnly),
            &waiting(),
        )
        .await
        .unwrap();
    assert!(
        answer
            .outcomes
            .iter()
            .all(|o| o.result == Err(Refusal::NoSeatsAvailable))
    );
    assert_eq!(answer.waitlisted.len(), 3);
    // Asked again, an invitee keeps their place.
    let again = h
        .service
        .invite_many_with(
            &org.admin,
            org.id(),
            &three[..1],
            Access::user(Role::ReadOnly),
            &waiting(),
        )
        .await
        .unwrap();
    assert_eq!(again.waitlisted[0].id, answer.waitlisted[0].id);
    assert_eq!(waitlisted(&h, &org).await, three);
    let dashboard = h.service.dashboard(&org.admin, org.id()).await.unwrap();
    assert_eq!(dashboard.waitlist, 3);
    // No free seat: nothing moves.
    assert_eq!(moved(&h, &org).await, vec![]);

    // A seat frees: the first waiting invitee is invited, and only them.
    h.service.remove_member(&org.admin, first.id).await.unwrap();
    let moves = moved(&h, &org).await;
    assert!(matches!(moves[..], [WaitlistMove::Invited { .. }]));
    assert_eq!(waitlisted(&h, &org).await, three[1..]);
    // Their live invitation may claim the free seat: the waitlist waits.
    assert_eq!(moved(&h, &org).await, vec![]);
    h.deliver().await;
    h.sign_up_as("w1@example.com").await;
    assert_eq!(moved(&h, &org).await, vec![]);

    // The limit rises by two: the other two move, and the waitlist is empty.
    h.service
        .change_seat_limit(&h.operator, org.id(), 4)
        .await
        .unwrap();
    let moves = moved(&h, &org).await;
    assert_eq!(moves.iter().filter(|m| m.takes_seat()).count(), 2);
    assert!(waitlisted(&h, &org).await.is_empty());
    assert!(
        h.store
            .organizations_with_waitlist(None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let dashboard = h.service.dashboard(&org.admin, org.id()).await.unwrap();
    assert_eq!((dashboard.waitlist, dashboard.counts.pending), (0, 2));
}

/// R3.2 with the waitlist: a signup refused for seats of an invitation that asked for the
/// waitlist joins it in the same commit as the invitation's failure; when a seat frees the
/// invitation is resent and its new link signs up. One that did not ask is just Failed.
pub async fn r3_2_a_signup_refused_for_seats_waits_and_is_resent_when_a_seat_frees<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let org = h.standalone(1).await;
    let ann = Contact::parse_email("ann@example.com").unwrap();
    let access = Access::user(Role::ReadOnly);
    let asked = h
        .service
        .invite_with(
            &org.admin,
            org.id(),
            ann,
            Channel::Email,
            access,
            &waiting(),
        )
        .await
        .unwrap();
    let ann_id = asked.outcomes[0].result.as_ref().unwrap().id;
    let bob = h.invite(&org, "bob@example.com").await;
    h.deliver().await;
    let member = add_member(&h, &org, "m1@example.com").await;
    let ann_token = h.token_of(ann_id);
    let r = refusal(h.service.sign_up(&ann_token, None).await);
    assert_eq!(r, Refusal::SeatsExhausted);
    let r = refusal(h.service.sign_up(&h.token_of(bob.id), None).await);
    assert_eq!(r, Refusal::SeatsExhausted);
    let entries = h
        .service
        .waitlist(&org.admin, org.id(), None, 10)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].request,
        WaitingFor::Signup { invitation: ann_id }
    );
    assert_eq!(h.status(ann_id).await, Status::Failed);

    h.service
        .remove_member(&org.admin, member.id)
        .await
        .unwrap();
    let moves = moved(&h, &org).await;
    assert_eq!(
        moves,
        vec![WaitlistMove::Resent {
            entry: entries[0].id,
            invitation: ann_id
        }]
    );
    assert_eq!(h.status(ann_id).await, Status::Queued);
    h.deliver().await;
    let fresh = h.token_of(ann_id);
    assert_ne!(fresh, ann_token);
    let signup = h.sign_up(&fresh).await;
    assert_eq!(signup.invitation.id, ann_id);
    assert_eq!(h.seats(org.id()).await.available, 0);
    assert_eq!(h.status(bob.id).await, Status::Failed);
}

/// R3.4, R3.5 with the waitlist: movers that race (every one decided before any commits)
/// move each entry once and never reserve more seats than are free.
pub async fn r3_4_racing_moves_of_one_waitlist_move_each_entry_once<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let settings = OrgSettings {
        seat_policy: SeatPolicy::ReserveOnInvite,
        ..OrgSettings::with_seats(2)
    };
    let org = h.org_with("Reserve", settings).await;
    add_member(&h, &org, "m1@example.com").await;
    add_member(&h, &org, "m2@example.com").await;
    let addresses: Vec<String> = (0..8).map(|i| format!("w{i}@example.com")).collect();
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    h.service
        .invite_many_with(
            &org.admin,
            org.id(),
            &refs,
            Access::user(Role::ReadOnly),
            &waiting(),
        )
        .await
        .unwrap();
    h.service
        .change_seat_limit(&h.operator, org.id(), 5)
        .await
        .unwrap();
    let racing = h.racing(4);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let service = racing.clone();
            let id = org.id();
            tokio::spawn(async move { service.advance_waitlist(id).await })
        })
        .collect();
    let mut seats_taken = 0;
    for t in tasks {
        let moves = t.await.expect("the task ran").expect("the move commits");
        seats_taken += moves.iter().filter(|m| m.takes_seat()).count();
    }
    assert_eq!(seats_taken, 3);
    assert_eq!(waitlisted(&h, &org).await, addresses[3..]);
    let seats = h.seats(org.id()).await;
    assert_eq!((seats.used, seats.available), (5, 0));
}

/// The store's own obligations for waitlist writes: one entry per organization and address
/// (a second is a `Version` conflict), entries answered in insertion order, an entry removed
/// once (removing it again is `Missing`), a refused commit writing nothing.
pub async fn waitlist_entries_are_one_per_address_in_order_and_removed_once<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let org = h.standalone(1).await;
    let entry = |key: &str| WaitlistEntry {
        id: WaitlistId::new(),
        org: org.id(),
        address_key: key.into(),
        joined_at: h.now(),
        request: WaitingFor::Signup {
            invitation: InvitationId::new(),
        },
        position: 0,
    };
    let commit = |writes: Vec<WaitlistWrite>| {
        let mut c = Commit::new(org.id(), h.now());
        c.waitlist = writes;
        c
    };
    let (a, b, c) = (entry("a"), entry("b"), entry("c"));
    h.store
        .commit(commit(vec![
            WaitlistWrite::Add(a.clone()),
            WaitlistWrite::Add(b.clone()),
        ]))
        .await
        .unwrap();
    h.store
        .commit(commit(vec![WaitlistWrite::Add(c.clone())]))
        .await
        .unwrap();
    let twice = conflict(
        h.store
            .commit(commit(vec![WaitlistWrite::Add(entry("b"))]))
            .await,
    );
    assert!(matches!(twice, Conflict::Version { .. }));
    let listed = h.store.waitlist(org.id(), None, 10).await.unwrap();
    let keys: Vec<_> = listed.iter().map(|e| e.address_key.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c"]);
    let after_first = h
        .store
        .waitlist(org.id(), Some(listed[0].position), 1)
        .await
        .unwrap();
    assert_eq!(after_first[0].id, b.id);
    assert_eq!(
        h.store.waitlist_entry(c.id).await.unwrap().unwrap().request,
        c.request
    );
    let found = h
        .store
        .waiting(org.id(), &["c".into(), "z".into()])
        .await
        .unwrap();
    assert_eq!(found.len(), 1);

    // Removing a and an entry that is not there: refused whole, a stays.
    let gone = conflict(
        h.store
            .commit(commit(vec![
                WaitlistWrite::Remove(a.id),
                WaitlistWrite::Remove(WaitlistId::new()),
            ]))
            .await,
    );
    assert!(matches!(gone, Conflict::Missing { .. }));
    assert!(h.store.waitlist_entry(a.id).await.unwrap().is_some());
    // Removed, and a new entry for its address in the same commit.
    let a2 = entry("a");
    h.store
        .commit(commit(vec![
            WaitlistWrite::Remove(a.id),
            WaitlistWrite::Add(a2.clone()),
        ]))
        .await
        .unwrap();
    let again = conflict(
        h.store
            .commit(commit(vec![WaitlistWrite::Remove(a.id)]))
            .await,
    );
    assert!(matches!(again, Conflict::Missing { .. }));
    let keys: Vec<_> = h
        .store
        .waitlist(org.id(), None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.address_key)
        .collect();
    assert_eq!(keys, ["b", "c", "a"]);
    let dashboard = h.store.dashboard(org.id(), h.now()).await.unwrap().unwrap();
    assert_eq!(dashboard.waitlist, 3);
    assert_eq!(
        h.store.organizations_with_waitlist(None, 10).await.unwrap(),
        vec![org.id()]
    );
    assert!(
        h.store
            .organizations_with_waitlist(Some(org.id()), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // An admin removes an entry; an outsider cannot even find one.
    let outsider = h.standalone(1).await;
    let r = refusal(h.service.remove_from_waitlist(&outsider.admin, b.id).await);
    assert_eq!(r, Refusal::WaitlistEntryNotFound(b.id));
    h.service
        .remove_from_waitlist(&org.admin, b.id)
        .await
        .unwrap();
    assert!(h.store.waitlist_entry(b.id).await.unwrap().is_none());
}

/// Issue 11, point 5: an invitation's options are stored with it and read back whole; its
/// validity and language are used for its message; a link handed out by hand is Pending at
/// once (no message), previews with the return path and the invitee's language, and signs
/// up with the metadata and the return path on the answer.
pub async fn options_are_stored_with_the_invitation_and_carried_to_the_signup<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let org = h.standalone(5).await;
    let metadata = serde_json::json!({"plan": "pro", "team": [1, 2]});
    let options = InviteOptions {
        validity: Some(TimeDelta::days(7)),
        metadata: Some(metadata.clone()),
        return_path: Some("/projects/7?tab=team".into()),
        language: Some(Language::Ru),
        sending: Sending::ByHand,
        waitlist: false,
    };
    let ann = Contact::parse_email("ann@example.com").unwrap();
    let access = Access::user(Role::ReadOnly);
    let answer = h
        .service
        .invite_with(
            &org.admin,
            org.id(),
            ann,
            Channel::Email,
            access.clone(),
            &options,
        )
        .await
        .unwrap();
    let inv = answer.outcomes[0].result.clone().unwrap();
    let stored = h.invitation(inv.id).await;
    assert_eq!(stored, inv);
    assert_eq!(
        stored.options(),
        &InvitationOptions {
            validity: Some(TimeDelta::days(7)),
            metadata: Some(metadata.clone()),
            return_path: Some(ReturnPath::parse("/projects/7?tab=team").unwrap()),
            language: Some(Language::Ru),
            by_hand: true,
            waitlist: false,
        }
    );
    assert_eq!(h.status(inv.id).await, Status::Pending);
    assert_eq!(stored.expires_at(), Some(h.now() + TimeDelta::days(7)));
    assert_eq!(h.deliver().await.sent, 0);
    let token = answer.links[0].token.expose().to_owned();
    let preview = h.service.preview_link(&token).await.unwrap();
    assert_eq!(
        (preview.language, preview.invitation),
        (Language::Ru, inv.id)
    );
    assert_eq!(
        preview.return_path.as_ref().unwrap().as_str(),
        "/projects/7?tab=team"
    );
    let signup = h.sign_up(&token).await;
    assert_eq!(signup.metadata(), Some(&metadata));
    assert_eq!(
        signup.return_path().unwrap().as_str(),
        "/projects/7?tab=team"
    );

    // Sent by message: its own validity from delivery, in the invitee's language.
    let bob = Contact::parse_email("bob@example.com").unwrap();
    let by_message = InviteOptions {
        sending: Sending::Message,
        validity: Some(TimeDelta::hours(2)),
        ..options
    };
    let answer = h
        .service
        .invite_with(
            &org.admin,
            org.id(),
            bob,
            Channel::Email,
            access,
            &by_message,
        )
        .await
        .unwrap();
    assert!(answer.links.is_empty());
    let bob_id = answer.outcomes[0].result.as_ref().unwrap().id;
    h.advance(TimeDelta::minutes(1));
    h.deliver().await;
    let sent = h.invitation(bob_id).await;
    assert_eq!(sent.expires_at(), Some(h.now() + TimeDelta::hours(2)));
    let message = h.notifier.delivered_to("bob@example.com");
    assert_eq!(message[0].language, Language::Ru);
    assert_eq!(message[0].expires_at, sent.expires_at());
}
