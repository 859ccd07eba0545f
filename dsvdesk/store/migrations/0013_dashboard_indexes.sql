-- 0013: the compliance dashboard counted by SQLite from two covering indexes (issue 22).
--
-- The dashboard read every record of the period with its columns document (70,000 rows at 100,000
-- records, each row's page decrypted and its JSON parsed in Python) and then the lifecycle events of
-- those records in 142 chunks of 500 ids: 3-4 s on an idle PC. Now SQLite groups the period's records
-- by what the figures tell apart, reading only records_dashboard: the form, the day it was started,
-- the lifecycle columns, the grade and, from the columns document, exactly what the figures ask of
-- it (reporting/dashboard.py keeps the same expressions, character for character, so that SQLite
-- reads them from this index instead of the table):
--   * whether the form says a MARAC referral is required (NULL: the form had no such column),
--     as `value is True or str(value).strip().lower() in {"yes", "true", "1"}` would say;
--   * whether a referral date and MARAC criteria are answered (text with more than white space,
--     which is Python's str.isspace set below; a non-empty list or table; a number or a yes/no);
--   * the children counts as they are (their JSON type and value), read as numbers in Python.
-- audit_events_lifecycle holds every event's kind, record, revision and time, so the returns and the
-- hours from submission to approval are found without reading the events themselves (not a partial
-- index: SQLite would not see that `event = 'returned'` falls within `event IN (...)`).
CREATE INDEX records_dashboard ON records (
    form_id, created_at, status, ever_submitted, coalesce(urn, '') <> '', grade,
    CASE WHEN json_type(columns_json, '$.marac_required') IS NULL THEN NULL WHEN json_type(columns_json, '$.marac_required') = 'true' THEN 1 WHEN json_type(columns_json, '$.marac_required') = 'integer' THEN json_extract(columns_json, '$.marac_required') = 1 WHEN json_type(columns_json, '$.marac_required') = 'text' THEN lower(trim(json_extract(columns_json, '$.marac_required'), char(9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288))) IN ('yes', 'true', '1') ELSE 0 END,
    CASE json_type(columns_json, '$.marac_referral_date') WHEN 'text' THEN trim(json_extract(columns_json, '$.marac_referral_date'), char(9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288)) <> '' WHEN 'array' THEN json_array_length(columns_json, '$.marac_referral_date') > 0 WHEN 'object' THEN json_extract(columns_json, '$.marac_referral_date') <> '{}' WHEN 'null' THEN 0 ELSE json_type(columns_json, '$.marac_referral_date') IS NOT NULL END,
    CASE json_type(columns_json, '$.marac_criteria') WHEN 'text' THEN trim(json_extract(columns_json, '$.marac_criteria'), char(9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288)) <> '' WHEN 'array' THEN json_array_length(columns_json, '$.marac_criteria') > 0 WHEN 'object' THEN json_extract(columns_json, '$.marac_criteria') <> '{}' WHEN 'null' THEN 0 ELSE json_type(columns_json, '$.marac_criteria') IS NOT NULL END,
    json_type(columns_json, '$.children_count'), json_extract(columns_json, '$.children_count'),
    json_type(columns_json, '$.merlin_missing'), json_extract(columns_json, '$.merlin_missing'),
    id
);
CREATE INDEX audit_events_lifecycle ON audit_events (event, record_id, revision, at);
