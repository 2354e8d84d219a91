-- The server's own floor for "create + deliver 2,000" (issue 8.7) on the library's schema:
-- every row the library writes for 2,000 invitations delivered once (the invitation, its
-- message, its "invited" audit event; the claim; the link hash; the delivered invitation,
-- the sent message, the "delivered" audit event), each table's rows in ONE set-based
-- statement, in four transactions (invite, claim, links, outcomes), from one session, with
-- no decisions and no client work. Nothing the library does can write these rows faster
-- from one session; it runs two batches at once, so the floor for both cores is about half.
--
-- Run it against a migrated database it may write to (it adds an organization and its 2,000
-- invitations), for instance the e2e bench's, which every e2e run creates afresh:
--
--   psql -h 127.0.0.1 -U postgres -d invite_bench_e2e -f benches/ceiling/create_deliver_2000.sql
--
-- The figures are each statement's time (\timing) and the clock between 'start' and 'end'.
\set ON_ERROR_STOP 1
\timing on
CREATE TEMP TABLE org AS SELECT gen_random_uuid() AS id;
INSERT INTO invite.organizations (id, name, kind, msp_id, seat_limit, seat_policy,
    reminders_enabled, settings, version)
  SELECT org.id, 'ceiling', 'standalone', NULL, 100000, 'claim_on_signup', true, '{}', 0
  FROM org;
CREATE TEMP TABLE p AS
  SELECT gen_random_uuid() AS id, gen_random_uuid() AS msg,
    'c' || g || '-' || md5(random()::text) || '@example.com' AS addr,
    sha256(gen_random_uuid()::text::bytea) AS hash
  FROM generate_series(1, 2000) g;
SELECT 'start' AS mark, clock_timestamp();
BEGIN; -- the invites: invitations, their messages, their audit events
INSERT INTO invite.invitations (id, org_id, channel, address_key, email_key, phone, contact,
    access, user_ref, sender, created_at, last_invited_at, send_count, awaiting_delivery,
    link_generation, version)
  SELECT p.id, org.id, 'email', p.addr, p.addr, NULL,
    jsonb_build_object('email', jsonb_build_object('key', p.addr, 'display', p.addr),
      'phone', NULL),
    '{"scope": {"Role": "ReadOnly"}, "invitation_type": "User"}', NULL,
    '{"name": "Bench Admin", "user": "bench"}', now(), now(), 0, true, 0, 0
  FROM p, org;
INSERT INTO invite.outbox (id, org_id, invitation_id, kind, link_generation, created_at,
    due_at, attempts, state)
  SELECT p.msg, org.id, p.id, 'invitation', 1, now(), now(), 0, 'pending' FROM p, org;
INSERT INTO invite.audit_events (id, org_id, invitation_id, at, kind, action, actor,
    after_status)
  SELECT gen_random_uuid(), org.id, p.id, now(), 'Invited', '"Invited"',
    '{"OrgUser": {"name": "Bench Admin", "role": "Admin", "user": "bench"}}', 'queued'
  FROM p, org;
COMMIT;
BEGIN; -- the claim
UPDATE invite.outbox o SET lease_token = gen_random_uuid(),
    lease_until = now() + interval '5 minutes', attempts = attempts + 1
  WHERE o.id IN (SELECT id FROM invite.outbox WHERE state = 'pending'
    AND org_id = (SELECT id FROM org) ORDER BY due_at, id FOR UPDATE SKIP LOCKED);
COMMIT;
BEGIN; -- the links
INSERT INTO invite.links (hash, invitation_id, generation, issued_at)
  SELECT p.hash, p.id, 1, now() FROM p;
COMMIT;
BEGIN; -- the outcomes: invitations delivered, messages sent, audit events
UPDATE invite.invitations i SET send_count = 1, last_sent_at = now(),
    expires_at = now() + interval '7 days', awaiting_delivery = false, link_generation = 1,
    version = version + 1
  FROM p WHERE i.id = p.id;
UPDATE invite.outbox o SET state = 'sent', sent_at = now(), lease_token = NULL,
    lease_until = NULL
  FROM p WHERE o.id = p.msg;
INSERT INTO invite.audit_events (id, org_id, invitation_id, at, kind, action, actor,
    before_status, after_status)
  SELECT gen_random_uuid(), org.id, p.id, now(), 'Delivered', '"Delivered"', '"System"',
    'queued', 'pending'
  FROM p, org;
COMMIT;
SELECT 'end' AS mark, clock_timestamp();
