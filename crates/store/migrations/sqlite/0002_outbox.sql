-- Outbox, second step (SQLite). Keep in step with ../postgres/0002_outbox.sql.
--
-- kind/language: which template in which language produced the message (the delivery log
--   filters by them; a resend keeps them).
-- dedupe_key: an enqueue that may run twice (a reminder job on two instances, a retried
--   request) names its message; the second insert finds the first instead of adding a copy.
-- lease_owner: which worker holds the lease, for the delivery log.
-- given_up_at: when the worker stopped trying (last_error says why).
-- resent_from: an administrator's resend is a new row pointing at the original, so the log
--   keeps what happened to both.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN given_up_at TEXT;
ALTER TABLE outbox ADD COLUMN resent_from INTEGER REFERENCES outbox(id);
CREATE UNIQUE INDEX outbox_dedupe ON outbox(dedupe_key);
CREATE INDEX outbox_recipient ON outbox(recipient);
