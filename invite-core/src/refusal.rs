//! [`Refusal`]: a request refused by a domain rule. Show the reason to the user (HTTP 4xx);
//! nothing was changed, except where the refusal itself is a recorded outcome (a signup that
//! hit seat exhaustion marks the invitation Failed, R3.2).

use crate::access::AccessError;
use crate::contact::{Channel, ContactError};
use crate::ids::{InvitationId, MemberId, OrgId, UserRef, WaitlistId};
use crate::invitation::{Action, Status, Transition};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A request refused by a domain rule.
///
/// In JSON a refusal is `{"code": "<snake_case code>", "details": ...}`, with the code of
/// [`Refusal::code`] and the variant's fields as details (none for a unit variant):
///
/// ```
/// use invite_core::Refusal;
/// let r = Refusal::AlreadyInvited { address: "bob@example.com".into() };
/// assert_eq!(r.code(), "already_invited");
/// assert_eq!(r.http_status(), 409);
/// assert_eq!(
///     serde_json::to_string(&r).unwrap(),
///     r#"{"code":"already_invited","details":{"address":"bob@example.com"}}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "details", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refusal {
    /// No such organization.
    #[error("organization {0} not found")]
    OrganizationNotFound(OrgId),
    /// No such invitation.
    #[error("invitation {0} not found")]
    InvitationNotFound(InvitationId),
    /// No such member.
    #[error("member {0} not found")]
    MemberNotFound(MemberId),
    /// No such entry on a waitlist the actor may read (issue 11).
    #[error("waitlist entry {0} not found")]
    WaitlistEntryNotFound(WaitlistId),
    /// The actor may not do this (R10.1).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The invitation's status does not allow this action (R5.1).
    #[error("cannot {action} an invitation that is {status}")]
    ActionNotAllowed {
        /// The action attempted.
        action: Action,
        /// The status it was in.
        status: Status,
    },
    /// The invitation's state does not allow a change the library's own workers or the
    /// invitee asked for (a delivery recorded for an obsolete link generation, a first login
    /// before signup). Decisions check first, so a caller normally never sees it.
    #[error("cannot {transition} an invitation that is {status}")]
    TransitionNotAllowed {
        /// The change attempted.
        transition: Transition,
        /// The status it was in.
        status: Status,
    },
    /// A live invitation to this address exists (R2.7).
    #[error("{address} already has a live invitation")]
    AlreadyInvited {
        /// The address.
        address: String,
    },
    /// This address belongs to a member (R2.7).
    #[error("{address} is already a member")]
    AlreadyMember {
        /// The address.
        address: String,
    },
    /// No seat is available to invite (R3.3).
    #[error("no seats available")]
    NoSeatsAvailable,
    /// The address is not valid (R2.2).
    #[error(transparent)]
    InvalidContact(#[from] ContactError),
    /// A directory user has no address for the chosen channel (R2.3).
    #[error("user {user} has no {channel} address")]
    MissingContact {
        /// The directory user.
        user: UserRef,
        /// The channel chosen.
        channel: Channel,
    },
    /// The contact has no address for the chosen channel (a phone-only contact invited by
    /// e-mail, say).
    #[error("{address} cannot be reached by {channel}")]
    Unreachable {
        /// The contact.
        address: String,
        /// The channel chosen.
        channel: Channel,
    },
    /// The organization does not allow this channel (R1.2).
    #[error("the organization does not allow invitations by {0}")]
    ChannelNotAllowed(Channel),
    /// The access does not fit the organization (R2.4, R2.5).
    #[error(transparent)]
    InvalidAccess(#[from] AccessError),
    /// A resend came within the cool-down of the last one (R5.2).
    #[error("resent too recently; try again after {retry_after}")]
    ResendCooldown {
        /// When a resend is allowed again.
        retry_after: DateTime<Utc>,
    },
    /// A follow-up was sent less than a day ago (R5.4).
    #[error("a follow-up was sent less than a day ago; next one after {retry_after}")]
    FollowUpTooSoon {
        /// When a follow-up is allowed again.
        retry_after: DateTime<Utc>,
    },
    /// No link has this token (R6.2).
    #[error("unknown link")]
    UnknownLink,
    /// The invitation of this link was cancelled (R6.2).
    #[error("this invitation was cancelled")]
    LinkCancelled,
    /// The link expired (R6.2).
    #[error("this link has expired")]
    LinkExpired,
    /// A newer link was sent; this one is dead (R5.2, R6.2).
    #[error("a newer link was sent; use that one")]
    LinkSuperseded,
    /// The link was already used to sign up (R6.3).
    #[error("this link was already used")]
    LinkAlreadyUsed,
    /// The invitation failed earlier (delivery or seats); it must be resent (R4.4).
    #[error("this invitation failed earlier and must be resent")]
    InvitationFailed,
    /// Signup found no free seat; the invitation is now Failed (R3.2).
    #[error("seats exhausted")]
    SeatsExhausted,
    /// A setting does not fit the organization (a client naming an organization that is not
    /// an MSP, say).
    #[error("invalid setting: {0}")]
    InvalidSetting(String),
    /// A setting or input is outside its allowed range (see [`crate::bounds`]).
    #[error("{field} is out of range: allowed {allowed}")]
    OutOfRange {
        /// The setting or input.
        field: String,
        /// Its allowed range, in words.
        allowed: String,
    },
    /// A list query is out of range.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// No invitation is tied to this application user (R2.11), so there is nothing to act on.
    #[error("user {user} has no invitation")]
    UserNotInvited {
        /// The application user id, as given.
        user: UserRef,
    },
    /// The setting is the vendor operator's, not the organization admins' (seed 001: "e-mail
    /// only" is a super-admin setting).
    #[error("{setting} is set by the operator")]
    OperatorSetting {
        /// The setting.
        setting: String,
    },
}

impl Refusal {
    /// A stable snake_case code for the refusal, for APIs and translations: it never changes
    /// for a given variant, whatever its message says.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::OrganizationNotFound(_) => "organization_not_found",
            Refusal::InvitationNotFound(_) => "invitation_not_found",
            Refusal::MemberNotFound(_) => "member_not_found",
            Refusal::WaitlistEntryNotFound(_) => "waitlist_entry_not_found",
            Refusal::Forbidden(_) => "forbidden",
            Refusal::ActionNotAllowed { .. } => "action_not_allowed",
            Refusal::TransitionNotAllowed { .. } => "transition_not_allowed",
            Refusal::AlreadyInvited { .. } => "already_invited",
            Refusal::AlreadyMember { .. } => "already_member",
            Refusal::NoSeatsAvailable => "no_seats_available",
            Refusal::InvalidContact(_) => "invalid_contact",
            Refusal::MissingContact { .. } => "missing_contact",
            Refusal::Unreachable { .. } => "unreachable",
            Refusal::ChannelNotAllowed(_) => "channel_not_allowed",
            Refusal::InvalidAccess(_) => "invalid_access",
            Refusal::ResendCooldown { .. } => "resend_cooldown",
            Refusal::FollowUpTooSoon { .. } => "follow_up_too_soon",
            Refusal::UnknownLink => "unknown_link",
            Refusal::LinkCancelled => "link_cancelled",
            Refusal::LinkExpired => "link_expired",
            Refusal::LinkSuperseded => "link_superseded",
            Refusal::LinkAlreadyUsed => "link_already_used",
            Refusal::InvitationFailed => "invitation_failed",
            Refusal::SeatsExhausted => "seats_exhausted",
            Refusal::InvalidSetting(_) => "invalid_setting",
            Refusal::OutOfRange { .. } => "out_of_range",
            Refusal::InvalidQuery(_) => "invalid_query",
            Refusal::UserNotInvited { .. } => "user_not_invited",
            Refusal::OperatorSetting { .. } => "operator_setting",
        }
    }

    /// The HTTP status a web layer answers this refusal with, always a 4xx: 404 for what does
    /// not exist (an outsider's ids included, R10.1), 403 for what the actor may not do, 422
    /// for input that breaks a rule, 409 for what the record's state or the seats do not
    /// allow now, 410 for a link that will never work again, 429 for a cool-down.
    pub fn http_status(&self) -> u16 {
        match self {
            Refusal::OrganizationNotFound(_)
            | Refusal::InvitationNotFound(_)
            | Refusal::MemberNotFound(_)
            | Refusal::UnknownLink
            | Refusal::WaitlistEntryNotFound(_)
            | Refusal::UserNotInvited { .. } => 404,
            Refusal::Forbidden(_) | Refusal::OperatorSetting { .. } => 403,
            Refusal::InvalidContact(_)
            | Refusal::MissingContact { .. }
            | Refusal::Unreachable { .. }
            | Refusal::InvalidAccess(_)
            | Refusal::InvalidSetting(_)
            | Refusal::OutOfRange { .. }
            | Refusal::InvalidQuery(_) => 422,
            Refusal::LinkCancelled | Refusal::LinkExpired | Refusal::LinkSuperseded => 410,
            Refusal::ResendCooldown { .. } | Refusal::FollowUpTooSoon { .. } => 429,
            Refusal::ActionNotAllowed { .. }
            | Refusal::TransitionNotAllowed { .. }
            | Refusal::AlreadyInvited { .. }
            | Refusal::AlreadyMember { .. }
            | Refusal::NoSeatsAvailable
            | Refusal::ChannelNotAllowed(_)
            | Refusal::LinkAlreadyUsed
            | Refusal::InvitationFailed
            | Refusal::SeatsExhausted => 409,
        }
    }
}
