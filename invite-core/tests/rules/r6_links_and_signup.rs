//! R6 Links and signup: the token, refused links, one signup per link, the first login.

use crate::support::harness;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use invite_core::testkit::*;
use invite_core::*;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

#[tokio::test]
async fn r6_1_a_link_token_has_256_random_bits_and_is_stored_only_as_its_hash() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let a = h.invite_as(&admin, org.id, "a@example.com").await;
    h.invite_as(&admin, org.id, "b@example.com").await;
    h.deliver().await;
    let token = h.token_sent_to("a@example.com");
    // 256 bits
    let bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64url");
    assert_eq!(bytes.len(), 32);
    // different for every link
    assert_ne!(token, h.token_sent_to("b@example.com"));
    // The store knows the link by the SHA-256 of the token
    let hash = LinkToken::from_link(token.clone()).hash();
    assert_eq!(hash.0, <[u8; 32]>::from(Sha256::digest(token.as_bytes())));
    let link = h
        .store
        .link(&hash)
        .await
        .unwrap()
        .expect("link stored by hash");
    assert_eq!(link.invitation, a.id);
    // and nowhere in storage is the token, or the link, in plain text
    let dump = format!("{:?}", *h.store);
    assert!(!dump.contains(&token));
    assert!(!dump.contains(SIGNUP_URL_BASE));
    // a token minted in memory does not show itself either
    let minted = LinkToken::mint().unwrap();
    assert_eq!(format!("{minted:?}"), "LinkToken(<redacted>)");
    assert_eq!(URL_SAFE_NO_PAD.decode(minted.expose()).unwrap().len(), 32);
}

#[tokio::test]
async fn r6_2_unknown_cancelled_expired_superseded_and_used_links_are_refused_distinctly() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(10).await;
    let cancelled = h.invite_as(&admin, org.id, "cancelled@example.com").await;
    h.invite_as(&admin, org.id, "expired@example.com").await;
    let superseded = h.invite_as(&admin, org.id, "superseded@example.com").await;
    h.invite_as(&admin, org.id, "used@example.com").await;
    h.deliver().await;
    let token = |a: &str| h.token_sent_to(&format!("{a}@example.com"));
    let (t_cancelled, t_expired, t_superseded, t_used) = (
        token("cancelled"),
        token("expired"),
        token("superseded"),
        token("used"),
    );
    h.service.cancel(&admin, cancelled.id).await.unwrap();
    h.sign_up_as("used@example.com").await;
    h.advance(TimeDelta::minutes(2));
    h.service.resend(&admin, superseded.id).await.unwrap();
    h.advance(TimeDelta::hours(72));

    let unknown = LinkToken::mint().unwrap();
    let got = [
        refusal(h.service.sign_up(unknown.expose(), None).await),
        refusal(h.service.sign_up(&t_cancelled, None).await),
        refusal(h.service.sign_up(&t_expired, None).await),
        refusal(h.service.sign_up(&t_superseded, None).await),
        refusal(h.service.sign_up(&t_used, None).await),
    ];
    assert_eq!(
        got,
        [
            Refusal::UnknownLink,
            Refusal::LinkCancelled,
            Refusal::LinkExpired,
            Refusal::LinkSuperseded,
            Refusal::LinkAlreadyUsed,
        ]
    );
    // each distinct, also in its message
    let texts: HashSet<String> = got.iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), 5);
    // A garbage token is unknown too
    assert_eq!(
        refusal(h.service.sign_up("not a token", None).await),
        Refusal::UnknownLink
    );
}

#[tokio::test]
async fn r6_2_links_of_replaced_or_failed_invitations_are_refused() {
    // Code's choices for cases the SPEC does not list: the link of an invitation replaced by a
    // new one to the same address is superseded; the link of a Failed one says it failed.
    let h = harness();
    let TestOrg { org, admin } = h.standalone(1).await;
    h.invite_as(&admin, org.id, "old@example.com").await;
    h.invite_as(&admin, org.id, "late@example.com").await;
    h.invite_as(&admin, org.id, "first@example.com").await;
    h.deliver().await;
    let old = h.token_sent_to("old@example.com");
    let late = h.token_sent_to("late@example.com");
    let first = h.sign_up_as("first@example.com").await;
    assert_eq!(
        refusal(h.service.sign_up(&late, None).await),
        Refusal::SeatsExhausted
    );
    assert_eq!(
        refusal(h.service.sign_up(&late, None).await),
        Refusal::InvitationFailed
    );
    // "old" expires and is invited again (a seat freed for it)
    h.advance(TimeDelta::hours(72));
    h.service
        .remove_member(&admin, first.member.id)
        .await
        .unwrap();
    h.invite_as(&admin, org.id, "old@example.com").await;
    assert_eq!(
        refusal(h.service.sign_up(&old, None).await),
        Refusal::LinkSuperseded
    );
}

#[tokio::test]
async fn r6_3_a_link_is_used_once_and_a_retried_signup_never_makes_two_members() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    let token = h.token_sent_to("bob@example.com");
    let first = h
        .service
        .sign_up(&token, Some(UserRef::new("app-1")))
        .await
        .unwrap();
    assert_eq!(first.invitation.id, inv.id);
    // The same request again: refused, no second member
    assert_eq!(
        refusal(h.service.sign_up(&token, Some(UserRef::new("app-1"))).await),
        Refusal::LinkAlreadyUsed
    );
    assert_eq!(h.seats(org.id).await.used, 1);
    assert_eq!(h.invitation(inv.id).await.member(), Some(first.member.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r6_3_concurrent_retries_of_one_signup_make_one_member() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    let token = h.token_sent_to("bob@example.com");
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (service, token) = (h.service.clone(), token.clone());
            tokio::spawn(async move { service.sign_up(&token, None).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.refusal(), Some(&Refusal::LinkAlreadyUsed)),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(h.seats(org.id).await.used, 1);
}

#[tokio::test]
async fn r6_4_the_first_login_reported_by_the_application_moves_never_used_to_completed() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    let signup = h.sign_up_as("bob@example.com").await;
    assert_eq!(h.status(inv.id).await, Status::NeverUsed);
    // Another organization's user cannot report it
    let stranger = Actor::admin(OrgId::new(), "x", "Xavier");
    assert!(matches!(
        refusal(
            h.service
                .record_first_login(&stranger, signup.member.id)
                .await
        ),
        Refusal::MemberNotFound(_)
    ));
    assert_eq!(h.status(inv.id).await, Status::NeverUsed);
    // When the application reports the first login
    h.advance(TimeDelta::hours(3));
    let login_at = h.now();
    h.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    // Then the invitation is Completed
    let rec = h.invitation(inv.id).await;
    assert_eq!(rec.status_at(h.now()), Status::Completed);
    assert_eq!(rec.first_login_at(), Some(login_at));
    assert_eq!(rec.completed(), Some((login_at, CompletedBy::FirstLogin)));
    // and later reports change nothing
    h.advance(TimeDelta::hours(1));
    h.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    assert_eq!(h.invitation(inv.id).await.first_login_at(), Some(login_at));
    let logins = h
        .service
        .audit_trail(&admin, org.id, Some(inv.id))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == AuditAction::FirstLogin)
        .count();
    assert_eq!(logins, 1);
}
