//! The commands (R2, R3, R5, R6, R8, R10) on a service generic over the store and the clock.
//!
//! Each command follows one shape: load what the decision needs, decide with pure code, hand
//! the store one [`Commit`]. If the store reports a [`crate::Conflict`] (someone else changed
//! the same records, took the last seat, or invited the same address), the command reloads and
//! decides again, up to [`ServiceConfig::max_conflict_retries`] times.

use crate::access::{Access, AccessError, AccessScope};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Clock;
use crate::contact::{Channel, Contact, Email, Phone, parse_address};
use crate::dashboard::{Dashboard, ListQuery, Page, Series};
use crate::error::{Error, Refusal};
use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use crate::invitation::{
    Action, CloseReason, CompletedBy, FailureReason, Invitation, Sender, Status,
};
use crate::member::{Member, Seats};
use crate::org::{OrgKind, OrgSettings, Organization, SeatPolicy};
use crate::outbox::{MessageKind, OutboxMessage};
use crate::reminders;
use crate::store::{
    Commit, Conflict, ReminderMark, ReminderQuery, SeatCheck, Store, StoreError, Write,
};
use crate::token::LinkToken;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::future::Future;

/// Tunables of the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceConfig {
    /// How often a command re-decides after a conflict before giving up with
    /// [`Error::Conflict`].
    pub max_conflict_retries: u32,
    /// The least time between two follow-ups to one member (R5.4).
    pub follow_up_interval: TimeDelta,
    /// The most addresses one bulk invite takes.
    pub max_bulk: usize,
    /// How many invitations one reminder-sweep commit covers.
    pub sweep_batch: u32,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            max_conflict_retries: 16,
            follow_up_interval: TimeDelta::days(1),
            max_bulk: 1000,
            sweep_batch: 500,
        }
    }
}

/// An invitation with its status now and the actions a UI may offer (R5.1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InvitationView {
    /// The record.
    pub invitation: Invitation,
    /// Its status at the time of the call.
    pub status: Status,
    /// The allowed actions.
    pub actions: &'static [Action],
}

/// The result for one address of a bulk invite (R2.9).
#[derive(Clone, Debug, PartialEq)]
pub struct InviteOutcome {
    /// The address (or directory user id) as given.
    pub input: String,
    /// The invitation, or why there is none.
    pub result: Result<Invitation, Refusal>,
}

/// A user of the application's directory, to be invited by the contact in their profile
/// (R2.3). The profile may lack one or both contacts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUser {
    /// The application's user id; the invitation is tied to it (R2.11).
    pub user: UserRef,
    /// E-mail from the profile.
    pub email: Option<String>,
    /// Phone from the profile.
    pub phone: Option<String>,
}

/// Where one application user stands (R2.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserStatus {
    /// No invitation is tied to this user.
    NotInvited,
    /// The status of the user's latest invitation.
    Invited(Status),
}

/// A successful signup.
#[derive(Clone, Debug, PartialEq)]
pub struct Signup {
    /// The new member: create the account with `member.access`.
    pub member: Member,
    /// The invitation, now Never Used.
    pub invitation: Invitation,
}

/// What one reminder sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Organizations whose reminder time had passed today.
    pub organizations_due: u32,
    /// Reminders queued.
    pub queued: u32,
    /// Eligible invitations skipped because another sweep already reminded them today.
    pub already_reminded: u32,
}

/// Settings an organization's admins may change (everything but seats, which are the
/// vendor's). `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsUpdate {
    /// Link validity.
    pub validity: Option<TimeDelta>,
    /// Reminder local time.
    pub reminder_time: Option<NaiveTime>,
    /// Time zone.
    pub time_zone: Option<Tz>,
    /// Allowed channels.
    pub channels: Option<crate::org::AllowedChannels>,
    /// Message language.
    pub language: Option<crate::org::Language>,
    /// Resend cool-down.
    pub resend_cooldown: Option<TimeDelta>,
}

/// A decision: what to commit, and what to answer once committed.
struct Planned<T> {
    commit: Option<Commit>,
    outcome: Result<T, Refusal>,
}

impl<T> Planned<T> {
    fn refuse(refusal: Refusal) -> Self {
        Self {
            commit: None,
            outcome: Err(refusal),
        }
    }
    fn commit(commit: Commit, value: T) -> Self {
        Self {
            commit: Some(commit),
            outcome: Ok(value),
        }
    }
}

/// The invitation service: every command of the library.
///
/// ```
/// use invite_core::*;
/// # tokio_test(async {
/// let service = InvitationService::new(MemoryStore::new(), SystemClock);
/// let operator = Actor::Operator { id: "vendor".into() };
/// let org = service
///     .create_organization(&operator, "Acme", OrgKind::Standalone, OrgSettings::with_seats(5))
///     .await?;
/// let admin = Actor::admin(org.id, "u-1", "Ann Lee");
/// let inv = service
///     .invite(&admin, org.id, Contact::parse_email("bob@example.com")?, Channel::Email,
///             Access::user(Role::ReadOnly))
///     .await?;
/// assert_eq!(inv.status_at(SystemClock.now()), Status::Queued);
/// # Ok::<(), Box<dyn std::error::Error>>(()) });
/// # fn tokio_test<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f) }
/// ```
pub struct InvitationService<S, C> {
    store: S,
    clock: C,
    config: ServiceConfig,
}

fn forbid(what: &str) -> Refusal {
    Refusal::Forbidden(what.to_owned())
}

fn require_admin(actor: &Actor, org: OrgId) -> Result<(), Refusal> {
    if actor.administers(org) {
        Ok(())
    } else {
        Err(forbid(
            "only an admin of the organization may change its invitations",
        ))
    }
}

fn require_reader(actor: &Actor, org: OrgId) -> Result<(), Refusal> {
    if actor.reads(org) {
        Ok(())
    } else {
        Err(forbid(
            "only users of the organization may read its invitations",
        ))
    }
}

fn require_operator(actor: &Actor) -> Result<(), Refusal> {
    match actor {
        Actor::Operator { .. } => Ok(()),
        _ => Err(forbid("only the vendor's operator may do this")),
    }
}

fn require_action(inv: &Invitation, action: Action, now: DateTime<Utc>) -> Result<Status, Refusal> {
    let status = inv.status_at(now);
    if status.allows(action) {
        Ok(status)
    } else {
        Err(Refusal::ActionNotAllowed { action, status })
    }
}

fn validate_settings(s: &OrgSettings) -> Result<(), Refusal> {
    if s.validity <= TimeDelta::zero() {
        return Err(Refusal::InvalidSetting("validity must be positive".into()));
    }
    if s.resend_cooldown < TimeDelta::zero() {
        return Err(Refusal::InvalidSetting(
            "resend cool-down cannot be negative".into(),
        ));
    }
    if !s.channels.email && !s.channels.sms {
        return Err(Refusal::InvalidSetting(
            "at least one channel must be allowed".into(),
        ));
    }
    Ok(())
}

/// The seats a commit must find free to add `added` seat holders (R3.3, R3.5). Under
/// `ClaimOnSignup` an invite adds no holder but still needs one seat free.
fn seats_needed(policy: SeatPolicy, added_reservations: u32) -> SeatCheck {
    match policy {
        SeatPolicy::ClaimOnSignup => SeatCheck::seats(1),
        SeatPolicy::ReserveOnInvite => SeatCheck::seats(added_reservations.max(1)),
    }
}

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// A service with default configuration.
    pub fn new(store: S, clock: C) -> Self {
        Self::with_config(store, clock, ServiceConfig::default())
    }

    /// A service with explicit configuration.
    pub fn with_config(store: S, clock: C, config: ServiceConfig) -> Self {
        Self {
            store,
            clock,
            config,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Runs a decision, committing it and re-deciding on conflicts.
    async fn run<T, F, Fut>(&self, mut plan: F) -> Result<T, Error>
    where
        F: FnMut(Option<Conflict>) -> Fut,
        Fut: Future<Output = Result<Planned<T>, Error>>,
    {
        let mut conflicts = 0;
        let mut last_conflict = None;
        loop {
            let planned = plan(last_conflict.take()).await?;
            if let Some(commit) = planned.commit {
                match self.store.commit(commit).await {
                    Ok(_) => {}
                    Err(StoreError::Conflict(c)) => {
                        conflicts += 1;
                        if conflicts > self.config.max_conflict_retries {
                            return Err(Error::Conflict(c));
                        }
                        tracing::debug!(conflict = %c, "re-deciding after a concurrent change");
                        last_conflict = Some(c);
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            return planned.outcome.map_err(Error::from);
        }
    }

    async fn load_org(&self, id: OrgId) -> Result<Organization, Error> {
        self.store
            .organization(id)
            .await?
            .ok_or(Error::Refused(Refusal::OrganizationNotFound(id)))
    }

    async fn load_invitation(&self, id: InvitationId) -> Result<Invitation, Error> {
        self.store
            .invitation(id)
            .await?
            .ok_or(Error::Refused(Refusal::InvitationNotFound(id)))
    }

    async fn load_member(&self, id: MemberId) -> Result<Member, Error> {
        self.store
            .member(id)
            .await?
            .ok_or(Error::Refused(Refusal::MemberNotFound(id)))
    }

    /// Checks that `access` fits `org` (R2.4, R2.5): an MSP grants one or more roles on its own
    /// clients, other organizations one role.
    async fn validate_access(&self, org: &Organization, access: &Access) -> Result<(), Error> {
        if let crate::access::InvitationType::Admin(level) = &access.invitation_type {
            crate::access::PermissionLevel::new(level.as_str()).map_err(Refusal::from)?;
        }
        match (&access.scope, org.is_msp()) {
            (AccessScope::Role(_), true) => {
                Err(Refusal::from(AccessError::MspNeedsClientGrants).into())
            }
            (AccessScope::Clients(_), false) => {
                Err(Refusal::from(AccessError::GrantsOnlyFromMsp).into())
            }
            (AccessScope::Role(_), false) => Ok(()),
            (AccessScope::Clients(grants), true) => {
                if grants.is_empty() {
                    return Err(Refusal::from(AccessError::MspNeedsClientGrants).into());
                }
                let mut seen = HashSet::new();
                for grant in grants {
                    if !seen.insert(grant.client) {
                        return Err(Refusal::from(AccessError::DuplicateGrant(grant.client)).into());
                    }
                    let client = self.store.organization(grant.client).await?;
                    match client {
                        Some(c) if c.kind == (OrgKind::Client { msp: org.id }) => {}
                        _ => {
                            return Err(Refusal::from(AccessError::NotAClient(grant.client)).into());
                        }
                    }
                }
                Ok(())
            }
        }
    }

    // ---------------------------------------------------------------- organizations

    /// Registers an organization (vendor operator only). A client must name an existing MSP
    /// (R1.1).
    pub async fn create_organization(
        &self,
        actor: &Actor,
        name: &str,
        kind: OrgKind,
        settings: OrgSettings,
    ) -> Result<Organization, Error> {
        require_operator(actor)?;
        validate_settings(&settings)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(Refusal::InvalidSetting("organization name is empty".into()).into());
        }
        if let OrgKind::Client { msp } = kind {
            match self.store.organization(msp).await? {
                Some(m) if m.is_msp() => {}
                _ => {
                    return Err(Refusal::InvalidSetting(format!(
                        "organization {msp} is not an MSP"
                    ))
                    .into());
                }
            }
        }
        let org = Organization::new(name, kind, settings);
        let now = self.clock.now();
        let mut commit = Commit::new(org.id, now);
        commit.organization = Some(Write::Insert(org.clone()));
        commit.audit.push(AuditEvent::organization(
            org.id,
            actor,
            now,
            AuditAction::OrganizationCreated,
        ));
        self.run(|_| async { Ok(Planned::commit(commit.clone(), org.clone())) })
            .await
    }

    async fn update_org<F>(
        &self,
        actor: &Actor,
        org_id: OrgId,
        authorize: fn(&Actor, OrgId) -> Result<(), Refusal>,
        change: F,
    ) -> Result<Organization, Error>
    where
        F: Fn(&mut OrgSettings, DateTime<Utc>) -> AuditAction,
    {
        authorize(actor, org_id)?;
        self.run(|_| async {
            let mut org = self.load_org(org_id).await?;
            let now = self.clock.now();
            let action = change(&mut org.settings, now);
            validate_settings(&org.settings)?;
            let mut commit = Commit::new(org_id, now);
            commit.organization = Some(Write::Update(org.clone()));
            commit
                .audit
                .push(AuditEvent::organization(org_id, actor, now, action));
            org.version += 1;
            Ok(Planned::commit(commit, org))
        })
        .await
    }

    /// Sets the seat limit (vendor operator only, R1.2). Lowering it below the seats used is
    /// allowed; no one new registers until seats are free again (R3.6).
    pub async fn change_seat_limit(
        &self,
        actor: &Actor,
        org: OrgId,
        limit: u32,
    ) -> Result<Organization, Error> {
        self.update_org(
            actor,
            org,
            |a, _| require_operator(a),
            |s, _| {
                let from = s.seat_limit;
                s.seat_limit = limit;
                AuditAction::SeatLimitChanged { from, to: limit }
            },
        )
        .await
    }

    /// Sets the seat policy (vendor operator only, R3.5).
    pub async fn change_seat_policy(
        &self,
        actor: &Actor,
        org: OrgId,
        policy: SeatPolicy,
    ) -> Result<Organization, Error> {
        self.update_org(
            actor,
            org,
            |a, _| require_operator(a),
            |s, _| {
                s.seat_policy = policy;
                AuditAction::SeatPolicyChanged
            },
        )
        .await
    }

    /// Switches daily reminders on or off (admins, R8.4).
    pub async fn set_reminders(
        &self,
        actor: &Actor,
        org: OrgId,
        enabled: bool,
    ) -> Result<Organization, Error> {
        self.update_org(actor, org, require_admin, |s, now| {
            if enabled && !s.reminders_enabled {
                s.reminders_on_since = Some(now);
            }
            s.reminders_enabled = enabled;
            AuditAction::RemindersSwitched { enabled }
        })
        .await
    }

    /// Changes other settings (admins).
    pub async fn update_settings(
        &self,
        actor: &Actor,
        org: OrgId,
        update: SettingsUpdate,
    ) -> Result<Organization, Error> {
        self.update_org(actor, org, require_admin, |s, _| {
            if let Some(v) = update.validity {
                s.validity = v;
            }
            if let Some(v) = update.reminder_time {
                s.reminder_time = v;
            }
            if let Some(v) = update.time_zone {
                s.time_zone = v;
            }
            if let Some(v) = update.channels {
                s.channels = v;
            }
            if let Some(v) = update.language {
                s.language = v;
            }
            if let Some(v) = update.resend_cooldown {
                s.resend_cooldown = v;
            }
            AuditAction::SettingsChanged
        })
        .await
    }

    /// Adds a member without an invitation, e.g. the organization's first admin (operator or
    /// an admin of the organization). Takes a seat (R3.1).
    pub async fn add_member(
        &self,
        actor: &Actor,
        org_id: OrgId,
        contact: Contact,
        user_ref: Option<UserRef>,
        access: Access,
    ) -> Result<Member, Error> {
        if require_operator(actor).is_err() {
            require_admin(actor, org_id)?;
        }
        self.run(|_| async {
            let org = self.load_org(org_id).await?;
            self.validate_access(&org, &access).await?;
            let now = self.clock.now();
            let keys = contact.keys();
            if !self.store.active_members(org_id, &keys).await?.is_empty() {
                return Ok(Planned::refuse(Refusal::AlreadyMember {
                    address: contact.to_string(),
                }));
            }
            let seats = self.store.seats(org_id, now).await?;
            if seats.available == 0 {
                return Ok(Planned::refuse(Refusal::NoSeatsAvailable));
            }
            let member = Member {
                id: MemberId::new(),
                org: org_id,
                contact: contact.clone(),
                user_ref: user_ref.clone(),
                access: access.clone(),
                invitation: None,
                joined_at: now,
                removed_at: None,
                version: 0,
            };
            let mut commit = Commit::new(org_id, now);
            commit.seat_check = Some(SeatCheck::claim_member());
            commit.members.push(Write::Insert(member.clone()));
            commit.audit.push(AuditEvent::organization(
                org_id,
                actor,
                now,
                AuditAction::MemberAdded { member: member.id },
            ));
            Ok(Planned::commit(commit, member))
        })
        .await
    }

    /// Removes a member and frees their seat (admins, R3.6). Their invitation, if any, leaves
    /// the lists.
    pub async fn remove_member(&self, actor: &Actor, member_id: MemberId) -> Result<Member, Error> {
        self.run(|_| async {
            let mut member = self.load_member(member_id).await?;
            require_admin(actor, member.org)?;
            if member.removed_at.is_some() {
                return Ok(Planned::refuse(Refusal::MemberNotFound(member_id)));
            }
            let now = self.clock.now();
            let mut commit = Commit::new(member.org, now);
            member.removed_at = Some(now);
            commit.members.push(Write::Update(member.clone()));
            let action = AuditAction::MemberRemoved { member: member_id };
            match member.invitation {
                Some(inv_id) => {
                    let mut inv = self.load_invitation(inv_id).await?;
                    let before = inv.status_at(now);
                    if inv.closed.is_none() {
                        inv.closed = Some((now, CloseReason::MemberRemoved));
                        commit.invitations.push(Write::Update(inv.clone()));
                    }
                    commit.audit.push(AuditEvent::invitation(
                        member.org,
                        inv_id,
                        actor,
                        now,
                        action,
                        Some(before),
                        Some(inv.status_at(now)),
                    ));
                }
                None => commit
                    .audit
                    .push(AuditEvent::organization(member.org, actor, now, action)),
            }
            member.version += 1;
            Ok(Planned::commit(commit, member))
        })
        .await
    }

    // ---------------------------------------------------------------- inviting

    /// Invites one contact (R2). Refusals: [`Refusal::AlreadyInvited`],
    /// [`Refusal::AlreadyMember`], [`Refusal::NoSeatsAvailable`], [`Refusal::ChannelNotAllowed`],
    /// [`Refusal::InvalidAccess`], [`Refusal::Forbidden`].
    pub async fn invite(
        &self,
        actor: &Actor,
        org: OrgId,
        contact: Contact,
        channel: Channel,
        access: Access,
    ) -> Result<Invitation, Error> {
        let item = Candidate {
            input: contact.to_string(),
            contact: Ok(contact),
            user_ref: None,
        };
        let mut outcomes = self
            .invite_candidates(actor, org, channel, &access, vec![item])
            .await?;
        outcomes.remove(0).result.map_err(Error::from)
    }

    /// Invites many addresses with the same type and access (R2.9). Each address is an e-mail
    /// (contains `@`) or a phone number; the channel follows from it. The answer has one
    /// entry per address, in order: one bad address never blocks the others. The call itself
    /// fails only for what concerns them all (actor, organization, access).
    pub async fn invite_many(
        &self,
        actor: &Actor,
        org: OrgId,
        addresses: &[&str],
        access: Access,
    ) -> Result<Vec<InviteOutcome>, Error> {
        let items = addresses
            .iter()
            .map(|a| Candidate {
                input: (*a).to_owned(),
                contact: parse_address(a).map_err(Refusal::from),
                user_ref: None,
            })
            .collect();
        // Phone numbers go by SMS, e-mail addresses by e-mail.
        self.invite_mixed(actor, org, &access, items).await
    }

    /// Invites users of the application's directory by the contact in their profile (R2.3,
    /// R2.11): a user without an address for `channel` gets [`Refusal::MissingContact`] and
    /// nothing is queued for them.
    pub async fn invite_directory_users(
        &self,
        actor: &Actor,
        org: OrgId,
        users: &[DirectoryUser],
        channel: Channel,
        access: Access,
    ) -> Result<Vec<InviteOutcome>, Error> {
        let items = users
            .iter()
            .map(|u| {
                let wanted = match channel {
                    Channel::Email => u.email.as_deref(),
                    Channel::Sms => u.phone.as_deref(),
                };
                let wanted = wanted.map(str::trim).filter(|s| !s.is_empty());
                let contact = match wanted {
                    None => Err(Refusal::MissingContact {
                        user: u.user.clone(),
                        channel,
                    }),
                    // The chosen channel's address must be valid; the other one is kept when
                    // it is valid and dropped when not, since nothing is sent to it.
                    Some(_) => {
                        let email = u.email.as_deref().map(Email::parse);
                        let phone = u.phone.as_deref().map(Phone::parse);
                        match channel {
                            Channel::Email => email
                                .expect("checked above")
                                .map(|e| Contact::new(Some(e), phone.and_then(Result::ok))),
                            Channel::Sms => phone
                                .expect("checked above")
                                .map(|p| Contact::new(email.and_then(Result::ok), Some(p))),
                        }
                        .and_then(|c| c)
                        .map_err(Refusal::from)
                    }
                };
                Candidate {
                    input: u.user.to_string(),
                    contact,
                    user_ref: Some(u.user.clone()),
                }
            })
            .collect();
        self.invite_candidates(actor, org, channel, &access, items)
            .await
    }

    async fn invite_mixed(
        &self,
        actor: &Actor,
        org: OrgId,
        access: &Access,
        items: Vec<Candidate>,
    ) -> Result<Vec<InviteOutcome>, Error> {
        // Split by channel, invite each group, and put the answers back in input order.
        let channel_of = |c: &Candidate| match &c.contact {
            Ok(contact) if contact.email_address().is_none() => Channel::Sms,
            _ => Channel::Email,
        };
        let mut slots: Vec<Option<InviteOutcome>> = vec![None; items.len()];
        for channel in [Channel::Email, Channel::Sms] {
            let (idx, group): (Vec<usize>, Vec<Candidate>) = items
                .iter()
                .enumerate()
                .filter(|(_, c)| channel_of(c) == channel)
                .map(|(i, c)| (i, c.clone()))
                .unzip();
            if group.is_empty() {
                continue;
            }
            let outcomes = match self
                .invite_candidates(actor, org, channel, access, group.clone())
                .await
            {
                // An organization that does not allow this channel refuses these addresses,
                // not the whole call: one bad address never blocks the others (R2.9).
                Err(Error::Refused(refusal @ Refusal::ChannelNotAllowed(_))) => group
                    .into_iter()
                    .map(|c| InviteOutcome {
                        input: c.input,
                        result: Err(refusal.clone()),
                    })
                    .collect(),
                other => other?,
            };
            for (i, o) in idx.into_iter().zip(outcomes) {
                slots[i] = Some(o);
            }
        }
        Ok(slots.into_iter().flatten().collect())
    }

    async fn invite_candidates(
        &self,
        actor: &Actor,
        org: OrgId,
        channel: Channel,
        access: &Access,
        items: Vec<Candidate>,
    ) -> Result<Vec<InviteOutcome>, Error> {
        if items.len() > self.config.max_bulk {
            return Err(Refusal::InvalidQuery(format!(
                "at most {} addresses per call",
                self.config.max_bulk
            ))
            .into());
        }
        self.run(|_| self.plan_invites(actor, org, channel, access, &items))
            .await
    }

    async fn plan_invites(
        &self,
        actor: &Actor,
        org_id: OrgId,
        channel: Channel,
        access: &Access,
        items: &[Candidate],
    ) -> Result<Planned<Vec<InviteOutcome>>, Error> {
        require_admin(actor, org_id)?;
        let org = self.load_org(org_id).await?;
        if !org.settings.channels.allows(channel) {
            return Err(Refusal::ChannelNotAllowed(channel).into());
        }
        self.validate_access(&org, access).await?;
        let sender = match actor {
            Actor::OrgUser { user, name, .. } => Sender {
                user: user.clone(),
                name: name.clone(),
            },
            _ => unreachable!("require_admin admits only organization users"),
        };
        let now = self.clock.now();

        let mut address_keys = Vec::new();
        let mut contact_keys = Vec::new();
        for item in items {
            if let Ok(c) = &item.contact {
                address_keys.extend(c.key_for(channel));
                contact_keys.extend(c.keys());
            }
        }
        let open: HashMap<String, Invitation> = self
            .store
            .open_invitations(org_id, &address_keys)
            .await?
            .into_iter()
            .map(|inv| (inv.address_key(), inv))
            .collect();
        let members: HashSet<String> = self
            .store
            .active_members(org_id, &contact_keys)
            .await?
            .iter()
            .flat_map(|m| m.contact.keys())
            .collect();
        let seats = self.store.seats(org_id, now).await?;
        let mut available = seats.available;

        let mut commit = Commit::new(org_id, now);
        let mut outcomes = Vec::with_capacity(items.len());
        let mut seen = HashSet::new();
        for item in items {
            let result = (|| {
                let contact = item.contact.clone()?;
                if !contact.reachable_by(channel) {
                    return Err(match &item.user_ref {
                        Some(user) => Refusal::MissingContact {
                            user: user.clone(),
                            channel,
                        },
                        None => Refusal::Unreachable {
                            address: contact.to_string(),
                            channel,
                        },
                    });
                }
                let key = contact.key_for(channel).expect("reachable");
                let display = match channel {
                    Channel::Email => contact.email_address().map(|e| e.to_string()),
                    Channel::Sms => contact.phone_number().map(|p| p.to_string()),
                }
                .unwrap_or_else(|| key.clone());
                if contact.keys().iter().any(|k| members.contains(k)) {
                    return Err(Refusal::AlreadyMember { address: display });
                }
                // The same address twice in one call: the first wins.
                if !seen.insert(key.clone()) {
                    return Err(Refusal::AlreadyInvited { address: display });
                }
                let replaced = match open.get(&key) {
                    Some(existing) if existing.status_at(now).is_live() => {
                        return Err(Refusal::AlreadyInvited { address: display });
                    }
                    other => other,
                };
                if available == 0 {
                    return Err(Refusal::NoSeatsAvailable);
                }
                if org.settings.seat_policy == SeatPolicy::ReserveOnInvite {
                    available -= 1;
                }
                let inv = Invitation {
                    id: InvitationId::new(),
                    org: org_id,
                    contact,
                    channel,
                    access: access.clone(),
                    // R2.11: a replacement keeps the application user id of the invitation
                    // whose place it takes, unless this call gives one.
                    user_ref: item
                        .user_ref
                        .clone()
                        .or_else(|| replaced.and_then(|old| old.user_ref.clone())),
                    sender: sender.clone(),
                    created_at: now,
                    last_invited_at: now,
                    send_count: 0,
                    last_sent_at: None,
                    expires_at: None,
                    awaiting_delivery: true,
                    link_generation: 1,
                    failure: None,
                    signed_up_at: None,
                    member: None,
                    first_login_at: None,
                    completed: None,
                    last_follow_up_at: None,
                    closed: None,
                    version: 0,
                };
                if let Some(old) = replaced {
                    let mut old = old.clone();
                    let before = old.status_at(now);
                    old.closed = Some((now, CloseReason::Replaced(inv.id)));
                    commit.audit.push(AuditEvent::invitation(
                        org_id,
                        old.id,
                        actor,
                        now,
                        AuditAction::Replaced { by: inv.id },
                        Some(before),
                        Some(Status::Cancelled),
                    ));
                    commit.invitations.push(Write::Update(old));
                }
                commit.outbox.push(OutboxMessage::new(
                    org_id,
                    inv.id,
                    MessageKind::Invitation,
                    inv.link_generation,
                    now,
                ));
                commit.audit.push(AuditEvent::invitation(
                    org_id,
                    inv.id,
                    actor,
                    now,
                    AuditAction::Invited,
                    None,
                    Some(Status::Queued),
                ));
                commit.invitations.push(Write::Insert(inv.clone()));
                Ok(inv)
            })();
            outcomes.push(InviteOutcome {
                input: item.input.clone(),
                result,
            });
        }
        let created = outcomes.iter().filter(|o| o.result.is_ok()).count() as u32;
        if created == 0 {
            return Ok(Planned {
                commit: None,
                outcome: Ok(outcomes),
            });
        }
        commit.seat_check = Some(match org.settings.seat_policy {
            SeatPolicy::ClaimOnSignup => seats_needed(SeatPolicy::ClaimOnSignup, 0),
            SeatPolicy::ReserveOnInvite => seats_needed(SeatPolicy::ReserveOnInvite, created),
        });
        Ok(Planned::commit(commit, outcomes))
    }

    // ---------------------------------------------------------------- invitation actions

    /// Applies an admin action to one invitation: load, authorize, check that the status allows
    /// `action`, let `change` decide, commit with an audit event, answer the updated record.
    async fn act<F>(
        &self,
        actor: &Actor,
        id: InvitationId,
        action: Action,
        needs_seats: bool,
        change: F,
    ) -> Result<Invitation, Error>
    where
        F: Fn(
            &Organization,
            Option<Seats>,
            &mut Invitation,
            &mut Commit,
        ) -> Result<AuditAction, Refusal>,
    {
        self.run(|_| async {
            let mut inv = self.load_invitation(id).await?;
            require_admin(actor, inv.org)?;
            let now = self.clock.now();
            let before = match require_action(&inv, action, now) {
                Ok(s) => s,
                Err(r) => return Ok(Planned::refuse(r)),
            };
            let org = self.load_org(inv.org).await?;
            let seats = match needs_seats {
                true => Some(self.store.seats(inv.org, now).await?),
                false => None,
            };
            let mut commit = Commit::new(inv.org, now);
            let audit = match change(&org, seats, &mut inv, &mut commit) {
                Ok(a) => a,
                Err(r) => return Ok(Planned::refuse(r)),
            };
            commit.audit.push(AuditEvent::invitation(
                inv.org,
                id,
                actor,
                now,
                audit,
                Some(before),
                Some(inv.status_at(now)),
            ));
            commit.invitations.push(Write::Update(inv.clone()));
            inv.version += 1;
            Ok(Planned::commit(commit, inv))
        })
        .await
    }

    /// Resends (R5.2): starts a new link generation (older links die at once), queues a new
    /// delivery, and restarts the validity period when that is delivered. Refused within the
    /// organization's cool-down of the last invitation or delivery, so a double click sends
    /// one message. Needs a free seat, like any invite (R3.3), unless the invitation already
    /// holds one under `ReserveOnInvite`.
    pub async fn resend(&self, actor: &Actor, id: InvitationId) -> Result<Invitation, Error> {
        self.act(
            actor,
            id,
            Action::Resend,
            true,
            |org, seats, inv, commit| {
                let now = commit.now;
                if !org.settings.channels.allows(inv.channel) {
                    return Err(Refusal::ChannelNotAllowed(inv.channel));
                }
                let last = inv
                    .last_sent_at
                    .map_or(inv.last_invited_at, |s| s.max(inv.last_invited_at));
                let retry_after = last + org.settings.resend_cooldown;
                if now < retry_after {
                    return Err(Refusal::ResendCooldown { retry_after });
                }
                let holds_seat = org.settings.seat_policy == SeatPolicy::ReserveOnInvite
                    && inv.reserves_seat_at(now);
                if !holds_seat {
                    if seats.is_some_and(|s| s.available == 0) {
                        return Err(Refusal::NoSeatsAvailable);
                    }
                    commit.seat_check = Some(SeatCheck::seats(1));
                }
                inv.link_generation += 1;
                inv.awaiting_delivery = true;
                inv.failure = None;
                inv.last_invited_at = now;
                commit.outbox.push(OutboxMessage::new(
                    inv.org,
                    inv.id,
                    MessageKind::Resend,
                    inv.link_generation,
                    now,
                ));
                Ok(AuditAction::Resent)
            },
        )
        .await
    }

    /// Cancels (R4.7): the links die and the invitation leaves every list but the audit.
    pub async fn cancel(&self, actor: &Actor, id: InvitationId) -> Result<Invitation, Error> {
        self.act(actor, id, Action::Cancel, false, |_, _, inv, commit| {
            inv.closed = Some((commit.now, CloseReason::CancelledByAdmin));
            inv.awaiting_delivery = false;
            Ok(AuditAction::Cancelled)
        })
        .await
    }

    /// Edits type, permission level and grants until signup (R2.8). The address cannot be
    /// edited: cancel and invite again.
    pub async fn edit_access(
        &self,
        actor: &Actor,
        id: InvitationId,
        access: Access,
    ) -> Result<Invitation, Error> {
        // Validated once, before deciding: grants name client organizations, and a client
        // never changes its MSP, so a concurrent change cannot make them invalid.
        let inv = self.load_invitation(id).await?;
        require_admin(actor, inv.org)?;
        let org = self.load_org(inv.org).await?;
        self.validate_access(&org, &access).await?;
        self.act(actor, id, Action::EditAccess, false, |_, _, inv, _| {
            inv.access = access.clone();
            Ok(AuditAction::AccessEdited)
        })
        .await
    }

    /// Marks a Never Used member completed, for users who do not need the agent (R5.3).
    pub async fn mark_completed(
        &self,
        actor: &Actor,
        id: InvitationId,
    ) -> Result<Invitation, Error> {
        self.act(
            actor,
            id,
            Action::MarkCompleted,
            false,
            |_, _, inv, commit| {
                inv.completed = Some((commit.now, CompletedBy::Admin));
                Ok(AuditAction::MarkedCompleted)
            },
        )
        .await
    }

    /// Queues the feature-introduction follow-up to a Never Used member, at most once per
    /// [`ServiceConfig::follow_up_interval`] (a day by default, R5.4).
    pub async fn send_follow_up(
        &self,
        actor: &Actor,
        id: InvitationId,
    ) -> Result<Invitation, Error> {
        let interval = self.config.follow_up_interval;
        self.act(
            actor,
            id,
            Action::SendFollowUp,
            false,
            |_, _, inv, commit| {
                if let Some(last) = inv.last_follow_up_at {
                    let retry_after = last + interval;
                    if commit.now < retry_after {
                        return Err(Refusal::FollowUpTooSoon { retry_after });
                    }
                }
                inv.last_follow_up_at = Some(commit.now);
                commit.outbox.push(OutboxMessage::new(
                    inv.org,
                    inv.id,
                    MessageKind::FollowUp,
                    inv.link_generation,
                    commit.now,
                ));
                Ok(AuditAction::FollowUpQueued)
            },
        )
        .await
    }

    // ---------------------------------------------------------------- signup and login

    /// Signs up with a link (R6.2, R3.2). Unknown, cancelled, expired, superseded and used
    /// links are refused each with its own [`Refusal`]. Under `ClaimOnSignup` the signup claims
    /// a seat at commit time; if none is free the invitation becomes Failed with the reason
    /// "seats exhausted" and the answer is [`Refusal::SeatsExhausted`]. A retried request never
    /// makes a second member (R6.3): the link is used.
    ///
    /// `user_ref` is the application's id for the new account; when `None`, the id the
    /// invitation was tied to (R2.11) is used.
    pub async fn sign_up(&self, token: &str, user_ref: Option<UserRef>) -> Result<Signup, Error> {
        let hash = LinkToken::from_link(token).hash();
        let actor = &Actor::Invitee;
        let user_ref = &user_ref;
        let hash = &hash;
        self.run(|last_conflict| async move {
            // The store found no seat at commit time: decide the failure this time (R3.2).
            let lost_seat_race = matches!(last_conflict, Some(Conflict::SeatsExhausted { .. }));
            let Some(link) = self.store.link(hash).await? else {
                return Ok(Planned::refuse(Refusal::UnknownLink));
            };
            let mut inv = self.load_invitation(link.invitation).await?;
            let now = self.clock.now();
            let refusal = if inv.signed_up_at.is_some() {
                Some(Refusal::LinkAlreadyUsed)
            } else if let Some((_, reason)) = &inv.closed {
                Some(match reason {
                    CloseReason::Replaced(_) => Refusal::LinkSuperseded,
                    _ => Refusal::LinkCancelled,
                })
            } else if link.generation < inv.link_generation {
                Some(Refusal::LinkSuperseded)
            } else if inv.failure.is_some() {
                Some(Refusal::InvitationFailed)
            } else if inv.status_at(now) == Status::Expired {
                Some(Refusal::LinkExpired)
            } else {
                None
            };
            if let Some(r) = refusal {
                return Ok(Planned::refuse(r));
            }
            let org = self.load_org(inv.org).await?;
            if !self
                .store
                .active_members(inv.org, &inv.contact.keys())
                .await?
                .is_empty()
            {
                return Ok(Planned::refuse(Refusal::AlreadyMember {
                    address: inv.contact.to_string(),
                }));
            }
            let before = inv.status_at(now);
            let mut commit = Commit::new(inv.org, now);
            let claims_seat = org.settings.seat_policy == SeatPolicy::ClaimOnSignup;
            let no_seat = lost_seat_race
                || (claims_seat && self.store.seats(inv.org, now).await?.available == 0);
            if no_seat {
                // R3.2: the failed signup is itself a recorded outcome.
                inv.failure = Some(FailureReason::SeatsExhausted);
                inv.awaiting_delivery = false;
                commit.audit.push(AuditEvent::invitation(
                    inv.org,
                    inv.id,
                    actor,
                    now,
                    AuditAction::SignupFailedSeatsExhausted,
                    Some(before),
                    Some(Status::Failed),
                ));
                commit.invitations.push(Write::Update(inv));
                return Ok(Planned {
                    commit: Some(commit),
                    outcome: Err(Refusal::SeatsExhausted),
                });
            }
            let member = Member {
                id: MemberId::new(),
                org: inv.org,
                contact: inv.contact.clone(),
                user_ref: user_ref.clone().or_else(|| inv.user_ref.clone()),
                access: inv.access.clone(),
                invitation: Some(inv.id),
                joined_at: now,
                removed_at: None,
                version: 0,
            };
            inv.signed_up_at = Some(now);
            inv.member = Some(member.id);
            inv.awaiting_delivery = false;
            if inv.user_ref.is_none() {
                inv.user_ref = member.user_ref.clone();
            }
            commit.seat_check = Some(match claims_seat {
                true => SeatCheck::claim_member(),
                false => SeatCheck::reserved_member(),
            });
            commit.members.push(Write::Insert(member.clone()));
            commit.audit.push(AuditEvent::invitation(
                inv.org,
                inv.id,
                actor,
                now,
                AuditAction::SignedUp { member: member.id },
                Some(before),
                Some(Status::NeverUsed),
            ));
            commit.invitations.push(Write::Update(inv.clone()));
            inv.version += 1;
            Ok(Planned::commit(
                commit,
                Signup {
                    member,
                    invitation: inv,
                },
            ))
        })
        .await
    }

    /// Records a member's first login, reported by the application (R6.4) or, on their
    /// behalf, by the member themself or an admin of their organization: Never Used becomes
    /// Completed. Later reports change nothing. A member who came without an invitation has
    /// nothing to record.
    pub async fn record_first_login(
        &self,
        actor: &Actor,
        member_id: MemberId,
    ) -> Result<(), Error> {
        self.run(|_| async {
            let member = self.load_member(member_id).await?;
            match actor {
                Actor::Application | Actor::System => {}
                // R10.1: a read-only user only reads; a member may report their own login,
                // an admin anyone's.
                Actor::OrgUser { org, user, .. }
                    if *org == member.org
                        && (actor.administers(*org) || member.user_ref.as_ref() == Some(user)) => {}
                _ => {
                    return Err(forbid(
                        "only the application, an admin or the member themself reports a login",
                    )
                    .into());
                }
            }
            let Some(inv_id) = member.invitation else {
                return Ok(Planned::commit_nothing());
            };
            let mut inv = self.load_invitation(inv_id).await?;
            if inv.first_login_at.is_some() {
                return Ok(Planned::commit_nothing());
            }
            let now = self.clock.now();
            let before = inv.status_at(now);
            inv.first_login_at = Some(now);
            if inv.completed.is_none() {
                inv.completed = Some((now, CompletedBy::FirstLogin));
            }
            let mut commit = Commit::new(inv.org, now);
            commit.audit.push(AuditEvent::invitation(
                inv.org,
                inv.id,
                actor,
                now,
                AuditAction::FirstLogin,
                Some(before),
                Some(inv.status_at(now)),
            ));
            commit.invitations.push(Write::Update(inv));
            Ok(Planned::commit(commit, ()))
        })
        .await
    }

    // ---------------------------------------------------------------- reminders

    /// Queues today's reminders for every organization whose reminder time has passed (R8).
    /// Run it as often as you like from as many instances as you like: each invitation gets at
    /// most one reminder per organization-local day (R8.2), and missed days are not made up
    /// for. It reads candidates a page at a time, so memory stays flat however many there are.
    pub async fn sweep_reminders(&self) -> Result<SweepReport, Error> {
        let now = self.clock.now();
        let mut report = SweepReport::default();
        let mut after_org = None;
        loop {
            let orgs = self
                .store
                .organizations_with_reminders(after_org, 100)
                .await?;
            let Some(last) = orgs.last() else { break };
            after_org = Some(last.id);
            for org in &orgs {
                let Some((day, cutoff)) = reminders::due_day(&org.settings, now) else {
                    continue;
                };
                report.organizations_due += 1;
                let mut after = None;
                loop {
                    let query = ReminderQuery {
                        org: org.id,
                        day,
                        now,
                        cutoff,
                        after,
                        limit: self.config.sweep_batch,
                    };
                    let page = self.store.reminder_candidates(&query).await?;
                    let Some(last) = page.last() else { break };
                    after = Some(last.id);
                    let mut commit = Commit::new(org.id, now);
                    for inv in page.iter().filter(|i| reminders::eligible(i, now, cutoff)) {
                        let status = inv.status_at(now);
                        let mut message = OutboxMessage::new(
                            org.id,
                            inv.id,
                            MessageKind::Reminder,
                            inv.link_generation,
                            now,
                        );
                        message.reminder_day = Some(day);
                        commit.reminders.push(ReminderMark {
                            invitation: inv.id,
                            day,
                            message,
                            audit: AuditEvent::invitation(
                                org.id,
                                inv.id,
                                &Actor::System,
                                now,
                                AuditAction::ReminderQueued,
                                Some(status),
                                Some(status),
                            ),
                        });
                    }
                    let marks = commit.reminders.len() as u32;
                    if marks > 0 {
                        let outcome = self.store.commit(commit).await?;
                        let skipped = outcome.reminders_skipped.len() as u32;
                        report.queued += marks - skipped;
                        report.already_reminded += skipped;
                    }
                }
            }
        }
        Ok(report)
    }

    // ---------------------------------------------------------------- reads

    /// One invitation with its status and actions (any user of its organization).
    pub async fn invitation(
        &self,
        actor: &Actor,
        id: InvitationId,
    ) -> Result<InvitationView, Error> {
        let invitation = self.load_invitation(id).await?;
        require_reader(actor, invitation.org)?;
        let status = invitation.status_at(self.clock.now());
        Ok(InvitationView {
            invitation,
            status,
            actions: status.actions(),
        })
    }

    /// Counts per tab, seats, invitations by channel and the reminder switch, in one call
    /// (R9.1).
    pub async fn dashboard(&self, actor: &Actor, org: OrgId) -> Result<Dashboard, Error> {
        require_reader(actor, org)?;
        self.store
            .dashboard(org, self.clock.now())
            .await?
            .ok_or(Error::Refused(Refusal::OrganizationNotFound(org)))
    }

    /// Seats of an organization (R3.1).
    pub async fn seats(&self, actor: &Actor, org: OrgId) -> Result<Seats, Error> {
        require_reader(actor, org)?;
        self.load_org(org).await?;
        Ok(self.store.seats(org, self.clock.now()).await?)
    }

    /// One page of a tab, searched and sorted, with keyset paging (R9.2).
    pub async fn list(&self, actor: &Actor, org: OrgId, query: &ListQuery) -> Result<Page, Error> {
        require_reader(actor, org)?;
        if !(1..=500).contains(&query.limit) {
            return Err(Refusal::InvalidQuery("page size must be 1 to 500".into()).into());
        }
        Ok(self.store.list(org, query, self.clock.now()).await?)
    }

    /// Daily deliveries, signups and first logins for local days `from..=to` (at most 366
    /// days), and the share of listed invitations that reached Completed (R9.3).
    pub async fn series(
        &self,
        actor: &Actor,
        org_id: OrgId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Series, Error> {
        require_reader(actor, org_id)?;
        if from > to || (to - from).num_days() > 366 {
            return Err(Refusal::InvalidQuery(
                "the range must be 1 to 367 days, from <= to".into(),
            )
            .into());
        }
        let org = self.load_org(org_id).await?;
        let days = self
            .store
            .daily_activity(org_id, from, to, org.settings.time_zone)
            .await?;
        let dashboard = self.dashboard(actor, org_id).await?;
        let completion_share = match dashboard.counts.all {
            0 => 0.0,
            all => dashboard.counts.completed as f64 / all as f64,
        };
        Ok(Series {
            days,
            completion_share,
        })
    }

    /// Where each application user stands (R2.11): the status of their latest invitation, or
    /// `NotInvited`.
    pub async fn status_of_users(
        &self,
        actor: &Actor,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<(UserRef, UserStatus)>, Error> {
        require_reader(actor, org)?;
        let now = self.clock.now();
        let mut latest: HashMap<UserRef, Invitation> = HashMap::new();
        for inv in self.store.invitations_for_users(org, users).await? {
            let Some(user) = inv.user_ref.clone() else {
                continue;
            };
            match latest.get(&user) {
                Some(cur) if (cur.created_at, cur.id) >= (inv.created_at, inv.id) => {}
                _ => {
                    latest.insert(user, inv);
                }
            }
        }
        Ok(users
            .iter()
            .map(|u| {
                let status = latest.get(u).map_or(UserStatus::NotInvited, |inv| {
                    UserStatus::Invited(inv.status_at(now))
                });
                (u.clone(), status)
            })
            .collect())
    }

    /// The audit trail of an organization, or of one of its invitations (R10.2).
    pub async fn audit_trail(
        &self,
        actor: &Actor,
        org: OrgId,
        invitation: Option<InvitationId>,
    ) -> Result<Vec<AuditEvent>, Error> {
        require_reader(actor, org)?;
        Ok(self.store.audit_trail(org, invitation).await?)
    }
}

impl Planned<()> {
    fn commit_nothing() -> Self {
        Self {
            commit: None,
            outcome: Ok(()),
        }
    }
}

/// One address to invite, already parsed.
#[derive(Clone, Debug)]
struct Candidate {
    input: String,
    contact: Result<Contact, Refusal>,
    user_ref: Option<UserRef>,
}
