-- The walk-in queue of a school's office (SQLite). Keep in step with ../postgres/0004_walkin_queue.sql.
-- The standard limits waiting to hand in documents to 15 minutes and the service to 15 minutes:
-- called_at - issued_at is the wait, served_at - called_at the service.
CREATE TABLE walkin_tickets (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    day TEXT NOT NULL,
    number INTEGER NOT NULL,
    issued_at TEXT NOT NULL,
    called_at TEXT,
    called_by INTEGER REFERENCES people(id),
    served_at TEXT,
    UNIQUE (school_id, day, number)
);
CREATE INDEX walkin_tickets_waiting ON walkin_tickets(school_id, day, called_at);
