//! [`CommitCounter`]: a store wrapper that counts the commits it passes on, for cases that
//! prove a command is one commit (a selection action) or one per chunk (a large import).

use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use crate::invitation::Invitation;
use crate::member::{Member, Seats};
use crate::org::Organization;
use crate::store::{Commit, CommitOutcome, RecordStore, Store, StoreError};
use crate::token::{LinkRecord, TokenHash};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
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

#[async_trait]
impl<S: Store + 'static> RecordStore for CommitCounter<S> {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        let outcome = self.inner.commit(commit).await?;
        self.accepted.fetch_add(1, Ordering::SeqCst);
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

crate::forward_outbox_and_views!(for CommitCounter<S> where S: [Store + 'static] => |this| this.inner);
