//! [`RaceGate`]: a store wrapper that makes racing commands all decide before any commits, so
//! the race a store must settle happens on every run instead of being left to the scheduler.

use crate::clock::ManualClock;
use crate::service::InvitationService;
use crate::store::{Commit, CommitOutcome, Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A service whose first commits wait for each other (see [`RaceGate`]).
pub type RacingService<S> = InvitationService<Arc<RaceGate<S>>, Arc<ManualClock>>;

/// A store wrapper that holds back the first `n` commits until all `n` have arrived, so `n`
/// racing commands have all read the state and decided before any of them commits. The race
/// the store must settle then happens on every run, on any runtime, instead of being left to
/// the scheduler. Later commits (retries after a conflict) pass straight through.
pub struct RaceGate<S> {
    inner: Arc<S>,
    held: AtomicUsize,
    barrier: tokio::sync::Barrier,
}

impl<S> RaceGate<S> {
    /// A gate in front of `inner` for the next `n` commits.
    pub fn new(inner: Arc<S>, n: usize) -> Self {
        Self {
            inner,
            held: AtomicUsize::new(n),
            barrier: tokio::sync::Barrier::new(n),
        }
    }
}

crate::forward_record_reads!(for RaceGate<S> where S: [Store + 'static] => |this| this.inner, {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        let gated = self
            .held
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if gated {
            // A watchdog, not a delay: a case whose racers do not all commit fails instead of
            // hanging.
            let all = tokio::time::timeout(std::time::Duration::from_secs(60), self.barrier.wait());
            all.await.expect("every racing command reached its commit");
        }
        self.inner.commit(commit).await
    }
});

crate::forward_outbox_and_views!(for RaceGate<S> where S: [Store + 'static] => |this| this.inner);
