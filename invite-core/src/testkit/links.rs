//! Looking at a link before using it, and submitting a signup twice (R6.2, R6.3).

use super::fixtures::{Harness, refusal};
use crate::access::{AccessScope, Role};
use crate::ids::UserRef;
use crate::refusal::Refusal;
use crate::store::Store;
use chrono::TimeDelta;

/// R6.2: a link preview answers what a signup page shows (organization, inviter, address,
/// grants by client name, expiry, language) and, for every dead link, exactly the refusal
/// `sign_up` gives; looking changes nothing, however often.
pub async fn r6_2_a_link_preview_shows_the_invitation_and_refuses_as_sign_up_would<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let (msp, clients) = h.msp_with_clients(10, 1).await;
    let grants = crate::access::Access::msp_user(vec![crate::access::ClientGrant {
        client: clients[0].id(),
        role: Role::Admin,
    }]);
    let contact = crate::contact::Contact::parse_email("ann@example.com").unwrap();
    let inv = h
        .service
        .invite(
            &msp.admin,
            msp.id(),
            contact,
            crate::contact::Channel::Email,
            grants,
        )
        .await
        .unwrap();
    h.deliver().await;
    let token = h.token_of(inv.id);
    let audit_before = h.audit(msp.id(), None).await.len();
    for _ in 0..3 {
        let p = h.service.preview_link(&token).await.expect("a live link");
        assert_eq!(p.invitation, inv.id);
        assert_eq!(
            (p.organization_name.as_str(), p.address.as_str()),
            ("Provider", "ann@example.com")
        );
        assert_eq!(p.invited_by, "Provider Admin");
        assert_eq!(p.grants.len(), 1);
        assert_eq!(
            (p.grants[0].org_name.as_str(), p.grants[0].role),
            ("Client 0", Role::Admin)
        );
        assert_eq!(p.expires_at, h.invitation(inv.id).await.expires_at());
    }
    assert_eq!(
        h.audit(msp.id(), None).await.len(),
        audit_before,
        "looking changes nothing"
    );
    assert!(matches!(
        h.invitation(inv.id).await.access().scope,
        AccessScope::Clients(_)
    ));

    // Every dead link: the preview's refusal is the signup's.
    let acme = h.standalone(10).await;
    let check = |token: String| {
        let service = h.service.clone();
        async move {
            let seen = refusal(service.preview_link(&token).await);
            let got = refusal(service.sign_up(&token, None).await);
            assert_eq!(seen, got, "the preview refuses as the signup does");
            seen
        }
    };
    assert_eq!(check("no-such-token".into()).await, Refusal::UnknownLink);
    let (cancelled, t) = h.invite_delivered(&acme, "c@example.com").await;
    h.service.cancel(&acme.admin, cancelled.id).await.unwrap();
    assert_eq!(check(t).await, Refusal::LinkCancelled);
    let (resent, old) = h.invite_delivered(&acme, "r@example.com").await;
    h.advance(TimeDelta::minutes(2));
    h.service.resend(&acme.admin, resent.id).await.unwrap();
    assert_eq!(check(old).await, Refusal::LinkSuperseded);
    let (_, used) = h.invite_delivered(&acme, "u@example.com").await;
    h.service.sign_up(&used, None).await.unwrap();
    assert_eq!(check(used).await, Refusal::LinkAlreadyUsed);
    let (_, late) = h.invite_delivered(&acme, "e@example.com").await;
    h.advance(TimeDelta::hours(73));
    assert_eq!(check(late).await, Refusal::LinkExpired);
}

/// R6.3: the same signup submitted again, with the same application user id, answers the
/// same signup (the same member, no second one), and so does one without a user id (the
/// invitation's own, taken at signup, is used); with another user id the link is used.
pub async fn r6_3_a_signup_retried_with_the_same_user_id_answers_the_same_signup<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let (_, token) = h.invite_delivered(&acme, "bob@example.com").await;
    let app_user = UserRef::new("app-bob");
    let first = h
        .service
        .sign_up(&token, Some(app_user.clone()))
        .await
        .unwrap();
    let again = h
        .service
        .sign_up(&token, Some(app_user.clone()))
        .await
        .unwrap();
    assert_eq!(again, first, "the same signup");
    let seats = h.store.seats(acme.id(), h.now()).await.unwrap();
    assert_eq!(seats.used, 1, "one member");
    let other = h
        .service
        .sign_up(&token, Some(UserRef::new("app-eve")))
        .await;
    assert_eq!(refusal(other), Refusal::LinkAlreadyUsed);
    // Without a user id the invitation's own is used: since the signup it is app-bob's.
    let bare = h.service.sign_up(&token, None).await.unwrap();
    assert_eq!(bare.member.id, first.member.id);
}
