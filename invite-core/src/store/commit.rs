//! [`Commit`]: the unit of every decision, and what a store reports back.

use crate::audit::AuditEvent;
use crate::ids::{InvitationId, MemberId, OrgId};
use crate::invitation::Invitation;
use crate::member::{Member, Seats};
use crate::org::Organization;
use crate::outbox::{OutboxMessage, OutboxUpdate};
use crate::store::Conflict;
use crate::token::LinkRecord;
use crate::waitlist::WaitlistWrite;
use chrono::{DateTime, NaiveDate, Utc};

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
    /// Every live invitation holds a seat for this check, whatever the seat policy: the store
    /// passes them to [`SeatCheck::verdict`] as `reserved` under `ClaimOnSignup` too. A move
    /// of the seat waitlist needs seats that no live invitation could claim (issue 11).
    pub live_hold_seats: bool,
}

impl SeatCheck {
    /// `required` seats must be available; no member is added.
    pub fn seats(required: u32) -> Self {
        Self {
            required,
            new_members: 0,
            live_hold_seats: false,
        }
    }

    /// `required` seats must be available with every live invitation holding one, whatever
    /// the policy; no member is added. What a move of the seat waitlist needs.
    pub fn free_of_live(required: u32) -> Self {
        Self {
            live_hold_seats: true,
            ..Self::seats(required)
        }
    }

    /// Whether the store counts live invitations as `reserved` for this check under
    /// `policy`: always under `ReserveOnInvite`, under `ClaimOnSignup` only for
    /// [`SeatCheck::free_of_live`].
    pub fn counts_live(&self, policy: crate::org::SeatPolicy) -> bool {
        self.live_hold_seats || policy == crate::org::SeatPolicy::ReserveOnInvite
    }

    /// One member is added, taking a free seat (`ClaimOnSignup`, a member added directly).
    pub fn claim_member() -> Self {
        Self {
            required: 1,
            new_members: 1,
            live_hold_seats: false,
        }
    }

    /// One member is added, converting a reservation it already holds (`ReserveOnInvite`).
    pub fn reserved_member() -> Self {
        Self {
            required: 0,
            new_members: 1,
            live_hold_seats: false,
        }
    }

    /// The seat verdict at commit time (R3.3, R3.4, R3.5, R3.6): the one place the rule is
    /// decided, called by every store under its organization lock with the counts before the
    /// commit applies: the seat `limit`, the active `members`, and the live invitations that
    /// hold a seat (`reserved`, 0 under `ClaimOnSignup` unless [`SeatCheck::counts_live`]).
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

    /// One check standing for `checks` applied together in one commit, under one lock (a
    /// store's group commit of concurrent commits of one organization); `None` for no checks.
    ///
    /// The seats are summed, and so are the members: if the combined check's verdict admits
    /// the group on the counts before it, then each check, in any order, admits its own
    /// commit on the counts the earlier ones left, because no commit takes more seats than
    /// its check requires nor adds more members than it names (a signup claims its one seat
    /// or converts its own reservation, an invite reserves at most what it requires). The
    /// reverse does not hold: a group refused together may fit one by one, so a store that
    /// groups commits applies each alone when the group is refused, and each then gets its
    /// own verdict (R3.4 holds either way).
    ///
    /// ```
    /// use invite_core::SeatCheck;
    /// let two = SeatCheck::together([SeatCheck::claim_member(), SeatCheck::claim_member()]);
    /// assert_eq!(two, Some(SeatCheck { required: 2, new_members: 2, live_hold_seats: false }));
    /// assert!(two.unwrap().verdict(5, 3, 0).is_ok());
    /// assert!(two.unwrap().verdict(5, 4, 0).is_err()); // one would fit; the store tries each
    /// ```
    pub fn together(checks: impl IntoIterator<Item = SeatCheck>) -> Option<SeatCheck> {
        checks.into_iter().reduce(|a, b| SeatCheck {
            required: a.required.saturating_add(b.required),
            new_members: a.new_members.saturating_add(b.new_members),
            live_hold_seats: a.live_hold_seats || b.live_hold_seats,
        })
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
    /// Entries added to or removed from the organization's seat waitlist (issue 11).
    pub waitlist: Vec<WaitlistWrite>,
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
            waitlist: Vec::new(),
        }
    }
}

/// What a successful commit reports back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitOutcome {
    /// Reminders skipped because their invitation already had one that day.
    pub reminders_skipped: Vec<InvitationId>,
    /// The version each written record is stored at now. Versions are the store's
    /// bookkeeping: the service puts them on its answers instead of guessing them.
    pub versions: StoredVersions,
}

/// The versions a commit left its records at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredVersions {
    /// The organization written, if any.
    pub organization: Option<(OrgId, u64)>,
    /// The invitations written.
    pub invitations: Vec<(InvitationId, u64)>,
    /// The members written.
    pub members: Vec<(MemberId, u64)>,
}

impl StoredVersions {
    /// The stored version of invitation `id`, if the commit wrote it.
    pub fn invitation(&self, id: InvitationId) -> Option<u64> {
        self.invitations
            .iter()
            .find_map(|(i, v)| (*i == id).then_some(*v))
    }

    /// The stored version of member `id`, if the commit wrote it.
    pub fn member(&self, id: MemberId) -> Option<u64> {
        self.members
            .iter()
            .find_map(|(i, v)| (*i == id).then_some(*v))
    }

    /// The stored version of organization `id`, if the commit wrote it.
    pub fn organization(&self, id: OrgId) -> Option<u64> {
        self.organization.and_then(|(o, v)| (o == id).then_some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::SeatCheck;

    /// A check with what its commit does to the counts: `(members added, reservations
    /// taken, reservations converted)`, as the core's decisions pair them.
    fn kinds() -> [(SeatCheck, u32, u32, u32); 6] {
        [
            // A signup claiming a free seat (ClaimOnSignup), or a member added directly.
            (SeatCheck::claim_member(), 1, 0, 0),
            // A reserved signup (ReserveOnInvite): its invitation's reservation becomes a member.
            (SeatCheck::reserved_member(), 1, 0, 1),
            // An invite under ClaimOnSignup: needs a free seat, takes none.
            (SeatCheck::seats(1), 0, 0, 0),
            // Invites under ReserveOnInvite: each reserves the seats it requires.
            (SeatCheck::seats(1), 0, 1, 0),
            (SeatCheck::seats(2), 0, 2, 0),
            // A bulk invite under ReserveOnInvite that created nothing still needs one seat.
            (SeatCheck::seats(1), 0, 0, 0),
        ]
    }

    /// R3.4: whatever a group's combined check admits, its commits one after another admit
    /// too, each on the counts the earlier ones left: grouping never lets a seat be taken
    /// twice. Every group of up to three kinds, over every limit and count up to 5.
    #[test]
    fn r3_4_a_group_admitted_together_is_admitted_one_by_one() {
        let kinds = kinds();
        let mut groups: Vec<Vec<usize>> = (0..kinds.len()).map(|a| vec![a]).collect();
        for _ in 0..2 {
            let longer: Vec<Vec<usize>> = groups
                .iter()
                .flat_map(|g| (0..kinds.len()).map(move |k| [g.clone(), vec![k]].concat()))
                .collect();
            groups.extend(longer);
        }
        let mut admitted = 0;
        for group in &groups {
            let together = SeatCheck::together(group.iter().map(|&k| kinds[k].0)).unwrap();
            // Each reserved signup converts its own live reservation: counted in `reserved`.
            let own: u32 = group.iter().map(|&k| kinds[k].3).sum();
            for limit in 0..=5 {
                for members in 0..=5 {
                    for reserved in own..=5 {
                        if together.verdict(limit, members, reserved).is_err() {
                            continue;
                        }
                        admitted += 1;
                        let (mut m, mut r) = (members, reserved);
                        for &k in group {
                            let (check, added, taken, converted) = kinds[k];
                            assert!(
                                check.verdict(limit, m, r).is_ok(),
                                "{group:?} admitted together at {limit}/{members}/{reserved}, \
                                 refused one by one at {m}/{r}"
                            );
                            m += added;
                            r = r + taken - converted;
                        }
                        assert!(m <= limit.max(members), "members past the limit: {group:?}");
                    }
                }
            }
        }
        assert!(admitted > 1_000, "the cases admit something: {admitted}");
    }

    #[test]
    fn no_checks_together_is_none() {
        assert_eq!(SeatCheck::together([]), None);
        let one = SeatCheck::reserved_member();
        assert_eq!(SeatCheck::together([one]), Some(one));
    }
}
