-- The seat verdict inside the one-statement commit (issue 8.4): a commit with a seat check
-- (an invite under reserve-on-invite, a signup) was three round trips, `BEGIN`, the call,
-- `COMMIT` after the core's `SeatCheck::verdict` on the counts the call read under the lock,
-- and the organization's row stayed locked across all three. With the verdict here the call
-- is its own transaction: one round trip, the lock held only while the server runs it.
--
-- `seat_verdict_ok` is the SQL twin of `SeatCheck::verdict` (R3.3 to R3.6), guarded by
-- `tests/seat_verdict.rs`, which compares the two over every combination of small counts.
-- It only chooses the fast way: a refusal (or no organization) makes `seats_admit` raise, so
-- the call writes nothing, and the store runs the step-by-step commit, whose seat check is
-- the core's own and names the conflict.
CREATE FUNCTION seat_verdict_ok(
    p_limit bigint, p_members bigint, p_reserved bigint, p_required bigint,
    p_new_members bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT GREATEST(p_limit - (p_members + p_reserved), 0) >= p_required
       AND NOT (p_new_members > 0 AND p_members + p_new_members > p_limit)
$$;

CREATE FUNCTION seats_admit(
    p_limit bigint, p_members bigint, p_reserved bigint, p_required bigint,
    p_new_members bigint) RETURNS boolean
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF p_limit IS NULL
       OR NOT seat_verdict_ok(p_limit, p_members, p_reserved, p_required, p_new_members) THEN
        RAISE EXCEPTION 'seats refused' USING ERRCODE = 'P0001';
    END IF;
    RETURN true;
END
$$;
