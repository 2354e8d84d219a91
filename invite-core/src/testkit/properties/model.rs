//! The world the properties run in: the store under test inside the testkit's harness, one
//! organization, and a model of what the store should hold, updated by each command.

use super::Coverage;
use super::outbox_writes::OutboxWrites;
use super::scenario::{Cmd, REMINDER_TIMES, STARTS, Setup, TARGETS, ZONES, access};
use crate::reminders::reminder_instant;
use crate::store::{RecordStore, Store};
use crate::testkit::{Harness, TestDispatcher};
use crate::{
    Action, Actor, Error, Invitation, InvitationId, MemberId, MessageKind, OrgId, OrgKind,
    OrgSettings, Organization, Refusal, RetryPolicy, SeatPolicy,
};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;

/// A delivered signup link, with the link generation of its invitation when it was delivered.
#[derive(Clone, Debug)]
pub(super) struct Link {
    pub(super) token: String,
    pub(super) invitation: InvitationId,
    pub(super) generation: u32,
}

/// The store under test in the testkit's [`Harness`] (behind [`OutboxWrites`], which counts
/// what reaches the outbox), one organization in it, and the model: what the store should
/// hold, checked after every step.
pub(super) struct World<S> {
    /// The store, service, clock and scripted notifier.
    pub(super) h: Harness<OutboxWrites<S>>,
    /// The one dispatcher, retrying fast and without jitter (three attempts).
    pub(super) dispatcher: TestDispatcher<OutboxWrites<S>>,
    /// The organization, its time zone, and its admin who issues the commands.
    pub(super) org: OrgId,
    pub(super) tz: Tz,
    pub(super) admin: Actor,
    /// Every invitation ever created, in creation order.
    pub(super) invitations: Vec<InvitationId>,
    /// Every member ever created by a signup.
    pub(super) members: Vec<MemberId>,
    /// Members the model believes hold a seat.
    pub(super) active: HashSet<MemberId>,
    /// Every link delivered, for signups to try (old ones included).
    pub(super) links: Vec<Link>,
    /// How many of the notifier's deliveries the model has looked at.
    pub(super) deliveries_seen: usize,
    /// Reminders delivered per invitation and organization-local day (R8.2).
    pub(super) reminders_delivered: HashMap<(InvitationId, NaiveDate), u32>,
    /// Seats used and active members after the previous step (R3.4, R3.6).
    pub(super) used_before: u32,
    pub(super) members_before: u32,
    pub(super) coverage: Coverage,
}

/// A failed case with `msg`.
pub(super) fn fail(msg: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(msg.into())
}

/// A command's answer with infrastructure failures turned into test failures: refusals are
/// expected outcomes, anything else is not.
pub(super) fn outcome<T>(r: Result<T, Error>) -> Result<Result<T, Refusal>, TestCaseError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(Error::Refused(refusal)) => Ok(Err(refusal)),
        Err(e) => Err(fail(format!("infrastructure error (not a refusal): {e:?}"))),
    }
}

/// A store read's answer, its error turned into a test failure.
pub(super) fn infra<T, E: Debug>(r: Result<T, E>) -> Result<T, TestCaseError> {
    r.map_err(|e| fail(format!("store error: {e:?}")))
}

impl<S: Store + 'static> World<S> {
    /// A world around `store` as `setup` says: the organization is created, nothing else.
    pub(super) async fn new(store: S, setup: &Setup) -> Result<Self, TestCaseError> {
        let start: DateTime<Utc> = STARTS[setup.start].parse().expect("valid start");
        let h = Harness::new(OutboxWrites::new(store));
        h.set_time(start);
        for (to, outcomes) in &setup.scripts {
            h.notifier.script(TARGETS[*to], outcomes);
        }
        let mut config = h.dispatcher_config();
        config.retry = RetryPolicy {
            first_delay: TimeDelta::seconds(30),
            max_delay: TimeDelta::minutes(10),
            max_attempts: 3,
            jitter_percent: 0,
        };
        let dispatcher = h.dispatcher_with(config);
        let tz = ZONES[setup.zone];
        let (hour, minute) = REMINDER_TIMES[setup.reminder_time];
        let settings = OrgSettings {
            seat_limit: setup.seat_limit,
            validity: TimeDelta::hours(setup.validity_hours),
            reminders_enabled: setup.reminders,
            reminder_time: NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time"),
            time_zone: tz,
            seat_policy: if setup.reserve {
                SeatPolicy::ReserveOnInvite
            } else {
                SeatPolicy::ClaimOnSignup
            },
            ..OrgSettings::default()
        };
        let org = outcome(
            h.service
                .create_organization(&h.operator, "Acme", OrgKind::Standalone, settings)
                .await,
        )?
        .map_err(|r| fail(format!("creating the organization was refused: {r}")))?;
        Ok(Self {
            admin: Actor::admin(org.id, "u-1", "Ann Lee"),
            org: org.id,
            tz,
            h,
            dispatcher,
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

    /// The clock's time.
    pub(super) fn now(&self) -> DateTime<Utc> {
        self.h.now()
    }

    /// The `i`-th invitation ever created, modulo how many there are.
    pub(super) fn pick_invitation(&self, i: usize) -> Option<InvitationId> {
        (!self.invitations.is_empty()).then(|| self.invitations[i % self.invitations.len()])
    }

    /// The `i`-th member ever signed up, modulo how many there are.
    pub(super) fn pick_member(&self, i: usize) -> Option<MemberId> {
        (!self.members.is_empty()).then(|| self.members[i % self.members.len()])
    }

    /// The stored invitation.
    pub(super) async fn invitation(&self, id: InvitationId) -> Result<Invitation, TestCaseError> {
        infra(self.h.store.invitation(id).await)?
            .ok_or_else(|| fail(format!("invitation {id} vanished")))
    }

    /// Every invitation the model knows, as stored now, in creation order.
    pub(super) async fn records(&self) -> Result<Vec<Invitation>, TestCaseError> {
        let mut out = Vec::with_capacity(self.invitations.len());
        for id in &self.invitations {
            out.push(self.invitation(*id).await?);
        }
        Ok(out)
    }

    /// The stored organization.
    pub(super) async fn organization(&self) -> Result<Organization, TestCaseError> {
        infra(self.h.store.organization(self.org).await)?
            .ok_or_else(|| fail("organization vanished"))
    }

    /// The contact keys of active members, read from the store.
    pub(super) async fn member_keys(&self) -> Result<HashSet<String>, TestCaseError> {
        let mut keys = HashSet::new();
        for id in &self.active {
            let m =
                infra(self.h.store.member(*id).await)?.ok_or_else(|| fail("member vanished"))?;
            keys.extend(m.contact.keys());
        }
        Ok(keys)
    }

    // -------------------------------------------------------------------------- commands

    /// Runs one command, checking its answer against the model.
    pub(super) async fn apply(&mut self, cmd: &Cmd) -> Result<(), TestCaseError> {
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
                let r = outcome(self.h.service.sign_up("no-such-token", None).await)?;
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
                    self.h
                        .service
                        .change_seat_limit(&self.h.operator, self.org, *limit)
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
                    self.h
                        .service
                        .change_seat_policy(&self.h.operator, self.org, policy)
                        .await,
                )?;
                prop_assert!(r.is_ok(), "seat policy change refused: {:?}", r);
                Ok(())
            }
            Cmd::Reminders { on } => {
                let r = outcome(
                    self.h
                        .service
                        .set_reminders(&self.admin, self.org, *on)
                        .await,
                )?;
                prop_assert!(r.is_ok(), "reminder switch refused: {:?}", r);
                Ok(())
            }
            Cmd::Sweep => {
                let r = outcome(self.h.service.sweep_reminders().await)?;
                prop_assert!(r.is_ok(), "sweep refused: {:?}", r);
                Ok(())
            }
            Cmd::Script { to, outcomes } => {
                self.h.notifier.script(TARGETS[*to], outcomes);
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
                self.h.clock.set(next + TimeDelta::minutes(*minutes));
                Ok(())
            }
            Cmd::Advance { seconds } => {
                self.h.clock.advance(TimeDelta::seconds(*seconds));
                Ok(())
            }
        }
    }

    /// Records links and reminders the notifier accepted during the last step.
    pub(super) async fn observe_deliveries(&mut self) -> Result<(), TestCaseError> {
        let delivered = self.h.notifier.delivered();
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
}
