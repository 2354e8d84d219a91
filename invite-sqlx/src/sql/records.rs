//! Reads of single records and their counts: organizations, invitations, links, members, the
//! seats (R3.1, R3.4, R3.5), outbox messages and their claims (R7.3), reminder candidates
//! (R8.1).

pub(crate) const ORGANIZATION: &str = concat!(
    "SELECT ",
    organization_columns!(),
    " FROM {schema}.organizations o WHERE o.id = $1"
);

pub(crate) const ORGANIZATIONS_BY_IDS: &str = concat!(
    "SELECT ",
    organization_columns!(),
    " FROM {schema}.organizations o WHERE o.id = ANY($1)"
);

pub(crate) const ORGANIZATIONS_WITH_REMINDERS_FIRST: &str = concat!(
    "SELECT ",
    organization_columns!(),
    " FROM {schema}.organizations o WHERE o.reminders_enabled ORDER BY o.id LIMIT $1"
);

pub(crate) const ORGANIZATIONS_WITH_REMINDERS_AFTER: &str = concat!(
    "SELECT ",
    organization_columns!(),
    " FROM {schema}.organizations o WHERE o.reminders_enabled AND o.id > $1 ORDER BY o.id LIMIT $2"
);

pub(crate) const INVITATION: &str = concat!(
    "SELECT ",
    invitation_columns!(),
    " FROM {schema}.invitations i WHERE i.id = $1"
);

pub(crate) const INVITATIONS_BY_IDS: &str = concat!(
    "SELECT ",
    invitation_columns!(),
    " FROM {schema}.invitations i WHERE i.id = ANY($1)"
);

pub(crate) const OPEN_INVITATIONS: &str = concat!(
    "SELECT ",
    invitation_columns!(),
    ", i.address_key FROM {schema}.invitations i \
     WHERE i.org_id = $1 AND i.address_key = ANY($2) \
       AND i.closed_at IS NULL AND i.signed_up_at IS NULL"
);

pub(crate) const INVITATIONS_FOR_USERS: &str = concat!(
    "SELECT ",
    invitation_columns!(),
    " FROM {schema}.invitations i WHERE i.org_id = $1 AND i.user_ref = ANY($2) ORDER BY i.id"
);

pub(crate) const LINK: &str =
    "SELECT hash, invitation_id, generation, issued_at FROM {schema}.links WHERE hash = $1";

pub(crate) const MEMBER: &str = concat!(
    "SELECT ",
    member_columns!(),
    " FROM {schema}.members m WHERE m.id = $1"
);

pub(crate) const ACTIVE_MEMBERS: &str = concat!(
    "SELECT ",
    member_columns!(),
    ", m.email_key, m.phone FROM {schema}.members m \
     WHERE m.org_id = $1 AND m.removed_at IS NULL \
       AND (m.email_key = ANY($2) OR m.phone = ANY($2))"
);

/// The invitations that may hold a seat under `ReserveOnInvite`: open (neither closed nor
/// signed up) and not failed. The predicate of the partial index `invitations_reserving`.
macro_rules! reserving {
    () => {
        "i.closed_at IS NULL AND i.signed_up_at IS NULL AND NOT i.failed"
    };
}

/// Until when such an invitation holds its seat: for ever while awaiting delivery (Queued)
/// or without an expiry, otherwise until it expires. So at instant `t` it holds one exactly
/// when `t < reserved_until`, which is `Invitation::reserves_seat_at(t)` (status Queued or
/// Pending at `t`) for the invitations `reserving!` selects. The key expression of
/// `invitations_reserving`, written exactly as there so the planner matches it.
macro_rules! reserved_until {
    () => {
        "(CASE WHEN i.awaiting_delivery OR i.expires_at IS NULL THEN 'infinity'::timestamptz \
         ELSE i.expires_at END)"
    };
}

/// Live reservations of organization `$1` at `$2` (R3.5): one range scan of
/// `invitations_reserving`, which reads the invitations holding a seat now and no others
/// (not the expired, failed, closed or signed-up ones, however many there are).
macro_rules! reserved_count {
    () => {
        concat!(
            "SELECT count(*) FROM {schema}.invitations i WHERE i.org_id = $1 AND ",
            reserving!(),
            " AND ",
            reserved_until!(),
            " > $2"
        )
    };
}

/// Seats of `$1` at `$2` (R3.1, R3.5), outside a commit: the limit, the policy, the active
/// members (the counter the member triggers keep, see the `seat_counter` migration) and,
/// under `ReserveOnInvite`, the live reservations.
pub(crate) const SEATS: &str = concat!(
    "SELECT o.seat_limit, o.seat_policy, o.active_members AS members, \
        CASE WHEN o.seat_policy = 'reserve_on_invite' THEN (",
    reserved_count!(),
    ") ELSE 0 END AS reserved \
     FROM {schema}.organizations o WHERE o.id = $1"
);

/// The seat lock (R3.4), with the counts it protects: every commit that needs seats (or
/// adds or removes members) takes it first, so concurrent claims on one organization's
/// seats run one after the other. Under READ COMMITTED a `SELECT ... FOR NO KEY UPDATE`
/// that waited for the previous holder returns the row as that holder committed it, so
/// `active_members` is current without a second statement. `FOR NO KEY UPDATE` rather than
/// `FOR UPDATE`: it excludes every other seat lock (and organization update) just the same,
/// but not the `KEY SHARE` locks foreign-key checks take, so a commit that holds an
/// invitation's row and inserts an audit event referencing the organization never
/// deadlocks against a seat-checked commit waiting for that invitation.
pub(crate) const LOCK_SEATS: &str = "\
    SELECT seat_limit, seat_policy, active_members FROM {schema}.organizations \
    WHERE id = $1 FOR NO KEY UPDATE";

/// Live reservations at `$2`, counted under the seat lock by a commit in an organization
/// under `ReserveOnInvite`. A statement of its own, after `LOCK_SEATS`: it takes a fresh
/// snapshot, so it sees every invitation the previous lock holder committed (a subquery of
/// the locking statement would not).
pub(crate) const RESERVED_SEATS: &str = reserved_count!();

pub(crate) const MESSAGE: &str = concat!(
    "SELECT ",
    outbox_columns!(),
    " FROM {schema}.outbox o WHERE o.id = $1"
);

/// Claims (R7.3): the due, unleased pending messages, oldest due first, skipping rows another
/// claimer holds locked; each gets a fresh lease token and one more attempt, the count
/// saturating at `u32::MAX` as `MemoryStore`'s does (a count written there by hand would
/// otherwise read back as corrupt and stop every claim).
pub(crate) const CLAIM_DUE: &str = concat!(
    "WITH due AS ( \
        SELECT id FROM {schema}.outbox \
        WHERE state = 'pending' AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) \
        ORDER BY due_at, id \
        LIMIT $3 \
        FOR UPDATE SKIP LOCKED) \
     UPDATE {schema}.outbox o SET lease_token = gen_random_uuid(), lease_until = $2, \
        attempts = LEAST(o.attempts + 1, 4294967295) \
     FROM due WHERE o.id = due.id \
     RETURNING ",
    outbox_columns!()
);

/// Reminder candidates (R8.1), after the invitation filter of `reminders::eligible`:
/// Pending at `$3` and last delivered before `$4` (a completion mark is no part of Pending),
/// or Never Used (signed up, not completed) and signed up before `$4`; without a mark for day
/// `$5`. The `signed_up_at IS NULL OR completed_at IS NULL` term is the partial index's
/// predicate, written out so the planner uses it.
macro_rules! reminder_candidates {
    ($after:literal, $limit:literal) => {
        concat!(
            "SELECT ",
            invitation_columns!(),
            " FROM {schema}.invitations i \
             WHERE i.org_id = $1 AND i.closed_at IS NULL \
               AND (i.signed_up_at IS NULL OR i.completed_at IS NULL)",
            $after,
            " AND ((i.signed_up_at IS NULL AND ",
            open_status!("$3"),
            " = 'pending' AND i.last_sent_at < $4) \
               OR (i.signed_up_at IS NOT NULL AND i.completed_at IS NULL \
                   AND i.signed_up_at < $4)) \
             AND NOT EXISTS (SELECT 1 FROM {schema}.reminder_marks r \
                             WHERE r.invitation_id = i.id AND r.day = $5) \
             ORDER BY i.id LIMIT ",
            $limit
        )
    };
}

pub(crate) const REMINDER_CANDIDATES_FIRST: &str = reminder_candidates!("", "$2");
pub(crate) const REMINDER_CANDIDATES_AFTER: &str = reminder_candidates!(" AND i.id > $6", "$2");
