//! Issue 11, points 5 and 8: per-invitation options (R1.2's validity bounds, R6.1 for a link
//! handed out by hand, the bounds of metadata and return paths) and the seat waitlist (R3.2,
//! R3.3, R3.5 and R3.6 with a way forward instead of a dead end).

use crate::support::{harness, user_access};
use chrono::TimeDelta;
use invite_core::store::{RecordStore, ViewStore};
use invite_core::testkit::*;
use invite_core::*;

fn contact(email: &str) -> Contact {
    Contact::parse_email(email).unwrap()
}

fn waitlist() -> InviteOptions {
    InviteOptions {
        waitlist: true,
        ..InviteOptions::default()
    }
}

async fn add_member(h: &Harness<MemoryStore>, org: &TestOrg, email: &str) -> Member {
    h.service
        .add_member(&org.admin, org.id(), contact(email), None, user_access())
        .await
        .unwrap()
}

async fn invite_with(
    h: &Harness<MemoryStore>,
    org: &TestOrg,
    email: &str,
    options: &InviteOptions,
) -> Result<decide::options::InviteAnswer, Error> {
    h.service
        .invite_with(
            &org.admin,
            org.id(),
            contact(email),
            Channel::Email,
            user_access(),
            options,
        )
        .await
}

#[tokio::test]
async fn r1_2_an_invitation_validity_outside_the_organizations_bounds_is_refused_naming_it() {
    // given an organization whose admins allow invitations of 1 hour to 14 days
    let h = harness();
    let org = h.standalone(5).await;
    let bounds = SettingsUpdate {
        min_validity: Some(TimeDelta::hours(1)),
        max_validity: Some(TimeDelta::days(14)),
        ..SettingsUpdate::default()
    };
    h.service
        .update_settings(&org.admin, org.id(), bounds)
        .await
        .unwrap();
    // when an invite asks for 15 days, or for 30 minutes
    for validity in [TimeDelta::days(15), TimeDelta::minutes(30)] {
        let options = InviteOptions {
            validity: Some(validity),
            ..InviteOptions::default()
        };
        let r = refusal(invite_with(&h, &org, "bob@example.com", &options).await);
        // then the call is refused naming the field, and nothing is stored
        assert!(matches!(r, Refusal::OutOfRange { ref field, .. } if field == "validity"));
    }
    assert_eq!(h.store.outbox_counts(), (0, 0, 0, 0));
    // and 14 days is allowed
    let options = InviteOptions {
        validity: Some(TimeDelta::days(14)),
        ..InviteOptions::default()
    };
    assert!(
        invite_with(&h, &org, "bob@example.com", &options)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn r1_2_validity_bounds_must_keep_the_organizations_default_validity_inside() {
    let h = harness();
    let org = h.standalone(5).await;
    for (update, field) in [
        (
            SettingsUpdate {
                min_validity: Some(TimeDelta::days(4)),
                ..SettingsUpdate::default()
            },
            "min_validity",
        ),
        (
            SettingsUpdate {
                max_validity: Some(TimeDelta::days(400)),
                ..SettingsUpdate::default()
            },
            "max_validity",
        ),
    ] {
        let r = refusal(
            h.service
                .update_settings(&org.admin, org.id(), update)
                .await,
        );
        assert!(matches!(r, Refusal::OutOfRange { field: ref f, .. } if f == field));
    }
    assert_eq!(
        h.organization(org.id()).await.settings.min_validity,
        bounds::MIN_VALIDITY
    );
}

#[tokio::test]
async fn r6_1_a_link_handed_out_by_hand_is_stored_as_a_hash_and_no_message_is_queued() {
    // given an admin who creates an invitation without sending it
    let h = harness();
    let org = h.standalone(5).await;
    let options = InviteOptions {
        sending: Sending::ByHand,
        ..InviteOptions::default()
    };
    let answer = invite_with(&h, &org, "bob@example.com", &options)
        .await
        .unwrap();
    // then the link is answered once, stored only as its hash, and nothing is sent
    let link = &answer.links[0];
    let stored = h.store.link(&link.token.hash()).await.unwrap().unwrap();
    assert_eq!((stored.invitation, stored.generation), (link.invitation, 1));
    assert_eq!(h.store.outbox_counts(), (0, 0, 0, 0));
    assert_eq!(format!("{:?}", link.token), "LinkToken(<redacted>)");
    // and it counts as sent at creation: Pending, its validity started, one send
    let inv = h.invitation(link.invitation).await;
    assert_eq!(inv.status_at(h.now()), Status::Pending);
    assert_eq!((inv.send_count(), inv.last_sent_at()), (1, Some(h.now())));
    let actions: Vec<_> = h
        .audit(org.id(), Some(inv.id))
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, [AuditAction::Invited, AuditAction::Delivered]);
    // a resend later goes by message, and kills the link handed out
    h.advance(TimeDelta::minutes(5));
    h.service.resend(&org.admin, inv.id).await.unwrap();
    h.deliver().await;
    let r = refusal(h.service.sign_up(link.token.expose(), None).await);
    assert_eq!(r, Refusal::LinkSuperseded);
    h.sign_up_as("bob@example.com").await;
}

#[tokio::test]
async fn r2_9_bad_metadata_or_return_path_refuses_the_call_naming_the_field() {
    let h = harness();
    let org = h.standalone(5).await;
    let big = serde_json::json!({ "blob": "x".repeat(bounds::MAX_METADATA_BYTES) });
    let cases = [
        (
            InviteOptions {
                metadata: Some(big),
                ..InviteOptions::default()
            },
            "metadata",
        ),
        (
            InviteOptions {
                metadata: Some(serde_json::json!("not an object")),
                ..InviteOptions::default()
            },
            "metadata",
        ),
        (
            InviteOptions {
                return_path: Some("https://evil.example/welcome".into()),
                ..InviteOptions::default()
            },
            "return_path",
        ),
        (
            InviteOptions {
                return_path: Some("//evil.example".into()),
                ..InviteOptions::default()
            },
            "return_path",
        ),
    ];
    for (options, field) in cases {
        let r = refusal(
            h.service
                .invite_many_with(
                    &org.admin,
                    org.id(),
                    &["a@example.com", "b@example.com"],
                    user_access(),
                    &options,
                )
                .await,
        );
        assert!(matches!(r, Refusal::OutOfRange { field: ref f, .. } if f == field));
    }
    let dashboard = h.service.dashboard(&org.admin, org.id()).await.unwrap();
    assert_eq!(dashboard.counts.all, 0);
}

#[tokio::test]
async fn r3_3_a_by_hand_invite_that_waits_for_a_seat_is_sent_by_message_when_it_moves() {
    // given a full organization and an invite by hand that asked for the waitlist
    let h = harness();
    let org = h.standalone(1).await;
    let member = add_member(&h, &org, "m@example.com").await;
    let options = InviteOptions {
        sending: Sending::ByHand,
        waitlist: true,
        ..InviteOptions::default()
    };
    let answer = invite_with(&h, &org, "bob@example.com", &options)
        .await
        .unwrap();
    assert_eq!(answer.outcomes[0].result, Err(Refusal::NoSeatsAvailable));
    assert!(answer.links.is_empty());
    // when a seat frees and the waitlist moves
    h.service
        .remove_member(&org.admin, member.id)
        .await
        .unwrap();
    let moves = h.service.advance_waitlist(org.id()).await.unwrap();
    let WaitlistMove::Invited { invitation, .. } = moves[0] else {
        panic!("a fresh invitation: {moves:?}");
    };
    // then it is sent by message, since no admin is there to take the link
    assert_eq!(h.deliver().await.sent, 1);
    assert!(!h.invitation(invitation).await.options().by_hand);
    h.sign_up_as("bob@example.com").await;
}

#[tokio::test]
async fn r3_5_an_expired_reservation_frees_a_seat_for_the_waitlist() {
    // given a full organization under ReserveOnInvite: one member, one live reservation
    let h = harness();
    let settings = OrgSettings {
        seat_policy: SeatPolicy::ReserveOnInvite,
        ..OrgSettings::with_seats(2)
    };
    let org = h.org_with("Reserve", settings).await;
    add_member(&h, &org, "m@example.com").await;
    let (held, _) = h.invite_delivered(&org, "slow@example.com").await;
    let answer = invite_with(&h, &org, "next@example.com", &waitlist())
        .await
        .unwrap();
    assert_eq!(answer.waitlisted.len(), 1);
    assert!(
        h.service
            .advance_waitlist(org.id())
            .await
            .unwrap()
            .is_empty()
    );
    // when the reservation expires, with no command at all
    h.advance(TimeDelta::hours(72));
    assert_eq!(h.status(held.id).await, Status::Expired);
    // then the background move finds the seat
    let report = h.service.advance_waitlists().await.unwrap();
    assert_eq!(
        report,
        WaitlistReport {
            organizations: 1,
            moved: 1,
            dropped: 0
        }
    );
    assert_eq!(h.seats(org.id()).await.available, 0);
}

#[tokio::test]
async fn r3_2_a_waiting_signup_whose_invitation_was_cancelled_is_dropped_without_a_seat() {
    // given a signup refused for seats that joined the waitlist, then two waiting invites
    let h = harness();
    let org = h.standalone(1).await;
    let asked = invite_with(&h, &org, "ann@example.com", &waitlist())
        .await
        .unwrap();
    let ann = asked.outcomes[0].result.as_ref().unwrap().id;
    h.deliver().await;
    let member = add_member(&h, &org, "m@example.com").await;
    let r = refusal(h.service.sign_up(&h.token_of(ann), None).await);
    assert_eq!(r, Refusal::SeatsExhausted);
    invite_with(&h, &org, "bob@example.com", &waitlist())
        .await
        .unwrap();
    // when an admin cancels the failed invitation and a seat frees
    h.service.cancel(&org.admin, ann).await.unwrap();
    h.service
        .remove_member(&org.admin, member.id)
        .await
        .unwrap();
    let moves = h.service.advance_waitlist(org.id()).await.unwrap();
    // then the cancelled one is dropped, and the seat goes to the next in line
    assert!(
        matches!(&moves[0], WaitlistMove::Dropped { reason, .. } if reason == "action_not_allowed")
    );
    assert!(matches!(moves[1], WaitlistMove::Invited { .. }));
    assert_eq!(moves.len(), 2);
    let audit: Vec<_> = h
        .audit(org.id(), None)
        .await
        .into_iter()
        .map(|e| e.action.name())
        .filter(|n| n.starts_with("waitlist."))
        .collect();
    assert_eq!(
        audit,
        [
            "waitlist.joined",
            "waitlist.joined",
            "waitlist.removed",
            "waitlist.moved"
        ]
    );
}

#[tokio::test]
async fn r10_1_readers_list_the_waitlist_and_only_admins_remove_from_it() {
    let h = harness();
    let org = h.standalone(0).await;
    let answer = invite_with(&h, &org, "ann@example.com", &waitlist())
        .await
        .unwrap();
    let entry = answer.waitlisted[0].id;
    let reader = Actor::read_only(org.id(), "u-r", "Rita");
    let listed = h
        .service
        .waitlist(&reader, org.id(), None, 10)
        .await
        .unwrap();
    assert_eq!(listed[0].id, entry);
    let r = refusal(h.service.remove_from_waitlist(&reader, entry).await);
    assert!(matches!(r, Refusal::Forbidden(_)));
    let outsider = h.standalone(1).await;
    let r = refusal(
        h.service
            .waitlist(&outsider.admin, org.id(), None, 10)
            .await,
    );
    assert!(matches!(
        r,
        Refusal::Forbidden(_) | Refusal::OrganizationNotFound(_)
    ));
    let r = refusal(h.service.waitlist(&org.admin, org.id(), None, 0).await);
    assert!(matches!(r, Refusal::OutOfRange { .. }));
    h.service
        .remove_from_waitlist(&org.admin, entry)
        .await
        .unwrap();
    let r = refusal(h.service.remove_from_waitlist(&org.admin, entry).await);
    assert_eq!(r, Refusal::WaitlistEntryNotFound(entry));
    assert!(
        h.store
            .waitlist(org.id(), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
