//! The application's directory users (seed 001, R2.3, R2.11; issue 11, point 3): imports of
//! any size, answered per user and committed in chunks; where each user stands, with the
//! invitation id and the failure reason a "resend to the ticked users" button needs; and the
//! e-mail-only organization, where an SMS import goes by e-mail to those who have an address.

use super::selection::latest_by_user;
use super::{DirectoryUser, InvitationService, UserStatus};
use crate::access::Access;
use crate::actor::Actor;
use crate::bounds;
use crate::clock::Clock;
use crate::contact::{Channel, Contact, Email, Phone};
use crate::decide::dry_run::DryRun;
use crate::decide::invite::{Candidate, InviteOutcome};
use crate::decide::options::InviteAnswer;
use crate::decide::{self};
use crate::error::Error;
use crate::ids::{InvitationId, OrgId, UserRef};
use crate::invitation::{FailureReason, InviteOptions};
use crate::org::AllowedChannels;
use crate::refusal::Refusal;
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// Where one application user stands (R2.11), with what an application needs to act on them:
/// the id of their latest invitation and, if it failed, why (seed 001's Invited, Not invited,
/// Waiting and Error filters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserStanding {
    /// The user id, as given.
    pub user: UserRef,
    /// `NotInvited`, or the status of their latest invitation.
    pub status: UserStatus,
    /// Their latest invitation (by creation, closed ones included); `None` if not invited.
    pub invitation: Option<InvitationId>,
    /// Why that invitation failed, if it did (R4.4).
    pub failure: Option<FailureReason>,
}

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// Invites users of the application's directory by the contact in their profile (R2.3,
    /// R2.11), with an answer per user in order; a user without an address for `channel` gets
    /// [`Refusal::MissingContact`] and nothing is queued for them.
    ///
    /// **Any number of users.** The users are decided and committed in chunks of
    /// [`ServiceConfig::max_bulk`](crate::ServiceConfig::max_bulk) (1,000 by default), each
    /// chunk one commit through the retry loop, in order; a later chunk sees what the earlier
    /// ones committed, so a user or address given twice is invited once wherever the two fall,
    /// and seats are counted across chunks. If a chunk fails with an [`Error`] (the store is
    /// down), the chunks before it stay committed: import again, and those users answer
    /// [`Refusal::AlreadyInvited`].
    ///
    /// **A channel the organization does not allow** (an SMS import in an e-mail-only
    /// organization) is not a refusal of the call: each user who has an address for the
    /// channel it does allow is invited by that one, and their answer says so
    /// ([`InviteOutcome::instead_of`] is the channel asked); the others are refused with
    /// [`Refusal::ChannelNotAllowed`], one by one.
    ///
    /// Invite on import (seed 001's "send invitation on import"): call this with the users
    /// just imported; see the integration guide's recipe ([`crate::guide`]).
    pub async fn invite_directory_users(
        &self,
        actor: &Actor,
        org_id: OrgId,
        users: &[DirectoryUser],
        channel: Channel,
        access: Access,
    ) -> Result<Vec<InviteOutcome>, Error> {
        let options = InviteOptions::default();
        let answer = self
            .invite_directory_users_with(actor, org_id, users, channel, access, &options)
            .await?;
        Ok(answer.outcomes)
    }

    /// [`InvitationService::invite_directory_users`] with options, for every invitation of
    /// the import: chunked the same way, the links handed out and the waitlist places of
    /// every chunk in one answer.
    pub async fn invite_directory_users_with(
        &self,
        actor: &Actor,
        org_id: OrgId,
        users: &[DirectoryUser],
        channel: Channel,
        access: Access,
        options: &InviteOptions,
    ) -> Result<InviteAnswer, Error> {
        decide::authorize::admin_of(actor, org_id)?;
        let org = self.load_org(org_id).await?;
        let (candidates, instead): (Vec<_>, Vec<_>) = users
            .iter()
            .map(|u| directory_candidate(u, channel, org.settings.channels))
            .unzip();
        let chunk = self.config.max_bulk.max(1);
        let mut answer = InviteAnswer {
            outcomes: Vec::with_capacity(users.len()),
            links: Vec::new(),
            waitlisted: Vec::new(),
        };
        for part in candidates.chunks(chunk) {
            let part = self
                .invite_candidates_with(actor, org_id, &access, options, part.to_vec())
                .await?;
            answer.outcomes.extend(part.outcomes);
            answer.links.extend(part.links);
            answer.waitlisted.extend(part.waitlisted);
        }
        answer.outcomes = with_instead(answer.outcomes, &instead);
        Ok(answer)
    }

    /// What [`InvitationService::invite_directory_users`] would do now, committing nothing:
    /// the answer per user, the seats the import needs free and the messages it would queue.
    /// The whole import is one decision here, whatever its size (nothing is committed, so
    /// nothing needs chunking); it answers what the chunked real run answers, since each of
    /// its chunks sees the ones before it committed.
    pub async fn dry_run_directory_users(
        &self,
        actor: &Actor,
        org_id: OrgId,
        users: &[DirectoryUser],
        channel: Channel,
        access: Access,
    ) -> Result<DryRun<Vec<InviteOutcome>>, Error> {
        decide::authorize::admin_of(actor, org_id)?;
        let org = self.load_org(org_id).await?;
        let (candidates, instead): (Vec<_>, Vec<_>) = users
            .iter()
            .map(|u| directory_candidate(u, channel, org.settings.channels))
            .unzip();
        let decision = self
            .decide_candidates(actor, org_id, &access, &candidates)
            .await?;
        let dry = DryRun::of(decision)?;
        Ok(DryRun {
            answers: with_instead(dry.answers, &instead),
            ..dry
        })
    }

    /// Where each application user stands (R2.11): the status of their latest invitation (or
    /// `NotInvited`), its id, and its failure reason. At most 1,000 ids per call, each within
    /// [`crate::bounds`] and looked up trimmed, as the library stores them; the answer pairs
    /// each id as given with its standing, in order.
    pub async fn standing_of_users(
        &self,
        actor: &Actor,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<UserStanding>, Error> {
        decide::authorize::reader_of(actor, org)?;
        let trimmed = bounds::check_user_refs(users)?;
        let now = self.clock.now();
        let latest = latest_by_user(self.store.invitations_for_users(org, &trimmed).await?);
        Ok(users
            .iter()
            .zip(&trimmed)
            .map(|(u, key)| match latest.get(key) {
                None => UserStanding {
                    user: u.clone(),
                    status: UserStatus::NotInvited,
                    invitation: None,
                    failure: None,
                },
                Some(inv) => UserStanding {
                    user: u.clone(),
                    status: UserStatus::Invited(inv.status_at(now)),
                    invitation: Some(inv.id),
                    failure: inv.failure().cloned(),
                },
            })
            .collect())
    }
}

fn with_instead(
    mut outcomes: Vec<InviteOutcome>,
    instead: &[Option<Channel>],
) -> Vec<InviteOutcome> {
    for (o, asked) in outcomes.iter_mut().zip(instead) {
        o.instead_of = *asked;
    }
    outcomes
}

/// A directory user as a candidate for `channel` in an organization allowing `allowed`, and
/// the channel asked if it goes by another. If `channel` is not allowed, the user goes by the
/// one that is when their profile has an address for it, and is refused with
/// [`Refusal::ChannelNotAllowed`] otherwise.
fn directory_candidate(
    u: &DirectoryUser,
    channel: Channel,
    allowed: AllowedChannels,
) -> (Candidate, Option<Channel>) {
    if allowed.allows(channel) {
        return (candidate_by(u, channel), None);
    }
    let other = match channel {
        Channel::Email => Channel::Sms,
        Channel::Sms => Channel::Email,
    };
    let has_other = present(match other {
        Channel::Email => &u.email,
        Channel::Sms => &u.phone,
    })
    .is_some();
    if allowed.allows(other) && has_other {
        return (candidate_by(u, other), Some(channel));
    }
    let mut refused = candidate_by(u, channel);
    if refused.contact.is_ok() || matches!(refused.contact, Err(Refusal::MissingContact { .. })) {
        refused.contact = Err(Refusal::ChannelNotAllowed(channel));
    }
    (refused, None)
}

fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A directory user as a candidate for `channel`: the user id within [`crate::bounds`] (and
/// stored trimmed); the chosen channel's address must be valid; the other one is kept when
/// valid and dropped when not, since nothing is sent to it.
fn candidate_by(u: &DirectoryUser, channel: Channel) -> Candidate {
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
