//! The JSON shapes of the public answers and errors, pinned by snapshots (`insta`): an
//! application's API and its clients rely on them, so a change shows up in review as a changed
//! snapshot under `tests/snapshots/`. Records are built with fixed ids and instants.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use invite_core::audit::{AuditAction, AuditEvent};
use invite_core::dashboard::{Cursor, DayActivity, Page, Row, Series, TabCounts};
use invite_core::*;
use uuid::Uuid;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("an instant")
}

fn org_id() -> OrgId {
    OrgId(Uuid::from_u128(1))
}

fn invitation() -> Invitation {
    Invitation::from_record(InvitationRecord {
        id: InvitationId(Uuid::from_u128(2)),
        org: org_id(),
        contact: Contact::parse_email("Bob@Example.com").unwrap(),
        channel: Channel::Email,
        access: Access::user(Role::ReadOnly),
        user_ref: Some(UserRef::new("app-bob")),
        sender: Sender {
            user: UserRef::new("u-ann"),
            name: "Ann Lee".into(),
        },
        created_at: at("2026-03-02T09:00:00Z"),
        last_invited_at: at("2026-03-02T09:00:00Z"),
        send_count: 1,
        last_sent_at: Some(at("2026-03-02T09:00:05Z")),
        expires_at: Some(at("2026-03-05T09:00:05Z")),
        awaiting_delivery: false,
        link_generation: 1,
        failure: None,
        signed_up_at: None,
        member: None,
        first_login_at: None,
        completed: None,
        last_follow_up_at: None,
        closed: None,
        options: InvitationOptions::default(),
        version: 7,
    })
}

fn now() -> DateTime<Utc> {
    at("2026-03-03T12:00:00Z")
}

/// One refusal of every kind. The match has no wildcard: a new kind fails to compile here
/// until it has an example, so every code is pinned.
fn every_refusal() -> Vec<Refusal> {
    let all = vec![
        Refusal::OrganizationNotFound(org_id()),
        Refusal::InvitationNotFound(InvitationId(Uuid::from_u128(2))),
        Refusal::MemberNotFound(MemberId(Uuid::from_u128(3))),
        Refusal::WaitlistEntryNotFound(WaitlistId(Uuid::from_u128(5))),
        Refusal::Forbidden("only an admin of the organization may change its invitations".into()),
        Refusal::ActionNotAllowed {
            action: Action::Resend,
            status: Status::Queued,
        },
        Refusal::TransitionNotAllowed {
            transition: Transition::Delivered,
            status: Status::Cancelled,
        },
        Refusal::AlreadyInvited {
            address: "bob@example.com".into(),
        },
        Refusal::AlreadyMember {
            address: "bob@example.com".into(),
        },
        Refusal::NoSeatsAvailable,
        Refusal::InvalidContact(ContactError::MissingCountryCode {
            input: "9051111111".into(),
        }),
        Refusal::MissingContact {
            user: UserRef::new("d1"),
            channel: Channel::Sms,
        },
        Refusal::Unreachable {
            address: "+79051111111".into(),
            channel: Channel::Email,
        },
        Refusal::ChannelNotAllowed(Channel::Sms),
        Refusal::InvalidAccess(AccessError::MspNeedsClientGrants),
        Refusal::ResendCooldown {
            retry_after: at("2026-03-02T09:01:00Z"),
        },
        Refusal::FollowUpTooSoon {
            retry_after: at("2026-03-03T09:00:00Z"),
        },
        Refusal::UnknownLink,
        Refusal::LinkCancelled,
        Refusal::LinkExpired,
        Refusal::LinkSuperseded,
        Refusal::LinkAlreadyUsed,
        Refusal::InvitationFailed,
        Refusal::SeatsExhausted,
        Refusal::InvalidSetting("organization x is not an MSP".into()),
        Refusal::OutOfRange {
            field: "validity".into(),
            allowed: "1 minute to 365 days".into(),
        },
        Refusal::InvalidQuery("bad".into()),
        Refusal::UserNotInvited {
            user: UserRef::new("d1"),
        },
        Refusal::OperatorSetting {
            setting: "channels".into(),
        },
    ];
    for r in &all {
        match r {
            Refusal::OrganizationNotFound(_)
            | Refusal::InvitationNotFound(_)
            | Refusal::MemberNotFound(_)
            | Refusal::WaitlistEntryNotFound(_)
            | Refusal::Forbidden(_)
            | Refusal::ActionNotAllowed { .. }
            | Refusal::TransitionNotAllowed { .. }
            | Refusal::AlreadyInvited { .. }
            | Refusal::AlreadyMember { .. }
            | Refusal::NoSeatsAvailable
            | Refusal::InvalidContact(_)
            | Refusal::MissingContact { .. }
            | Refusal::Unreachable { .. }
            | Refusal::ChannelNotAllowed(_)
            | Refusal::InvalidAccess(_)
            | Refusal::ResendCooldown { .. }
            | Refusal::FollowUpTooSoon { .. }
            | Refusal::UnknownLink
            | Refusal::LinkCancelled
            | Refusal::LinkExpired
            | Refusal::LinkSuperseded
            | Refusal::LinkAlreadyUsed
            | Refusal::InvitationFailed
            | Refusal::SeatsExhausted
            | Refusal::InvalidSetting(_)
            | Refusal::OutOfRange { .. }
            | Refusal::InvalidQuery(_)
            | Refusal::UserNotInvited { .. }
            | Refusal::OperatorSetting { .. } => {}
            _ => unreachable!("every refusal is listed above"),
        }
    }
    all
}

#[test]
fn refusals_serialize_as_their_stable_code_with_details_and_round_trip() {
    let all = every_refusal();
    for r in &all {
        let json = serde_json::to_value(r).unwrap();
        assert_eq!(json["code"], r.code(), "the JSON code is Refusal::code");
        assert!((400..500).contains(&r.http_status()));
        let back: Refusal = serde_json::from_value(json).unwrap();
        assert_eq!(&back, r);
    }
    let table: Vec<_> = all
        .iter()
        .map(|r| serde_json::json!({ "status": r.http_status(), "refusal": r }))
        .collect();
    insta::assert_json_snapshot!("refusals", table);
}

#[test]
fn errors_say_their_code_status_and_nothing_of_an_infrastructure_cause() {
    let errors = vec![
        Error::from(Refusal::AlreadyInvited {
            address: "bob@example.com".into(),
        }),
        Error::Conflict(Conflict::Version {
            entity: "invitation",
            id: "x".into(),
        }),
        Error::Store("connection refused to 10.0.0.5:5432 with password hunter2".into()),
        Error::Invariant(InvariantViolation::ImmutableChanged {
            entity: "invitation",
            id: "x".into(),
            field: "contact",
        }),
    ];
    let json = serde_json::to_string(&errors).unwrap();
    assert!(!json.contains("hunter2") && !json.contains("10.0.0.5"));
    insta::assert_json_snapshot!("errors", errors);
}

#[test]
fn an_invitation_has_no_version_in_json_and_a_page_cursor_is_a_string() {
    let inv = invitation();
    let json = serde_json::to_value(&inv).unwrap();
    assert!(
        json.get("version").is_none(),
        "bookkeeping is not in the JSON"
    );
    let back: Invitation = serde_json::from_value(json).unwrap();
    assert_eq!(back, inv.clone().at_version(0));
    let cursor = Cursor {
        key: Some(inv.last_invited_at()),
        id: inv.id,
    };
    let page = Page {
        rows: vec![Row::at(inv.clone(), now())],
        next: Some(cursor),
    };
    let page_json = serde_json::to_value(&page).unwrap();
    assert_eq!(page_json["next"], cursor.encode());
    let parsed: Cursor = serde_json::from_value(page_json["next"].clone()).unwrap();
    assert_eq!(parsed, cursor);
    insta::assert_json_snapshot!("invitation", inv);
    insta::assert_json_snapshot!("page", page);
}

#[test]
fn answers_of_the_main_commands_have_pinned_shapes() {
    let inv = invitation();
    let outcomes = vec![
        InviteOutcome {
            input: "bob@example.com".into(),
            result: Ok(inv.clone()),
            instead_of: None,
        },
        InviteOutcome {
            input: "9051111111".into(),
            result: Err(Refusal::InvalidContact(ContactError::MissingCountryCode {
                input: "9051111111".into(),
            })),
            instead_of: None,
        },
    ];
    let back: Vec<InviteOutcome> =
        serde_json::from_value(serde_json::to_value(&outcomes).unwrap()).unwrap();
    assert_eq!(back[1], outcomes[1]);
    insta::assert_json_snapshot!("invite_outcomes", outcomes);

    let member = Member {
        id: MemberId(Uuid::from_u128(3)),
        org: org_id(),
        contact: inv.contact.clone(),
        user_ref: Some(UserRef::new("app-bob")),
        access: Access::user(Role::ReadOnly),
        invitation: Some(inv.id),
        joined_at: now(),
        removed_at: None,
        version: 0,
    };
    insta::assert_json_snapshot!(
        "signup",
        Signup {
            member,
            invitation: inv.clone()
        }
    );

    let view = InvitationView {
        invitation: inv.clone(),
        status: inv.status_at(now()),
        actions: inv.status_at(now()).actions(),
    };
    insta::assert_json_snapshot!("invitation_view", view);

    let dashboard = Dashboard {
        org: org_id(),
        counts: TabCounts::tally([&inv], now()),
        splits: CountSplits::tally([&inv], now()),
        seats: Seats::new(10, 3),
        reminders_enabled: true,
        waitlist: 2,
    };
    insta::assert_json_snapshot!("dashboard", dashboard);

    let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let series = Series {
        days: vec![DayActivity {
            day,
            invitations_sent: 2,
            signups: 1,
            first_logins: 0,
        }],
        completion_share: 0.25,
    };
    insta::assert_json_snapshot!("series", series);

    let event = AuditEvent {
        id: invite_core::AuditId(Uuid::from_u128(4)),
        org: org_id(),
        invitation: Some(inv.id),
        actor: Actor::admin(org_id(), "u-ann", "Ann Lee"),
        at: now(),
        action: AuditAction::Resent,
        before: Some(Status::Expired),
        after: Some(Status::Queued),
    };
    insta::assert_json_snapshot!("audit_event", event);

    let org = Organization {
        id: org_id(),
        name: "Acme".into(),
        kind: OrgKind::Standalone,
        settings: OrgSettings::with_seats(10),
        version: 3,
    };
    let org_json = serde_json::to_value(&org).unwrap();
    assert!(org_json.get("version").is_none());
    insta::assert_json_snapshot!("organization", org);

    let statuses = vec![
        (
            UserRef::new("app-bob"),
            UserStatus::Invited(Status::Pending),
        ),
        (UserRef::new("app-eve"), UserStatus::NotInvited),
    ];
    insta::assert_json_snapshot!("user_statuses", statuses);

    let reports = serde_json::json!({
        "sweep": SweepReport { organizations_due: 1, queued: 5, already_reminded: 2 },
        "dispatch": DispatchReport { claimed: 3, sent: 2, retried: 1, ..DispatchReport::default() },
        "delivery_report": ReportOutcome::InvitationFailed,
    });
    insta::assert_json_snapshot!("reports", reports);
    let preview = LinkPreview {
        invitation: inv.id,
        organization: org_id(),
        organization_name: "Acme".into(),
        invited_by: "Ann Lee".into(),
        address: inv.address(),
        channel: Channel::Email,
        invitation_type: InvitationType::User,
        grants: vec![GrantSummary {
            org_name: "Acme".into(),
            role: Role::ReadOnly,
        }],
        expires_at: inv.expires_at(),
        language: Language::Ru,
        return_path: Some(ReturnPath::parse("/projects/7?tab=team").unwrap()),
        time_zone: chrono_tz::Europe::Moscow,
    };
    insta::assert_json_snapshot!("link_preview", preview);
    let _ = TimeDelta::zero();
}

/// Issue 11: an invitation's options appear in its JSON only when set (so records without
/// options keep their shape), and a waitlist entry has a pinned shape too.
#[test]
fn invitation_options_and_waitlist_entries_have_pinned_shapes() {
    let mut record = invitation().to_record();
    record.options = InvitationOptions {
        validity: Some(TimeDelta::days(7)),
        metadata: Some(serde_json::json!({"plan": "pro", "seats": 3})),
        return_path: Some(ReturnPath::parse("/welcome").unwrap()),
        language: Some(Language::Ru),
        by_hand: true,
        waitlist: true,
    };
    let with_options = Invitation::from_record(record);
    insta::assert_json_snapshot!("invitation_with_options", with_options);
    let back: Invitation =
        serde_json::from_value(serde_json::to_value(&with_options).unwrap()).unwrap();
    assert_eq!(back.options(), with_options.options());
    let plain = serde_json::to_value(invitation()).unwrap();
    assert!(plain.get("options").is_none());

    let entries = vec![
        WaitlistEntry {
            id: WaitlistId(Uuid::from_u128(5)),
            org: org_id(),
            address_key: "bob@example.com".into(),
            joined_at: now(),
            request: WaitingFor::Signup {
                invitation: InvitationId(Uuid::from_u128(2)),
            },
            position: 1,
        },
        WaitlistEntry {
            id: WaitlistId(Uuid::from_u128(6)),
            org: org_id(),
            address_key: "+79051111111".into(),
            joined_at: now(),
            request: WaitingFor::Invite(Box::new(WaitingInvite {
                contact: Contact::parse_phone("+79051111111").unwrap(),
                channel: Channel::Sms,
                access: Access::user(Role::Admin),
                user_ref: None,
                sender: Sender {
                    user: UserRef::new("u-ann"),
                    name: "Ann Lee".into(),
                },
                options: InvitationOptions {
                    waitlist: true,
                    ..InvitationOptions::default()
                },
            })),
            position: 2,
        },
    ];
    insta::assert_json_snapshot!("waitlist_entries", entries);
    let moves = vec![
        WaitlistMove::Resent {
            entry: WaitlistId(Uuid::from_u128(5)),
            invitation: InvitationId(Uuid::from_u128(2)),
        },
        WaitlistMove::Dropped {
            entry: WaitlistId(Uuid::from_u128(6)),
            reason: "already_member".into(),
        },
    ];
    insta::assert_json_snapshot!("waitlist_moves", moves);
}
