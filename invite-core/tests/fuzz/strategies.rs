//! Generators of arbitrary input: text of every kind (controls, long unbroken words, any
//! Unicode), instants over chrono's whole calendar, durations up to `TimeDelta::MAX`, every
//! time zone, settings and records with any facts.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};
use invite_core::*;
use proptest::prelude::*;

/// Any text: arbitrary Unicode, control characters, long unbroken words, white space, the
/// edges of the bounds (200 and 256 characters), SQL and header metacharacters.
pub(crate) fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[ -~]{0,40}",
        2 => "[\\x00-\\x1f\\x7f a-z@.+\\-]{0,30}",
        1 => "[\\u{80}-\\u{9f}\\u{2028}\\u{202e}\\u{feff}a-z ]{0,20}",
        1 => (0usize..1_200, any::<char>()).prop_map(|(n, c)| c.to_string().repeat(n)),
        1 => prop::sample::select(vec![199usize, 200, 201, 255, 256, 257, 990])
            .prop_map(|n| "x".repeat(n)),
        1 => prop::sample::select(vec![
            "", " ", "\0", "%", "_", "'; DROP TABLE invitations; --", "\r\nBcc: x@y.z",
            "=?utf-8?q?x?=", "Ann Lee", "  Ann  ",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

/// Text that looks like a phone number, or almost.
pub(crate) fn phone_like() -> BoxedStrategy<String> {
    prop_oneof![
        "[+]?[0-9]{0,20}",
        "[+]?[0-9 ().\\-]{0,30}",
        "[+]?[0-9 ().\\-\\[\\]a-z+#*,;/x]{0,30}",
        "[ ]*[+]?[1-9][0-9]{6,16}[ ]*",
        text(),
    ]
    .boxed()
}

/// A valid number written with arbitrary separators between its digits: (as written, E.164).
pub(crate) fn valid_phone_written_freely() -> BoxedStrategy<(String, String)> {
    let numbers = vec![
        "+79051111111",
        "+442079460000",
        "+4915112345678",
        "+33612345678",
        "+61412345678",
        "+819012345678",
        "+5511987654321",
        "+12025550123",
    ];
    (
        prop::sample::select(numbers),
        prop::collection::vec(
            prop::sample::select(vec!["", "", " ", "-", ".", "(", ")"]),
            16,
        ),
        any::<bool>(),
    )
        .prop_map(|(e164, seps, spaced)| {
            let mut written = String::from("+");
            for (i, d) in e164[1..].chars().enumerate() {
                written.push(d);
                written.push_str(seps[i % seps.len()]);
            }
            if spaced {
                written = format!("  {written}\t");
            }
            (written, e164.to_owned())
        })
        .boxed()
}

/// Text that looks like an e-mail address, or almost.
pub(crate) fn email_like() -> BoxedStrategy<String> {
    prop_oneof![
        "[ ]?[a-zA-Z0-9._%+\\-]{0,20}@[a-zA-Z0-9.\\-]{0,20}[ ]?",
        "[a-z]{1,10}@[a-z]{1,10}\\.[a-z]{2,5}",
        "[a-z\"\\\\ ]{0,5}@\\[[0-9.]{0,15}\\]",
        text(),
    ]
    .boxed()
}

/// Any instant chrono holds, second-precise, or one near the cases' Monday.
pub(crate) fn instant() -> BoxedStrategy<DateTime<Utc>> {
    let (min, max) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    let monday = 1_772_442_000i64; // 2026-03-02T09:00:00Z
    prop_oneof![
        (min..=max).prop_map(|s| DateTime::from_timestamp(s, 0).expect("in range")),
        (-400_000_000i64..400_000_000)
            .prop_map(move |d| { DateTime::from_timestamp(monday + d, 0).expect("in range") }),
        prop::sample::select(vec![DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC]),
    ]
    .boxed()
}

/// Any duration: the extremes, zero, seconds over the whole range, minutes to years.
pub(crate) fn duration() -> BoxedStrategy<TimeDelta> {
    let most = TimeDelta::MAX.num_seconds();
    prop_oneof![
        prop::sample::select(vec![TimeDelta::MAX, TimeDelta::MIN, TimeDelta::zero()]),
        (-most..=most).prop_map(|s| TimeDelta::try_seconds(s).unwrap_or(TimeDelta::MAX)),
        (-1_000_000i64..1_000_000).prop_map(TimeDelta::minutes),
        (0i64..1_000_000_000).prop_map(|d| TimeDelta::try_days(d).unwrap_or(TimeDelta::MAX)),
    ]
    .boxed()
}

/// Any of the IANA time zones.
pub(crate) fn zone() -> BoxedStrategy<Tz> {
    prop::sample::select(TZ_VARIANTS.to_vec()).boxed()
}

/// Any time of day, leap seconds and fractions included.
pub(crate) fn time_of_day() -> BoxedStrategy<NaiveTime> {
    (0u32..24, 0u32..60, 0u32..60, 0u32..2_000_000_000)
        .prop_map(|(h, m, s, n)| {
            NaiveTime::from_hms_nano_opt(h, m, s, n)
                .or_else(|| NaiveTime::from_hms_opt(h, m, s))
                .expect("a valid time")
        })
        .boxed()
}

/// Any day of chrono's calendar.
pub(crate) fn day() -> BoxedStrategy<NaiveDate> {
    let (min, max) = (
        NaiveDate::MIN.num_days_from_ce(),
        NaiveDate::MAX.num_days_from_ce(),
    );
    (min..=max)
        .prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).expect("in range"))
        .boxed()
}

/// Organization settings with any values, in or out of their bounds.
pub(crate) fn settings() -> BoxedStrategy<OrgSettings> {
    (
        (any::<u32>(), duration(), duration(), any::<bool>()),
        (time_of_day(), zone(), any::<bool>(), any::<bool>()),
        (any::<bool>(), any::<bool>(), prop::option::of(instant())),
        (duration(), duration()),
    )
        .prop_map(
            |(
                (seat_limit, validity, cooldown, on),
                (at, tz, email, sms),
                (ru, reserve, since),
                (min_validity, max_validity),
            )| {
                OrgSettings {
                    seat_limit,
                    validity,
                    min_validity,
                    max_validity,
                    reminders_enabled: on,
                    reminder_time: at,
                    time_zone: tz,
                    channels: AllowedChannels { email, sms },
                    seat_policy: match reserve {
                        true => SeatPolicy::ReserveOnInvite,
                        false => SeatPolicy::ClaimOnSignup,
                    },
                    resend_cooldown: cooldown,
                    language: if ru { Language::Ru } else { Language::En },
                    reminders_on_since: since,
                }
            },
        )
        .boxed()
}

/// An actor of `org` (an admin or a reader with any id and name), the operator with any id,
/// an admin of another organization, or one of the library's own actors.
pub(crate) fn actor(org: OrgId) -> BoxedStrategy<Actor> {
    prop_oneof![
        4 => (text(), text()).prop_map(move |(u, n)| Actor::admin(org, u, n)),
        2 => Just(Actor::admin(org, "u-admin", "Ann Lee")),
        1 => (text(), text()).prop_map(move |(u, n)| Actor::read_only(org, u, n)),
        1 => text().prop_map(|id| Actor::Operator { id }),
        1 => Just(Actor::Operator { id: "vendor".into() }),
        1 => Just(Actor::admin(OrgId::new(), "u-x", "Xavier")),
        1 => prop::sample::select(vec![Actor::Invitee, Actor::Application, Actor::System]),
    ]
    .boxed()
}

/// Access as an application could send it: any permission level (even one that did not go
/// through `PermissionLevel::new`), a role or any client grants.
pub(crate) fn access() -> BoxedStrategy<Access> {
    let level = text().prop_map(|l| {
        serde_json::from_value::<PermissionLevel>(serde_json::Value::String(l))
            .expect("a level deserializes from any string")
    });
    let role = prop::sample::select(vec![Role::ReadOnly, Role::Admin]);
    let scope = prop_oneof![
        role.clone().prop_map(AccessScope::Role),
        (0usize..4, role).prop_map(|(n, role)| {
            AccessScope::Clients(
                (0..n)
                    .map(|_| ClientGrant {
                        client: OrgId::new(),
                        role,
                    })
                    .collect(),
            )
        }),
    ];
    (prop::option::of(level), scope)
        .prop_map(|(level, scope)| Access {
            invitation_type: match level {
                Some(l) => InvitationType::Admin(l),
                None => InvitationType::User,
            },
            scope,
        })
        .boxed()
}

/// An invitation of `org` with any facts: instants anywhere in time, counts up to their
/// maximum, any combination of the status facts.
pub(crate) fn invitation(org: OrgId) -> BoxedStrategy<Invitation> {
    let when = || prop::option::of(instant());
    (
        (
            instant(),
            any::<u32>(),
            any::<u32>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (when(), when(), when(), when()),
        (when(), when(), when(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            move |(
                (invited, sends, generation, awaiting, failed),
                (sent, expires, signed_up, login),
                (completed, follow_up, closed, sms, email_too),
            )| {
                let phone = Phone::parse("+79051111111").expect("a valid number");
                let email = Email::parse("bob@example.com").expect("a valid address");
                let contact = match (sms, email_too) {
                    (true, false) => Contact::phone(phone),
                    (false, false) => Contact::email(email),
                    _ => Contact::new(Some(email), Some(phone)).expect("a contact"),
                };
                let channel = if sms { Channel::Sms } else { Channel::Email };
                let new = NewInvitation {
                    org,
                    contact,
                    channel,
                    access: Access::user(Role::ReadOnly),
                    user_ref: Some(UserRef::new("app-1")),
                    sender: Sender {
                        user: UserRef::new("u-admin"),
                        name: "Ann Lee".into(),
                    },
                };
                let mut r = Invitation::queued(new, invited)
                    .expect("reachable")
                    .to_record();
                r.send_count = sends;
                r.link_generation = generation;
                r.awaiting_delivery = awaiting;
                r.failure = failed.then(|| FailureReason::DeliveryRejected("550".into()));
                r.last_sent_at = sent;
                r.expires_at = expires;
                r.signed_up_at = signed_up;
                r.first_login_at = login;
                r.completed = completed.map(|t| (t, CompletedBy::Admin));
                r.last_follow_up_at = follow_up;
                r.closed = closed.map(|t| (t, CloseReason::CancelledByAdmin));
                Invitation::from_record(r)
            },
        )
        .boxed()
}
