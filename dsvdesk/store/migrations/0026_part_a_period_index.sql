-- 0026: Part A counts the records started in a period (any status) from a narrow index (issue 17: CSU
-- Part A over 5 stations x 20,000 records in < 1 s). records_part_a holds ~20 typed values per record
-- for the grouped read; counting the period's records in it read every one of them (~50 ms a year at
-- 100,000 records), this reads the form and the date only (~3 ms).
CREATE INDEX records_period ON records (form_id, incident_date);
