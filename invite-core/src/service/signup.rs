//! Signing up with a link, looking at one first, and the first login (R6, R3.2).

use super::InvitationService;
use crate::actor::Actor;
use crate::clock::Clock;
use crate::decide::signup::{LinkPreview, Signup, SignupFacts};
use crate::decide::{self, Decision};
use crate::error::Error;
use crate::ids::{MemberId, UserRef};
use crate::invitation::Invitation;
use crate::member::{Member, Seats};
use crate::org::Organization;
use crate::refusal::Refusal;
use crate::store::{Conflict, Store};
use crate::token::{LinkRecord, LinkToken, TokenHash};
use chrono::{DateTime, Utc};

/// What a signup, or a look at its link, is decided from.
struct Loaded {
    link: LinkRecord,
    invitation: Invitation,
    org: Organization,
    members: Vec<Member>,
    seats: Seats,
}

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// The link's facts at `now`, `None` for an unknown link: one call to the store, one
    /// round trip where the store can (issue 8.4).
    async fn load_link(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<Loaded>, Error> {
        let Some(reads) = self.store.signup_reads(hash, now).await? else {
            return Ok(None);
        };
        let invitation = reads
            .invitation
            .ok_or(Error::Refused(Refusal::InvitationNotFound(
                reads.link.invitation,
            )))?;
        let org = reads
            .org
            .ok_or(Error::Refused(Refusal::OrganizationNotFound(
                invitation.org,
            )))?;
        Ok(Some(Loaded {
            link: reads.link,
            invitation,
            org,
            members: reads.members,
            seats: reads.seats,
        }))
    }

    /// What a signup page shows about a link (R6.2): the organization, who invited, the
    /// address, the access and grants with client names, until when the link works, the
    /// language; refused exactly as [`InvitationService::sign_up`] would refuse it now.
    /// Consumes nothing: safe on every GET of the page.
    ///
    /// ```
    /// # use invite_core::*;
    /// # async fn page<S: Store, C: Clock>(service: &InvitationService<S, C>, token: &str)
    /// #     -> Result<(), Error> {
    /// match service.preview_link(token).await {
    ///     Ok(p) => println!("{} invited you to {}", p.invited_by, p.organization_name),
    ///     Err(Error::Refused(r)) => println!("this link cannot be used: {r}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn preview_link(&self, token: &str) -> Result<LinkPreview, Error> {
        let hash = LinkToken::from_link(token).hash();
        let now = self.clock.now();
        let Some(l) = self.load_link(&hash, now).await? else {
            return Err(Refusal::UnknownLink.into());
        };
        let clients = self.load_clients(l.invitation.access()).await?;
        let facts = SignupFacts {
            link: &l.link,
            invitation: &l.invitation,
            org: &l.org,
            members: &l.members,
            seats: Seats::new(0, 0),
            lost_seat_race: false,
        };
        Ok(decide::signup::preview(facts, &clients, now)?)
    }

    /// Signs up with a link (R6.2, R3.2). Unknown, cancelled, expired, superseded and used
    /// links are refused each with its own [`Refusal`]. Under `ClaimOnSignup` the signup claims
    /// a seat at commit time; if none is free the invitation becomes Failed with the reason
    /// "seats exhausted" and the answer is [`Refusal::SeatsExhausted`] (an invitation made
    /// with [`InviteOptions::waitlist`](crate::InviteOptions) joins the waitlist in the same
    /// commit, `decide::waitlist::sign_up_or_wait`). A retried request never
    /// makes a second member (R6.3): with the same link and the same application user id it
    /// answers the same signup; with another, the link is used.
    ///
    /// `user_ref` is the application's id for the new account; when `None`, the id the
    /// invitation was tied to (R2.11) is used.
    pub async fn sign_up(&self, token: &str, user_ref: Option<UserRef>) -> Result<Signup, Error> {
        let hash = &LinkToken::from_link(token).hash();
        let user_ref = &user_ref;
        self.run(|last_conflict| async move {
            // The store found no seat at commit time: this time the signup fails (R3.2, R3.4).
            let lost_seat_race = matches!(last_conflict, Some(Conflict::SeatsExhausted { .. }));
            let now = self.clock.now();
            let Some(l) = self.load_link(hash, now).await? else {
                return Ok(Decision::refuse(Refusal::UnknownLink));
            };
            let waiting = match l.invitation.options().waitlist {
                true => {
                    let keys = [l.invitation.address_key()];
                    self.store.waiting(l.invitation.org, &keys).await?
                }
                false => Vec::new(),
            };
            let facts = SignupFacts {
                link: &l.link,
                invitation: &l.invitation,
                org: &l.org,
                members: &l.members,
                seats: l.seats,
                lost_seat_race,
            };
            Ok(decide::waitlist::sign_up_or_wait(
                facts,
                &waiting,
                user_ref.clone(),
                now,
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
            let invitation = match member.invitation {
                Some(id) => self.store.invitation(id).await?,
                None => None,
            };
            let now = self.clock.now();
            Ok(decide::signup::record_first_login(
                actor,
                &member,
                invitation.as_ref(),
                now,
            ))
        })
        .await
    }
}
