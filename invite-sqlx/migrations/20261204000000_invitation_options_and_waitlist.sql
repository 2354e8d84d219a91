-- Per-invitation options (issue 11): validity, application metadata, return path, language,
-- by-hand link, waitlist opt-in. Fixed at creation, so only inserts write them; '{}' is an
-- invitation without options (the core's `InvitationOptions::default`).
ALTER TABLE invitations ADD COLUMN options jsonb NOT NULL DEFAULT '{}';

-- The seat waitlist (issue 11): invitees waiting for a seat, first come first served by
-- `position` (insertion order), at most one entry per organization and address key. A
-- commit that moves an entry deletes it; one that finds it gone is refused, so an entry
-- moves once however many processes move the waitlist at once.
CREATE TABLE waitlist (
    position     bigint GENERATED ALWAYS AS IDENTITY,
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id),
    address_key  text NOT NULL,
    joined_at    timestamptz NOT NULL,
    request      jsonb NOT NULL,
    CONSTRAINT waitlist_one_per_address UNIQUE (org_id, address_key)
);
CREATE INDEX waitlist_in_order ON waitlist (org_id, position);
