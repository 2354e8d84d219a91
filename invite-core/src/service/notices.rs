//! The accepted-notice setting: whether senders are told when their invitees sign up
//! (`decide::notices`). The notices themselves are queued by the signup's own commit and
//! delivered by the dispatcher.

use super::InvitationService;
use crate::actor::Actor;
use crate::clock::Clock;
use crate::decide;
use crate::error::Error;
use crate::ids::OrgId;
use crate::org::Organization;
use crate::store::Store;

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// Switches accepted notices on or off (admins of the organization; off by default).
    /// While on, every signup with an invitation queues a notice to its sender, in the
    /// organization's language, delivered to the sender's member address (see
    /// [`decide::notices`]).
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
    /// let org = service.set_accepted_notices(&admin, org.id, true).await?;
    /// assert!(org.settings.accepted_notices);
    /// # Ok::<(), Error>(()) }).unwrap();
    /// ```
    pub async fn set_accepted_notices(
        &self,
        actor: &Actor,
        org_id: OrgId,
        enabled: bool,
    ) -> Result<Organization, Error> {
        decide::authorize::admin_of(actor, org_id)?;
        self.run(|_| async {
            let org = self.load_org(org_id).await?;
            Ok(decide::notices::set_accepted_notices(
                actor,
                &org,
                enabled,
                self.clock.now(),
            ))
        })
        .await
    }
}
