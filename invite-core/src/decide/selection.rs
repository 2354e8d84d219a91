//! Actions on a selection of invitations (issue 11, point 1; seed 002's ticked rows): resend,
//! cancel or edit access for a list of ids, decided as one decision over every loaded record
//! and committed as one commit, with an answer per id.
//!
//! Each id is decided by the very transition its one-id command uses
//! ([`Invitation::resent`], [`Invitation::cancelled`], [`Invitation::access_edited`]), so a
//! selection refuses what a single action would: the cool-down (R5.2), a status that does not
//! allow the action (R5.1), a channel no longer allowed (R1.2), a missing seat (R3.3). What
//! concerns the whole call is refused for the call: the actor (R10.1), the edited access
//! (R2.4, R2.5), the selection's size ([`crate::bounds::check_selection`]).
//!
//! **A double submission changes nothing twice.** The second submission of a selection is
//! decided on the records the first one wrote, and answers per id what a second click on one
//! row would: a resend within the cool-down is [`Refusal::ResendCooldown`] (with the same
//! `retry_after`), a cancelled invitation is [`Refusal::ActionNotAllowed`] (cancel of a
//! Cancelled one), and an access edit to the access the invitation already has is answered
//! with the invitation as it is and writes nothing. An id given twice in one selection is
//! acted on and answered once, at its first place.

use super::{Decision, access, authorize};
use crate::access::Access;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::ids::InvitationId;
use crate::invitation::Invitation;
use crate::member::Seats;
use crate::org::{Organization, SeatPolicy};
use crate::outbox::{MessageKind, OutboxMessage};
use crate::refusal::Refusal;
use crate::service::InvitationView;
use crate::store::{Commit, SeatCheck, StoredVersions, Write};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// What a selection does to each of its invitations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionAction {
    /// Resend each (R5.2): a new link generation, older links die.
    Resend,
    /// Cancel each (R4.7), seed 002's "Delete".
    Cancel,
    /// Give each this access (R2.8), until signup.
    EditAccess(Access),
}

/// The answer for one id of a selection: the invitation as the action left it (its status
/// and allowed actions at the time of the call), or why it was refused.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SelectionOutcome {
    /// The id as given.
    pub id: InvitationId,
    /// Done, with the new view; or the refusal.
    pub result: Result<InvitationView, Refusal>,
}

impl crate::retry::TakeVersions for SelectionOutcome {
    fn take_versions(self, v: &StoredVersions) -> Self {
        Self {
            id: self.id,
            result: self.result.map(|view| InvitationView {
                invitation: crate::retry::TakeVersions::take_versions(view.invitation, v),
                ..view
            }),
        }
    }
}

/// What a selection is decided from.
#[derive(Clone, Copy, Debug)]
pub struct SelectionFacts<'a> {
    /// The organization the selection's rows belong to.
    pub org: &'a Organization,
    /// The selected invitations that exist, as loaded (any order; others' are ignored).
    pub invitations: &'a [Invitation],
    /// For an access edit: the client organizations the access grants roles on.
    pub clients: &'a [Organization],
    /// The organization's seats now (R3.3).
    pub seats: Seats,
}

/// The ids in their first order, each once.
pub fn distinct(ids: &[InvitationId]) -> Vec<InvitationId> {
    let mut seen = HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// Issue 11, point 1: `action` on every invitation of `ids`, in one commit, one answer per
/// distinct id in the order given. An id that does not exist, or is another organization's,
/// is [`Refusal::InvitationNotFound`] (ids cannot be probed, R10.1). Resends take seats as
/// one resend does (R3.3, R3.5): under `ClaimOnSignup` the commit needs one free seat if any
/// resend needs one; under `ReserveOnInvite` each resend of an invitation that holds no seat
/// reserves one, and those beyond the free seats are [`Refusal::NoSeatsAvailable`] one by one.
pub fn act_on_selection(
    actor: &Actor,
    facts: SelectionFacts<'_>,
    action: &SelectionAction,
    ids: &[InvitationId],
    now: DateTime<Utc>,
) -> Decision<Vec<SelectionOutcome>> {
    Decision::or_refuse((|| {
        authorize::admin_of(actor, facts.org.id)?;
        crate::bounds::check_selection(ids.len())?;
        if let SelectionAction::EditAccess(access) = action {
            access::check_access(facts.org, access, facts.clients)?;
        }
        Ok(act_on_each(actor, facts, action, ids, now))
    })())
}

/// Seats the resends of one selection take, counted as they are decided.
struct SeatTally {
    reserve: bool,
    available: u32,
    reserved: u32,
    needs_free_seat: bool,
}

impl SeatTally {
    /// R3.3, R3.5: a resend that holds no seat needs a free one, and reserves it under
    /// `ReserveOnInvite`.
    fn take(&mut self, inv: &Invitation, now: DateTime<Utc>) -> Result<(), Refusal> {
        if self.reserve && inv.reserves_seat_at(now) {
            return Ok(());
        }
        if self.available == 0 {
            return Err(Refusal::NoSeatsAvailable);
        }
        if self.reserve {
            self.available -= 1;
            self.reserved += 1;
        }
        self.needs_free_seat = true;
        Ok(())
    }

    fn check(&self) -> Option<SeatCheck> {
        match (self.reserve, self.needs_free_seat) {
            (_, false) => None,
            (false, true) => Some(SeatCheck::seats(1)),
            (true, true) => Some(SeatCheck::seats(self.reserved)),
        }
    }
}

fn act_on_each(
    actor: &Actor,
    facts: SelectionFacts<'_>,
    action: &SelectionAction,
    ids: &[InvitationId],
    now: DateTime<Utc>,
) -> Decision<Vec<SelectionOutcome>> {
    let org = facts.org;
    let loaded: HashMap<InvitationId, &Invitation> = facts
        .invitations
        .iter()
        .filter(|inv| inv.org == org.id)
        .map(|inv| (inv.id, inv))
        .collect();
    let mut seats = SeatTally {
        reserve: org.settings.seat_policy == SeatPolicy::ReserveOnInvite,
        available: facts.seats.available,
        reserved: 0,
        needs_free_seat: false,
    };
    let mut commit = Commit::new(org.id, now);
    let mut changed = false;
    let mut outcomes = Vec::new();
    for id in distinct(ids) {
        let result = (|| {
            let inv = *loaded.get(&id).ok_or(Refusal::InvitationNotFound(id))?;
            authorize::admin_of_invitation(actor, inv)?;
            let (next, audit) = match action {
                SelectionAction::Resend => {
                    let next = inv.resent(org.settings.resend_cooldown, now)?;
                    if !org.settings.channels.allows(inv.channel) {
                        return Err(Refusal::ChannelNotAllowed(inv.channel));
                    }
                    seats.take(inv, now)?;
                    commit.outbox.push(OutboxMessage::new(
                        inv.org,
                        inv.id,
                        MessageKind::Resend,
                        next.link_generation(),
                        now,
                    ));
                    (next, AuditAction::Resent)
                }
                SelectionAction::Cancel => (inv.cancelled(now)?, AuditAction::Cancelled),
                SelectionAction::EditAccess(access) => {
                    let next = inv.access_edited(access.clone(), now)?;
                    // Already this access: a second submission writes nothing.
                    if next.access() == inv.access() {
                        return Ok(view(inv.clone(), now));
                    }
                    (next, AuditAction::AccessEdited)
                }
            };
            commit.audit.push(AuditEvent::invitation(
                org.id,
                inv.id,
                actor,
                now,
                audit,
                Some(inv.status_at(now)),
                Some(next.status_at(now)),
            ));
            commit.invitations.push(Write::Update(next.clone()));
            changed = true;
            Ok(view(next, now))
        })();
        outcomes.push(SelectionOutcome { id, result });
    }
    if !changed {
        return Decision::nothing(outcomes);
    }
    commit.seat_check = seats.check();
    Decision::commit(commit, outcomes)
}

fn view(invitation: Invitation, now: DateTime<Utc>) -> InvitationView {
    let status = invitation.status_at(now);
    InvitationView {
        invitation,
        status,
        actions: status.actions(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::given::*;
    use crate::invitation::{Action, Status};
    use chrono::TimeDelta;

    fn facts<'a>(
        org: &'a Organization,
        invs: &'a [Invitation],
        seats: Seats,
    ) -> SelectionFacts<'a> {
        SelectionFacts {
            org,
            invitations: invs,
            clients: &[],
            seats,
        }
    }

    #[test]
    fn issue_11_1_a_selection_is_one_commit_with_an_answer_per_id() {
        // given two pending invitations and an id that does not exist
        let org = standalone(5);
        let invs = [
            pending(&org, "a@example.com"),
            pending(&org, "b@example.com"),
        ];
        let ghost = InvitationId::new();
        let ids = [invs[0].id, ghost, invs[1].id, invs[0].id];
        let later = now() + TimeDelta::minutes(5);
        // when the admin resends the selection
        let d = act_on_selection(
            &admin_of(&org),
            facts(&org, &invs, seats(5, 0)),
            &SelectionAction::Resend,
            &ids,
            later,
        );
        // then each distinct id is answered once, in order, and both resends are one commit
        let answers = d.answer.unwrap();
        let got: Vec<_> = answers.iter().map(|o| o.id).collect();
        assert_eq!(got, [invs[0].id, ghost, invs[1].id]);
        assert_eq!(answers[1].result, Err(Refusal::InvitationNotFound(ghost)));
        assert_eq!(answers[0].result.as_ref().unwrap().status, Status::Queued);
        let commit = d.commit.unwrap();
        assert_eq!((commit.invitations.len(), commit.outbox.len()), (2, 2));
        assert_eq!(commit.seat_check, Some(SeatCheck::seats(1)));
    }

    #[test]
    fn issue_11_1_a_second_submission_answers_what_a_second_click_would() {
        let org = standalone(5);
        let invs = [pending(&org, "a@example.com")];
        let later = now() + TimeDelta::minutes(5);
        let admin = admin_of(&org);
        let first = act_on_selection(
            &admin,
            facts(&org, &invs, seats(5, 0)),
            &SelectionAction::Cancel,
            &[invs[0].id],
            later,
        );
        let after = [first.answer.unwrap()[0].result.clone().unwrap().invitation];
        let second = act_on_selection(
            &admin,
            facts(&org, &after, seats(5, 0)),
            &SelectionAction::Cancel,
            &[invs[0].id],
            later,
        );
        assert!(second.commit.is_none());
        assert_eq!(
            second.answer.unwrap()[0].result,
            Err(Refusal::ActionNotAllowed {
                action: Action::Cancel,
                status: Status::Cancelled
            })
        );
    }

    #[test]
    fn issue_11_1_reserved_resends_beyond_the_free_seats_are_refused_one_by_one() {
        let mut org = standalone(5);
        org.settings.seat_policy = SeatPolicy::ReserveOnInvite;
        let invs = [
            expired(&org, "a@example.com"),
            expired(&org, "b@example.com"),
        ];
        let ids = [invs[0].id, invs[1].id];
        let d = act_on_selection(
            &admin_of(&org),
            facts(&org, &invs, seats(5, 4)),
            &SelectionAction::Resend,
            &ids,
            now() + TimeDelta::minutes(5),
        );
        let answers = d.answer.unwrap();
        assert!(answers[0].result.is_ok());
        assert_eq!(answers[1].result, Err(Refusal::NoSeatsAvailable));
        assert_eq!(d.commit.unwrap().seat_check, Some(SeatCheck::seats(1)));
    }
}
