//! An admin's actions on one invitation (R5, R2.8).

use super::InvitationService;
use crate::access::Access;
use crate::actor::Actor;
use crate::clock::Clock;
use crate::decide::{self, Decision};
use crate::error::Error;
use crate::ids::InvitationId;
use crate::invitation::Invitation;
use crate::store::Store;

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// Resends (R5.2): starts a new link generation (older links die at once), queues a new
    /// delivery, and restarts the validity period when that is delivered. Refused within the
    /// organization's cool-down of the last invitation or delivery, so a double click sends
    /// one message. Needs a free seat, like any invite (R3.3), unless the invitation already
    /// holds one under `ReserveOnInvite`.
    pub async fn resend(&self, actor: &Actor, id: InvitationId) -> Result<Invitation, Error> {
        self.run(|_| async {
            let inv = self.load_invitation(id).await?;
            if let Err(refusal) = decide::authorize::admin_of_invitation(actor, &inv) {
                return Ok(Decision::refuse(refusal));
            }
            let org = self.load_org(inv.org).await?;
            let now = self.clock.now();
            let seats = self.store.seats(inv.org, now).await?;
            Ok(decide::actions::resend(actor, &inv, &org, seats, now))
        })
        .await
    }

    /// Cancels (R4.7): the links die and the invitation leaves every list but the audit.
    pub async fn cancel(&self, actor: &Actor, id: InvitationId) -> Result<Invitation, Error> {
        self.run(|_| async {
            let inv = self.load_invitation(id).await?;
            Ok(decide::actions::cancel(actor, &inv, self.clock.now()))
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
        self.run(|_| async {
            let inv = self.load_invitation(id).await?;
            if let Err(refusal) = decide::authorize::admin_of_invitation(actor, &inv) {
                return Ok(Decision::refuse(refusal));
            }
            let org = self.load_org(inv.org).await?;
            let clients = self.load_clients(&access).await?;
            let now = self.clock.now();
            Ok(decide::actions::edit_access(
                actor,
                &inv,
                &org,
                &clients,
                access.clone(),
                now,
            ))
        })
        .await
    }

    /// Marks a Never Used member completed, for users who do not need the agent (R5.3).
    pub async fn mark_completed(
        &self,
        actor: &Actor,
        id: InvitationId,
    ) -> Result<Invitation, Error> {
        self.run(|_| async {
            let inv = self.load_invitation(id).await?;
            Ok(decide::actions::mark_completed(
                actor,
                &inv,
                self.clock.now(),
            ))
        })
        .await
    }

    /// Queues the feature-introduction follow-up to a Never Used member, at most once per
    /// [`crate::ServiceConfig::follow_up_interval`] (a day by default, R5.4).
    pub async fn send_follow_up(
        &self,
        actor: &Actor,
        id: InvitationId,
    ) -> Result<Invitation, Error> {
        let interval = self.config.follow_up_interval;
        self.run(|_| async {
            let inv = self.load_invitation(id).await?;
            let now = self.clock.now();
            Ok(decide::actions::send_follow_up(actor, &inv, interval, now))
        })
        .await
    }
}
