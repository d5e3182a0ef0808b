-- Mektep schema v1 (SQLite). Keep in step with ../postgres/0001_initial.sql:
-- the same SQL text runs on both, so column names and meanings must match.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE schools (
    id INTEGER PRIMARY KEY,
    bin TEXT NOT NULL UNIQUE,
    name_kk TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    design_capacity INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- First-grade places per language of instruction (оқыту тілі).
CREATE TABLE school_places (
    school_id INTEGER NOT NULL REFERENCES schools(id),
    language TEXT NOT NULL,
    places INTEGER NOT NULL CHECK (places >= 0),
    PRIMARY KEY (school_id, language)
);

CREATE TABLE streets (
    id INTEGER PRIMARY KEY,
    name_kk TEXT NOT NULL,
    name_ru TEXT NOT NULL
);

-- Service territory (қызмет көрсету аумағы / микроучасток): house ranges of a street.
CREATE TABLE territory_ranges (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    street_id INTEGER NOT NULL REFERENCES streets(id),
    house_from INTEGER NOT NULL,
    house_to INTEGER NOT NULL,
    CHECK (house_from <= house_to)
);
CREATE INDEX territory_ranges_street ON territory_ranges(street_id);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    academic_year TEXT NOT NULL UNIQUE,
    rules TEXT NOT NULL,            -- domain::Campaign as JSON
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Decree changes and lunar holidays of the working calendar, per date.
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('day_off', 'working_day', 'kurban_ait')),
    note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    iin TEXT NOT NULL UNIQUE,
    surname TEXT NOT NULL,
    given_name TEXT NOT NULL,
    patronymic TEXT,
    email TEXT,
    email_confirmed_at TEXT,
    phone TEXT,
    phone_confirmed_at TEXT,
    language TEXT NOT NULL DEFAULT 'kk',
    created_at TEXT NOT NULL,
    last_login_at TEXT
);

-- Staff access is granted to an IIN, never derived from a certificate alone.
CREATE TABLE staff_roles (
    id INTEGER PRIMARY KEY,
    iin TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('clerk', 'director', 'admin')),
    school_id INTEGER REFERENCES schools(id),
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX staff_roles_iin ON staff_roles(iin);

-- Pending confirmations of an e-mail (link) or phone (SMS code); only hashes are kept.
CREATE TABLE contact_confirmations (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'phone')),
    address TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    confirmed_at TEXT
);
CREATE INDEX contact_confirmations_person ON contact_confirmations(person_id, channel);

-- Single-use sign-in and signing challenges; in the database so that any instance can check them.
CREATE TABLE challenges (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    csrf_secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    number TEXT UNIQUE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    parent_id INTEGER NOT NULL REFERENCES people(id),
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    child_iin TEXT NOT NULL,
    child_surname TEXT NOT NULL,
    child_given_name TEXT NOT NULL,
    child_patronymic TEXT,
    child_birth_date TEXT NOT NULL,
    citizenship TEXT NOT NULL,
    relation TEXT NOT NULL,
    born_abroad BOOLEAN NOT NULL DEFAULT FALSE,
    special_needs BOOLEAN NOT NULL DEFAULT FALSE,
    street_id INTEGER REFERENCES streets(id),
    house INTEGER,
    flat TEXT NOT NULL DEFAULT '',
    school_id INTEGER REFERENCES schools(id),
    in_territory BOOLEAN NOT NULL DEFAULT FALSE,
    language TEXT,
    grade INTEGER NOT NULL DEFAULT 1,
    study_form TEXT NOT NULL DEFAULT 'full_time',
    age_confirmed BOOLEAN NOT NULL DEFAULT FALSE,
    consent_at TEXT,
    submitted_at TEXT,
    received_on TEXT,
    deadline TEXT,
    decided_at TEXT,
    staff_comment TEXT,
    refusal_ground TEXT,
    signed_document TEXT,
    signature_cms TEXT,
    submit_key TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- One application per child in the whole system, except ones that ended without admission.
CREATE UNIQUE INDEX applications_one_per_child ON applications(campaign_id, child_iin)
    WHERE status NOT IN ('withdrawn', 'refused');
CREATE INDEX applications_parent ON applications(parent_id);
CREATE INDEX applications_school_status ON applications(school_id, status);

CREATE TABLE application_events (
    id INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications(id),
    status TEXT NOT NULL,
    actor_id INTEGER REFERENCES people(id),
    comment TEXT,
    at TEXT NOT NULL
);
CREATE INDEX application_events_app ON application_events(application_id);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications(id),
    kind TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX documents_app ON documents(application_id);

-- Append-only audit log; each record carries the hash of the one before it.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    details TEXT NOT NULL,
    source TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, '');

-- Notifications written in the same transaction as their cause, delivered by a worker.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attachment_name TEXT,
    attachment_key TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
