//! The seat waitlist (issue 11, point 8): moving it when seats are free, listing it, and an
//! admin's removal of an entry. Joining it is part of an invite or a signup with
//! [`InviteOptions::waitlist`](crate::InviteOptions).
//!
//! **Where the waitlist moves.** Not in the commit that frees a seat: a seat also frees with
//! no commit at all (an invitation that expires under `ReserveOnInvite`), and the commands
//! that free seats (removing a member, cancelling, raising the limit) stay as they are.
//! Instead [`InvitationService::advance_waitlist`] moves one organization's waitlist in one
//! commit of its own, and [`InvitationService::advance_waitlists`] visits every
//! organization that has one: run it from the same background loop as
//! [`InvitationService::sweep_reminders`], or call `advance_waitlist` right after a command
//! that freed a seat. Any number of processes may run it at once (see
//! [`decide::waitlist`](crate::decide::waitlist) for why that is safe).

use super::InvitationService;
use crate::actor::Actor;
use crate::bounds;
use crate::clock::Clock;
use crate::decide::waitlist::{AdvanceFacts, movable};
use crate::decide::{self, Decision, authorize};
use crate::error::Error;
use crate::ids::{InvitationId, OrgId, WaitlistId};
use crate::refusal::Refusal;
use crate::store::Store;
use crate::waitlist::{WaitingFor, WaitlistEntry, WaitlistMove};
use serde::{Deserialize, Serialize};

/// The most entries one move of a waitlist considers: a move beyond waits for the next run.
const HEAD: u32 = 500;

/// What moving every organization's waitlist did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistReport {
    /// Organizations with a waitlist.
    pub organizations: u32,
    /// Entries that got a seat (a resend or a fresh invitation).
    pub moved: u32,
    /// Entries dropped without a seat.
    pub dropped: u32,
}

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// Moves the waitlist of `org` as far as free seats allow, first come first served, in
    /// one commit: resends and fresh invitations, each entry removed as it moves
    /// ([`decide::waitlist::advance`]). Answers what it did with each entry it took.
    pub async fn advance_waitlist(&self, org_id: OrgId) -> Result<Vec<WaitlistMove>, Error> {
        self.run(|_| async {
            let org = self.load_org(org_id).await?;
            let now = self.clock.now();
            let seats = self.store.seats(org_id, now).await?;
            let live = match self.store.dashboard(org_id, now).await? {
                Some(d) => d.counts.pending,
                None => return Err(Refusal::OrganizationNotFound(org_id).into()),
            };
            if movable(org.settings.seat_policy, seats, live) == 0 {
                return Ok(Decision::nothing(Vec::new()));
            }
            let head = self.store.waitlist(org_id, None, HEAD).await?;
            let mut ids: Vec<InvitationId> = Vec::new();
            let mut address_keys = Vec::new();
            let mut contact_keys = Vec::new();
            for e in &head {
                match &e.request {
                    WaitingFor::Signup { invitation } => ids.push(*invitation),
                    WaitingFor::Invite(ask) => {
                        address_keys.extend(ask.contact.key_for(ask.channel));
                        contact_keys.extend(ask.contact.keys());
                    }
                }
            }
            let invitations = self.store.invitations(&ids).await?;
            let open = self.store.open_invitations(org_id, &address_keys).await?;
            let members = self.store.active_members(org_id, &contact_keys).await?;
            let facts = AdvanceFacts {
                org: &org,
                seats,
                live,
                head: &head,
                invitations: &invitations,
                open: &open,
                members: &members,
            };
            Ok(decide::waitlist::advance(facts, now))
        })
        .await
    }

    /// Moves the waitlist of every organization that has one ([`Self::advance_waitlist`]),
    /// a page of organizations at a time. An organization that fails holds up no other: the
    /// rest are moved, then the first failure is answered.
    pub async fn advance_waitlists(&self) -> Result<WaitlistReport, Error> {
        let mut report = WaitlistReport::default();
        let mut first_failure = None;
        let mut after = None;
        loop {
            let orgs = self.store.organizations_with_waitlist(after, 100).await?;
            let Some(last) = orgs.last().copied() else {
                break;
            };
            for org in orgs {
                report.organizations += 1;
                match self.advance_waitlist(org).await {
                    Ok(moves) => {
                        let moved = moves.iter().filter(|m| m.takes_seat()).count() as u32;
                        report.moved += moved;
                        report.dropped += moves.len() as u32 - moved;
                    }
                    Err(e) => {
                        first_failure.get_or_insert(e);
                    }
                }
            }
            after = Some(last);
        }
        match first_failure {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// The waitlist of `org`, first come first (issue 11), a page at a time: the entries
    /// after position `after`, at most `limit` (1 to 500). Readers of the organization may
    /// list it (R10.1).
    pub async fn waitlist(
        &self,
        actor: &Actor,
        org: OrgId,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<WaitlistEntry>, Error> {
        authorize::reader_of(actor, org)?;
        bounds::check_page_size(limit)?;
        self.load_org(org).await?;
        Ok(self.store.waitlist(org, after, limit).await?)
    }

    /// An admin removes an entry from their organization's waitlist: it takes no seat.
    /// Refused with [`Refusal::WaitlistEntryNotFound`] for an entry that is gone, or that the
    /// actor cannot read (no probing of ids, R10.1).
    pub async fn remove_from_waitlist(
        &self,
        actor: &Actor,
        entry: WaitlistId,
    ) -> Result<(), Error> {
        self.run(|_| async {
            let found = self.store.waitlist_entry(entry).await?;
            let Some(e) = found.filter(|e| authorize::reader_of(actor, e.org).is_ok()) else {
                return Ok(Decision::refuse(Refusal::WaitlistEntryNotFound(entry)));
            };
            Ok(decide::waitlist::remove(actor, &e, self.clock.now()))
        })
        .await
    }
}
