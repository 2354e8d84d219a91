//! Accepted notices (issue 11, point 7): when the organization asks for it, the sender of an
//! invitation is told that the invitee signed up, by a message of its own kind written in
//! the signup's commit (R7.1), in the organization's language (R7.5), without a link.

use crate::support::harness;
use invite_core::testkit::*;
use invite_core::*;

/// The user id the harness's admin acts with.
fn user_of(actor: &Actor) -> UserRef {
    match actor {
        Actor::OrgUser { user, .. } => user.clone(),
        _ => unreachable!("the harness's admins are organization users"),
    }
}

/// An organization with accepted notices `on`, its admin a member at `sender` (or not a
/// member at all when `None`), in `language`.
async fn org_with_notices(
    h: &Harness<MemoryStore>,
    on: bool,
    sender: Option<Contact>,
    language: Language,
) -> TestOrg {
    let settings = OrgSettings {
        language,
        ..OrgSettings::with_seats(10)
    };
    let org = h.org_with("Acme", settings).await;
    if let Some(contact) = sender {
        h.service
            .add_member(
                &h.operator,
                org.id(),
                contact,
                Some(user_of(&org.admin)),
                Access::user(Role::Admin),
            )
            .await
            .unwrap();
    }
    h.service
        .set_accepted_notices(&org.admin, org.id(), on)
        .await
        .unwrap();
    org
}

fn notices(h: &Harness<MemoryStore>) -> Vec<Notification> {
    h.notifier
        .delivered()
        .into_iter()
        .filter(|n| n.kind == MessageKind::AcceptedNotice)
        .collect()
}

#[tokio::test]
async fn r7_1_a_signup_with_accepted_notices_on_queues_one_notice_to_the_sender() {
    // Given an organization that tells senders, its admin a member by e-mail
    let h = harness();
    let ann = Contact::parse_email("ann@example.com").unwrap();
    let org = org_with_notices(&h, true, Some(ann), Language::En).await;
    let (inv, token) = h.invite_delivered(&org, "bob@example.com").await;

    // When Bob signs up, the signup's own commit queues the notice
    h.service
        .sign_up(&token, Some("u-bob".into()))
        .await
        .unwrap();
    assert_eq!(
        h.store.outbox_counts().0,
        1,
        "one message waits: the notice"
    );

    // Then the dispatcher delivers exactly one notice to Ann, naming Bob, with no link
    h.deliver().await;
    let [notice] = &notices(&h)[..] else {
        panic!("one notice");
    };
    assert_eq!(
        (notice.to.as_str(), notice.channel, notice.invitee.as_str()),
        ("ann@example.com", Channel::Email, "bob@example.com")
    );
    assert_eq!(notice.invitation, inv.id);
    assert_eq!(notice.language, Language::En);
    assert_eq!(
        (notice.signup_url.as_ref(), notice.expires_at),
        (None, None)
    );
    // And the same signup submitted again does not tell her twice
    assert!(
        h.service
            .sign_up(&token, Some("u-bob".into()))
            .await
            .is_ok()
    );
    h.deliver().await;
    assert_eq!(notices(&h).len(), 1);
}

#[tokio::test]
async fn r7_1_with_accepted_notices_off_a_signup_queues_nothing() {
    let h = harness();
    let ann = Contact::parse_email("ann@example.com").unwrap();
    let org = org_with_notices(&h, false, Some(ann), Language::En).await;
    assert!(!h.organization(org.id()).await.settings.accepted_notices);
    let (_, token) = h.invite_delivered(&org, "bob@example.com").await;
    h.sign_up(&token).await;
    assert_eq!(h.store.outbox_counts().0, 0);
    h.deliver().await;
    assert!(notices(&h).is_empty());
    // Off is the default
    assert!(!OrgSettings::default().accepted_notices);
}

#[tokio::test]
async fn r7_5_the_notice_is_in_the_organizations_language_by_a_channel_it_allows() {
    // Given a Russian-speaking organization whose admin has a phone only
    let h = harness();
    let phone = Contact::parse_phone("+79051111111").unwrap();
    let org = org_with_notices(&h, true, Some(phone), Language::Ru).await;
    let (_, token) = h.invite_delivered(&org, "bob@example.com").await;
    h.sign_up(&token).await;
    h.deliver().await;
    let [notice] = &notices(&h)[..] else {
        panic!("one notice");
    };
    assert_eq!(notice.language, Language::Ru);
    assert_eq!(
        (notice.channel, notice.to.as_str()),
        (Channel::Sms, "+79051111111")
    );
}

#[tokio::test]
async fn r7_1_a_sender_who_is_no_member_or_has_no_allowed_address_gets_no_notice() {
    // Given a sender who is not a member, and one whose only address is by SMS where the
    // organization allows e-mail only
    let h = harness();
    let nobody = org_with_notices(&h, true, None, Language::En).await;
    let phone = Contact::parse_phone("+79051111111").unwrap();
    let sms_only = org_with_notices(&h, true, Some(phone), Language::En).await;
    // (E-mail only is the operator's setting, issue 11.6.)
    h.service
        .change_channels(&h.operator, sms_only.id(), AllowedChannels::EMAIL_ONLY)
        .await
        .unwrap();

    // When their invitees sign up, the signups succeed and the notices are dropped with the
    // reason
    for (org, bob) in [(&nobody, "bob@example.com"), (&sms_only, "rob@example.com")] {
        let (inv, token) = h.invite_delivered(org, bob).await;
        h.sign_up(&token).await;
        let dropped_before = h.store.outbox_counts().3;
        let report = h.deliver().await;
        assert_eq!((report.sent, report.dropped), (0, 1));
        assert_eq!(
            h.store.outbox_counts().3,
            dropped_before + 1,
            "dropped, not pending"
        );
        assert_eq!(h.status(inv.id).await, Status::NeverUsed);
    }
    assert!(notices(&h).is_empty());
}

#[tokio::test]
async fn r7_1_a_notice_about_a_member_removed_before_it_went_is_dropped() {
    let h = harness();
    let ann = Contact::parse_email("ann@example.com").unwrap();
    let org = org_with_notices(&h, true, Some(ann), Language::En).await;
    let (_, token) = h.invite_delivered(&org, "bob@example.com").await;
    let bob = h.sign_up(&token).await.member;
    h.service.remove_member(&org.admin, bob.id).await.unwrap();
    let report = h.deliver().await;
    assert_eq!((report.sent, report.dropped), (0, 1));
    assert!(notices(&h).is_empty());
}

#[tokio::test]
async fn r10_1_only_an_admin_switches_accepted_notices() {
    let h = harness();
    let org = h.standalone(5).await;
    let reader = Actor::read_only(org.id(), "u-rita", "Rita");
    let refused = h
        .service
        .set_accepted_notices(&reader, org.id(), true)
        .await;
    assert!(matches!(refusal(refused), Refusal::Forbidden(_)));
    let outsider = h.standalone(5).await.admin;
    let refused = h
        .service
        .set_accepted_notices(&outsider, org.id(), true)
        .await;
    assert!(matches!(refusal(refused), Refusal::Forbidden(_)));
    let on = h
        .service
        .set_accepted_notices(&org.admin, org.id(), true)
        .await
        .unwrap();
    assert!(on.settings.accepted_notices);
    let trail = h.audit(org.id(), None).await;
    assert_eq!(
        trail.last().map(|e| &e.action),
        Some(&AuditAction::SettingsChanged)
    );
    // Switching it on again changes nothing
    let again = h
        .service
        .set_accepted_notices(&org.admin, org.id(), true)
        .await
        .unwrap();
    assert_eq!(again.version, on.version);
}
