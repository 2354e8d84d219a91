//! [`RaceGate`]: a store wrapper that makes racing commands all decide before any commits, so
//! the race a store must settle happens on every run instead of being left to the scheduler.

use crate::clock::ManualClock;
use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use crate::invitation::Invitation;
use crate::member::{Member, Seats};
use crate::org::Organization;
use crate::service::InvitationService;
use crate::store::{Commit, CommitOutcome, RecordStore, Store, StoreError};
use crate::token::{LinkRecord, TokenHash};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
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

#[async_trait]
impl<S: Store + 'static> RecordStore for RaceGate<S> {
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

crate::forward_outbox_and_views!(for RaceGate<S> where S: [Store + 'static] => |this| this.inner);
