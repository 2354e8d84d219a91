//! [`CommitCounter`]: a store wrapper that counts the commits it passes on, for cases that
//! prove a command is one commit (a selection action) or one per chunk (a large import).

use crate::store::{Commit, CommitOutcome, Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A store wrapper counting the commits the store accepted.
pub struct CommitCounter<S> {
    inner: Arc<S>,
    accepted: AtomicUsize,
}

impl<S> CommitCounter<S> {
    /// A counter in front of `inner`, at zero.
    pub fn new(inner: S) -> Self {
        Self {
            inner: Arc::new(inner),
            accepted: AtomicUsize::new(0),
        }
    }

    /// Commits the store accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

crate::forward_record_reads!(for CommitCounter<S> where S: [Store + 'static] => |this| this.inner, {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        let outcome = self.inner.commit(commit).await?;
        self.accepted.fetch_add(1, Ordering::SeqCst);
        Ok(outcome)
    }
});

crate::forward_outbox_and_views!(for CommitCounter<S> where S: [Store + 'static] => |this| this.inner);
