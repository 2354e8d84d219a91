//! Every change an invitation makes to itself. Each transition checks that the record's state
//! allows it and answers the new record, or the [`Refusal`] that says why not; the record it
//! is called on is left as it was. These are the only places an invitation's status facts are
//! assigned.
//!
//! Admin actions (resend, cancel, edit access, mark completed, follow-up) are refused with
//! [`Refusal::ActionNotAllowed`] when the status does not offer the action (R5.1); the
//! transitions the library's own workers and the invitee cause refuse with
//! [`Refusal::TransitionNotAllowed`], which a caller normally never sees: the decision that
//! asks for one has already checked that it applies.

use super::{
    Action, CloseReason, CompletedBy, FailureReason, Invitation, InvitationOptions, Sender, Status,
    Transition,
};
use crate::access::Access;
use crate::clock::saturating_add;
use crate::contact::{Channel, Contact};
use crate::error::Refusal;
use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use chrono::{DateTime, TimeDelta, Utc};

/// What a new invitation is made of (R2.1, R2.4, R2.5, R2.10, R2.11).
#[derive(Clone, Debug, PartialEq)]
pub struct NewInvitation {
    /// The organization sending it (R2.6).
    pub org: OrgId,
    /// Where the invitee can be reached.
    pub contact: Contact,
    /// The channel to deliver by; the contact must have an address for it.
    pub channel: Channel,
    /// Type and access, already checked against the organization.
    pub access: Access,
    /// The application's own user id to tie it to (R2.11).
    pub user_ref: Option<UserRef>,
    /// Who sends it (R2.10).
    pub sender: Sender,
}

impl Invitation {
    /// A new invitation, queued for delivery (R4.1) with its first link generation. Refused
    /// with [`Refusal::Unreachable`] if the contact has no address for the channel.
    pub fn queued(new: NewInvitation, now: DateTime<Utc>) -> Result<Self, Refusal> {
        Self::queued_with(new, InvitationOptions::default(), now)
    }

    /// [`Invitation::queued`] with the options it keeps for life (issue 11), already checked
    /// against its organization ([`InviteOptions::checked`](super::InviteOptions::checked)).
    pub fn queued_with(
        new: NewInvitation,
        options: InvitationOptions,
        now: DateTime<Utc>,
    ) -> Result<Self, Refusal> {
        if !new.contact.reachable_by(new.channel) {
            return Err(Refusal::Unreachable {
                address: new.contact.to_string(),
                channel: new.channel,
            });
        }
        Ok(Self {
            id: InvitationId::new(),
            org: new.org,
            contact: new.contact,
            channel: new.channel,
            sender: new.sender,
            created_at: now,
            access: new.access,
            user_ref: new.user_ref,
            last_invited_at: now,
            send_count: 0,
            last_sent_at: None,
            expires_at: None,
            awaiting_delivery: true,
            link_generation: 1,
            failure: None,
            signed_up_at: None,
            member: None,
            first_login_at: None,
            completed: None,
            last_follow_up_at: None,
            closed: None,
            options,
            version: 0,
        })
    }

    fn refuse(&self, transition: Transition, now: DateTime<Utc>) -> Refusal {
        Refusal::TransitionNotAllowed {
            transition,
            status: self.status_at(now),
        }
    }

    fn require_action(&self, action: Action, now: DateTime<Utc>) -> Result<(), Refusal> {
        let status = self.status_at(now);
        match status.allows(action) {
            true => Ok(()),
            false => Err(Refusal::ActionNotAllowed { action, status }),
        }
    }

    /// The message of link generation `generation` was delivered at `now` (R2.10, R4.2): the
    /// send is counted and the validity period starts (R4.3). Refused once the invitation is
    /// closed or signed up, or if a resend made the message's generation obsolete.
    pub fn delivered(
        &self,
        generation: u32,
        validity: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Self, Refusal> {
        if !self.is_open() || generation != self.link_generation {
            return Err(self.refuse(Transition::Delivered, now));
        }
        Ok(Self {
            send_count: self.send_count.saturating_add(1),
            last_sent_at: Some(now),
            expires_at: Some(crate::clock::period_end(now, validity)),
            awaiting_delivery: false,
            ..self.clone()
        })
    }

    /// Delivery failed for good (R4.4, R7.2): the invitation becomes Failed with `reason`.
    /// `generation` is the failed message's link generation for an invitation or resend
    /// message, `None` for a reminder or follow-up (which fail the invitation whatever its
    /// generation). Refused once the invitation is closed or signed up, or for an obsolete
    /// generation.
    pub fn delivery_failed(
        &self,
        generation: Option<u32>,
        reason: FailureReason,
        now: DateTime<Utc>,
    ) -> Result<Self, Refusal> {
        let obsolete = generation.is_some_and(|g| g != self.link_generation);
        if !self.is_open() || obsolete {
            return Err(self.refuse(Transition::DeliveryFailed, now));
        }
        Ok(Self {
            failure: Some(reason),
            awaiting_delivery: false,
            ..self.clone()
        })
    }

    /// Resent by an admin (R5.2): a new link generation (older links die at once), a new
    /// delivery awaited, the failure forgotten. Refused with [`Refusal::ResendCooldown`]
    /// within `cooldown` of the last invitation or resend request, whatever the status, so a
    /// double click gets the very same answer whether or not the first resend was delivered in
    /// between; then with [`Refusal::ActionNotAllowed`] if the status offers no resend (R5.1).
    /// A record whose generation cannot grow any more (written by hand at `u32::MAX`) is
    /// refused with [`Refusal::OutOfRange`]: a resend that kept the old links alive would
    /// break R5.2.
    pub fn resent(&self, cooldown: TimeDelta, now: DateTime<Utc>) -> Result<Self, Refusal> {
        let retry_after = saturating_add(self.last_invited_at, cooldown);
        if self.is_open() && now < retry_after {
            return Err(Refusal::ResendCooldown { retry_after });
        }
        self.require_action(Action::Resend, now)?;
        let Some(link_generation) = self.link_generation.checked_add(1) else {
            return Err(Refusal::OutOfRange {
                field: "link_generation".into(),
                allowed: "fewer than 4,294,967,295 resends of one invitation".into(),
            });
        };
        Ok(Self {
            link_generation,
            awaiting_delivery: true,
            failure: None,
            last_invited_at: now,
            ..self.clone()
        })
    }

    /// Cancelled by an admin (R4.7): its links die and it leaves every list but the audit.
    pub fn cancelled(&self, now: DateTime<Utc>) -> Result<Self, Refusal> {
        self.require_action(Action::Cancel, now)?;
        Ok(Self {
            closed: Some((now, CloseReason::CancelledByAdmin)),
            awaiting_delivery: false,
            ..self.clone()
        })
    }

    /// Type, permission level and grants edited, until signup (R2.8). The address never
    /// changes: a wrong one is fixed by cancelling and inviting again.
    pub fn access_edited(&self, access: Access, now: DateTime<Utc>) -> Result<Self, Refusal> {
        self.require_action(Action::EditAccess, now)?;
        Ok(Self {
            access,
            ..self.clone()
        })
    }

    /// Why a link of generation `generation` cannot sign up now (R6.2), each case with its
    /// own refusal, in this order: used, cancelled (or superseded by a replacing invitation),
    /// superseded by a resend, failed earlier, expired. `None` if it can.
    pub fn link_refusal(&self, generation: u32, now: DateTime<Utc>) -> Option<Refusal> {
        if self.signed_up_at.is_some() {
            return Some(Refusal::LinkAlreadyUsed);
        }
        if let Some((_, reason)) = &self.closed {
            return Some(match reason {
                CloseReason::Replaced(_) => Refusal::LinkSuperseded,
                _ => Refusal::LinkCancelled,
            });
        }
        if generation < self.link_generation {
            return Some(Refusal::LinkSuperseded);
        }
        if self.failure.is_some() {
            return Some(Refusal::InvitationFailed);
        }
        if self.status_at(now) == Status::Expired {
            return Some(Refusal::LinkExpired);
        }
        None
    }

    /// Signed up with a link of `generation` (R6.2, R6.3): Never Used from now on (R4.5),
    /// tied to `member`. The invitation takes the application's user id if it had none
    /// (R2.11). Refused with the link's refusal if the link cannot sign up.
    pub fn signed_up(
        &self,
        generation: u32,
        member: MemberId,
        user_ref: Option<UserRef>,
        now: DateTime<Utc>,
    ) -> Result<Self, Refusal> {
        if let Some(refusal) = self.link_refusal(generation, now) {
            return Err(refusal);
        }
        Ok(Self {
            signed_up_at: Some(now),
            member: Some(member),
            awaiting_delivery: false,
            user_ref: self.user_ref.clone().or(user_ref),
            ..self.clone()
        })
    }

    /// The signup with a link of `generation` found no free seat (R3.2): the invitation
    /// becomes Failed with the reason "seats exhausted". Refused, with the link's refusal, if
    /// the link could not have signed up anyway.
    pub fn signup_refused_for_seats(
        &self,
        generation: u32,
        now: DateTime<Utc>,
    ) -> Result<Self, Refusal> {
        if let Some(refusal) = self.link_refusal(generation, now) {
            return Err(refusal);
        }
        Ok(Self {
            failure: Some(FailureReason::SeatsExhausted),
            awaiting_delivery: false,
            ..self.clone()
        })
    }

    /// The member's first login (R6.4): Never Used becomes Completed; one an admin marked
    /// completed keeps that. Refused before signup and after the first login was recorded.
    pub fn first_login(&self, now: DateTime<Utc>) -> Result<Self, Refusal> {
        if self.signed_up_at.is_none() || self.first_login_at.is_some() {
            return Err(self.refuse(Transition::FirstLogin, now));
        }
        Ok(Self {
            first_login_at: Some(now),
            completed: self.completed.or(Some((now, CompletedBy::FirstLogin))),
            ..self.clone()
        })
    }

    /// Marked completed by an admin, for a user who does not need the agent (R5.3).
    pub fn marked_completed(&self, now: DateTime<Utc>) -> Result<Self, Refusal> {
        self.require_action(Action::MarkCompleted, now)?;
        Ok(Self {
            completed: Some((now, CompletedBy::Admin)),
            ..self.clone()
        })
    }

    /// A follow-up queued to a Never Used member (R5.4), at most once per `interval`:
    /// refused with [`Refusal::FollowUpTooSoon`] before it has passed.
    pub fn follow_up_queued(
        &self,
        interval: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Self, Refusal> {
        self.require_action(Action::SendFollowUp, now)?;
        if let Some(last) = self.last_follow_up_at {
            let retry_after = saturating_add(last, interval);
            if now < retry_after {
                return Err(Refusal::FollowUpTooSoon { retry_after });
            }
        }
        Ok(Self {
            last_follow_up_at: Some(now),
            ..self.clone()
        })
    }

    /// Replaced by the new invitation `by` to the same address (R2.7): closed, so one row per
    /// address stays in the lists. Only an open invitation that is no longer live (Expired or
    /// Failed) can be replaced; a live one makes the new invite `AlreadyInvited`.
    pub fn replaced(&self, by: InvitationId, now: DateTime<Utc>) -> Result<Self, Refusal> {
        if !self.is_open() || self.status_at(now).is_live() {
            return Err(self.refuse(Transition::Replaced, now));
        }
        Ok(Self {
            closed: Some((now, CloseReason::Replaced(by))),
            awaiting_delivery: false,
            ..self.clone()
        })
    }

    /// The member who signed up with it was removed (R3.6): it leaves the lists.
    pub fn member_removed(&self, now: DateTime<Utc>) -> Result<Self, Refusal> {
        if self.signed_up_at.is_none() || self.closed.is_some() {
            return Err(self.refuse(Transition::MemberRemoved, now));
        }
        Ok(Self {
            closed: Some((now, CloseReason::MemberRemoved)),
            ..self.clone()
        })
    }

    /// The user id to give a replacement (R2.11): the one this call names, else the one of
    /// the invitation whose place it takes.
    pub(crate) fn user_ref_for_replacement(&self, given: Option<UserRef>) -> Option<UserRef> {
        given.or_else(|| self.user_ref.clone())
    }
}

#[cfg(test)]
mod tests {
    //! Each transition, given a record in a state, when applied, then the new facts or the
    //! refusal.
    use super::*;
    use crate::access::Role;

    fn now() -> DateTime<Utc> {
        "2026-03-02T09:00:00Z".parse().expect("an instant")
    }

    fn queued() -> Invitation {
        Invitation::queued(
            NewInvitation {
                org: OrgId::new(),
                contact: Contact::parse_email("bob@example.com").expect("valid"),
                channel: Channel::Email,
                access: Access::user(Role::ReadOnly),
                user_ref: None,
                sender: Sender {
                    user: "u-1".into(),
                    name: "Ann Lee".into(),
                },
            },
            now(),
        )
        .expect("reachable")
    }

    fn pending() -> Invitation {
        queued()
            .delivered(1, TimeDelta::hours(72), now())
            .expect("delivers")
    }

    fn signed_up() -> Invitation {
        pending()
            .signed_up(1, MemberId::new(), None, now())
            .expect("signs up")
    }

    #[test]
    fn r4_1_a_new_invitation_is_queued_and_an_unreachable_contact_is_refused() {
        let inv = queued();
        assert_eq!(inv.status_at(now()), Status::Queued);
        assert_eq!((inv.link_generation(), inv.send_count()), (1, 0));
        let phone_only = NewInvitation {
            contact: Contact::parse_phone("+79051111111").expect("valid"),
            ..NewInvitation {
                org: inv.org,
                contact: inv.contact.clone(),
                channel: Channel::Email,
                access: inv.access().clone(),
                user_ref: None,
                sender: inv.sender.clone(),
            }
        };
        assert!(matches!(
            Invitation::queued(phone_only, now()),
            Err(Refusal::Unreachable { .. })
        ));
    }

    #[test]
    fn r4_3_delivery_starts_the_validity_period_and_a_huge_one_never_ends() {
        let inv = pending();
        assert_eq!(inv.expires_at(), Some(now() + TimeDelta::hours(72)));
        assert_eq!(inv.status_at(now() + TimeDelta::hours(72)), Status::Expired);
        let forever = queued()
            .delivered(1, TimeDelta::MAX, now())
            .expect("delivers");
        assert_eq!(forever.expires_at(), Some(DateTime::<Utc>::MAX_UTC));
        assert_eq!(
            queued().delivered(2, TimeDelta::hours(1), now()),
            Err(Refusal::TransitionNotAllowed {
                transition: Transition::Delivered,
                status: Status::Queued
            })
        );
    }

    #[test]
    fn r5_2_resend_within_the_cooldown_is_refused_the_same_before_and_after_delivery() {
        let cooldown = TimeDelta::seconds(60);
        let later = now() + TimeDelta::seconds(120);
        let resent = pending().resent(cooldown, later).expect("resends");
        assert_eq!(resent.status_at(later), Status::Queued);
        assert_eq!(resent.link_generation(), 2);
        let double_click = later + TimeDelta::seconds(1);
        let before_delivery = resent.resent(cooldown, double_click);
        let delivered = resent.delivered(2, TimeDelta::hours(72), later).unwrap();
        let after_delivery = delivered.resent(cooldown, double_click);
        assert_eq!(before_delivery, after_delivery);
        assert!(matches!(
            before_delivery,
            Err(Refusal::ResendCooldown { .. })
        ));
        // A cool-down that overflows time never ends and never panics.
        assert!(matches!(
            pending().resent(TimeDelta::MAX, later),
            Err(Refusal::ResendCooldown { retry_after }) if retry_after == DateTime::<Utc>::MAX_UTC
        ));
    }

    #[test]
    fn r5_1_actions_outside_their_statuses_are_refused() {
        let inv = signed_up();
        assert_eq!(
            inv.cancelled(now()),
            Err(Refusal::ActionNotAllowed {
                action: Action::Cancel,
                status: Status::NeverUsed
            })
        );
        assert!(matches!(
            queued().marked_completed(now()),
            Err(Refusal::ActionNotAllowed { .. })
        ));
        assert!(inv.marked_completed(now()).is_ok());
    }

    #[test]
    fn r6_2_each_dead_link_has_its_own_refusal() {
        let t = now();
        assert_eq!(
            signed_up().link_refusal(1, t),
            Some(Refusal::LinkAlreadyUsed)
        );
        let cancelled = pending().cancelled(t).unwrap();
        assert_eq!(cancelled.link_refusal(1, t), Some(Refusal::LinkCancelled));
        let resent = pending().resent(TimeDelta::zero(), t).unwrap();
        assert_eq!(resent.link_refusal(1, t), Some(Refusal::LinkSuperseded));
        let expired_at = t + TimeDelta::hours(72);
        assert_eq!(
            pending().link_refusal(1, expired_at),
            Some(Refusal::LinkExpired)
        );
        let replaced = pending().replaced(InvitationId::new(), expired_at).unwrap();
        assert_eq!(
            replaced.link_refusal(1, expired_at),
            Some(Refusal::LinkSuperseded)
        );
        let failed = pending()
            .delivery_failed(None, FailureReason::DeliveryRejected("550".into()), t)
            .unwrap();
        assert_eq!(failed.link_refusal(1, t), Some(Refusal::InvitationFailed));
        assert_eq!(pending().link_refusal(1, t), None);
    }

    #[test]
    fn r3_2_a_signup_without_a_seat_fails_the_invitation() {
        let failed = pending().signup_refused_for_seats(1, now()).unwrap();
        assert_eq!(failed.status_at(now()), Status::Failed);
        assert_eq!(failed.failure(), Some(&FailureReason::SeatsExhausted));
    }

    #[test]
    fn r6_4_the_first_login_completes_once() {
        let done = signed_up().first_login(now()).unwrap();
        assert_eq!(done.status_at(now()), Status::Completed);
        assert_eq!(done.completed().map(|c| c.1), Some(CompletedBy::FirstLogin));
        assert!(done.first_login(now()).is_err());
        assert!(pending().first_login(now()).is_err());
        let marked = signed_up().marked_completed(now()).unwrap();
        let logged_in = marked.first_login(now()).unwrap();
        assert_eq!(logged_in.completed().map(|c| c.1), Some(CompletedBy::Admin));
    }

    #[test]
    fn r2_7_only_an_expired_or_failed_open_invitation_is_replaced() {
        let by = InvitationId::new();
        assert!(pending().replaced(by, now()).is_err());
        let later = now() + TimeDelta::hours(73);
        let replaced = pending().replaced(by, later).unwrap();
        assert_eq!(replaced.status_at(later), Status::Cancelled);
        assert!(signed_up().replaced(by, later).is_err());
    }

    #[test]
    fn r5_4_follow_ups_at_most_once_per_interval() {
        let day = TimeDelta::days(1);
        let once = signed_up().follow_up_queued(day, now()).unwrap();
        assert!(matches!(
            once.follow_up_queued(day, now() + TimeDelta::hours(23)),
            Err(Refusal::FollowUpTooSoon { .. })
        ));
        assert!(once.follow_up_queued(day, now() + day).is_ok());
    }
}
