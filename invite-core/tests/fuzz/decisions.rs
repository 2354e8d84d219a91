//! The decisions, called through the public API with arbitrary actors, names, settings,
//! durations, records and instants: never a panic, a commit exactly when the answer asks
//! for one, what is accepted within the bounds, and every refusal a typed [`Refusal`].

use super::strategies::*;
use super::{Outcome, Property, Tally, tally};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use invite_core::decide::invite::{Candidate, InviteFacts};
use invite_core::decide::signup::SignupFacts;
use invite_core::decide::{self, Decision};
use invite_core::outbox::{ClaimedMessage, Lease};
use invite_core::token::LinkRecord;
use invite_core::*;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// A decision's answer, checked: a refusal changes nothing (its commit is `None`, the one
/// recorded refusal, a signup that found no seat, aside); an acceptance commits or needs not.
fn decided<T>(d: &Decision<T>) -> Outcome {
    match &d.answer {
        Ok(_) => Outcome::Accepted,
        Err(r) => {
            let recorded = matches!(r, Refusal::SeatsExhausted);
            assert!(
                d.commit.is_none() || recorded,
                "a refusal changes nothing: {r:?}"
            );
            Outcome::refused(r)
        }
    }
}

fn organization(settings: OrgSettings) -> Organization {
    Organization::new("Acme", OrgKind::Standalone, settings)
}

type OrgInput = (
    Actor,
    String,
    OrgSettings,
    SettingsUpdate,
    u32,
    DateTime<Utc>,
);

fn update() -> BoxedStrategy<SettingsUpdate> {
    (
        prop::option::of(duration()),
        prop::option::of(time_of_day()),
        prop::option::of(zone()),
        prop::option::of(duration()),
    )
        .prop_map(|(validity, at, tz, cooldown)| SettingsUpdate {
            validity,
            reminder_time: at,
            time_zone: tz,
            resend_cooldown: cooldown,
            ..SettingsUpdate::default()
        })
        .boxed()
}

fn org_input() -> BoxedStrategy<OrgInput> {
    let org = organization(OrgSettings::with_seats(5));
    (
        actor(org.id),
        text(),
        settings(),
        update(),
        any::<u32>(),
        instant(),
    )
        .boxed()
}

/// R1.1, R1.2: registering, reconfiguring and re-seating an organization.
fn organizations((actor, name, settings, update, limit, now): OrgInput) -> Outcome {
    let org = organization(OrgSettings::with_seats(5));
    let org = Organization {
        id: actor_org(&actor).unwrap_or(org.id),
        ..org
    };
    let kind = OrgKind::Standalone;
    let created =
        decide::organizations::create_organization(&actor, &name, kind, settings, None, now);
    if let Ok(o) = &created.answer {
        assert_eq!(
            bounds::check_name("name", &o.name).as_deref(),
            Ok(o.name.as_str())
        );
        assert_eq!(bounds::check_settings(&o.settings), Ok(()));
    }
    let updated = decide::organizations::update_settings(&actor, &org, &update, now);
    if let Ok(o) = &updated.answer {
        assert_eq!(bounds::check_settings(&o.settings), Ok(()));
    }
    let seated = decide::organizations::change_seat_limit(&actor, &org, limit, now);
    decided(&seated);
    decided(&updated);
    decided(&created)
}

fn actor_org(actor: &Actor) -> Option<OrgId> {
    match actor {
        Actor::OrgUser { org, .. } => Some(*org),
        _ => None,
    }
}

type InviteInput = (
    Actor,
    Vec<String>,
    Access,
    OrgSettings,
    (u32, u32),
    DateTime<Utc>,
);

fn invite_input() -> BoxedStrategy<InviteInput> {
    let org = OrgId::new();
    (
        actor(org),
        prop::collection::vec(prop_oneof![email_like(), phone_like()], 1..5),
        access(),
        settings(),
        (any::<u32>(), any::<u32>()),
        instant(),
    )
        .boxed()
}

/// R2: inviting arbitrary addresses with arbitrary access, by an arbitrary actor.
fn invite((actor, inputs, access, settings, (limit, used), now): InviteInput) -> Outcome {
    let org = Organization {
        id: actor_org(&actor).unwrap_or_default(),
        ..organization(settings)
    };
    let candidates: Vec<Candidate> = inputs
        .iter()
        .map(|input| {
            let contact = parse_address(input).map_err(Refusal::from);
            let channel = match &contact {
                Ok(c) if c.email_address().is_none() => Channel::Sms,
                _ => Channel::Email,
            };
            Candidate {
                input: input.clone(),
                contact,
                channel,
                user_ref: None,
            }
        })
        .collect();
    let facts = InviteFacts {
        org: &org,
        clients: &[],
        open: &[],
        members: &[],
        seats: Seats::new(limit, used),
    };
    let d = decide::invite::invite(&actor, facts, &access, &candidates, now);
    if let Ok(outcomes) = &d.answer {
        assert_eq!(outcomes.len(), candidates.len());
        let created = outcomes.iter().filter(|o| o.result.is_ok()).count();
        assert_eq!(
            d.commit.is_some(),
            created > 0,
            "a commit exactly when one is invited"
        );
        for o in outcomes {
            if let Ok(inv) = &o.result {
                let name = &inv.sender.name;
                assert_eq!(
                    bounds::check_name("sender", name).as_deref(),
                    Ok(name.as_str())
                );
            }
        }
        // Per address: the first refusal is the one counted.
        if let Some(Err(r)) = outcomes
            .iter()
            .map(|o| o.result.as_ref())
            .find(|r| r.is_err())
        {
            return Outcome::refused(r);
        }
    }
    decided(&d)
}

type ActionInput = (
    Actor,
    Invitation,
    OrgSettings,
    (u32, u32),
    (TimeDelta, Access),
    DateTime<Utc>,
);

fn action_input() -> BoxedStrategy<ActionInput> {
    let org = OrgId::new();
    (
        actor(org),
        invitation(org),
        settings(),
        (any::<u32>(), any::<u32>()),
        (duration(), access()),
        instant(),
    )
        .boxed()
}

/// R5: resend, cancel, edit access, mark completed and follow-up on an invitation with any
/// facts, under any cool-down and interval, at any instant.
fn actions((actor, inv, settings, (limit, used), (interval, access), now): ActionInput) -> Outcome {
    let org = Organization {
        id: inv.org,
        ..organization(settings)
    };
    let seats = Seats::new(limit, used);
    let resent = decide::actions::resend(&actor, &inv, &org, seats, now);
    if let Ok(next) = &resent.answer {
        assert!(
            next.link_generation() > inv.link_generation(),
            "a new generation"
        );
    }
    decided(&decide::actions::cancel(&actor, &inv, now));
    decided(&decide::actions::edit_access(
        &actor,
        &inv,
        &org,
        &[],
        access,
        now,
    ));
    decided(&decide::actions::mark_completed(&actor, &inv, now));
    decided(&decide::actions::send_follow_up(
        &actor, &inv, interval, now,
    ));
    let _ = inv.status_at(now).actions();
    decided(&resent)
}

type SignupInput = (
    Invitation,
    OrgSettings,
    u32,
    (u32, u32, bool),
    String,
    DateTime<Utc>,
);

fn signup_input() -> BoxedStrategy<SignupInput> {
    let org = OrgId::new();
    (
        invitation(org),
        settings(),
        any::<u32>(),
        (any::<u32>(), any::<u32>(), any::<bool>()),
        text(),
        instant(),
    )
        .boxed()
}

/// R6: a signup with a link of any generation, for an invitation with any facts, with any
/// user id, then the first login reported by the member themself.
fn signup((inv, settings, generation, (limit, used, lost), user, now): SignupInput) -> Outcome {
    let org = Organization {
        id: inv.org,
        ..organization(settings)
    };
    let link = LinkRecord {
        hash: LinkToken::from_link("t").hash(),
        invitation: inv.id,
        generation,
        issued_at: now,
    };
    let facts = SignupFacts {
        link: &link,
        invitation: &inv,
        org: &org,
        members: &[],
        seats: Seats::new(limit, used),
        lost_seat_race: lost,
    };
    let d = decide::signup::sign_up(facts, Some(UserRef::new(user.clone())), now);
    if let Ok(s) = &d.answer {
        let id = s.member.user_ref.as_ref().expect("the id given");
        assert_eq!(
            bounds::check_id("user", id.as_str()).as_deref(),
            Ok(id.as_str())
        );
        let me = Actor::read_only(inv.org, id.as_str(), user);
        let login = decide::signup::record_first_login(&me, &s.member, Some(&s.invitation), now);
        decided(&login);
    }
    decided(&d)
}

type DeliveryInput = (
    (Invitation, OrgSettings),
    (u8, u32, Option<NaiveDate>, DateTime<Utc>),
    (u8, String, u32),
    (RetryPolicy, TimeDelta, f64),
    DateTime<Utc>,
);

fn policy() -> BoxedStrategy<RetryPolicy> {
    (duration(), duration(), any::<u32>(), any::<u32>())
        .prop_map(
            |(first_delay, max_delay, max_attempts, jitter_percent)| RetryPolicy {
                first_delay,
                max_delay,
                max_attempts,
                jitter_percent,
            },
        )
        .boxed()
}

fn delivery_input() -> BoxedStrategy<DeliveryInput> {
    let org = OrgId::new();
    let unit = prop_oneof![
        0.0f64..1.0,
        prop::sample::select(vec![f64::NAN, f64::INFINITY, -1.0, 2.0, f64::MIN])
    ];
    (
        (invitation(org), settings()),
        (
            any::<u8>(),
            any::<u32>(),
            prop::option::of(day()),
            instant(),
        ),
        (any::<u8>(), text(), any::<u32>()),
        (policy(), duration(), unit),
        instant(),
    )
        .boxed()
}

/// R7: judging a message of any kind and generation for an invitation with any facts, what a
/// failure of any class comes to under any retry policy, and recording it.
fn delivery(input: DeliveryInput) -> Outcome {
    let ((inv, settings), (kind, generation, reminder_day, created), failure, timing, now) = input;
    let (class, reason, attempts) = failure;
    let (policy, pause, unit) = timing;
    let org = Organization {
        id: inv.org,
        ..organization(settings)
    };
    let kinds = [
        MessageKind::Invitation,
        MessageKind::Resend,
        MessageKind::Reminder,
        MessageKind::FollowUp,
    ];
    let mut message = OutboxMessage::new(
        org.id,
        inv.id,
        kinds[kind as usize % 4],
        generation,
        created,
    );
    message.reminder_day = reminder_day;
    message.attempts = attempts;
    let verdict = decide::delivery::judge(&message, Some(&inv), Some(&org), now);
    let _ = decide::delivery::link_expiry(&message, &inv, org.settings.validity, now);
    let error = match class % 3 {
        0 => NotifyError::transient(reason),
        1 => NotifyError::permanent(reason),
        _ => NotifyError::transport(reason),
    };
    let attempted = decide::delivery::after_failure(&error, attempts, &policy, pause, unit, now);
    let claim = ClaimedMessage {
        message,
        lease: Lease {
            token: uuid::Uuid::new_v4(),
            until: now,
        },
    };
    let mut batch = decide::delivery::BatchRecord::new(now);
    for a in [
        &attempted,
        &decide::delivery::Attempted::Sent {
            at: now,
            receipt: invite_core::Delivered::one(),
        },
    ] {
        batch.record(&claim, Some(&inv), org.settings.validity, a);
    }
    assert!(
        batch.into_commit().is_some(),
        "a batch with attempts commits"
    );
    match verdict {
        decide::delivery::Verdict::Deliver { .. } => Outcome::Accepted,
        other => Outcome::Refused(format!("Verdict::{}", super::variant(&other))),
    }
}

type ReminderInput = (
    Invitation,
    OrgSettings,
    NaiveDate,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn reminder_input() -> BoxedStrategy<ReminderInput> {
    let org = OrgId::new();
    (invitation(org), settings(), day(), instant(), instant()).boxed()
}

/// R8: when a day's reminder is due, at which instant, who gets one, in any zone at any time
/// of day (daylight-saving gaps and leap seconds included), at any instant; and the dashboard
/// figures of the same record.
fn reminders((inv, settings, day, cutoff, now): ReminderInput) -> Outcome {
    let org = Organization {
        id: inv.org,
        ..organization(settings)
    };
    let instant =
        reminders::reminder_instant(day, org.settings.reminder_time, org.settings.time_zone);
    let _ = clock::local_date(instant, org.settings.time_zone);
    let _ = clock::period_end(now, org.settings.validity);
    let _ = TabCounts::tally([&inv], now);
    let query = ListQuery::tab(Tab::All);
    let _ = (
        query.selects(&inv, now),
        query.is_after_cursor(&inv),
        query.cursor_at(&inv),
    );
    let due = reminders::due_day(&org.settings, now);
    let eligible = reminders::eligible(&inv, now, cutoff);
    let commit =
        decide::reminders::reminders_for(&org, day, cutoff, std::slice::from_ref(&inv), now);
    assert_eq!(
        commit.is_some(),
        eligible,
        "a reminder exactly when eligible"
    );
    match (due, eligible) {
        (Some(_), true) => Outcome::Accepted,
        (None, _) => Outcome::Refused("not due".into()),
        (Some(_), false) => Outcome::Refused("not eligible".into()),
    }
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

/// The decisions' properties and their share of the long run (500,000 inputs).
pub(super) fn properties() -> Vec<Property> {
    vec![
        property!("decide::organizations", 100_000, org_input(), organizations),
        property!("decide::invite", 100_000, invite_input(), invite),
        property!("decide::actions", 100_000, action_input(), actions),
        property!("decide::signup", 75_000, signup_input(), signup),
        property!("decide::delivery", 75_000, delivery_input(), delivery),
        property!(
            "decide::reminders and views",
            50_000,
            reminder_input(),
            reminders
        ),
    ]
}
