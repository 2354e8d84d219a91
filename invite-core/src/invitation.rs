//! The invitation record, its status at an instant (R4), its tab (R4.8) and the actions its
//! status allows (R5.1).

use crate::access::Access;
use crate::contact::{Channel, Contact};
use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who sent an invitation (R2.10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    /// The application's id of the sender.
    pub user: UserRef,
    /// Their name, as shown in messages.
    pub name: String,
}

/// Why an invitation failed (R4.4). Kept on the record and shown to admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureReason {
    /// Signup found no free seat (R3.2).
    SeatsExhausted,
    /// The notifier said the address cannot receive messages, e.g. an SMTP 550 (R7.2).
    DeliveryRejected(String),
    /// Transient failures went on past the retry limit (R7.2).
    RetriesExhausted(String),
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureReason::SeatsExhausted => f.write_str("seats exhausted"),
            FailureReason::DeliveryRejected(why) => write!(f, "delivery rejected: {why}"),
            FailureReason::RetriesExhausted(why) => write!(f, "delivery retries exhausted: {why}"),
        }
    }
}

/// Why an invitation was closed. A closed invitation is [`Status::Cancelled`]: its links are
/// dead and it leaves every list but the audit trail (R4.7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CloseReason {
    /// An admin cancelled it.
    CancelledByAdmin,
    /// The address was invited again after this one expired or failed, and the new invitation
    /// took its place (R2.7). Keeps one row per address in the lists.
    Replaced(InvitationId),
    /// The member who signed up with it was removed (R3.6).
    MemberRemoved,
}

/// How a signed-up invitation reached [`Status::Completed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompletedBy {
    /// The application reported the first login (R6.4).
    FirstLogin,
    /// An admin marked it completed (R5.3).
    Admin,
}

/// One invitation: to whom, by which channel, granting what, sent by whom, and what happened
/// since. The status is not stored: [`Invitation::status_at`] computes it from this record
/// and the time, so expiry needs no sweeper (R4.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    /// Its id.
    pub id: InvitationId,
    /// The organization that sent it and owns it (R2.6).
    pub org: OrgId,
    /// Where the invitee can be reached. Never edited (R2.8).
    pub contact: Contact,
    /// The channel it is delivered by.
    pub channel: Channel,
    /// Type and access; editable until signup (R2.8).
    pub access: Access,
    /// The application's own user id this invitation is tied to, if any (R2.11).
    pub user_ref: Option<UserRef>,
    /// Who sent it (R2.10).
    pub sender: Sender,
    /// When it was first created.
    pub created_at: DateTime<Utc>,
    /// When it was last invited or resent: the "last invitation date" (R2.10).
    pub last_invited_at: DateTime<Utc>,
    /// How many times an invitation message was delivered (R2.10).
    pub send_count: u32,
    /// When an invitation message was last delivered.
    pub last_sent_at: Option<DateTime<Utc>>,
    /// When the link delivered last stops working: last delivery plus the validity period.
    pub expires_at: Option<DateTime<Utc>>,
    /// An invitation or resend was requested and not yet delivered (R4.1).
    pub awaiting_delivery: bool,
    /// Links of older generations are dead: each resend starts a new one (R5.2).
    pub link_generation: u32,
    /// Why it failed, if it did (R4.4).
    pub failure: Option<FailureReason>,
    /// When the invitee signed up (R2.10).
    pub signed_up_at: Option<DateTime<Utc>>,
    /// The member created by the signup.
    pub member: Option<MemberId>,
    /// When the member first logged in (R6.4).
    pub first_login_at: Option<DateTime<Utc>>,
    /// When and how it reached Completed.
    pub completed: Option<(DateTime<Utc>, CompletedBy)>,
    /// When the last follow-up was queued (R5.4).
    pub last_follow_up_at: Option<DateTime<Utc>>,
    /// When and why it was closed (R4.7).
    pub closed: Option<(DateTime<Utc>, CloseReason)>,
    /// Optimistic-concurrency version; the store refuses a write made from an older one.
    pub version: u64,
}

/// The status of an invitation at an instant (R4). Exactly one applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    /// Accepted, waiting for delivery (R4.1).
    Queued,
    /// Delivered, not signed up, link valid (R4.2).
    Pending,
    /// Not signed up and the validity period since the last delivery has passed (R4.3).
    Expired,
    /// Delivery failed for good, or signup hit seat exhaustion (R4.4).
    Failed,
    /// Signed up, holds a seat, never logged in (R4.5).
    NeverUsed,
    /// Signed up and logged in, or marked completed (R4.6).
    Completed,
    /// Cancelled; leaves every list but the audit (R4.7).
    Cancelled,
}

impl Status {
    /// All statuses.
    pub const ALL: [Status; 7] = [
        Status::Queued,
        Status::Pending,
        Status::Expired,
        Status::Failed,
        Status::NeverUsed,
        Status::Completed,
        Status::Cancelled,
    ];

    /// Live: an invitation still on its way to a signup (R2.7). At most one per address.
    pub fn is_live(self) -> bool {
        matches!(self, Status::Queued | Status::Pending)
    }

    /// The tab this status is listed under, if any (R4.8). `All` holds every tabbed status.
    pub fn tab(self) -> Option<Tab> {
        match self {
            Status::Queued | Status::Pending => Some(Tab::Pending),
            Status::Expired | Status::Failed => Some(Tab::ExpiredOrFailed),
            Status::NeverUsed => Some(Tab::NeverUsed),
            Status::Completed => Some(Tab::Completed),
            Status::Cancelled => None,
        }
    }

    /// The actions this status allows (R5.1), in the order a UI shows its buttons.
    pub fn actions(self) -> &'static [Action] {
        use Action::*;
        match self {
            Status::Queued => &[Cancel, EditAccess],
            Status::Pending | Status::Expired | Status::Failed => &[Resend, Cancel, EditAccess],
            Status::NeverUsed => &[Details, SendFollowUp, MarkCompleted],
            Status::Completed => &[Details],
            Status::Cancelled => &[],
        }
    }

    /// Whether `action` is allowed in this status.
    pub fn allows(self, action: Action) -> bool {
        self.actions().contains(&action)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Queued => "Waiting for an invitation",
            Status::Pending => "Pending",
            Status::Expired => "Expired",
            Status::Failed => "Failed",
            Status::NeverUsed => "Never used",
            Status::Completed => "Completed",
            Status::Cancelled => "Cancelled",
        })
    }
}

/// The tabs of the invitation table (R4.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tab {
    /// Everything but Cancelled.
    All,
    /// Queued and Pending.
    Pending,
    /// Never Used.
    NeverUsed,
    /// Expired or Failed.
    ExpiredOrFailed,
    /// Completed.
    Completed,
}

impl Tab {
    /// All tabs, in display order.
    pub const ALL: [Tab; 5] = [
        Tab::All,
        Tab::Pending,
        Tab::NeverUsed,
        Tab::ExpiredOrFailed,
        Tab::Completed,
    ];

    /// Whether an invitation in `status` is listed under this tab.
    pub fn contains(self, status: Status) -> bool {
        match self {
            Tab::All => status != Status::Cancelled,
            tab => status.tab() == Some(tab),
        }
    }
}

impl fmt::Display for Tab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tab::All => "All",
            Tab::Pending => "Pending",
            Tab::NeverUsed => "Never Used",
            Tab::ExpiredOrFailed => "Expired or Failed",
            Tab::Completed => "Completed",
        })
    }
}

/// What an admin can do to an invitation; a UI renders its buttons from
/// [`Status::actions`] (R5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Send a new link (R5.2).
    Resend,
    /// Cancel the invitation (R4.7).
    Cancel,
    /// Edit type, permission level and grants (R2.8).
    EditAccess,
    /// View the member's details.
    Details,
    /// Send the feature-introduction follow-up (R5.4).
    SendFollowUp,
    /// Mark as completed (R5.3).
    MarkCompleted,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Resend => "resend",
            Action::Cancel => "cancel",
            Action::EditAccess => "edit access",
            Action::Details => "details",
            Action::SendFollowUp => "send follow-up",
            Action::MarkCompleted => "mark completed",
        })
    }
}

impl Invitation {
    /// The status at `now` (R4): a pure function of this record and the time.
    ///
    /// ```
    /// # use invite_core::{Invitation, Status};
    /// # fn check(inv: &Invitation, now: chrono::DateTime<chrono::Utc>) {
    /// let status: Status = inv.status_at(now);
    /// let buttons = status.actions();
    /// # }
    /// ```
    pub fn status_at(&self, now: DateTime<Utc>) -> Status {
        if self.closed.is_some() {
            return Status::Cancelled;
        }
        if self.signed_up_at.is_some() {
            return if self.completed.is_some() {
                Status::Completed
            } else {
                Status::NeverUsed
            };
        }
        if self.failure.is_some() {
            return Status::Failed;
        }
        if self.awaiting_delivery {
            return Status::Queued;
        }
        match self.expires_at {
            Some(expiry) if now >= expiry => Status::Expired,
            _ => Status::Pending,
        }
    }

    /// The address key this invitation is unique by among open invitations of its
    /// organization (R2.7): lower-cased e-mail or E.164 phone of its channel.
    pub fn address_key(&self) -> String {
        self.contact
            .key_for(self.channel)
            .expect("an invitation's contact is reachable by its channel")
    }

    /// Open: neither closed nor signed up. At most one open invitation per organization and
    /// address; an open one that is Expired or Failed is replaced when the address is invited
    /// again, a live one refuses the new invite with `AlreadyInvited` (R2.7).
    pub fn is_open(&self) -> bool {
        self.closed.is_none() && self.signed_up_at.is_none()
    }

    /// Whether it holds a seat at `now` under [`crate::SeatPolicy::ReserveOnInvite`] (R3.5):
    /// live and not yet signed up.
    pub fn reserves_seat_at(&self, now: DateTime<Utc>) -> bool {
        self.status_at(now).is_live()
    }
}
