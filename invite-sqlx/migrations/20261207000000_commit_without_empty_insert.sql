-- The one-statement commit without its empty invitation insert (issue 8.7, accept). A commit
-- that updates invitations and inserts none (a signup, a delivery) ran the
-- invitation `INSERT` of `apply_commit` (migration `commit_in_one_statement`) over zero rows,
-- and an empty statement still costs an executor over every index of `invitations`. The
-- function is otherwise unchanged: the same statements, in the same order.
--
-- Measured in instructions (callgrind, a single-user backend replaying one signup of the e2e
-- bench, prepared as sqlx sends it, inside a transaction that first undoes the signup and
-- then rolls back, each variant on a fresh copy of the same data directory): 4,768,267 per
-- replay before, 4,509,332 after, of which the undoing and the parsing of the 80 array
-- literals are about 2 million. Generic plans for the function's statements
-- (`plan_cache_mode`) were tried too: 59,000 fewer with fresh statistics, not worth making
-- every statement's plan blind to the sizes of its arrays.
--
-- Like every migration of this crate it names no schema; the function keeps the
-- `search_path` it was created with (`FROM CURRENT`), the store's schema.

CREATE OR REPLACE FUNCTION apply_commit(
    -- The seat lock: the organization, whether to take the lock, whether to count live
    -- reservations (a seat check), the commit's instant.
    p_org uuid, p_lock boolean, p_count_reserved boolean, p_now timestamptz,
    -- Invitations, one array per column as `INSERT_INVITATIONS` binds them, each row an
    -- update or (i_insert) an insert.
    i_insert boolean[], i_id uuid[], i_org uuid[], i_channel text[], i_address_key text[],
    i_email_key text[], i_phone text[], i_contact text[], i_access text[], i_user_ref text[],
    i_sender text[], i_created_at timestamptz[], i_last_invited_at timestamptz[],
    i_send_count bigint[], i_last_sent_at timestamptz[], i_expires_at timestamptz[],
    i_awaiting_delivery boolean[], i_link_generation bigint[], i_failure text[],
    i_signed_up_at timestamptz[], i_member uuid[], i_first_login_at timestamptz[],
    i_completed_at timestamptz[], i_completed_by text[], i_last_follow_up_at timestamptz[],
    i_closed_at timestamptz[], i_close_reason text[], i_version bigint[], i_options text[],
    -- New members, as `INSERT_MEMBERS`.
    m_id uuid[], m_org uuid[], m_email_key text[], m_phone text[], m_contact text[],
    m_user_ref text[], m_access text[], m_invitation uuid[], m_joined_at timestamptz[],
    m_removed_at timestamptz[], m_version bigint[],
    -- New link hashes, as `INSERT_LINKS`.
    l_hash bytea[], l_invitation uuid[], l_generation bigint[], l_issued_at timestamptz[],
    -- Finished messages, as `FINISH_MESSAGES`.
    f_id uuid[], f_outcome text[], f_at timestamptz[], f_due_at timestamptz[], f_text text[],
    f_lease uuid[], f_provider_id text[], f_parts bigint[],
    -- New messages, as `INSERT_MESSAGES`.
    o_id uuid[], o_org uuid[], o_invitation uuid[], o_kind text[], o_link_generation bigint[],
    o_reminder_day date[], o_created_at timestamptz[], o_due_at timestamptz[],
    o_attempts bigint[], o_last_error text[], o_state text[], o_sent_at timestamptz[],
    o_state_reason text[], o_lease_token uuid[], o_lease_until timestamptz[],
    -- Audit events, in order, as `INSERT_AUDIT`.
    a_id uuid[], a_org uuid[], a_invitation uuid[], a_at timestamptz[], a_kind text[],
    a_action text[], a_actor text[], a_before text[], a_after text[],
    -- The counts under the lock, before this commit: NULL when no lock was taken or the
    -- organization does not exist.
    OUT lock_limit bigint, OUT lock_policy text, OUT lock_members bigint,
    OUT lock_reserved bigint)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    wanted bigint;
    done bigint;
BEGIN
    IF p_lock THEN
        SELECT o.seat_limit, o.seat_policy, o.active_members
        INTO lock_limit, lock_policy, lock_members
        FROM organizations o WHERE o.id = p_org FOR NO KEY UPDATE;
        lock_reserved := 0;
        IF FOUND AND p_count_reserved AND lock_policy = 'reserve_on_invite' THEN
            -- `reserved_count!` of src/sql.rs, a statement of its own after the lock.
            SELECT count(*) INTO lock_reserved FROM invitations i
            WHERE i.org_id = p_org
              AND i.closed_at IS NULL AND i.signed_up_at IS NULL AND NOT i.failed
              AND (CASE WHEN i.awaiting_delivery OR i.expires_at IS NULL
                        THEN 'infinity'::timestamptz ELSE i.expires_at END) > p_now;
        END IF;
    END IF;

    IF cardinality(i_id) > 0 THEN
        -- Updates first (a replacement closes the old invitation before the new one takes
        -- its address), each at the version it was read at, what never changes unchanged.
        wanted := (SELECT count(*) FROM unnest(i_insert) AS x(ins) WHERE NOT x.ins);
        IF wanted > 0 THEN
            UPDATE invitations i SET access = u.access::jsonb, user_ref = u.user_ref,
                sender = u.sender::jsonb, created_at = u.created_at,
                last_invited_at = u.last_invited_at, send_count = u.send_count,
                last_sent_at = u.last_sent_at, expires_at = u.expires_at,
                awaiting_delivery = u.awaiting_delivery, link_generation = u.link_generation,
                failure = u.failure::jsonb, signed_up_at = u.signed_up_at,
                member_id = u.member_id, first_login_at = u.first_login_at,
                completed_at = u.completed_at, completed_by = u.completed_by,
                last_follow_up_at = u.last_follow_up_at, closed_at = u.closed_at,
                close_reason = u.close_reason::jsonb, version = i.version + 1
            FROM unnest(i_insert, i_id, i_org, i_channel, i_email_key, i_phone, i_access,
                    i_user_ref, i_sender, i_created_at, i_last_invited_at, i_send_count,
                    i_last_sent_at, i_expires_at, i_awaiting_delivery, i_link_generation,
                    i_failure, i_signed_up_at, i_member, i_first_login_at, i_completed_at,
                    i_completed_by, i_last_follow_up_at, i_closed_at, i_close_reason,
                    i_version)
                AS u(ins, id, org_id, channel, email_key, phone, access, user_ref, sender,
                    created_at, last_invited_at, send_count, last_sent_at, expires_at,
                    awaiting_delivery, link_generation, failure, signed_up_at, member_id,
                    first_login_at, completed_at, completed_by, last_follow_up_at, closed_at,
                    close_reason, version)
            WHERE NOT u.ins AND i.id = u.id AND i.version = u.version
              AND i.org_id = u.org_id AND i.channel = u.channel
              AND i.email_key IS NOT DISTINCT FROM u.email_key
              AND i.phone IS NOT DISTINCT FROM u.phone;
            GET DIAGNOSTICS done = ROW_COUNT;
            IF done <> wanted THEN
                RAISE EXCEPTION 'invitation update refused' USING ERRCODE = 'P0001';
            END IF;
        END IF;
        -- Inserts; an id or an open address already taken is a unique violation. None, as
        -- in a signup or a delivery: no statement.
        IF wanted < cardinality(i_id) THEN
            INSERT INTO invitations (id, org_id, channel, address_key, email_key, phone, contact,
                access, user_ref, sender, created_at, last_invited_at, send_count, last_sent_at,
                expires_at, awaiting_delivery, link_generation, failure, signed_up_at, member_id,
                first_login_at, completed_at, completed_by, last_follow_up_at, closed_at,
                close_reason, version, options)
            SELECT u.id, u.org_id, u.channel, u.address_key, u.email_key, u.phone,
                u.contact::jsonb, u.access::jsonb, u.user_ref, u.sender::jsonb, u.created_at,
                u.last_invited_at, u.send_count, u.last_sent_at, u.expires_at,
                u.awaiting_delivery, u.link_generation, u.failure::jsonb, u.signed_up_at,
                u.member_id, u.first_login_at, u.completed_at, u.completed_by,
                u.last_follow_up_at, u.closed_at, u.close_reason::jsonb, u.version,
                u.options::jsonb
            FROM unnest(i_insert, i_id, i_org, i_channel, i_address_key, i_email_key, i_phone,
                    i_contact, i_access, i_user_ref, i_sender, i_created_at, i_last_invited_at,
                    i_send_count, i_last_sent_at, i_expires_at, i_awaiting_delivery,
                    i_link_generation, i_failure, i_signed_up_at, i_member, i_first_login_at,
                    i_completed_at, i_completed_by, i_last_follow_up_at, i_closed_at,
                    i_close_reason, i_version, i_options)
                AS u(ins, id, org_id, channel, address_key, email_key, phone, contact, access,
                    user_ref, sender, created_at, last_invited_at, send_count, last_sent_at,
                    expires_at, awaiting_delivery, link_generation, failure, signed_up_at,
                    member_id, first_login_at, completed_at, completed_by, last_follow_up_at,
                    closed_at, close_reason, version, options)
            WHERE u.ins;
        END IF;
    END IF;

    IF cardinality(m_id) > 0 THEN
        INSERT INTO members (id, org_id, email_key, phone, contact, user_ref, access,
            invitation_id, joined_at, removed_at, version)
        SELECT u.id, u.org_id, u.email_key, u.phone, u.contact::jsonb, u.user_ref,
            u.access::jsonb, u.invitation_id, u.joined_at, u.removed_at, u.version
        FROM unnest(m_id, m_org, m_email_key, m_phone, m_contact, m_user_ref, m_access,
                m_invitation, m_joined_at, m_removed_at, m_version)
            AS u(id, org_id, email_key, phone, contact, user_ref, access, invitation_id,
                joined_at, removed_at, version)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS done = ROW_COUNT;
        IF done <> cardinality(m_id) THEN
            RAISE EXCEPTION 'member insert refused' USING ERRCODE = 'P0001';
        END IF;
    END IF;

    IF cardinality(l_hash) > 0 THEN
        INSERT INTO links (hash, invitation_id, generation, issued_at)
        SELECT * FROM unnest(l_hash, l_invitation, l_generation, l_issued_at)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS done = ROW_COUNT;
        IF done <> cardinality(l_hash) THEN
            RAISE EXCEPTION 'link refused' USING ERRCODE = 'P0001';
        END IF;
    END IF;

    IF cardinality(f_id) > 0 THEN
        -- `FINISH_MESSAGES` of src/sql.rs: only under the lease each was claimed with.
        UPDATE outbox o SET
            state = CASE WHEN u.outcome IN ('retry', 'release') THEN o.state
                ELSE u.outcome END,
            sent_at = CASE WHEN u.outcome = 'sent' THEN u.at
                WHEN u.outcome IN ('retry', 'release') THEN o.sent_at ELSE NULL END,
            state_reason = CASE WHEN u.outcome IN ('dead', 'dropped') THEN u.text
                WHEN u.outcome IN ('retry', 'release') THEN o.state_reason ELSE NULL END,
            due_at = CASE WHEN u.outcome IN ('retry', 'release') THEN u.due_at
                ELSE o.due_at END,
            last_error = CASE WHEN u.outcome IN ('retry', 'release') THEN u.text
                ELSE o.last_error END,
            attempts = CASE WHEN u.outcome = 'release' THEN GREATEST(o.attempts - 1, 0)
                ELSE o.attempts END,
            provider_id = CASE WHEN u.outcome = 'sent' THEN u.provider_id
                ELSE o.provider_id END,
            parts = CASE WHEN u.outcome = 'sent' THEN u.parts ELSE o.parts END,
            lease_token = NULL, lease_until = NULL
        FROM unnest(f_id, f_outcome, f_at, f_due_at, f_text, f_lease, f_provider_id, f_parts)
            AS u(id, outcome, at, due_at, text, lease, provider_id, parts)
        WHERE o.id = u.id AND o.lease_token = u.lease;
        GET DIAGNOSTICS done = ROW_COUNT;
        IF done <> cardinality(f_id) THEN
            RAISE EXCEPTION 'lease lost' USING ERRCODE = 'P0001';
        END IF;
    END IF;

    IF cardinality(o_id) > 0 THEN
        INSERT INTO outbox (id, org_id, invitation_id, kind, link_generation, reminder_day,
            created_at, due_at, attempts, last_error, state, sent_at, state_reason,
            lease_token, lease_until)
        SELECT * FROM unnest(o_id, o_org, o_invitation, o_kind, o_link_generation,
            o_reminder_day, o_created_at, o_due_at, o_attempts, o_last_error, o_state,
            o_sent_at, o_state_reason, o_lease_token, o_lease_until)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS done = ROW_COUNT;
        IF done <> cardinality(o_id) THEN
            RAISE EXCEPTION 'message refused' USING ERRCODE = 'P0001';
        END IF;
    END IF;

    IF cardinality(a_id) > 0 THEN
        INSERT INTO audit_events (id, org_id, invitation_id, at, kind, action, actor,
            before_status, after_status)
        SELECT u.id, u.org_id, u.invitation_id, u.at, u.kind, u.action::jsonb,
            u.actor::jsonb, u.before_status, u.after_status
        FROM unnest(a_id, a_org, a_invitation, a_at, a_kind, a_action, a_actor, a_before,
                a_after) WITH ORDINALITY
            AS u(id, org_id, invitation_id, at, kind, action, actor, before_status,
                after_status, n)
        ORDER BY u.n;
    END IF;
END
$$;
