//! A commit's statements: organizations, invitation and member batches, links, message
//! outcomes, reminder marks and audit events, and the one-statement `apply_commit_rows` call.

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
