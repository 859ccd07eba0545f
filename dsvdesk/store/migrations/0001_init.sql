-- 0001: users, station CA, settings, form definitions, records and their revisions, signed PDFs,
-- review comments, URN counters and the append-only audit log (DPA 2018 s.62).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL            -- JSON
) STRICT;

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    username         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name        TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'admin')),
    collar           TEXT NOT NULL DEFAULT '',
    station          TEXT NOT NULL,
    password_hash    TEXT NOT NULL,  -- scrypt$n$r$p$salt_hex$hash_hex
    failed_logins    INTEGER NOT NULL DEFAULT 0,
    locked_until     TEXT,
    created_at       TEXT NOT NULL,
    key_salt         BLOB NOT NULL,  -- salt of the scrypt key that encrypts private_key_pem
    private_key_pem  BLOB NOT NULL,  -- PKCS#8, encrypted
    certificate_pem  BLOB NOT NULL,
    chain_pem        BLOB NOT NULL DEFAULT X''  -- further certificates (imported PKCS#12), PEM
) STRICT;

CREATE TABLE station_ca (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    certificate_pem  BLOB NOT NULL,
    created_at       TEXT NOT NULL
) STRICT;

-- The CA key, once per admin, each copy encrypted under that admin's password.
CREATE TABLE ca_key_copies (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id),
    key_salt         BLOB NOT NULL,
    private_key_pem  BLOB NOT NULL
) STRICT;

-- A form definition is stored once per content hash, so an old record reopens with its own definition.
CREATE TABLE definitions (
    content_hash  TEXT PRIMARY KEY,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    source_name   TEXT NOT NULL,
    source_text   TEXT NOT NULL,
    stored_at     TEXT NOT NULL
) STRICT;

CREATE TABLE records (
    seq              INTEGER PRIMARY KEY,    -- rowid: joins the search index
    id               TEXT NOT NULL UNIQUE,   -- UUID
    form_id          TEXT NOT NULL,
    definition_hash  TEXT NOT NULL REFERENCES definitions (content_hash),
    owner_id         INTEGER NOT NULL REFERENCES users (id),  -- who created the record
    editor_id        INTEGER NOT NULL REFERENCES users (id),  -- who writes and submits this revision
    status           TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'approved')),
    revision         INTEGER NOT NULL DEFAULT 1,
    version          INTEGER NOT NULL DEFAULT 1,
    supersedes       INTEGER,
    amend_reason     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    submitted_at     TEXT,
    approved_at      TEXT,
    approved_by      INTEGER REFERENCES users (id),
    ever_submitted   INTEGER NOT NULL DEFAULT 0,
    return_rounds    INTEGER NOT NULL DEFAULT 0,
    urn              TEXT UNIQUE,
    completeness     INTEGER NOT NULL DEFAULT 0,
    victim_name      TEXT,
    suspect_name     TEXT,
    incident_date    TEXT,
    cad_ref          TEXT,
    cris_ref         TEXT,
    grade            TEXT,
    yes_count        INTEGER,
    flags            TEXT NOT NULL DEFAULT '',   -- space-separated flag names from the form's rules
    columns_json     TEXT NOT NULL DEFAULT '{}', -- every column of the form's `columns`
    answers_json     TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE INDEX records_updated ON records (updated_at, seq);
CREATE INDEX records_created ON records (created_at, seq);
CREATE INDEX records_owner_updated ON records (owner_id, updated_at, seq);
CREATE INDEX records_status_updated ON records (status, updated_at, seq);
CREATE INDEX records_status_submitted ON records (status, submitted_at, seq);
CREATE INDEX records_incident_date ON records (incident_date, seq);
CREATE INDEX records_victim ON records (victim_name COLLATE NOCASE, seq);

-- Earlier revisions, kept as they were when an amendment started a new one.
CREATE TABLE record_revisions (
    record_id        TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    revision         INTEGER NOT NULL,
    definition_hash  TEXT NOT NULL REFERENCES definitions (content_hash),
    status           TEXT NOT NULL,
    editor_id        INTEGER NOT NULL REFERENCES users (id),
    supersedes       INTEGER,
    amend_reason     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    submitted_at     TEXT,
    approved_at      TEXT,
    approved_by      INTEGER REFERENCES users (id),
    return_rounds    INTEGER NOT NULL,
    urn              TEXT,
    completeness     INTEGER NOT NULL,
    answers_json     TEXT NOT NULL,
    archived_at      TEXT NOT NULL,
    PRIMARY KEY (record_id, revision)
) STRICT;

CREATE TABLE signed_pdfs (
    id          INTEGER PRIMARY KEY,
    record_id   TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    revision    INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('submitted', 'approved')),
    pdf         BLOB NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users (id)
) STRICT;
CREATE INDEX signed_pdfs_record ON signed_pdfs (record_id, revision, id);

CREATE TABLE review_comments (
    id           INTEGER PRIMARY KEY,
    record_id    TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    revision     INTEGER NOT NULL,
    round        INTEGER NOT NULL,
    question_id  TEXT NOT NULL,
    comment      TEXT NOT NULL,
    author_id    INTEGER NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX review_comments_record ON review_comments (record_id, revision, round);

CREATE TABLE urn_counters (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL
) STRICT;

-- Append-only. Each event's hash covers its own canonical JSON and the previous event's hash.
CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    event          TEXT NOT NULL,
    user_id        INTEGER,
    username       TEXT,
    record_id      TEXT,
    revision       INTEGER,
    question_id    TEXT,
    value_sha256   TEXT,
    justification  TEXT,
    recipient      TEXT,
    detail         TEXT NOT NULL DEFAULT '{}',
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_record ON audit_events (record_id, id);
CREATE INDEX audit_events_at ON audit_events (at, id);

-- The chain's head, so that removing the newest events is also noticed.
CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_id    INTEGER NOT NULL,
    last_hash  TEXT NOT NULL,
    count      INTEGER NOT NULL
) STRICT;
INSERT INTO audit_head (id, last_id, last_hash, count) VALUES (1, 0, '', 0);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
