//! R2.1–R2.3: a contact and the one channel it is invited by, how e-mail addresses and phone
//! numbers are read, directory users without the address a channel needs.

use crate::support::{harness, user_access};
use invite_core::testkit::*;
use invite_core::*;

#[tokio::test]
async fn r2_1_invitation_with_both_addresses_is_delivered_by_the_one_chosen_channel() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let contact = Contact::new(
        Some(Email::parse("bob@example.com").unwrap()),
        Some(Phone::parse("+79051111111").unwrap()),
    )
    .unwrap();
    // When a contact with e-mail and phone is invited by SMS
    let inv = h
        .service
        .invite(&admin, org.id, contact, Channel::Sms, user_access())
        .await
        .unwrap();
    assert_eq!(inv.channel, Channel::Sms);
    assert_eq!(
        inv.contact.email_address().unwrap().as_str(),
        "bob@example.com"
    );
    h.deliver().await;
    // Then exactly one message goes out, by SMS to the phone; none to the e-mail
    let sms = h.notifier.delivered_to("+79051111111");
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].channel, Channel::Sms);
    assert!(h.notifier.delivered_to("bob@example.com").is_empty());
    assert_eq!(h.notifier.delivered().len(), 1);
}

#[tokio::test]
async fn r2_1_a_contact_needs_an_address_for_the_chosen_channel() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    assert_eq!(Contact::new(None, None), Err(ContactError::Empty));
    // A phone-only contact cannot be invited by e-mail
    let r = h
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_phone("+79051111111").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await;
    assert!(matches!(
        refusal(r),
        Refusal::Unreachable {
            channel: Channel::Email,
            ..
        }
    ));
    assert_eq!(h.store.outbox_counts(), (0, 0, 0, 0));
}

#[tokio::test]
async fn r2_2_e_mail_addresses_are_trimmed_and_compared_case_insensitively() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    // Given an invitation to "  Ann.Lee@Example.COM "
    let inv = h.invite_as(&admin, org.id, "  Ann.Lee@Example.COM ").await;
    let email = inv.contact.email_address().unwrap();
    assert_eq!(
        email.as_str(),
        "Ann.Lee@Example.COM",
        "trimmed, kept as typed"
    );
    assert_eq!(email.key(), "ann.lee@example.com");
    // When the same address is invited in another case
    let r = h
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("ann.lee@example.com").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await;
    // Then it is the same invitee
    assert!(matches!(refusal(r), Refusal::AlreadyInvited { .. }));
    // and the message goes to the trimmed address
    h.deliver().await;
    assert_eq!(h.notifier.delivered()[0].to, "Ann.Lee@Example.COM");
}

#[tokio::test]
async fn r2_2_an_invalid_e_mail_is_a_clear_per_address_error() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    for bad in [
        "ann@",
        "not an address",
        "ann@localhost",
        "Ann <ann@example.com>",
        "  ",
    ] {
        assert!(
            matches!(Email::parse(bad), Err(ContactError::InvalidEmail { .. })),
            "{bad:?}"
        );
    }
    let out = h
        .service
        .invite_many(&admin, org.id, &["ann@", "bob@example.com"], user_access())
        .await
        .unwrap();
    match &out[0].result {
        Err(Refusal::InvalidContact(ContactError::InvalidEmail { input, .. })) => {
            assert_eq!(input, "ann@");
            assert!(
                out[0]
                    .result
                    .as_ref()
                    .unwrap_err()
                    .to_string()
                    .contains("ann@")
            );
        }
        other => panic!("expected InvalidEmail, got {other:?}"),
    }
    assert!(out[1].result.is_ok());
}

#[tokio::test]
async fn r2_2_a_phone_without_country_code_is_rejected_as_missing_country_code() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let err = Phone::parse("9051111111").unwrap_err();
    assert_eq!(
        err,
        ContactError::MissingCountryCode {
            input: "9051111111".into()
        }
    );
    assert!(err.to_string().contains("country code"));
    // In a bulk invite it is this address's error
    let out = h
        .service
        .invite_many(&admin, org.id, &["9051111111"], user_access())
        .await
        .unwrap();
    assert_eq!(
        out[0].result,
        Err(Refusal::InvalidContact(ContactError::MissingCountryCode {
            input: "9051111111".into()
        }))
    );
    assert_eq!(h.store.outbox_counts(), (0, 0, 0, 0));
}

#[tokio::test]
async fn r2_2_an_e164_phone_is_accepted_and_normalized() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    assert_eq!(
        Phone::parse("+79051111111").unwrap().as_str(),
        "+79051111111"
    );
    assert_eq!(
        Phone::parse(" +7 905 111-11-11 ").unwrap().as_str(),
        "+79051111111"
    );
    // (code's choice: a number already starting with a valid country code is accepted without +)
    assert_eq!(
        Phone::parse("79051111111").unwrap().as_str(),
        "+79051111111"
    );
    // An impossible number with a + is invalid, not "missing country code"
    assert!(matches!(
        Phone::parse("+7905"),
        Err(ContactError::InvalidPhone { .. })
    ));
    let inv = h.invite_sms_as(&admin, org.id, "+7 905 111-11-11").await;
    assert_eq!(inv.address_key(), "+79051111111");
    // The same number written differently is the same invitee
    let r = h
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_phone("+79051111111").unwrap(),
            Channel::Sms,
            user_access(),
        )
        .await;
    assert!(matches!(refusal(r), Refusal::AlreadyInvited { .. }));
    h.deliver().await;
    assert_eq!(h.notifier.delivered_to("+79051111111").len(), 1);
}

#[tokio::test]
async fn r2_3_directory_user_without_e_mail_is_an_error_naming_the_user_and_nothing_is_queued() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let users = [
        DirectoryUser {
            user: UserRef::new("dir-1"),
            email: Some("one@example.com".into()),
            phone: None,
        },
        DirectoryUser {
            user: UserRef::new("dir-2"),
            email: None,
            phone: Some("+79051111111".into()),
        },
        DirectoryUser {
            user: UserRef::new("dir-3"),
            email: Some("   ".into()),
            phone: None,
        },
    ];
    // When they are invited by e-mail
    let out = h
        .service
        .invite_directory_users(&admin, org.id, &users, Channel::Email, user_access())
        .await
        .unwrap();
    // Then the users without an e-mail get MissingContact naming them
    assert!(out[0].result.is_ok());
    for (o, id) in out[1..].iter().zip(["dir-2", "dir-3"]) {
        assert_eq!(o.input, id);
        let refusal = o.result.clone().unwrap_err();
        assert_eq!(
            refusal,
            Refusal::MissingContact {
                user: UserRef::new(id),
                channel: Channel::Email
            }
        );
        assert!(
            refusal.to_string().contains(id),
            "the message names the user"
        );
    }
    // and only one message was queued, and delivered, to the first user
    assert_eq!(h.store.outbox_counts(), (1, 0, 0, 0));
    h.deliver().await;
    let sent = h.notifier.delivered();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "one@example.com");
    assert!(h.notifier.delivered_to("+79051111111").is_empty());
}

#[tokio::test]
async fn r2_3_directory_user_without_phone_cannot_be_invited_by_sms() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let users = [
        DirectoryUser {
            user: UserRef::new("dir-1"),
            email: Some("one@example.com".into()),
            phone: None,
        },
        DirectoryUser {
            user: UserRef::new("dir-2"),
            email: None,
            phone: Some("9051111111".into()),
        },
    ];
    let out = h
        .service
        .invite_directory_users(&admin, org.id, &users, Channel::Sms, user_access())
        .await
        .unwrap();
    assert_eq!(
        out[0].result,
        Err(Refusal::MissingContact {
            user: UserRef::new("dir-1"),
            channel: Channel::Sms
        })
    );
    // A profile phone without a country code is that user's own error
    assert_eq!(
        out[1].result,
        Err(Refusal::InvalidContact(ContactError::MissingCountryCode {
            input: "9051111111".into()
        }))
    );
    assert_eq!(h.store.outbox_counts(), (0, 0, 0, 0));
    assert_eq!(h.deliver().await.claimed, 0);
    assert!(h.notifier.delivered().is_empty());
}
