//! Actions on a selection (issue 11, point 1): resend, cancel or edit access for many
//! invitation ids in one commit, by id or by the application's user ids (seed 001), and
//! their dry runs.

use super::InvitationService;
use crate::actor::Actor;
use crate::bounds;
use crate::clock::Clock;
use crate::decide::dry_run::DryRun;
use crate::decide::selection::{SelectionAction, SelectionFacts, SelectionOutcome};
use crate::decide::{self, Decision};
use crate::error::Error;
use crate::ids::{InvitationId, OrgId, UserRef};
use crate::invitation::Invitation;
use crate::refusal::Refusal;
use crate::service::InvitationView;
use crate::store::Store;
use serde::Serialize;
use std::collections::HashMap;

/// The answer for one application user of an action by user ids: their latest invitation as
/// the action left it, or why not ([`Refusal::UserNotInvited`] if they have none).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UserOutcome {
    /// The user id, as given.
    pub user: UserRef,
    /// Done, with the new view; or the refusal.
    pub result: Result<InvitationView, Refusal>,
}

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// Resends, cancels or edits the access of every invitation of `ids` (seed 002's ticked
    /// rows), in one commit, with an answer per distinct id in the order given: each id is
    /// decided as its one-id command would decide it, and a refusal of one never blocks the
    /// others. A double submission changes nothing twice (see
    /// [`decide::selection`]). 1 to 500 ids; ids of another
    /// organization are [`Refusal::InvitationNotFound`].
    ///
    /// ```
    /// use invite_core::*;
    /// use invite_core::decide::selection::SelectionAction;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let service = InvitationService::new(MemoryStore::new(), SystemClock);
    /// let operator = Actor::Operator { id: "vendor".into() };
    /// let org = service
    ///     .create_organization(&operator, "Acme", OrgKind::Standalone, OrgSettings::with_seats(5))
    ///     .await?;
    /// let admin = Actor::admin(org.id, "u-1", "Ann Lee");
    /// let invited = service
    ///     .invite_many(&admin, org.id, &["a@example.com", "b@example.com"], Access::user(Role::ReadOnly))
    ///     .await?;
    /// let ids: Vec<_> = invited.iter().map(|o| o.result.as_ref().unwrap().id).collect();
    /// // What the confirmation dialog shows, then the real thing.
    /// let preview = service.dry_run_selection(&admin, org.id, &SelectionAction::Cancel, &ids).await?;
    /// assert!(preview.answers.iter().all(|o| o.result.is_ok()));
    /// let done = service.act_on_selection(&admin, org.id, &SelectionAction::Cancel, &ids).await?;
    /// assert!(done.iter().all(|o| o.result.as_ref().unwrap().status == Status::Cancelled));
    /// # Ok::<(), Error>(()) }).unwrap();
    /// ```
    pub async fn act_on_selection(
        &self,
        actor: &Actor,
        org: OrgId,
        action: &SelectionAction,
        ids: &[InvitationId],
    ) -> Result<Vec<SelectionOutcome>, Error> {
        decide::authorize::admin_of(actor, org)?;
        bounds::check_selection(ids.len())?;
        self.run(|_| self.decide_selection(actor, org, action, ids))
            .await
    }

    /// What [`InvitationService::act_on_selection`] would do now, committing nothing: the
    /// answers per id, the seats it needs free and the messages it would queue.
    pub async fn dry_run_selection(
        &self,
        actor: &Actor,
        org: OrgId,
        action: &SelectionAction,
        ids: &[InvitationId],
    ) -> Result<DryRun<Vec<SelectionOutcome>>, Error> {
        decide::authorize::admin_of(actor, org)?;
        bounds::check_selection(ids.len())?;
        let decision = self.decide_selection(actor, org, action, ids).await?;
        Ok(DryRun::of(decision)?)
    }

    /// Resends, cancels or edits the access of the latest invitation of each application user
    /// (seed 001's ticked directory users), in one commit, with an answer per user in the
    /// order given; a user with no invitation is [`Refusal::UserNotInvited`]. 1 to 500 users,
    /// each within [`crate::bounds`] and looked up trimmed. The latest invitation is the one
    /// [`InvitationService::standing_of_users`] reports.
    pub async fn act_on_users(
        &self,
        actor: &Actor,
        org: OrgId,
        action: &SelectionAction,
        users: &[UserRef],
    ) -> Result<Vec<UserOutcome>, Error> {
        decide::authorize::admin_of(actor, org)?;
        bounds::check_selection_of("users", users.len())?;
        let latest = self.latest_invitations(org, users).await?;
        let ids: Vec<_> = latest.iter().flatten().copied().collect();
        let outcomes = match ids.is_empty() {
            true => Vec::new(),
            false => self.act_on_selection(actor, org, action, &ids).await?,
        };
        Ok(per_user(users, &latest, outcomes))
    }

    /// What [`InvitationService::act_on_users`] would do now, committing nothing.
    pub async fn dry_run_users(
        &self,
        actor: &Actor,
        org: OrgId,
        action: &SelectionAction,
        users: &[UserRef],
    ) -> Result<DryRun<Vec<UserOutcome>>, Error> {
        decide::authorize::admin_of(actor, org)?;
        bounds::check_selection_of("users", users.len())?;
        let latest = self.latest_invitations(org, users).await?;
        let ids: Vec<_> = latest.iter().flatten().copied().collect();
        let dry = match ids.is_empty() {
            true => DryRun {
                answers: Vec::new(),
                seats_needed: 0,
                messages: Vec::new(),
            },
            false => self.dry_run_selection(actor, org, action, &ids).await?,
        };
        Ok(DryRun {
            answers: per_user(users, &latest, dry.answers),
            seats_needed: dry.seats_needed,
            messages: dry.messages,
        })
    }

    async fn decide_selection(
        &self,
        actor: &Actor,
        org_id: OrgId,
        action: &SelectionAction,
        ids: &[InvitationId],
    ) -> Result<Decision<Vec<SelectionOutcome>>, Error> {
        let org = self.load_org(org_id).await?;
        let distinct = decide::selection::distinct(ids);
        let invitations = self.store.invitations(&distinct).await?;
        let clients = match action {
            SelectionAction::EditAccess(access) => self.load_clients(access).await?,
            _ => Vec::new(),
        };
        let now = self.clock.now();
        let seats = self.store.seats(org_id, now).await?;
        let facts = SelectionFacts {
            org: &org,
            invitations: &invitations,
            clients: &clients,
            seats,
        };
        Ok(decide::selection::act_on_selection(
            actor, facts, action, ids, now,
        ))
    }

    /// The latest invitation (by creation, closed ones included, R2.11) of each user of
    /// `users`, in their order: `None` for a user with none.
    pub(super) async fn latest_invitations(
        &self,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<Option<InvitationId>>, Error> {
        let trimmed = bounds::check_user_refs(users)?;
        let latest = latest_by_user(self.store.invitations_for_users(org, &trimmed).await?);
        Ok(trimmed
            .iter()
            .map(|u| latest.get(u).map(|inv| inv.id))
            .collect())
    }
}

/// Each user's latest invitation by creation time (ties broken by id).
pub(super) fn latest_by_user(invitations: Vec<Invitation>) -> HashMap<UserRef, Invitation> {
    let mut latest: HashMap<UserRef, Invitation> = HashMap::new();
    for inv in invitations {
        let Some(user) = inv.user_ref().cloned() else {
            continue;
        };
        match latest.get(&user) {
            Some(cur) if (cur.created_at, cur.id) >= (inv.created_at, inv.id) => {}
            _ => {
                latest.insert(user, inv);
            }
        }
    }
    latest
}

/// The selection's answers per user, in the users' order; two users never share an
/// invitation, but one user given twice gets the same answer twice.
fn per_user(
    users: &[UserRef],
    latest: &[Option<InvitationId>],
    outcomes: Vec<SelectionOutcome>,
) -> Vec<UserOutcome> {
    let by_id: HashMap<InvitationId, Result<InvitationView, Refusal>> =
        outcomes.into_iter().map(|o| (o.id, o.result)).collect();
    users
        .iter()
        .zip(latest)
        .map(|(user, id)| {
            let result = match id.and_then(|id| by_id.get(&id).cloned()) {
                Some(result) => result,
                None => Err(Refusal::UserNotInvited { user: user.clone() }),
            };
            UserOutcome {
                user: user.clone(),
                result,
            }
        })
        .collect()
}
