-- 0018: the audit events of the units whose bundles this PC imports (issue 17).
--
-- A bundle carries its sender's audit events since the last bundle this PC acknowledged. They are kept
-- here, apart from this PC's own chain (audit_events), exactly as the sender hashed them, so
-- `audit verify --station CODE` re-checks the sender's chain, its signed checkpoints and the heads its
-- bundles carried. Append-only, like the local chain.
CREATE TABLE station_audit_events (
    station_id     INTEGER NOT NULL REFERENCES stations (id),
    id             INTEGER NOT NULL,       -- the event's id in the sender's chain
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
    hash           TEXT NOT NULL,
    PRIMARY KEY (station_id, id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER station_audit_events_no_update BEFORE UPDATE ON station_audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER station_audit_events_no_delete BEFORE DELETE ON station_audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- Our own audit event id up to which the peer holds our events (it said so in a bundle back; a bundle
-- made for HQ counts as acknowledged at once): the next bundle carries the events after it.
ALTER TABLE stations ADD COLUMN acked_audit INTEGER NOT NULL DEFAULT 0;
