//! The dashboard (R9.1), list pages (R9.2), daily activity, the audit trail and event feed
//! (R10.2), and the member list pages.

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
