//! Inviting: one contact or many addresses (R2), and the dry run of a bulk invite. The
//! application's directory users are `directory.rs`'s.

use super::InvitationService;
use crate::access::Access;
use crate::actor::Actor;
use crate::clock::Clock;
use crate::contact::{Channel, Contact, parse_address};
use crate::decide::dry_run::DryRun;
use crate::decide::invite::{Candidate, InviteOutcome};
use crate::decide::{self, Decision};
use crate::error::Error;
use crate::ids::OrgId;
use crate::invitation::{Invitation, InviteOptions};
use crate::refusal::Refusal;
use crate::store::Store;

impl<S: Store, C: Clock> InvitationService<S, C> {
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
        let candidate = Candidate {
            input: contact.to_string(),
            contact: Ok(contact),
            channel,
            user_ref: None,
        };
        let mut outcomes = self
            .invite_candidates(actor, org, &access, vec![candidate])
            .await?;
        Ok(outcomes.remove(0).result?)
    }

    /// Invites many addresses with the same type and access, in one commit (R2.9). Each
    /// address is an e-mail (contains `@`) or a phone number; the channel follows from it. The
    /// answer has one entry per address, in order: one bad address never blocks the others.
    /// The call itself fails only for what concerns them all (actor, organization, access).
    ///
    /// ```
    /// use invite_core::*;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let service = InvitationService::new(MemoryStore::new(), SystemClock);
    /// let operator = Actor::Operator { id: "vendor".into() };
    /// let org = service
    ///     .create_organization(&operator, "Acme", OrgKind::Standalone, OrgSettings::with_seats(5))
    ///     .await?;
    /// let admin = Actor::admin(org.id, "u-1", "Ann Lee");
    /// let answers = service
    ///     .invite_many(&admin, org.id, &["bob@example.com", "9051111111"], Access::user(Role::ReadOnly))
    ///     .await?;
    /// assert!(answers[0].result.is_ok());
    /// assert_eq!(answers[1].result.as_ref().unwrap_err().code(), "invalid_contact");
    /// # Ok::<(), Error>(()) }).unwrap();
    /// ```
    pub async fn invite_many(
        &self,
        actor: &Actor,
        org: OrgId,
        addresses: &[&str],
        access: Access,
    ) -> Result<Vec<InviteOutcome>, Error> {
        let candidates = addresses.iter().map(|a| address_candidate(a)).collect();
        self.invite_candidates(actor, org, &access, candidates)
            .await
    }

    /// What [`InvitationService::invite_many`] would do now, committing nothing: the answer
    /// per address, the seats the commit needs free and the messages it would queue.
    pub async fn dry_run_invite_many(
        &self,
        actor: &Actor,
        org: OrgId,
        addresses: &[&str],
        access: Access,
    ) -> Result<DryRun<Vec<InviteOutcome>>, Error> {
        let candidates: Vec<_> = addresses.iter().map(|a| address_candidate(a)).collect();
        self.check_bulk(actor, org, &candidates)?;
        let decision = self
            .decide_candidates(actor, org, &access, &candidates)
            .await?;
        Ok(DryRun::of(decision)?)
    }

    /// Invites `candidates` in one commit, through the retry loop, with no options.
    pub(super) async fn invite_candidates(
        &self,
        actor: &Actor,
        org_id: OrgId,
        access: &Access,
        candidates: Vec<Candidate>,
    ) -> Result<Vec<InviteOutcome>, Error> {
        let options = InviteOptions::default();
        let answer = self
            .invite_candidates_with(actor, org_id, access, &options, candidates)
            .await?;
        Ok(answer.outcomes)
    }

    /// The call's own refusals, before anything is loaded: its size and its actor.
    pub(super) fn check_bulk(
        &self,
        actor: &Actor,
        org: OrgId,
        candidates: &[Candidate],
    ) -> Result<(), Error> {
        if candidates.len() > self.config.max_bulk {
            return Err(Refusal::OutOfRange {
                field: "addresses".into(),
                allowed: format!("at most {} per call", self.config.max_bulk),
            }
            .into());
        }
        decide::authorize::admin_of(actor, org)?;
        Ok(())
    }

    /// Loads what an invite of `candidates` with no options is decided from, and decides it
    /// (R2.9): the decision a dry run shows is the one the real run commits.
    pub(super) async fn decide_candidates(
        &self,
        actor: &Actor,
        org_id: OrgId,
        access: &Access,
        candidates: &[Candidate],
    ) -> Result<Decision<Vec<InviteOutcome>>, Error> {
        let options = InviteOptions::default();
        let decision = self
            .decide_candidates_with(actor, org_id, access, &options, &[], candidates)
            .await?;
        Ok(Decision {
            commit: decision.commit,
            answer: decision.answer.map(|a| a.outcomes),
        })
    }
}

/// An address of a bulk invite as a candidate: phone numbers go by SMS, e-mail addresses by
/// e-mail.
pub(super) fn address_candidate(address: &str) -> Candidate {
    let contact = parse_address(address).map_err(Refusal::from);
    let channel = match &contact {
        Ok(c) if c.email_address().is_none() => Channel::Sms,
        _ => Channel::Email,
    };
    Candidate {
        input: address.to_owned(),
        contact,
        channel,
        user_ref: None,
    }
}
