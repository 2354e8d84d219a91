//! Members: registered users of an organization, each holding one seat (R3.1).

use crate::access::Access;
use crate::contact::Contact;
use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use crate::refusal::Refusal;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A registered user of an organization. Admins hold a seat too (R3.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Its id.
    pub id: MemberId,
    /// The organization whose seat it holds.
    pub org: OrgId,
    /// How the member can be reached; used to refuse inviting an existing member (R2.7).
    pub contact: Contact,
    /// The application's id of this user.
    pub user_ref: Option<UserRef>,
    /// The access they were granted.
    pub access: Access,
    /// The invitation they signed up with, if they came by invitation.
    pub invitation: Option<InvitationId>,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// When they were removed; a removed member frees their seat (R3.6).
    pub removed_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version. Bookkeeping: not in JSON (0 when read from JSON).
    #[serde(skip)]
    pub version: u64,
}

impl Member {
    /// A new member of `org`, holding a seat from `now` (R3.1); `invitation` is the one they
    /// signed up with, if any.
    pub fn joined(
        org: OrgId,
        contact: Contact,
        user_ref: Option<UserRef>,
        access: Access,
        invitation: Option<InvitationId>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: MemberId::new(),
            org,
            contact,
            user_ref,
            access,
            invitation,
            joined_at: now,
            removed_at: None,
            version: 0,
        }
    }

    /// Removed at `now`, freeing the seat (R3.6). A member removed already is gone:
    /// [`Refusal::MemberNotFound`].
    pub fn removed(&self, now: DateTime<Utc>) -> Result<Self, Refusal> {
        if !self.is_active() {
            return Err(Refusal::MemberNotFound(self.id));
        }
        Ok(Self {
            removed_at: Some(now),
            ..self.clone()
        })
    }

    /// The member with `access` instead of their own (R2.4, R2.5 are the decision's to
    /// check): an admin changing what a member may do after signup. A removed member is gone:
    /// [`Refusal::MemberNotFound`].
    pub fn access_edited(&self, access: Access) -> Result<Self, Refusal> {
        if !self.is_active() {
            return Err(Refusal::MemberNotFound(self.id));
        }
        Ok(Self {
            access,
            ..self.clone()
        })
    }

    /// Whether the member holds a seat.
    pub fn is_active(&self) -> bool {
        self.removed_at.is_none()
    }

    /// The same member as stored at `version` (the store's bookkeeping).
    pub fn at_version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }
}

/// Seats of an organization (R3.1): `used + available = limit`, except that `used` may exceed
/// a lowered limit, in which case `available` is 0 (R3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seats {
    /// The limit set by the vendor.
    pub limit: u32,
    /// Active members, plus live invitations under `ReserveOnInvite`.
    pub used: u32,
    /// Free seats.
    pub available: u32,
}

impl Seats {
    /// Seats from a limit and a usage count.
    pub fn new(limit: u32, used: u32) -> Self {
        Self {
            limit,
            used,
            available: limit.saturating_sub(used),
        }
    }
}
