//! Every setting and input is bounded in the core (see `invite_core::bounds`), so every store
//! gives the same answer: an out-of-range value is a typed refusal naming the field and its
//! range, and nothing stored changes. Issue 9's findings 1 to 6 on the input side each have
//! their regression test here, named in a comment.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use invite_core::*;
use std::sync::Arc;

const SIGNUP_BASE: &str = "https://app.example/signup?token=";

struct World {
    store: Arc<MemoryStore>,
    service: InvitationService<Arc<MemoryStore>, Arc<ManualClock>>,
    notifier: Arc<RecordingNotifier>,
    dispatcher: Dispatcher<Arc<MemoryStore>, Arc<RecordingNotifier>, Arc<ManualClock>>,
    operator: Actor,
}

fn world() -> World {
    let start: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let store = Arc::new(MemoryStore::new());
    let notifier = Arc::new(RecordingNotifier::new());
    let config = DispatcherConfig::new(SIGNUP_BASE);
    World {
        service: InvitationService::new(store.clone(), clock.clone()),
        dispatcher: Dispatcher::new(store.clone(), notifier.clone(), clock, config),
        store,
        notifier,
        operator: Actor::Operator {
            id: "vendor".into(),
        },
    }
}

impl World {
    async fn org(&self, kind: OrgKind, seats: u32) -> (Organization, Actor) {
        let settings = OrgSettings::with_seats(seats);
        let org = self
            .service
            .create_organization(&self.operator, "Acme", kind, settings)
            .await
            .unwrap();
        let admin = Actor::admin(org.id, "u-admin", "Ann Lee");
        (org, admin)
    }

    async fn invite(&self, admin: &Actor, org: OrgId, email: &str) -> Invitation {
        let contact = Contact::parse_email(email).unwrap();
        let access = Access::user(Role::ReadOnly);
        let invite = self
            .service
            .invite(admin, org, contact, Channel::Email, access);
        invite.await.unwrap()
    }

    /// Nothing was queued, changed or audited since `before` (outbox counts, audit length).
    async fn unchanged(&self, org: OrgId, before: ((usize, usize, usize, usize), usize)) {
        let audit = self.store.audit_trail(org, None).await.unwrap().len();
        assert_eq!(
            (self.store.outbox_counts(), audit),
            before,
            "nothing changed"
        );
    }

    async fn snapshot(&self, org: OrgId) -> ((usize, usize, usize, usize), usize) {
        let audit = self.store.audit_trail(org, None).await.unwrap().len();
        (self.store.outbox_counts(), audit)
    }
}

/// The field an out-of-range refusal names; panics on any other answer.
#[track_caller]
fn field<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Refused(Refusal::OutOfRange { field, allowed })) => {
            assert!(!allowed.is_empty(), "the range is named");
            field
        }
        other => panic!("expected OutOfRange, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------ R1

// Issue 9, finding 1: `update_settings` accepted a validity of 10^8 days, which later made the
// dispatcher panic on every claim. Finding 2: a cool-down of `TimeDelta::MAX` made `resend`
// panic.
#[tokio::test]
async fn r1_2_settings_out_of_range_are_refused_naming_the_field_and_nothing_changes() {
    let w = world();
    let (org, admin) = w.org(OrgKind::Standalone, 5).await;
    let before = w.snapshot(org.id).await;
    let update = |f: fn(&mut SettingsUpdate)| {
        let mut u = SettingsUpdate::default();
        f(&mut u);
        u
    };
    let cases = [
        (
            update(|u| u.validity = Some(TimeDelta::days(100_000_000))),
            "validity",
        ),
        (
            update(|u| u.validity = Some(TimeDelta::seconds(59))),
            "validity",
        ),
        (
            update(|u| u.resend_cooldown = Some(TimeDelta::MAX)),
            "resend_cooldown",
        ),
        (
            update(|u| u.resend_cooldown = Some(-TimeDelta::seconds(1))),
            "resend_cooldown",
        ),
        (
            update(|u| u.reminder_time = NaiveTime::from_hms_milli_opt(10, 0, 0, 500)),
            "reminder_time",
        ),
        (
            // A leap second.
            update(|u| u.reminder_time = NaiveTime::from_hms_milli_opt(23, 59, 59, 1_000)),
            "reminder_time",
        ),
    ];
    for (u, expected) in cases {
        let refused = w.service.update_settings(&admin, org.id, u).await;
        assert_eq!(field(refused), expected);
    }
    let limit = w.service.change_seat_limit(&w.operator, org.id, 10_000_001);
    assert_eq!(field(limit.await), "seat_limit");
    let stored = w.store.organization(org.id).await.unwrap().unwrap();
    assert_eq!(stored, org, "the organization is as it was");
    w.unchanged(org.id, before).await;
    // The edges of the ranges are accepted.
    let edges = SettingsUpdate {
        validity: Some(TimeDelta::days(365)),
        resend_cooldown: Some(TimeDelta::days(1)),
        reminder_time: NaiveTime::from_hms_opt(23, 59, 59),
        ..SettingsUpdate::default()
    };
    assert!(
        w.service
            .update_settings(&admin, org.id, edges)
            .await
            .is_ok()
    );
}

// Issue 9, finding 3: an organization name of about 990 characters without a space made a
// Subject line over 998 octets; nothing limited names (10,000 characters were accepted).
#[tokio::test]
async fn r1_1_organization_names_are_1_to_200_characters_without_control_characters() {
    let w = &world();
    let create = |name: String| async move {
        let settings = OrgSettings::with_seats(5);
        w.service
            .create_organization(&w.operator, &name, OrgKind::Standalone, settings)
            .await
    };
    for name in [
        "x".repeat(990),
        "я".repeat(201),
        "Ac\0me".into(),
        "Ac\nme".into(),
        "Ac\u{85}me".into(),
        "   ".into(),
    ] {
        assert_eq!(field(create(name).await), "name");
    }
    let longest = create("я".repeat(200)).await.unwrap();
    assert_eq!(longest.name.chars().count(), 200);
    assert_eq!(create("  Acme  ".into()).await.unwrap().name, "Acme");
    assert_eq!(w.store.outbox_counts(), (0, 0, 0, 0));
}

// ------------------------------------------------------------------------------------ R2

// Issue 9, finding 3 (the sender's side): a sender name of about 990 characters without a
// space made a Subject line over 998 octets and the invitation Failed.
#[tokio::test]
async fn r2_10_the_senders_name_and_id_are_bounded_and_the_name_trimmed() {
    let w = world();
    let (org, _) = w.org(OrgKind::Standalone, 5).await;
    let before = w.snapshot(org.id).await;
    let contact = || Contact::parse_email("bob@example.com").unwrap();
    let invite = |admin: Actor| {
        let service = &w.service;
        let contact = contact();
        async move {
            let access = Access::user(Role::ReadOnly);
            service
                .invite(&admin, org.id, contact, Channel::Email, access)
                .await
        }
    };
    let cases = [
        (Actor::admin(org.id, "u-1", "x".repeat(990)), "actor.name"),
        (Actor::admin(org.id, "u-1", "Ann\0Lee"), "actor.name"),
        (Actor::admin(org.id, "u-1", " "), "actor.name"),
        (Actor::admin(org.id, "u\u{1}1", "Ann Lee"), "actor.user"),
        (
            Actor::admin(org.id, "u".repeat(257), "Ann Lee"),
            "actor.user",
        ),
    ];
    for (admin, expected) in cases {
        assert_eq!(field(invite(admin).await), expected);
    }
    w.unchanged(org.id, before).await;
    // An outsider is still told nothing exists, whatever their name (R10.1 comes first).
    let outsider = Actor::admin(OrgId::new(), "u-1", "Ann\0Lee");
    assert!(matches!(
        invite(outsider).await,
        Err(Error::Refused(Refusal::Forbidden(_)))
    ));
    let inv = invite(Actor::admin(org.id, "u-1", "  Ann Lee  "))
        .await
        .unwrap();
    assert_eq!(inv.sender.name, "Ann Lee");
}

// Issue 9, finding 5 (the core's side): a NUL character in a name or an id reached
// PostgreSQL, which answered `Error::Store` while `MemoryStore` accepted it. Every command
// that records its actor refuses one out of range first, on every store.
#[tokio::test]
async fn r10_2_every_change_refuses_an_actor_out_of_range_before_anything_is_stored() {
    let w = world();
    let (org, admin) = w.org(OrgKind::Standalone, 5).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.dispatcher.drain().await.unwrap();
    let before = w.snapshot(org.id).await;
    let bad = Actor::admin(org.id, "u-admin", "Ann\u{7f}Lee");
    let s = &w.service;
    assert_eq!(field(s.cancel(&bad, inv.id).await), "actor.name");
    assert_eq!(field(s.resend(&bad, inv.id).await), "actor.name");
    assert_eq!(
        field(s.set_reminders(&bad, org.id, true).await),
        "actor.name"
    );
    let update = SettingsUpdate::default();
    assert_eq!(
        field(s.update_settings(&bad, org.id, update).await),
        "actor.name"
    );
    let access = Access::user(Role::Admin);
    assert_eq!(
        field(s.edit_access(&bad, inv.id, access).await),
        "actor.name"
    );
    let operator = Actor::Operator { id: "ops\0".into() };
    assert_eq!(
        field(s.change_seat_limit(&operator, org.id, 9).await),
        "actor.id"
    );
    let settings = OrgSettings::with_seats(1);
    let created = s.create_organization(&operator, "Other", OrgKind::Standalone, settings);
    assert_eq!(field(created.await), "actor.id");
    let member = s.add_member(
        &operator,
        org.id,
        Contact::parse_email("m@example.com").unwrap(),
        None,
        Access::user(Role::ReadOnly),
    );
    assert_eq!(field(member.await), "actor.id");
    w.unchanged(org.id, before).await;
    assert_eq!(w.store.invitation(inv.id).await.unwrap().unwrap(), {
        let view = s.invitation(&admin, inv.id).await.unwrap();
        view.invitation
    });
}

// Issue 9, finding 5: a NUL character in a directory user id gave `Error::Store` on
// PostgreSQL. Application user ids are 1 to 256 characters, no control characters, trimmed.
#[tokio::test]
async fn r2_11_application_user_ids_are_bounded_wherever_they_are_given() {
    let w = world();
    let (org, admin) = w.org(OrgKind::Standalone, 5).await;
    let user = |id: &str, email: &str| DirectoryUser {
        user: UserRef::new(id),
        email: Some(email.into()),
        phone: None,
    };
    let users = [
        user("u\0-1", "a@example.com"),
        user(&"u".repeat(257), "b@example.com"),
        user("  u-3  ", "c@example.com"),
    ];
    let access = Access::user(Role::ReadOnly);
    let s = &w.service;
    let invited = s.invite_directory_users(&admin, org.id, &users, Channel::Email, access);
    let outcomes = invited.await.unwrap();
    for refused in &outcomes[..2] {
        assert!(
            matches!(&refused.result, Err(Refusal::OutOfRange { field, .. }) if field == "user"),
            "{refused:?}"
        );
    }
    let ok = outcomes[2].result.as_ref().unwrap();
    assert_eq!(ok.user_ref(), Some(&UserRef::new("u-3")), "stored trimmed");
    // Statuses are looked up trimmed and answered by the id as given.
    let asked = [UserRef::new(" u-3 "), UserRef::new("u-4")];
    let statuses = s.status_of_users(&admin, org.id, &asked).await.unwrap();
    assert_eq!(
        statuses,
        vec![
            (asked[0].clone(), UserStatus::Invited(Status::Queued)),
            (asked[1].clone(), UserStatus::NotInvited),
        ]
    );
    let nul = [UserRef::new("u\0")];
    assert_eq!(
        field(s.status_of_users(&admin, org.id, &nul).await),
        "users"
    );
    let many: Vec<UserRef> = (0..1001).map(|i| UserRef::new(format!("u-{i}"))).collect();
    assert_eq!(
        field(s.status_of_users(&admin, org.id, &many).await),
        "users"
    );
    // A member added directly, and a signup, bound the id they are given.
    let contact = Contact::parse_email("m@example.com").unwrap();
    let access = Access::user(Role::ReadOnly);
    let bad = Some(UserRef::new("m\n1"));
    let added = s.add_member(&admin, org.id, contact, bad.clone(), access);
    assert_eq!(field(added.await), "user_ref");
    w.dispatcher.drain().await.unwrap();
    let link = w.notifier.delivered_to("c@example.com")[0]
        .signup_url
        .clone();
    let link = link.unwrap();
    let token = link.expose().strip_prefix(SIGNUP_BASE).unwrap();
    assert_eq!(field(s.sign_up(token, bad).await), "user_ref");
    let view = s.invitation(&admin, ok.id).await.unwrap();
    assert_eq!(
        view.status,
        Status::Pending,
        "the refused signup changed nothing"
    );
}

// Issue 9, finding 4: phone numbers that are not E.164 were accepted: 16 and 17 digits, and
// "+496[127.0.0.1].llsxvthh" became +49612700155798844.
#[test]
fn r2_2_phone_numbers_are_e164_and_nothing_else() {
    let invalid = |input: &str| {
        assert!(
            matches!(Phone::parse(input), Err(ContactError::InvalidPhone { .. })),
            "{input:?} is refused as invalid: {:?}",
            Phone::parse(input)
        );
    };
    for input in [
        "+496[127.0.0.1].llsxvthh",
        "+4961270015579884",  // 16 digits
        "+49612700155798844", // 17 digits
        "+7 905 CALL-NOW",
        "+7905111111a",
        "++79051111111",
        "+7+9051111111",
        "+7 905 111 11 11 ext. 5",
        "+7\u{0}9051111111",
        "+",
        "+ - ",
        "+07905111111",
        "+17589811",           // a plan would add an area code: +17587589811
        "+44 (0)20 7946 0000", // a plan would drop the trunk zero
    ] {
        invalid(input);
    }
    for (input, e164) in [
        ("+79051111111", "+79051111111"),
        ("+7 (905) 111-11-11", "+79051111111"),
        ("+7.905.111.11.11", "+79051111111"),
        (" +44 20 7946 0000 ", "+442079460000"),
        ("79051111111", "+79051111111"),
    ] {
        assert_eq!(Phone::parse(input).unwrap().as_str(), e164, "{input:?}");
    }
    // Without +, a number that is not valid as written is missing its country code (R2.2).
    for input in ["9051111111", "8 (905) 111-11-11"] {
        assert!(matches!(
            Phone::parse(input),
            Err(ContactError::MissingCountryCode { .. })
        ));
    }
}

// R2.4: a permission level is 1 to 64 characters, without control characters, also when it
// arrives deserialized rather than through `PermissionLevel::new`.
#[tokio::test]
async fn r2_4_permission_levels_with_control_characters_are_refused() {
    assert_eq!(
        PermissionLevel::new("own\u{1b}er"),
        Err(AccessError::InvalidPermissionLevel)
    );
    let w = world();
    let (org, admin) = w.org(OrgKind::Standalone, 5).await;
    let smuggled: PermissionLevel = serde_json::from_str("\"own\\u0000er\"").unwrap();
    let access = Access::user(Role::Admin).as_admin(smuggled);
    let contact = Contact::parse_email("bob@example.com").unwrap();
    let invite = w
        .service
        .invite(&admin, org.id, contact, Channel::Email, access);
    assert!(matches!(
        invite.await,
        Err(Error::Refused(Refusal::InvalidAccess(
            AccessError::InvalidPermissionLevel
        )))
    ));
    assert_eq!(w.store.outbox_counts(), (0, 0, 0, 0));
}

// R2.5: one invitation carries at most 1,000 client grants; the call is refused before a
// thousand ids are loaded.
#[tokio::test]
async fn r2_5_an_invitation_carries_at_most_1000_client_grants() {
    let w = world();
    let (msp, _) = w.org(OrgKind::Msp, 5).await;
    let admin = Actor::admin(msp.id, "m-1", "Max");
    let grants: Vec<ClientGrant> = (0..1001)
        .map(|_| ClientGrant {
            client: OrgId::new(),
            role: Role::ReadOnly,
        })
        .collect();
    let contact = Contact::parse_email("bob@example.com").unwrap();
    let access = Access::msp_user(grants);
    let invite = w
        .service
        .invite(&admin, msp.id, contact, Channel::Email, access);
    assert_eq!(field(invite.await), "grants");
}

// ------------------------------------------------------------------------------------ R9

// Issue 9, finding 5: a NUL character in a search string gave `Error::Store` on PostgreSQL,
// and a cursor like `-8000000000000000000.<id>` decoded and then gave `Error::Store`.
#[tokio::test]
async fn r9_2_search_text_and_cursors_out_of_range_are_refused() {
    let w = world();
    let (org, admin) = w.org(OrgKind::Standalone, 5).await;
    w.invite(&admin, org.id, "bob@example.com").await;
    let list = |query: ListQuery| {
        let (s, admin) = (&w.service, &admin);
        async move { s.list(admin, org.id, &query).await }
    };
    let search = |text: String| ListQuery {
        search: Some(text),
        ..ListQuery::tab(Tab::All)
    };
    for text in ["bob\0".to_owned(), "\u{9b}".to_owned(), "b".repeat(201)] {
        assert_eq!(field(list(search(text)).await), "search");
    }
    assert_eq!(list(search("b".repeat(200))).await.unwrap().rows.len(), 0);
    let id = InvitationId::new();
    let far = format!("-8000000000000000000.{}", id.0.simple());
    assert_eq!(Cursor::decode(&far), None);
    let midnight = |y| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
    };
    for year in [1899, 10000] {
        let key = midnight(year).unwrap().and_utc();
        let cursor = Cursor { key: Some(key), id };
        assert_eq!(Cursor::decode(&cursor.encode()), None, "{year}");
        let query = ListQuery {
            after: Some(cursor),
            ..ListQuery::tab(Tab::All)
        };
        assert_eq!(field(list(query).await), "after");
    }
    for key in [Some("1900-01-01T00:00:00Z".parse().unwrap()), None] {
        let cursor = Cursor { key, id };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    }
}

// Issue 9, finding 6 (the core's side): `daily_activity` panicked on PostgreSQL for dates near
// `NaiveDate::MIN`/`MAX`. The series a dashboard asks for is bounded to years 1900 to 9999.
#[tokio::test]
async fn r9_3_series_ranges_at_the_calendars_ends_are_refused() {
    let w = world();
    let (org, admin) = w.org(OrgKind::Standalone, 5).await;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    for (from, to) in [
        (NaiveDate::MIN, NaiveDate::MIN),
        (NaiveDate::MAX, NaiveDate::MAX),
        (day(1899, 12, 31), day(1900, 1, 1)),
        (day(9999, 12, 31), day(10000, 1, 1)),
        (day(2026, 1, 1), day(2027, 1, 3)),
    ] {
        let series = w.service.series(&admin, org.id, from, to).await;
        assert_eq!(field(series), "range", "{from}..={to}");
    }
    let series = w
        .service
        .series(&admin, org.id, day(9999, 12, 30), day(9999, 12, 31));
    assert_eq!(series.await.unwrap().days.len(), 2);
}
