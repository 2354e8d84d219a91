//! The daily reminder sweep (R8).

use super::InvitationService;
use crate::clock::Clock;
use crate::decide::{self, Decision};
use crate::error::Error;
use crate::org::Organization;
use crate::reminders;
use crate::retry::commit_decided;
use crate::store::{ReminderQuery, Store};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What one reminder sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Organizations whose reminder time had passed today.
    pub organizations_due: u32,
    /// Reminders queued.
    pub queued: u32,
    /// Eligible invitations skipped because another sweep already reminded them today.
    pub already_reminded: u32,
}

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// Queues today's reminders for every organization whose reminder time has passed (R8).
    /// Run it as often as you like from as many instances as you like: each invitation gets at
    /// most one reminder per organization-local day (R8.2), and missed days are not made up
    /// for. It reads candidates a page at a time, so memory stays flat however many there are.
    /// An organization whose reminders fail to be read or committed holds up no other: the
    /// sweep goes on to the next, and answers the first failure once all were swept.
    pub async fn sweep_reminders(&self) -> Result<SweepReport, Error> {
        let now = self.clock.now();
        let mut report = SweepReport::default();
        let mut first_failure = None;
        let mut after_org = None;
        loop {
            let orgs = self
                .store
                .organizations_with_reminders(after_org, 100)
                .await?;
            let Some(last) = orgs.last() else { break };
            after_org = Some(last.id);
            for org in &orgs {
                let Some((day, cutoff)) = reminders::due_day(&org.settings, now) else {
                    continue;
                };
                report.organizations_due += 1;
                if let Err(e) = self.sweep_one(org, day, cutoff, now, &mut report).await {
                    tracing::warn!(org = %org.id, error = %e, "reminder sweep failed for this organization");
                    first_failure.get_or_insert(e);
                }
            }
        }
        match first_failure {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Queues today's reminders for one organization, a page of candidates at a time.
    async fn sweep_one(
        &self,
        org: &Organization,
        day: NaiveDate,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
        report: &mut SweepReport,
    ) -> Result<(), Error> {
        let mut after = None;
        loop {
            let query = ReminderQuery {
                org: org.id,
                day,
                now,
                cutoff,
                after,
                limit: self.config.sweep_batch,
            };
            let page = self.store.reminder_candidates(&query).await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id);
            let Some(commit) = decide::reminders::reminders_for(org, day, cutoff, &page, now)
            else {
                continue;
            };
            let marks = commit.reminders.len() as u32;
            // Marks that exist are skipped, not refused: a retry after a conflict (an aborted
            // transaction) commits the same marks again safely.
            let max = self.config.max_conflict_retries;
            let (_, outcome) = commit_decided(&self.store, max, |_| {
                let commit = commit.clone();
                async move { Ok(Decision::commit(commit, ())) }
            })
            .await?;
            let skipped = outcome.map_or(0, |o| o.reminders_skipped.len() as u32);
            report.queued += marks - skipped;
            report.already_reminded += skipped;
        }
    }
}
