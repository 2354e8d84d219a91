-- Seats in constant time (issue 8.5). The seat check at commit counted every active member
-- under the organization's lock, so a signup in an organization of 100,000 members paid for
-- reading 100,000 index entries. Now:
--   * `organizations.active_members` counts the active (not removed) members, kept by
--     statement triggers on `members` in the same transaction as every insert, update and
--     delete of a member, whichever statement writes it (the store's commits, a backfill, a
--     hand-made fix), so it cannot drift from `count(*)`;
--   * the live reservations of ReserveOnInvite, which depend on the time, are counted from
--     `invitations_reserving`, an index of the invitations that can hold a seat keyed by the
--     instant they stop holding it: the count reads the invitations holding a seat now and no
--     others.
-- Like every migration of this crate it names no schema: it runs with `search_path` set to
-- the store's schema, and the trigger function keeps that `search_path` (`FROM CURRENT`).

-- No member may be written between the backfill and the triggers.
LOCK TABLE members IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE organizations
    ADD COLUMN active_members bigint NOT NULL DEFAULT 0
    CONSTRAINT organizations_active_members_not_negative CHECK (active_members >= 0);

UPDATE organizations o SET active_members = c.n
FROM (SELECT org_id, count(*) AS n FROM members WHERE removed_at IS NULL GROUP BY org_id) c
WHERE o.id = c.org_id;

-- Moves each organization's counter by its members that became active minus those that
-- stopped being active in one statement. Organizations whose count does not change are not
-- touched (and not locked).
CREATE FUNCTION count_active_members() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE organizations o SET active_members = o.active_members + d.n
        FROM (SELECT org_id, count(*) AS n FROM new_members
              WHERE removed_at IS NULL GROUP BY org_id) d
        WHERE o.id = d.org_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE organizations o SET active_members = o.active_members - d.n
        FROM (SELECT org_id, count(*) AS n FROM old_members
              WHERE removed_at IS NULL GROUP BY org_id) d
        WHERE o.id = d.org_id;
    ELSE
        UPDATE organizations o SET active_members = o.active_members + d.n
        FROM (SELECT org_id, sum(n) AS n
              FROM (SELECT org_id, 1 AS n FROM new_members WHERE removed_at IS NULL
                    UNION ALL
                    SELECT org_id, -1 FROM old_members WHERE removed_at IS NULL) c
              GROUP BY org_id HAVING sum(n) <> 0) d
        WHERE o.id = d.org_id;
    END IF;
    RETURN NULL;
END
$$;

-- One trigger per event: PostgreSQL allows transition tables only on single-event triggers.
CREATE TRIGGER members_count_inserts
    AFTER INSERT ON members REFERENCING NEW TABLE AS new_members
    FOR EACH STATEMENT EXECUTE FUNCTION count_active_members();
CREATE TRIGGER members_count_updates
    AFTER UPDATE ON members REFERENCING OLD TABLE AS old_members NEW TABLE AS new_members
    FOR EACH STATEMENT EXECUTE FUNCTION count_active_members();
CREATE TRIGGER members_count_deletes
    AFTER DELETE ON members REFERENCING OLD TABLE AS old_members
    FOR EACH STATEMENT EXECUTE FUNCTION count_active_members();

-- Only the seat counts read it; the counter replaces it.
DROP INDEX members_active;

-- R3.5: the invitations that can hold a seat (open, not failed), keyed by the instant they
-- stop holding it: never while awaiting delivery or without an expiry, otherwise their
-- expiry. An invitation holds a seat at `t` exactly when `t` is before that instant, which
-- is `Invitation::reserves_seat_at(t)`. The INCLUDE columns make the count an index-only
-- scan. The expression is written exactly as in `src/sql.rs` (`reserved_until!`).
CREATE INDEX invitations_reserving
    ON invitations (org_id,
        (CASE WHEN awaiting_delivery OR expires_at IS NULL THEN 'infinity'::timestamptz
         ELSE expires_at END))
    INCLUDE (awaiting_delivery, expires_at)
    WHERE closed_at IS NULL AND signed_up_at IS NULL AND NOT failed;
