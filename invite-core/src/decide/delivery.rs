//! The dispatcher's decisions (R7): whether a claimed message still applies, what a failed
//! attempt comes to, and the commit that records a batch of attempts.

use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::ids::InvitationId;
use crate::invitation::{FailureReason, Invitation, Status};
use crate::notifier::{Delivered, DeliveryReport, DeliveryReportOutcome, NotifyError};
use crate::org::Organization;
use crate::outbox::RetryPolicy;
use crate::outbox::{ClaimedMessage, MessageKind, OutboxMessage, OutboxOutcome, OutboxUpdate};
use crate::store::{Commit, Write};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;

/// Whether a claimed message still applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver it; `with_link` says whether it carries a freshly minted signup link.
    Deliver {
        /// An invitation, a resend, or a reminder to an invitee who has not signed up.
        with_link: bool,
    },
    /// Do not send it: it no longer applies (why).
    Drop(String),
    /// Do not send it, and fail the invitation (an invitation message whose channel the
    /// organization stopped allowing).
    Fail(FailureReason),
}

/// R7.1, R5.2, R8.2, R8.4, R5.4: whether `message` still applies at `now` to its invitation
/// and organization as loaded. Dropped: a message whose invitation or organization is gone or
/// which was cancelled; an invitation or resend a newer resend superseded or that is no longer
/// Queued; a reminder after the switch went off (or from a period a switch-off ended), for a
/// local day that is over, or to an invitation no longer Pending or Never Used; a follow-up to
/// one no longer Never Used; an accepted notice about an invitation no longer signed up (the
/// member was removed). A message to the invitee by a channel the organization no longer
/// allows, or to an invitation with no address for its channel, fails an invitation message
/// and drops the others.
pub fn judge(
    message: &OutboxMessage,
    inv: Option<&Invitation>,
    org: Option<&Organization>,
    now: DateTime<Utc>,
) -> Verdict {
    let (Some(inv), Some(org)) = (inv, org) else {
        return Verdict::Drop("invitation or organization no longer exists".into());
    };
    let status = inv.status_at(now);
    if status == Status::Cancelled {
        return Verdict::Drop("invitation cancelled".into());
    }
    let unsendable = if !message.kind.is_to_invitee() {
        // Not the invitee's channel or address: its recipient is decided at delivery
        // (`decide::notices::recipient`).
        None
    } else if !org.settings.channels.allows(inv.channel) {
        Some(format!("the organization no longer allows {}", inv.channel))
    } else if !inv.contact.reachable_by(inv.channel) {
        // No transition leads here (`Invitation::queued` checks it), but a record written by
        // hand or an older version could: the notifier would be handed no address.
        Some(format!("the invitation has no {} address", inv.channel))
    } else {
        None
    };
    if let Some(reason) = unsendable {
        return match message.kind.is_invitation() {
            true => Verdict::Fail(FailureReason::DeliveryRejected(reason)),
            false => Verdict::Drop(reason),
        };
    }
    match message.kind {
        MessageKind::Invitation | MessageKind::Resend => {
            if message.link_generation != inv.link_generation() {
                return Verdict::Drop("superseded by a resend".into());
            }
            if status != Status::Queued {
                return Verdict::Drop(format!("invitation is {status}"));
            }
            Verdict::Deliver { with_link: true }
        }
        MessageKind::Reminder => {
            let switched_off_since_queued = org
                .settings
                .reminders_on_since
                .is_some_and(|on| message.created_at < on);
            if !org.settings.reminders_enabled || switched_off_since_queued {
                return Verdict::Drop("reminders switched off".into());
            }
            // A reminder is for its local day only: one still undelivered when the day is over
            // would arrive with the next day's, and missed days would pile up.
            let today = crate::clock::local_date(now, org.settings.time_zone);
            if let Some(day) = message.reminder_day.filter(|d| *d != today) {
                return Verdict::Drop(format!("reminder for {day}, a day that is over"));
            }
            match status {
                Status::Pending => Verdict::Deliver { with_link: true },
                Status::NeverUsed => Verdict::Deliver { with_link: false },
                other => Verdict::Drop(format!("invitation is {other}")),
            }
        }
        MessageKind::FollowUp => match status {
            Status::NeverUsed => Verdict::Deliver { with_link: false },
            other => Verdict::Drop(format!("invitation is {other}")),
        },
        // An accepted notice stands while the member the signup made does: it is dropped if
        // they were removed before it went (the invitation is Cancelled then, above).
        MessageKind::AcceptedNotice => match status {
            Status::NeverUsed | Status::Completed => Verdict::Deliver { with_link: false },
            other => Verdict::Drop(format!("invitation is {other}")),
        },
    }
}

/// R4.3: until when the link a message carries works, as the message tells the invitee: an
/// invitation or resend starts a new validity period at delivery; a reminder carries a new
/// link to the same period. `validity` is the organization's; an invitation with a validity
/// of its own uses that (issue 11).
pub fn link_expiry(
    message: &OutboxMessage,
    inv: &Invitation,
    validity: TimeDelta,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match message.kind {
        MessageKind::Reminder => inv.expires_at(),
        _ => Some(crate::clock::period_end(now, inv.validity_or(validity))),
    }
}

/// What one delivery attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempted {
    /// Delivered at `at`.
    Sent {
        /// When the notifier accepted it.
        at: DateTime<Utc>,
        /// What the transport reported of it.
        receipt: Delivered,
    },
    /// Failed for this recipient for now; retry at `due_at` (the attempt counts).
    Retry {
        /// Next attempt.
        due_at: DateTime<Utc>,
        /// The failure.
        error: String,
    },
    /// Not the message's fault (the transport is down, the dispatcher paused); retry at
    /// `due_at` and give the attempt back.
    Released {
        /// Next attempt.
        due_at: DateTime<Utc>,
        /// Why.
        error: String,
    },
    /// Failed for good: the invitation becomes Failed.
    Failed(FailureReason),
    /// No longer applies; not sent.
    Dropped(String),
}

impl Attempted {
    /// How the message's outbox row ends this attempt.
    pub fn outcome(&self) -> OutboxOutcome {
        match self {
            Attempted::Sent { at, receipt } => OutboxOutcome::Sent {
                at: *at,
                receipt: Some(receipt.clone()),
            },
            Attempted::Retry { due_at, error } => OutboxOutcome::Retry {
                due_at: *due_at,
                error: error.clone(),
            },
            Attempted::Released { due_at, error } => OutboxOutcome::Released {
                due_at: *due_at,
                error: error.clone(),
            },
            Attempted::Failed(failure) => OutboxOutcome::Dead {
                reason: failure.to_string(),
            },
            Attempted::Dropped(reason) => OutboxOutcome::Dropped {
                reason: reason.clone(),
            },
        }
    }
}

/// R7.2: what a failed attempt comes to. A transport failure is never the recipient's: the
/// attempt is given back and retried after `transport_pause`, however often it happens. A
/// transient failure is retried with back-off and jitter (`jitter_unit`, a random number in
/// `[0, 1)`) until the message's attempts reach the policy's limit, then fails the invitation
/// ("retries exhausted"); a permanent one fails it at once ("delivery rejected").
pub fn after_failure(
    error: &NotifyError,
    attempts: u32,
    policy: &RetryPolicy,
    transport_pause: TimeDelta,
    jitter_unit: f64,
    now: DateTime<Utc>,
) -> Attempted {
    let reason = error.reason().to_owned();
    if error.is_transport() {
        return Attempted::Released {
            due_at: crate::clock::saturating_add(now, transport_pause),
            error: reason,
        };
    }
    if error.is_transient() && attempts < policy.max_attempts {
        let delay = policy.jittered_delay_after(attempts, jitter_unit);
        return Attempted::Retry {
            due_at: crate::clock::saturating_add(now, delay),
            error: reason,
        };
    }
    Attempted::Failed(match error.is_transient() {
        true => FailureReason::RetriesExhausted(reason),
        false => FailureReason::DeliveryRejected(reason),
    })
}

/// R7.2: what a message comes to when the store would not take what concerns it alone (its
/// link, the record of its attempt), while it takes the rest of the batch: like a transient
/// failure, retried after the back-off with jitter (the attempt counts), and failed ("retries
/// exhausted", `why`) once the message's attempts reach the policy's limit, so that a message
/// no store will take stops coming back.
pub fn after_own_failure(
    why: String,
    attempts: u32,
    policy: &RetryPolicy,
    jitter_unit: f64,
    now: DateTime<Utc>,
) -> Attempted {
    if attempts < policy.max_attempts {
        let delay = policy.jittered_delay_after(attempts, jitter_unit);
        return Attempted::Retry {
            due_at: crate::clock::saturating_add(now, delay),
            error: why,
        };
    }
    Attempted::Failed(FailureReason::RetriesExhausted(why))
}

/// The commit recording a batch of attempts: every message finished under its lease, every
/// invitation changed once with the effect of all of its messages (an invitation and its
/// reminder in one batch, say), each change audited (R10.2).
#[derive(Debug)]
pub struct BatchRecord {
    commit: Option<Commit>,
    now: DateTime<Utc>,
    changed: BTreeMap<InvitationId, Invitation>,
}

impl BatchRecord {
    /// An empty record of attempts decided at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            commit: None,
            now,
            changed: BTreeMap::new(),
        }
    }

    /// Records `attempted` for `claim`. `inv` is the message's invitation as loaded (`None`
    /// if gone); `validity` the organization's link validity (R4.3).
    pub fn record(
        &mut self,
        claim: &ClaimedMessage,
        inv: Option<&Invitation>,
        validity: TimeDelta,
        attempted: &Attempted,
    ) {
        let msg = &claim.message;
        let now = self.now;
        let commit = self.commit.get_or_insert_with(|| Commit::new(msg.org, now));
        commit.outbox_updates.push(OutboxUpdate {
            id: msg.id,
            lease: claim.lease.token,
            outcome: attempted.outcome(),
        });
        let Some(loaded) = inv else { return };
        let current = self.changed.get(&loaded.id).unwrap_or(loaded).clone();
        let before = current.status_at(now);
        let audit = |action, after| {
            AuditEvent::invitation(
                msg.org,
                current.id,
                &Actor::System,
                now,
                action,
                Some(before),
                Some(after),
            )
        };
        match attempted {
            Attempted::Sent { at, .. } if msg.kind.is_invitation() => {
                // R2.10, R4.3: the send is counted and the validity period starts.
                let validity = current.validity_or(validity);
                if let Ok(next) = current.delivered(msg.link_generation, validity, *at) {
                    commit
                        .audit
                        .push(audit(AuditAction::Delivered, next.status_at(now)));
                    self.changed.insert(next.id, next);
                }
            }
            Attempted::Retry { error, .. } => commit.audit.push(audit(
                AuditAction::DeliveryRetried {
                    reason: error.clone(),
                },
                before,
            )),
            Attempted::Failed(failure) => {
                // R4.4, R7.2. A reminder or follow-up that cannot reach the invitee fails the
                // invitation too, unless the invitee signed up meanwhile.
                let generation = msg.kind.is_invitation().then_some(msg.link_generation);
                let after = match current.delivery_failed(generation, failure.clone(), now) {
                    Ok(next) => {
                        let status = next.status_at(now);
                        self.changed.insert(next.id, next);
                        status
                    }
                    Err(_) => before,
                };
                commit.audit.push(audit(
                    AuditAction::DeliveryFailed {
                        reason: failure.to_string(),
                    },
                    after,
                ));
            }
            Attempted::Sent { .. } | Attempted::Released { .. } | Attempted::Dropped(_) => {}
        }
    }

    /// The commit, if anything was recorded.
    pub fn into_commit(self) -> Option<Commit> {
        let mut commit = self.commit?;
        commit
            .invitations
            .extend(self.changed.into_values().map(Write::Update));
        Some(commit)
    }
}

/// What recording a late delivery report came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReportOutcome {
    /// No message has the report's provider id (a receipt for someone else's message, or
    /// one older than the store's memory): nothing changed.
    UnknownMessage,
    /// It says the message arrived: nothing to change.
    Delivered,
    /// It says the message did not arrive: the invitation is Failed now, with the reason.
    InvitationFailed,
    /// It says the message did not arrive, but the invitation moved on (signed up, cancelled,
    /// resent since, or failed already): nothing changed.
    NoLongerApplies,
}

/// R4.4, R7.2: a report that a message the transport accepted did not reach the invitee (an
/// SMS receipt `UNDELIV`, `REJECTD`) fails its invitation with the reason, as a permanent
/// failure at delivery would: unless the invitee signed up meanwhile, the invitation was
/// cancelled, resent since (the report is about an older link), or failed already. A report
/// that the message arrived changes nothing. Reporting twice changes nothing twice.
pub fn late_report(
    message: &OutboxMessage,
    inv: Option<&Invitation>,
    report: &DeliveryReport,
    now: DateTime<Utc>,
) -> crate::decide::Decision<ReportOutcome> {
    use crate::decide::Decision;
    let reason = match &report.outcome {
        DeliveryReportOutcome::Delivered => return Decision::nothing(ReportOutcome::Delivered),
        DeliveryReportOutcome::Failed { reason } => reason,
    };
    let Some(inv) = inv.filter(|i| i.failure().is_none()) else {
        return Decision::nothing(ReportOutcome::NoLongerApplies);
    };
    let generation = message
        .kind
        .is_invitation()
        .then_some(message.link_generation);
    let failure = FailureReason::DeliveryRejected(format!("delivery report: {reason}"));
    let Ok(failed) = inv.delivery_failed(generation, failure.clone(), now) else {
        return Decision::nothing(ReportOutcome::NoLongerApplies);
    };
    let mut commit = Commit::new(inv.org, now);
    commit.audit.push(AuditEvent::invitation(
        inv.org,
        inv.id,
        &Actor::System,
        now,
        AuditAction::DeliveryFailed {
            reason: failure.to_string(),
        },
        Some(inv.status_at(now)),
        Some(failed.status_at(now)),
    ));
    commit.invitations.push(Write::Update(failed));
    Decision::commit(commit, ReportOutcome::InvitationFailed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::given::*;
    use crate::outbox::Lease;

    fn claim(inv: &Invitation, kind: MessageKind) -> ClaimedMessage {
        let mut message = OutboxMessage::new(inv.org, inv.id, kind, inv.link_generation(), now());
        message.attempts = 1;
        ClaimedMessage {
            message,
            lease: Lease {
                token: uuid::Uuid::new_v4(),
                until: now() + TimeDelta::minutes(5),
            },
        }
    }

    #[test]
    fn r4_4_a_late_undelivered_report_fails_the_invitation_once() {
        let org = standalone(5);
        let inv = pending(&org, "+79051111111@example.com");
        let msg = claim(&inv, MessageKind::Invitation).message;
        let undelivered = DeliveryReport {
            provider_id: "smsc-1".into(),
            outcome: DeliveryReportOutcome::Failed {
                reason: "UNDELIV err:001".into(),
            },
        };
        let d = late_report(&msg, Some(&inv), &undelivered, now());
        assert_eq!(d.answer, Ok(ReportOutcome::InvitationFailed));
        let failed = d.commit.unwrap().invitations[0].record().clone();
        assert_eq!(failed.status_at(now()), Status::Failed);
        assert!(failed.failure().unwrap().to_string().contains("UNDELIV"));
        // Twice: nothing more.
        let again = late_report(&msg, Some(&failed), &undelivered, now());
        assert_eq!(
            again,
            crate::decide::Decision::nothing(ReportOutcome::NoLongerApplies)
        );
        // About an older link generation: the resend is what counts now.
        let resent = inv.resent(TimeDelta::zero(), now()).unwrap();
        let stale = late_report(&msg, Some(&resent), &undelivered, now());
        assert_eq!(stale.answer, Ok(ReportOutcome::NoLongerApplies));
    }

    #[test]
    fn r7_2_transport_failures_give_the_attempt_back_and_never_fail() {
        let policy = RetryPolicy::default();
        let down = NotifyError::transport("connection refused");
        let pause = TimeDelta::seconds(30);
        for attempts in [1, policy.max_attempts, policy.max_attempts + 5] {
            assert!(matches!(
                after_failure(&down, attempts, &policy, pause, 0.5, now()),
                Attempted::Released { .. }
            ));
        }
        let busy = NotifyError::transient("451 busy");
        assert!(
            matches!(after_failure(&busy, 1, &policy, pause, 0.0, now()), Attempted::Retry { due_at, .. } if due_at == now() + TimeDelta::seconds(30))
        );
        assert!(matches!(
            after_failure(&busy, policy.max_attempts, &policy, pause, 0.0, now()),
            Attempted::Failed(FailureReason::RetriesExhausted(_))
        ));
        let rejected = NotifyError::permanent("550 no such user");
        assert!(matches!(
            after_failure(&rejected, 1, &policy, pause, 0.0, now()),
            Attempted::Failed(FailureReason::DeliveryRejected(_))
        ));
    }

    #[test]
    fn r7_1_a_superseded_invitation_message_is_dropped() {
        let org = standalone(5);
        let inv = queued(&org, "bob@example.com");
        let c = claim(&inv, MessageKind::Invitation);
        assert_eq!(
            judge(&c.message, Some(&inv), Some(&org), now()),
            Verdict::Deliver { with_link: true }
        );
        let mut stale = c.message.clone();
        stale.link_generation = 0;
        assert!(matches!(
            judge(&stale, Some(&inv), Some(&org), now()),
            Verdict::Drop(_)
        ));
        assert!(matches!(
            judge(&c.message, None, Some(&org), now()),
            Verdict::Drop(_)
        ));
    }

    #[test]
    fn r4_3_a_batch_records_each_invitation_once_with_all_of_its_messages() {
        // given one invitation whose invitation message and (stale) reminder were claimed together
        let org = standalone(5);
        let inv = queued(&org, "bob@example.com");
        let first = claim(&inv, MessageKind::Invitation);
        let reminder = claim(&inv, MessageKind::Reminder);
        let mut batch = BatchRecord::new(now());
        batch.record(
            &first,
            Some(&inv),
            org.settings.validity,
            &Attempted::Sent {
                at: now(),
                receipt: Delivered::one(),
            },
        );
        batch.record(
            &reminder,
            Some(&inv),
            org.settings.validity,
            &Attempted::Dropped("stale".into()),
        );
        let commit = batch.into_commit().unwrap();
        // then both messages are finished and the invitation is written once, delivered
        assert_eq!(commit.outbox_updates.len(), 2);
        assert_eq!(commit.invitations.len(), 1);
        let stored = commit.invitations[0].record();
        assert_eq!(stored.status_at(now()), Status::Pending);
        assert_eq!(stored.expires_at(), Some(now() + org.settings.validity));
    }
}
