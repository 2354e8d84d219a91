//! Every statement the store runs, as constant templates. Nothing is built from input at run
//! time: the variants a query needs (sort direction, with or without a keyset position) are
//! separate constants, so each keeps a plan that uses its index.
//!
//! Multi-row writes take one array per column and `UNNEST` them, so a commit of N records
//! costs one round trip per table, not one per record.
//!
//! Every table and function is named through its schema, written `{schema}.` in the
//! templates here; [`Statements::render`] fills in the store's schema once, when the store
//! is made (see the crate README: no `search_path`, so no extra round trip and no reliance
//! on how the application's connections are set up).

use crate::schema::SchemaName;
use crate::waitlist::statements::*;

/// The invitation columns, in the order `rows::invitation` reads them.
macro_rules! invitation_columns {
    () => {
        "i.id, i.org_id, i.channel, i.contact, i.access, i.user_ref, i.sender, i.created_at, \
         i.last_invited_at, i.send_count, i.last_sent_at, i.expires_at, i.awaiting_delivery, \
         i.link_generation, i.failure, i.signed_up_at, i.member_id, i.first_login_at, \
         i.completed_at, i.completed_by, i.last_follow_up_at, i.closed_at, i.close_reason, \
         i.version, i.options"
    };
}

/// The organization columns, in the order `rows::organization` reads them.
macro_rules! organization_columns {
    () => {
        "o.id, o.name, o.kind, o.msp_id, o.settings, o.version"
    };
}

/// The member columns, in the order `rows::member` reads them.
macro_rules! member_columns {
    () => {
        "m.id, m.org_id, m.contact, m.user_ref, m.access, m.invitation_id, m.joined_at, \
         m.removed_at, m.version"
    };
}

/// The outbox columns, in the order `rows::message` reads them.
macro_rules! outbox_columns {
    () => {
        "o.id, o.org_id, o.invitation_id, o.kind, o.link_generation, o.reminder_day, \
         o.created_at, o.due_at, o.attempts, o.last_error, o.state, o.sent_at, o.state_reason, \
         o.lease_token, o.lease_until, o.provider_id, o.parts"
    };
}

/// The status of invitation `i` at `$at` (R4), for rows known not to be closed.
macro_rules! open_status {
    ($at:literal) => {
        concat!(
            "{schema}.invitation_status(NULL, i.signed_up_at, i.completed_at, i.failed, \
             i.awaiting_delivery, i.expires_at, ",
            $at,
            ")"
        )
    };
}

// ------------------------------------------------------------------ reads

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

/// The dashboard (R9.1) in one statement: counts per tab and channel from one index-only
/// scan of the organization's listed invitations (grouped by status and channel first, so
/// the status is computed once per row), the active-member counter, the limit, the policy and
/// the reminder switch. Live invitations (for ReserveOnInvite seats) are the Pending tab.
pub(crate) const DASHBOARD: &str = concat!(
    "SELECT o.seat_limit, o.seat_policy, o.reminders_enabled, \
        c.listed, c.pending, c.never_used, c.expired_or_failed, c.completed, \
        c.by_email, c.by_sms, o.active_members AS members \
     FROM {schema}.organizations o \
     CROSS JOIN LATERAL ( \
        SELECT COALESCE(sum(g.n), 0)::bigint AS listed, \
            COALESCE(sum(g.n) FILTER (WHERE g.status IN ('queued', 'pending')), 0)::bigint \
                AS pending, \
            COALESCE(sum(g.n) FILTER (WHERE g.status = 'never_used'), 0)::bigint AS never_used, \
            COALESCE(sum(g.n) FILTER (WHERE g.status IN ('expired', 'failed')), 0)::bigint \
                AS expired_or_failed, \
            COALESCE(sum(g.n) FILTER (WHERE g.status = 'completed'), 0)::bigint AS completed, \
            COALESCE(sum(g.n) FILTER (WHERE g.channel = 'email'), 0)::bigint AS by_email, \
            COALESCE(sum(g.n) FILTER (WHERE g.channel = 'sms'), 0)::bigint AS by_sms \
        FROM (SELECT ",
    open_status!("$2"),
    " AS status, i.channel, count(*) AS n FROM {schema}.invitations i \
              WHERE i.org_id = o.id AND i.closed_at IS NULL GROUP BY 1, 2) g) c \
     WHERE o.id = $1"
);

/// The dashboard's splits (issue 11): the organization's listed invitations grouped by status,
/// channel and type (admin or not), counted; `TabCounts::add` turns each group into tabs.
pub(crate) const DASHBOARD_SPLITS: &str = concat!(
    "SELECT g.status, g.channel, g.admin, g.n FROM (SELECT ",
    open_status!("$2"),
    " AS status, i.channel, \
        (jsonb_typeof(i.access->'invitation_type') = 'object') AS admin, count(*) AS n \
     FROM {schema}.invitations i \
     WHERE i.org_id = $1 AND i.closed_at IS NULL GROUP BY 1, 2, 3) g"
);

/// One list page (R9.2): `$1` organization, `$2` tab, `$3` instant, `$4` lower-cased search
/// text or NULL, `$5`/`$6` keyset position (sort value, id), `$7` rows to fetch, then the
/// filters (issue 11), each NULL for none: `$8` type (`user`, `admin`), `$9` permission
/// level, `$10` role (`ReadOnly`, `Admin`) of the role scope or of any client grant, `$11`
/// client id, `$12` sender's user id, `$13` channel. They restate `ListFilter::matches` over
/// the stored JSON of `access` and `sender` (the conformance suite compares).
macro_rules! list_page {
    ($key:literal, $cmp:expr, $order:literal) => {
        concat!(
            "SELECT ",
            invitation_columns!(),
            " FROM {schema}.invitations i \
             WHERE i.org_id = $1 AND i.closed_at IS NULL \
               AND {schema}.invitation_in_tab($2, ",
            open_status!("$3"),
            ") AND ($4::text IS NULL \
                    OR strpos(COALESCE(i.email_key, ''), $4) > 0 \
                    OR strpos(COALESCE(i.phone, ''), $4) > 0)",
            list_filters!(),
            $cmp,
            " ORDER BY ",
            $key,
            " ",
            $order,
            ", i.id ",
            $order,
            " LIMIT $7"
        )
    };
}

/// The filters of a list page, `$8` to `$13` (see `list_page!`).
macro_rules! list_filters {
    () => {
        " AND ($8::text IS NULL OR (CASE WHEN jsonb_typeof(i.access->'invitation_type') = 'object' \
                THEN 'admin' ELSE 'user' END) = $8) \
          AND ($9::text IS NULL OR i.access->'invitation_type'->>'Admin' = $9) \
          AND ($10::text IS NULL OR i.access->'scope'->>'Role' = $10 \
               OR COALESCE(i.access->'scope'->'Clients', '[]'::jsonb) \
                  @> jsonb_build_array(jsonb_build_object('role', $10::text))) \
          AND ($11::text IS NULL OR COALESCE(i.access->'scope'->'Clients', '[]'::jsonb) \
                  @> jsonb_build_array(jsonb_build_object('client', $11::text))) \
          AND ($12::text IS NULL OR i.sender->>'user' = $12) \
          AND ($13::text IS NULL OR i.channel = $13)"
    };
}

/// A missing sort value in a keyset position sorts before every date, as `None < Some`.
macro_rules! after_cursor {
    ($key:literal, $op:literal) => {
        concat!(
            " AND (",
            $key,
            ", i.id) ",
            $op,
            " (COALESCE($5, '-infinity'::timestamptz), $6)"
        )
    };
}

/// Without a keyset position the statements keep `$5` and `$6` unused but typed, so every
/// variant binds the same parameters.
macro_rules! no_cursor {
    () => {
        " AND ($5::timestamptz IS NULL OR true) AND ($6::uuid IS NULL OR true)"
    };
}

pub(crate) const LIST_INVITED_DESC_FIRST: &str =
    list_page!("i.last_invited_at", no_cursor!(), "DESC");
pub(crate) const LIST_INVITED_DESC_AFTER: &str = list_page!(
    "i.last_invited_at",
    after_cursor!("i.last_invited_at", "<"),
    "DESC"
);
pub(crate) const LIST_INVITED_ASC_FIRST: &str =
    list_page!("i.last_invited_at", no_cursor!(), "ASC");
pub(crate) const LIST_INVITED_ASC_AFTER: &str = list_page!(
    "i.last_invited_at",
    after_cursor!("i.last_invited_at", ">"),
    "ASC"
);
pub(crate) const LIST_SIGNED_UP_DESC_FIRST: &str = list_page!(
    "COALESCE(i.signed_up_at, '-infinity'::timestamptz)",
    no_cursor!(),
    "DESC"
);
pub(crate) const LIST_SIGNED_UP_DESC_AFTER: &str = list_page!(
    "COALESCE(i.signed_up_at, '-infinity'::timestamptz)",
    after_cursor!("COALESCE(i.signed_up_at, '-infinity'::timestamptz)", "<"),
    "DESC"
);
pub(crate) const LIST_SIGNED_UP_ASC_FIRST: &str = list_page!(
    "COALESCE(i.signed_up_at, '-infinity'::timestamptz)",
    no_cursor!(),
    "ASC"
);
pub(crate) const LIST_SIGNED_UP_ASC_AFTER: &str = list_page!(
    "COALESCE(i.signed_up_at, '-infinity'::timestamptz)",
    after_cursor!("COALESCE(i.signed_up_at, '-infinity'::timestamptz)", ">"),
    "ASC"
);

/// Deliveries, signups and first logins per local day of time zone `$4`, for the days
/// `$2..=$3` that had any, from audit events between `$5` and `$6` (a UTC range a little
/// wider than the local days, so the index bounds the scan and the local date decides). The
/// store adds the days without activity: listing the days is not PostgreSQL's business,
/// and its calendar is narrower than the caller's (see `calendar.rs`).
pub(crate) const DAILY_ACTIVITY: &str = "\
    SELECT d.day, \
        count(*) FILTER (WHERE d.kind = 'Delivered') AS sent, \
        count(*) FILTER (WHERE d.kind = 'SignedUp') AS signups, \
        count(*) FILTER (WHERE d.kind = 'FirstLogin') AS first_logins \
    FROM (SELECT (e.at AT TIME ZONE $4)::date AS day, e.kind \
          FROM {schema}.audit_events e \
          WHERE e.org_id = $1 AND e.at >= $5 AND e.at < $6 \
            AND e.kind IN ('Delivered', 'SignedUp', 'FirstLogin')) d \
    WHERE d.day BETWEEN $2 AND $3 \
    GROUP BY d.day";

macro_rules! audit_columns {
    () => {
        "e.id, e.org_id, e.invitation_id, e.actor, e.at, e.action, e.before_status, e.after_status"
    };
}

/// The message a transport id names, the latest if a transport reused one.
pub(crate) const MESSAGE_BY_PROVIDER_ID: &str = concat!(
    "SELECT ",
    outbox_columns!(),
    " FROM {schema}.outbox o WHERE o.provider_id = $1 ORDER BY o.sent_at DESC NULLS LAST LIMIT 1"
);

/// The event feed (R10.2) after position ($1, $2), of organization $3 and invitation $4 when
/// given: only events of transactions older than every one still running, so none can later
/// appear before a position already passed (see the migration that added `txid`).
macro_rules! feed {
    ($org:literal) => {
        concat!(
            "SELECT e.txid::text::bigint AS major, e.seq AS minor, ",
            audit_columns!(),
            " FROM {schema}.audit_events e \
             WHERE (e.txid, e.seq) > ($1::text::xid8, $2) \
               AND e.txid < pg_snapshot_xmin(pg_current_snapshot())",
            $org,
            " AND ($4::uuid IS NULL OR e.invitation_id = $4) \
             ORDER BY e.txid, e.seq LIMIT $5"
        )
    };
}

pub(crate) const FEED_ALL: &str = feed!(" AND $3::uuid IS NULL");
pub(crate) const FEED_OF_ORG: &str = feed!(" AND e.org_id = $3");

pub(crate) const AUDIT_OF_ORG: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM {schema}.audit_events e WHERE e.org_id = $1 ORDER BY e.seq"
);

pub(crate) const AUDIT_OF_INVITATION: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM {schema}.audit_events e WHERE e.invitation_id = $2 AND e.org_id = $1 ORDER BY e.seq"
);

/// Every column an `INVITE_READS` or `SIGNUP_READS` row may carry: each row is one record
/// (its `what` says which), named as the record's own read names its columns, the others
/// NULL, so the row decoders of the single reads read it.
///
/// Everything an invite is decided from, in one statement (issue 8.4): the organization
/// `$1` with its seats at `$5` (as `SEATS`), the clients `$2`, the open invitations to the
/// address keys `$3` (as `OPEN_INVITATIONS`) and the active members at the contact keys `$4`
/// (as `ACTIVE_MEMBERS`). One snapshot for all.
pub(crate) const INVITE_READS: &str = "\
    SELECT 'org'::text AS what, o.id AS id, NULL::uuid AS org_id, o.name AS name, o.kind AS \
    kind, o.msp_id AS msp_id, o.settings AS settings, o.version AS version, NULL::text AS \
    channel, NULL::jsonb AS contact, NULL::jsonb AS access, NULL::text AS user_ref, \
    NULL::jsonb AS sender, NULL::timestamptz AS created_at, NULL::timestamptz AS \
    last_invited_at, NULL::int8 AS send_count, NULL::timestamptz AS last_sent_at, \
    NULL::timestamptz AS expires_at, NULL::bool AS awaiting_delivery, NULL::int8 AS \
    link_generation, NULL::jsonb AS failure, NULL::timestamptz AS signed_up_at, NULL::uuid \
    AS member_id, NULL::timestamptz AS first_login_at, NULL::timestamptz AS completed_at, \
    NULL::text AS completed_by, NULL::timestamptz AS last_follow_up_at, NULL::timestamptz AS \
    closed_at, NULL::jsonb AS close_reason, NULL::jsonb AS options, NULL::text AS address_key, NULL::uuid AS \
    invitation_id, NULL::timestamptz AS joined_at, NULL::timestamptz AS removed_at, \
    NULL::text AS email_key, NULL::text AS phone, o.seat_limit AS seat_limit, o.seat_policy \
    AS seat_policy, o.active_members AS members, CASE WHEN o.seat_policy = \
    'reserve_on_invite' THEN (SELECT count(*) FROM {schema}.invitations r WHERE r.org_id = \
    o.id AND r.closed_at IS NULL AND r.signed_up_at IS NULL AND NOT r.failed AND (CASE WHEN \
    r.awaiting_delivery OR r.expires_at IS NULL THEN 'infinity'::timestamptz ELSE \
    r.expires_at END) > $5) ELSE 0 END AS reserved, NULL::bytea AS hash, NULL::int8 AS \
    generation, NULL::timestamptz AS issued_at FROM {schema}.organizations o WHERE o.id = $1 \
    UNION ALL SELECT 'client'::text AS what, o.id AS id, NULL::uuid AS org_id, o.name AS \
    name, o.kind AS kind, o.msp_id AS msp_id, o.settings AS settings, o.version AS version, \
    NULL::text AS channel, NULL::jsonb AS contact, NULL::jsonb AS access, NULL::text AS \
    user_ref, NULL::jsonb AS sender, NULL::timestamptz AS created_at, NULL::timestamptz AS \
    last_invited_at, NULL::int8 AS send_count, NULL::timestamptz AS last_sent_at, \
    NULL::timestamptz AS expires_at, NULL::bool AS awaiting_delivery, NULL::int8 AS \
    link_generation, NULL::jsonb AS failure, NULL::timestamptz AS signed_up_at, NULL::uuid \
    AS member_id, NULL::timestamptz AS first_login_at, NULL::timestamptz AS completed_at, \
    NULL::text AS completed_by, NULL::timestamptz AS last_follow_up_at, NULL::timestamptz AS \
    closed_at, NULL::jsonb AS close_reason, NULL::jsonb AS options, NULL::text AS address_key, NULL::uuid AS \
    invitation_id, NULL::timestamptz AS joined_at, NULL::timestamptz AS removed_at, \
    NULL::text AS email_key, NULL::text AS phone, NULL::int8 AS seat_limit, NULL::text AS \
    seat_policy, NULL::int8 AS members, NULL::int8 AS reserved, NULL::bytea AS hash, \
    NULL::int8 AS generation, NULL::timestamptz AS issued_at FROM {schema}.organizations o \
    WHERE o.id = ANY($2) UNION ALL SELECT 'open'::text AS what, i.id AS id, i.org_id AS \
    org_id, NULL::text AS name, NULL::text AS kind, NULL::uuid AS msp_id, NULL::jsonb AS \
    settings, i.version AS version, i.channel AS channel, i.contact AS contact, i.access AS \
    access, i.user_ref AS user_ref, i.sender AS sender, i.created_at AS created_at, \
    i.last_invited_at AS last_invited_at, i.send_count AS send_count, i.last_sent_at AS \
    last_sent_at, i.expires_at AS expires_at, i.awaiting_delivery AS awaiting_delivery, \
    i.link_generation AS link_generation, i.failure AS failure, i.signed_up_at AS \
    signed_up_at, i.member_id AS member_id, i.first_login_at AS first_login_at, \
    i.completed_at AS completed_at, i.completed_by AS completed_by, i.last_follow_up_at AS \
    last_follow_up_at, i.closed_at AS closed_at, i.close_reason AS close_reason, i.options AS options, \
    i.address_key AS address_key, NULL::uuid AS invitation_id, NULL::timestamptz AS \
    joined_at, NULL::timestamptz AS removed_at, NULL::text AS email_key, NULL::text AS \
    phone, NULL::int8 AS seat_limit, NULL::text AS seat_policy, NULL::int8 AS members, \
    NULL::int8 AS reserved, NULL::bytea AS hash, NULL::int8 AS generation, NULL::timestamptz \
    AS issued_at FROM {schema}.invitations i WHERE i.org_id = $1 AND i.address_key = ANY($3) \
    AND i.closed_at IS NULL AND i.signed_up_at IS NULL UNION ALL SELECT 'member'::text AS \
    what, m.id AS id, m.org_id AS org_id, NULL::text AS name, NULL::text AS kind, NULL::uuid \
    AS msp_id, NULL::jsonb AS settings, m.version AS version, NULL::text AS channel, \
    m.contact AS contact, m.access AS access, m.user_ref AS user_ref, NULL::jsonb AS sender, \
    NULL::timestamptz AS created_at, NULL::timestamptz AS last_invited_at, NULL::int8 AS \
    send_count, NULL::timestamptz AS last_sent_at, NULL::timestamptz AS expires_at, \
    NULL::bool AS awaiting_delivery, NULL::int8 AS link_generation, NULL::jsonb AS failure, \
    NULL::timestamptz AS signed_up_at, NULL::uuid AS member_id, NULL::timestamptz AS \
    first_login_at, NULL::timestamptz AS completed_at, NULL::text AS completed_by, \
    NULL::timestamptz AS last_follow_up_at, NULL::timestamptz AS closed_at, NULL::jsonb AS \
    close_reason, NULL::jsonb AS options, NULL::text AS address_key, m.invitation_id AS invitation_id, m.joined_at \
    AS joined_at, m.removed_at AS removed_at, m.email_key AS email_key, m.phone AS phone, \
    NULL::int8 AS seat_limit, NULL::text AS seat_policy, NULL::int8 AS members, NULL::int8 \
    AS reserved, NULL::bytea AS hash, NULL::int8 AS generation, NULL::timestamptz AS \
    issued_at FROM {schema}.members m WHERE m.org_id = $1 AND m.removed_at IS NULL AND \
    (m.email_key = ANY($4) OR m.phone = ANY($4))";

/// Everything a signup with link hash `$1` is decided from at `$2`, in one statement and one
/// row: the link (as `LINK`), its invitation (`invitation_columns!` and its keys), its
/// organization (as `ORGANIZATION`, each column prefixed `o_`) with its seats (as `SEATS`),
/// and the ids of the organization's active members at the invitation's e-mail key or phone
/// (`member_ids`; `MEMBERS_BY_IDS` reads them in the rare signup that finds one). One
/// snapshot, so a member made by this link never shows without the invitation's signup. No
/// row: no such link; `NULL` invitation or organization columns: the record is missing.
///
/// One row rather than a `UNION ALL` of one row per record: the union's four branches of 44
/// columns, three of them `NULL` in each, cost the server about a third more (about 1.01
/// million instructions a read against 0.69, counted with `benches/replay/`).
///
/// The members are found by key, one `UNION` branch per key, each a lookup in its own
/// unique index (`members_one_active_per_email`, `members_one_active_per_phone`): with an
/// `OR` of the two conditions the planner scanned every active member of the organization
/// and filtered (2,000 index entries for one signup in the e2e bench's organizations,
/// growing with each signup). `tests/reads_by_key.rs` keeps it a lookup.
pub(crate) const SIGNUP_READS: &str = concat!(
    "SELECT l.hash, l.invitation_id, l.generation, l.issued_at, ",
    invitation_columns!(),
    ", i.email_key, i.phone, o.id AS o_id, o.name AS o_name, o.kind AS o_kind, \
     o.msp_id AS o_msp_id, o.settings AS o_settings, o.version AS o_version, o.seat_limit, \
     o.seat_policy, o.active_members AS members, \
     CASE WHEN o.seat_policy = 'reserve_on_invite' THEN (SELECT count(*) FROM \
     {schema}.invitations r WHERE r.org_id = o.id AND r.closed_at IS NULL AND r.signed_up_at \
     IS NULL AND NOT r.failed AND (CASE WHEN r.awaiting_delivery OR r.expires_at IS NULL THEN \
     'infinity'::timestamptz ELSE r.expires_at END) > $2) ELSE 0 END AS reserved, \
     ARRAY(SELECT m.id FROM {schema}.members m WHERE m.org_id = i.org_id \
     AND m.email_key = i.email_key AND m.removed_at IS NULL AND m.email_key IS NOT NULL \
     UNION SELECT m.id FROM {schema}.members m WHERE m.org_id = i.org_id \
     AND m.phone = i.phone AND m.removed_at IS NULL AND m.phone IS NOT NULL) AS member_ids \
     FROM {schema}.links l LEFT JOIN {schema}.invitations i ON i.id = l.invitation_id \
     LEFT JOIN {schema}.organizations o ON o.id = i.org_id WHERE l.hash = $1"
);

/// The members `$1`, with their keys: those a signup's read found at the invitation's
/// address (`SIGNUP_READS`).
pub(crate) const MEMBERS_BY_IDS: &str = concat!(
    "SELECT ",
    member_columns!(),
    ", m.email_key, m.phone FROM {schema}.members m WHERE m.id = ANY($1) \
     AND m.removed_at IS NULL"
);

// ------------------------------------------------------------------ commit

pub(crate) const INSERT_ORGANIZATION: &str = "\
    INSERT INTO {schema}.organizations \
        (id, name, kind, msp_id, seat_limit, seat_policy, reminders_enabled, settings, version) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) \
    ON CONFLICT (id) DO NOTHING";

pub(crate) const UPDATE_ORGANIZATION: &str = "\
    UPDATE {schema}.organizations SET name = $2, kind = $3, msp_id = $4, seat_limit = $5, \
        seat_policy = $6, reminders_enabled = $7, settings = $8, version = version + 1 \
    WHERE id = $1 AND version = $9";

pub(crate) const ORGANIZATION_EXISTS: &str =
    "SELECT EXISTS (SELECT 1 FROM {schema}.organizations WHERE id = $1)";

/// The arrays of an invitation batch, `$1` to `$27`, one per column. JSONB values travel as
/// text and are cast per row: the client writes each value's JSON once, straight from the
/// record, and the server parses it once.
macro_rules! invitation_batch {
    () => {
        "UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], \
            $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[], \
            $12::timestamptz[], $13::int8[], $14::timestamptz[], $15::timestamptz[], \
            $16::bool[], $17::int8[], $18::text[], $19::timestamptz[], $20::uuid[], \
            $21::timestamptz[], $22::timestamptz[], $23::text[], $24::timestamptz[], \
            $25::timestamptz[], $26::text[], $27::int8[], $28::text[]) \
         AS u(id, org_id, channel, address_key, email_key, phone, contact, access, user_ref, \
            sender, created_at, last_invited_at, send_count, last_sent_at, expires_at, \
            awaiting_delivery, link_generation, failure, signed_up_at, member_id, \
            first_login_at, completed_at, completed_by, last_follow_up_at, closed_at, \
            close_reason, version, options)"
    };
}

/// New invitations. A plain `INSERT` (cheaper than `ON CONFLICT` with two unique indexes to
/// probe): an existing id or an open invitation to the address fails it with a unique
/// violation, which the store catches by constraint name inside a savepoint and explains
/// with `INVITATION_INSERT_CONFLICTS`.
pub(crate) const INSERT_INVITATIONS: &str = concat!(
    "INSERT INTO {schema}.invitations (id, org_id, channel, address_key, email_key, phone, contact, \
        access, user_ref, sender, created_at, last_invited_at, send_count, last_sent_at, \
        expires_at, awaiting_delivery, link_generation, failure, signed_up_at, member_id, \
        first_login_at, completed_at, completed_by, last_follow_up_at, closed_at, \
        close_reason, version, options) \
     SELECT u.id, u.org_id, u.channel, u.address_key, u.email_key, u.phone, \
        u.contact::jsonb, u.access::jsonb, u.user_ref, u.sender::jsonb, u.created_at, \
        u.last_invited_at, u.send_count, u.last_sent_at, u.expires_at, u.awaiting_delivery, \
        u.link_generation, u.failure::jsonb, u.signed_up_at, u.member_id, u.first_login_at, \
        u.completed_at, u.completed_by, u.last_follow_up_at, u.closed_at, \
        u.close_reason::jsonb, u.version, u.options::jsonb FROM ",
    invitation_batch!()
);

/// Why an invitation insert broke a unique rule: of the ids `$1`, those that exist, and of
/// the open (organization `$2`, address `$3`) pairs, those another open invitation holds.
pub(crate) const INVITATION_INSERT_CONFLICTS: &str = "\
    SELECT 'id' AS what, i.id::text AS value FROM {schema}.invitations i WHERE i.id = ANY($1) \
    UNION ALL \
    SELECT 'address', i.address_key FROM {schema}.invitations i \
    JOIN UNNEST($2::uuid[], $3::text[]) AS k(org_id, address_key) \
      ON i.org_id = k.org_id AND i.address_key = k.address_key \
    WHERE i.closed_at IS NULL AND i.signed_up_at IS NULL";

pub(crate) const SAVEPOINT_INVITATIONS: &str = "SAVEPOINT invitation_inserts";
pub(crate) const ROLLBACK_TO_INVITATIONS: &str = "ROLLBACK TO SAVEPOINT invitation_inserts";

/// Changed invitations, each only at the version it was read at; the version goes up by one.
pub(crate) const UPDATE_INVITATIONS: &str = concat!(
    "UPDATE {schema}.invitations i SET access = u.access::jsonb, user_ref = u.user_ref, \
        sender = u.sender::jsonb, \
        created_at = u.created_at, last_invited_at = u.last_invited_at, \
        send_count = u.send_count, last_sent_at = u.last_sent_at, expires_at = u.expires_at, \
        awaiting_delivery = u.awaiting_delivery, link_generation = u.link_generation, \
        failure = u.failure::jsonb, signed_up_at = u.signed_up_at, member_id = u.member_id, \
        first_login_at = u.first_login_at, completed_at = u.completed_at, \
        completed_by = u.completed_by, last_follow_up_at = u.last_follow_up_at, \
        closed_at = u.closed_at, close_reason = u.close_reason::jsonb, \
        version = i.version + 1 \
     FROM ",
    invitation_batch!(),
    // R2.8, R2.6: what never changes is not written, and an update that would change it
    // updates nothing (the store then says which rule it broke).
    " WHERE i.id = u.id AND i.version = u.version AND i.org_id = u.org_id \
        AND i.channel = u.channel AND i.email_key IS NOT DISTINCT FROM u.email_key \
        AND i.phone IS NOT DISTINCT FROM u.phone \
     RETURNING i.id"
);

/// What a refused invitation update is judged by: its version and what never changes.
pub(crate) const INVITATION_IDENTITIES: &str = "SELECT id, version, org_id, channel, email_key, \
    phone FROM {schema}.invitations WHERE id = ANY($1)";

macro_rules! member_batch {
    () => {
        "UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], \
            $7::text[], $8::uuid[], $9::timestamptz[], $10::timestamptz[], $11::int8[]) \
         AS u(id, org_id, email_key, phone, contact, user_ref, access, invitation_id, \
            joined_at, removed_at, version)"
    };
}

pub(crate) const INSERT_MEMBERS: &str = concat!(
    "INSERT INTO {schema}.members (id, org_id, email_key, phone, contact, user_ref, access, \
        invitation_id, joined_at, removed_at, version) \
     SELECT u.id, u.org_id, u.email_key, u.phone, u.contact::jsonb, u.user_ref, \
        u.access::jsonb, u.invitation_id, u.joined_at, u.removed_at, u.version FROM ",
    member_batch!(),
    " ON CONFLICT DO NOTHING RETURNING id"
);

pub(crate) const UPDATE_MEMBERS: &str = concat!(
    "UPDATE {schema}.members m SET org_id = u.org_id, email_key = u.email_key, phone = u.phone, \
        contact = u.contact::jsonb, user_ref = u.user_ref, access = u.access::jsonb, \
        invitation_id = u.invitation_id, joined_at = u.joined_at, removed_at = u.removed_at, \
        version = m.version + 1 \
     FROM ",
    member_batch!(),
    " WHERE m.id = u.id AND m.version = u.version RETURNING m.id"
);

pub(crate) const EXISTING_MEMBERS: &str = "SELECT id FROM {schema}.members WHERE id = ANY($1)";

pub(crate) const INSERT_LINKS: &str = "\
    INSERT INTO {schema}.links (hash, invitation_id, generation, issued_at) \
    SELECT * FROM UNNEST($1::bytea[], $2::uuid[], $3::int8[], $4::timestamptz[]) \
    ON CONFLICT DO NOTHING RETURNING hash";

/// Finishes claimed messages (R7.3): only where the lease token still matches. `$2` is the
/// outcome: 'sent' (at `$3`), 'retry' (due `$4`, error `$5`), 'dead' or 'dropped' (`$5`).
pub(crate) const FINISH_MESSAGES: &str = "\
    UPDATE {schema}.outbox o SET \
        state = CASE WHEN u.outcome IN ('retry', 'release') THEN o.state ELSE u.outcome END, \
        sent_at = CASE WHEN u.outcome = 'sent' THEN u.at \
            WHEN u.outcome IN ('retry', 'release') THEN o.sent_at ELSE NULL END, \
        state_reason = CASE WHEN u.outcome IN ('dead', 'dropped') THEN u.text \
            WHEN u.outcome IN ('retry', 'release') THEN o.state_reason ELSE NULL END, \
        due_at = CASE WHEN u.outcome IN ('retry', 'release') THEN u.due_at ELSE o.due_at END, \
        last_error = CASE WHEN u.outcome IN ('retry', 'release') THEN u.text \
            ELSE o.last_error END, \
        attempts = CASE WHEN u.outcome = 'release' THEN GREATEST(o.attempts - 1, 0) \
            ELSE o.attempts END, \
        provider_id = CASE WHEN u.outcome = 'sent' THEN u.provider_id ELSE o.provider_id END, \
        parts = CASE WHEN u.outcome = 'sent' THEN u.parts ELSE o.parts END, \
        lease_token = NULL, lease_until = NULL \
    FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], \
                $6::uuid[], $7::text[], $8::int8[]) \
        AS u(id, outcome, at, due_at, text, lease, provider_id, parts) \
    WHERE o.id = u.id AND o.lease_token = u.lease \
    RETURNING o.id";

pub(crate) const INSERT_MESSAGES: &str = "\
    INSERT INTO {schema}.outbox (id, org_id, invitation_id, kind, link_generation, reminder_day, \
        created_at, due_at, attempts, last_error, state, sent_at, state_reason, lease_token, \
        lease_until) \
    SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int8[], \
        $6::date[], $7::timestamptz[], $8::timestamptz[], $9::int8[], $10::text[], $11::text[], \
        $12::timestamptz[], $13::text[], $14::uuid[], $15::timestamptz[]) \
    ON CONFLICT DO NOTHING RETURNING id";

/// Reminder marks (R8.2): inserted if absent; the returned ones are new.
pub(crate) const INSERT_REMINDER_MARKS: &str = "\
    INSERT INTO {schema}.reminder_marks (invitation_id, day) \
    SELECT * FROM UNNEST($1::uuid[], $2::date[]) \
    ON CONFLICT DO NOTHING RETURNING invitation_id, day";

pub(crate) const INSERT_AUDIT: &str = "\
    INSERT INTO {schema}.audit_events (id, org_id, invitation_id, at, kind, action, actor, \
        before_status, after_status) \
    SELECT u.id, u.org_id, u.invitation_id, u.at, u.kind, u.action::jsonb, u.actor::jsonb, \
        u.before_status, u.after_status \
    FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::text[], \
        $6::text[], $7::text[], $8::text[], $9::text[]) WITH ORDINALITY \
        AS u(id, org_id, invitation_id, at, kind, action, actor, before_status, after_status, n) \
    ORDER BY u.n";

/// The state of member `m` at `$at`, the twin of `MemberState::of` for active members:
/// `never_used` exactly when the invitation `i` it came by (joined, or NULL) is Never Used
/// then, `completed` otherwise (no invitation, or one logged in or marked completed).
macro_rules! member_state {
    ($at:literal) => {
        concat!(
            "CASE WHEN i.id IS NOT NULL AND {schema}.invitation_status(i.closed_at, \
             i.signed_up_at, i.completed_at, i.failed, i.awaiting_delivery, i.expires_at, ",
            $at,
            ") = 'never_used' THEN 'never_used' ELSE 'completed' END"
        )
    };
}

/// One page of the member list: `$1` organization, `$2` tab (`all`, `never_used`,
/// `completed`), `$3` instant, `$4` lower-cased search text or NULL, `$5` the search text as
/// given (for user ids) or NULL, `$6`/`$7` keyset position (joined at, id), `$8` rows.
macro_rules! member_page {
    ($cmp:expr, $order:literal) => {
        concat!(
            "SELECT ",
            member_columns!(),
            ", s.state FROM {schema}.members m \
             LEFT JOIN {schema}.invitations i ON i.id = m.invitation_id \
             CROSS JOIN LATERAL (SELECT ",
            member_state!("$3"),
            " AS state) s \
             WHERE m.org_id = $1 AND m.removed_at IS NULL \
               AND ($2::text = 'all' OR s.state = $2::text) \
               AND ($4::text IS NULL \
                    OR strpos(COALESCE(m.email_key, ''), $4) > 0 \
                    OR strpos(COALESCE(m.phone, ''), $4) > 0 \
                    OR strpos(COALESCE(m.user_ref, ''), $5::text) > 0)",
            $cmp,
            " ORDER BY m.joined_at ",
            $order,
            ", m.id ",
            $order,
            " LIMIT $8"
        )
    };
}

macro_rules! member_after {
    ($op:literal) => {
        concat!(
            " AND (m.joined_at, m.id) ",
            $op,
            " (COALESCE($6, '-infinity'::timestamptz), $7)"
        )
    };
}

macro_rules! member_no_cursor {
    () => {
        " AND ($6::timestamptz IS NULL OR true) AND ($7::uuid IS NULL OR true)"
    };
}

pub(crate) const MEMBERS_DESC_FIRST: &str = member_page!(member_no_cursor!(), "DESC");
pub(crate) const MEMBERS_DESC_AFTER: &str = member_page!(member_after!("<"), "DESC");
pub(crate) const MEMBERS_ASC_FIRST: &str = member_page!(member_no_cursor!(), "ASC");
pub(crate) const MEMBERS_ASC_AFTER: &str = member_page!(member_after!(">"), "ASC");

/// The active members of `$1` tied to the application's user id `$2`, newest first.
pub(crate) const MEMBERS_BY_USER: &str = concat!(
    "SELECT ",
    member_columns!(),
    " FROM {schema}.members m \
     WHERE m.org_id = $1 AND m.user_ref = $2 AND m.removed_at IS NULL \
     ORDER BY m.joined_at DESC, m.id DESC"
);

/// `apply_commit_rows` called with its 11 parameters, `$1` to `$11`, for [`APPLY_COMMIT`]
/// and [`APPLY_COMMIT_SEATS`].
macro_rules! apply_commit_call {
    () => {
        "{schema}.apply_commit_rows($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    };
}

/// The whole commit in one call (`fast.rs`, migrations `commit_in_one_statement`,
/// `commit_rows`): the seat lock (`$1` organization, `$2` lock or not, `$3` count
/// reservations, `$4` now), which invitation rows are inserts (`$5`), then the rows of
/// `InvitationArrays`, `MemberArrays`, `LinkArrays`, `FinishArrays`, `MessageArrays` and
/// `AuditArrays`, each one array of its composite type (`rows.rs`), in that order.
pub(crate) const APPLY_COMMIT: &str = concat!(
    "SELECT lock_limit, lock_policy, lock_members, lock_reserved FROM ",
    apply_commit_call!()
);

/// [`APPLY_COMMIT`] with the seat verdict in the same statement (migration
/// `seat_verdict_in_the_commit`): `$12` seats required, `$13` members added; a refusal raises,
/// so the call, its own transaction, writes nothing.
pub(crate) const APPLY_COMMIT_SEATS: &str = concat!(
    "SELECT {schema}.seats_admit(c.lock_limit, c.lock_members, c.lock_reserved, $12, $13) \
     FROM ",
    apply_commit_call!(),
    " c"
);

/// The OIDs of the one-statement commit's composite types (`rows.rs`) in the store's schema:
/// none before the migration `commit_rows`.
pub(crate) const ROW_TYPES: &str = "\
SELECT t.typname::text AS name, t.oid AS element, t.typarray AS array FROM pg_type t \
WHERE t.typnamespace = to_regnamespace('{schema}') AND t.typname IN ('invitation_row', \
'member_row', 'link_row', 'finish_row', 'message_row', 'audit_row')";

/// Where a template names the store's schema; [`Statements::render`] puts the quoted
/// identifier in its place.
pub(crate) const SCHEMA_PLACEHOLDER: &str = "{schema}";

/// Renders `template` for `schema`: the placeholder replaced by the quoted, validated
/// identifier. The only text spliced into any statement, and it is not user input but a
/// name [`SchemaName::new`] accepted.
pub(crate) fn render(template: &str, schema: &SchemaName) -> String {
    template.replace(SCHEMA_PLACEHOLDER, &schema.quoted())
}

/// Declares [`Statements`] with one field per template constant, and its rendering.
macro_rules! statements {
    ($($name:ident),+ $(,)?) => {
        /// Every statement rendered once for a schema, when a `PgStore` is made: constant
        /// text per store, so each keeps its prepared statement on every connection.
        #[allow(non_snake_case)]
        pub(crate) struct Statements {
            $(pub(crate) $name: Box<str>,)+
        }

        impl Statements {
            pub(crate) fn render(schema: &SchemaName) -> Self {
                Self { $($name: render($name, schema).into_boxed_str(),)+ }
            }

            /// Every statement by name, for tools and tests (prepare, `EXPLAIN`).
            pub(crate) fn all(&self) -> Vec<(&'static str, &str)> {
                vec![$((stringify!($name), &*self.$name),)+]
            }
        }

        impl std::fmt::Debug for Statements {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("Statements { .. }")
            }
        }
    };
}

// Every statement above, rendered for one schema: what a `PgStore` runs. One field per
// statement, named as its template.
statements! {
    ORGANIZATIONS_BY_IDS,
    INVITATIONS_BY_IDS,
    ORGANIZATION,
    ORGANIZATIONS_WITH_REMINDERS_FIRST,
    ORGANIZATIONS_WITH_REMINDERS_AFTER,
    INVITATION,
    OPEN_INVITATIONS,
    INVITATIONS_FOR_USERS,
    LINK,
    MEMBER,
    ACTIVE_MEMBERS,
    SEATS,
    LOCK_SEATS,
    RESERVED_SEATS,
    MESSAGE,
    CLAIM_DUE,
    REMINDER_CANDIDATES_FIRST,
    REMINDER_CANDIDATES_AFTER,
    DASHBOARD,
    DASHBOARD_SPLITS,
    LIST_INVITED_DESC_FIRST,
    LIST_INVITED_DESC_AFTER,
    LIST_INVITED_ASC_FIRST,
    LIST_INVITED_ASC_AFTER,
    LIST_SIGNED_UP_DESC_FIRST,
    LIST_SIGNED_UP_DESC_AFTER,
    LIST_SIGNED_UP_ASC_FIRST,
    LIST_SIGNED_UP_ASC_AFTER,
    DAILY_ACTIVITY,
    AUDIT_OF_ORG,
    AUDIT_OF_INVITATION,
    MESSAGE_BY_PROVIDER_ID,
    FEED_ALL,
    FEED_OF_ORG,
    INSERT_ORGANIZATION,
    UPDATE_ORGANIZATION,
    ORGANIZATION_EXISTS,
    INSERT_INVITATIONS,
    UPDATE_INVITATIONS,
    INVITATION_IDENTITIES,
    INVITATION_INSERT_CONFLICTS,
    INSERT_MEMBERS,
    UPDATE_MEMBERS,
    EXISTING_MEMBERS,
    INSERT_LINKS,
    FINISH_MESSAGES,
    INSERT_MESSAGES,
    INSERT_REMINDER_MARKS,
    INSERT_AUDIT,
    MEMBERS_DESC_FIRST,
    MEMBERS_DESC_AFTER,
    MEMBERS_ASC_FIRST,
    MEMBERS_ASC_AFTER,
    MEMBERS_BY_USER,
    WAITLIST_FIRST,
    WAITLIST_AFTER,
    WAITLIST_ENTRY,
    WAITLIST_AT_KEYS,
    WAITLIST_COUNT,
    ORGANIZATIONS_WITH_WAITLIST_FIRST,
    ORGANIZATIONS_WITH_WAITLIST_AFTER,
    DELETE_WAITLIST,
    INSERT_WAITLIST,
    APPLY_COMMIT,
    APPLY_COMMIT_SEATS,
    ROW_TYPES,
    INVITE_READS,
    SIGNUP_READS,
    MEMBERS_BY_IDS,
}
