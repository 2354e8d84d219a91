//! Inviting with per-invitation options (issue 11, point 5): one contact, many addresses or
//! directory users, each invitation keeping the options; links handed out by hand are minted
//! here, before deciding, and answered once.

use super::InvitationService;
use super::invite::address_candidate;
use crate::access::Access;
use crate::actor::Actor;
use crate::bounds;
use crate::clock::Clock;
use crate::contact::{Channel, Contact};
use crate::decide::invite::{Candidate, InviteFacts};
use crate::decide::options::{InviteAnswer, InviteExtras};
use crate::decide::{self, Decision};
use crate::error::Error;
use crate::ids::OrgId;
use crate::invitation::{InviteOptions, Sending};
use crate::refusal::Refusal;
use crate::store::Store;
use crate::token::LinkToken;

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// [`InvitationService::invite`] with options (issue 11): a validity within the
    /// organization's bounds, metadata for the new member, a return path, the invitee's
    /// language, a link handed out by hand ([`Sending::ByHand`]: no message, the link answered
    /// once in [`InviteAnswer::links`]), a place on the waitlist when no seat is free. A bad
    /// option refuses the call with [`Refusal::OutOfRange`] naming its field.
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
    /// let options = InviteOptions { sending: Sending::ByHand, ..InviteOptions::default() };
    /// let bob = Contact::parse_email("bob@example.com").unwrap();
    /// let answer = service
    ///     .invite_with(&admin, org.id, bob, Channel::Email, Access::user(Role::ReadOnly), &options)
    ///     .await?;
    /// let invitation = answer.outcomes[0].result.as_ref().unwrap();
    /// assert_eq!(invitation.status_at(service.clock().now()), Status::Pending);
    /// let link = &answer.links[0].token; // share https://app.example/signup?t={link} by hand
    /// assert_eq!(service.preview_link(link.expose()).await?.invitation, invitation.id);
    /// # Ok::<(), Error>(()) }).unwrap();
    /// ```
    pub async fn invite_with(
        &self,
        actor: &Actor,
        org: OrgId,
        contact: Contact,
        channel: Channel,
        access: Access,
        options: &InviteOptions,
    ) -> Result<InviteAnswer, Error> {
        let candidate = Candidate {
            input: contact.to_string(),
            contact: Ok(contact),
            channel,
            user_ref: None,
        };
        self.invite_candidates_with(actor, org, &access, options, vec![candidate])
            .await
    }

    /// [`InvitationService::invite_many`] with options, for every invitation of the call.
    pub async fn invite_many_with(
        &self,
        actor: &Actor,
        org: OrgId,
        addresses: &[&str],
        access: Access,
        options: &InviteOptions,
    ) -> Result<InviteAnswer, Error> {
        let candidates = addresses.iter().map(|a| address_candidate(a)).collect();
        self.invite_candidates_with(actor, org, &access, options, candidates)
            .await
    }

    /// Invites `candidates` with `options` in one commit, through the retry loop.
    pub(super) async fn invite_candidates_with(
        &self,
        actor: &Actor,
        org_id: OrgId,
        access: &Access,
        options: &InviteOptions,
        candidates: Vec<Candidate>,
    ) -> Result<InviteAnswer, Error> {
        self.check_bulk(actor, org_id, &candidates)?;
        // Minted once for every attempt: a retried decision hands out the same links, and a
        // commit that failed stored none of their hashes.
        let tokens = match options.sending {
            Sending::ByHand => candidates
                .iter()
                .map(|_| LinkToken::mint())
                .collect::<Result<Vec<_>, _>>()?,
            Sending::Message => Vec::new(),
        };
        self.run(|_| {
            self.decide_candidates_with(actor, org_id, access, options, &tokens, &candidates)
        })
        .await
    }

    /// Loads what an invite of `candidates` with `options` is decided from, and decides it
    /// (R2.9): the one decision the real run, its retries and the dry runs use.
    pub(super) async fn decide_candidates_with(
        &self,
        actor: &Actor,
        org_id: OrgId,
        access: &Access,
        options: &InviteOptions,
        tokens: &[LinkToken],
        candidates: &[Candidate],
    ) -> Result<Decision<InviteAnswer>, Error> {
        let (address_keys, contact_keys) = decide::invite::keys_to_load(candidates);
        // Bounded before loading: a million grants would be a million ids to read.
        let grants = bounds::check_grants(access).map(|()| decide::access::granted_clients(access));
        let now = self.clock.now();
        let client_ids = grants.as_deref().unwrap_or_default();
        // The loads in one call, one round trip where the store can (issue 8.4).
        let reads = self
            .store
            .invite_reads(org_id, client_ids, &address_keys, &contact_keys, now)
            .await?;
        let org = reads
            .org
            .ok_or(Error::Refused(Refusal::OrganizationNotFound(org_id)))?;
        // Refused in this order: an unknown organization first, then too many grants.
        if let Err(refusal) = grants {
            return Err(Error::Refused(refusal));
        }
        let waiting = match options.waitlist {
            true => self.store.waiting(org_id, &address_keys).await?,
            false => Vec::new(),
        };
        let facts = InviteFacts {
            org: &org,
            clients: &reads.clients,
            open: &reads.open,
            members: &reads.members,
            seats: reads.seats,
        };
        let extras = InviteExtras {
            options,
            tokens,
            waiting: &waiting,
        };
        Ok(decide::invite::invite_with(
            actor, facts, access, extras, candidates, now,
        ))
    }
}
