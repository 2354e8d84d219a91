//! The three ports a store implements: [`RecordStore`] (commit, and the reads decisions load),
//! [`OutboxStore`] (what the dispatcher and the reminder sweep need), [`ViewStore`] (what
//! dashboards and lists show). [`Store`](super::Store) is all three.

use super::loads::{self, InviteReads, SignupReads};
use super::{Commit, CommitOutcome, ReminderQuery, StoreError};
use crate::audit::AuditEvent;
use crate::dashboard::{Dashboard, DayActivity, ListQuery, Page};
use crate::feed::{FeedPage, FeedQuery};
use crate::ids::{InvitationId, MemberId, MessageId, OrgId, UserRef, WaitlistId};
use crate::invitation::Invitation;
use crate::member::{Member, Seats};
use crate::member_list::{MemberPage, MemberQuery};
use crate::org::Organization;
use crate::outbox::{ClaimedMessage, OutboxMessage};
use crate::token::{LinkRecord, TokenHash};
use crate::waitlist::WaitlistEntry;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

/// Commits decisions and answers the reads decisions are made from.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Applies a commit atomically, or refuses it and writes nothing.
    ///
    /// Refusals, as [`Conflict`](super::Conflict)s (decide again): a write whose version is
    /// not the stored one (`Version`) or whose record is gone (`Missing`); a second open
    /// invitation for one organization and address key (`OpenInvitationExists`); a second
    /// active member of one organization with the same contact key (`Version` on the
    /// member); a failed [`SeatCheck`](super::SeatCheck) (`SeatsExhausted`, the verdict of
    /// [`SeatCheck::verdict`](super::SeatCheck::verdict)); an outbox update whose lease is no
    /// longer the message's (`LeaseLost`); a link hash already stored (`DuplicateLink`). As an
    /// [`InvariantViolation`](super::InvariantViolation) (a bug): an update that changes an
    /// invitation's contact, channel or organization (R2.8). Reminder marks that exist are
    /// skipped, not refused. On success it reports the version each written record is stored
    /// at.
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError>;

    /// One organization.
    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError>;

    /// The organizations among `ids` that exist, in any order.
    async fn organizations(&self, ids: &[OrgId]) -> Result<Vec<Organization>, StoreError>;

    /// One invitation.
    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError>;

    /// The invitations among `ids` that exist, in any order.
    async fn invitations(&self, ids: &[InvitationId]) -> Result<Vec<Invitation>, StoreError>;

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

    /// Everything an invite is decided from, at once: the organization, the `clients` that
    /// exist, the open invitations to `address_keys`, the active members at `contact_keys`
    /// and the seats at `now`, each as its single read answers it. The default makes those
    /// reads one after the other; a store that can answer in one round trip overrides it
    /// (issue 8.4), and a conformance case holds it to the single reads.
    async fn invite_reads(
        &self,
        org: OrgId,
        clients: &[OrgId],
        address_keys: &[String],
        contact_keys: &[String],
        now: DateTime<Utc>,
    ) -> Result<InviteReads, StoreError> {
        loads::invite_reads_one_by_one(self, org, clients, address_keys, contact_keys, now).await
    }

    /// Everything a signup with the link of `hash` is decided from, at once: the link, its
    /// invitation, the organization, its active members at the invitation's contact keys
    /// and its seats at `now`; `None` for an unknown link. The default reads them one after
    /// the other (and the invitation again if a member made by this link shows a signup it
    /// did not); a store that can answer in one round trip overrides it.
    async fn signup_reads(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<SignupReads>, StoreError> {
        loads::signup_reads_one_by_one(self, hash, now).await
    }
}

/// What the library's workers need: outbox claims and reminder candidates.
#[async_trait]
pub trait OutboxStore: Send + Sync {
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

    /// The message whose transport id ([`Delivered::provider_id`](crate::Delivered)) is
    /// `provider_id`, the latest if a transport reused one: what a late delivery report is
    /// about.
    async fn message_by_provider_id(
        &self,
        provider_id: &str,
    ) -> Result<Option<OutboxMessage>, StoreError>;

    /// Organizations with reminders switched on, in id order after `after`.
    async fn organizations_with_reminders(
        &self,
        after: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<Organization>, StoreError>;

    /// Invitations that may get a reminder (R8.1) on `query.day`: exactly those for which
    /// [`reminders::eligible`](crate::reminders::eligible) holds at `query.now` with
    /// `query.cutoff`, without a reminder mark for that day, in id order.
    async fn reminder_candidates(
        &self,
        query: &ReminderQuery,
    ) -> Result<Vec<Invitation>, StoreError>;

    /// Organizations with at least one waitlist entry, in id order after `after` (issue 11):
    /// the ones [`InvitationService::advance_waitlists`](crate::InvitationService) visits.
    async fn organizations_with_waitlist(
        &self,
        after: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<OrgId>, StoreError>;
}

/// What dashboards, lists and graphs show.
///
/// Queries that take `now` evaluate statuses at that instant (R4): a store applies exactly the
/// rules of [`Invitation::status_at`], which the conformance suite checks over every
/// combination of the facts it reads.
#[async_trait]
pub trait ViewStore: Send + Sync {
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

    /// The events `query` selects after `query.after`, in feed order, at most `query.limit`.
    /// Every audit event of every commit is in the feed once, at a position that never
    /// changes; an event is answered only once every event before it in the feed's order is
    /// committed, so a reader that continues after the last position it saw never skips or
    /// repeats one, however many writers commit at once.
    async fn events(&self, query: &FeedQuery) -> Result<FeedPage, StoreError>;

    /// One page of the member list of `org` at `now`: active members whose
    /// [`MemberState::of`](crate::MemberState::of) is in the query's tab and who match its
    /// search ([`MemberQuery::selects`]), after its cursor, in its order, each row with the
    /// invitation the member came by.
    async fn members(
        &self,
        org: OrgId,
        query: &MemberQuery,
        now: DateTime<Utc>,
    ) -> Result<MemberPage, StoreError>;

    /// The active members of `org` tied to the application's user id `user` (as stored,
    /// trimmed), newest first.
    async fn members_by_user(&self, org: OrgId, user: &UserRef) -> Result<Vec<Member>, StoreError>;

    /// The waitlist of `org` in order, first come first (issue 11): the entries after
    /// position `after`, at most `limit`. (Waitlist reads live in this port, not in
    /// [`RecordStore`], though decisions load them too: store wrappers forward this port with
    /// [`forward_outbox_and_views!`](crate::forward_outbox_and_views) and need no change.)
    async fn waitlist(
        &self,
        org: OrgId,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<WaitlistEntry>, StoreError>;

    /// One waitlist entry.
    async fn waitlist_entry(&self, id: WaitlistId) -> Result<Option<WaitlistEntry>, StoreError>;

    /// The waitlist entries of `org` at any of these address keys.
    async fn waiting(
        &self,
        org: OrgId,
        address_keys: &[String],
    ) -> Result<Vec<WaitlistEntry>, StoreError>;
}

/// Implements [`RecordStore`] for a wrapper type whose own `commit` (given as the last
/// argument, a block holding that one method) is the only thing it changes: every read is
/// forwarded to the store `$target` (an expression of `$this`, the wrapper) evaluates to,
/// `invite_reads` and `signup_reads` included, so a wrapped store keeps its one-call loads.
/// With [`forward_outbox_and_views!`](crate::forward_outbox_and_views), the whole of [`Store`](super::Store) for wrappers
/// like the testkit's race gate and commit counter, or invite-sqlx's hooked store.
#[macro_export]
macro_rules! forward_record_reads {
    (for $ty:ty where $S:ident: [$($bound:tt)+] => |$this:ident| $target:expr, { $($commit:tt)* }) => {
        #[$crate::__async_trait]
        impl<$S: $($bound)+> $crate::store::RecordStore for $ty {
            $($commit)*
            async fn organization(&self, id: $crate::ids::OrgId) -> Result<Option<$crate::org::Organization>, $crate::store::StoreError> {
                let $this = self; $target.organization(id).await
            }
            async fn organizations(&self, ids: &[$crate::ids::OrgId]) -> Result<Vec<$crate::org::Organization>, $crate::store::StoreError> {
                let $this = self; $target.organizations(ids).await
            }
            async fn invitation(&self, id: $crate::ids::InvitationId) -> Result<Option<$crate::invitation::Invitation>, $crate::store::StoreError> {
                let $this = self; $target.invitation(id).await
            }
            async fn invitations(&self, ids: &[$crate::ids::InvitationId]) -> Result<Vec<$crate::invitation::Invitation>, $crate::store::StoreError> {
                let $this = self; $target.invitations(ids).await
            }
            async fn open_invitations(&self, org: $crate::ids::OrgId, address_keys: &[String]) -> Result<Vec<$crate::invitation::Invitation>, $crate::store::StoreError> {
                let $this = self; $target.open_invitations(org, address_keys).await
            }
            async fn invitations_for_users(&self, org: $crate::ids::OrgId, users: &[$crate::ids::UserRef]) -> Result<Vec<$crate::invitation::Invitation>, $crate::store::StoreError> {
                let $this = self; $target.invitations_for_users(org, users).await
            }
            async fn link(&self, hash: &$crate::token::TokenHash) -> Result<Option<$crate::token::LinkRecord>, $crate::store::StoreError> {
                let $this = self; $target.link(hash).await
            }
            async fn member(&self, id: $crate::ids::MemberId) -> Result<Option<$crate::member::Member>, $crate::store::StoreError> {
                let $this = self; $target.member(id).await
            }
            async fn active_members(&self, org: $crate::ids::OrgId, contact_keys: &[String]) -> Result<Vec<$crate::member::Member>, $crate::store::StoreError> {
                let $this = self; $target.active_members(org, contact_keys).await
            }
            async fn seats(&self, org: $crate::ids::OrgId, now: $crate::__chrono::DateTime<$crate::__chrono::Utc>) -> Result<$crate::member::Seats, $crate::store::StoreError> {
                let $this = self; $target.seats(org, now).await
            }
            async fn invite_reads(&self, org: $crate::ids::OrgId, clients: &[$crate::ids::OrgId], address_keys: &[String], contact_keys: &[String], now: $crate::__chrono::DateTime<$crate::__chrono::Utc>) -> Result<$crate::store::InviteReads, $crate::store::StoreError> {
                let $this = self; $target.invite_reads(org, clients, address_keys, contact_keys, now).await
            }
            async fn signup_reads(&self, hash: &$crate::token::TokenHash, now: $crate::__chrono::DateTime<$crate::__chrono::Utc>) -> Result<Option<$crate::store::SignupReads>, $crate::store::StoreError> {
                let $this = self; $target.signup_reads(hash, now).await
            }
        }
    };
}

/// Implements [`OutboxStore`] and [`ViewStore`] for a wrapper type by forwarding every call
/// to the store `$target` (an expression of `$this`, the wrapper) evaluates to. For store
/// wrappers that change only how commits behave (the testkit's race gate, a counting
/// wrapper): they write [`RecordStore`] themselves and forward the rest with this.
#[macro_export]
macro_rules! forward_outbox_and_views {
    (for $ty:ty where $S:ident: [$($bound:tt)+] => |$this:ident| $target:expr) => {
        #[$crate::__async_trait]
        impl<$S: $($bound)+> $crate::store::OutboxStore for $ty {
            async fn claim_due(&self, now: $crate::__chrono::DateTime<$crate::__chrono::Utc>, lease: $crate::__chrono::TimeDelta, limit: u32) -> Result<Vec<$crate::outbox::ClaimedMessage>, $crate::store::StoreError> {
                let $this = self; $target.claim_due(now, lease, limit).await
            }
            async fn message(&self, id: $crate::ids::MessageId) -> Result<Option<$crate::outbox::OutboxMessage>, $crate::store::StoreError> {
                let $this = self; $target.message(id).await
            }
            async fn message_by_provider_id(&self, provider_id: &str) -> Result<Option<$crate::outbox::OutboxMessage>, $crate::store::StoreError> {
                let $this = self; $target.message_by_provider_id(provider_id).await
            }
            async fn organizations_with_reminders(&self, after: Option<$crate::ids::OrgId>, limit: u32) -> Result<Vec<$crate::org::Organization>, $crate::store::StoreError> {
                let $this = self; $target.organizations_with_reminders(after, limit).await
            }
            async fn reminder_candidates(&self, query: &$crate::store::ReminderQuery) -> Result<Vec<$crate::invitation::Invitation>, $crate::store::StoreError> {
                let $this = self; $target.reminder_candidates(query).await
            }
            async fn organizations_with_waitlist(&self, after: Option<$crate::ids::OrgId>, limit: u32) -> Result<Vec<$crate::ids::OrgId>, $crate::store::StoreError> {
                let $this = self; $target.organizations_with_waitlist(after, limit).await
            }
        }

        #[$crate::__async_trait]
        impl<$S: $($bound)+> $crate::store::ViewStore for $ty {
            async fn dashboard(&self, org: $crate::ids::OrgId, now: $crate::__chrono::DateTime<$crate::__chrono::Utc>) -> Result<Option<$crate::dashboard::Dashboard>, $crate::store::StoreError> {
                let $this = self; $target.dashboard(org, now).await
            }
            async fn list(&self, org: $crate::ids::OrgId, query: &$crate::dashboard::ListQuery, now: $crate::__chrono::DateTime<$crate::__chrono::Utc>) -> Result<$crate::dashboard::Page, $crate::store::StoreError> {
                let $this = self; $target.list(org, query, now).await
            }
            async fn daily_activity(&self, org: $crate::ids::OrgId, from: $crate::__chrono::NaiveDate, to: $crate::__chrono::NaiveDate, tz: $crate::__chrono_tz::Tz) -> Result<Vec<$crate::dashboard::DayActivity>, $crate::store::StoreError> {
                let $this = self; $target.daily_activity(org, from, to, tz).await
            }
            async fn audit_trail(&self, org: $crate::ids::OrgId, invitation: Option<$crate::ids::InvitationId>) -> Result<Vec<$crate::audit::AuditEvent>, $crate::store::StoreError> {
                let $this = self; $target.audit_trail(org, invitation).await
            }
            async fn events(&self, query: &$crate::feed::FeedQuery) -> Result<$crate::feed::FeedPage, $crate::store::StoreError> {
                let $this = self; $target.events(query).await
            }
            async fn members(&self, org: $crate::ids::OrgId, query: &$crate::member_list::MemberQuery, now: $crate::__chrono::DateTime<$crate::__chrono::Utc>) -> Result<$crate::member_list::MemberPage, $crate::store::StoreError> {
                let $this = self; $target.members(org, query, now).await
            }
            async fn members_by_user(&self, org: $crate::ids::OrgId, user: &$crate::ids::UserRef) -> Result<Vec<$crate::member::Member>, $crate::store::StoreError> {
                let $this = self; $target.members_by_user(org, user).await
            }
            async fn waitlist(&self, org: $crate::ids::OrgId, after: Option<u64>, limit: u32) -> Result<Vec<$crate::waitlist::WaitlistEntry>, $crate::store::StoreError> {
                let $this = self; $target.waitlist(org, after, limit).await
            }
            async fn waitlist_entry(&self, id: $crate::ids::WaitlistId) -> Result<Option<$crate::waitlist::WaitlistEntry>, $crate::store::StoreError> {
                let $this = self; $target.waitlist_entry(id).await
            }
            async fn waiting(&self, org: $crate::ids::OrgId, address_keys: &[String]) -> Result<Vec<$crate::waitlist::WaitlistEntry>, $crate::store::StoreError> {
                let $this = self; $target.waiting(org, address_keys).await
            }
        }
    };
}

macro_rules! forward_record_store {
    ($($ptr:ty),*) => {$(
        #[async_trait]
        impl<S: RecordStore + ?Sized> RecordStore for $ptr {
            async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
                (**self).commit(commit).await
            }
            async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
                (**self).organization(id).await
            }
            async fn organizations(&self, ids: &[OrgId]) -> Result<Vec<Organization>, StoreError> {
                (**self).organizations(ids).await
            }
            async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
                (**self).invitation(id).await
            }
            async fn invitations(&self, ids: &[InvitationId]) -> Result<Vec<Invitation>, StoreError> {
                (**self).invitations(ids).await
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
            async fn invite_reads(&self, org: OrgId, clients: &[OrgId], address_keys: &[String], contact_keys: &[String], now: DateTime<Utc>) -> Result<InviteReads, StoreError> {
                (**self).invite_reads(org, clients, address_keys, contact_keys, now).await
            }
            async fn signup_reads(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<Option<SignupReads>, StoreError> {
                (**self).signup_reads(hash, now).await
            }
        }
        crate::forward_outbox_and_views!(for $ptr where S: [OutboxStore + ViewStore + ?Sized] => |this| (**this));
    )*};
}

forward_record_store!(std::sync::Arc<S>, Box<S>, &S);
