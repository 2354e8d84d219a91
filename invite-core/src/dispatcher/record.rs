//! A batch's delivery and its outcomes: one attempt per message through the circuit breaker,
//! the outcomes recorded in one commit under the leases, and claims given back when a batch
//! stops before delivery.

use super::{DispatchReport, Dispatcher, Loaded, jitter_unit};
use crate::clock::Clock;
use crate::decide::Decision;
use crate::decide::delivery::{self as decide, Attempted, BatchRecord};
use crate::error::Error;
use crate::ids::InvitationId;
use crate::invitation::Invitation;
use crate::notifier::{Notification, Notifier};
use crate::outbox::ClaimedMessage;
use crate::retry::commit_decided;
use crate::store::{Conflict, Store};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

impl<S: Store, N: Notifier, C: Clock> Dispatcher<S, N, C> {
    /// One delivery attempt; what it came to.
    pub(super) async fn deliver(&self, claim: &ClaimedMessage, n: &Notification) -> Attempted {
        let started = self.clock.now();
        if let Some(until) = self.breaker().paused_until(started) {
            return Attempted::Released {
                due_at: until,
                error: "delivery paused: the notifier's transport keeps failing".into(),
            };
        }
        match self.notifier.deliver(n).await {
            Ok(receipt) => {
                self.breaker().succeeded();
                Attempted::Sent {
                    at: self.clock.now(),
                    receipt,
                }
            }
            Err(e) => {
                let now = self.clock.now();
                let pause = {
                    let mut breaker = self.breaker();
                    if e.is_transport() {
                        breaker.transport_failed(&self.config.breaker, e.reason(), now);
                    }
                    breaker.pause(&self.config.breaker)
                };
                let unit = jitter_unit();
                let attempts = claim.message.attempts;
                let attempted =
                    decide::after_failure(&e, attempts, &self.config.retry, pause, unit, now);
                match &attempted {
                    Attempted::Failed(_) => {
                        tracing::warn!(message = %claim.message.id, attempt = attempts, error = %e, "delivery failed for good")
                    }
                    _ => {
                        tracing::info!(message = %claim.message.id, attempt = attempts, error = %e, "delivery failed, will retry")
                    }
                }
                attempted
            }
        }
    }

    /// Records the attempts of the claims numbered `which` in one commit, deciding again after
    /// a conflict: a message whose lease was lost is left out; a changed invitation is
    /// reloaded.
    pub(super) async fn record_messages(
        &self,
        claims: &[ClaimedMessage],
        attempted: &[Attempted],
        loaded: &Loaded,
        which: Vec<usize>,
        now: DateTime<Utc>,
    ) -> Result<DispatchReport, Error> {
        struct State {
            live: Vec<usize>,
            invitations: HashMap<InvitationId, Invitation>,
            lease_lost: u32,
        }
        let invitations = which
            .iter()
            .filter_map(|i| loaded.invitations.get(&claims[*i].message.invitation))
            .map(|inv| (inv.id, inv.clone()))
            .collect();
        let state = Mutex::new(State {
            live: which,
            invitations,
            lease_lost: 0,
        });
        let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
        let max = self.config.max_conflict_retries + claims.len() as u32;
        commit_decided(&self.store, max, |conflict| {
            let reload = match &conflict {
                Some(Conflict::LeaseLost(id)) => {
                    tracing::warn!(message = %id, "lease lost: another dispatcher took the message over");
                    let mut s = lock();
                    s.live.retain(|i| claims[*i].message.id != *id);
                    s.lease_lost += 1;
                    false
                }
                Some(_) => true,
                None => false,
            };
            let (state, orgs) = (&state, &loaded.orgs);
            async move {
                if reload {
                    let ids: Vec<InvitationId> = {
                        let s = state.lock().unwrap_or_else(|e| e.into_inner());
                        s.live.iter().map(|i| claims[*i].message.invitation).collect()
                    };
                    let fresh = self.store.invitations(&ids).await?;
                    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                    s.invitations = fresh.into_iter().map(|i| (i.id, i)).collect();
                }
                let s = state.lock().unwrap_or_else(|e| e.into_inner());
                let mut batch = BatchRecord::new(now);
                for &i in &s.live {
                    let msg = &claims[i].message;
                    let validity = orgs
                        .get(&msg.org)
                        .map_or(TimeDelta::hours(72), |o| o.settings.validity);
                    let inv = s.invitations.get(&msg.invitation);
                    batch.record(&claims[i], inv, validity, &attempted[i]);
                }
                Ok(match batch.into_commit() {
                    Some(commit) => Decision::commit(commit, ()),
                    None => Decision::nothing(()),
                })
            }
        })
        .await?;
        let s = lock();
        let mut report = DispatchReport {
            lease_lost: s.lease_lost,
            ..DispatchReport::default()
        };
        for &i in &s.live {
            report.count(&attempted[i]);
        }
        Ok(report)
    }

    /// Gives the claims back at once, attempts included, after `error` stopped the batch
    /// before delivery. Best effort: if the store fails again, the leases run out instead.
    pub(super) async fn release(
        &self,
        claims: &[ClaimedMessage],
        error: &Error,
        now: DateTime<Utc>,
    ) {
        let mut batch = BatchRecord::new(now);
        let released = Attempted::Released {
            due_at: now,
            error: format!("batch stopped before delivery: {error}"),
        };
        for claim in claims {
            batch.record(claim, None, TimeDelta::zero(), &released);
        }
        if let Some(commit) = batch.into_commit() {
            if let Err(e) = self.store.commit(commit).await {
                tracing::warn!(error = %e, "could not release claims; their leases will run out");
            }
        }
    }
}
