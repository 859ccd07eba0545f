-- 0011: the case after submission, as the Community Safety Unit works it (store/casework.py).
--
-- One `cases` row per record ever submitted (opened at its first submission): who investigates it, its
-- current grade after re-assessment, the next risk review and the MoPI review date. The due times are
-- worked out from the casework form's schedule (engine/casework.py) and kept here, indexed, so the
-- review-due and retention lists read a range of an index; `schedule_key` says which schedule they were
-- worked out under (NULL: to be worked out again, e.g. after an approval changed the grade).
--
-- Personal free text lives only in these store-owned columns: case_assessments.answers_json,
-- case_reviews.next_action, case_contacts.note, case_referrals.note, retention_reviews.reason.
-- Disposal (MoPI) deletes the record and every row here; a `tombstones` row (ids, dates, who, why, the
-- erasure event's id and hash) is all that remains.

CREATE TABLE cases (
    record_id        TEXT PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
    opened_at        TEXT NOT NULL,             -- first submission
    io_id            INTEGER REFERENCES users (id),
    allocated_by     INTEGER REFERENCES users (id),
    allocated_at     TEXT,
    grade            TEXT,                      -- latest re-assessment's grade; NULL: the record's grade
    risk_revision    INTEGER NOT NULL DEFAULT 0,
    reviews_done     INTEGER NOT NULL DEFAULT 0,
    next_review_due  TEXT,                      -- NULL: no review due (case closed) or not worked out
    next_review_by   TEXT,
    outcome          TEXT,
    outcome_at       TEXT,
    retain_until     TEXT,                      -- next MoPI review set by a decision to retain
    retention_due    TEXT,
    schedule_key     TEXT,
    version          INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX cases_review_due ON cases (next_review_due, record_id) WHERE next_review_due IS NOT NULL;
CREATE INDEX cases_retention_due ON cases (retention_due, record_id) WHERE retention_due IS NOT NULL;
CREATE INDEX cases_unscheduled ON cases (record_id) WHERE schedule_key IS NULL;
CREATE INDEX cases_io ON cases (io_id, next_review_due);

-- Signed entries: the IO's re-assessment (part 2) and the bail risk re-assessment. Never edited.
CREATE TABLE case_assessments (
    id               INTEGER PRIMARY KEY,
    record_id        TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('part2', 'bail')),
    risk_revision    INTEGER NOT NULL,
    previous_grade   TEXT,
    grade            TEXT NOT NULL,
    decision_at      TEXT,                      -- bail: when the custody officer decides
    definition_hash  TEXT NOT NULL REFERENCES definitions (content_hash),
    answers_json     TEXT NOT NULL,             -- personal
    pdf              BLOB NOT NULL,
    sha256           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    created_by       INTEGER NOT NULL REFERENCES users (id),
    UNIQUE (record_id, risk_revision)
) STRICT;

CREATE TABLE case_reviews (
    id           INTEGER PRIMARY KEY,
    record_id    TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    due_at       TEXT NOT NULL,
    due_by       TEXT NOT NULL,
    reviewed_at  TEXT NOT NULL,
    reviewer_id  INTEGER NOT NULL REFERENCES users (id),
    outcome      TEXT NOT NULL,
    next_action  TEXT NOT NULL                  -- personal
) STRICT;
CREATE INDEX case_reviews_record ON case_reviews (record_id, step);

CREATE TABLE case_events (
    id           INTEGER PRIMARY KEY,
    record_id    TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,                 -- arrest | charge | bail ... (the form's events)
    at           TEXT NOT NULL,
    recorded_by  INTEGER NOT NULL REFERENCES users (id),
    recorded_at  TEXT NOT NULL
) STRICT;
CREATE INDEX case_events_record ON case_events (record_id, at);

CREATE TABLE case_contacts (
    id            INTEGER PRIMARY KEY,
    record_id     TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    contacted_at  TEXT NOT NULL,
    method        TEXT NOT NULL,
    made          INTEGER NOT NULL CHECK (made IN (0, 1)),  -- 0: attempted
    regarding     TEXT NOT NULL,                -- first | update | an event kind
    note          TEXT NOT NULL,                -- personal: what was said
    by_id         INTEGER NOT NULL REFERENCES users (id),
    recorded_at   TEXT NOT NULL
) STRICT;
CREATE INDEX case_contacts_record ON case_contacts (record_id, contacted_at);

CREATE TABLE case_referrals (
    id           INTEGER PRIMARY KEY,
    record_id    TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    agency       TEXT NOT NULL,
    referred_on  TEXT NOT NULL,                 -- YYYY-MM-DD
    outcome      TEXT NOT NULL,
    outcome_on   TEXT,
    note         TEXT NOT NULL DEFAULT '',      -- personal
    by_id        INTEGER NOT NULL REFERENCES users (id),
    recorded_at  TEXT NOT NULL
) STRICT;
CREATE INDEX case_referrals_record ON case_referrals (record_id, agency);

CREATE TABLE retention_reviews (
    id           INTEGER PRIMARY KEY,
    record_id    TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    reviewed_at  TEXT NOT NULL,
    reviewer_id  INTEGER NOT NULL REFERENCES users (id),
    decision     TEXT NOT NULL CHECK (decision IN ('retain')),
    reason       TEXT NOT NULL,                 -- personal
    next_review  TEXT NOT NULL
) STRICT;
CREATE INDEX retention_reviews_record ON retention_reviews (record_id, id);

-- What remains of a disposed record: no content, only ids, dates, who and why, and the erasure event.
CREATE TABLE tombstones (
    record_id        TEXT PRIMARY KEY,
    form_id          TEXT NOT NULL,
    urn              TEXT,
    created_at       TEXT NOT NULL,
    opened_at        TEXT,
    disposed_at      TEXT NOT NULL,
    disposed_by      INTEGER NOT NULL REFERENCES users (id),
    reason           TEXT NOT NULL,             -- a dispose reason of the casework form (a code)
    audit_event_id   INTEGER NOT NULL,
    audit_hash       TEXT NOT NULL
) STRICT;

-- Every record submitted before this version opens its case at its first submission.
INSERT INTO cases (record_id, opened_at)
SELECT r.id,
       COALESCE(
           (SELECT MIN(a.at) FROM audit_events a WHERE a.record_id = r.id AND a.event = 'submitted'),
           r.submitted_at,
           r.created_at)
FROM records r
WHERE r.ever_submitted = 1;
