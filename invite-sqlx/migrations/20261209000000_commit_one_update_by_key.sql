-- `apply_commit_rows` (migration `commit_rows`) with a commit's one invitation update
-- (a signup, a resend, a cancellation: most commits) made by the invitation's key instead
-- of a join with the unnested rows (issue 8.7, accept). PL/pgSQL keeps a statement's plan
-- only when a generic plan costs about what a custom one does; the join's generic plan
-- cannot know how many rows the array holds, so the join was planned anew for every call.
-- Counted with callgrind (`benches/replay/replay-instructions`, a signup of the e2e bench
-- replayed on a single-user backend), the key's update costs 378,000 instructions less per
-- signup: the call's own work goes from 1.73 to 1.35 million. Several updates still go as
-- one joined statement: pgbench, same function both ways, 8 updates took 0.88 ms joined
-- and 1.22 ms one by one, 100 took 3.9 and 8.6 ms, since every statement pays the table's
-- `CHECK` constraints and its executor's start. The count of updates is taken without a
-- query (`array_positions`). Everything else is as it was, statement for statement.

CREATE OR REPLACE FUNCTION apply_commit_rows(
    -- The seat lock: the organization, whether to take the lock, whether to count live
    -- reservations (a seat check), the commit's instant.
    p_org uuid, p_lock boolean, p_count_reserved boolean, p_now timestamptz,
    -- Invitations, each an update or (i_insert, at the same position) an insert.
    i_insert boolean[], i_rows invitation_row[],
    -- New members, new link hashes, finished messages, new messages, audit events in order.
    m_rows member_row[], l_rows link_row[], f_rows finish_row[], o_rows message_row[],
    a_rows audit_row[],
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
    r invitation_row;
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

    IF cardinality(i_rows) > 0 THEN
        -- Updates first (a replacement closes the old invitation before the new one takes
        -- its address), each at the version it was read at, what never changes unchanged.
        wanted := cardinality(array_positions(i_insert, false));
        IF wanted = 1 THEN
            -- One update (a signup, a resend, a cancellation): by its key, a plan that
            -- stays cached, where the join below is planned anew for every call.
            r := i_rows[array_position(i_insert, false)];
            UPDATE invitations i SET access = r.access::jsonb, user_ref = r.user_ref,
                sender = r.sender::jsonb, created_at = r.created_at,
                last_invited_at = r.last_invited_at, send_count = r.send_count,
                last_sent_at = r.last_sent_at, expires_at = r.expires_at,
                awaiting_delivery = r.awaiting_delivery, link_generation = r.link_generation,
                failure = r.failure::jsonb, signed_up_at = r.signed_up_at,
                member_id = r.member_id, first_login_at = r.first_login_at,
                completed_at = r.completed_at, completed_by = r.completed_by,
                last_follow_up_at = r.last_follow_up_at, closed_at = r.closed_at,
                close_reason = r.close_reason::jsonb, version = i.version + 1
            WHERE i.id = r.id AND i.version = r.version
              AND i.org_id = r.org_id AND i.channel = r.channel
              AND i.email_key IS NOT DISTINCT FROM r.email_key
              AND i.phone IS NOT DISTINCT FROM r.phone;
            GET DIAGNOSTICS done = ROW_COUNT;
            IF done <> 1 THEN
                RAISE EXCEPTION 'invitation update refused' USING ERRCODE = 'P0001';
            END IF;
        ELSIF wanted > 1 THEN
            -- Several (a delivery batch, a group of signups): one statement for all, since
            -- each statement pays the table's constraints and its executor once.
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
            FROM unnest(i_insert, i_rows) AS u(ins)
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
        IF wanted < cardinality(i_rows) THEN
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
            FROM unnest(i_insert, i_rows) AS u(ins)
            WHERE u.ins;
        END IF;
    END IF;

    IF cardinality(m_rows) > 0 THEN
        INSERT INTO members (id, org_id, email_key, phone, contact, user_ref, access,
            invitation_id, joined_at, removed_at, version)
        SELECT u.id, u.org_id, u.email_key, u.phone, u.contact::jsonb, u.user_ref,
            u.access::jsonb, u.invitation_id, u.joined_at, u.removed_at, u.version
        FROM unnest(m_rows) AS u
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS done = ROW_COUNT;
        IF done <> cardinality(m_rows) THEN
            RAISE EXCEPTION 'member insert refused' USING ERRCODE = 'P0001';
        END IF;
    END IF;

    IF cardinality(l_rows) > 0 THEN
        INSERT INTO links (hash, invitation_id, generation, issued_at)
        SELECT * FROM unnest(l_rows)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS done = ROW_COUNT;
        IF done <> cardinality(l_rows) THEN
            RAISE EXCEPTION 'link refused' USING ERRCODE = 'P0001';
        END IF;
    END IF;

    IF cardinality(f_rows) > 0 THEN
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
        FROM unnest(f_rows) AS u
        WHERE o.id = u.id AND o.lease_token = u.lease;
        GET DIAGNOSTICS done = ROW_COUNT;
        IF done <> cardinality(f_rows) THEN
            RAISE EXCEPTION 'lease lost' USING ERRCODE = 'P0001';
        END IF;
    END IF;

    IF cardinality(o_rows) > 0 THEN
        INSERT INTO outbox (id, org_id, invitation_id, kind, link_generation, reminder_day,
            created_at, due_at, attempts, last_error, state, sent_at, state_reason,
            lease_token, lease_until)
        SELECT * FROM unnest(o_rows)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS done = ROW_COUNT;
        IF done <> cardinality(o_rows) THEN
            RAISE EXCEPTION 'message refused' USING ERRCODE = 'P0001';
        END IF;
    END IF;

    IF cardinality(a_rows) > 0 THEN
        INSERT INTO audit_events (id, org_id, invitation_id, at, kind, action, actor,
            before_status, after_status)
        SELECT u.id, u.org_id, u.invitation_id, u.at, u.kind, u.action::jsonb,
            u.actor::jsonb, u.before_status, u.after_status
        FROM unnest(a_rows) WITH ORDINALITY AS u
        ORDER BY u.ordinality;
    END IF;
END
$$;
