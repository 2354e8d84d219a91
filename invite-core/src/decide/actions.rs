//! An admin's actions on one invitation (R5): resend, cancel, edit access, mark completed,
//! follow-up. Each is allowed in the statuses R5.1 lists (the record's transition checks) and
//! only to an admin of the invitation's organization (R10.1).

use super::{Decision, access, authorize};
use crate::access::Access;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::invitation::Invitation;
use crate::member::Seats;
use crate::org::{Organization, SeatPolicy};
use crate::outbox::{MessageKind, OutboxMessage};
use crate::refusal::Refusal;
use crate::store::{Commit, SeatCheck, Write};
use chrono::{DateTime, TimeDelta, Utc};

/// The commit of one action: the changed record and its audit event (R10.2), plus whatever
/// `extra` adds.
fn acted(
    actor: &Actor,
    before: &Invitation,
    after: Invitation,
    action: AuditAction,
    now: DateTime<Utc>,
    extra: impl FnOnce(&mut Commit),
) -> Decision<Invitation> {
    let mut commit = Commit::new(before.org, now);
    extra(&mut commit);
    commit.audit.push(AuditEvent::invitation(
        before.org,
        before.id,
        actor,
        now,
        action,
        Some(before.status_at(now)),
        Some(after.status_at(now)),
    ));
    commit.invitations.push(Write::Update(after.clone()));
    Decision::commit(commit, after)
}

/// R5.2: a resend mints a new link generation (older links die at once) and queues a new
/// delivery; the validity restarts when it is delivered. Refused within the organization's
/// cool-down of the last send (the record's transition), when the organization no longer
/// allows the channel (R1.2), and without a free seat (R3.3), unless the invitation already
/// holds one under `ReserveOnInvite` (R3.5).
pub fn resend(
    actor: &Actor,
    inv: &Invitation,
    org: &Organization,
    seats: Seats,
    now: DateTime<Utc>,
) -> Decision<Invitation> {
    Decision::or_refuse((|| {
        authorize::admin_of_invitation(actor, inv)?;
        let next = inv.resent(org.settings.resend_cooldown, now)?;
        if !org.settings.channels.allows(inv.channel) {
            return Err(Refusal::ChannelNotAllowed(inv.channel));
        }
        let holds_seat =
            org.settings.seat_policy == SeatPolicy::ReserveOnInvite && inv.reserves_seat_at(now);
        if !holds_seat && seats.available == 0 {
            return Err(Refusal::NoSeatsAvailable);
        }
        let generation = next.link_generation();
        Ok(acted(actor, inv, next, AuditAction::Resent, now, |c| {
            if !holds_seat {
                c.seat_check = Some(SeatCheck::seats(1));
            }
            c.outbox.push(OutboxMessage::new(
                inv.org,
                inv.id,
                MessageKind::Resend,
                generation,
                now,
            ));
        }))
    })())
}

/// R4.7: a cancelled invitation's links die and it leaves every list but the audit.
pub fn cancel(actor: &Actor, inv: &Invitation, now: DateTime<Utc>) -> Decision<Invitation> {
    Decision::or_refuse((|| {
        authorize::admin_of_invitation(actor, inv)?;
        let next = inv.cancelled(now)?;
        Ok(acted(actor, inv, next, AuditAction::Cancelled, now, |_| {}))
    })())
}

/// R2.8: type, permission level and grants are edited until signup, checked against the
/// organization like a new invitation's (R2.4, R2.5); the address never is.
pub fn edit_access(
    actor: &Actor,
    inv: &Invitation,
    org: &Organization,
    clients: &[Organization],
    access: Access,
    now: DateTime<Utc>,
) -> Decision<Invitation> {
    Decision::or_refuse((|| {
        authorize::admin_of_invitation(actor, inv)?;
        access::check_access(org, &access, clients)?;
        let next = inv.access_edited(access, now)?;
        Ok(acted(
            actor,
            inv,
            next,
            AuditAction::AccessEdited,
            now,
            |_| {},
        ))
    })())
}

/// R5.3: an admin marks a Never Used member completed, for users who do not need the agent.
pub fn mark_completed(actor: &Actor, inv: &Invitation, now: DateTime<Utc>) -> Decision<Invitation> {
    Decision::or_refuse((|| {
        authorize::admin_of_invitation(actor, inv)?;
        let next = inv.marked_completed(now)?;
        Ok(acted(
            actor,
            inv,
            next,
            AuditAction::MarkedCompleted,
            now,
            |_| {},
        ))
    })())
}

/// R5.4: the feature-introduction follow-up goes to a Never Used member, at most once per
/// `interval`.
pub fn send_follow_up(
    actor: &Actor,
    inv: &Invitation,
    interval: TimeDelta,
    now: DateTime<Utc>,
) -> Decision<Invitation> {
    Decision::or_refuse((|| {
        authorize::admin_of_invitation(actor, inv)?;
        let next = inv.follow_up_queued(interval, now)?;
        Ok(acted(
            actor,
            inv,
            next,
            AuditAction::FollowUpQueued,
            now,
            |c| {
                c.outbox.push(OutboxMessage::new(
                    inv.org,
                    inv.id,
                    MessageKind::FollowUp,
                    inv.link_generation(),
                    now,
                ));
            },
        ))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::given::*;
    use crate::invitation::{Action, Status};

    #[test]
    fn r5_2_a_resend_queues_a_new_generation_and_needs_a_seat() {
        // given a pending invitation, past the cool-down, in a full organization
        let org = standalone(1);
        let inv = pending(&org, "bob@example.com");
        let later = now() + TimeDelta::minutes(5);
        // when the admin resends it, then no seat refuses it
        let full = resend(&admin_of(&org), &inv, &org, seats(1, 1), later);
        assert_eq!(full.answer, Err(Refusal::NoSeatsAvailable));
        // and with one free it is queued as generation 2, with its message
        let d = resend(&admin_of(&org), &inv, &org, seats(1, 0), later);
        let commit = d.commit.unwrap();
        assert_eq!(commit.outbox[0].link_generation, 2);
        assert_eq!(commit.seat_check, Some(SeatCheck::seats(1)));
        assert_eq!(d.answer.unwrap().status_at(later), Status::Queued);
    }

    #[test]
    fn r5_2_a_double_clicked_resend_gets_one_answer_before_and_after_delivery() {
        let org = standalone(5);
        let inv = pending(&org, "bob@example.com");
        let later = now() + TimeDelta::minutes(5);
        let first = resend(&admin_of(&org), &inv, &org, seats(5, 0), later)
            .answer
            .unwrap();
        let click = later + TimeDelta::seconds(2);
        let undelivered = resend(&admin_of(&org), &first, &org, seats(5, 0), click);
        let delivered = first.delivered(2, org.settings.validity, later).unwrap();
        let after_delivery = resend(&admin_of(&org), &delivered, &org, seats(5, 0), click);
        assert!(matches!(
            undelivered.answer,
            Err(Refusal::ResendCooldown { .. })
        ));
        assert_eq!(undelivered.answer, after_delivery.answer);
    }

    #[test]
    fn r10_1_another_organizations_admin_cannot_tell_an_invitation_exists() {
        let org = standalone(5);
        let inv = pending(&org, "bob@example.com");
        let other = standalone(5);
        let d = cancel(&admin_of(&other), &inv, now());
        assert_eq!(d.answer, Err(Refusal::InvitationNotFound(inv.id)));
        let reader = Actor::read_only(org.id, "u-2", "Rita");
        assert!(matches!(
            cancel(&reader, &inv, now()).answer,
            Err(Refusal::Forbidden(_))
        ));
    }

    #[test]
    fn r5_1_mark_completed_only_for_never_used() {
        let org = standalone(5);
        let inv = pending(&org, "bob@example.com");
        let d = mark_completed(&admin_of(&org), &inv, now());
        assert_eq!(
            d.answer,
            Err(Refusal::ActionNotAllowed {
                action: Action::MarkCompleted,
                status: Status::Pending
            })
        );
    }
}
