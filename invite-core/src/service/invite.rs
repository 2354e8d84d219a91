//! Inviting: one contact, many addresses, or the application's directory users (R2).

use super::{DirectoryUser, InvitationService};
use crate::access::Access;
use crate::actor::Actor;
use crate::bounds;
use crate::clock::Clock;
use crate::contact::{Channel, Contact, Email, Phone, parse_address};
use crate::decide::invite::{Candidate, InviteFacts, InviteOutcome};
use crate::decide::{self, Decision};
use crate::error::Error;
use crate::ids::{OrgId, UserRef};
use crate::invitation::Invitation;
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
        let candidates = addresses
            .iter()
            .map(|a| {
                let contact = parse_address(a).map_err(Refusal::from);
                // Phone numbers go by SMS, e-mail addresses by e-mail.
                let channel = match &contact {
                    Ok(c) if c.email_address().is_none() => Channel::Sms,
                    _ => Channel::Email,
                };
                Candidate {
                    input: (*a).to_owned(),
                    contact,
                    channel,
                    user_ref: None,
                }
            })
            .collect();
        self.invite_candidates(actor, org, &access, candidates)
            .await
    }

    /// Invites users of the application's directory by the contact in their profile (R2.3,
    /// R2.11), in one commit: a user without an address for `channel` gets
    /// [`Refusal::MissingContact`] and nothing is queued for them. An organization that does
    /// not allow `channel` refuses the call.
    pub async fn invite_directory_users(
        &self,
        actor: &Actor,
        org_id: OrgId,
        users: &[DirectoryUser],
        channel: Channel,
        access: Access,
    ) -> Result<Vec<InviteOutcome>, Error> {
        decide::authorize::admin_of(actor, org_id)?;
        let org = self.load_org(org_id).await?;
        if !org.settings.channels.allows(channel) {
            return Err(Refusal::ChannelNotAllowed(channel).into());
        }
        let candidates = users
            .iter()
            .map(|u| directory_candidate(u, channel))
            .collect();
        self.invite_candidates(actor, org_id, &access, candidates)
            .await
    }

    async fn invite_candidates(
        &self,
        actor: &Actor,
        org_id: OrgId,
        access: &Access,
        candidates: Vec<Candidate>,
    ) -> Result<Vec<InviteOutcome>, Error> {
        if candidates.len() > self.config.max_bulk {
            return Err(Refusal::OutOfRange {
                field: "addresses".into(),
                allowed: format!("at most {} per call", self.config.max_bulk),
            }
            .into());
        }
        decide::authorize::admin_of(actor, org_id)?;
        let (address_keys, contact_keys) = decide::invite::keys_to_load(&candidates);
        // Bounded before loading: a million grants would be a million ids to read.
        let grants = bounds::check_grants(access).map(|()| decide::access::granted_clients(access));
        self.run(|_| async {
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
            // Refused as before: an unknown organization first, then too many grants.
            if let Err(refusal) = &grants {
                return Err(Error::Refused(refusal.clone()));
            }
            let facts = InviteFacts {
                org: &org,
                clients: &reads.clients,
                open: &reads.open,
                members: &reads.members,
                seats: reads.seats,
            };
            let decision: Decision<_> =
                decide::invite::invite(actor, facts, access, &candidates, now);
            Ok(decision)
        })
        .await
    }
}

/// A directory user as a candidate for `channel`: the user id within [`crate::bounds`] (and
/// stored trimmed); the chosen channel's address must be valid; the other one is kept when
/// valid and dropped when not, since nothing is sent to it.
fn directory_candidate(u: &DirectoryUser, channel: Channel) -> Candidate {
    fn present(s: &Option<String>) -> Option<&str> {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let user = bounds::check_id("user", u.user.as_str()).map(UserRef);
    let contact = (|| {
        let user = user.clone()?;
        let wanted = match channel {
            Channel::Email => present(&u.email),
            Channel::Sms => present(&u.phone),
        };
        if wanted.is_none() {
            return Err(Refusal::MissingContact { user, channel });
        }
        let email = present(&u.email).map(Email::parse);
        let phone = present(&u.phone).map(Phone::parse);
        let contact = match channel {
            Channel::Email => {
                let email = email.transpose()?;
                Contact::new(email, phone.and_then(Result::ok))
            }
            Channel::Sms => {
                let phone = phone.transpose()?;
                Contact::new(email.and_then(Result::ok), phone)
            }
        };
        Ok(contact?)
    })();
    Candidate {
        input: u.user.to_string(),
        contact,
        channel,
        user_ref: Some(user.unwrap_or_else(|_| u.user.clone())),
    }
}
