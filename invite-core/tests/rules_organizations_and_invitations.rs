//! Domain rule tests for organizations (R1) and invitations (R2) of SPEC.md.

mod common;

use chrono::{NaiveTime, TimeDelta};
use common::*;
use invite_core::*;

// ------------------------------------------------------------------------------------ R1

#[tokio::test]
async fn r1_1_standalone_msp_and_client_organizations_are_registered() {
    let w = World::new();
    // Given an MSP and a standalone organization
    let msp = w
        .org("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await;
    let solo = w
        .org("Solo", OrgKind::Standalone, OrgSettings::with_seats(5))
        .await;
    // When a client of the MSP is registered
    let client = w
        .org(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await;
    // Then each is stored with its kind, the client with its one MSP
    let stored = |id| {
        let store = w.store.clone();
        async move { store.organization(id).await.unwrap().unwrap() }
    };
    assert_eq!(stored(msp.id).await.kind, OrgKind::Msp);
    assert!(stored(msp.id).await.is_msp());
    assert_eq!(stored(solo.id).await.kind, OrgKind::Standalone);
    assert_eq!(
        stored(client.id).await.kind,
        OrgKind::Client { msp: msp.id }
    );
    assert_eq!(stored(client.id).await.name, "Client A");
}

#[tokio::test]
async fn r1_1_client_must_belong_to_an_existing_msp() {
    let w = World::new();
    let msp = w
        .org("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await;
    let solo = w
        .org("Solo", OrgKind::Standalone, OrgSettings::with_seats(5))
        .await;
    let client = w
        .org(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await;
    // A client of an unknown organization, of a standalone one, or of another client: refused
    for parent in [OrgId::new(), solo.id, client.id] {
        let r = w
            .service
            .create_organization(
                &operator(),
                "Orphan",
                OrgKind::Client { msp: parent },
                OrgSettings::with_seats(5),
            )
            .await;
        assert!(
            matches!(refused(r), Refusal::InvalidSetting(ref why) if why.contains("not an MSP")),
            "parent {parent}"
        );
    }
}

#[tokio::test]
async fn r1_1_only_the_operator_registers_organizations() {
    // The SPEC is silent on who registers organizations; the code reserves it to the vendor
    // operator, like seat limits.
    let w = World::new();
    let (_org, admin) = w.standalone(5).await;
    let r = w
        .service
        .create_organization(
            &admin,
            "Mine",
            OrgKind::Standalone,
            OrgSettings::with_seats(50),
        )
        .await;
    assert!(matches!(refused(r), Refusal::Forbidden(_)));
}

#[tokio::test]
async fn r1_2_settings_default_to_72h_reminders_off_10am_utc_both_channels_claim_on_signup() {
    let w = World::new();
    // When an organization is registered with default settings and 7 seats
    let org = w
        .org("Acme", OrgKind::Standalone, OrgSettings::with_seats(7))
        .await;
    let s = w
        .store
        .organization(org.id)
        .await
        .unwrap()
        .unwrap()
        .settings;
    // Then the defaults are the SPEC's
    assert_eq!(s.seat_limit, 7);
    assert_eq!(s.validity, TimeDelta::hours(72));
    assert!(!s.reminders_enabled);
    assert_eq!(s.reminder_time, NaiveTime::from_hms_opt(10, 0, 0).unwrap());
    assert_eq!(s.time_zone, chrono_tz::Tz::UTC);
    assert_eq!(s.channels, AllowedChannels::ALL);
    assert_eq!(s.seat_policy, SeatPolicy::ClaimOnSignup);
    // (code's choices where the SPEC is silent: 60 s resend cool-down, English)
    assert_eq!(s.resend_cooldown, TimeDelta::seconds(60));
    assert_eq!(s.language, Language::En);
    // and the dashboard shows the reminder switch off and all seats free
    let admin = Actor::admin(org.id, "u1", "Ann");
    let d = w.service.dashboard(&admin, org.id).await.unwrap();
    assert!(!d.reminders_enabled);
    assert_eq!(d.seats, Seats::new(7, 0));
}

#[tokio::test]
async fn r1_2_only_the_operator_changes_the_seat_limit_and_seat_policy() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    // An admin of the organization may not raise its own seat limit
    let r = w.service.change_seat_limit(&admin, org.id, 500).await;
    assert!(matches!(refused(r), Refusal::Forbidden(_)));
    let r = w
        .service
        .change_seat_policy(&admin, org.id, SeatPolicy::ReserveOnInvite)
        .await;
    assert!(matches!(refused(r), Refusal::Forbidden(_)));
    let s = w
        .store
        .organization(org.id)
        .await
        .unwrap()
        .unwrap()
        .settings;
    assert_eq!(
        (s.seat_limit, s.seat_policy),
        (5, SeatPolicy::ClaimOnSignup)
    );
    assert_eq!(w.service.seats(&admin, org.id).await.unwrap().limit, 5);

    // The operator may, and the change is audited
    let changed = w
        .service
        .change_seat_limit(&operator(), org.id, 12)
        .await
        .unwrap();
    assert_eq!(changed.settings.seat_limit, 12);
    w.service
        .change_seat_policy(&operator(), org.id, SeatPolicy::ReserveOnInvite)
        .await
        .unwrap();
    let s = w
        .store
        .organization(org.id)
        .await
        .unwrap()
        .unwrap()
        .settings;
    assert_eq!(
        (s.seat_limit, s.seat_policy),
        (12, SeatPolicy::ReserveOnInvite)
    );
    assert_eq!(w.service.seats(&admin, org.id).await.unwrap().limit, 12);
    let trail = w.service.audit_trail(&admin, org.id, None).await.unwrap();
    assert!(trail.iter().any(
        |e| e.action == AuditAction::SeatLimitChanged { from: 5, to: 12 } && e.actor == operator()
    ));
    assert!(
        trail
            .iter()
            .any(|e| e.action == AuditAction::SeatPolicyChanged)
    );
}

#[tokio::test]
async fn r1_2_admins_set_validity_reminder_time_zone_and_e_mail_only() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    // When the admin makes the organization e-mail only, Berlin time, 08:30, 48 h links
    let update = SettingsUpdate {
        validity: Some(TimeDelta::hours(48)),
        reminder_time: Some(NaiveTime::from_hms_opt(8, 30, 0).unwrap()),
        time_zone: Some(chrono_tz::Europe::Berlin),
        channels: Some(AllowedChannels::EMAIL_ONLY),
        ..SettingsUpdate::default()
    };
    let org2 = w
        .service
        .update_settings(&admin, org.id, update)
        .await
        .unwrap();
    assert_eq!(org2.settings.validity, TimeDelta::hours(48));
    assert_eq!(org2.settings.time_zone, chrono_tz::Europe::Berlin);
    // Then SMS invitations are refused, e-mail ones accepted
    let r = w
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_phone("+79051111111").unwrap(),
            Channel::Sms,
            user_access(),
        )
        .await;
    assert_eq!(refused(r), Refusal::ChannelNotAllowed(Channel::Sms));
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    // and the new validity applies to the delivered link
    w.deliver().await;
    assert_eq!(
        w.inv(inv.id).await.expires_at(),
        Some(w.now() + TimeDelta::hours(48))
    );
    // Settings out of range are refused
    let bad = SettingsUpdate {
        validity: Some(TimeDelta::zero()),
        ..SettingsUpdate::default()
    };
    assert!(matches!(
        refused(w.service.update_settings(&admin, org.id, bad).await),
        Refusal::OutOfRange { ref field, .. } if field == "validity"
    ));
    let none = SettingsUpdate {
        channels: Some(AllowedChannels {
            email: false,
            sms: false,
        }),
        ..SettingsUpdate::default()
    };
    assert!(matches!(
        refused(w.service.update_settings(&admin, org.id, none).await),
        Refusal::OutOfRange { ref field, .. } if field == "channels"
    ));
}

// ------------------------------------------------------------------------------------ R2

#[tokio::test]
async fn r2_1_invitation_with_both_addresses_is_delivered_by_the_one_chosen_channel() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let contact = Contact::new(
        Some(Email::parse("bob@example.com").unwrap()),
        Some(Phone::parse("+79051111111").unwrap()),
    )
    .unwrap();
    // When a contact with e-mail and phone is invited by SMS
    let inv = w
        .service
        .invite(&admin, org.id, contact, Channel::Sms, user_access())
        .await
        .unwrap();
    assert_eq!(inv.channel, Channel::Sms);
    assert_eq!(
        inv.contact.email_address().unwrap().as_str(),
        "bob@example.com"
    );
    w.deliver().await;
    // Then exactly one message goes out, by SMS to the phone; none to the e-mail
    let sms = w.delivered_to("+79051111111");
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].channel, Channel::Sms);
    assert!(w.delivered_to("bob@example.com").is_empty());
    assert_eq!(w.notifier.delivered().len(), 1);
}

#[tokio::test]
async fn r2_1_a_contact_needs_an_address_for_the_chosen_channel() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    assert_eq!(Contact::new(None, None), Err(ContactError::Empty));
    // A phone-only contact cannot be invited by e-mail
    let r = w
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
        refused(r),
        Refusal::Unreachable {
            channel: Channel::Email,
            ..
        }
    ));
    assert_eq!(w.store.outbox_counts(), (0, 0, 0, 0));
}

#[tokio::test]
async fn r2_2_e_mail_addresses_are_trimmed_and_compared_case_insensitively() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    // Given an invitation to "  Ann.Lee@Example.COM "
    let inv = w.invite(&admin, org.id, "  Ann.Lee@Example.COM ").await;
    let email = inv.contact.email_address().unwrap();
    assert_eq!(
        email.as_str(),
        "Ann.Lee@Example.COM",
        "trimmed, kept as typed"
    );
    assert_eq!(email.key(), "ann.lee@example.com");
    // When the same address is invited in another case
    let r = w
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
    assert!(matches!(refused(r), Refusal::AlreadyInvited { .. }));
    // and the message goes to the trimmed address
    w.deliver().await;
    assert_eq!(w.notifier.delivered()[0].to, "Ann.Lee@Example.COM");
}

#[tokio::test]
async fn r2_2_an_invalid_e_mail_is_a_clear_per_address_error() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
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
    let out = w
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
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let err = Phone::parse("9051111111").unwrap_err();
    assert_eq!(
        err,
        ContactError::MissingCountryCode {
            input: "9051111111".into()
        }
    );
    assert!(err.to_string().contains("country code"));
    // In a bulk invite it is this address's error
    let out = w
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
    assert_eq!(w.store.outbox_counts(), (0, 0, 0, 0));
}

#[tokio::test]
async fn r2_2_an_e164_phone_is_accepted_and_normalized() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
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
    let inv = w.invite_sms(&admin, org.id, "+7 905 111-11-11").await;
    assert_eq!(inv.address_key(), "+79051111111");
    // The same number written differently is the same invitee
    let r = w
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_phone("+79051111111").unwrap(),
            Channel::Sms,
            user_access(),
        )
        .await;
    assert!(matches!(refused(r), Refusal::AlreadyInvited { .. }));
    w.deliver().await;
    assert_eq!(w.delivered_to("+79051111111").len(), 1);
}

#[tokio::test]
async fn r2_3_directory_user_without_e_mail_is_an_error_naming_the_user_and_nothing_is_queued() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
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
    let out = w
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
    assert_eq!(w.store.outbox_counts(), (1, 0, 0, 0));
    w.deliver().await;
    let sent = w.notifier.delivered();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "one@example.com");
    assert!(w.delivered_to("+79051111111").is_empty());
}

#[tokio::test]
async fn r2_3_directory_user_without_phone_cannot_be_invited_by_sms() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
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
    let out = w
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
    assert_eq!(w.store.outbox_counts(), (0, 0, 0, 0));
    assert_eq!(w.deliver().await.claimed, 0);
    assert!(w.notifier.delivered().is_empty());
}

#[tokio::test]
async fn r2_4_an_admin_invitation_needs_a_permission_level() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    // No level, or an over-long one, cannot even be built
    assert_eq!(
        PermissionLevel::new("  "),
        Err(AccessError::InvalidPermissionLevel)
    );
    assert_eq!(
        PermissionLevel::new(&"x".repeat(65)),
        Err(AccessError::InvalidPermissionLevel)
    );
    // An admin with a level is invited as such; a general user has none
    let level = PermissionLevel::new(" billing ").unwrap();
    assert_eq!(level.as_str(), "billing");
    let access = Access::user(Role::Admin).as_admin(level.clone());
    let inv = w
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("boss@example.com").unwrap(),
            Channel::Email,
            access.clone(),
        )
        .await
        .unwrap();
    assert_eq!(
        inv.access().clone().invitation_type,
        InvitationType::Admin(level.clone())
    );
    let general = w.invite(&admin, org.id, "user@example.com").await;
    assert_eq!(
        general.access().clone().invitation_type,
        InvitationType::User
    );
    // and the message says so
    w.deliver().await;
    assert_eq!(
        w.delivered_to("boss@example.com")[0].invitation_type,
        InvitationType::Admin(level)
    );
}

#[tokio::test]
async fn r2_5_an_msp_invitation_carries_grants_on_its_clients() {
    let w = World::new();
    let msp = w
        .org("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await;
    let a = w
        .org(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await;
    let b = w
        .org(
            "Client B",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await;
    let admin = Actor::admin(msp.id, "m1", "Max");
    let grants = vec![
        ClientGrant {
            client: a.id,
            role: Role::ReadOnly,
        },
        ClientGrant {
            client: b.id,
            role: Role::Admin,
        },
    ];
    // When the MSP invites with a read-only grant on A and an admin grant on B
    let inv = w
        .service
        .invite(
            &admin,
            msp.id,
            Contact::parse_email("tech@example.com").unwrap(),
            Channel::Email,
            Access::msp_user(grants.clone()),
        )
        .await
        .unwrap();
    // Then the invitation belongs to the MSP and carries both grants
    assert_eq!(inv.org, msp.id);
    assert_eq!(inv.access().clone().scope, AccessScope::Clients(grants));
    // and the message names each client with its role
    w.deliver().await;
    let n = &w.delivered_to("tech@example.com")[0];
    assert_eq!(
        n.grants,
        vec![
            GrantSummary {
                org_name: "Client A".into(),
                role: Role::ReadOnly
            },
            GrantSummary {
                org_name: "Client B".into(),
                role: Role::Admin
            },
        ]
    );
}

#[tokio::test]
async fn r2_5_msp_grants_must_name_clients_of_that_msp() {
    let w = World::new();
    let msp = w
        .org("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await;
    let other_msp = w
        .org("Rival", OrgKind::Msp, OrgSettings::with_seats(5))
        .await;
    let mine = w
        .org(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await;
    let theirs = w
        .org(
            "Client X",
            OrgKind::Client { msp: other_msp.id },
            OrgSettings::with_seats(5),
        )
        .await;
    let solo = w
        .org("Solo", OrgKind::Standalone, OrgSettings::with_seats(5))
        .await;
    let admin = Actor::admin(msp.id, "m1", "Max");
    let grant = |client, role| ClientGrant { client, role };
    let try_invite = |access: Access| {
        let w = &w;
        let admin = admin.clone();
        async move {
            w.service
                .invite(
                    &admin,
                    msp.id,
                    Contact::parse_email("tech@example.com").unwrap(),
                    Channel::Email,
                    access,
                )
                .await
        }
    };
    let cases = [
        (Access::user(Role::Admin), AccessError::MspNeedsClientGrants),
        (Access::msp_user(vec![]), AccessError::MspNeedsClientGrants),
        (
            Access::msp_user(vec![grant(theirs.id, Role::Admin)]),
            AccessError::NotAClient(theirs.id),
        ),
        (
            Access::msp_user(vec![
                grant(mine.id, Role::Admin),
                grant(solo.id, Role::ReadOnly),
            ]),
            AccessError::NotAClient(solo.id),
        ),
        (
            Access::msp_user(vec![grant(msp.id, Role::Admin)]),
            AccessError::NotAClient(msp.id),
        ),
        (
            Access::msp_user(vec![
                grant(mine.id, Role::Admin),
                grant(mine.id, Role::ReadOnly),
            ]),
            AccessError::DuplicateGrant(mine.id),
        ),
    ];
    for (access, expected) in cases {
        assert_eq!(
            refused(try_invite(access).await),
            Refusal::InvalidAccess(expected)
        );
    }
    assert_eq!(w.store.outbox_counts(), (0, 0, 0, 0));
    // A grant on its own client is fine
    assert!(
        try_invite(Access::msp_user(vec![grant(mine.id, Role::ReadOnly)]))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn r2_5_a_client_or_standalone_invitation_carries_one_role() {
    let w = World::new();
    let msp = w
        .org("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await;
    let client = w
        .org(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await;
    let (solo, solo_admin) = w.standalone(5).await;
    let client_admin = Actor::admin(client.id, "c1", "Cid");
    for (org, admin) in [(client.id, &client_admin), (solo.id, &solo_admin)] {
        // Grants on clients are refused
        let r = w
            .service
            .invite(
                admin,
                org,
                Contact::parse_email("x@example.com").unwrap(),
                Channel::Email,
                Access::msp_user(vec![ClientGrant {
                    client: client.id,
                    role: Role::Admin,
                }]),
            )
            .await;
        assert_eq!(
            refused(r),
            Refusal::InvalidAccess(AccessError::GrantsOnlyFromMsp)
        );
        // One role is accepted, read-only or admin
        for (addr, role) in [
            ("ro@example.com", Role::ReadOnly),
            ("ad@example.com", Role::Admin),
        ] {
            let inv = w
                .service
                .invite(
                    admin,
                    org,
                    Contact::parse_email(addr).unwrap(),
                    Channel::Email,
                    Access::user(role),
                )
                .await
                .unwrap();
            assert_eq!(inv.access().clone().scope, AccessScope::Role(role));
        }
    }
    // The message names the sending organization with the role
    w.deliver().await;
    let names: Vec<_> = w
        .delivered_to("ad@example.com")
        .iter()
        .map(|n| n.grants.clone())
        .collect();
    assert!(names.contains(&vec![GrantSummary {
        org_name: "Client A".into(),
        role: Role::Admin
    }]));
}

#[tokio::test]
async fn r2_6_msp_and_client_lists_and_dashboards_show_only_their_own_invitations() {
    let w = World::new();
    let msp = w
        .org("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await;
    let client = w
        .org(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await;
    let msp_admin = Actor::admin(msp.id, "m1", "Max");
    let client_admin = Actor::admin(client.id, "c1", "Cid");
    // Given one invitation from the MSP (granting access to the client) and two from the client
    let from_msp = w
        .service
        .invite(
            &msp_admin,
            msp.id,
            Contact::parse_email("m@example.com").unwrap(),
            Channel::Email,
            Access::msp_user(vec![ClientGrant {
                client: client.id,
                role: Role::Admin,
            }]),
        )
        .await
        .unwrap();
    let c1 = w.invite(&client_admin, client.id, "c1@example.com").await;
    let c2 = w.invite(&client_admin, client.id, "c2@example.com").await;
    // Then each list shows only its own organization's invitations
    let ids = |page: Page| {
        page.rows
            .into_iter()
            .map(|r| r.invitation.id)
            .collect::<Vec<_>>()
    };
    let msp_list = w
        .service
        .list(&msp_admin, msp.id, &ListQuery::tab(Tab::All))
        .await
        .unwrap();
    assert_eq!(ids(msp_list), vec![from_msp.id]);
    let mut client_list = ids(w
        .service
        .list(&client_admin, client.id, &ListQuery::tab(Tab::All))
        .await
        .unwrap());
    client_list.sort();
    let mut expected = vec![c1.id, c2.id];
    expected.sort();
    assert_eq!(client_list, expected);
    // and so do the dashboards
    assert_eq!(
        w.service
            .dashboard(&msp_admin, msp.id)
            .await
            .unwrap()
            .counts
            .all,
        1
    );
    assert_eq!(
        w.service
            .dashboard(&client_admin, client.id)
            .await
            .unwrap()
            .counts
            .all,
        2
    );
    // and neither may read the other's list
    let r = w
        .service
        .list(&msp_admin, client.id, &ListQuery::tab(Tab::All))
        .await;
    assert!(matches!(refused(r), Refusal::Forbidden(_)));
    let r = w.service.dashboard(&client_admin, msp.id).await;
    assert!(matches!(refused(r), Refusal::Forbidden(_)));
    let r = w.service.invitation(&client_admin, from_msp.id).await;
    assert_eq!(refused(r), Refusal::InvitationNotFound(from_msp.id));
}

#[tokio::test]
async fn r2_6_an_msp_admin_cannot_act_on_client_invitations_nor_a_client_admin_on_the_msps() {
    let w = World::new();
    let msp = w
        .org("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await;
    let client = w
        .org(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await;
    let msp_admin = Actor::admin(msp.id, "m1", "Max");
    let client_admin = Actor::admin(client.id, "c1", "Cid");
    let grants = Access::msp_user(vec![ClientGrant {
        client: client.id,
        role: Role::ReadOnly,
    }]);
    let from_msp = w
        .service
        .invite(
            &msp_admin,
            msp.id,
            Contact::parse_email("m@example.com").unwrap(),
            Channel::Email,
            grants,
        )
        .await
        .unwrap();
    let from_client = w.invite(&client_admin, client.id, "c@example.com").await;
    // The MSP admin may not cancel, edit or invite on the client's behalf: to it the client's
    // invitations do not exist (R10.1, no probing which ids exist)
    let r = w.service.cancel(&msp_admin, from_client.id).await;
    assert_eq!(refused(r), Refusal::InvitationNotFound(from_client.id));
    let r = w
        .service
        .edit_access(&msp_admin, from_client.id, Access::user(Role::Admin))
        .await;
    assert_eq!(refused(r), Refusal::InvitationNotFound(from_client.id));
    let r = w
        .service
        .invite(
            &msp_admin,
            client.id,
            Contact::parse_email("z@example.com").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await;
    assert!(matches!(refused(r), Refusal::Forbidden(_)));
    // nor the client admin on the MSP's invitation, even though it grants access to the client
    let r = w.service.cancel(&client_admin, from_msp.id).await;
    assert_eq!(refused(r), Refusal::InvitationNotFound(from_msp.id));
    // Both invitations are untouched
    assert_eq!(w.status(from_client.id).await, Status::Queued);
    assert_eq!(w.status(from_msp.id).await, Status::Queued);
    // The MSP admin acts on the MSP's own invitation
    w.service.cancel(&msp_admin, from_msp.id).await.unwrap();
    assert_eq!(w.status(from_msp.id).await, Status::Cancelled);
}

#[tokio::test]
async fn r2_7_a_live_address_is_already_invited_and_a_member_already_member() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let again = |addr: &'static str| {
        let w = &w;
        let admin = admin.clone();
        async move {
            w.service
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
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    assert!(matches!(
        refused(again("bob@example.com").await),
        Refusal::AlreadyInvited { .. }
    ));
    // Pending: already invited
    w.deliver().await;
    assert_eq!(w.status(inv.id).await, Status::Pending);
    assert!(matches!(
        refused(again("BOB@example.com").await),
        Refusal::AlreadyInvited { address } if address == "BOB@example.com"
    ));
    // Signed up: already a member
    w.sign_up("bob@example.com").await;
    assert!(matches!(
        refused(again("bob@example.com").await),
        Refusal::AlreadyMember { .. }
    ));
    // A member added without invitation too
    w.service
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
        refused(again("ann@example.com").await),
        Refusal::AlreadyMember { .. }
    ));
    // The same address twice in one call: the first wins
    let out = w
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
    let d = w.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(d.counts.pending, 1);
}

#[tokio::test]
async fn r2_7_an_address_may_be_invited_again_after_expiry_failure_or_cancellation() {
    let w = World::new();
    let (org, admin) = w.standalone(10).await;
    // Given one expired, one failed and one cancelled invitation
    w.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    let expired = w.invite(&admin, org.id, "expired@example.com").await;
    let failed = w.invite(&admin, org.id, "failed@example.com").await;
    let cancelled = w.invite(&admin, org.id, "cancelled@example.com").await;
    w.deliver().await;
    w.service.cancel(&admin, cancelled.id).await.unwrap();
    w.advance(TimeDelta::hours(72));
    assert_eq!(w.status(expired.id).await, Status::Expired);
    assert_eq!(w.status(failed.id).await, Status::Failed);
    assert_eq!(w.status(cancelled.id).await, Status::Cancelled);
    // When each address is invited again
    for (old, addr) in [
        (expired.id, "expired@example.com"),
        (failed.id, "failed@example.com"),
        (cancelled.id, "cancelled@example.com"),
    ] {
        let new = w.invite(&admin, org.id, addr).await;
        // Then a new queued invitation exists
        assert_ne!(new.id, old);
        assert_eq!(w.status(new.id).await, Status::Queued);
        // and the old one leaves the lists (code's choice: an expired or failed invitation is
        // replaced by the new one, which keeps one row per address)
        assert_eq!(w.status(old).await, Status::Cancelled);
    }
    let d = w.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(
        (d.counts.all, d.counts.pending, d.counts.expired_or_failed),
        (3, 3, 0)
    );
    w.deliver().await;
    assert_eq!(w.delivered_to("failed@example.com").len(), 1);
    assert_eq!(w.delivered_to("expired@example.com").len(), 2);
}

#[tokio::test]
async fn r2_8_access_is_editable_until_signup_and_refused_after() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let admin_access = Access::user(Role::Admin).as_admin(PermissionLevel::new("owner").unwrap());
    // Queued: editable
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    let edited = w
        .service
        .edit_access(&admin, inv.id, admin_access.clone())
        .await
        .unwrap();
    assert_eq!(edited.access().clone(), admin_access);
    // Pending: editable, and the address stays what it was
    w.deliver().await;
    let edited = w
        .service
        .edit_access(&admin, inv.id, Access::user(Role::ReadOnly))
        .await
        .unwrap();
    assert_eq!(edited.access().clone(), Access::user(Role::ReadOnly));
    assert_eq!(edited.contact, inv.contact);
    // An edit still has to fit the organization
    let r = w
        .service
        .edit_access(&admin, inv.id, Access::msp_user(vec![]))
        .await;
    assert_eq!(
        refused(r),
        Refusal::InvalidAccess(AccessError::GrantsOnlyFromMsp)
    );
    // After signup, the member gets the access as edited
    let signup = w.sign_up("bob@example.com").await;
    assert_eq!(signup.member.access, Access::user(Role::ReadOnly));
    // and no more edits
    let r = w
        .service
        .edit_access(&admin, inv.id, admin_access.clone())
        .await;
    assert_eq!(
        refused(r),
        Refusal::ActionNotAllowed {
            action: Action::EditAccess,
            status: Status::NeverUsed
        }
    );
    assert_eq!(
        w.inv(inv.id).await.access().clone(),
        Access::user(Role::ReadOnly)
    );
}

#[tokio::test]
async fn r2_8_a_wrong_address_is_fixed_by_cancelling_and_inviting_again() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    // Given a typo
    let typo = w.invite(&admin, org.id, "bob@exmaple.com").await;
    w.deliver().await;
    let typo_token = w.link_for("bob@exmaple.com");
    // When it is cancelled and the right address invited
    w.service.cancel(&admin, typo.id).await.unwrap();
    let right = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    // Then the typo's link is dead and the right one works
    assert_eq!(
        refused(w.service.sign_up(&typo_token, None).await),
        Refusal::LinkCancelled
    );
    let signup = w.sign_up("bob@example.com").await;
    assert_eq!(signup.invitation.id, right.id);
    assert_eq!(
        signup.member.contact.email_address().unwrap().as_str(),
        "bob@example.com"
    );
}

#[tokio::test]
async fn r2_9_bulk_invite_answers_per_address_and_one_bad_address_blocks_no_other() {
    let w = World::new();
    let (org, admin) = w.standalone(10).await;
    let access = Access::user(Role::Admin).as_admin(PermissionLevel::new("ops").unwrap());
    let addresses = [
        "a@example.com",
        "not-an-address@",
        "9051111111",
        "+79051111111",
        " B@Example.com ",
    ];
    // When five addresses are invited in one call, two of them bad
    let out = w
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
    w.deliver().await;
    assert_eq!(w.notifier.delivered().len(), 3);
    assert_eq!(w.delivered_to("+79051111111")[0].channel, Channel::Sms);
    let d = w.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!((d.counts.invited_by_email, d.counts.invited_by_sms), (2, 1));
}

#[tokio::test]
async fn r2_9_bulk_invite_to_an_e_mail_only_organization_refuses_only_the_phones() {
    let w = World::new();
    let settings = OrgSettings {
        channels: AllowedChannels::EMAIL_ONLY,
        ..OrgSettings::with_seats(10)
    };
    let (org, admin) = w.standalone_with(settings).await;
    let out = w
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
    assert_eq!(w.store.outbox_counts(), (1, 0, 0, 0));
}

#[tokio::test]
async fn r2_10_invitation_records_sender_send_count_last_invitation_and_signup_dates() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let t0 = w.now();
    // Invited by Ann at t0
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
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
    w.advance(TimeDelta::minutes(1));
    w.deliver().await;
    let t1 = w.now();
    let rec = w.inv(inv.id).await;
    assert_eq!((rec.send_count(), rec.last_sent_at()), (1, Some(t1)));
    assert_eq!(rec.last_invited_at(), t0);
    // Resent by another admin two hours later: the sender stays, the dates move
    w.advance(TimeDelta::hours(2));
    let t2 = w.now();
    let other_admin = Actor::admin(org.id, "u2", "Zed");
    w.service.resend(&other_admin, inv.id).await.unwrap();
    w.deliver().await;
    let rec = w.inv(inv.id).await;
    assert_eq!(
        (rec.send_count(), rec.last_invited_at(), rec.last_sent_at()),
        (2, t2, Some(t2))
    );
    assert_eq!(rec.sender.name, "Ann");
    assert_eq!(rec.created_at, t0);
    // Signed up: the signup date
    w.advance(TimeDelta::hours(1));
    let t3 = w.now();
    w.sign_up("bob@example.com").await;
    let rec = w.inv(inv.id).await;
    assert_eq!(rec.signed_up_at(), Some(t3));
    assert_eq!(rec.send_count(), 2);
}

#[tokio::test]
async fn r2_11_status_of_users_reports_not_invited_and_the_latest_status() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let dir = |id: &str, email: &str| DirectoryUser {
        user: UserRef::new(id),
        email: Some(email.into()),
        phone: None,
    };
    // Given app users 7 and 8 invited from the directory, 9 never invited
    let out = w
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
    w.deliver().await;
    let signup = w.sign_up("eight@example.com").await;
    // the member is tied to the same application id
    assert_eq!(signup.member.user_ref, Some(UserRef::new("app-8")));
    let users = [
        UserRef::new("app-7"),
        UserRef::new("app-8"),
        UserRef::new("app-9"),
    ];
    let reader = Actor::read_only(org.id, "r1", "Rita");
    let statuses = w
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
    w.advance(TimeDelta::hours(72));
    let s = w
        .service
        .status_of_users(&reader, org.id, &users[..1])
        .await
        .unwrap();
    assert_eq!(s[0].1, UserStatus::Invited(Status::Expired));
    w.service
        .invite_directory_users(
            &admin,
            org.id,
            &[dir("app-7", "seven@example.com")],
            Channel::Email,
            user_access(),
        )
        .await
        .unwrap();
    let s = w
        .service
        .status_of_users(&reader, org.id, &users[..1])
        .await
        .unwrap();
    assert_eq!(s[0].1, UserStatus::Invited(Status::Queued));
}

#[tokio::test]
async fn r2_11_inviting_an_expired_address_again_keeps_the_application_user_id() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let user = UserRef::new("app-7");
    // Given app user 7 invited from the directory, and the invitation expired
    w.service
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
    w.deliver().await;
    w.advance(TimeDelta::hours(72));
    // When an admin invites the address again from the invite box (no user id given)
    let again = w.invite(&admin, org.id, "seven@example.com").await;
    // Then the new invitation, which replaced the old one, is still tied to user 7
    assert_eq!(again.user_ref().cloned(), Some(user.clone()));
    let s = w
        .service
        .status_of_users(&admin, org.id, std::slice::from_ref(&user))
        .await
        .unwrap();
    assert_eq!(s[0].1, UserStatus::Invited(Status::Queued));
    // and so is the member who signs up with it
    w.deliver().await;
    let signup = w.sign_up("seven@example.com").await;
    assert_eq!(signup.member.user_ref, Some(user));
}

#[tokio::test]
async fn r1_2_switching_to_e_mail_only_stops_queued_and_resent_sms() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    // Given one delivered SMS invitation and one still queued
    let delivered = w.invite_sms(&admin, org.id, "+79051111111").await;
    w.deliver().await;
    let queued = w.invite_sms(&admin, org.id, "+79052222222").await;
    // When the admin makes the organization e-mail only
    let update = SettingsUpdate {
        channels: Some(AllowedChannels::EMAIL_ONLY),
        ..SettingsUpdate::default()
    };
    w.service
        .update_settings(&admin, org.id, update)
        .await
        .unwrap();
    // Then the queued SMS is not sent: the invitation fails with the reason
    w.advance(TimeDelta::minutes(2));
    let report = w.deliver().await;
    assert_eq!(report.failed, 1);
    assert!(w.delivered_to("+79052222222").is_empty());
    let failed = w.inv(queued.id).await;
    assert_eq!(failed.status_at(w.now()), Status::Failed);
    assert_eq!(
        failed.failure().cloned(),
        Some(FailureReason::DeliveryRejected(
            "the organization no longer allows SMS".into()
        ))
    );
    // and the delivered one cannot be resent by SMS
    let r = w.service.resend(&admin, delivered.id).await;
    assert_eq!(refused(r), Refusal::ChannelNotAllowed(Channel::Sms));
}
