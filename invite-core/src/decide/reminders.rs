//! The reminder sweep's decision (R8): which of a page of candidates get today's reminder.
//! When a day's reminder is due and who is eligible are the pure functions of
//! [`crate::reminders`].

use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::invitation::Invitation;
use crate::org::Organization;
use crate::outbox::{MessageKind, OutboxMessage};
use crate::reminders;
use crate::store::{Commit, ReminderMark};
use chrono::{DateTime, NaiveDate, Utc};

/// R8.1, R8.2: one reminder, with its mark for local `day`, to each of `candidates` eligible at
/// `now` for a day whose reminder instant is `cutoff`. The store writes a mark and its message
/// only if the invitation has none for that day, so any number of sweeps remind once. `None`
/// if no one is eligible.
pub fn reminders_for(
    org: &Organization,
    day: NaiveDate,
    cutoff: DateTime<Utc>,
    candidates: &[Invitation],
    now: DateTime<Utc>,
) -> Option<Commit> {
    let mut commit = Commit::new(org.id, now);
    for inv in candidates
        .iter()
        .filter(|i| i.org == org.id && reminders::eligible(i, now, cutoff))
    {
        let status = inv.status_at(now);
        let mut message = OutboxMessage::new(
            org.id,
            inv.id,
            MessageKind::Reminder,
            inv.link_generation(),
            now,
        );
        message.reminder_day = Some(day);
        commit.reminders.push(ReminderMark {
            invitation: inv.id,
            day,
            message,
            audit: AuditEvent::invitation(
                org.id,
                inv.id,
                &Actor::System,
                now,
                AuditAction::ReminderQueued,
                Some(status),
                Some(status),
            ),
        });
    }
    (!commit.reminders.is_empty()).then_some(commit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::given::*;
    use chrono::TimeDelta;

    #[test]
    fn r8_1_pending_invitees_sent_before_the_reminder_time_are_reminded() {
        let org = standalone(5);
        let sent_before = pending(&org, "early@example.com");
        let queued = queued(&org, "queued@example.com");
        let cutoff = now() + TimeDelta::hours(1);
        let later = cutoff + TimeDelta::minutes(1);
        let commit = reminders_for(
            &org,
            later.date_naive(),
            cutoff,
            &[sent_before.clone(), queued],
            later,
        )
        .expect("one is eligible");
        assert_eq!(commit.reminders.len(), 1);
        assert_eq!(commit.reminders[0].invitation, sent_before.id);
        assert_eq!(
            commit.reminders[0].message.reminder_day,
            Some(later.date_naive())
        );
        // Sent after today's reminder time: none today.
        assert_eq!(
            reminders_for(
                &org,
                now().date_naive(),
                now() - TimeDelta::hours(1),
                &[sent_before],
                now()
            ),
            None
        );
    }
}
