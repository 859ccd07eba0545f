-- 0027: the dashboard's approval times as whole microseconds (issue 22, the dashboard row's ratio).
--
-- dashboard_events_cohort (0024) ended with the hours from an approval's first submission to the
-- approval as a REAL, which SQLite had to write out with 17 digits (printf '%!.17g') for each of a
-- year's ~63,000 approvals and Python to read back one float at a time: about a quarter of the read of
-- a year's returns and approvals at 100,000 records (more for hours that are not whole, whose text is
-- longer and slower to read back). Its last column is now the same span as an INTEGER number of
-- microseconds (the expression before the division by 1000000.0 and 3600, which reporting/dashboard.py's
-- MICROSECONDS keeps character for character and divides in Python, giving the same hours to the last
-- bit): SQLite writes integers as they are and Python's JSON reader reads them in one call. Same name,
-- same columns before it; only the dashboard reads this index.
DROP INDEX dashboard_events_cohort;
CREATE INDEX dashboard_events_cohort ON dashboard_events (
    form_id, started_at, event, record_id,
    CASE WHEN submitted_at <= at AND submitted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00' AND at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00' THEN (unixepoch(at) - unixepoch(submitted_at)) * 1000000 + CAST(substr(at, 21, 6) AS INTEGER) - CAST(substr(submitted_at, 21, 6) AS INTEGER) END
);
