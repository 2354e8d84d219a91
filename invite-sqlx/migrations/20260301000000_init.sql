-- The invite schema. Every rule the database can hold by itself is stated here, so that no
-- writer, however concurrent or buggy, can break it:
--   * foreign keys between organizations, invitations, members, links, outbox and audit;
--   * one OPEN invitation per organization and address key (R2.7), a partial unique index;
--   * one active member per organization and contact key;
--   * one reminder mark per invitation and organization-local day (R8.2);
--   * link token hashes unique, 32 bytes (R6.1).
--
-- Columns hold everything a query filters, sorts or counts by; values only ever read whole
-- (contact, access, sender, reasons, settings, actor, audit action) are JSONB in the serde
-- form of invite-core's types.
--
-- Status (R4) is never stored: `invitation_status` computes it from the record and an
-- instant, with exactly the rules of `Invitation::status_at`.

CREATE TABLE organizations (
    id                uuid PRIMARY KEY,
    name              text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('standalone', 'msp', 'client')),
    -- R1.1: a client belongs to exactly one MSP.
    msp_id            uuid REFERENCES organizations (id),
    -- Copied out of `settings` for seat counting and the reminder sweep.
    seat_limit        bigint NOT NULL CHECK (seat_limit BETWEEN 0 AND 4294967295),
    seat_policy       text NOT NULL CHECK (seat_policy IN ('claim_on_signup', 'reserve_on_invite')),
    reminders_enabled boolean NOT NULL,
    -- The whole `OrgSettings`, as invite-core serializes it.
    settings          jsonb NOT NULL,
    version           bigint NOT NULL CHECK (version >= 0),
    CONSTRAINT organizations_client_has_msp CHECK ((kind = 'client') = (msp_id IS NOT NULL))
);

-- The reminder sweep walks organizations with the switch on, in id order.
CREATE INDEX organizations_with_reminders ON organizations (id) WHERE reminders_enabled;

CREATE TABLE invitations (
    id                uuid PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES organizations (id),
    channel           text NOT NULL CHECK (channel IN ('email', 'sms')),
    -- The key of the channel's address: lower-cased e-mail or E.164 phone (R2.2, R2.7).
    address_key       text NOT NULL,
    -- Every comparison key of the contact, for search (R9.2).
    email_key         text,
    phone             text,
    contact           jsonb NOT NULL,
    access            jsonb NOT NULL,
    user_ref          text,
    sender            jsonb NOT NULL,
    created_at        timestamptz NOT NULL,
    last_invited_at   timestamptz NOT NULL,
    send_count        bigint NOT NULL CHECK (send_count >= 0),
    last_sent_at      timestamptz,
    expires_at        timestamptz,
    awaiting_delivery boolean NOT NULL,
    link_generation   bigint NOT NULL CHECK (link_generation >= 0),
    failure           jsonb,
    failed            boolean NOT NULL GENERATED ALWAYS AS (failure IS NOT NULL) STORED,
    signed_up_at      timestamptz,
    -- Set in the same commit that inserts the member: checked at commit time.
    member_id         uuid,
    first_login_at    timestamptz,
    completed_at      timestamptz,
    completed_by      text CHECK (completed_by IN ('first_login', 'admin')),
    last_follow_up_at timestamptz,
    closed_at         timestamptz,
    close_reason      jsonb,
    version           bigint NOT NULL CHECK (version >= 0),
    CONSTRAINT invitations_address_key_of_channel CHECK (
        address_key = CASE channel WHEN 'email' THEN email_key ELSE phone END),
    CONSTRAINT invitations_completed_pair CHECK ((completed_at IS NULL) = (completed_by IS NULL)),
    CONSTRAINT invitations_closed_pair CHECK ((closed_at IS NULL) = (close_reason IS NULL))
);

-- R2.7: at most one open (neither closed nor signed up) invitation per organization and
-- address. Live vs expired is decided by the core at the time of the decision; this index
-- makes two concurrent invites of one address impossible. The INCLUDE columns let the
-- ReserveOnInvite seat count run as an index-only scan.
CREATE UNIQUE INDEX invitations_one_open_per_address
    ON invitations (org_id, address_key)
    INCLUDE (failed, awaiting_delivery, expires_at)
    WHERE closed_at IS NULL AND signed_up_at IS NULL;

-- Dashboard counts (R9.1): everything the status needs, for an index-only scan of one
-- organization's listed (not cancelled) invitations.
CREATE INDEX invitations_dashboard
    ON invitations (org_id)
    INCLUDE (signed_up_at, completed_at, failed, awaiting_delivery, expires_at, channel)
    WHERE closed_at IS NULL;

-- List pages (R9.2), keyset by (sort value, id), both directions. A missing signup date
-- sorts before every date (None < Some), which '-infinity' reproduces.
CREATE INDEX invitations_list_by_last_invited
    ON invitations (org_id, last_invited_at, id)
    WHERE closed_at IS NULL;
CREATE INDEX invitations_list_by_signed_up
    ON invitations (org_id, (COALESCE(signed_up_at, '-infinity'::timestamptz)), id)
    WHERE closed_at IS NULL;

-- Reminder sweeps (R8.1) walk an organization's not closed, not completed invitations in id
-- order.
CREATE INDEX invitations_reminder_candidates
    ON invitations (org_id, id)
    WHERE closed_at IS NULL AND completed_at IS NULL;

-- Status of application users (R2.11).
CREATE INDEX invitations_by_user_ref ON invitations (org_id, user_ref) WHERE user_ref IS NOT NULL;

CREATE TABLE members (
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organizations (id),
    email_key     text,
    phone         text,
    contact       jsonb NOT NULL,
    user_ref      text,
    access        jsonb NOT NULL,
    invitation_id uuid REFERENCES invitations (id) DEFERRABLE INITIALLY DEFERRED,
    joined_at     timestamptz NOT NULL,
    removed_at    timestamptz,
    version       bigint NOT NULL CHECK (version >= 0),
    CONSTRAINT members_have_a_contact CHECK (email_key IS NOT NULL OR phone IS NOT NULL)
);

ALTER TABLE invitations
    ADD CONSTRAINT invitations_member_fk FOREIGN KEY (member_id) REFERENCES members (id)
    DEFERRABLE INITIALLY DEFERRED;

-- One active member per organization and contact key.
CREATE UNIQUE INDEX members_one_active_per_email
    ON members (org_id, email_key) WHERE removed_at IS NULL AND email_key IS NOT NULL;
CREATE UNIQUE INDEX members_one_active_per_phone
    ON members (org_id, phone) WHERE removed_at IS NULL AND phone IS NOT NULL;
-- Seats used (R3.1): active members of an organization, counted from the index.
CREATE INDEX members_active ON members (org_id) WHERE removed_at IS NULL;

CREATE TABLE links (
    hash          bytea PRIMARY KEY CHECK (octet_length(hash) = 32),
    invitation_id uuid NOT NULL REFERENCES invitations (id),
    generation    bigint NOT NULL CHECK (generation >= 0),
    issued_at     timestamptz NOT NULL
);
CREATE INDEX links_by_invitation ON links (invitation_id);

CREATE TABLE outbox (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organizations (id),
    invitation_id   uuid NOT NULL REFERENCES invitations (id),
    kind            text NOT NULL CHECK (kind IN ('invitation', 'resend', 'reminder', 'follow_up')),
    link_generation bigint NOT NULL CHECK (link_generation >= 0),
    reminder_day    date,
    created_at      timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    attempts        bigint NOT NULL CHECK (attempts >= 0),
    last_error      text,
    state           text NOT NULL CHECK (state IN ('pending', 'sent', 'dead', 'dropped')),
    sent_at         timestamptz,
    state_reason    text,
    lease_token     uuid,
    lease_until     timestamptz,
    CONSTRAINT outbox_sent_at CHECK ((state = 'sent') = (sent_at IS NOT NULL)),
    CONSTRAINT outbox_state_reason CHECK ((state IN ('dead', 'dropped')) = (state_reason IS NOT NULL)),
    CONSTRAINT outbox_lease_pair CHECK ((lease_token IS NULL) = (lease_until IS NULL))
);
-- Claims (R7.3): pending messages by due time.
CREATE INDEX outbox_due ON outbox (due_at, id) WHERE state = 'pending';
CREATE INDEX outbox_by_invitation ON outbox (invitation_id);

-- R8.2: one reminder per invitation per organization-local day, however many sweeps run.
CREATE TABLE reminder_marks (
    invitation_id uuid NOT NULL REFERENCES invitations (id),
    day           date NOT NULL,
    CONSTRAINT reminder_marks_one_per_day PRIMARY KEY (invitation_id, day)
);

CREATE TABLE audit_events (
    -- Insertion order: the audit trail is read oldest first.
    seq           bigint GENERATED ALWAYS AS IDENTITY,
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organizations (id),
    invitation_id uuid REFERENCES invitations (id),
    at            timestamptz NOT NULL,
    -- The action's variant name ('Delivered', 'SignedUp', ...), for the daily series (R9.3).
    kind          text NOT NULL,
    action        jsonb NOT NULL,
    actor         jsonb NOT NULL,
    before_status text,
    after_status  text
);
CREATE INDEX audit_events_by_org ON audit_events (org_id, seq);
CREATE INDEX audit_events_by_invitation ON audit_events (invitation_id, seq)
    WHERE invitation_id IS NOT NULL;
CREATE INDEX audit_events_by_day ON audit_events (org_id, at) INCLUDE (kind);

-- The status of an invitation at an instant (R4), the rules of `Invitation::status_at`:
-- closed -> cancelled; signed up -> completed or never_used; failed; awaiting delivery ->
-- queued; expired when `at` reached the expiry; pending otherwise. A plain SQL function, so
-- the planner inlines it.
CREATE FUNCTION invitation_status(
    closed_at timestamptz,
    signed_up_at timestamptz,
    completed_at timestamptz,
    failed boolean,
    awaiting_delivery boolean,
    expires_at timestamptz,
    at timestamptz
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN closed_at IS NOT NULL THEN 'cancelled'
        WHEN signed_up_at IS NOT NULL THEN
            CASE WHEN completed_at IS NOT NULL THEN 'completed' ELSE 'never_used' END
        WHEN failed THEN 'failed'
        WHEN awaiting_delivery THEN 'queued'
        WHEN expires_at IS NOT NULL AND at >= expires_at THEN 'expired'
        ELSE 'pending'
    END
$$;

-- Whether a status is listed under a tab (R4.8).
CREATE FUNCTION invitation_in_tab(tab text, status text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE tab
        WHEN 'all' THEN status <> 'cancelled'
        WHEN 'pending' THEN status IN ('queued', 'pending')
        WHEN 'never_used' THEN status = 'never_used'
        WHEN 'expired_or_failed' THEN status IN ('expired', 'failed')
        WHEN 'completed' THEN status = 'completed'
        ELSE false
    END
$$;
