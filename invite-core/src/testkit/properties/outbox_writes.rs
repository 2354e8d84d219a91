//! [`OutboxWrites`]: a store wrapper that counts what accepted commits write to the outbox, so
//! the properties can check that a refused action queued nothing on any store, through the
//! [`Store`] ports alone.

use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use crate::invitation::Invitation;
use crate::member::{Member, Seats};
use crate::org::Organization;
use crate::store::{Commit, CommitOutcome, RecordStore, Store, StoreError};
use crate::token::{LinkRecord, TokenHash};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
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

#[async_trait]
impl<S: Store + 'static> RecordStore for OutboxWrites<S> {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        let queued = commit.outbox.len() + commit.reminders.len();
        let updated = commit.outbox_updates.len();
        let outcome = self.inner.commit(commit).await?;
        let skipped = outcome.reminders_skipped.len();
        let writes = (queued - skipped + updated) as u64;
        self.writes.fetch_add(writes, Ordering::SeqCst);
        Ok(outcome)
    }
    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
        self.inner.organization(id).await
    }
    async fn organizations(&self, ids: &[OrgId]) -> Result<Vec<Organization>, StoreError> {
        self.inner.organizations(ids).await
    }
    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        self.inner.invitation(id).await
    }
    async fn invitations(&self, ids: &[InvitationId]) -> Result<Vec<Invitation>, StoreError> {
        self.inner.invitations(ids).await
    }
    async fn open_invitations(
        &self,
        org: OrgId,
        address_keys: &[String],
    ) -> Result<Vec<Invitation>, StoreError> {
        self.inner.open_invitations(org, address_keys).await
    }
    async fn invitations_for_users(
        &self,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<Invitation>, StoreError> {
        self.inner.invitations_for_users(org, users).await
    }
    async fn link(&self, hash: &TokenHash) -> Result<Option<LinkRecord>, StoreError> {
        self.inner.link(hash).await
    }
    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        self.inner.member(id).await
    }
    async fn active_members(
        &self,
        org: OrgId,
        contact_keys: &[String],
    ) -> Result<Vec<Member>, StoreError> {
        self.inner.active_members(org, contact_keys).await
    }
    async fn seats(&self, org: OrgId, now: DateTime<Utc>) -> Result<Seats, StoreError> {
        self.inner.seats(org, now).await
    }
}

crate::forward_outbox_and_views!(for OutboxWrites<S> where S: [Store + 'static] => |this| this.inner);
