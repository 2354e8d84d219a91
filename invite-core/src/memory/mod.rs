//! [`MemoryStore`]: the embedded default store. Thread-safe, complete and indexed: a real
//! store for single-process applications, development and tests, not a mock. It keeps nothing
//! across restarts; use `invite-sqlx` for that.

mod members;
mod reads;
mod waitlist;

use crate::audit::AuditEvent;
use crate::ids::{InvitationId, MemberId, MessageId, OrgId, UserRef};
use crate::invitation::Invitation;
use crate::member::{Member, Seats};
use crate::org::{Organization, SeatPolicy};
use crate::outbox::{OutboxMessage, OutboxOutcome, OutboxState};
use crate::store::{
    Commit, CommitOutcome, Conflict, InvariantViolation, RecordStore, StoreError, Write,
};
use crate::token::{LinkRecord, TokenHash};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// An in-memory [`Store`](crate::Store). Clone-free sharing: wrap it in an `Arc`.
///
/// Every commit takes one write lock, validates the whole commit against the current state and
/// only then applies it, so a refused commit changes nothing.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    orgs: BTreeMap<OrgId, Organization>,
    /// Invitations per organization, in id order (the keyset of reminder sweeps). Records are
    /// kept inline, one organization together, so a dashboard or a list walks memory in order
    /// instead of hashing once per invitation.
    by_org: HashMap<OrgId, BTreeMap<InvitationId, Invitation>>,
    /// The organization of each invitation, for lookups by id.
    org_of: HashMap<InvitationId, OrgId>,
    /// The open invitation per organization and address key (R2.7).
    open_by_key: HashMap<(OrgId, String), InvitationId>,
    /// Open invitations per organization, for seat reservations (R3.5).
    open_by_org: HashMap<OrgId, HashSet<InvitationId>>,
    links: HashMap<TokenHash, LinkRecord>,
    members: HashMap<MemberId, Member>,
    /// The active member per organization and contact key.
    member_by_key: HashMap<(OrgId, String), MemberId>,
    active_members: HashMap<OrgId, u32>,
    /// The active members per organization: the member list's rows.
    active_by_org: HashMap<OrgId, HashSet<MemberId>>,
    outbox: HashMap<MessageId, OutboxMessage>,
    /// Pending messages by due time.
    due: BTreeSet<(DateTime<Utc>, MessageId)>,
    reminder_marks: HashSet<(InvitationId, NaiveDate)>,
    /// The message each transport id names (the latest, should a transport reuse one).
    by_provider_id: HashMap<String, MessageId>,
    /// Every audit event in commit order: the event feed, its position the index plus one.
    events: Vec<AuditEvent>,
    /// Each organization's events, as indexes into `events`, in order.
    audit: HashMap<OrgId, Vec<usize>>,
    /// The seat waitlists (issue 11).
    waitlists: waitlist::Waitlists,
}

fn conflict(c: Conflict) -> StoreError {
    StoreError::Conflict(c)
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied commit (validation
        // happens before any mutation), so a poisoned lock is safe to keep using.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of outbox messages in each state, for tests and diagnostics:
    /// `(pending, sent, dead, dropped)`.
    pub fn outbox_counts(&self) -> (usize, usize, usize, usize) {
        let s = self.read();
        let mut c = (0, 0, 0, 0);
        for m in s.outbox.values() {
            match m.state {
                OutboxState::Pending => c.0 += 1,
                OutboxState::Sent { .. } => c.1 += 1,
                OutboxState::Dead { .. } => c.2 += 1,
                OutboxState::Dropped { .. } => c.3 += 1,
            }
        }
        c
    }
}

impl State {
    fn org_invitations(&self, org: OrgId) -> impl Iterator<Item = &Invitation> {
        self.by_org.get(&org).into_iter().flat_map(|m| m.values())
    }

    fn invitation(&self, id: &InvitationId) -> Option<&Invitation> {
        self.by_org.get(self.org_of.get(id)?)?.get(id)
    }

    fn seats(&self, org: OrgId, now: DateTime<Utc>) -> Option<Seats> {
        let o = self.orgs.get(&org)?;
        let mut used = self.active_members.get(&org).copied().unwrap_or(0);
        if o.settings.seat_policy == SeatPolicy::ReserveOnInvite {
            used += self.live_invitations(org, now);
        }
        Some(Seats::new(o.settings.seat_limit, used))
    }

    /// The invitations of `org` that would hold a seat at `now` under `ReserveOnInvite`.
    fn live_invitations(&self, org: OrgId, now: DateTime<Utc>) -> u32 {
        self.open_by_org
            .get(&org)
            .into_iter()
            .flatten()
            .filter_map(|id| self.invitation(id))
            .filter(|inv| inv.reserves_seat_at(now))
            .count() as u32
    }

    /// Checks a commit against the current state without changing anything.
    fn validate(&self, c: &Commit) -> Result<(), StoreError> {
        if let Some(w) = &c.organization {
            let o = w.record();
            match (w, self.orgs.get(&o.id)) {
                (Write::Insert(_), None) if o.version == 0 => {}
                (Write::Update(_), Some(cur)) if cur.version == o.version => {}
                (Write::Update(_), None) => {
                    return Err(conflict(Conflict::Missing {
                        entity: "organization",
                        id: o.id.to_string(),
                    }));
                }
                _ => {
                    return Err(conflict(Conflict::Version {
                        entity: "organization",
                        id: o.id.to_string(),
                    }));
                }
            }
        }

        // Invitations: versions, then one open invitation per address after the commit.
        let mut written: HashMap<InvitationId, &Invitation> = HashMap::new();
        for w in &c.invitations {
            let inv = w.record();
            match (w, self.invitation(&inv.id)) {
                (Write::Insert(_), None) if inv.version() == 0 => {}
                (Write::Update(_), Some(cur)) if cur.version() == inv.version() => {
                    immutable_invitation_fields(cur, inv)?;
                }
                (Write::Update(_), None) => {
                    return Err(conflict(Conflict::Missing {
                        entity: "invitation",
                        id: inv.id.to_string(),
                    }));
                }
                _ => {
                    return Err(conflict(Conflict::Version {
                        entity: "invitation",
                        id: inv.id.to_string(),
                    }));
                }
            }
            if written.insert(inv.id, inv).is_some() {
                return Err(conflict(Conflict::Version {
                    entity: "invitation",
                    id: inv.id.to_string(),
                }));
            }
        }
        let mut claimed_keys = HashSet::new();
        for inv in written.values().filter(|i| i.is_open()) {
            let key = (inv.org, inv.address_key());
            if let Some(holder) = self.open_by_key.get(&key) {
                let still_open = written.get(holder).is_none_or(|w| w.is_open());
                if *holder != inv.id && still_open {
                    return Err(conflict(Conflict::OpenInvitationExists {
                        address_key: key.1,
                    }));
                }
            }
            if !claimed_keys.insert(key.clone()) {
                return Err(conflict(Conflict::OpenInvitationExists {
                    address_key: key.1,
                }));
            }
        }

        // Members: versions, then one active member per contact key.
        let mut written_members: HashMap<MemberId, &Member> = HashMap::new();
        for w in &c.members {
            let m = w.record();
            match (w, self.members.get(&m.id)) {
                (Write::Insert(_), None) if m.version == 0 => {}
                (Write::Update(_), Some(cur)) if cur.version == m.version => {
                    if cur.org != m.org {
                        return Err(InvariantViolation::ImmutableChanged {
                            entity: "member",
                            id: m.id.to_string(),
                            field: "organization",
                        }
                        .into());
                    }
                }
                (Write::Update(_), None) => {
                    return Err(conflict(Conflict::Missing {
                        entity: "member",
                        id: m.id.to_string(),
                    }));
                }
                _ => {
                    return Err(conflict(Conflict::Version {
                        entity: "member",
                        id: m.id.to_string(),
                    }));
                }
            }
            written_members.insert(m.id, m);
        }
        let mut member_keys = HashSet::new();
        for m in written_members.values().filter(|m| m.is_active()) {
            for k in m.contact.keys() {
                let key = (m.org, k);
                if let Some(holder) = self.member_by_key.get(&key) {
                    let still_active = written_members.get(holder).is_none_or(|w| w.is_active());
                    if *holder != m.id && still_active {
                        return Err(conflict(Conflict::Version {
                            entity: "member",
                            id: m.id.to_string(),
                        }));
                    }
                }
                if !member_keys.insert(key) {
                    return Err(conflict(Conflict::Version {
                        entity: "member",
                        id: m.id.to_string(),
                    }));
                }
            }
        }

        let mut hashes = HashSet::new();
        for l in &c.links {
            if self.links.contains_key(&l.hash) || !hashes.insert(l.hash) {
                return Err(conflict(Conflict::DuplicateLink));
            }
        }

        if let Some(check) = c.seat_check {
            let seats = self.seats(c.org, c.now).ok_or_else(|| {
                conflict(Conflict::Missing {
                    entity: "organization",
                    id: c.org.to_string(),
                })
            })?;
            let members = self.active_members.get(&c.org).copied().unwrap_or(0);
            let policy = self.orgs.get(&c.org).map(|o| o.settings.seat_policy);
            let reserved = match policy.is_some_and(|p| check.counts_live(p)) {
                true => self.live_invitations(c.org, c.now),
                false => 0,
            };
            check
                .verdict(seats.limit, members, reserved)
                .map_err(conflict)?;
        }

        for u in &c.outbox_updates {
            match self.outbox.get(&u.id) {
                Some(m) if m.lease.is_some_and(|l| l.token == u.lease) => {}
                _ => return Err(conflict(Conflict::LeaseLost(u.id))),
            }
        }
        for m in &c.outbox {
            if self.outbox.contains_key(&m.id) {
                return Err(conflict(Conflict::Version {
                    entity: "message",
                    id: m.id.to_string(),
                }));
            }
        }
        self.waitlists.validate(c)
    }

    /// Stores `inv`, answering the version it is stored at.
    fn put_invitation(&mut self, mut inv: Invitation) -> u64 {
        let previous = self
            .invitation(&inv.id)
            .map(|old| (old.version(), old.is_open(), old.address_key()));
        if let Some((version, was_open, address_key)) = previous {
            inv = inv.at_version(version + 1);
            let key = (inv.org, address_key);
            if was_open && self.open_by_key.get(&key) == Some(&inv.id) {
                self.open_by_key.remove(&key);
            }
            if let Some(set) = self.open_by_org.get_mut(&inv.org) {
                set.remove(&inv.id);
            }
        }
        if inv.is_open() {
            self.open_by_key
                .insert((inv.org, inv.address_key()), inv.id);
            self.open_by_org.entry(inv.org).or_default().insert(inv.id);
        }
        // An invitation never changes organization (R2.6).
        let version = inv.version();
        self.org_of.insert(inv.id, inv.org);
        self.by_org.entry(inv.org).or_default().insert(inv.id, inv);
        version
    }

    /// Stores `m`, answering the version it is stored at.
    fn put_member(&mut self, mut m: Member) -> u64 {
        if let Some(old) = self.members.get(&m.id) {
            m.version = old.version + 1;
            if old.is_active() {
                for k in old.contact.keys() {
                    self.member_by_key.remove(&(old.org, k));
                }
                *self.active_members.entry(old.org).or_default() -= 1;
                if let Some(set) = self.active_by_org.get_mut(&old.org) {
                    set.remove(&old.id);
                }
            }
        }
        if m.is_active() {
            for k in m.contact.keys() {
                self.member_by_key.insert((m.org, k), m.id);
            }
            *self.active_members.entry(m.org).or_default() += 1;
            self.active_by_org.entry(m.org).or_default().insert(m.id);
        }
        let version = m.version;
        self.members.insert(m.id, m);
        version
    }

    fn record_event(&mut self, e: AuditEvent) {
        self.audit.entry(e.org).or_default().push(self.events.len());
        self.events.push(e);
    }

    fn put_message(&mut self, m: OutboxMessage) {
        if let Some(old) = self.outbox.get(&m.id) {
            self.due.remove(&(old.due_at, old.id));
        }
        if m.state == OutboxState::Pending {
            self.due.insert((m.due_at, m.id));
        }
        self.outbox.insert(m.id, m);
    }

    fn apply(&mut self, c: Commit) -> CommitOutcome {
        let mut outcome = CommitOutcome::default();
        if let Some(w) = c.organization {
            let mut o = match w {
                Write::Insert(o) => o,
                Write::Update(o) => o,
            };
            if let Some(cur) = self.orgs.get(&o.id) {
                o.version = cur.version + 1;
            }
            outcome.versions.organization = Some((o.id, o.version));
            self.orgs.insert(o.id, o);
        }
        for w in c.invitations {
            let inv = match w {
                Write::Insert(i) | Write::Update(i) => i,
            };
            let id = inv.id;
            let version = self.put_invitation(inv);
            outcome.versions.invitations.push((id, version));
        }
        for w in c.members {
            let m = match w {
                Write::Insert(m) | Write::Update(m) => m,
            };
            let id = m.id;
            let version = self.put_member(m);
            outcome.versions.members.push((id, version));
        }
        for l in c.links {
            self.links.insert(l.hash, l);
        }
        for m in c.outbox {
            self.put_message(m);
        }
        for u in c.outbox_updates {
            let mut m = self.outbox[&u.id].clone();
            m.lease = None;
            match u.outcome {
                OutboxOutcome::Sent { at, receipt } => {
                    m.state = OutboxState::Sent { at };
                    if let Some(id) = receipt.as_ref().and_then(|r| r.provider_id.clone()) {
                        self.by_provider_id.insert(id, m.id);
                    }
                    m.receipt = receipt;
                }
                OutboxOutcome::Retry { due_at, error } => {
                    m.due_at = due_at;
                    m.last_error = Some(error);
                }
                OutboxOutcome::Released { due_at, error } => {
                    m.due_at = due_at;
                    m.last_error = Some(error);
                    m.attempts = m.attempts.saturating_sub(1);
                }
                OutboxOutcome::Dead { reason } => m.state = OutboxState::Dead { reason },
                OutboxOutcome::Dropped { reason } => m.state = OutboxState::Dropped { reason },
            }
            self.put_message(m);
        }
        for r in c.reminders {
            if self.reminder_marks.insert((r.invitation, r.day)) {
                self.put_message(r.message);
                self.record_event(r.audit);
            } else {
                outcome.reminders_skipped.push(r.invitation);
            }
        }
        for e in c.audit {
            self.record_event(e);
        }
        self.waitlists.apply(c.waitlist);
        outcome
    }
}

/// R2.8, R2.6: an update never changes an invitation's contact, channel or organization.
fn immutable_invitation_fields(stored: &Invitation, update: &Invitation) -> Result<(), StoreError> {
    let field = if stored.contact != update.contact {
        "contact"
    } else if stored.channel != update.channel {
        "channel"
    } else if stored.org != update.org {
        "organization"
    } else {
        return Ok(());
    };
    Err(InvariantViolation::ImmutableChanged {
        entity: "invitation",
        id: update.id.to_string(),
        field,
    }
    .into())
}

#[async_trait]
impl RecordStore for MemoryStore {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        let mut state = self.write();
        state.validate(&commit)?;
        Ok(state.apply(commit))
    }

    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
        Ok(self.read().orgs.get(&id).cloned())
    }

    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        Ok(self.read().invitation(&id).cloned())
    }

    async fn open_invitations(
        &self,
        org: OrgId,
        address_keys: &[String],
    ) -> Result<Vec<Invitation>, StoreError> {
        let s = self.read();
        let mut seen = HashSet::new();
        Ok(address_keys
            .iter()
            .filter_map(|k| s.open_by_key.get(&(org, k.clone())))
            .filter(|id| seen.insert(**id))
            .filter_map(|id| s.invitation(id).cloned())
            .collect())
    }

    async fn invitations_for_users(
        &self,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<Invitation>, StoreError> {
        let wanted: HashSet<&UserRef> = users.iter().collect();
        let s = self.read();
        Ok(s.org_invitations(org)
            .filter(|i| i.user_ref().is_some_and(|u| wanted.contains(u)))
            .cloned()
            .collect())
    }

    async fn link(&self, hash: &TokenHash) -> Result<Option<LinkRecord>, StoreError> {
        Ok(self.read().links.get(hash).cloned())
    }

    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        Ok(self.read().members.get(&id).cloned())
    }

    async fn active_members(
        &self,
        org: OrgId,
        contact_keys: &[String],
    ) -> Result<Vec<Member>, StoreError> {
        let s = self.read();
        let mut seen = HashSet::new();
        Ok(contact_keys
            .iter()
            .filter_map(|k| s.member_by_key.get(&(org, k.clone())))
            .filter(|id| seen.insert(**id))
            .map(|id| s.members[id].clone())
            .collect())
    }

    async fn seats(&self, org: OrgId, now: DateTime<Utc>) -> Result<Seats, StoreError> {
        Ok(self.read().seats(org, now).unwrap_or(Seats::new(0, 0)))
    }

    async fn organizations(&self, ids: &[OrgId]) -> Result<Vec<Organization>, StoreError> {
        let s = self.read();
        Ok(ids
            .iter()
            .filter_map(|id| s.orgs.get(id))
            .cloned()
            .collect())
    }

    async fn invitations(&self, ids: &[InvitationId]) -> Result<Vec<Invitation>, StoreError> {
        let s = self.read();
        Ok(ids
            .iter()
            .filter_map(|id| s.invitation(id))
            .cloned()
            .collect())
    }
}
