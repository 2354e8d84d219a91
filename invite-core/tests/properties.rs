//! Property tests: random sequences of commands, with random jumps of the clock, against
//! `MemoryStore` + `InvitationService` + `Dispatcher` (a scripted `RecordingNotifier` that fails
//! transiently or permanently for some addresses) + `ManualClock`.
//!
//! After every step the invariants below are checked. Refusals are expected outcomes of
//! commands; infrastructure errors (store, entropy, unresolved conflicts) fail the property.
//!
//! - R3.4, R3.6 (with R3.1, R3.5): seats used never exceed the limit, except after the vendor
//!   lowered the limit (or switched to `ReserveOnInvite`) below the usage of that moment; while
//!   used ≥ limit, no new seat holder is added. Used seats equal the active members (plus the live
//!   invitations under `ReserveOnInvite`), counted independently by the model.
//! - R2.7: at most one live (Queued or Pending) invitation per organization and address key.
//! - R5.1: `Status::actions()` agrees with the service: an action outside the list is refused
//!   with `Refusal::ActionNotAllowed` and changes nothing; an action inside it is never refused
//!   with `ActionNotAllowed`.
//! - R4.8, R9.1, R9.2: the counts of `Store::dashboard` equal a tally of the records; the All
//!   list pages through exactly the non-cancelled invitations.
//! - R8.2, R8.4: no invitation gets two reminders on one organization-local day (counted from
//!   the notifier's deliveries and from the audit trail), and none is delivered while the
//!   switch is off.
//! - R6.2, R6.3: a delivered link is never unknown, and signup answers the refusal its
//!   invitation's state calls for; a link of a signed-up invitation is `LinkAlreadyUsed`.
//! - Per command, against a model: R2.7/R3.3 invite answers (`AlreadyMember`,
//!   `AlreadyInvited`, `NoSeatsAvailable`, replacement of an expired or failed invitation),
//!   R2.2/R2.9 bulk answers, R3.2 signups failing for seats, R5.2 resend cool-down and new link
//!   generation, R5.4 one follow-up a day, R6.4 first login, R3.6 removal freeing a seat.
//!
//! Each property also checks, after its cases, that its scenarios exercised what it is about
//! (signups, refused signups, usage over a lowered limit, delivered reminders, probes ...), so
//! it cannot pass by testing nothing. `PROPTEST_CASES` overrides the 128 cases.
//!
//! Three properties drive the same machinery with different command mixes (seat-heavy,
//! reminder-heavy, and a general mix); each checks every invariant.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use invite_core::reminders::reminder_instant;
use invite_core::store::{RecordStore, ViewStore};
use invite_core::{
    Access, Action, Actor, Channel, CloseReason, Contact, Dispatcher, DispatcherConfig, Email,
    Error, FailureReason, InvitationId, InvitationService, ListQuery, ManualClock, MemberId,
    MemoryStore, MessageKind, OrgId, OrgKind, OrgSettings, PermissionLevel, Phone,
    RecordingNotifier, Refusal, RetryPolicy, Role, Scripted, SeatPolicy, Status, Tab, TabCounts,
};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError, TestRunner};
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::sync::Arc;

// ------------------------------------------------------------------------------ inputs

/// Addresses a scenario invites. Entries 0 and 1 are the same address (R2.2); entry 4 is a
/// contact with an e-mail address and a phone number (the phone of entry 7), invited by either.
const POOL: [&str; 8] = [
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
const TARGETS: [&str; 7] = [
    "ann@example.com",
    "bob@example.org",
    "carol@example.net",
    "dave@example.com",
    "+79051111111",
    "+442079460000",
    "+4915112345678",
];

/// Inputs of a bulk invite that are not addresses (R2.2, R2.9).
const JUNK: [&str; 2] = ["9051111111", "not-an-address@"];

const SIGNUP_BASE: &str = "https://app.example/signup?token=";

const ZONES: [Tz; 4] = [
    Tz::UTC,
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Asia::Kathmandu,
];

/// Starts shortly before daylight-saving changes: Europe springs forward on 2026-03-29, falls
/// back on 2026-10-25; the US falls back on 2026-11-01 (R8.3).
const STARTS: [&str; 3] = [
    "2026-03-27T20:00:00Z",
    "2026-10-24T21:00:00Z",
    "2026-10-31T12:00:00Z",
];

/// Reminder local times, some inside DST gaps or overlaps.
const REMINDER_TIMES: [(u32, u32); 5] = [(10, 0), (2, 30), (1, 30), (0, 0), (23, 45)];

fn access(i: usize) -> Access {
    match i % 3 {
        0 => Access::user(Role::ReadOnly),
        1 => Access::user(Role::Admin),
        _ => Access::user(Role::Admin).as_admin(PermissionLevel::new("owner").expect("valid")),
    }
}

/// The contact and channel of a single invite of pool entry `who`.
fn pool_contact(who: usize, sms: bool) -> (Contact, Channel) {
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
enum Cmd {
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
    fn is_operator_change(&self) -> bool {
        matches!(self, Cmd::SeatLimit { .. } | Cmd::SeatPolicy { .. })
    }
}

/// One step: a command, then a probe of one disallowed action on one invitation (R5.1).
#[derive(Clone)]
struct Step {
    cmd: Cmd,
    probe: (usize, usize),
}

/// One line per step, so a failing sequence reads as a list of commands.
impl Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} / probe {:?}", self.cmd, self.probe)
    }
}

#[derive(Clone, Debug)]
struct Setup {
    seat_limit: u32,
    validity_hours: i64,
    reminders: bool,
    reminder_time: usize,
    zone: usize,
    start: usize,
    reserve: bool,
    scripts: Vec<(usize, Vec<Scripted>)>,
}

#[derive(Clone, Debug)]
struct Scenario {
    setup: Setup,
    steps: Vec<Step>,
}

/// Relative weights of the commands in a scenario.
#[derive(Clone, Copy)]
struct Mix {
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

const SEATS_MIX: Mix = Mix {
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

const REMINDERS_MIX: Mix = Mix {
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

const GENERAL_MIX: Mix = Mix {
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

fn scenario(mix: Mix) -> impl Strategy<Value = Scenario> {
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

// ------------------------------------------------------------------------------ the world

type Svc = InvitationService<Arc<MemoryStore>, Arc<ManualClock>>;
type Disp = Dispatcher<Arc<MemoryStore>, Arc<RecordingNotifier>, Arc<ManualClock>>;

/// A delivered signup link, with the link generation of its invitation when it was delivered.
#[derive(Clone, Debug)]
struct Link {
    token: String,
    invitation: InvitationId,
    generation: u32,
}

struct World {
    clock: Arc<ManualClock>,
    store: Arc<MemoryStore>,
    notifier: Arc<RecordingNotifier>,
    service: Svc,
    dispatcher: Disp,
    org: OrgId,
    tz: Tz,
    admin: Actor,
    operator: Actor,
    /// Every invitation ever created, in creation order.
    invitations: Vec<InvitationId>,
    /// Every member ever created by a signup.
    members: Vec<MemberId>,
    /// Members the model believes hold a seat.
    active: HashSet<MemberId>,
    links: Vec<Link>,
    deliveries_seen: usize,
    reminders_delivered: HashMap<(InvitationId, NaiveDate), u32>,
    used_before: u32,
    members_before: u32,
    coverage: Coverage,
}

fn fail(msg: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(msg.into())
}

/// A command's answer with infrastructure failures turned into test failures: refusals are
/// expected outcomes, anything else is not.
fn outcome<T>(r: Result<T, Error>) -> Result<Result<T, Refusal>, TestCaseError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(Error::Refused(refusal)) => Ok(Err(refusal)),
        Err(e) => Err(fail(format!("infrastructure error (not a refusal): {e:?}"))),
    }
}

fn infra<T, E: Debug>(r: Result<T, E>) -> Result<T, TestCaseError> {
    r.map_err(|e| fail(format!("store error: {e:?}")))
}

/// The actions a command exists for; `Details` is a read, not a command.
const COMMANDED: [Action; 5] = [
    Action::Resend,
    Action::Cancel,
    Action::EditAccess,
    Action::SendFollowUp,
    Action::MarkCompleted,
];

/// R5.1 as the SPEC words it, written out apart from `Status::actions` so that the two are
/// checked against each other.
fn spec_actions(status: Status) -> &'static [Action] {
    use Action::*;
    match status {
        Status::Queued => &[Cancel, EditAccess],
        Status::Pending | Status::Expired | Status::Failed => &[Resend, Cancel, EditAccess],
        Status::NeverUsed => &[Details, SendFollowUp, MarkCompleted],
        Status::Completed => &[Details],
        Status::Cancelled => &[],
    }
}

impl World {
    async fn new(setup: &Setup) -> Result<Self, TestCaseError> {
        let start: DateTime<Utc> = STARTS[setup.start].parse().expect("valid start");
        let clock = Arc::new(ManualClock::new(start));
        let store = Arc::new(MemoryStore::new());
        let notifier = Arc::new(RecordingNotifier::new());
        for (to, outcomes) in &setup.scripts {
            notifier.script(TARGETS[*to], outcomes);
        }
        let service = InvitationService::new(store.clone(), clock.clone());
        let mut config = DispatcherConfig::new(SIGNUP_BASE);
        config.retry = RetryPolicy {
            first_delay: TimeDelta::seconds(30),
            max_delay: TimeDelta::minutes(10),
            max_attempts: 3,
            jitter_percent: 0,
        };
        let dispatcher = Dispatcher::new(store.clone(), notifier.clone(), clock.clone(), config);
        let operator = Actor::Operator {
            id: "vendor".into(),
        };
        let tz = ZONES[setup.zone];
        let (h, m) = REMINDER_TIMES[setup.reminder_time];
        let settings = OrgSettings {
            seat_limit: setup.seat_limit,
            validity: TimeDelta::hours(setup.validity_hours),
            reminders_enabled: setup.reminders,
            reminder_time: NaiveTime::from_hms_opt(h, m, 0).expect("valid time"),
            time_zone: tz,
            seat_policy: if setup.reserve {
                SeatPolicy::ReserveOnInvite
            } else {
                SeatPolicy::ClaimOnSignup
            },
            ..OrgSettings::default()
        };
        let org = outcome(
            service
                .create_organization(&operator, "Acme", OrgKind::Standalone, settings)
                .await,
        )?
        .map_err(|r| fail(format!("creating the organization was refused: {r}")))?;
        Ok(Self {
            admin: Actor::admin(org.id, "u-1", "Ann Lee"),
            org: org.id,
            tz,
            clock,
            store,
            notifier,
            service,
            dispatcher,
            operator,
            invitations: Vec::new(),
            members: Vec::new(),
            active: HashSet::new(),
            links: Vec::new(),
            deliveries_seen: 0,
            reminders_delivered: HashMap::new(),
            used_before: 0,
            members_before: 0,
            coverage: Coverage::default(),
        })
    }

    fn now(&self) -> DateTime<Utc> {
        use invite_core::Clock;
        self.clock.now()
    }

    fn pick_invitation(&self, i: usize) -> Option<InvitationId> {
        (!self.invitations.is_empty()).then(|| self.invitations[i % self.invitations.len()])
    }

    fn pick_member(&self, i: usize) -> Option<MemberId> {
        (!self.members.is_empty()).then(|| self.members[i % self.members.len()])
    }

    async fn invitation(&self, id: InvitationId) -> Result<invite_core::Invitation, TestCaseError> {
        infra(self.store.invitation(id).await)?
            .ok_or_else(|| fail(format!("invitation {id} vanished")))
    }

    async fn records(&self) -> Result<Vec<invite_core::Invitation>, TestCaseError> {
        let mut out = Vec::with_capacity(self.invitations.len());
        for id in &self.invitations {
            out.push(self.invitation(*id).await?);
        }
        Ok(out)
    }

    async fn organization(&self) -> Result<invite_core::Organization, TestCaseError> {
        infra(self.store.organization(self.org).await)?.ok_or_else(|| fail("organization vanished"))
    }

    /// The contact keys of active members, read from the store.
    async fn member_keys(&self) -> Result<HashSet<String>, TestCaseError> {
        let mut keys = HashSet::new();
        for id in &self.active {
            let m = infra(self.store.member(*id).await)?.ok_or_else(|| fail("member vanished"))?;
            keys.extend(m.contact.keys());
        }
        Ok(keys)
    }

    // -------------------------------------------------------------------------- commands

    async fn apply(&mut self, cmd: &Cmd) -> Result<(), TestCaseError> {
        match cmd {
            Cmd::Invite {
                who,
                sms,
                access: a,
            } => self.invite(*who, *sms, *a).await,
            Cmd::InviteMany {
                mask,
                junk,
                access: a,
            } => self.invite_many(*mask, *junk, *a).await,
            Cmd::Resend { inv } => {
                self.act(*inv, Action::Resend, |s, admin, id| {
                    Box::pin(s.resend(admin, id))
                })
                .await
            }
            Cmd::Cancel { inv } => {
                self.act(*inv, Action::Cancel, |s, admin, id| {
                    Box::pin(s.cancel(admin, id))
                })
                .await
            }
            Cmd::EditAccess { inv, access: a } => {
                let a = access(*a);
                self.act(*inv, Action::EditAccess, move |s, admin, id| {
                    Box::pin(s.edit_access(admin, id, a.clone()))
                })
                .await
            }
            Cmd::MarkCompleted { inv } => {
                self.act(*inv, Action::MarkCompleted, |s, admin, id| {
                    Box::pin(s.mark_completed(admin, id))
                })
                .await
            }
            Cmd::FollowUp { inv } => {
                self.act(*inv, Action::SendFollowUp, |s, admin, id| {
                    Box::pin(s.send_follow_up(admin, id))
                })
                .await
            }
            Cmd::Dispatch => {
                let report = outcome(self.dispatcher.drain().await)?;
                prop_assert!(report.is_ok(), "dispatch refused: {:?}", report);
                let report = report.expect("checked");
                prop_assert_eq!(report.lease_lost, 0, "a lone dispatcher lost a lease");
                self.coverage.failed_deliveries += report.failed;
                Ok(())
            }
            Cmd::SignUp { link } => self.sign_up(*link).await,
            Cmd::SignUpUnknownLink => {
                let r = outcome(self.service.sign_up("no-such-token", None).await)?;
                prop_assert!(
                    matches!(r, Err(Refusal::UnknownLink)),
                    "R6.2: an unknown link must be refused as unknown, got {:?}",
                    r
                );
                Ok(())
            }
            Cmd::FirstLogin { member } => self.first_login(*member).await,
            Cmd::RemoveMember { member } => self.remove_member(*member).await,
            Cmd::SeatLimit { limit } => {
                let r = outcome(
                    self.service
                        .change_seat_limit(&self.operator, self.org, *limit)
                        .await,
                )?;
                prop_assert!(r.is_ok(), "seat limit change refused: {:?}", r);
                Ok(())
            }
            Cmd::SeatPolicy { reserve } => {
                let policy = if *reserve {
                    SeatPolicy::ReserveOnInvite
                } else {
                    SeatPolicy::ClaimOnSignup
                };
                let r = outcome(
                    self.service
                        .change_seat_policy(&self.operator, self.org, policy)
                        .await,
                )?;
                prop_assert!(r.is_ok(), "seat policy change refused: {:?}", r);
                Ok(())
            }
            Cmd::Reminders { on } => {
                let r = outcome(self.service.set_reminders(&self.admin, self.org, *on).await)?;
                prop_assert!(r.is_ok(), "reminder switch refused: {:?}", r);
                Ok(())
            }
            Cmd::Sweep => {
                let r = outcome(self.service.sweep_reminders().await)?;
                prop_assert!(r.is_ok(), "sweep refused: {:?}", r);
                Ok(())
            }
            Cmd::Script { to, outcomes } => {
                self.notifier.script(TARGETS[*to], outcomes);
                Ok(())
            }
            Cmd::AdvancePastReminderTime { minutes } => {
                let settings = self.organization().await?.settings;
                let now = self.now();
                let today = now.with_timezone(&settings.time_zone).date_naive();
                let next = [
                    today,
                    today + TimeDelta::days(1),
                    today + TimeDelta::days(2),
                ]
                .into_iter()
                .map(|d| reminder_instant(d, settings.reminder_time, settings.time_zone))
                .find(|t| *t > now)
                .ok_or_else(|| fail("no reminder instant in the next two days"))?;
                self.clock.set(next + TimeDelta::minutes(*minutes));
                Ok(())
            }
            Cmd::Advance { seconds } => {
                self.clock.advance(TimeDelta::seconds(*seconds));
                Ok(())
            }
        }
    }

    /// R2.7, R3.3: a single invite answers what the model expects.
    async fn invite(&mut self, who: usize, sms: bool, a: usize) -> Result<(), TestCaseError> {
        let (contact, channel) = pool_contact(who, sms);
        let key = contact.key_for(channel).expect("reachable");
        let now = self.now();
        let records = self.records().await?;
        let members = self.member_keys().await?;
        let seats = infra(self.store.seats(self.org, now).await)?;
        let is_member = contact.keys().iter().any(|k| members.contains(k));
        let live = records
            .iter()
            .any(|i| i.address_key() == key && i.status_at(now).is_live());
        let stale: Option<InvitationId> = records
            .iter()
            .find(|i| i.address_key() == key && i.is_open() && !i.status_at(now).is_live())
            .map(|i| i.id);

        let r = outcome(
            self.service
                .invite(&self.admin, self.org, contact, channel, access(a))
                .await,
        )?;
        match &r {
            Ok(inv) => {
                prop_assert!(
                    !is_member && !live,
                    "R2.7: invited a member or a live address"
                );
                prop_assert!(seats.available > 0, "R3.3: invited with no seat available");
                prop_assert_eq!(inv.status_at(now), Status::Queued);
                self.invitations.push(inv.id);
                if let Some(old) = stale {
                    let old = self.invitation(old).await?;
                    prop_assert!(
                        matches!(old.closed().cloned(), Some((_, CloseReason::Replaced(by))) if by == inv.id),
                        "R2.7: the expired or failed invitation to {} was not replaced",
                        key
                    );
                    self.coverage.replaced += 1;
                }
            }
            Err(Refusal::AlreadyMember { .. }) => {
                prop_assert!(is_member, "R2.7: AlreadyMember for a non-member {}", key)
            }
            Err(Refusal::AlreadyInvited { .. }) => {
                prop_assert!(
                    !is_member && live,
                    "R2.7: AlreadyInvited without a live invitation"
                )
            }
            Err(Refusal::NoSeatsAvailable) => prop_assert!(
                !is_member && !live && seats.available == 0,
                "R3.3: NoSeatsAvailable with {:?}",
                seats
            ),
            Err(other) => return Err(fail(format!("unexpected refusal of an invite: {other:?}"))),
        }
        Ok(())
    }

    /// R2.9: one answer per address, in order; bad addresses are refused per address.
    async fn invite_many(&mut self, mask: u8, junk: bool, a: usize) -> Result<(), TestCaseError> {
        let mut inputs: Vec<&str> = POOL
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, s)| *s)
            .collect();
        if junk {
            inputs.insert(inputs.len() / 2, JUNK[mask as usize % JUNK.len()]);
        }
        let r = outcome(
            self.service
                .invite_many(&self.admin, self.org, &inputs, access(a))
                .await,
        )?;
        let outcomes = r.map_err(|e| fail(format!("bulk invite refused as a whole: {e:?}")))?;
        prop_assert_eq!(outcomes.len(), inputs.len(), "R2.9: one answer per address");
        for (o, input) in outcomes.iter().zip(&inputs) {
            prop_assert_eq!(&o.input, input, "R2.9: answers in input order");
            match &o.result {
                Ok(inv) => {
                    prop_assert!(!JUNK.contains(input), "R2.2: {} was invited", input);
                    self.invitations.push(inv.id);
                }
                Err(Refusal::InvalidContact(_)) => {
                    prop_assert!(
                        JUNK.contains(input),
                        "R2.2: valid {} refused as invalid",
                        input
                    )
                }
                Err(
                    Refusal::AlreadyInvited { .. }
                    | Refusal::AlreadyMember { .. }
                    | Refusal::NoSeatsAvailable,
                ) => {}
                Err(other) => {
                    return Err(fail(format!("unexpected refusal of {input}: {other:?}")));
                }
            }
        }
        Ok(())
    }

    /// R5.1: an admin action is refused with `ActionNotAllowed` exactly when the status does
    /// not list it.
    async fn act<F>(&mut self, inv: usize, action: Action, run: F) -> Result<(), TestCaseError>
    where
        F: for<'a> Fn(
            &'a Svc,
            &'a Actor,
            InvitationId,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<invite_core::Invitation, Error>> + 'a>,
        >,
    {
        let Some(id) = self.pick_invitation(inv) else {
            return Ok(());
        };
        let now = self.now();
        let before = self.invitation(id).await?;
        let status = before.status_at(now);
        let org = self.organization().await?;
        let r = outcome(run(&self.service, &self.admin, id).await)?;
        let allowed = status.allows(action);
        // R5.2: a resend within the cool-down of the last invitation or resend request is
        // refused (an open invitation's; a closed or signed-up one offers no resend at all).
        let cooling = action == Action::Resend
            && before.is_open()
            && now < before.last_invited_at() + org.settings.resend_cooldown;
        // R5.4: at most one follow-up a day.
        let too_soon = action == Action::SendFollowUp
            && before
                .last_follow_up_at()
                .is_some_and(|t| now < t + TimeDelta::days(1));
        if allowed {
            prop_assert_eq!(
                matches!(r, Err(Refusal::ResendCooldown { .. })),
                cooling,
                "R5.2: resend cool-down"
            );
            prop_assert_eq!(
                matches!(r, Err(Refusal::FollowUpTooSoon { .. })),
                too_soon,
                "R5.4: follow-up once a day"
            );
        }
        if let Ok(after) = &r {
            let want = match action {
                Action::Resend => Status::Queued,
                Action::Cancel => Status::Cancelled,
                Action::MarkCompleted => Status::Completed,
                _ => status,
            };
            prop_assert_eq!(after.status_at(now), want, "{} from {}", action, status);
            if action == Action::Resend {
                // R5.2: a new link generation kills the older links.
                prop_assert_eq!(after.link_generation(), before.link_generation() + 1);
            }
        }
        match &r {
            Err(Refusal::ActionNotAllowed {
                action: a,
                status: s,
            }) => {
                prop_assert!(
                    !allowed,
                    "R5.1: {} is listed for {} but was refused",
                    action,
                    status
                );
                prop_assert_eq!((*a, *s), (action, status));
                prop_assert_eq!(
                    &self.invitation(id).await?,
                    &before,
                    "a refusal changed the record"
                );
            }
            Ok(_) => prop_assert!(allowed, "R5.1: {} done on a {} invitation", action, status),
            Err(
                Refusal::ResendCooldown { .. }
                | Refusal::NoSeatsAvailable
                | Refusal::FollowUpTooSoon { .. },
            ) => {
                // R5.2: the cool-down is checked before the status, so a double-clicked resend
                // gets one answer whether or not the first was delivered in between.
                let cooling_down = matches!(r, Err(Refusal::ResendCooldown { .. }));
                prop_assert!(
                    allowed || cooling_down,
                    "R5.1: {} on {} not refused as not allowed",
                    action,
                    status
                );
                prop_assert_eq!(
                    &self.invitation(id).await?,
                    &before,
                    "a refusal changed the record"
                );
            }
            Err(other) => return Err(fail(format!("unexpected refusal of {action}: {other:?}"))),
        }
        Ok(())
    }

    /// R6.2, R6.3, R3.2, R3.5: signup with a delivered link answers what the invitation's
    /// state calls for.
    async fn sign_up(&mut self, i: usize) -> Result<(), TestCaseError> {
        if self.links.is_empty() {
            return Ok(());
        }
        let link = self.links[i % self.links.len()].clone();
        let now = self.now();
        let inv = self.invitation(link.invitation).await?;
        let org = self.organization().await?;
        let seats = infra(self.store.seats(self.org, now).await)?;
        let members = self.member_keys().await?;
        let is_member = inv.contact.keys().iter().any(|k| members.contains(k));
        let claims = org.settings.seat_policy == SeatPolicy::ClaimOnSignup;
        // R3.2: under ClaimOnSignup a signup needs a free seat. R3.5, R3.6: under
        // ReserveOnInvite it turns its own reservation into a seat, unless the members alone
        // already fill a limit the vendor lowered (or a policy switch overbooked).
        let no_seat = match claims {
            true => seats.available == 0,
            false => self.active.len() as u32 >= seats.limit,
        };
        let expected = if inv.signed_up_at().is_some() {
            Some(Refusal::LinkAlreadyUsed)
        } else if let Some((_, reason)) = &inv.closed().cloned() {
            Some(match reason {
                CloseReason::Replaced(_) => Refusal::LinkSuperseded,
                _ => Refusal::LinkCancelled,
            })
        } else if link.generation < inv.link_generation() {
            Some(Refusal::LinkSuperseded)
        } else if inv.failure().cloned().is_some() {
            Some(Refusal::InvitationFailed)
        } else if inv.status_at(now) == Status::Expired {
            Some(Refusal::LinkExpired)
        } else if is_member {
            Some(Refusal::AlreadyMember {
                address: inv.contact.to_string(),
            })
        } else if no_seat {
            Some(Refusal::SeatsExhausted)
        } else {
            None
        };
        let r = outcome(self.service.sign_up(&link.token, None).await)?;
        let after = self.invitation(link.invitation).await?;
        match (&r, expected) {
            (Ok(signup), None) => {
                prop_assert_eq!(
                    inv.status_at(now),
                    Status::Pending,
                    "R6.2: signed up from a non-pending invitation"
                );
                prop_assert_eq!(after.status_at(now), Status::NeverUsed);
                self.members.push(signup.member.id);
                self.active.insert(signup.member.id);
                self.coverage.signups += 1;
                let seats_after = infra(self.store.seats(self.org, now).await)?;
                // R3.2 / R3.5: a signup claims a seat, or turns its reservation into one.
                let delta = if claims { 1 } else { 0 };
                prop_assert_eq!(
                    seats_after.used,
                    seats.used + delta,
                    "R3.5: seat accounting of a signup"
                );
                // R6.3: the same link again never makes a second member.
                let again = outcome(self.service.sign_up(&link.token, None).await)?;
                prop_assert!(
                    matches!(again, Err(Refusal::LinkAlreadyUsed)),
                    "R6.3: a used link answered {:?}",
                    again
                );
            }
            (Err(Refusal::SeatsExhausted), Some(Refusal::SeatsExhausted)) => {
                // R3.2: the failed signup is recorded: the invitation is Failed, seats exhausted.
                prop_assert_eq!(after.status_at(now), Status::Failed);
                prop_assert_eq!(
                    after.failure().cloned(),
                    Some(FailureReason::SeatsExhausted)
                );
                self.coverage.seat_exhausted_signups += 1;
            }
            (Err(got), Some(want))
                if std::mem::discriminant(got) == std::mem::discriminant(&want) =>
            {
                prop_assert_eq!(
                    &after,
                    &inv,
                    "R6.2: a refused signup changed the invitation"
                );
            }
            (got, want) => {
                return Err(fail(format!(
                    "R6.2: signup answered {got:?}, the model expected {want:?} (invitation {} at {now})",
                    inv.status_at(now)
                )));
            }
        }
        Ok(())
    }

    /// R6.4: the first login moves Never Used to Completed.
    async fn first_login(&mut self, i: usize) -> Result<(), TestCaseError> {
        let Some(id) = self.pick_member(i) else {
            return Ok(());
        };
        let m = infra(self.store.member(id).await)?.ok_or_else(|| fail("member vanished"))?;
        let inv_id = m
            .invitation
            .ok_or_else(|| fail("a signed-up member without invitation"))?;
        let now = self.now();
        let before = self.invitation(inv_id).await?.status_at(now);
        let r = outcome(
            self.service
                .record_first_login(&Actor::Application, id)
                .await,
        )?;
        prop_assert!(r.is_ok(), "first login refused: {:?}", r);
        let after = self.invitation(inv_id).await?.status_at(now);
        let want = if before == Status::NeverUsed {
            Status::Completed
        } else {
            before
        };
        prop_assert_eq!(after, want, "R6.4: first login from {}", before);
        Ok(())
    }

    /// R3.6: removing a member frees the seat; their invitation leaves the lists.
    async fn remove_member(&mut self, i: usize) -> Result<(), TestCaseError> {
        let Some(id) = self.pick_member(i) else {
            return Ok(());
        };
        let now = self.now();
        let used = infra(self.store.seats(self.org, now).await)?.used;
        let r = outcome(self.service.remove_member(&self.admin, id).await)?;
        if self.active.contains(&id) {
            let m = r.map_err(|e| fail(format!("removing an active member refused: {e:?}")))?;
            self.active.remove(&id);
            let seats = infra(self.store.seats(self.org, now).await)?;
            prop_assert_eq!(seats.used + 1, used, "R3.6: removal did not free a seat");
            let inv = self
                .invitation(m.invitation.expect("came by invitation"))
                .await?;
            prop_assert_eq!(inv.status_at(now), Status::Cancelled);
        } else {
            prop_assert!(
                matches!(r, Err(Refusal::MemberNotFound(_))),
                "removing a removed member answered {:?}",
                r
            );
        }
        Ok(())
    }

    /// Records links and reminders the notifier accepted during the last step.
    async fn observe_deliveries(&mut self) -> Result<(), TestCaseError> {
        let delivered = self.notifier.delivered();
        let fresh = &delivered[self.deliveries_seen..];
        self.deliveries_seen = delivered.len();
        self.coverage.deliveries += fresh.len() as u32;
        if fresh.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let day = now.with_timezone(&self.tz).date_naive();
        let reminders_on = self.organization().await?.settings.reminders_enabled;
        for n in fresh {
            if let Some(url) = &n.signup_url {
                let (_, token) = url
                    .expose()
                    .split_once("token=")
                    .ok_or_else(|| fail("a signup URL without token="))?;
                let generation = self.invitation(n.invitation).await?.link_generation();
                self.links.push(Link {
                    token: token.to_owned(),
                    invitation: n.invitation,
                    generation,
                });
            }
            if n.kind == MessageKind::Reminder {
                // R8.4: a reminder goes out only while the switch is on.
                prop_assert!(
                    reminders_on,
                    "R8.4: a reminder was delivered with reminders off"
                );
                // R8.2: never two reminders to one invitation on one local day.
                let count = self
                    .reminders_delivered
                    .entry((n.invitation, day))
                    .or_default();
                *count += 1;
                prop_assert!(
                    *count <= 1,
                    "R8.2: invitation {} got {} reminders on local day {}",
                    n.invitation,
                    count,
                    day
                );
                self.coverage.reminders += 1;
            }
        }
        Ok(())
    }

    // -------------------------------------------------------------------------- invariants

    async fn check(&mut self, cmd: &Cmd) -> Result<(), TestCaseError> {
        self.observe_deliveries().await?;
        let now = self.now();
        let org = self.organization().await?;
        let records = self.records().await?;
        let seats = infra(self.store.seats(self.org, now).await)?;

        // R3.1, R3.5: the store's usage is the model's: active members, plus live
        // invitations under ReserveOnInvite.
        let reserved = match org.settings.seat_policy {
            SeatPolicy::ReserveOnInvite => records
                .iter()
                .filter(|i| i.status_at(now).is_live())
                .count(),
            SeatPolicy::ClaimOnSignup => 0,
        };
        prop_assert_eq!(
            seats.used as usize,
            self.active.len() + reserved,
            "R3.1: seats used"
        );
        prop_assert_eq!(seats.limit, org.settings.seat_limit);
        prop_assert_eq!(
            seats.available,
            seats.limit.saturating_sub(seats.used),
            "R3.1"
        );

        // R3.4, R3.6: only a vendor change may put usage above the limit, and while usage is
        // at or above the limit no new seat holder is added. The same holds for registered
        // members alone: a reserved signup does not add a holder, but after the limit was
        // lowered it must not add a member past it either.
        let members = self.active.len() as u32;
        if !cmd.is_operator_change() {
            prop_assert!(
                seats.used <= seats.limit.max(self.used_before),
                "R3.4: {} seats used of {} (before this step: {})",
                seats.used,
                seats.limit,
                self.used_before
            );
            prop_assert!(
                members <= seats.limit.max(self.members_before),
                "R3.6: {} members for {} seats (before this step: {})",
                members,
                seats.limit,
                self.members_before
            );
        }
        self.used_before = seats.used;
        self.members_before = members;
        if seats.used > seats.limit {
            self.coverage.over_limit += 1;
        }

        // R5.1: the model's actions are the SPEC's.
        for inv in &records {
            let status = inv.status_at(now);
            let (model, spec) = (status.actions(), spec_actions(status));
            prop_assert!(
                model.len() == spec.len() && spec.iter().all(|a| model.contains(a)),
                "R5.1: {} allows {:?}, the SPEC says {:?}",
                status,
                model,
                spec
            );
        }

        // R2.7: at most one live invitation per address; and (the store's own rule behind
        // it) at most one open one.
        let mut live: HashMap<String, u32> = HashMap::new();
        let mut open: HashMap<String, u32> = HashMap::new();
        for inv in &records {
            if inv.status_at(now).is_live() {
                *live.entry(inv.address_key()).or_default() += 1;
            }
            if inv.is_open() {
                *open.entry(inv.address_key()).or_default() += 1;
            }
        }
        for (key, n) in &live {
            prop_assert!(*n <= 1, "R2.7: {} live invitations to {}", n, key);
        }
        for (key, n) in &open {
            prop_assert!(*n <= 1, "R2.7: {} open invitations to {}", n, key);
        }

        // R4.8, R9.1: the dashboard's counts are a tally of the records.
        let mut want = TabCounts::default();
        for inv in &records {
            let status = inv.status_at(now);
            if status == Status::Cancelled {
                continue;
            }
            want.all += 1;
            match status {
                Status::Queued | Status::Pending => want.pending += 1,
                Status::Expired | Status::Failed => want.expired_or_failed += 1,
                Status::NeverUsed => want.never_used += 1,
                Status::Completed => want.completed += 1,
                Status::Cancelled => unreachable!(),
            }
            match inv.channel {
                Channel::Email => want.invited_by_email += 1,
                Channel::Sms => want.invited_by_sms += 1,
            }
        }
        let dash = infra(self.store.dashboard(self.org, now).await)?
            .ok_or_else(|| fail("no dashboard for an existing organization"))?;
        prop_assert_eq!(dash.counts, want, "R4.8/R9.1: dashboard counts");
        prop_assert_eq!(dash.seats, seats, "R9.1: dashboard seats");
        prop_assert_eq!(dash.reminders_enabled, org.settings.reminders_enabled);

        // R9.2: the All tab pages through every non-cancelled invitation exactly once.
        let mut query = ListQuery::tab(Tab::All);
        query.limit = 3;
        let mut listed = Vec::new();
        loop {
            let page = infra(self.store.list(self.org, &query, now).await)?;
            for row in &page.rows {
                prop_assert_eq!(row.actions, row.status.actions(), "R5.1: row actions");
                listed.push(row.invitation.id);
            }
            match page.next {
                Some(c) => query.after = Some(c),
                None => break,
            }
        }
        let listed_set: HashSet<_> = listed.iter().copied().collect();
        let want_set: HashSet<_> = records
            .iter()
            .filter(|i| i.status_at(now) != Status::Cancelled)
            .map(|i| i.id)
            .collect();
        prop_assert_eq!(
            listed.len(),
            listed_set.len(),
            "R9.2: a row was listed twice"
        );
        prop_assert_eq!(listed_set, want_set, "R9.2: the All tab");

        // R8.2: at most one ReminderQueued per invitation and local day in the audit trail.
        let audit = infra(self.store.audit_trail(self.org, None).await)?;
        let mut queued: HashMap<(InvitationId, NaiveDate), u32> = HashMap::new();
        for e in &audit {
            if e.action == invite_core::AuditAction::ReminderQueued {
                let id = e
                    .invitation
                    .ok_or_else(|| fail("a reminder event without invitation"))?;
                let n = queued
                    .entry((id, e.at.with_timezone(&self.tz).date_naive()))
                    .or_default();
                *n += 1;
                prop_assert!(
                    *n <= 1,
                    "R8.2: two reminders queued for {} on one local day",
                    id
                );
            }
        }
        Ok(())
    }

    /// R5.1: one action the status does not list is refused with `ActionNotAllowed` and
    /// changes nothing.
    async fn probe(&mut self, (pick, which): (usize, usize)) -> Result<(), TestCaseError> {
        let Some(id) = self.pick_invitation(pick) else {
            return Ok(());
        };
        let now = self.now();
        let before = self.invitation(id).await?;
        let status = before.status_at(now);
        let disallowed: Vec<Action> = COMMANDED
            .into_iter()
            .filter(|a| !status.allows(*a))
            .collect();
        prop_assert!(
            status
                .actions()
                .iter()
                .all(|a| COMMANDED.contains(a) || *a == Action::Details),
            "unknown action in {:?}",
            status.actions()
        );
        if disallowed.is_empty() {
            return Ok(());
        }
        let action = disallowed[which % disallowed.len()];
        let audit_before = infra(self.store.audit_trail(self.org, None).await)?.len();
        let outbox_before = self.store.outbox_counts();
        let admin = &self.admin;
        let r = match action {
            Action::Resend => self.service.resend(admin, id).await,
            Action::Cancel => self.service.cancel(admin, id).await,
            Action::EditAccess => self.service.edit_access(admin, id, access(which)).await,
            Action::SendFollowUp => self.service.send_follow_up(admin, id).await,
            Action::MarkCompleted => self.service.mark_completed(admin, id).await,
            Action::Details => unreachable!("not commanded"),
        };
        let r = outcome(r)?;
        // R5.2: a resend within the cool-down is refused for the cool-down first, whatever the
        // status, so a double click gets one answer before and after delivery.
        let cooling_down =
            action == Action::Resend && matches!(r, Err(Refusal::ResendCooldown { .. }));
        prop_assert!(
            cooling_down
                || matches!(r, Err(Refusal::ActionNotAllowed { action: a, status: s }) if a == action && s == status),
            "R5.1: {} on a {} invitation answered {:?}",
            action,
            status,
            r
        );
        prop_assert_eq!(
            &self.invitation(id).await?,
            &before,
            "R5.1: a refused action changed the record"
        );
        prop_assert_eq!(
            infra(self.store.audit_trail(self.org, None).await)?.len(),
            audit_before,
            "R5.1: a refused action was audited"
        );
        prop_assert_eq!(
            self.store.outbox_counts(),
            outbox_before,
            "R5.1: a refused action queued a message"
        );
        self.coverage.rejected_actions += 1;
        Ok(())
    }
}

/// What one scenario exercised, so a property cannot pass by testing nothing.
#[derive(Clone, Copy, Debug, Default)]
struct Coverage {
    scenarios: u32,
    signups: u32,
    seat_exhausted_signups: u32,
    over_limit: u32,
    deliveries: u32,
    failed_deliveries: u32,
    reminders: u32,
    rejected_actions: u32,
    replaced: u32,
}

impl Coverage {
    fn add(&mut self, o: &Coverage) {
        self.scenarios += o.scenarios;
        self.signups += o.signups;
        self.seat_exhausted_signups += o.seat_exhausted_signups;
        self.over_limit += o.over_limit;
        self.deliveries += o.deliveries;
        self.failed_deliveries += o.failed_deliveries;
        self.reminders += o.reminders;
        self.rejected_actions += o.rejected_actions;
        self.replaced += o.replaced;
    }
}

/// Runs one scenario, checking every invariant after every step.
fn run(scenario: Scenario) -> Result<Coverage, TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| fail(format!("runtime: {e}")))?;
    rt.block_on(async move {
        let mut world = World::new(&scenario.setup).await?;
        world.check(&Cmd::Dispatch).await?;
        for (i, step) in scenario.steps.iter().enumerate() {
            let at = world.now();
            let ctx = |e: TestCaseError| fail(format!("step {i} ({step:?}) at {at}: {e}"));
            world.apply(&step.cmd).await.map_err(ctx)?;
            world.check(&step.cmd).await.map_err(ctx)?;
            world.probe(step.probe).await.map_err(ctx)?;
        }
        let mut coverage = world.coverage;
        coverage.scenarios = 1;
        Ok(coverage)
    })
}

/// 128 cases per property, or `PROPTEST_CASES`.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    ProptestConfig {
        cases,
        max_shrink_iters: 4096,
        // Integration tests have no lib.rs for proptest to find its default place by.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/properties.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// Runs `mix` through the invariants, then checks that the scenarios exercised what the
/// property is about (with at least 64 cases; fewer are for quick local runs).
fn property(mix: Mix, enough: impl Fn(&Coverage) -> Vec<&'static str>) {
    let config = config();
    let cases = config.cases;
    let total = std::cell::RefCell::new(Coverage::default());
    let mut runner = TestRunner::new(config);
    let result = runner.run(&scenario(mix), |s| {
        let c = run(s)?;
        total.borrow_mut().add(&c);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let total = total.into_inner();
    eprintln!("coverage: {total:?}");
    if cases >= 64 {
        let missing = enough(&total);
        assert!(
            missing.is_empty(),
            "the scenarios no longer exercise {missing:?} ({total:?}): retune the mix"
        );
    }
}

/// R3.4, R3.6 (with R3.1, R3.2, R3.3, R3.5): seats used never exceed the limit except after
/// the vendor lowered it, and then nobody new takes a seat; under a seat-heavy mix of
/// invites, signups, removals and limit and policy changes. Checks every other invariant too.
#[test]
fn r3_4_r3_6_seats_never_exceed_the_limit() {
    property(SEATS_MIX, |c| {
        let mut missing = Vec::new();
        if c.signups < 40 {
            missing.push("signups");
        }
        if c.seat_exhausted_signups < 1 {
            missing.push("signups refused for seats (R3.2)");
        }
        if c.over_limit < 1 {
            missing.push("usage above a lowered limit (R3.6)");
        }
        missing
    });
}

/// R8.2, R8.4 (with R8.1, R8.3): no invitation gets two reminders on one org-local day,
/// however often the sweep runs, across missed days and daylight-saving changes; none while
/// the switch is off. Reminder-heavy mix; checks every other invariant too.
#[test]
fn r8_2_at_most_one_reminder_per_invitation_and_local_day() {
    property(REMINDERS_MIX, |c| {
        let mut missing = Vec::new();
        if c.reminders < 10 {
            missing.push("delivered reminders");
        }
        missing
    });
}

/// R2.7, R5.1, R4.8, R9.1 (with R6.2, R6.3, R9.2): one live invitation per address;
/// `Status::actions()` is exactly what the service allows; the dashboard counts are a tally
/// of the records. General mix; checks the seat and reminder invariants too.
#[test]
fn r2_7_r5_1_r4_8_invariants_hold_after_every_command() {
    property(GENERAL_MIX, |c| {
        let mut missing = Vec::new();
        if c.rejected_actions < 100 {
            missing.push("probes of disallowed actions (R5.1)");
        }
        if c.replaced < 1 {
            missing.push("re-invites replacing an expired or failed invitation (R2.7)");
        }
        if c.failed_deliveries < 1 {
            missing.push("failed deliveries");
        }
        missing
    });
}
