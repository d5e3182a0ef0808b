-- Outbox, second step (PostgreSQL). Keep in step with ../sqlite/0002_outbox.sql, which says
-- what each column is for.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN given_up_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN resent_from BIGINT REFERENCES outbox(id);
CREATE UNIQUE INDEX outbox_dedupe ON outbox(dedupe_key);
CREATE INDEX outbox_recipient ON outbox(recipient);
