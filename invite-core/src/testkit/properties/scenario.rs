//! The generated input of the properties: an organization's setup and a sequence of commands
//! with random jumps of the clock, drawn in the proportions of a [`Mix`].

use crate::{Access, Channel, Contact, Email, PermissionLevel, Phone, Role, Scripted};
use chrono_tz::Tz;
use proptest::prelude::*;
use std::fmt::Debug;

/// Addresses a scenario invites. Entries 0 and 1 are the same address (R2.2); entry 4 is a
/// contact with an e-mail address and a phone number (the phone of entry 7), invited by either.
pub(super) const POOL: [&str; 8] = [
    "ann@example.com",
    " ANN@Example.com ",
    "bob@example.org",
    "carol@example.net",
    "dave@example.com",
    "+79051111111",
    "+442079460000",
    "+4915112345678",
];

/// Addresses the notifier can be scripted to fail for (the `to` of a notification).
pub(super) const TARGETS: [&str; 7] = [
    "ann@example.com",
    "bob@example.org",
    "carol@example.net",
    "dave@example.com",
    "+79051111111",
    "+442079460000",
    "+4915112345678",
];

/// Inputs of a bulk invite that are not addresses (R2.2, R2.9).
pub(super) const JUNK: [&str; 2] = ["9051111111", "not-an-address@"];

/// Time zones the organization may be in: no DST, European and US DST, a 45-minute offset.
pub(super) const ZONES: [Tz; 4] = [
    Tz::UTC,
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Asia::Kathmandu,
];

/// Starts shortly before daylight-saving changes: Europe springs forward on 2026-03-29, falls
/// back on 2026-10-25; the US falls back on 2026-11-01 (R8.3).
pub(super) const STARTS: [&str; 3] = [
    "2026-03-27T20:00:00Z",
    "2026-10-24T21:00:00Z",
    "2026-10-31T12:00:00Z",
];

/// Reminder local times, some inside DST gaps or overlaps.
pub(super) const REMINDER_TIMES: [(u32, u32); 5] = [(10, 0), (2, 30), (1, 30), (0, 0), (23, 45)];

pub(super) fn access(i: usize) -> Access {
    match i % 3 {
        0 => Access::user(Role::ReadOnly),
        1 => Access::user(Role::Admin),
        _ => Access::user(Role::Admin).as_admin(PermissionLevel::new("owner").expect("valid")),
    }
}

/// The contact and channel of a single invite of pool entry `who`.
pub(super) fn pool_contact(who: usize, sms: bool) -> (Contact, Channel) {
    let input = POOL[who % POOL.len()];
    if who % POOL.len() == 4 {
        let email = Email::parse(input).expect("valid e-mail");
        let phone = Phone::parse(POOL[7]).expect("valid phone");
        let contact = Contact::new(Some(email), Some(phone)).expect("non-empty");
        (contact, if sms { Channel::Sms } else { Channel::Email })
    } else if input.contains('@') {
        (
            Contact::parse_email(input).expect("valid e-mail"),
            Channel::Email,
        )
    } else {
        (
            Contact::parse_phone(input).expect("valid phone"),
            Channel::Sms,
        )
    }
}

#[derive(Clone, Debug)]
pub(super) enum Cmd {
    Invite {
        who: usize,
        sms: bool,
        access: usize,
    },
    InviteMany {
        mask: u8,
        junk: bool,
        access: usize,
    },
    Resend {
        inv: usize,
    },
    Cancel {
        inv: usize,
    },
    EditAccess {
        inv: usize,
        access: usize,
    },
    Dispatch,
    SignUp {
        link: usize,
    },
    SignUpUnknownLink,
    FirstLogin {
        member: usize,
    },
    MarkCompleted {
        inv: usize,
    },
    FollowUp {
        inv: usize,
    },
    RemoveMember {
        member: usize,
    },
    SeatLimit {
        limit: u32,
    },
    SeatPolicy {
        reserve: bool,
    },
    Reminders {
        on: bool,
    },
    Sweep,
    Script {
        to: usize,
        outcomes: Vec<Scripted>,
    },
    Advance {
        seconds: i64,
    },
    /// Jumps to the organization's next reminder instant, plus `minutes`.
    AdvancePastReminderTime {
        minutes: i64,
    },
}

impl Cmd {
    /// Vendor operations that may legitimately put the usage above the limit (R3.6, R3.5).
    pub(super) fn is_operator_change(&self) -> bool {
        matches!(self, Cmd::SeatLimit { .. } | Cmd::SeatPolicy { .. })
    }
}

/// One step: a command, then a probe of one disallowed action on one invitation (R5.1).
#[derive(Clone)]
pub(super) struct Step {
    pub(super) cmd: Cmd,
    pub(super) probe: (usize, usize),
}

/// One line per step, so a failing sequence reads as a list of commands.
impl Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} / probe {:?}", self.cmd, self.probe)
    }
}

#[derive(Clone, Debug)]
pub(super) struct Setup {
    pub(super) seat_limit: u32,
    pub(super) validity_hours: i64,
    pub(super) reminders: bool,
    pub(super) reminder_time: usize,
    pub(super) zone: usize,
    pub(super) start: usize,
    pub(super) reserve: bool,
    pub(super) scripts: Vec<(usize, Vec<Scripted>)>,
}

/// One generated run: the organization's setup (seats, validity, reminders, time zone, start
/// instant, seat policy, scripted delivery failures) and the steps, each a command and a probe
/// of one disallowed action. Its `Debug` output lists one step a line, so a shrunk failing
/// scenario reads as the commands that make it fail.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub(super) setup: Setup,
    pub(super) steps: Vec<Step>,
}

/// Relative weights of the commands in a scenario, and the ranges of its setup: one of
/// [`SEATS_MIX`], [`REMINDERS_MIX`] and [`GENERAL_MIX`].
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    invite: u32,
    actions: u32,
    dispatch: u32,
    signup: u32,
    members: u32,
    operator: u32,
    reminders: u32,
    script: u32,
    time: u32,
    /// Chance that the organization starts with reminders on.
    reminders_on: f64,
    /// The fewest steps in a scenario (the most is 40).
    min_steps: usize,
    /// Link validity periods to pick from, in hours.
    validity_hours: &'static [i64],
    /// The most seats an organization starts with (at least 1).
    max_seats: u32,
}

/// Seat-heavy: invites, signups, removals, limit and policy changes, few seats (R3).
pub const SEATS_MIX: Mix = Mix {
    invite: 8,
    actions: 4,
    dispatch: 14,
    signup: 8,
    members: 4,
    operator: 4,
    reminders: 1,
    script: 1,
    time: 4,
    reminders_on: 0.3,
    min_steps: 8,
    validity_hours: &[1, 6, 24, 72, 168],
    max_seats: 3,
};

/// Reminder-heavy: sweeps, jumps to reminder times, deliveries, reminders mostly on (R8).
pub const REMINDERS_MIX: Mix = Mix {
    invite: 8,
    actions: 2,
    dispatch: 30,
    signup: 3,
    members: 2,
    operator: 1,
    reminders: 14,
    script: 2,
    time: 6,
    reminders_on: 0.8,
    min_steps: 20,
    validity_hours: &[24, 72, 168],
    max_seats: 6,
};

/// Every command in comparable measure (R2, R4, R5, R6, R9).
pub const GENERAL_MIX: Mix = Mix {
    invite: 6,
    actions: 6,
    dispatch: 14,
    signup: 5,
    members: 3,
    operator: 2,
    reminders: 3,
    script: 2,
    time: 5,
    reminders_on: 0.5,
    min_steps: 8,
    validity_hours: &[1, 6, 24, 72, 168],
    max_seats: 6,
};

fn scripted() -> impl Strategy<Value = Vec<Scripted>> {
    prop::collection::vec(
        prop_oneof![
            3 => Just(Scripted::Transient),
            2 => Just(Scripted::Permanent),
            1 => Just(Scripted::Accept),
        ],
        1..=4,
    )
}

fn time_jump() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => 1i64..=90,                      // seconds: inside the resend cool-down, retries
        3 => 60i64..=4 * 3600,               // minutes to hours
        3 => 3600i64..=30 * 3600,            // hours: across reminder times and expiries
        1 => 86_400i64..=3 * 86_400,         // days: missed days (R8.2)
    ]
}

fn cmd(mix: Mix) -> impl Strategy<Value = Cmd> {
    let idx = || any::<usize>();
    prop_oneof![
        mix.invite * 3 => (0..POOL.len(), any::<bool>(), 0usize..3)
            .prop_map(|(who, sms, access)| Cmd::Invite { who, sms, access }),
        mix.invite => (any::<u8>(), prop::bool::weighted(0.3), 0usize..3)
            .prop_map(|(mask, junk, access)| Cmd::InviteMany { mask, junk, access }),
        mix.actions * 2 => idx().prop_map(|inv| Cmd::Resend { inv }),
        mix.actions => idx().prop_map(|inv| Cmd::Cancel { inv }),
        mix.actions => (idx(), 0usize..3).prop_map(|(inv, access)| Cmd::EditAccess { inv, access }),
        mix.actions => idx().prop_map(|inv| Cmd::MarkCompleted { inv }),
        mix.actions => idx().prop_map(|inv| Cmd::FollowUp { inv }),
        mix.dispatch => Just(Cmd::Dispatch),
        mix.signup * 3 => idx().prop_map(|link| Cmd::SignUp { link }),
        mix.signup.div_ceil(4) => Just(Cmd::SignUpUnknownLink),
        mix.members => idx().prop_map(|member| Cmd::FirstLogin { member }),
        mix.members => idx().prop_map(|member| Cmd::RemoveMember { member }),
        mix.operator * 2 => (0u32..=7).prop_map(|limit| Cmd::SeatLimit { limit }),
        mix.operator => any::<bool>().prop_map(|reserve| Cmd::SeatPolicy { reserve }),
        mix.reminders.div_ceil(3) => prop::bool::weighted(0.7).prop_map(|on| Cmd::Reminders { on }),
        mix.reminders * 2 => Just(Cmd::Sweep),
        mix.script => (0..TARGETS.len(), scripted())
            .prop_map(|(to, outcomes)| Cmd::Script { to, outcomes }),
        mix.time * 3 => time_jump().prop_map(|seconds| Cmd::Advance { seconds }),
        mix.reminders => (0i64..=120).prop_map(|minutes| Cmd::AdvancePastReminderTime { minutes }),
    ]
}

/// The scenarios of `mix`: a setup, up to four invites and a dispatch to start from, then
/// `mix.min_steps` to 36 random steps.
pub fn scenarios(mix: Mix) -> impl Strategy<Value = Scenario> {
    let setup = (
        (
            1u32..=mix.max_seats,
            prop::sample::select(mix.validity_hours.to_vec()),
            prop::bool::weighted(mix.reminders_on),
        ),
        (0..REMINDER_TIMES.len(), 0..ZONES.len(), 0..STARTS.len()),
        prop::bool::weighted(0.3),
        prop::collection::vec((0..TARGETS.len(), scripted()), 0..=3),
    )
        .prop_map(
            |(
                (seat_limit, validity_hours, reminders),
                (reminder_time, zone, start),
                reserve,
                scripts,
            )| {
                Setup {
                    seat_limit,
                    validity_hours,
                    reminders,
                    reminder_time,
                    zone,
                    start,
                    reserve,
                    scripts,
                }
            },
        );
    let step = (cmd(mix), any::<usize>(), any::<usize>())
        .prop_map(|(cmd, a, b)| Step { cmd, probe: (a, b) });
    // A few invitations, delivered, to start from; then the random steps.
    let prelude = prop::collection::vec(
        (0..POOL.len(), any::<bool>(), 0usize..3).prop_map(|(who, sms, access)| Cmd::Invite {
            who,
            sms,
            access,
        }),
        0..=4,
    );
    (
        setup,
        prelude,
        prop::collection::vec(step, mix.min_steps..=36),
    )
        .prop_map(|(setup, prelude, random)| {
            let mut steps: Vec<Step> = prelude
                .into_iter()
                .chain([Cmd::Dispatch])
                .map(|cmd| Step { cmd, probe: (0, 0) })
                .collect();
            steps.extend(random);
            Scenario { setup, steps }
        })
}
