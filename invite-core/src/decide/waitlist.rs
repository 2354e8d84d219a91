//! The seat waitlist's decisions (issue 11, point 8): joining it from a signup refused for
//! seats, moving it when seats are free, and an admin's removal of an entry. Joining it from
//! an invite is part of the invite ([`super::invite::invite_with`]).
//!
//! **How far the waitlist moves.** Under `ReserveOnInvite` every invitation the waitlist
//! moves holds a seat, so it moves as many entries as seats are available, and the store's
//! seat check (`SeatCheck::seats(moved)`, [`SeatCheck::verdict`]) refuses a commit that would
//! reserve more than are free at commit time. Under `ClaimOnSignup` live invitations hold no
//! seat, so the waitlist moves only the seats that no live invitation could claim
//! (available − live invitations): it never invites more people than there are seats, and a
//! signup still claims its seat at commit time (R3.4). The store checks the same at commit
//! time: the move's [`SeatCheck::free_of_live`] has it count every live invitation as
//! holding a seat under either policy, so a mover that decided on stale counts is refused
//! and decides again. Entries are taken first come first
//! served; an entry whose request cannot be done any more is dropped without taking a seat.
//!
//! **Race safety.** A move removes its entries in the same commit as the resends and
//! invitations it makes; the store refuses a commit that removes an entry already gone, so
//! two processes moving one waitlist at once move each entry once: the second decides again
//! on what the first left.

use super::Decision;
use super::authorize;
use super::invite::queue_invitation;
use super::options::wait_for_seat;
use super::signup::{Signup, SignupFacts, sign_up};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::contact::Channel;
use crate::ids::UserRef;
use crate::invitation::{Invitation, NewInvitation};
use crate::member::{Member, Seats};
use crate::org::{Organization, SeatPolicy};
use crate::outbox::{MessageKind, OutboxMessage};
use crate::refusal::Refusal;
use crate::store::{Commit, SeatCheck, Write};
use crate::waitlist::{WaitingFor, WaitingInvite, WaitlistEntry, WaitlistMove, WaitlistWrite};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, HashSet};

/// R3.2 with the waitlist: [`sign_up`], and when it is refused for seats and the invitation
/// asked for the waitlist ([`InviteOptions::waitlist`](crate::InviteOptions)), the invitee
/// joins it in the same commit as the invitation's move to Failed (unless waiting already:
/// `waiting` holds the organization's entries at the invitation's address key). The answer is
/// still [`Refusal::SeatsExhausted`]; [`InvitationService::waitlist`](crate::InvitationService)
/// lists the entry.
pub fn sign_up_or_wait(
    facts: SignupFacts<'_>,
    waiting: &[WaitlistEntry],
    user_ref: Option<UserRef>,
    now: DateTime<Utc>,
) -> Decision<Signup> {
    let mut d = sign_up(facts, user_ref, now);
    let inv = facts.invitation;
    if let (Err(Refusal::SeatsExhausted), Some(commit)) = (&d.answer, d.commit.as_mut()) {
        if inv.options().waitlist {
            let request = WaitingFor::Signup { invitation: inv.id };
            let key = inv.address_key();
            wait_for_seat(commit, &Actor::Invitee, waiting, key, request, now);
        }
    }
    d
}

/// What moving a waitlist is decided from.
#[derive(Clone, Copy, Debug)]
pub struct AdvanceFacts<'a> {
    /// The organization.
    pub org: &'a Organization,
    /// Its seats now (R3.1).
    pub seats: Seats,
    /// Its live (Queued or Pending) invitations now: under `ClaimOnSignup` each may still
    /// claim a seat.
    pub live: u64,
    /// The first entries of its waitlist, in order.
    pub head: &'a [WaitlistEntry],
    /// The invitations the head's signup entries name, as loaded.
    pub invitations: &'a [Invitation],
    /// Open invitations of the organization at the head's invite entries' address keys.
    pub open: &'a [Invitation],
    /// Active members of the organization at the head's invite entries' contact keys.
    pub members: &'a [Member],
}

/// The entries the waitlist of an organization may move now: under `ReserveOnInvite` the
/// seats available; under `ClaimOnSignup` those no live invitation could claim.
///
/// ```
/// use invite_core::decide::waitlist::movable;
/// use invite_core::{SeatPolicy, Seats};
/// assert_eq!(movable(SeatPolicy::ReserveOnInvite, Seats::new(5, 3), 2), 2);
/// assert_eq!(movable(SeatPolicy::ClaimOnSignup, Seats::new(5, 2), 2), 1);
/// assert_eq!(movable(SeatPolicy::ClaimOnSignup, Seats::new(5, 5), 0), 0);
/// ```
pub fn movable(policy: SeatPolicy, seats: Seats, live: u64) -> u32 {
    match policy {
        SeatPolicy::ReserveOnInvite => seats.available,
        SeatPolicy::ClaimOnSignup => {
            let live = u32::try_from(live).unwrap_or(u32::MAX);
            seats.available.saturating_sub(live)
        }
    }
}

/// Moves the waitlist of `facts.org` (issue 11): in order, while fewer than [`movable`]
/// entries have moved, a signup entry's Failed or Expired invitation is resent, an invite
/// entry's invitee invited afresh (replacing an Expired or Failed open invitation, R2.7); an
/// entry that can no longer be done (its invitation cancelled, signed up or live again, the
/// address a member or live-invited already, the channel no longer allowed) is dropped and
/// takes no seat. Each moved entry is removed in the same commit, which needs the seats it
/// moves (R3.3, R3.4, R3.5). The library's own workers act: the audit names
/// [`Actor::System`].
pub fn advance(facts: AdvanceFacts<'_>, now: DateTime<Utc>) -> Decision<Vec<WaitlistMove>> {
    let org = facts.org;
    let free = movable(org.settings.seat_policy, facts.seats, facts.live);
    if free == 0 {
        return Decision::nothing(Vec::new());
    }
    let invitations: HashMap<_, _> = facts.invitations.iter().map(|i| (i.id, i)).collect();
    let open: HashMap<String, &Invitation> =
        facts.open.iter().map(|i| (i.address_key(), i)).collect();
    let members: HashSet<String> = facts
        .members
        .iter()
        .flat_map(|m| m.contact.keys())
        .collect();
    let actor = &Actor::System;
    let mut commit = Commit::new(org.id, now);
    let mut moves = Vec::new();
    let mut moved = 0u32;
    for entry in facts.head {
        if moved == free {
            break;
        }
        let result = match &entry.request {
            WaitingFor::Signup { invitation } => match invitations.get(invitation) {
                Some(inv) => resend(&mut commit, org, inv, now),
                None => Err(Refusal::InvitationNotFound(*invitation)),
            },
            WaitingFor::Invite(ask) => invite(&mut commit, org, ask, &open, &members, now),
        };
        commit.waitlist.push(WaitlistWrite::Remove(entry.id));
        let (action, step) = match result {
            Ok((invitation, true)) => (
                AuditAction::WaitlistMoved { entry: entry.id },
                WaitlistMove::Resent {
                    entry: entry.id,
                    invitation,
                },
            ),
            Ok((invitation, false)) => (
                AuditAction::WaitlistMoved { entry: entry.id },
                WaitlistMove::Invited {
                    entry: entry.id,
                    invitation,
                },
            ),
            Err(refusal) => (
                AuditAction::WaitlistRemoved { entry: entry.id },
                WaitlistMove::Dropped {
                    entry: entry.id,
                    reason: refusal.code().to_owned(),
                },
            ),
        };
        moved += u32::from(step.takes_seat());
        commit
            .audit
            .push(AuditEvent::organization(org.id, actor, now, action));
        moves.push(step);
    }
    if moves.is_empty() {
        return Decision::nothing(moves);
    }
    if moved > 0 {
        commit.seat_check = Some(SeatCheck::free_of_live(moved));
    }
    Decision::commit(commit, moves)
}

/// A signup entry's invitation resent by the waitlist (R5.2 without the cool-down: no double
/// click to guard against). Answers the invitation and `true`.
fn resend(
    commit: &mut Commit,
    org: &Organization,
    inv: &Invitation,
    now: DateTime<Utc>,
) -> Result<(crate::ids::InvitationId, bool), Refusal> {
    if inv.status_at(now).is_live() {
        return Err(Refusal::AlreadyInvited {
            address: inv.address(),
        });
    }
    if !org.settings.channels.allows(inv.channel) {
        return Err(Refusal::ChannelNotAllowed(inv.channel));
    }
    let next = inv.resent(TimeDelta::zero(), now)?;
    commit.outbox.push(OutboxMessage::new(
        inv.org,
        inv.id,
        MessageKind::Resend,
        next.link_generation(),
        now,
    ));
    commit.audit.push(AuditEvent::invitation(
        inv.org,
        inv.id,
        &Actor::System,
        now,
        AuditAction::Resent,
        Some(inv.status_at(now)),
        Some(next.status_at(now)),
    ));
    commit.invitations.push(Write::Update(next));
    Ok((inv.id, true))
}

/// An invite entry's fresh invitation (R2.7 as an invite decides it). Answers the new
/// invitation and `false`.
fn invite(
    commit: &mut Commit,
    org: &Organization,
    ask: &WaitingInvite,
    open: &HashMap<String, &Invitation>,
    members: &HashSet<String>,
    now: DateTime<Utc>,
) -> Result<(crate::ids::InvitationId, bool), Refusal> {
    let address = || match ask.channel {
        Channel::Email => ask.contact.email_address().map(|e| e.to_string()),
        Channel::Sms => ask.contact.phone_number().map(|p| p.to_string()),
    };
    let address = address().unwrap_or_else(|| ask.contact.to_string());
    if !org.settings.channels.allows(ask.channel) {
        return Err(Refusal::ChannelNotAllowed(ask.channel));
    }
    if ask.contact.keys().iter().any(|k| members.contains(k)) {
        return Err(Refusal::AlreadyMember { address });
    }
    let key = ask.contact.key_for(ask.channel).unwrap_or_default();
    let replaced = open.get(&key).copied();
    if replaced.is_some_and(|old| old.status_at(now).is_live()) {
        return Err(Refusal::AlreadyInvited { address });
    }
    let new = NewInvitation {
        org: org.id,
        contact: ask.contact.clone(),
        channel: ask.channel,
        access: ask.access.clone(),
        user_ref: match replaced {
            Some(old) => old.user_ref_for_replacement(ask.user_ref.clone()),
            None => ask.user_ref.clone(),
        },
        sender: ask.sender.clone(),
    };
    let inv = Invitation::queued_with(new, ask.options.clone(), now)?;
    if let Some(old) = replaced {
        let closed = old.replaced(inv.id, now)?;
        commit.audit.push(AuditEvent::invitation(
            org.id,
            old.id,
            &Actor::System,
            now,
            AuditAction::Replaced { by: inv.id },
            Some(old.status_at(now)),
            Some(closed.status_at(now)),
        ));
        commit.invitations.push(Write::Update(closed));
    }
    queue_invitation(commit, &Actor::System, &inv, now);
    Ok((inv.id, false))
}

/// An admin removes an entry from their organization's waitlist (R10.1): it takes no seat.
pub fn remove(actor: &Actor, entry: &WaitlistEntry, now: DateTime<Utc>) -> Decision<()> {
    Decision::or_refuse((|| {
        authorize::admin_of(actor, entry.org)?;
        authorize::sender(actor)?;
        let mut commit = Commit::new(entry.org, now);
        commit.waitlist.push(WaitlistWrite::Remove(entry.id));
        commit.audit.push(AuditEvent::organization(
            entry.org,
            actor,
            now,
            AuditAction::WaitlistRemoved { entry: entry.id },
        ));
        Ok(Decision::commit(commit, ()))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::given::*;
    use crate::ids::WaitlistId;
    use crate::invitation::{InvitationOptions, Sender, Status};

    fn waiting_invite(org: &Organization, address: &str, position: u64) -> WaitlistEntry {
        WaitlistEntry {
            id: WaitlistId::new(),
            org: org.id,
            address_key: address.into(),
            joined_at: now(),
            request: WaitingFor::Invite(Box::new(WaitingInvite {
                contact: email(address),
                channel: Channel::Email,
                access: read_only(),
                user_ref: None,
                sender: Sender {
                    user: "u-admin".into(),
                    name: "Ann Lee".into(),
                },
                options: InvitationOptions::default(),
            })),
            position,
        }
    }

    fn facts<'a>(
        org: &'a Organization,
        seats: Seats,
        live: u64,
        head: &'a [WaitlistEntry],
    ) -> AdvanceFacts<'a> {
        AdvanceFacts {
            org,
            seats,
            live,
            head,
            invitations: &[],
            open: &[],
            members: &[],
        }
    }

    #[test]
    fn the_waitlist_moves_first_come_first_served_as_far_as_seats_are_free() {
        // given three waiting invitees and two seats no live invitation could claim
        let org = standalone(5);
        let head: Vec<_> = ["a@x.io", "b@x.io", "c@x.io"]
            .iter()
            .enumerate()
            .map(|(i, a)| waiting_invite(&org, a, i as u64 + 1))
            .collect();
        // when the waitlist moves
        let d = advance(facts(&org, seats(5, 2), 1, &head), now());
        // then the first two are invited, in one commit that needs their two seats
        let moves = d.answer.unwrap();
        assert_eq!(moves.len(), 2);
        assert!(moves.iter().all(WaitlistMove::takes_seat));
        let commit = d.commit.unwrap();
        assert_eq!(commit.seat_check, Some(SeatCheck::free_of_live(2)));
        let invited: Vec<_> = commit
            .invitations
            .iter()
            .map(|w| w.record().address())
            .collect();
        assert_eq!(invited, ["a@x.io", "b@x.io"]);
        assert_eq!(
            commit.waitlist,
            vec![
                WaitlistWrite::Remove(head[0].id),
                WaitlistWrite::Remove(head[1].id)
            ]
        );
    }

    #[test]
    fn an_entry_that_cannot_be_done_is_dropped_and_takes_no_seat() {
        // given a waiting invitee who was invited meanwhile, then one who was not
        let org = standalone(5);
        let live = pending(&org, "a@x.io");
        let head = [
            waiting_invite(&org, "a@x.io", 1),
            waiting_invite(&org, "b@x.io", 2),
        ];
        let mut f = facts(&org, seats(5, 3), 0, &head);
        let open = [live];
        f.open = &open;
        // when the waitlist moves with one seat free
        let d = advance(
            AdvanceFacts {
                seats: seats(5, 4),
                ..f
            },
            now(),
        );
        // then the first is dropped and the second invited
        let moves = d.answer.unwrap();
        assert!(
            matches!(&moves[0], WaitlistMove::Dropped { reason, .. } if reason == "already_invited")
        );
        assert!(matches!(moves[1], WaitlistMove::Invited { .. }));
        let commit = d.commit.unwrap();
        assert_eq!(commit.seat_check, Some(SeatCheck::free_of_live(1)));
        assert_eq!(
            commit.invitations[0].record().status_at(now()),
            Status::Queued
        );
    }

    #[test]
    fn no_free_seat_moves_nothing() {
        let org = standalone(2);
        let head = [waiting_invite(&org, "a@x.io", 1)];
        let d = advance(facts(&org, seats(2, 1), 1, &head), now());
        assert!(d.commit.is_none());
        assert_eq!(d.answer.unwrap(), vec![]);
    }
}
