//! [`Refusal`]: a request refused by a domain rule. Show the reason to the user (HTTP 4xx);
//! nothing was changed, except where the refusal itself is a recorded outcome (a signup that
//! hit seat exhaustion marks the invitation Failed, R3.2).

use crate::access::AccessError;
use crate::contact::{Channel, ContactError};
use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use crate::invitation::{Action, Status, Transition};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A request refused by a domain rule.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
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
}
