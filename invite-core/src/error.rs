//! Errors. Three families, each with its own caller reaction (after cqrs-es):
//! - [`Refusal`]: the request breaks a rule; show the reason (HTTP 4xx). Nothing was changed,
//!   except where the refusal itself is a recorded outcome (a signup that hit seat exhaustion
//!   marks the invitation Failed, R3.2).
//! - [`Error::Conflict`]: concurrent changes kept winning over the service's retries; retry the
//!   request (HTTP 409).
//! - [`Error::Store`] and [`Error::Entropy`]: infrastructure; retry later (HTTP 503).

use crate::access::AccessError;
use crate::contact::{Channel, ContactError};
use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use crate::invitation::{Action, Status};
use crate::notifier::BoxError;
use crate::store::{Conflict, StoreError};
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
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    InvalidSetting(String),
    /// A list query is out of range.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
}

/// Any failure of a service command.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Refused by a rule (4xx).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Concurrent changes won every retry (409).
    #[error("concurrent change, retry: {0}")]
    Conflict(#[source] Conflict),
    /// The store failed (503).
    #[error("store failure")]
    Store(#[source] BoxError),
    /// The operating system's random source failed (503).
    #[error("random source failure: {0}")]
    Entropy(getrandom::Error),
}

impl Error {
    /// The refusal, if this is one.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Refused(r) => Some(r),
            _ => None,
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(c) => Error::Conflict(c),
            StoreError::Backend(b) => Error::Store(b),
        }
    }
}

impl From<getrandom::Error> for Error {
    fn from(e: getrandom::Error) -> Self {
        Error::Entropy(e)
    }
}
