//! What an invitation's facts add up to: its [`Status`] (R4), its [`Tab`] (R4.8), the
//! [`Action`]s its status allows (R5.1), and the reasons it failed or closed.

use crate::ids::{InvitationId, UserRef};
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

/// The changes an invitation record makes to itself, one method of [`crate::Invitation`] each.
/// A record refuses a change its state does not allow with
/// [`crate::Refusal::TransitionNotAllowed`] naming it; the admin actions among them refuse
/// with [`crate::Refusal::ActionNotAllowed`] instead, so a UI can tell the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Transition {
    /// The invitation or resend message was delivered (R4.2, R4.3).
    Delivered,
    /// Delivery failed for good (R4.4, R7.2).
    DeliveryFailed,
    /// An admin resent it (R5.2).
    Resent,
    /// An admin cancelled it (R4.7).
    Cancelled,
    /// An admin edited its access (R2.8).
    AccessEdited,
    /// The invitee signed up (R6.2, R6.3).
    SignedUp,
    /// The signup found no free seat (R3.2).
    SignupRefusedForSeats,
    /// The member logged in for the first time (R6.4).
    FirstLogin,
    /// An admin marked it completed (R5.3).
    MarkedCompleted,
    /// A follow-up was queued (R5.4).
    FollowUpQueued,
    /// A new invitation to the same address took its place (R2.7).
    Replaced,
    /// The member who signed up with it was removed (R3.6).
    MemberRemoved,
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transition::Delivered => "record a delivery of",
            Transition::DeliveryFailed => "record a failed delivery of",
            Transition::Resent => "resend",
            Transition::Cancelled => "cancel",
            Transition::AccessEdited => "edit the access of",
            Transition::SignedUp => "sign up with",
            Transition::SignupRefusedForSeats => "refuse for seats the signup of",
            Transition::FirstLogin => "record the first login of",
            Transition::MarkedCompleted => "mark completed",
            Transition::FollowUpQueued => "queue a follow-up to",
            Transition::Replaced => "replace",
            Transition::MemberRemoved => "close for a removed member",
        })
    }
}
