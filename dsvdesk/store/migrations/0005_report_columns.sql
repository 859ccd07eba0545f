-- 0005: the values Part A counts become real columns, read from a narrow covering index.
--
-- Migration 0004's index held each record's whole columns document (~0.5 KB of JSON): a year's Part A
-- scanned ~50 MB of index and parsed 100,000 JSON documents twice (in SQLite, then in Python), about
-- 2 s at 100,000 records. The store now writes these values to real columns on every save, beside the
-- search columns (records.TABLE_COLUMNS), and the new records_part_a holds them typed and nothing
-- else, so the period query is a scan of ~20 MB of plain values, counted and linked by SQLite.
-- The columns are ANY: they hold what a form's `columns:` gives (text, a number or nothing).
ALTER TABLE records ADD COLUMN victim_dob ANY;
ALTER TABLE records ADD COLUMN victim_sex ANY;
ALTER TABLE records ADD COLUMN victim_ethnic_group ANY;
ALTER TABLE records ADD COLUMN victim_disability ANY;
ALTER TABLE records ADD COLUMN officer_grade ANY;
ALTER TABLE records ADD COLUMN children_count ANY;
ALTER TABLE records ADD COLUMN merlin_missing ANY;
ALTER TABLE records ADD COLUMN marac_referral_date ANY;
ALTER TABLE records ADD COLUMN marac_criteria ANY;
ALTER TABLE records ADD COLUMN hbv_flag ANY;
ALTER TABLE records ADD COLUMN arrested ANY;
ALTER TABLE records ADD COLUMN previous_incidents_12m ANY;
-- Who the record is about, for linking the same victim's records (search.person_key: the name with
-- case, accents and word order ignored, and the date of birth). Written by the store on every save.
ALTER TABLE records ADD COLUMN victim_key TEXT;

-- Records saved before this step: their columns document already holds the values.
UPDATE records SET
    victim_dob = json_extract(columns_json, '$.victim_dob'),
    victim_sex = json_extract(columns_json, '$.victim_sex'),
    victim_ethnic_group = json_extract(columns_json, '$.victim_ethnic_group'),
    victim_disability = json_extract(columns_json, '$.victim_disability'),
    officer_grade = json_extract(columns_json, '$.officer_grade'),
    children_count = json_extract(columns_json, '$.children_count'),
    merlin_missing = json_extract(columns_json, '$.merlin_missing'),
    marac_referral_date = json_extract(columns_json, '$.marac_referral_date'),
    marac_criteria = json_extract(columns_json, '$.marac_criteria'),
    hbv_flag = json_extract(columns_json, '$.hbv_flag'),
    arrested = json_extract(columns_json, '$.arrested'),
    previous_incidents_12m = json_extract(columns_json, '$.previous_incidents_12m')
WHERE columns_json <> '{}';
-- dsvdesk_person_key is search.person_key, given to this connection by db.migrate.
UPDATE records SET victim_key = dsvdesk_person_key(victim_name, victim_dob) WHERE victim_name IS NOT NULL;

DROP INDEX records_part_a;
CREATE INDEX records_part_a ON records (
    form_id, incident_date, status, id,
    victim_name, victim_dob, grade, officer_grade, yes_count, children_count, merlin_missing,
    marac_referral_date, marac_criteria, hbv_flag, arrested, victim_sex, victim_ethnic_group,
    victim_disability, previous_incidents_12m
);

-- Part A links the same victim's records: the approved records of a period whose victim_key recurs,
-- read in key order (no sort), and only records with a key.
CREATE INDEX records_victim_key ON records (form_id, status, victim_key, incident_date, id)
    WHERE victim_key IS NOT NULL;
