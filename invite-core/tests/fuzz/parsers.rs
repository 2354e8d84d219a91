//! The parsers and the bounds: `Phone::parse`, `Email::parse`, `parse_address`,
//! `Cursor::decode`, `PermissionLevel::new` and `bounds::*`.

use super::strategies::*;
use super::{Outcome, Property, Tally, tally, variant};
use chrono::{DateTime, NaiveDate, Utc};
use invite_core::*;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// E.164: `+`, a first digit 1 to 9, then 1 to 14 more digits (`^\+[1-9][0-9]{1,14}$`).
pub(crate) fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

fn contact_refused(e: &ContactError) -> Outcome {
    Outcome::Refused(format!("InvalidContact({})", variant(e)))
}

/// R2.2: every accepted number is E.164 and parses back to itself; its digits are the
/// input's (nothing turned into digits, nothing added or dropped).
fn phone(input: String) -> Outcome {
    match Phone::parse(&input) {
        Ok(p) => {
            assert!(is_e164(p.as_str()), "{input:?} gave {p:?}");
            assert_eq!(Phone::parse(p.as_str()).as_ref(), Ok(&p), "round trip");
            let digits: String = input.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(
                p.as_str()[1..],
                digits,
                "{input:?}: the number is the digits typed"
            );
            Outcome::Accepted
        }
        Err(e) => contact_refused(&e),
    }
}

/// A valid number is accepted however it is written between its digits.
fn phone_written_freely((written, e164): (String, String)) -> Outcome {
    let parsed = Phone::parse(&written);
    assert_eq!(
        parsed.as_ref().map(Phone::as_str),
        Ok(e164.as_str()),
        "{written:?}"
    );
    phone(written)
}

/// R2.2: an accepted address is trimmed, has a dotted domain, no control character, compares
/// by its lower-cased form, and parses back to itself.
fn email(input: String) -> Outcome {
    match Email::parse(&input) {
        Ok(e) => {
            assert_eq!(e.as_str(), e.as_str().trim());
            assert_eq!(e.key(), e.as_str().to_lowercase());
            assert!(!e.as_str().chars().any(char::is_control), "{e:?}");
            let (_, domain) = e.as_str().rsplit_once('@').expect("an @");
            assert!(domain.contains('.'), "{e:?}");
            assert_eq!(Email::parse(e.as_str()).as_ref(), Ok(&e));
            Outcome::Accepted
        }
        Err(err) => contact_refused(&err),
    }
}

/// R2.9: a free-form address is an e-mail (with `@`) or an E.164 phone number.
fn address(input: String) -> Outcome {
    match parse_address(&input) {
        Ok(c) => {
            assert!(c.reachable_by(Channel::Email) || c.reachable_by(Channel::Sms));
            if let Some(p) = c.phone_number() {
                assert!(is_e164(p.as_str()), "{p:?}");
            }
            Outcome::Accepted
        }
        Err(e) => contact_refused(&e),
    }
}

/// R9.2: a decoded cursor's sort value is within years 1900 to 9999 and encodes back to a
/// cursor that decodes to itself.
fn cursor(input: String) -> Outcome {
    match Cursor::decode(&input) {
        Some(c) => {
            if let Some(key) = c.key {
                assert!(bounds::in_dashboard_years(key), "{c:?}");
            }
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
            assert_eq!(bounds::check_cursor(Some(&c)), Ok(()));
            Outcome::Accepted
        }
        None => Outcome::Refused("None".into()),
    }
}

fn cursor_like() -> BoxedStrategy<String> {
    prop_oneof![
        (any::<i64>(), any::<u128>())
            .prop_map(|(k, id)| format!("{k}.{}", uuid::Uuid::from_u128(id).simple())),
        any::<u128>().prop_map(|id| format!("-.{}", uuid::Uuid::from_u128(id))),
        "[-+0-9]{0,22}\\.[0-9a-f\\-]{0,40}",
        text(),
    ]
    .boxed()
}

/// R2.4: an accepted level is trimmed, 1 to 64 characters, without control characters.
fn permission_level(input: String) -> Outcome {
    match PermissionLevel::new(&input) {
        Ok(level) => {
            let s = level.as_str();
            assert_eq!(s, s.trim());
            assert!((1..=64).contains(&s.chars().count()), "{level:?}");
            assert!(!s.chars().any(char::is_control), "{level:?}");
            Outcome::Accepted
        }
        Err(e) => Outcome::Refused(format!("InvalidAccess({})", variant(&e))),
    }
}

/// What a bound answered: every refusal an `OutOfRange`, every accepted text within it.
fn bounded(result: Result<(), Refusal>) -> Outcome {
    match result {
        Ok(()) => Outcome::Accepted,
        Err(r @ Refusal::OutOfRange { .. }) => Outcome::refused(&r),
        Err(other) => panic!("a bound answered {other:?}"),
    }
}

fn texts_within(field: &str, max: usize, value: Result<String, Refusal>) -> Result<(), Refusal> {
    let value = value?;
    assert!(
        (1..=max).contains(&value.chars().count()),
        "{field}: {value:?}"
    );
    assert!(!value.chars().any(char::is_control), "{field}: {value:?}");
    assert_eq!(value, value.trim());
    Ok(())
}

type BoundsInput = (
    (String, String, String),
    (u32, NaiveDate, NaiveDate),
    OrgSettings,
    (DateTime<Utc>, Actor),
);

/// `bounds::*` on anything: never a panic, only `OutOfRange` refusals, and what passes is in
/// range.
fn bounds_of((texts, numbers, settings, (key, actor)): BoundsInput) -> Outcome {
    let (name, id, search) = texts;
    let (limit, from, to) = numbers;
    let checks = [
        texts_within("name", 200, bounds::check_name("name", &name)),
        texts_within("id", 256, bounds::check_id("id", &id)),
        bounds::check_search(Some(&search)),
        bounds::check_page_size(limit),
        bounds::check_series_range(from, to),
        bounds::check_settings(&settings),
        bounds::check_actor(&actor),
        bounds::check_cursor(Some(&Cursor {
            key: Some(key),
            id: InvitationId::new(),
        })),
        bounds::check_user_refs(&[UserRef::new(id.clone())]).map(drop),
    ];
    if bounds::check_settings(&settings).is_ok() {
        assert!(settings.validity >= bounds::MIN_VALIDITY);
        assert!(settings.validity <= bounds::MAX_VALIDITY);
        assert!(settings.resend_cooldown <= bounds::MAX_RESEND_COOLDOWN);
    }
    // One outcome per input: the first refusal, or accepted if all passed.
    match checks.into_iter().find_map(Result::err) {
        None => Outcome::Accepted,
        Some(r) => bounded(Err(r)),
    }
}

fn bounds_input() -> BoxedStrategy<BoundsInput> {
    let org = OrgId::new();
    (
        (text(), text(), text()),
        (any::<u32>(), day(), day()),
        settings(),
        (instant(), actor(org)),
    )
        .boxed()
}

macro_rules! property {
    ($name:literal, $cases:expr, $strategy:expr, $property:expr) => {
        Property {
            name: $name,
            long_run_cases: $cases,
            run: |runner: &mut TestRunner, cases: u32, into: &mut Tally| {
                tally(runner, cases, $strategy, $property, into)
            },
        }
    };
}

/// The parsers' properties and their share of the long run (500,000 inputs).
pub(super) fn properties() -> Vec<Property> {
    vec![
        property!("Phone::parse", 150_000, phone_like(), phone),
        property!(
            "Phone::parse (valid numbers written freely)",
            50_000,
            valid_phone_written_freely(),
            phone_written_freely
        ),
        property!("Email::parse", 100_000, email_like(), email),
        property!(
            "parse_address",
            50_000,
            prop_oneof![email_like(), phone_like()],
            address
        ),
        property!("Cursor::decode", 50_000, cursor_like(), cursor),
        property!("PermissionLevel::new", 50_000, text(), permission_level),
        property!("bounds::*", 50_000, bounds_input(), bounds_of),
    ]
}
