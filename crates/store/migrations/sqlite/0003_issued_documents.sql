-- Documents the service issues (SQLite). Keep in step with ../postgres/0003_issued_documents.sql.
-- A receipt (қолхат), refusal or order, once signed, never changes: a correction is a new row
-- that names the one it replaces. `verify_code` is what the QR code carries to the public
-- verification page; `pdf_sha256` lets anyone check that a printed copy is the one issued.
CREATE TABLE issued_documents (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'refusal', 'order')),
    number TEXT NOT NULL UNIQUE,
    application_id INTEGER REFERENCES applications(id),
    school_id INTEGER NOT NULL REFERENCES schools(id),
    verify_code TEXT NOT NULL UNIQUE,
    issued_at TEXT NOT NULL,
    issued_by INTEGER NOT NULL REFERENCES people(id),
    signed_document TEXT NOT NULL,
    signature_cms TEXT NOT NULL,
    pdf_key TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    replaces INTEGER REFERENCES issued_documents(id)
);
CREATE INDEX issued_documents_application ON issued_documents(application_id);
