//! [`OutboxWrites`]: a store wrapper that counts what accepted commits write to the outbox, so
//! the properties can check that a refused action queued nothing on any store, through the
//! [`Store`] ports alone.

use crate::store::{Commit, CommitOutcome, Store, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};

/// `inner`, counting the outbox writes of every commit it accepts: messages queued (reminders
/// included, less those the store skipped as already marked) and updates of queued messages
/// (sent, retried, failed, dropped). Every change of the outbox goes through a commit, so an
/// unchanged count means an unchanged outbox, which is what a refused action must leave.
pub(super) struct OutboxWrites<S> {
    inner: S,
    writes: AtomicU64,
}

impl<S> OutboxWrites<S> {
    /// `inner`, with no write counted yet.
    pub(super) fn new(inner: S) -> Self {
        Self {
            inner,
            writes: AtomicU64::new(0),
        }
    }

    /// The outbox writes of the commits accepted so far.
    pub(super) fn outbox_writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }
}

crate::forward_record_reads!(for OutboxWrites<S> where S: [Store + 'static] => |this| this.inner, {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        let queued = commit.outbox.len() + commit.reminders.len();
        let updated = commit.outbox_updates.len();
        let outcome = self.inner.commit(commit).await?;
        let skipped = outcome.reminders_skipped.len();
        let writes = (queued - skipped + updated) as u64;
        self.writes.fetch_add(writes, Ordering::SeqCst);
        Ok(outcome)
    }
});

crate::forward_outbox_and_views!(for OutboxWrites<S> where S: [Store + 'static] => |this| this.inner);
