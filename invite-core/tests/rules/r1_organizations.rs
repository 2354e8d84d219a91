//! R1 Organizations: kinds, settings, and who registers them.

use crate::support::{harness, user_access};
use chrono::{NaiveTime, TimeDelta};
use invite_core::testkit::*;
use invite_core::*;

#[tokio::test]
async fn r1_1_standalone_msp_and_client_organizations_are_registered() {
    let h = harness();
    // Given an MSP and a standalone organization
    let msp = h
        .org_of_kind("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await
        .org;
    let solo = h
        .org_of_kind("Solo", OrgKind::Standalone, OrgSettings::with_seats(5))
        .await
        .org;
    // When a client of the MSP is registered
    let client = h
        .org_of_kind(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await
        .org;
    // Then each is stored with its kind, the client with its one MSP
    let stored = |id| {
        let store = h.store.clone();
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
    let h = harness();
    let msp = h
        .org_of_kind("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await
        .org;
    let solo = h
        .org_of_kind("Solo", OrgKind::Standalone, OrgSettings::with_seats(5))
        .await
        .org;
    let client = h
        .org_of_kind(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await
        .org;
    // A client of an unknown organization, of a standalone one, or of another client: refused
    for parent in [OrgId::new(), solo.id, client.id] {
        let r = h
            .service
            .create_organization(
                &h.operator,
                "Orphan",
                OrgKind::Client { msp: parent },
                OrgSettings::with_seats(5),
            )
            .await;
        assert!(
            matches!(refusal(r), Refusal::InvalidSetting(ref why) if why.contains("not an MSP")),
            "parent {parent}"
        );
    }
}

#[tokio::test]
async fn r1_1_only_the_operator_registers_organizations() {
    // The SPEC is silent on who registers organizations; the code reserves it to the vendor
    // operator, like seat limits.
    let h = harness();
    let TestOrg { org: _org, admin } = h.standalone(5).await;
    let r = h
        .service
        .create_organization(
            &admin,
            "Mine",
            OrgKind::Standalone,
            OrgSettings::with_seats(50),
        )
        .await;
    assert!(matches!(refusal(r), Refusal::Forbidden(_)));
}

#[tokio::test]
async fn r1_2_settings_default_to_72h_reminders_off_10am_utc_both_channels_claim_on_signup() {
    let h = harness();
    // When an organization is registered with default settings and 7 seats
    let org = h
        .org_of_kind("Acme", OrgKind::Standalone, OrgSettings::with_seats(7))
        .await
        .org;
    let s = h
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
    let d = h.service.dashboard(&admin, org.id).await.unwrap();
    assert!(!d.reminders_enabled);
    assert_eq!(d.seats, Seats::new(7, 0));
}

#[tokio::test]
async fn r1_2_only_the_operator_changes_the_seat_limit_and_seat_policy() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    // An admin of the organization may not raise its own seat limit
    let r = h.service.change_seat_limit(&admin, org.id, 500).await;
    assert!(matches!(refusal(r), Refusal::Forbidden(_)));
    let r = h
        .service
        .change_seat_policy(&admin, org.id, SeatPolicy::ReserveOnInvite)
        .await;
    assert!(matches!(refusal(r), Refusal::Forbidden(_)));
    let s = h
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
    assert_eq!(h.service.seats(&admin, org.id).await.unwrap().limit, 5);

    // The operator may, and the change is audited
    let changed = h
        .service
        .change_seat_limit(&h.operator, org.id, 12)
        .await
        .unwrap();
    assert_eq!(changed.settings.seat_limit, 12);
    h.service
        .change_seat_policy(&h.operator, org.id, SeatPolicy::ReserveOnInvite)
        .await
        .unwrap();
    let s = h
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
    assert_eq!(h.service.seats(&admin, org.id).await.unwrap().limit, 12);
    let trail = h.service.audit_trail(&admin, org.id, None).await.unwrap();
    assert!(trail.iter().any(
        |e| e.action == AuditAction::SeatLimitChanged { from: 5, to: 12 } && e.actor == h.operator
    ));
    assert!(
        trail
            .iter()
            .any(|e| e.action == AuditAction::SeatPolicyChanged)
    );
}

#[tokio::test]
async fn r1_2_admins_set_validity_reminder_time_and_zone_the_operator_e_mail_only() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    // When the admin sets Berlin time, 08:30, 48 h links, and the operator e-mail only
    let update = SettingsUpdate {
        validity: Some(TimeDelta::hours(48)),
        reminder_time: Some(NaiveTime::from_hms_opt(8, 30, 0).unwrap()),
        time_zone: Some(chrono_tz::Europe::Berlin),
        ..SettingsUpdate::default()
    };
    let org2 = h
        .service
        .update_settings(&admin, org.id, update)
        .await
        .unwrap();
    h.service
        .change_channels(&h.operator, org.id, AllowedChannels::EMAIL_ONLY)
        .await
        .unwrap();
    assert_eq!(org2.settings.validity, TimeDelta::hours(48));
    assert_eq!(org2.settings.time_zone, chrono_tz::Europe::Berlin);
    // Then SMS invitations are refused, e-mail ones accepted
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
    assert_eq!(refusal(r), Refusal::ChannelNotAllowed(Channel::Sms));
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    // and the new validity applies to the delivered link
    h.deliver().await;
    assert_eq!(
        h.invitation(inv.id).await.expires_at(),
        Some(h.now() + TimeDelta::hours(48))
    );
    // Settings out of range are refused
    let bad = SettingsUpdate {
        validity: Some(TimeDelta::zero()),
        ..SettingsUpdate::default()
    };
    assert!(matches!(
        refusal(h.service.update_settings(&admin, org.id, bad).await),
        Refusal::OutOfRange { ref field, .. } if field == "validity"
    ));
    let none = AllowedChannels {
        email: false,
        sms: false,
    };
    assert!(matches!(
        refusal(h.service.change_channels(&h.operator, org.id, none).await),
        Refusal::OutOfRange { ref field, .. } if field == "channels"
    ));
}

#[tokio::test]
async fn r1_2_switching_to_e_mail_only_stops_queued_and_resent_sms() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    // Given one delivered SMS invitation and one still queued
    let delivered = h.invite_sms_as(&admin, org.id, "+79051111111").await;
    h.deliver().await;
    let queued = h.invite_sms_as(&admin, org.id, "+79052222222").await;
    // When the operator makes the organization e-mail only
    h.service
        .change_channels(&h.operator, org.id, AllowedChannels::EMAIL_ONLY)
        .await
        .unwrap();
    // Then the queued SMS is not sent: the invitation fails with the reason
    h.advance(TimeDelta::minutes(2));
    let report = h.deliver().await;
    assert_eq!(report.failed, 1);
    assert!(h.notifier.delivered_to("+79052222222").is_empty());
    let failed = h.invitation(queued.id).await;
    assert_eq!(failed.status_at(h.now()), Status::Failed);
    assert_eq!(
        failed.failure().cloned(),
        Some(FailureReason::DeliveryRejected(
            "the organization no longer allows SMS".into()
        ))
    );
    // and the delivered one cannot be resent by SMS
    let r = h.service.resend(&admin, delivered.id).await;
    assert_eq!(refusal(r), Refusal::ChannelNotAllowed(Channel::Sms));
}
