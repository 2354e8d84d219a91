//! Commits: all or nothing, optimistic versions, one open invitation per address (R2.7),
//! one active member per contact.

use super::fixtures::{
    Harness, conflict, email_invitation, invitation_record, invited_event, refusal, with_facts,
};
use crate::access::{Access, Role};
use crate::contact::{Channel, Contact, Email, Phone};
use crate::error::Refusal;
use crate::ids::MemberId;
use crate::invitation::{CloseReason, FailureReason};
use crate::member::Member;
use crate::org::{OrgSettings, Organization};
use crate::outbox::{MessageKind, OutboxMessage};
use crate::store::{Commit, Conflict, Store, Write};
use crate::token::{LinkRecord, LinkToken};
use chrono::TimeDelta;

/// A commit whose organization write is stale is refused with [`Conflict::Version`], and none
/// of it (invitation, outbox message, audit event, organization change) is visible afterwards.
pub async fn commit_refused_for_a_stale_organization_version_writes_nothing<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    // Someone else changes the organization: the version moves from 0 to 1.
    let changed = h
        .service
        .change_seat_limit(&h.operator, acme.id(), 7)
        .await
        .expect("the operator sets seats");
    assert_eq!(changed.version, acme.org.version + 1);
    assert_eq!(h.organization(acme.id()).await.version, changed.version);

    let now = h.now();
    let mut stale = acme.org.clone();
    stale.settings.seat_limit = 99;
    let inv = email_invitation(acme.id(), "stale@example.com", now);
    let msg = OutboxMessage::new(acme.id(), inv.id, MessageKind::Invitation, 1, now);
    let event = invited_event(acme.id(), inv.id, now);
    let mut commit = Commit::new(acme.id(), now);
    commit.organization = Some(Write::Update(stale));
    commit.invitations.push(Write::Insert(inv.clone()));
    commit.outbox.push(msg.clone());
    commit.audit.push(event.clone());

    match conflict(h.store.commit(commit).await) {
        Conflict::Version { id, .. } => assert_eq!(id, acme.id().to_string()),
        other => panic!("expected a version conflict, got {other:?}"),
    }
    let org = h.organization(acme.id()).await;
    assert_eq!(org.settings.seat_limit, 7, "the stale write did not land");
    assert_eq!(org.version, changed.version);
    assert_eq!(h.store.invitation(inv.id).await.unwrap(), None);
    assert_eq!(h.store.message(msg.id).await.unwrap(), None);
    assert!(
        h.audit(acme.id(), None)
            .await
            .iter()
            .all(|e| e.id != event.id)
    );
    assert!(
        h.store
            .claim_due(now, TimeDelta::minutes(5), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Written at the version read, the same change is accepted and bumps the version by one.
    let mut fresh = org.clone();
    fresh.settings.seat_limit = 8;
    let mut commit = Commit::new(acme.id(), now);
    commit.organization = Some(Write::Update(fresh));
    h.store
        .commit(commit)
        .await
        .expect("a fresh write is accepted");
    let org = h.organization(acme.id()).await;
    assert_eq!(
        (org.settings.seat_limit, org.version),
        (8, changed.version + 1)
    );
}

/// A commit whose invitation write is stale is refused with [`Conflict::Version`]; its link,
/// outbox message and audit event are not stored and the invitation keeps its newer state.
/// Inserting an invitation that exists is refused too.
pub async fn commit_refused_for_a_stale_invitation_version_writes_nothing<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let inv = h.invite(&acme, "bob@example.com").await;
    assert_eq!(h.invitation(inv.id).await.version(), 0);
    // An admin edits the invitation: version 0 -> 1.
    let edited = h
        .service
        .edit_access(&acme.admin, inv.id, Access::user(Role::Admin))
        .await
        .expect("the edit is accepted");
    assert_eq!(edited.version(), 1);
    assert_eq!(h.invitation(inv.id).await.version(), 1);

    let now = h.now();
    // Read at version 0.
    let stale = with_facts(&inv, |r| {
        r.closed = Some((now, CloseReason::CancelledByAdmin))
    });
    let token = LinkToken::mint().expect("entropy");
    let link = LinkRecord {
        hash: token.hash(),
        invitation: inv.id,
        generation: 1,
        issued_at: now,
    };
    let msg = OutboxMessage::new(acme.id(), inv.id, MessageKind::Resend, 2, now);
    let event = invited_event(acme.id(), inv.id, now);
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Update(stale));
    commit.links.push(link);
    commit.outbox.push(msg.clone());
    commit.audit.push(event.clone());

    match conflict(h.store.commit(commit).await) {
        Conflict::Version { id, .. } => assert_eq!(id, inv.id.to_string()),
        other => panic!("expected a version conflict, got {other:?}"),
    }
    let stored = h.invitation(inv.id).await;
    assert_eq!(stored.version(), 1);
    assert_eq!(stored.closed(), None);
    assert_eq!(stored.access(), &Access::user(Role::Admin));
    assert_eq!(h.store.link(&token.hash()).await.unwrap(), None);
    assert_eq!(h.store.message(msg.id).await.unwrap(), None);
    assert!(
        h.audit(acme.id(), Some(inv.id))
            .await
            .iter()
            .all(|e| e.id != event.id)
    );

    // Inserting a record that exists is a version conflict as well.
    let again = with_facts(&stored, |r| r.version = 0);
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Insert(again));
    assert!(matches!(
        conflict(h.store.commit(commit).await),
        Conflict::Version { .. }
    ));

    // At the version read, the update lands and the version becomes 2.
    let fresh = with_facts(&stored, |r| {
        r.closed = Some((now, CloseReason::CancelledByAdmin))
    });
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Update(fresh));
    h.store
        .commit(commit)
        .await
        .expect("a fresh write is accepted");
    let stored = h.invitation(inv.id).await;
    assert_eq!(stored.version(), 2);
    assert!(stored.closed().is_some());
}

/// Updating a record that does not exist is refused with [`Conflict::Missing`] (organization,
/// invitation, member) and writes nothing.
pub async fn commit_update_of_a_missing_record_is_refused<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let now = h.now();

    let ghost_org = Organization::new(
        "Ghost",
        crate::org::OrgKind::Standalone,
        OrgSettings::with_seats(1),
    );
    let mut commit = Commit::new(ghost_org.id, now);
    commit.organization = Some(Write::Update(ghost_org.clone()));
    match conflict(h.store.commit(commit).await) {
        Conflict::Missing { id, .. } => assert_eq!(id, ghost_org.id.to_string()),
        other => panic!("expected a missing record, got {other:?}"),
    }
    assert_eq!(h.store.organization(ghost_org.id).await.unwrap(), None);

    let ghost = email_invitation(acme.id(), "ghost@example.com", now);
    let event = invited_event(acme.id(), ghost.id, now);
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Update(ghost.clone()));
    commit.audit.push(event.clone());
    match conflict(h.store.commit(commit).await) {
        Conflict::Missing { id, .. } => assert_eq!(id, ghost.id.to_string()),
        other => panic!("expected a missing record, got {other:?}"),
    }
    assert_eq!(h.store.invitation(ghost.id).await.unwrap(), None);
    assert!(
        h.audit(acme.id(), None)
            .await
            .iter()
            .all(|e| e.id != event.id)
    );
    assert!(
        h.store
            .open_invitations(acme.id(), &["ghost@example.com".to_owned()])
            .await
            .unwrap()
            .is_empty()
    );

    let member = Member {
        id: MemberId::new(),
        org: acme.id(),
        contact: Contact::parse_email("nobody@example.com").unwrap(),
        user_ref: None,
        access: Access::user(Role::ReadOnly),
        invitation: None,
        joined_at: now,
        removed_at: Some(now),
        version: 0,
    };
    let mut commit = Commit::new(acme.id(), now);
    commit.members.push(Write::Update(member.clone()));
    match conflict(h.store.commit(commit).await) {
        Conflict::Missing { id, .. } => assert_eq!(id, member.id.to_string()),
        other => panic!("expected a missing record, got {other:?}"),
    }
    assert_eq!(h.store.member(member.id).await.unwrap(), None);
}

/// R2.7: the store itself refuses a second open invitation of one organization to one address
/// key (e-mail compared case-insensitively, phone in E.164) with
/// [`Conflict::OpenInvitationExists`], whatever its status (a Failed one is still open until
/// replaced); another organization may invite the same address.
pub async fn r2_7_store_refuses_a_second_open_invitation_for_one_address<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(10).await;
    let other = h.standalone(10).await;
    let now = h.now();

    let first = email_invitation(acme.id(), "Ann@Example.com", now);
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Insert(first.clone()));
    h.store
        .commit(commit)
        .await
        .expect("the first invitation is accepted");

    let second = email_invitation(acme.id(), " ann@EXAMPLE.com ", now);
    let msg = OutboxMessage::new(acme.id(), second.id, MessageKind::Invitation, 1, now);
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Insert(second.clone()));
    commit.outbox.push(msg.clone());
    assert_eq!(
        conflict(h.store.commit(commit).await),
        Conflict::OpenInvitationExists {
            address_key: "ann@example.com".into()
        }
    );
    assert_eq!(h.store.invitation(second.id).await.unwrap(), None);
    assert_eq!(h.store.message(msg.id).await.unwrap(), None);
    let open = h
        .store
        .open_invitations(acme.id(), &["ann@example.com".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        open.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![first.id]
    );

    // A Failed invitation is still open: it must be replaced, not doubled.
    let failed = with_facts(&first, |r| {
        r.failure = Some(FailureReason::DeliveryRejected("550".into()));
        r.awaiting_delivery = false;
    });
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Update(failed));
    h.store
        .commit(commit)
        .await
        .expect("marking it failed is accepted");
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Insert(second.clone()));
    assert!(matches!(
        conflict(h.store.commit(commit).await),
        Conflict::OpenInvitationExists { .. }
    ));

    // Two open invitations to one address in one commit are refused, and neither lands.
    let twin_a = email_invitation(acme.id(), "twin@example.com", now);
    let twin_b = email_invitation(acme.id(), "TWIN@example.com", now);
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Insert(twin_a.clone()));
    commit.invitations.push(Write::Insert(twin_b.clone()));
    assert!(matches!(
        conflict(h.store.commit(commit).await),
        Conflict::OpenInvitationExists { .. }
    ));
    assert_eq!(h.store.invitation(twin_a.id).await.unwrap(), None);
    assert_eq!(h.store.invitation(twin_b.id).await.unwrap(), None);

    // Phone numbers by SMS: the E.164 number is the key.
    let phone = || Contact::phone(Phone::parse("+79051111111").unwrap());
    let sms_a = invitation_record(acme.id(), phone(), Channel::Sms, now);
    let sms_b = invitation_record(acme.id(), phone(), Channel::Sms, now);
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Insert(sms_a));
    h.store
        .commit(commit)
        .await
        .expect("the first SMS invitation is accepted");
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Insert(sms_b));
    assert_eq!(
        conflict(h.store.commit(commit).await),
        Conflict::OpenInvitationExists {
            address_key: "+79051111111".into()
        }
    );

    // Another organization is another namespace (R2.6).
    let elsewhere = email_invitation(other.id(), "ann@example.com", now);
    let mut commit = Commit::new(other.id(), now);
    commit.invitations.push(Write::Insert(elsewhere.clone()));
    h.store
        .commit(commit)
        .await
        .expect("another organization may invite the address");
    assert_eq!(h.invitation(elsewhere.id).await.org, other.id());
}

/// R2.7: closing the open invitation and inserting its replacement in one commit is accepted;
/// afterwards the replacement is the one open invitation of the address. A signed-up
/// invitation is not open either.
pub async fn r2_7_replacing_the_open_invitation_in_one_commit_is_accepted<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(10).await;
    let now = h.now();
    let key = vec!["carl@example.com".to_owned()];

    let old = email_invitation(acme.id(), "carl@example.com", now);
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Insert(old.clone()));
    h.store.commit(commit).await.unwrap();

    let new = email_invitation(acme.id(), "Carl@Example.com", now);
    let closed = with_facts(&old, |r| {
        r.closed = Some((now, CloseReason::Replaced(new.id)))
    });
    let mut commit = Commit::new(acme.id(), now);
    // The insert first: the store must judge the commit as a whole, not write by write.
    commit.invitations.push(Write::Insert(new.clone()));
    commit.invitations.push(Write::Update(closed));
    h.store
        .commit(commit)
        .await
        .expect("replacing in one commit is accepted");

    let open = h.store.open_invitations(acme.id(), &key).await.unwrap();
    assert_eq!(open.iter().map(|i| i.id).collect::<Vec<_>>(), vec![new.id]);
    assert!(h.invitation(old.id).await.closed().is_some());

    // Signed up: no longer open, so the address may be invited again.
    let signed = with_facts(&h.invitation(new.id).await, |r| {
        r.signed_up_at = Some(now);
        r.awaiting_delivery = false;
    });
    let third = email_invitation(acme.id(), "carl@example.com", now);
    let mut commit = Commit::new(acme.id(), now);
    commit.invitations.push(Write::Update(signed));
    commit.invitations.push(Write::Insert(third.clone()));
    h.store
        .commit(commit)
        .await
        .expect("a signed-up invitation is not open");
    let open = h.store.open_invitations(acme.id(), &key).await.unwrap();
    assert_eq!(
        open.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![third.id]
    );

    // Through the service: an expired invitation is replaced by a new invite (R2.7).
    let (expired, _) = h.invite_delivered(&acme, "dora@example.com").await;
    h.advance(TimeDelta::hours(73));
    let again = h.invite(&acme, "DORA@example.com").await;
    let open = h
        .store
        .open_invitations(acme.id(), &["dora@example.com".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        open.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![again.id]
    );
    assert_eq!(
        h.invitation(expired.id)
            .await
            .closed()
            .map(|(_, r)| r.clone()),
        Some(CloseReason::Replaced(again.id))
    );
}

/// R2.7: two concurrent invites of one address (in different letter cases) make exactly one
/// invitation; the other is refused with [`Refusal::AlreadyInvited`].
pub async fn r2_7_two_concurrent_invites_of_one_address_make_one_invitation<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(10).await;
    for round in 0..8 {
        let racing = h.racing(2);
        let tasks: Vec<_> = [
            format!("Racer{round}@Example.com"),
            format!("racer{round}@example.COM"),
        ]
        .into_iter()
        .map(|address| {
            let service = racing.clone();
            let admin = acme.admin.clone();
            let org = acme.id();
            tokio::spawn(async move {
                let contact = Contact::email(Email::parse(&address).unwrap());
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
        let mut refused = Vec::new();
        for t in tasks {
            match t.await.expect("the task ran") {
                Ok(inv) => invited.push(inv),
                Err(e) => refused.push(refusal::<()>(Err(e))),
            }
        }
        assert_eq!(invited.len(), 1, "round {round}: exactly one invitation");
        assert!(
            matches!(refused.as_slice(), [Refusal::AlreadyInvited { .. }]),
            "round {round}: the other is AlreadyInvited, got {refused:?}"
        );
        let key = vec![format!("racer{round}@example.com")];
        let open = h.store.open_invitations(acme.id(), &key).await.unwrap();
        assert_eq!(
            open.iter().map(|i| i.id).collect::<Vec<_>>(),
            vec![invited[0].id]
        );
    }
    let dashboard = h
        .store
        .dashboard(acme.id(), h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dashboard.counts.all, 8);
    let queued = h
        .store
        .claim_due(h.now(), TimeDelta::minutes(5), 100)
        .await
        .unwrap();
    assert_eq!(queued.len(), 8, "one message per invitation");
}

/// R2.7: an active member is found by any of their contact keys (e-mail in any case, phone),
/// so inviting them is [`Refusal::AlreadyMember`]; once removed, the address may be invited.
pub async fn r2_7_inviting_an_active_member_by_any_contact_is_refused<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(10).await;
    let contact = Contact::new(
        Some(Email::parse("Member@Example.com").unwrap()),
        Some(Phone::parse("+79052222222").unwrap()),
    )
    .unwrap();
    let member = h
        .service
        .add_member(
            &h.operator,
            acme.id(),
            contact,
            None,
            Access::user(Role::Admin),
        )
        .await
        .expect("the operator adds the first admin");

    let found = h
        .store
        .active_members(
            acme.id(),
            &["member@example.com".to_owned(), "+79052222222".to_owned()],
        )
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![member.id]
    );
    let by_phone = h
        .store
        .active_members(acme.id(), &["+79052222222".to_owned()])
        .await
        .unwrap();
    assert_eq!(by_phone.len(), 1);

    let by_email = h
        .service
        .invite(
            &acme.admin,
            acme.id(),
            Contact::parse_email("MEMBER@example.com").unwrap(),
            Channel::Email,
            Access::user(Role::ReadOnly),
        )
        .await;
    assert!(matches!(refusal(by_email), Refusal::AlreadyMember { .. }));
    let by_sms = h
        .service
        .invite(
            &acme.admin,
            acme.id(),
            Contact::parse_phone("+79052222222").unwrap(),
            Channel::Sms,
            Access::user(Role::ReadOnly),
        )
        .await;
    assert!(matches!(refusal(by_sms), Refusal::AlreadyMember { .. }));

    // A second active member with the same contact is refused by the store itself.
    let now = h.now();
    let twin = Member {
        id: MemberId::new(),
        version: 0,
        ..member.clone()
    };
    let mut commit = Commit::new(acme.id(), now);
    commit.members.push(Write::Insert(twin.clone()));
    conflict(h.store.commit(commit).await);
    assert_eq!(h.store.member(twin.id).await.unwrap(), None);

    h.service
        .remove_member(&acme.admin, member.id)
        .await
        .expect("an admin removes the member");
    assert!(
        h.store
            .active_members(acme.id(), &["member@example.com".to_owned()])
            .await
            .unwrap()
            .is_empty()
    );
    let removed = h.store.member(member.id).await.unwrap().unwrap();
    assert!(removed.removed_at.is_some());
    h.invite(&acme, "member@example.com").await;
}
