//! The durable outbox (R7.1): every message is written in the same commit as the change that
//! asks for it, then delivered by the [`crate::Dispatcher`].
//!
//! A message holds no secret (R7.4): a signup link is minted by the dispatcher at delivery
//! time, its hash committed before the notifier is called, and the plain token lives only in
//! the rendered message.

use crate::ids::{InvitationId, MessageId, OrgId};
use crate::notifier::Delivered;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// The kinds of message (R7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageKind {
    /// The first invitation, with a signup link.
    Invitation,
    /// A resend, with a new signup link (R5.2).
    Resend,
    /// The daily reminder (R8): with a signup link to a Pending invitee, without to a Never
    /// Used member.
    Reminder,
    /// The feature introduction to a Never Used member (R5.4).
    FollowUp,
    /// To the sender of an invitation: the invitee signed up (when the organization's
    /// `accepted_notices` setting is on). Never carries a link.
    AcceptedNotice,
}

impl MessageKind {
    /// Whether delivering this kind starts a validity period and counts as a send (R2.10).
    pub fn is_invitation(self) -> bool {
        matches!(self, MessageKind::Invitation | MessageKind::Resend)
    }

    /// Whether this kind goes to the invitee, at the invitation's address and by its channel;
    /// an accepted notice goes to the invitation's sender instead.
    pub fn is_to_invitee(self) -> bool {
        !matches!(self, MessageKind::AcceptedNotice)
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MessageKind::Invitation => "invitation",
            MessageKind::Resend => "resend",
            MessageKind::Reminder => "reminder",
            MessageKind::FollowUp => "follow-up",
            MessageKind::AcceptedNotice => "accepted-notice",
        })
    }
}

/// Where a message stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboxState {
    /// Waiting for its due time, or for a retry.
    Pending,
    /// Delivered.
    Sent {
        /// When the notifier accepted it.
        at: DateTime<Utc>,
    },
    /// Failed for good; the invitation was marked Failed if it was not signed up (R7.2).
    Dead {
        /// The last failure.
        reason: String,
    },
    /// Not sent because it no longer applied (the invitation was cancelled or resent, the
    /// reminder switch was turned off, ...).
    Dropped {
        /// Why.
        reason: String,
    },
}

/// A claim on a message: whoever holds the current lease token may finish it. A worker whose
/// lease ran out and was taken over cannot finish it any more (R7.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Identifies this claim.
    pub token: Uuid,
    /// Until when it is held.
    pub until: DateTime<Utc>,
}

/// One outbox message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Stable id across attempts (R7.1).
    pub id: MessageId,
    /// The organization of the invitation.
    pub org: OrgId,
    /// The invitation it is about.
    pub invitation: InvitationId,
    /// What to send.
    pub kind: MessageKind,
    /// The invitation's link generation when queued: a resend makes older invitation messages
    /// obsolete.
    pub link_generation: u32,
    /// For a reminder, the organization-local day it is for (R8.2).
    pub reminder_day: Option<NaiveDate>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it may next be attempted.
    pub due_at: DateTime<Utc>,
    /// Delivery attempts started so far.
    pub attempts: u32,
    /// The last transient failure.
    pub last_error: Option<String>,
    /// Where it stands.
    pub state: OutboxState,
    /// The current claim, if any.
    pub lease: Option<Lease>,
    /// What the transport reported when it accepted the message: its own id for it (to match
    /// a delivery report that comes later) and the billable parts (SMS segments).
    #[serde(default)]
    pub receipt: Option<Delivered>,
}

impl OutboxMessage {
    /// A new message, due at once.
    pub fn new(
        org: OrgId,
        invitation: InvitationId,
        kind: MessageKind,
        link_generation: u32,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: MessageId::new(),
            org,
            invitation,
            kind,
            link_generation,
            reminder_day: None,
            created_at: now,
            due_at: now,
            attempts: 0,
            last_error: None,
            state: OutboxState::Pending,
            lease: None,
            receipt: None,
        }
    }

    /// Whether a dispatcher may claim it at `now`: pending, due, and not under a live lease.
    pub fn claimable_at(&self, now: DateTime<Utc>) -> bool {
        self.state == OutboxState::Pending
            && self.due_at <= now
            && self.lease.is_none_or(|l| l.until <= now)
    }
}

/// A message claimed by a dispatcher, with its lease.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedMessage {
    /// The message, with `attempts` already counting this attempt.
    pub message: OutboxMessage,
    /// The lease to present when finishing it.
    pub lease: Lease,
}

/// How a claimed message ends this attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboxOutcome {
    /// Delivered.
    Sent {
        /// When.
        at: DateTime<Utc>,
        /// What the transport reported of it (its id for the message, billable parts).
        #[serde(default)]
        receipt: Option<Delivered>,
    },
    /// Try again at `due_at`; this attempt counts towards the retry limit.
    Retry {
        /// Next attempt.
        due_at: DateTime<Utc>,
        /// The failure.
        error: String,
    },
    /// Try again at `due_at`, giving this attempt back (the message's attempt count goes down
    /// by one): the failure was not the message's (the transport is down, the dispatcher is
    /// paused by its circuit breaker, a batch could not be finished), so it must not bring
    /// the message closer to Failed.
    Released {
        /// Next attempt.
        due_at: DateTime<Utc>,
        /// Why it was not delivered.
        error: String,
    },
    /// Failed for good.
    Dead {
        /// The failure.
        reason: String,
    },
    /// No longer applies.
    Dropped {
        /// Why.
        reason: String,
    },
}

/// Finishing a claimed message; only the holder of `lease` can (R7.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxUpdate {
    /// The message.
    pub id: MessageId,
    /// The lease token of the claim.
    pub lease: Uuid,
    /// The outcome.
    pub outcome: OutboxOutcome,
}

/// Retry policy for transient failures (R7.2): exponential back-off, capped, with a bounded
/// number of attempts, and jitter so that the messages an outage failed together do not all
/// come back in the same instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub first_delay: TimeDelta,
    /// Longest delay, before jitter.
    pub max_delay: TimeDelta,
    /// Attempts in all, the first included; after this many the message is dead.
    pub max_attempts: u32,
    /// Up to this many percent of the delay are added at random (25 by default; 0 for none).
    #[serde(default)]
    pub jitter_percent: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: TimeDelta::seconds(30),
            max_delay: TimeDelta::hours(1),
            max_attempts: 8,
            jitter_percent: 25,
        }
    }
}

impl RetryPolicy {
    /// The delay before the attempt after `attempts` failed ones: doubles each time.
    ///
    /// ```
    /// use invite_core::RetryPolicy;
    /// use chrono::TimeDelta;
    /// let p = RetryPolicy::default();
    /// assert_eq!(p.delay_after(1), TimeDelta::seconds(30));
    /// assert_eq!(p.delay_after(2), TimeDelta::seconds(60));
    /// assert_eq!(p.delay_after(30), TimeDelta::hours(1));
    /// ```
    pub fn delay_after(&self, attempts: u32) -> TimeDelta {
        let doublings = attempts.saturating_sub(1).min(30);
        let delay = self
            .first_delay
            .checked_mul(1i32 << doublings)
            // chrono's `checked_mul` bounds the whole seconds by i64, not by TimeDelta's own
            // range: a product past `TimeDelta::MAX` would make later arithmetic panic.
            .filter(|d| (TimeDelta::MIN..=TimeDelta::MAX).contains(d))
            .unwrap_or(self.max_delay);
        delay.min(self.max_delay)
    }

    /// [`RetryPolicy::delay_after`] plus its jitter: `unit`, a random number in `[0, 1)`,
    /// picks how much of the up to `jitter_percent` percent is added. Pure: the caller draws
    /// `unit`.
    ///
    /// ```
    /// use invite_core::RetryPolicy;
    /// use chrono::TimeDelta;
    /// let p = RetryPolicy::default();
    /// assert_eq!(p.jittered_delay_after(1, 0.0), TimeDelta::seconds(30));
    /// assert_eq!(p.jittered_delay_after(1, 0.5), TimeDelta::milliseconds(33_750));
    /// assert!(p.jittered_delay_after(2, 0.999) < TimeDelta::seconds(75));
    /// ```
    pub fn jittered_delay_after(&self, attempts: u32, unit: f64) -> TimeDelta {
        let delay = self.delay_after(attempts);
        let share = unit.clamp(0.0, 1.0) * f64::from(self.jitter_percent.min(100)) / 100.0;
        // In microseconds (what PostgreSQL keeps), so that the retries of a batch failed in
        // one instant come back at distinct instants, not in a few shared milliseconds.
        let extra = match delay.num_microseconds() {
            Some(us) => Some(TimeDelta::microseconds((us as f64 * share) as i64)),
            None => TimeDelta::try_milliseconds((delay.num_milliseconds() as f64 * share) as i64),
        };
        let extra = extra.unwrap_or_else(TimeDelta::zero);
        delay.checked_add(&extra).unwrap_or(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r7_2_a_back_off_past_the_longest_duration_is_capped_not_a_panic() {
        // Found by the decisions' fuzzing: 10^7 s doubled 30 times fits an i64 of seconds but
        // not a TimeDelta, and chrono's `checked_mul` let it through.
        let policy = RetryPolicy {
            first_delay: TimeDelta::seconds(10_000_000),
            max_delay: TimeDelta::MAX,
            max_attempts: 100,
            jitter_percent: 25,
        };
        assert_eq!(policy.delay_after(31), TimeDelta::MAX);
        assert_eq!(policy.jittered_delay_after(31, 0.5), TimeDelta::MAX);
    }
}
