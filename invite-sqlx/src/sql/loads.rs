//! Everything an invite or a signup is decided from, in one statement each (issue 8.4).

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
