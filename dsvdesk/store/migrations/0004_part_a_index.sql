-- 0004: indexes for Part A of the Board report.
--
-- Part A scans a year plus its 12-month lookback (100,000 rows at scale). Read through
-- records_incident_date, every row drags its ~7 KB answers document through the page cache to reach
-- columns_json. This covering index holds the ~0.5 KB columns document beside the period key, so the
-- period query is one range scan that never reads the table. (A narrow copy kept by triggers would be
-- smaller, but the store runs with trusted_schema = OFF, under which SQLite 3.40's JSON functions
-- cannot run inside triggers, and generated columns are not read from indexes before SQLite 3.41.)
CREATE INDEX records_part_a ON records (form_id, incident_date, status, id, columns_json);

-- Part A links each repeat victim's records once: before logging a match it looks up the combination
-- events already written for those records (only combination events, and only what the look-up reads).
CREATE INDEX audit_events_combination ON audit_events (record_id, detail) WHERE event = 'combination';
