-- Reminder candidates (R8.1) are Pending (not signed up; a completion mark is no part of
-- Pending) or Never Used (signed up, not completed). The first index left out Pending
-- invitations that carry a completion mark: no transition writes one, but the store must
-- agree with `reminders::eligible` on every combination of facts (the conformance suite's
-- truth table found the difference).
DROP INDEX invitations_reminder_candidates;
CREATE INDEX invitations_reminder_candidates
    ON invitations (org_id, id)
    WHERE closed_at IS NULL AND (signed_up_at IS NULL OR completed_at IS NULL);
