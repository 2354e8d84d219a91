//! When a batch's commit fails: one message at a time, so that a message the store will not
//! take (a record it cannot hold, say) never holds up the others (R7.2).
//!
//! The links of a batch, and then its outcomes, are each committed in one go. If that commit
//! fails, each message's part is committed on its own. A message whose own commit fails while
//! the store still answers reads is that message's failure: it is recorded against the
//! message alone, which is retried after the back-off (`decide::delivery::after_own_failure`).
//! If the store does not answer either, the failure is the store's: the batch stops with the
//! error, as it did before.

use super::{Dispatcher, Loaded, jitter_unit};
use crate::clock::Clock;
use crate::decide::Decision;
use crate::decide::delivery::{self as decide, Attempted};
use crate::dispatcher::DispatchReport;
use crate::error::Error;
use crate::notifier::Notifier;
use crate::outbox::{ClaimedMessage, OutboxUpdate};
use crate::retry::commit_decided;
use crate::store::{Commit, Store};
use crate::token::LinkRecord;
use chrono::{DateTime, Utc};

impl<S: Store, N: Notifier, C: Clock> Dispatcher<S, N, C> {
    /// Commits `commit` on its own, deciding again (the same commit) after a conflict.
    async fn commit_alone(&self, commit: Commit) -> Result<(), Error> {
        let max = self.config.max_conflict_retries;
        commit_decided(&self.store, max, |_| {
            let commit = commit.clone();
            async move { Ok(Decision::commit(commit, ())) }
        })
        .await
        .map(drop)
    }

    /// Commits the batch's new links (claim number, link): in one commit, or else one by one.
    /// Answers the claims whose link the store would not take, with why; fails if the store
    /// itself fails.
    pub(super) async fn commit_links(
        &self,
        claims: &[ClaimedMessage],
        links: Vec<(usize, LinkRecord)>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(usize, String)>, Error> {
        let Some((first, _)) = links.first() else {
            return Ok(Vec::new());
        };
        let mut commit = Commit::new(claims[*first].message.org, now);
        commit.links = links.iter().map(|(_, l)| l.clone()).collect();
        let Err(error) = self.commit_alone(commit).await else {
            return Ok(Vec::new());
        };
        tracing::warn!(error = %error, "committing the batch's links failed; committing them one by one");
        let mut refused = Vec::new();
        for (i, link) in links {
            let mut commit = Commit::new(claims[i].message.org, now);
            commit.links = vec![link];
            if let Err(e) = self.commit_alone(commit).await {
                self.only_this_message(&claims[i], &e).await?;
                refused.push((i, format!("the store would not take its link: {e}")));
            }
        }
        Ok(refused)
    }

    /// Records the batch's attempts: in one commit, or else message by message. A message
    /// whose record the store would not take is retried later on its own (counted as
    /// retried); fails if the store itself fails.
    pub(super) async fn record(
        &self,
        claims: &[ClaimedMessage],
        attempted: &[Attempted],
        loaded: &Loaded,
        now: DateTime<Utc>,
    ) -> Result<DispatchReport, Error> {
        let all = (0..claims.len()).collect();
        let error = match self
            .record_messages(claims, attempted, loaded, all, now)
            .await
        {
            Ok(report) => return Ok(report),
            Err(e) => e,
        };
        tracing::warn!(error = %error, "recording the batch failed; recording its messages one by one");
        let mut report = DispatchReport::default();
        for i in 0..claims.len() {
            match self
                .record_messages(claims, attempted, loaded, vec![i], now)
                .await
            {
                Ok(one) => report.add(&one),
                Err(e) => {
                    self.only_this_message(&claims[i], &e).await?;
                    self.record_unrecordable(&claims[i], &e, now).await;
                    report.retried += 1;
                }
            }
        }
        Ok(report)
    }

    /// Whether `error`, from a commit of `claim`'s part alone, is that message's: `Ok` if the
    /// store still answers a read of it, the store's failure (`Err`) otherwise.
    async fn only_this_message(&self, claim: &ClaimedMessage, error: &Error) -> Result<(), Error> {
        match self.store.message(claim.message.id).await {
            Ok(_) => {
                tracing::error!(message = %claim.message.id, error = %error, "the store refuses this message's commit; it is retried later on its own");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Finishes `claim` with nothing but its outbox row, after the store refused the record of
    /// its attempt: retried after the back-off, or dead once its attempts are used up. Best
    /// effort: if the store refuses this too, the lease runs out instead.
    async fn record_unrecordable(&self, claim: &ClaimedMessage, error: &Error, now: DateTime<Utc>) {
        let why = format!("the store would not record its attempt: {error}");
        let attempts = claim.message.attempts;
        let unit = jitter_unit();
        let next = decide::after_own_failure(why, attempts, &self.config.retry, unit, now);
        let mut commit = Commit::new(claim.message.org, now);
        commit.outbox_updates.push(OutboxUpdate {
            id: claim.message.id,
            lease: claim.lease.token,
            // The outbox row alone: the invitation's part is what the store refused.
            outcome: next.outcome(),
        });
        if let Err(e) = self.commit_alone(commit).await {
            tracing::warn!(message = %claim.message.id, error = %e, "could not postpone the message; its lease will run out");
        }
    }
}
