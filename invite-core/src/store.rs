//! The storage trait. The core decides; a store only persists decisions atomically and answers
//! queries.
//!
//! Every change is one [`Commit`]: all of its writes, new links, outbox messages, reminder
//! marks and audit events land together or not at all, and the store refuses it with a
//! [`Conflict`] if another writer got there first (versions), if an address already has an open
//! invitation (R2.7), if the seats it needs are gone at commit time (R3.4), or if a dispatcher
//! lost its lease (R7.3). The service then reloads, decides again and retries.

use crate::audit::AuditEvent;
use crate::dashboard::{Dashboard, DayActivity, ListQuery, Page};
use crate::ids::{InvitationId, MemberId, MessageId, OrgId, UserRef};
use crate::invitation::Invitation;
use crate::member::{Member, Seats};
use crate::notifier::BoxError;
use crate::org::Organization;
use crate::outbox::{ClaimedMessage, OutboxMessage, OutboxUpdate};
use crate::token::{LinkRecord, TokenHash};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use thiserror::Error;

/// A write of one record: insert a new one, or update one read at `version` (the store then
/// stores `version + 1`).
#[derive(Clone, Debug, PartialEq)]
pub enum Write<T> {
    /// A new record; its version must be 0.
    Insert(T),
    /// A changed record carrying the version it was read at.
    Update(T),
}

impl<T> Write<T> {
    /// The record.
    pub fn record(&self) -> &T {
        match self {
            Write::Insert(t) | Write::Update(t) => t,
        }
    }
}

/// A reminder for one invitation on one organization-local day (R8.2). The store inserts the
/// mark and its message only if no mark exists for that invitation and day; otherwise it skips
/// both, silently: another sweep got there first.
#[derive(Clone, Debug, PartialEq)]
pub struct ReminderMark {
    /// The invitation.
    pub invitation: InvitationId,
    /// The local day.
    pub day: NaiveDate,
    /// The reminder message to queue with it.
    pub message: OutboxMessage,
    /// Its audit event, written only if the mark is.
    pub audit: AuditEvent,
}

/// Seats a commit needs, checked by the store at commit time under the organization's lock
/// (R3.4). Both conditions are evaluated on the state before the commit applies:
/// - `available >= required`, where available = limit − used and used counts active members
///   plus, under `ReserveOnInvite`, live invitations (R3.1, R3.5);
/// - if `new_members > 0`: active members + `new_members` <= limit. A reserved signup turns
///   its reservation into a member and needs no free seat, but it must not push the members
///   past the limit: normally it cannot (reservations never exceed the limit, so R3.5 holds);
///   after the limit was lowered, or the policy switched with more live invitations than
///   seats, it stops new members until seats are free again (R3.4, R3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatCheck {
    /// Seats that must be available.
    pub required: u32,
    /// Members the commit adds.
    pub new_members: u32,
}

impl SeatCheck {
    /// `required` seats must be available; no member is added.
    pub fn seats(required: u32) -> Self {
        Self {
            required,
            new_members: 0,
        }
    }

    /// One member is added, taking a free seat (`ClaimOnSignup`, a member added directly).
    pub fn claim_member() -> Self {
        Self {
            required: 1,
            new_members: 1,
        }
    }

    /// One member is added, converting a reservation it already holds (`ReserveOnInvite`).
    pub fn reserved_member() -> Self {
        Self {
            required: 0,
            new_members: 1,
        }
    }

    /// The seat verdict at commit time (R3.3, R3.4, R3.5, R3.6): the one place the rule is
    /// decided, called by every store under its organization lock with the counts before the
    /// commit applies: the seat `limit`, the active `members`, and the live invitations that
    /// hold a seat (`reserved`, 0 under `ClaimOnSignup`).
    ///
    /// ```
    /// use invite_core::{Conflict, SeatCheck};
    /// assert!(SeatCheck::claim_member().verdict(5, 4, 0).is_ok());
    /// assert!(matches!(
    ///     SeatCheck::claim_member().verdict(5, 5, 0),
    ///     Err(Conflict::SeatsExhausted { required: 1, available: 0 })
    /// ));
    /// // A reserved signup needs no free seat, but never pushes members past the limit.
    /// assert!(SeatCheck::reserved_member().verdict(5, 2, 3).is_ok());
    /// assert!(SeatCheck::reserved_member().verdict(2, 2, 1).is_err());
    /// ```
    pub fn verdict(&self, limit: u32, members: u32, reserved: u32) -> Result<(), Conflict> {
        let seats = Seats::new(limit, members.saturating_add(reserved));
        let over_limit = self.new_members > 0 && members.saturating_add(self.new_members) > limit;
        if seats.available < self.required || over_limit {
            return Err(Conflict::SeatsExhausted {
                required: self.required.max(self.new_members),
                available: seats.available.min(limit.saturating_sub(members)),
            });
        }
        Ok(())
    }
}

/// One atomic change: the unit of every decision.
#[derive(Clone, Debug, PartialEq)]
pub struct Commit {
    /// The organization the change is about; its row is the lock for seat checks.
    pub org: OrgId,
    /// The decision's instant: seats reserved by live invitations are counted at this time.
    pub now: DateTime<Utc>,
    /// An organization created or changed.
    pub organization: Option<Write<Organization>>,
    /// Invitations created or changed.
    pub invitations: Vec<Write<Invitation>>,
    /// Members created or changed.
    pub members: Vec<Write<Member>>,
    /// New signup links (hashes only).
    pub links: Vec<LinkRecord>,
    /// Seats needed free at commit time.
    pub seat_check: Option<SeatCheck>,
    /// Messages to queue.
    pub outbox: Vec<OutboxMessage>,
    /// Claimed messages to finish.
    pub outbox_updates: Vec<OutboxUpdate>,
    /// Reminders to queue, at most one per invitation and day.
    pub reminders: Vec<ReminderMark>,
    /// The audit trail of this change (R10.2).
    pub audit: Vec<AuditEvent>,
}

impl Commit {
    /// An empty commit about `org` at `now`.
    pub fn new(org: OrgId, now: DateTime<Utc>) -> Self {
        Self {
            org,
            now,
            organization: None,
            invitations: Vec::new(),
            members: Vec::new(),
            links: Vec::new(),
            seat_check: None,
            outbox: Vec::new(),
            outbox_updates: Vec::new(),
            reminders: Vec::new(),
            audit: Vec::new(),
        }
    }
}

/// What a successful commit reports back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitOutcome {
    /// Reminders skipped because their invitation already had one that day.
    pub reminders_skipped: Vec<InvitationId>,
}

/// A commit refused because the world changed since the decision was made. The service reloads
/// and decides again; a caller that sees one (after the service's retries) should retry the
/// request, as for an HTTP 409.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Conflict {
    /// A record changed since it was read, or an insert found it existing.
    #[error("{entity} {id} was changed concurrently")]
    Version {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// A record to update does not exist.
    #[error("{entity} {id} does not exist")]
    Missing {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// Another open invitation exists for this organization and address (R2.7).
    #[error("an open invitation to {address_key} exists")]
    OpenInvitationExists {
        /// The address key.
        address_key: String,
    },
    /// Fewer seats are free than the commit needs (R3.4).
    #[error("{required} seat(s) needed, {available} available")]
    SeatsExhausted {
        /// Needed.
        required: u32,
        /// Free at commit time.
        available: u32,
    },
    /// The claim on an outbox message was taken over by another dispatcher (R7.3).
    #[error("lease on message {0} was lost")]
    LeaseLost(MessageId),
    /// A link hash is already stored (a 256-bit collision: in practice, a bug).
    #[error("link hash already exists")]
    DuplicateLink,
    /// The database aborted the commit's transaction to resolve a clash with another one (a
    /// deadlock or a serialization failure). Nothing was written; deciding again is safe.
    #[error("transaction aborted by the database to resolve a concurrent clash ({code})")]
    TransactionAborted {
        /// The database's error code, e.g. SQLSTATE `40P01` (deadlock) or `40001`.
        code: String,
    },
}

/// A store failure.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The commit was refused; nothing was written.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The backend failed (connection, I/O, ...); whether anything was written is the
    /// backend's transaction guarantee: nothing, for the stores of this project.
    #[error("store backend failure")]
    Backend(#[source] BoxError),
}

/// Which invitations a reminder sweep looks at: one organization, one local day, in id order
/// after `after`, at most `limit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderQuery {
    /// The organization.
    pub org: OrgId,
    /// Its local day.
    pub day: NaiveDate,
    /// The sweep's instant.
    pub now: DateTime<Utc>,
    /// Today's reminder instant: only invitations sent (or signed up) before it qualify.
    pub cutoff: DateTime<Utc>,
    /// Keyset position.
    pub after: Option<InvitationId>,
    /// Page size.
    pub limit: u32,
}

/// Persistence for everything the core decides. Implementations: [`crate::MemoryStore`] and
/// `invite-sqlx`'s Postgres store; both pass the same conformance suite
/// (`invite_core::testkit`).
///
/// Queries that take `now` evaluate statuses at that instant (R4): a store must apply the same
/// rules as [`Invitation::status_at`].
#[async_trait]
pub trait Store: Send + Sync {
    /// Applies a commit atomically, or refuses it with a [`Conflict`] and writes nothing.
    ///
    /// Refusals: a write whose version is not the stored one ([`Conflict::Version`]) or whose
    /// record is gone ([`Conflict::Missing`]); a second open invitation for one organization
    /// and address key ([`Conflict::OpenInvitationExists`]); a second active member of one
    /// organization with the same contact key ([`Conflict::Version`] on the member); a failed
    /// [`SeatCheck`] ([`Conflict::SeatsExhausted`]); an outbox update whose lease is no longer
    /// the message's ([`Conflict::LeaseLost`]); a link hash already stored
    /// ([`Conflict::DuplicateLink`]). Reminder marks that exist are skipped, not refused.
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError>;

    /// One organization.
    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError>;

    /// Organizations with reminders switched on, in id order after `after`.
    async fn organizations_with_reminders(
        &self,
        after: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<Organization>, StoreError>;

    /// One invitation.
    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError>;

    /// Open invitations (R2.7) of `org` to any of these address keys.
    async fn open_invitations(
        &self,
        org: OrgId,
        address_keys: &[String],
    ) -> Result<Vec<Invitation>, StoreError>;

    /// Invitations of `org` tied to any of these application user ids (R2.11), closed ones
    /// included.
    async fn invitations_for_users(
        &self,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<Invitation>, StoreError>;

    /// The link with this hash.
    async fn link(&self, hash: &TokenHash) -> Result<Option<LinkRecord>, StoreError>;

    /// One member.
    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError>;

    /// Active members of `org` reachable at any of these contact keys.
    async fn active_members(
        &self,
        org: OrgId,
        contact_keys: &[String],
    ) -> Result<Vec<Member>, StoreError>;

    /// Seats of `org` at `now`: active members, plus live invitations under
    /// `ReserveOnInvite` (R3.1, R3.5).
    async fn seats(&self, org: OrgId, now: DateTime<Utc>) -> Result<Seats, StoreError>;

    /// Claims up to `limit` due messages for `lease` (R7.3): pending, due at `now`, not under a
    /// live lease. Each claimed message's attempt count goes up by one.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> Result<Vec<ClaimedMessage>, StoreError>;

    /// One outbox message.
    async fn message(&self, id: MessageId) -> Result<Option<OutboxMessage>, StoreError>;

    /// Invitations that may get a reminder (R8.1) on `query.day`: not closed, and either
    /// Pending at `now` and last delivered before `cutoff`, or Never Used and signed up before
    /// `cutoff`; without a reminder mark for that day.
    async fn reminder_candidates(
        &self,
        query: &ReminderQuery,
    ) -> Result<Vec<Invitation>, StoreError>;

    /// Counts per tab and per channel, seats and the reminder switch of `org` at `now`, in
    /// one call (R9.1); `None` if the organization does not exist.
    async fn dashboard(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> Result<Option<Dashboard>, StoreError>;

    /// One page of a tab (R9.2).
    async fn list(
        &self,
        org: OrgId,
        query: &ListQuery,
        now: DateTime<Utc>,
    ) -> Result<Page, StoreError>;

    /// Deliveries, signups and first logins per local day of `tz`, for days `from..=to`
    /// (R9.3), from the audit trail. Days without activity are included with zeros.
    async fn daily_activity(
        &self,
        org: OrgId,
        from: NaiveDate,
        to: NaiveDate,
        tz: Tz,
    ) -> Result<Vec<DayActivity>, StoreError>;

    /// The audit trail of `org`, oldest first, optionally of one invitation (R10.2).
    async fn audit_trail(
        &self,
        org: OrgId,
        invitation: Option<InvitationId>,
    ) -> Result<Vec<AuditEvent>, StoreError>;
}

macro_rules! forward_store {
    ($($ptr:ty),*) => {$(
        #[async_trait]
        impl<S: Store + ?Sized> Store for $ptr {
            async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
                (**self).commit(commit).await
            }
            async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
                (**self).organization(id).await
            }
            async fn organizations_with_reminders(&self, after: Option<OrgId>, limit: u32) -> Result<Vec<Organization>, StoreError> {
                (**self).organizations_with_reminders(after, limit).await
            }
            async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
                (**self).invitation(id).await
            }
            async fn open_invitations(&self, org: OrgId, address_keys: &[String]) -> Result<Vec<Invitation>, StoreError> {
                (**self).open_invitations(org, address_keys).await
            }
            async fn invitations_for_users(&self, org: OrgId, users: &[UserRef]) -> Result<Vec<Invitation>, StoreError> {
                (**self).invitations_for_users(org, users).await
            }
            async fn link(&self, hash: &TokenHash) -> Result<Option<LinkRecord>, StoreError> {
                (**self).link(hash).await
            }
            async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
                (**self).member(id).await
            }
            async fn active_members(&self, org: OrgId, contact_keys: &[String]) -> Result<Vec<Member>, StoreError> {
                (**self).active_members(org, contact_keys).await
            }
            async fn seats(&self, org: OrgId, now: DateTime<Utc>) -> Result<Seats, StoreError> {
                (**self).seats(org, now).await
            }
            async fn claim_due(&self, now: DateTime<Utc>, lease: TimeDelta, limit: u32) -> Result<Vec<ClaimedMessage>, StoreError> {
                (**self).claim_due(now, lease, limit).await
            }
            async fn message(&self, id: MessageId) -> Result<Option<OutboxMessage>, StoreError> {
                (**self).message(id).await
            }
            async fn reminder_candidates(&self, query: &ReminderQuery) -> Result<Vec<Invitation>, StoreError> {
                (**self).reminder_candidates(query).await
            }
            async fn dashboard(&self, org: OrgId, now: DateTime<Utc>) -> Result<Option<Dashboard>, StoreError> {
                (**self).dashboard(org, now).await
            }
            async fn list(&self, org: OrgId, query: &ListQuery, now: DateTime<Utc>) -> Result<Page, StoreError> {
                (**self).list(org, query, now).await
            }
            async fn daily_activity(&self, org: OrgId, from: NaiveDate, to: NaiveDate, tz: Tz) -> Result<Vec<DayActivity>, StoreError> {
                (**self).daily_activity(org, from, to, tz).await
            }
            async fn audit_trail(&self, org: OrgId, invitation: Option<InvitationId>) -> Result<Vec<AuditEvent>, StoreError> {
                (**self).audit_trail(org, invitation).await
            }
        }
    )*};
}

forward_store!(std::sync::Arc<S>, Box<S>, &S);
