//! Dry runs (issue 11, point 9): what a bulk command would do, committing nothing. A dry run
//! is the command's own decision, read instead of committed: the per-item answers, the seats
//! the commit would need free, and the messages it would queue. It is what a confirmation
//! dialog shows ("Resend 12 invitations? 2 cannot be resent: ..."); the dialog itself is the
//! UI's.
//!
//! A dry run reads the store as it is at the time of the call: the real run, decided later,
//! may answer differently if the records changed meanwhile (an invitation delivered, a seat
//! taken), exactly as a second look at the table would.

use super::Decision;
use crate::contact::Channel;
use crate::ids::InvitationId;
use crate::outbox::MessageKind;
use crate::refusal::Refusal;
use serde::Serialize;

/// One message a command would queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedMessage {
    /// The invitation it is about.
    pub invitation: InvitationId,
    /// Invitation, resend, reminder or follow-up.
    pub kind: MessageKind,
    /// The channel it would go by.
    pub channel: Channel,
    /// The address it would go to.
    pub to: String,
}

/// What a bulk command would do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DryRun<T> {
    /// The per-item answers the real run would give now.
    pub answers: T,
    /// Seats that must be free when the commit is made (R3.3, R3.5); 0 if none.
    pub seats_needed: u32,
    /// The messages the commit would queue, in its order.
    pub messages: Vec<PlannedMessage>,
}

impl<T> DryRun<T> {
    /// The dry run of `decision`: its answer, its commit's seat check and messages. A refused
    /// decision is its refusal, as the real run's would be.
    pub fn of(decision: Decision<T>) -> Result<Self, Refusal> {
        let answers = decision.answer?;
        let Some(commit) = decision.commit else {
            return Ok(Self {
                answers,
                seats_needed: 0,
                messages: Vec::new(),
            });
        };
        let records: Vec<_> = commit.invitations.iter().map(|w| w.record()).collect();
        let messages = commit
            .outbox
            .iter()
            .filter_map(|m| {
                let inv = records.iter().find(|r| r.id == m.invitation)?;
                Some(PlannedMessage {
                    invitation: m.invitation,
                    kind: m.kind,
                    channel: inv.channel,
                    to: inv.address(),
                })
            })
            .collect();
        Ok(Self {
            answers,
            seats_needed: commit.seat_check.map_or(0, |c| c.required),
            messages,
        })
    }
}
