//! Invariants a store holds whatever the caller: an invitation's address never changes
//! (R2.8), and a link signs up once however many submissions race (R6.3).

use super::fixtures::{Harness, email_invitation, refusal, with_facts};
use crate::access::{Access, Role};
use crate::contact::{Channel, Contact, Email, Phone};
use crate::invitation::InvitationRecord;
use crate::refusal::Refusal;
use crate::store::{Commit, InvariantViolation, Store, StoreError, Write};

/// R2.8, R2.6: a commit that changes an invitation's contact, its channel or its organization
/// is refused as a whole with [`InvariantViolation::ImmutableChanged`] naming the field, and
/// nothing of it is written; the same commit without that change is accepted.
pub async fn r2_8_the_store_refuses_a_commit_that_changes_an_invitations_address<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let other = h.standalone(5).await;
    let email = || Email::parse("bob@example.com").unwrap();
    let phone = || Phone::parse("+79051111111").unwrap();
    let both = Contact::new(Some(email()), Some(phone())).unwrap();
    let inv = h
        .service
        .invite(
            &acme.admin,
            acme.id(),
            both,
            Channel::Email,
            Access::user(Role::ReadOnly),
        )
        .await
        .expect("the invite is accepted");
    let now = h.now();
    let bystander = email_invitation(acme.id(), "carl@example.com", now);

    type Change = Box<dyn Fn(&mut InvitationRecord)>;
    let changes: [(&str, Change); 4] = [
        (
            "contact",
            Box::new(move |r| {
                r.contact = Contact::new(
                    Some(Email::parse("eve@example.com").unwrap()),
                    Some(phone()),
                )
                .unwrap()
            }),
        ),
        (
            "contact",
            Box::new(move |r| r.contact = Contact::email(email())),
        ),
        ("channel", Box::new(|r| r.channel = Channel::Sms)),
        ("organization", Box::new(move |r| r.org = other.id())),
    ];
    for (field, change) in &changes {
        let changed = with_facts(&inv, |r| change(r));
        let mut commit = Commit::new(acme.id(), now);
        commit.invitations.push(Write::Insert(bystander.clone()));
        commit.invitations.push(Write::Update(changed));
        match h.store.commit(commit).await {
            Err(StoreError::Invariant(InvariantViolation::ImmutableChanged {
                entity,
                field: f,
                ..
            })) => {
                assert_eq!((entity, f), ("invitation", *field));
            }
            other => panic!("a change of the {field} must be refused, got {other:?}"),
        }
        assert_eq!(h.invitation(inv.id).await, inv, "nothing was written");
        assert_eq!(h.store.invitation(bystander.id).await.unwrap(), None);
    }
    // The same update, address untouched, is accepted.
    let cancelled = inv
        .cancelled(now)
        .expect("a queued invitation can be cancelled");
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Update(cancelled));
    h.store
        .commit(commit)
        .await
        .expect("an update that keeps the address");
}

/// R6.3: seven submissions of one link racing: exactly one signs up; every other one is told
/// [`Refusal::LinkAlreadyUsed`], never `AlreadyMember`, however the race went. Several rounds,
/// with real tasks on a multi-threaded runtime.
pub async fn r6_3_racing_submissions_of_one_link_lose_with_link_already_used<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(50).await;
    for round in 0..4 {
        let (inv, token) = h
            .invite_delivered(&acme, &format!("racer{round}@example.com"))
            .await;
        let tasks: Vec<_> = (0..7)
            .map(|_| {
                let service = h.service.clone();
                let token = token.clone();
                tokio::spawn(async move { service.sign_up(&token, None).await })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.expect("the task runs") {
                Ok(signup) => {
                    wins += 1;
                    assert_eq!(signup.invitation.id, inv.id);
                }
                loser => assert_eq!(refusal(loser), Refusal::LinkAlreadyUsed, "round {round}"),
            }
        }
        assert_eq!(wins, 1, "one member per link (round {round})");
    }
}
