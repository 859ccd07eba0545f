-- 0003: Part A at HQ reads one index, never the table (issue 17: force-wide Part A over 1,000,000
-- records in < 2 s). The period's approved records are grouped, and two years of victim keys matched
-- for repeat victims, by PostgreSQL (hq.figures): both are range scans of the incident date that find
-- every value they read in this index (an index-only scan), as the stations' records_part_a does.
CREATE INDEX hq_records_part_a ON hq_records (form_id, incident_date)
    INCLUDE (status, borough, referral, victim_age, victim_key, shared);
-- Its leading columns and first two included ones were all hq_records_period held.
DROP INDEX hq_records_period;
-- Repeat victims were matched in Python from the records read by victim key; no query reads it now.
DROP INDEX hq_records_victim;
