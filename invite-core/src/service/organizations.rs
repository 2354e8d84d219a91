//! Commands on organizations, their settings and their members (R1, R3.1, R3.6, R8.4).

use super::InvitationService;
use crate::access::Access;
use crate::actor::Actor;
use crate::clock::Clock;
use crate::contact::Contact;
use crate::decide::{self, Decision};
use crate::error::Error;
use crate::ids::{MemberId, OrgId, UserRef};
use crate::member::Member;
use crate::org::{OrgKind, OrgSettings, Organization, SeatPolicy, SettingsUpdate};
use crate::store::Store;

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// Registers an organization (vendor operator only). A client must name an existing MSP
    /// (R1.1); name and settings within [`crate::bounds`].
    pub async fn create_organization(
        &self,
        actor: &Actor,
        name: &str,
        kind: OrgKind,
        settings: OrgSettings,
    ) -> Result<Organization, Error> {
        let msp = match kind {
            OrgKind::Client { msp } => self.store.organization(msp).await?,
            _ => None,
        };
        let decision = decide::organizations::create_organization(
            actor,
            name,
            kind,
            settings,
            msp.as_ref(),
            self.clock.now(),
        );
        self.run(|_| async { Ok(decision.clone()) }).await
    }

    /// Runs `decide` on the organization as loaded, again after each conflict.
    async fn change_org(
        &self,
        org_id: OrgId,
        decide: impl Fn(&Organization) -> Decision<Organization>,
    ) -> Result<Organization, Error> {
        self.run(|_| async {
            let org = self.load_org(org_id).await?;
            Ok(decide(&org))
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
        decide::authorize::operator(actor)?;
        self.change_org(org, |o| {
            decide::organizations::change_seat_limit(actor, o, limit, self.clock.now())
        })
        .await
    }

    /// Sets the channels an organization may invite by (vendor operator only): "e-mail only"
    /// is [`AllowedChannels::EMAIL_ONLY`](crate::AllowedChannels::EMAIL_ONLY), a super-admin
    /// setting in seed 001. An organization's admins are refused
    /// [`Refusal::OperatorSetting`](crate::Refusal::OperatorSetting) for it.
    pub async fn change_channels(
        &self,
        actor: &Actor,
        org: OrgId,
        channels: crate::org::AllowedChannels,
    ) -> Result<Organization, Error> {
        decide::authorize::operator(actor)?;
        self.change_org(org, |o| {
            decide::organizations::change_channels(actor, o, channels, self.clock.now())
        })
        .await
    }

    /// Sets the seat policy (vendor operator only, R3.5).
    pub async fn change_seat_policy(
        &self,
        actor: &Actor,
        org: OrgId,
        policy: SeatPolicy,
    ) -> Result<Organization, Error> {
        decide::authorize::operator(actor)?;
        self.change_org(org, |o| {
            decide::organizations::change_seat_policy(actor, o, policy, self.clock.now())
        })
        .await
    }

    /// Switches daily reminders on or off (admins, R8.4).
    pub async fn set_reminders(
        &self,
        actor: &Actor,
        org: OrgId,
        enabled: bool,
    ) -> Result<Organization, Error> {
        decide::authorize::admin_of(actor, org)?;
        self.change_org(org, |o| {
            decide::organizations::set_reminders(actor, o, enabled, self.clock.now())
        })
        .await
    }

    /// Changes the other settings (admins), within [`crate::bounds`].
    pub async fn update_settings(
        &self,
        actor: &Actor,
        org: OrgId,
        update: SettingsUpdate,
    ) -> Result<Organization, Error> {
        decide::authorize::admin_of(actor, org)?;
        self.change_org(org, |o| {
            decide::organizations::update_settings(actor, o, &update, self.clock.now())
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
        decide::authorize::operator_or_admin_of(actor, org_id)?;
        self.run(|_| async {
            let org = self.load_org(org_id).await?;
            let clients = self.load_clients(&access).await?;
            let same_contact = self.store.active_members(org_id, &contact.keys()).await?;
            let now = self.clock.now();
            let seats = self.store.seats(org_id, now).await?;
            let facts = decide::members::AddMemberFacts {
                org: &org,
                clients: &clients,
                same_contact: &same_contact,
                seats,
            };
            Ok(decide::members::add_member(
                actor,
                facts,
                contact.clone(),
                user_ref.clone(),
                access.clone(),
                now,
            ))
        })
        .await
    }

    /// Removes a member and frees their seat (admins, R3.6). Their invitation, if any, leaves
    /// the lists.
    pub async fn remove_member(&self, actor: &Actor, member_id: MemberId) -> Result<Member, Error> {
        self.run(|_| async {
            let member = self.load_member(member_id).await?;
            let invitation = match member.invitation {
                Some(id) => self.store.invitation(id).await?,
                None => None,
            };
            let now = self.clock.now();
            Ok(decide::members::remove_member(
                actor,
                &member,
                invitation.as_ref(),
                now,
            ))
        })
        .await
    }
}
