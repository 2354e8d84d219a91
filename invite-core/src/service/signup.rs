//! Signing up with a link, and the first login (R6, R3.2).

use super::InvitationService;
use crate::actor::Actor;
use crate::clock::Clock;
use crate::decide::signup::{Signup, SignupFacts};
use crate::decide::{self, Decision};
use crate::error::Error;
use crate::ids::{MemberId, UserRef};
use crate::refusal::Refusal;
use crate::store::{Conflict, Store};
use crate::token::LinkToken;

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// Signs up with a link (R6.2, R3.2). Unknown, cancelled, expired, superseded and used
    /// links are refused each with its own [`Refusal`]. Under `ClaimOnSignup` the signup claims
    /// a seat at commit time; if none is free the invitation becomes Failed with the reason
    /// "seats exhausted" and the answer is [`Refusal::SeatsExhausted`]. A retried request never
    /// makes a second member (R6.3): the link is used.
    ///
    /// `user_ref` is the application's id for the new account; when `None`, the id the
    /// invitation was tied to (R2.11) is used.
    pub async fn sign_up(&self, token: &str, user_ref: Option<UserRef>) -> Result<Signup, Error> {
        let hash = &LinkToken::from_link(token).hash();
        let user_ref = &user_ref;
        self.run(|last_conflict| async move {
            // The store found no seat at commit time: this time the signup fails (R3.2, R3.4).
            let lost_seat_race = matches!(last_conflict, Some(Conflict::SeatsExhausted { .. }));
            let Some(link) = self.store.link(hash).await? else {
                return Ok(Decision::refuse(Refusal::UnknownLink));
            };
            let inv = self.load_invitation(link.invitation).await?;
            let org = self.load_org(inv.org).await?;
            let members = self
                .store
                .active_members(inv.org, &inv.contact.keys())
                .await?;
            let now = self.clock.now();
            let seats = self.store.seats(inv.org, now).await?;
            let facts = SignupFacts {
                link: &link,
                invitation: &inv,
                org: &org,
                members: &members,
                seats,
                lost_seat_race,
            };
            Ok(decide::signup::sign_up(facts, user_ref.clone(), now))
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
