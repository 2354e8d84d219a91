//! R2.9–R2.11: bulk invites answered per address, what an invitation records, and the
//! status of application users.

use crate::support::{harness, user_access};
use chrono::TimeDelta;
use invite_core::testkit::*;
use invite_core::*;

#[tokio::test]
async fn r2_9_bulk_invite_answers_per_address_and_one_bad_address_blocks_no_other() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(10).await;
    let access = Access::user(Role::Admin).as_admin(PermissionLevel::new("ops").unwrap());
    let addresses = [
        "a@example.com",
        "not-an-address@",
        "9051111111",
        "+79051111111",
        " B@Example.com ",
    ];
    // When five addresses are invited in one call, two of them bad
    let out = h
        .service
        .invite_many(&admin, org.id, &addresses, access.clone())
        .await
        .unwrap();
    // Then there is one answer per address, in order
    assert_eq!(out.len(), 5);
    for (o, input) in out.iter().zip(addresses) {
        assert_eq!(o.input, input);
    }
    assert!(matches!(
        out[1].result,
        Err(Refusal::InvalidContact(ContactError::InvalidEmail { .. }))
    ));
    assert!(matches!(
        out[2].result,
        Err(Refusal::InvalidContact(
            ContactError::MissingCountryCode { .. }
        ))
    ));
    // and the three good ones are invited with the same type and access, phones by SMS
    let ok: Vec<&Invitation> = out.iter().filter_map(|o| o.result.as_ref().ok()).collect();
    assert_eq!(ok.len(), 3);
    assert!(ok.iter().all(|i| i.access().clone() == access));
    assert_eq!(out[0].result.as_ref().unwrap().channel, Channel::Email);
    assert_eq!(out[3].result.as_ref().unwrap().channel, Channel::Sms);
    assert_eq!(
        out[4].result.as_ref().unwrap().address_key(),
        "b@example.com"
    );
    h.deliver().await;
    assert_eq!(h.notifier.delivered().len(), 3);
    assert_eq!(
        h.notifier.delivered_to("+79051111111")[0].channel,
        Channel::Sms
    );
    let d = h.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!((d.counts.invited_by_email, d.counts.invited_by_sms), (2, 1));
}

#[tokio::test]
async fn r2_9_bulk_invite_to_an_e_mail_only_organization_refuses_only_the_phones() {
    let h = harness();
    let settings = OrgSettings {
        channels: AllowedChannels::EMAIL_ONLY,
        ..OrgSettings::with_seats(10)
    };
    let TestOrg { org, admin } = h.org_with("Acme", settings).await;
    let out = h
        .service
        .invite_many(
            &admin,
            org.id,
            &["+79051111111", "a@example.com"],
            user_access(),
        )
        .await
        .unwrap();
    assert_eq!(out[0].result, Err(Refusal::ChannelNotAllowed(Channel::Sms)));
    assert!(out[1].result.is_ok());
    assert_eq!(h.store.outbox_counts(), (1, 0, 0, 0));
}

#[tokio::test]
async fn r2_10_invitation_records_sender_send_count_last_invitation_and_signup_dates() {
    let h = harness();
    let TestOrg { org, .. } = h.standalone(5).await;
    // An admin with a name, to check the sender by value
    let admin = Actor::admin(org.id, "u1", "Ann");
    let t0 = h.now();
    // Invited by Ann at t0
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    assert_eq!(
        inv.sender,
        Sender {
            user: UserRef::new("u1"),
            name: "Ann".into()
        }
    );
    assert_eq!((inv.created_at, inv.last_invited_at()), (t0, t0));
    assert_eq!((inv.send_count(), inv.last_sent_at()), (0, None));
    // Delivered a minute later: one send
    h.advance(TimeDelta::minutes(1));
    h.deliver().await;
    let t1 = h.now();
    let rec = h.invitation(inv.id).await;
    assert_eq!((rec.send_count(), rec.last_sent_at()), (1, Some(t1)));
    assert_eq!(rec.last_invited_at(), t0);
    // Resent by another admin two hours later: the sender stays, the dates move
    h.advance(TimeDelta::hours(2));
    let t2 = h.now();
    let other_admin = Actor::admin(org.id, "u2", "Zed");
    h.service.resend(&other_admin, inv.id).await.unwrap();
    h.deliver().await;
    let rec = h.invitation(inv.id).await;
    assert_eq!(
        (rec.send_count(), rec.last_invited_at(), rec.last_sent_at()),
        (2, t2, Some(t2))
    );
    assert_eq!(rec.sender.name, "Ann");
    assert_eq!(rec.created_at, t0);
    // Signed up: the signup date
    h.advance(TimeDelta::hours(1));
    let t3 = h.now();
    h.sign_up_as("bob@example.com").await;
    let rec = h.invitation(inv.id).await;
    assert_eq!(rec.signed_up_at(), Some(t3));
    assert_eq!(rec.send_count(), 2);
}

#[tokio::test]
async fn r2_11_status_of_users_reports_not_invited_and_the_latest_status() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let dir = |id: &str, email: &str| DirectoryUser {
        user: UserRef::new(id),
        email: Some(email.into()),
        phone: None,
    };
    // Given app users 7 and 8 invited from the directory, 9 never invited
    let out = h
        .service
        .invite_directory_users(
            &admin,
            org.id,
            &[
                dir("app-7", "seven@example.com"),
                dir("app-8", "eight@example.com"),
            ],
            Channel::Email,
            user_access(),
        )
        .await
        .unwrap();
    assert_eq!(
        out[0].result.as_ref().unwrap().user_ref().cloned(),
        Some(UserRef::new("app-7"))
    );
    h.deliver().await;
    let signup = h.sign_up_as("eight@example.com").await;
    // the member is tied to the same application id
    assert_eq!(signup.member.user_ref, Some(UserRef::new("app-8")));
    let users = [
        UserRef::new("app-7"),
        UserRef::new("app-8"),
        UserRef::new("app-9"),
    ];
    let reader = Actor::read_only(org.id, "r1", "Rita");
    let statuses = h
        .service
        .status_of_users(&reader, org.id, &users)
        .await
        .unwrap();
    assert_eq!(
        statuses,
        vec![
            (UserRef::new("app-7"), UserStatus::Invited(Status::Pending)),
            (
                UserRef::new("app-8"),
                UserStatus::Invited(Status::NeverUsed)
            ),
            (UserRef::new("app-9"), UserStatus::NotInvited),
        ]
    );
    // After expiry and a new invitation, the latest one counts
    h.advance(TimeDelta::hours(72));
    let s = h
        .service
        .status_of_users(&reader, org.id, &users[..1])
        .await
        .unwrap();
    assert_eq!(s[0].1, UserStatus::Invited(Status::Expired));
    h.service
        .invite_directory_users(
            &admin,
            org.id,
            &[dir("app-7", "seven@example.com")],
            Channel::Email,
            user_access(),
        )
        .await
        .unwrap();
    let s = h
        .service
        .status_of_users(&reader, org.id, &users[..1])
        .await
        .unwrap();
    assert_eq!(s[0].1, UserStatus::Invited(Status::Queued));
}

#[tokio::test]
async fn r2_11_inviting_an_expired_address_again_keeps_the_application_user_id() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let user = UserRef::new("app-7");
    // Given app user 7 invited from the directory, and the invitation expired
    h.service
        .invite_directory_users(
            &admin,
            org.id,
            &[DirectoryUser {
                user: user.clone(),
                email: Some("seven@example.com".into()),
                phone: None,
            }],
            Channel::Email,
            user_access(),
        )
        .await
        .unwrap();
    h.deliver().await;
    h.advance(TimeDelta::hours(72));
    // When an admin invites the address again from the invite box (no user id given)
    let again = h.invite_as(&admin, org.id, "seven@example.com").await;
    // Then the new invitation, which replaced the old one, is still tied to user 7
    assert_eq!(again.user_ref().cloned(), Some(user.clone()));
    let s = h
        .service
        .status_of_users(&admin, org.id, std::slice::from_ref(&user))
        .await
        .unwrap();
    assert_eq!(s[0].1, UserStatus::Invited(Status::Queued));
    // and so is the member who signs up with it
    h.deliver().await;
    let signup = h.sign_up_as("seven@example.com").await;
    assert_eq!(signup.member.user_ref, Some(user));
}
