//! R2.7–R2.8: one live invitation per address, invitations again after they end, and an
//! address that cannot change while the access can until signup.

use crate::support::{harness, user_access};
use chrono::TimeDelta;
use invite_core::testkit::*;
use invite_core::*;

#[tokio::test]
async fn r2_7_a_live_address_is_already_invited_and_a_member_already_member() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let again = |addr: &'static str| {
        let h = &h;
        let admin = admin.clone();
        async move {
            h.service
                .invite(
                    &admin,
                    org.id,
                    Contact::parse_email(addr).unwrap(),
                    Channel::Email,
                    user_access(),
                )
                .await
        }
    };
    // Queued: already invited
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    assert!(matches!(
        refusal(again("bob@example.com").await),
        Refusal::AlreadyInvited { .. }
    ));
    // Pending: already invited
    h.deliver().await;
    assert_eq!(h.status(inv.id).await, Status::Pending);
    assert!(matches!(
        refusal(again("BOB@example.com").await),
        Refusal::AlreadyInvited { address } if address == "BOB@example.com"
    ));
    // Signed up: already a member
    h.sign_up_as("bob@example.com").await;
    assert!(matches!(
        refusal(again("bob@example.com").await),
        Refusal::AlreadyMember { .. }
    ));
    // A member added without invitation too
    h.service
        .add_member(
            &admin,
            org.id,
            Contact::parse_email("ann@example.com").unwrap(),
            Some(UserRef::new("u1")),
            Access::user(Role::Admin),
        )
        .await
        .unwrap();
    assert!(matches!(
        refusal(again("ann@example.com").await),
        Refusal::AlreadyMember { .. }
    ));
    // The same address twice in one call: the first wins
    let out = h
        .service
        .invite_many(
            &admin,
            org.id,
            &["c@example.com", "C@Example.com"],
            user_access(),
        )
        .await
        .unwrap();
    assert!(out[0].result.is_ok());
    assert!(matches!(out[1].result, Err(Refusal::AlreadyInvited { .. })));
    // At most one live invitation per address: one row each in the Pending tab
    let d = h.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(d.counts.pending, 1);
}

#[tokio::test]
async fn r2_7_an_address_may_be_invited_again_after_expiry_failure_or_cancellation() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(10).await;
    // Given one expired, one failed and one cancelled invitation
    h.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    let expired = h.invite_as(&admin, org.id, "expired@example.com").await;
    let failed = h.invite_as(&admin, org.id, "failed@example.com").await;
    let cancelled = h.invite_as(&admin, org.id, "cancelled@example.com").await;
    h.deliver().await;
    h.service.cancel(&admin, cancelled.id).await.unwrap();
    h.advance(TimeDelta::hours(72));
    assert_eq!(h.status(expired.id).await, Status::Expired);
    assert_eq!(h.status(failed.id).await, Status::Failed);
    assert_eq!(h.status(cancelled.id).await, Status::Cancelled);
    // When each address is invited again
    for (old, addr) in [
        (expired.id, "expired@example.com"),
        (failed.id, "failed@example.com"),
        (cancelled.id, "cancelled@example.com"),
    ] {
        let new = h.invite_as(&admin, org.id, addr).await;
        // Then a new queued invitation exists
        assert_ne!(new.id, old);
        assert_eq!(h.status(new.id).await, Status::Queued);
        // and the old one leaves the lists (code's choice: an expired or failed invitation is
        // replaced by the new one, which keeps one row per address)
        assert_eq!(h.status(old).await, Status::Cancelled);
    }
    let d = h.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(
        (d.counts.all, d.counts.pending, d.counts.expired_or_failed),
        (3, 3, 0)
    );
    h.deliver().await;
    assert_eq!(h.notifier.delivered_to("failed@example.com").len(), 1);
    assert_eq!(h.notifier.delivered_to("expired@example.com").len(), 2);
}

#[tokio::test]
async fn r2_8_access_is_editable_until_signup_and_refused_after() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let admin_access = Access::user(Role::Admin).as_admin(PermissionLevel::new("owner").unwrap());
    // Queued: editable
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    let edited = h
        .service
        .edit_access(&admin, inv.id, admin_access.clone())
        .await
        .unwrap();
    assert_eq!(edited.access().clone(), admin_access);
    // Pending: editable, and the address stays what it was
    h.deliver().await;
    let edited = h
        .service
        .edit_access(&admin, inv.id, Access::user(Role::ReadOnly))
        .await
        .unwrap();
    assert_eq!(edited.access().clone(), Access::user(Role::ReadOnly));
    assert_eq!(edited.contact, inv.contact);
    // An edit still has to fit the organization
    let r = h
        .service
        .edit_access(&admin, inv.id, Access::msp_user(vec![]))
        .await;
    assert_eq!(
        refusal(r),
        Refusal::InvalidAccess(AccessError::GrantsOnlyFromMsp)
    );
    // After signup, the member gets the access as edited
    let signup = h.sign_up_as("bob@example.com").await;
    assert_eq!(signup.member.access, Access::user(Role::ReadOnly));
    // and no more edits
    let r = h
        .service
        .edit_access(&admin, inv.id, admin_access.clone())
        .await;
    assert_eq!(
        refusal(r),
        Refusal::ActionNotAllowed {
            action: Action::EditAccess,
            status: Status::NeverUsed
        }
    );
    assert_eq!(
        h.invitation(inv.id).await.access().clone(),
        Access::user(Role::ReadOnly)
    );
}

#[tokio::test]
async fn r2_8_a_wrong_address_is_fixed_by_cancelling_and_inviting_again() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    // Given a typo
    let typo = h.invite_as(&admin, org.id, "bob@exmaple.com").await;
    h.deliver().await;
    let typo_token = h.token_sent_to("bob@exmaple.com");
    // When it is cancelled and the right address invited
    h.service.cancel(&admin, typo.id).await.unwrap();
    let right = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    // Then the typo's link is dead and the right one works
    assert_eq!(
        refusal(h.service.sign_up(&typo_token, None).await),
        Refusal::LinkCancelled
    );
    let signup = h.sign_up_as("bob@example.com").await;
    assert_eq!(signup.invitation.id, right.id);
    assert_eq!(
        signup.member.contact.email_address().unwrap().as_str(),
        "bob@example.com"
    );
}
