//! The seat waitlist (issue 11, point 8): where an invitee waits for a seat instead of
//! meeting a dead end. An invite refused for want of a seat ([`Refusal::NoSeatsAvailable`],
//! R3.3), or a signup refused for one ([`Refusal::SeatsExhausted`], R3.2), joins its
//! organization's waitlist when the call asked for it ([`InviteOptions::waitlist`]). When seats
//! are free again, [`InvitationService::advance_waitlist`] moves the waitlist in order: the
//! invitee of a refused signup gets a resend of their invitation, the invitee of a refused
//! invite a fresh invitation. The decision is
//! [`decide::waitlist::advance`](crate::decide::waitlist::advance).
//!
//! An entry is written and removed through [`Commit::waitlist`](crate::store::Commit) like
//! every other change; a store keeps at most one entry per organization and address key and
//! answers the entries in the order they joined.
//!
//! [`Refusal::NoSeatsAvailable`]: crate::Refusal::NoSeatsAvailable
//! [`Refusal::SeatsExhausted`]: crate::Refusal::SeatsExhausted
//! [`InviteOptions::waitlist`]: crate::InviteOptions::waitlist
//! [`InvitationService::advance_waitlist`]: crate::InvitationService::advance_waitlist

use crate::access::Access;
use crate::contact::{Channel, Contact};
use crate::ids::{InvitationId, OrgId, UserRef, WaitlistId};
use crate::invitation::{InvitationOptions, Sender};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One invitee waiting for a seat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    /// Its id.
    pub id: WaitlistId,
    /// The organization whose seat it waits for.
    pub org: OrgId,
    /// The address key of the invitee (as [`Invitation::address_key`]): one entry per
    /// organization and address.
    ///
    /// [`Invitation::address_key`]: crate::Invitation::address_key
    pub address_key: String,
    /// When it joined the waitlist.
    pub joined_at: DateTime<Utc>,
    /// What moving it does.
    pub request: WaitingFor,
    /// Its place in the organization's waitlist: the store's insertion order, assigned when
    /// stored (0 before). Entries are answered by it, first come first served.
    #[serde(default)]
    pub position: u64,
}

/// What an entry waits to have done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WaitingFor {
    /// A signup was refused for seats and its invitation is Failed: moving resends it.
    Signup {
        /// The failed invitation.
        invitation: InvitationId,
    },
    /// An invite was refused for want of a seat: moving invites afresh.
    Invite(Box<WaitingInvite>),
}

/// The invite an entry stands for, as it was asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaitingInvite {
    /// Where the invitee can be reached.
    pub contact: Contact,
    /// The channel to deliver by.
    pub channel: Channel,
    /// Type and access, as checked when it was asked.
    pub access: Access,
    /// The application's user id to tie the invitation to (R2.11).
    pub user_ref: Option<UserRef>,
    /// Who asked (R2.10): the invitation is sent in their name.
    pub sender: Sender,
    /// The options the invitation will keep.
    pub options: InvitationOptions,
}

/// A change to a waitlist, part of a [`Commit`](crate::store::Commit). A store refuses the
/// whole commit with a [`Conflict`](crate::store::Conflict) if an entry to add exists (its id,
/// or another entry of its organization and address key: `Version`) or an entry to remove is
/// gone (`Missing`): so two commits that move the same entry cannot both succeed.
#[derive(Clone, Debug, PartialEq)]
pub enum WaitlistWrite {
    /// A new entry.
    Add(WaitlistEntry),
    /// An entry moved or removed.
    Remove(WaitlistId),
}

/// What moving the waitlist did with one entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WaitlistMove {
    /// Its invitation was resent (a refused signup's).
    Resent {
        /// The entry.
        entry: WaitlistId,
        /// The invitation, queued again.
        invitation: InvitationId,
    },
    /// A fresh invitation was queued (a refused invite's).
    Invited {
        /// The entry.
        entry: WaitlistId,
        /// The new invitation.
        invitation: InvitationId,
    },
    /// It was removed without taking a seat: what it waited for cannot be done any more.
    Dropped {
        /// The entry.
        entry: WaitlistId,
        /// Why, as a refusal code ([`Refusal::code`](crate::Refusal::code)): the invitation
        /// was cancelled or resent meanwhile, the address is a member or invited already, the
        /// channel is no longer allowed.
        reason: String,
    },
}

impl WaitlistMove {
    /// Whether it takes a seat (a resend or a fresh invitation).
    pub fn takes_seat(&self) -> bool {
        !matches!(self, WaitlistMove::Dropped { .. })
    }
}
