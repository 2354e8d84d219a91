//! The audit trail (R10.2): every change, with actor, time and before/after status.

use crate::access::Access;
use crate::actor::Actor;
use crate::ids::{AuditId, InvitationId, MemberId, OrgId, WaitlistId};
use crate::invitation::Status;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AuditAction {
    /// An organization was registered.
    OrganizationCreated,
    /// The vendor changed the seat limit (R3.6).
    SeatLimitChanged {
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// The vendor changed the seat policy (R3.5).
    SeatPolicyChanged,
    /// An admin switched daily reminders on or off (R8.4).
    RemindersSwitched {
        /// The new state.
        enabled: bool,
    },
    /// Other settings changed.
    SettingsChanged,
    /// An invitation was created and queued.
    Invited,
    /// An expired or failed invitation was replaced by a new one to the same address (R2.7).
    Replaced {
        /// The new invitation.
        by: InvitationId,
    },
    /// A new link was queued; older links died (R5.2).
    Resent,
    /// An admin cancelled (R4.7).
    Cancelled,
    /// Type or access edited (R2.8).
    AccessEdited,
    /// The invitation or resend message was delivered; the validity period starts.
    Delivered,
    /// A delivery attempt failed transiently and will be retried (R7.2).
    DeliveryRetried {
        /// The notifier's reason.
        reason: String,
    },
    /// Delivery failed for good (R7.2).
    DeliveryFailed {
        /// The notifier's reason.
        reason: String,
    },
    /// A reminder was queued (R8).
    ReminderQueued,
    /// A follow-up was queued (R5.4).
    FollowUpQueued,
    /// The invitee signed up and took a seat (R3.2).
    SignedUp {
        /// The new member.
        member: MemberId,
    },
    /// Signup failed because no seat was free (R3.2).
    SignupFailedSeatsExhausted,
    /// The application reported the first login (R6.4).
    FirstLogin,
    /// An admin marked the invitation completed (R5.3).
    MarkedCompleted,
    /// A member was added without an invitation (for example the organization's first admin).
    MemberAdded {
        /// The member.
        member: MemberId,
    },
    /// A member was removed and their seat freed (R3.6).
    MemberRemoved {
        /// The member.
        member: MemberId,
    },
    /// An admin changed a member's access after signup (R2.4, R2.5).
    MemberAccessEdited {
        /// The member.
        member: MemberId,
        /// The access before.
        from: Access,
        /// The access after.
        to: Access,
    },
    /// An invitee joined the seat waitlist (issue 11).
    WaitlistJoined {
        /// The entry.
        entry: WaitlistId,
    },
    /// A waitlist entry got its seat: a resend or a fresh invitation.
    WaitlistMoved {
        /// The entry.
        entry: WaitlistId,
    },
    /// A waitlist entry was removed without a seat: by an admin, or because what it waited
    /// for could no longer be done.
    WaitlistRemoved {
        /// The entry.
        entry: WaitlistId,
    },
}

impl AuditAction {
    /// A stable name for the event, as webhooks and the event feed call it: what it is about,
    /// a dot, what happened (`invitation.accepted`, `member.removed`).
    pub fn name(&self) -> &'static str {
        match self {
            AuditAction::OrganizationCreated => "organization.created",
            AuditAction::SeatLimitChanged { .. } => "organization.seat_limit_changed",
            AuditAction::SeatPolicyChanged => "organization.seat_policy_changed",
            AuditAction::RemindersSwitched { .. } => "organization.reminders_switched",
            AuditAction::SettingsChanged => "organization.settings_changed",
            AuditAction::Invited => "invitation.created",
            AuditAction::Replaced { .. } => "invitation.replaced",
            AuditAction::Resent => "invitation.resent",
            AuditAction::Cancelled => "invitation.cancelled",
            AuditAction::AccessEdited => "invitation.access_edited",
            AuditAction::Delivered => "invitation.delivered",
            AuditAction::DeliveryRetried { .. } => "invitation.delivery_retried",
            AuditAction::DeliveryFailed { .. } => "invitation.delivery_failed",
            AuditAction::ReminderQueued => "invitation.reminder_queued",
            AuditAction::FollowUpQueued => "invitation.follow_up_queued",
            AuditAction::SignedUp { .. } => "invitation.accepted",
            AuditAction::SignupFailedSeatsExhausted => "invitation.signup_refused",
            AuditAction::FirstLogin => "invitation.first_login",
            AuditAction::MarkedCompleted => "invitation.completed",
            AuditAction::MemberAdded { .. } => "member.added",
            AuditAction::MemberRemoved { .. } => "member.removed",
            AuditAction::MemberAccessEdited { .. } => "member.access_edited",
            AuditAction::WaitlistJoined { .. } => "waitlist.joined",
            AuditAction::WaitlistMoved { .. } => "waitlist.moved",
            AuditAction::WaitlistRemoved { .. } => "waitlist.removed",
        }
    }
}

/// One entry of the audit trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Its id.
    pub id: AuditId,
    /// The organization concerned.
    pub org: OrgId,
    /// The invitation concerned, if any.
    pub invitation: Option<InvitationId>,
    /// Who did it.
    pub actor: Actor,
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub action: AuditAction,
    /// The invitation's status before, if an invitation is concerned and existed.
    pub before: Option<Status>,
    /// The invitation's status after.
    pub after: Option<Status>,
}

impl AuditEvent {
    /// An event about an invitation.
    pub fn invitation(
        org: OrgId,
        invitation: InvitationId,
        actor: &Actor,
        at: DateTime<Utc>,
        action: AuditAction,
        before: Option<Status>,
        after: Option<Status>,
    ) -> Self {
        Self {
            id: AuditId::new(),
            org,
            invitation: Some(invitation),
            actor: actor.clone(),
            at,
            action,
            before,
            after,
        }
    }

    /// An event about an organization.
    pub fn organization(org: OrgId, actor: &Actor, at: DateTime<Utc>, action: AuditAction) -> Self {
        Self {
            id: AuditId::new(),
            org,
            invitation: None,
            actor: actor.clone(),
            at,
            action,
            before: None,
            after: None,
        }
    }
}
