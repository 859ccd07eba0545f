-- 0024: the dashboard's returns and submission-to-approval times kept as they happen (issue 22).
--
-- The dashboard looked up, for each of a year's ~63,000 approvals at 100,000 records, the first
-- submission of the approved revision in the event log, and kept only the events of records started
-- in the period by checking each against a list of the period's ~70,000 record ids: ~0.7 s of its
-- 1.4 s. Now every return and approval has a row here with what the dashboard asks of it: its record's
-- form and start (records.form_id and created_at, which never change once written) and, for an
-- approval, the first submission of the same record and revision. A period's rows are one range of
-- dashboard_events_cohort, which holds the hours too.
--
-- The rows are a function of audit_events and records, kept so by the triggers below on every write
-- to either (the store's, a bulk load's that writes the events before their records, a restore's):
--   * an approval or return gets its row when both it and its record exist;
--   * a submission moves the first-submission time of its revision's approvals if it is earlier;
--   * a record's deletion takes its rows with it; a changed id, form or start moves them;
--   * an event removed (audit events are append-only; only a test's dropped trigger allows it) takes
--     its row, or gives its revision's approvals their first submission again.
-- The hours are the store's own stamps subtracted exactly (UTC, microseconds); any other text leaves
-- them NULL for the dashboard to read both times in Python, as before.
CREATE TABLE dashboard_events (
    event_id      INTEGER PRIMARY KEY,  -- audit_events.id of the approval or return
    event         TEXT NOT NULL,        -- 'approved' or 'returned'
    record_id     TEXT NOT NULL,
    revision      INTEGER,              -- as the event names it (NULL matches NULL)
    form_id       TEXT NOT NULL,        -- the record's form and start, copied: the cohort is a range
    started_at    TEXT NOT NULL,
    at            TEXT NOT NULL,        -- the event's time
    submitted_at  TEXT                  -- approvals: the first submission of this record and revision
) STRICT;
-- The dashboard's read: a period's returns and approvals with their hours, from the index alone (the
-- hours expression is reporting/dashboard.py's HOURS, character for character).
CREATE INDEX dashboard_events_cohort ON dashboard_events (
    form_id, started_at, event, record_id,
    CASE WHEN submitted_at <= at AND submitted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00' AND at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00' THEN ((unixepoch(at) - unixepoch(submitted_at)) * 1000000 + CAST(substr(at, 21, 6) AS INTEGER) - CAST(substr(submitted_at, 21, 6) AS INTEGER)) / 1000000.0 / 3600 END
);
-- The triggers' look-ups by record and revision.
CREATE INDEX dashboard_events_record ON dashboard_events (record_id, revision);

-- Existing events and records.
INSERT INTO dashboard_events (event_id, event, record_id, revision, form_id, started_at, at, submitted_at)
SELECT e.id, e.event, e.record_id, e.revision, r.form_id, r.created_at, e.at,
    CASE WHEN e.event = 'approved' THEN (
        SELECT min(s.at) FROM audit_events AS s WHERE s.event IN ('submitted', 'returned', 'approved')
        AND s.event = 'submitted' AND s.record_id = e.record_id AND s.revision IS e.revision
    ) END
FROM audit_events AS e JOIN records AS r ON r.id = e.record_id
WHERE e.event IN ('submitted', 'returned', 'approved') AND e.event IN ('returned', 'approved');

CREATE TRIGGER dashboard_events_on_event AFTER INSERT ON audit_events
WHEN NEW.event IN ('returned', 'approved')
BEGIN
    INSERT OR REPLACE INTO dashboard_events (event_id, event, record_id, revision, form_id, started_at, at, submitted_at)
    SELECT NEW.id, NEW.event, r.id, NEW.revision, r.form_id, r.created_at, NEW.at,
        CASE WHEN NEW.event = 'approved' THEN (
            SELECT min(s.at) FROM audit_events AS s WHERE s.event IN ('submitted', 'returned', 'approved')
            AND s.event = 'submitted' AND s.record_id = NEW.record_id AND s.revision IS NEW.revision
        ) END
    FROM records AS r WHERE r.id = NEW.record_id;
END;

CREATE TRIGGER dashboard_events_on_submission AFTER INSERT ON audit_events
WHEN NEW.event = 'submitted'
BEGIN
    UPDATE dashboard_events SET submitted_at = NEW.at
    WHERE record_id = NEW.record_id AND revision IS NEW.revision AND event = 'approved'
        AND (submitted_at IS NULL OR NEW.at < submitted_at);
END;

CREATE TRIGGER dashboard_events_on_event_removed AFTER DELETE ON audit_events
WHEN OLD.event IN ('submitted', 'returned', 'approved')
BEGIN
    DELETE FROM dashboard_events WHERE event_id = OLD.id;
    UPDATE dashboard_events SET submitted_at = (
        SELECT min(s.at) FROM audit_events AS s WHERE s.event IN ('submitted', 'returned', 'approved')
        AND s.event = 'submitted' AND s.record_id = OLD.record_id AND s.revision IS OLD.revision
    )
    WHERE OLD.event = 'submitted' AND record_id = OLD.record_id AND revision IS OLD.revision
        AND event = 'approved';
END;

CREATE TRIGGER dashboard_events_on_record AFTER INSERT ON records
BEGIN
    INSERT OR IGNORE INTO dashboard_events (event_id, event, record_id, revision, form_id, started_at, at, submitted_at)
    SELECT e.id, e.event, NEW.id, e.revision, NEW.form_id, NEW.created_at, e.at,
        CASE WHEN e.event = 'approved' THEN (
            SELECT min(s.at) FROM audit_events AS s WHERE s.event IN ('submitted', 'returned', 'approved')
            AND s.event = 'submitted' AND s.record_id = NEW.id AND s.revision IS e.revision
        ) END
    FROM audit_events AS e
    WHERE e.event IN ('submitted', 'returned', 'approved') AND e.event IN ('returned', 'approved')
        AND e.record_id = NEW.id;
END;

CREATE TRIGGER dashboard_events_on_record_moved AFTER UPDATE OF id, form_id, created_at ON records
BEGIN
    DELETE FROM dashboard_events WHERE record_id = OLD.id AND OLD.id IS NOT NEW.id;
    UPDATE dashboard_events SET form_id = NEW.form_id, started_at = NEW.created_at
    WHERE record_id = NEW.id AND (form_id IS NOT NEW.form_id OR started_at IS NOT NEW.created_at);
    INSERT OR IGNORE INTO dashboard_events (event_id, event, record_id, revision, form_id, started_at, at, submitted_at)
    SELECT e.id, e.event, NEW.id, e.revision, NEW.form_id, NEW.created_at, e.at,
        CASE WHEN e.event = 'approved' THEN (
            SELECT min(s.at) FROM audit_events AS s WHERE s.event IN ('submitted', 'returned', 'approved')
            AND s.event = 'submitted' AND s.record_id = NEW.id AND s.revision IS e.revision
        ) END
    FROM audit_events AS e
    WHERE OLD.id IS NOT NEW.id AND e.event IN ('submitted', 'returned', 'approved')
        AND e.event IN ('returned', 'approved') AND e.record_id = NEW.id;
END;

CREATE TRIGGER dashboard_events_on_record_removed AFTER DELETE ON records
BEGIN
    DELETE FROM dashboard_events WHERE record_id = OLD.id;
END;

-- The period's records grouped by what the figures tell apart, read from one index: the values of
-- 0013's records_dashboard (the lifecycle columns, the grade and what the figures ask of the columns
-- document) as ONE JSON array, the index ordered by it before the start, so the dashboard walks from
-- one value to the next (a few hundred at most) and reads each one's records of the period as one
-- range: nothing is sorted (reporting/dashboard.py's GROUP_KEY is this expression, character for
-- character). 0013's index, which nothing else reads, goes.
DROP INDEX records_dashboard;
CREATE INDEX records_dashboard_groups ON records (
    form_id,
    json_array(status, ever_submitted, coalesce(urn, '') <> '', grade, CASE WHEN json_type(columns_json, '$.marac_required') IS NULL THEN NULL WHEN json_type(columns_json, '$.marac_required') = 'true' THEN 1 WHEN json_type(columns_json, '$.marac_required') = 'integer' THEN json_extract(columns_json, '$.marac_required') = 1 WHEN json_type(columns_json, '$.marac_required') = 'text' THEN lower(trim(json_extract(columns_json, '$.marac_required'), char(9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288))) IN ('yes', 'true', '1') ELSE 0 END, CASE json_type(columns_json, '$.marac_referral_date') WHEN 'text' THEN trim(json_extract(columns_json, '$.marac_referral_date'), char(9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288)) <> '' WHEN 'array' THEN json_array_length(columns_json, '$.marac_referral_date') > 0 WHEN 'object' THEN json_extract(columns_json, '$.marac_referral_date') <> '{}' WHEN 'null' THEN 0 ELSE json_type(columns_json, '$.marac_referral_date') IS NOT NULL END, CASE json_type(columns_json, '$.marac_criteria') WHEN 'text' THEN trim(json_extract(columns_json, '$.marac_criteria'), char(9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288)) <> '' WHEN 'array' THEN json_array_length(columns_json, '$.marac_criteria') > 0 WHEN 'object' THEN json_extract(columns_json, '$.marac_criteria') <> '{}' WHEN 'null' THEN 0 ELSE json_type(columns_json, '$.marac_criteria') IS NOT NULL END, json_type(columns_json, '$.children_count'), json_extract(columns_json, '$.children_count'), json_type(columns_json, '$.merlin_missing'), json_extract(columns_json, '$.merlin_missing')),
    created_at, id
);
