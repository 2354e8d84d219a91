-- Issue 11, points 2 and 7: the member list and accepted notices.
--   * The member list pages an organization's active members by the instant they joined
--     (keyset on joined_at, id, both directions), and the application looks members up by
--     its own user id: one partial index each, over active members only.
--   * The outbox takes a message of a new kind, the accepted notice to an invitation's
--     sender ('accepted_notice'); the kind check is replaced to name it.
CREATE INDEX members_list ON members (org_id, joined_at, id) WHERE removed_at IS NULL;
CREATE INDEX members_by_user ON members (org_id, user_ref)
    WHERE removed_at IS NULL AND user_ref IS NOT NULL;

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('invitation', 'resend', 'reminder', 'follow_up', 'accepted_notice'));
