-- What the transport reported of a delivered message (its own id for it, billable parts):
-- late delivery reports are matched by the id (R4.4, R7.2).
ALTER TABLE outbox ADD COLUMN provider_id text;
ALTER TABLE outbox ADD COLUMN parts bigint CHECK (parts >= 0);
CREATE INDEX outbox_by_provider_id ON outbox (provider_id) WHERE provider_id IS NOT NULL;

-- The event feed (R10.2): every audit event is at the position (txid, seq), txid being the
-- id of the transaction that wrote it. A reader only takes events of transactions older
-- than every transaction still running (pg_snapshot_xmin), so no event can ever appear
-- before a position a reader has passed: no gaps, however many writers commit at once, and
-- no writer is serialized behind another. Rows written before this migration share the
-- oldest position, ordered by seq.
ALTER TABLE audit_events ADD COLUMN txid xid8 NOT NULL DEFAULT '1';
ALTER TABLE audit_events ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
CREATE INDEX audit_events_feed ON audit_events (txid, seq);
CREATE INDEX audit_events_feed_by_org ON audit_events (org_id, txid, seq);
