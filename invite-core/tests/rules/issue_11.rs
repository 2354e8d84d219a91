//! Issue 11's points 1, 3, 4, 6 and 9, where the SPEC is silent: actions on a selection,
//! directory users (statuses with ids and reasons, actions by user id, imports of any size),
//! e-mail only as the operator's setting, dry runs. Tests named after the issue point; where a
//! SPEC rule applies, after the rule. What every store must do besides is in the conformance
//! suite (`testkit::issue_11_*`).

use crate::support::{harness, user_access};
use chrono::TimeDelta;
use invite_core::testkit::*;
use invite_core::*;

fn dir(id: &str, email: Option<&str>, phone: Option<&str>) -> DirectoryUser {
    DirectoryUser {
        user: UserRef::new(id),
        email: email.map(Into::into),
        phone: phone.map(Into::into),
    }
}

// ---------------------------------------------------------------------------- point 1

#[tokio::test]
async fn issue_11_1_a_selection_answers_per_id_and_one_refusal_blocks_no_other() {
    let h = harness();
    let acme = h.standalone(10).await;
    let (org, admin) = (acme.org.clone(), acme.admin.clone());
    let other = h.standalone(10).await;
    // Given a pending, a cancelled, another organization's invitation and an unknown id
    let (pending, _) = h.invite_delivered(&acme, "p@example.com").await;
    let cancelled = h.invite_as(&admin, org.id, "c@example.com").await;
    h.service.cancel(&admin, cancelled.id).await.unwrap();
    let foreign = h.invite(&other, "f@example.com").await;
    let ghost = InvitationId::new();
    h.advance(TimeDelta::minutes(2));
    let ids = [pending.id, cancelled.id, foreign.id, ghost];
    // When the admin resends the selection
    let out = h
        .service
        .act_on_selection(&admin, org.id, &SelectionAction::Resend, &ids)
        .await
        .unwrap();
    // Then each id has its answer: done, not allowed, and two that do not exist here
    assert_eq!(out[0].result.as_ref().unwrap().status, Status::Queued);
    assert_eq!(
        out[1].result,
        Err(Refusal::ActionNotAllowed {
            action: Action::Resend,
            status: Status::Cancelled
        })
    );
    assert_eq!(out[2].result, Err(Refusal::InvitationNotFound(foreign.id)));
    assert_eq!(out[3].result, Err(Refusal::InvitationNotFound(ghost)));
    // and the other organization's invitation is untouched
    assert_eq!(h.invitation(foreign.id).await, foreign);
}

#[tokio::test]
async fn r5_2_a_double_submitted_resend_selection_sends_once_and_answers_the_cool_down() {
    let h = harness();
    let org = h.standalone(10).await;
    let (a, _) = h.invite_delivered(&org, "a@example.com").await;
    let (b, _) = h.invite_delivered(&org, "b@example.com").await;
    h.advance(TimeDelta::minutes(2));
    let ids = [a.id, b.id];
    let first = h
        .service
        .act_on_selection(&org.admin, org.id(), &SelectionAction::Resend, &ids)
        .await
        .unwrap();
    assert!(first.iter().all(|o| o.result.is_ok()));
    h.advance(TimeDelta::seconds(3));
    let second = h
        .service
        .act_on_selection(&org.admin, org.id(), &SelectionAction::Resend, &ids)
        .await
        .unwrap();
    let retry_after = h.now() - TimeDelta::seconds(3) + TimeDelta::seconds(60);
    assert!(
        second
            .iter()
            .all(|o| o.result == Err(Refusal::ResendCooldown { retry_after }))
    );
    h.deliver().await;
    assert_eq!(
        h.notifier.delivered_to("a@example.com").len(),
        2,
        "one resend"
    );
}

#[tokio::test]
async fn r2_8_editing_the_access_of_a_selection_twice_writes_once() {
    let h = harness();
    let org = h.standalone(10).await;
    let a = h.invite(&org, "a@example.com").await;
    let b = h.invite(&org, "b@example.com").await;
    let access = Access::user(Role::Admin).as_admin(PermissionLevel::new("ops").unwrap());
    let edit = SelectionAction::EditAccess(access.clone());
    let ids = [a.id, b.id];
    let first = h
        .service
        .act_on_selection(&org.admin, org.id(), &edit, &ids)
        .await
        .unwrap();
    assert!(
        first
            .iter()
            .all(|o| o.result.as_ref().unwrap().invitation.access() == &access)
    );
    let events = h.audit(org.id(), None).await.len();
    let second = h
        .service
        .act_on_selection(&org.admin, org.id(), &edit, &ids)
        .await
        .unwrap();
    assert_eq!(
        h.audit(org.id(), None).await.len(),
        events,
        "nothing written again"
    );
    for (o, before) in second.iter().zip(&first) {
        assert_eq!(o.result, before.result, "the same answer as the first");
    }
    // An access the organization does not allow refuses the call, not each id
    let msp_only = Access::msp_user(vec![ClientGrant {
        client: OrgId::new(),
        role: Role::Admin,
    }]);
    let r = h
        .service
        .act_on_selection(
            &org.admin,
            org.id(),
            &SelectionAction::EditAccess(msp_only),
            &ids,
        )
        .await;
    assert!(matches!(refusal(r), Refusal::InvalidAccess(_)));
}

#[tokio::test]
async fn r3_5_a_reserved_selection_resend_takes_the_free_seats_in_order() {
    let h = harness();
    let settings = OrgSettings {
        seat_policy: SeatPolicy::ReserveOnInvite,
        ..OrgSettings::with_seats(3)
    };
    let org = h.org_with("Acme", settings).await;
    let (a, _) = h.invite_delivered(&org, "a@example.com").await;
    let (b, _) = h.invite_delivered(&org, "b@example.com").await;
    let (c, _) = h.invite_delivered(&org, "c@example.com").await;
    // All three expire; one seat is then taken by a new invitation
    h.advance(TimeDelta::hours(73));
    h.invite(&org, "d@example.com").await;
    let out = h
        .service
        .act_on_selection(
            &org.admin,
            org.id(),
            &SelectionAction::Resend,
            &[a.id, b.id, c.id],
        )
        .await
        .unwrap();
    assert!(out[0].result.is_ok() && out[1].result.is_ok());
    assert_eq!(out[2].result, Err(Refusal::NoSeatsAvailable));
    assert_eq!(h.seats(org.id()).await.available, 0);
}

#[tokio::test]
async fn issue_11_1_a_selection_is_bounded_and_only_admins_act_on_it() {
    let h = harness();
    let org = h.standalone(10).await;
    let too_many: Vec<_> = (0..501).map(|_| InvitationId::new()).collect();
    for ids in [&too_many[..], &[]] {
        let r = h
            .service
            .act_on_selection(&org.admin, org.id(), &SelectionAction::Cancel, ids)
            .await;
        assert!(matches!(refusal(r), Refusal::OutOfRange { ref field, .. } if field == "ids"));
    }
    let reader = Actor::read_only(org.id(), "r-1", "Rita");
    let inv = h.invite(&org, "a@example.com").await;
    let r = h
        .service
        .act_on_selection(&reader, org.id(), &SelectionAction::Cancel, &[inv.id])
        .await;
    assert!(matches!(refusal(r), Refusal::Forbidden(_)));
    let r = h
        .service
        .dry_run_selection(&reader, org.id(), &SelectionAction::Cancel, &[inv.id])
        .await;
    assert!(matches!(refusal(r), Refusal::Forbidden(_)));
}

// ---------------------------------------------------------------------------- point 3

#[tokio::test]
async fn r2_11_standing_of_users_answers_the_invitation_id_status_and_failure_reason() {
    let h = harness();
    let org = h.standalone(10).await;
    h.notifier.script("bad@example.com", &[Scripted::Permanent]);
    let out = h
        .service
        .invite_directory_users(
            &org.admin,
            org.id(),
            &[
                dir("u-ok", Some("ok@example.com"), None),
                dir("u-bad", Some("bad@example.com"), None),
            ],
            Channel::Email,
            user_access(),
        )
        .await
        .unwrap();
    h.deliver().await;
    let users = [
        UserRef::new("u-ok"),
        UserRef::new(" u-bad "),
        UserRef::new("u-none"),
    ];
    let s = h
        .service
        .standing_of_users(&org.admin, org.id(), &users)
        .await
        .unwrap();
    assert_eq!(s[0].status, UserStatus::Invited(Status::Pending));
    assert_eq!(s[0].invitation, Some(out[0].result.as_ref().unwrap().id));
    assert_eq!(s[0].failure, None);
    assert_eq!(s[1].user, users[1], "answered as given");
    assert_eq!(s[1].status, UserStatus::Invited(Status::Failed));
    assert_eq!(s[1].invitation, Some(out[1].result.as_ref().unwrap().id));
    assert!(matches!(
        s[1].failure,
        Some(FailureReason::DeliveryRejected(_))
    ));
    assert_eq!(
        (s[2].status, s[2].invitation, s[2].failure.clone()),
        (UserStatus::NotInvited, None, None)
    );
}

#[tokio::test]
async fn issue_11_3_resend_and_cancel_by_application_user_ids_answer_per_user() {
    let h = harness();
    let org = h.standalone(10).await;
    h.notifier.script("bad@example.com", &[Scripted::Permanent]);
    h.service
        .invite_directory_users(
            &org.admin,
            org.id(),
            &[
                dir("u-ok", Some("ok@example.com"), None),
                dir("u-bad", Some("bad@example.com"), None),
            ],
            Channel::Email,
            user_access(),
        )
        .await
        .unwrap();
    h.deliver().await;
    h.advance(TimeDelta::minutes(2));
    // Seed 001: tick the users in Error and resend
    let users = [UserRef::new("u-bad"), UserRef::new("u-none")];
    let out = h
        .service
        .act_on_users(&org.admin, org.id(), &SelectionAction::Resend, &users)
        .await
        .unwrap();
    assert_eq!(out[0].user, users[0]);
    assert_eq!(out[0].result.as_ref().unwrap().status, Status::Queued);
    assert_eq!(
        out[1].result,
        Err(Refusal::UserNotInvited {
            user: UserRef::new("u-none")
        })
    );
    let out = h
        .service
        .act_on_users(
            &org.admin,
            org.id(),
            &SelectionAction::Cancel,
            &[UserRef::new("u-ok")],
        )
        .await
        .unwrap();
    assert_eq!(out[0].result.as_ref().unwrap().status, Status::Cancelled);
    let s = h
        .service
        .status_of_users(&org.admin, org.id(), &[UserRef::new("u-ok")])
        .await
        .unwrap();
    assert_eq!(s[0].1, UserStatus::Invited(Status::Cancelled));
}

#[tokio::test]
async fn issue_11_3_an_import_over_a_thousand_users_is_answered_per_user() {
    let h = harness();
    let org = h.standalone(5_000).await;
    let users: Vec<_> = (0..2_500)
        .map(|i| dir(&format!("u{i}"), Some(&format!("u{i}@example.com")), None))
        .collect();
    let out = h
        .service
        .invite_directory_users(&org.admin, org.id(), &users, Channel::Email, user_access())
        .await
        .unwrap();
    assert_eq!(out.len(), 2_500);
    assert!(out.iter().all(|o| o.result.is_ok()));
    assert_eq!(
        h.service
            .dashboard(&org.admin, org.id())
            .await
            .unwrap()
            .counts
            .all,
        2_500
    );
}

// ---------------------------------------------------------------------------- point 6

#[tokio::test]
async fn r1_2_e_mail_only_is_the_operators_setting_and_admins_are_refused() {
    let h = harness();
    let org = h.standalone(10).await;
    let update = SettingsUpdate {
        channels: Some(AllowedChannels::EMAIL_ONLY),
        ..SettingsUpdate::default()
    };
    let r = h
        .service
        .update_settings(&org.admin, org.id(), update.clone())
        .await;
    assert_eq!(
        refusal(r),
        Refusal::OperatorSetting {
            setting: "channels".into()
        }
    );
    assert_eq!(
        h.organization(org.id()).await.settings.channels,
        AllowedChannels::ALL
    );
    // Naming the channels as they are changes nothing and is accepted with the rest
    let same = SettingsUpdate {
        channels: Some(AllowedChannels::ALL),
        validity: Some(TimeDelta::hours(24)),
        ..SettingsUpdate::default()
    };
    h.service
        .update_settings(&org.admin, org.id(), same)
        .await
        .unwrap();
    let r = h
        .service
        .change_channels(&org.admin, org.id(), AllowedChannels::EMAIL_ONLY)
        .await;
    assert!(matches!(refusal(r), Refusal::Forbidden(_)));
    let changed = h
        .service
        .change_channels(&h.operator, org.id(), AllowedChannels::EMAIL_ONLY)
        .await
        .unwrap();
    assert_eq!(changed.settings.channels, AllowedChannels::EMAIL_ONLY);
    assert_eq!(changed.settings.validity, TimeDelta::hours(24));
}

#[tokio::test]
async fn issue_11_6_an_sms_directory_invite_in_an_e_mail_only_organization_goes_by_e_mail() {
    let h = harness();
    let settings = OrgSettings {
        channels: AllowedChannels::EMAIL_ONLY,
        ..OrgSettings::with_seats(10)
    };
    let org = h.org_with("Acme", settings).await;
    let users = [
        dir("both", Some("both@example.com"), Some("+79051111111")),
        dir("phone-only", None, Some("+79052222222")),
        dir("mail-only", Some("mail@example.com"), None),
    ];
    // When the admin invites them by SMS
    let out = h
        .service
        .invite_directory_users(&org.admin, org.id(), &users, Channel::Sms, user_access())
        .await
        .unwrap();
    // Then those with an address go by e-mail, and each answer says so
    for i in [0, 2] {
        let inv = out[i].result.as_ref().unwrap();
        assert_eq!(
            (inv.channel, out[i].instead_of),
            (Channel::Email, Some(Channel::Sms))
        );
    }
    // and the one without is refused alone
    assert_eq!(out[1].result, Err(Refusal::ChannelNotAllowed(Channel::Sms)));
    assert_eq!(out[1].instead_of, None);
    h.deliver().await;
    assert_eq!(h.notifier.delivered_to("both@example.com").len(), 1);
    assert!(h.notifier.delivered_to("+79051111111").is_empty());
    let json = serde_json::to_value(&out[0]).unwrap();
    assert_eq!(json["instead_of"], "Sms");
}
