-- 0006: the Board's case figures (issue 18) become real columns beside the other Part A columns.
--
-- The board template asks (B2.3) how many cases involve a police officer or member of police staff,
-- counter-allegations, multiple victims or multiple perpetrators, and (B5.4) honour-based violence and
-- forced marriage apart. The 124D now asks these; Part A counts them from these columns, read from the
-- covering index like the others (records.TABLE_COLUMNS, written on every save).
ALTER TABLE records ADD COLUMN forced_marriage_flag ANY;
ALTER TABLE records ADD COLUMN police_involved ANY;
ALTER TABLE records ADD COLUMN counter_allegation ANY;
ALTER TABLE records ADD COLUMN multiple_victims ANY;
ALTER TABLE records ADD COLUMN multiple_perpetrators ANY;

-- Records saved before this step: their columns document holds the values if their form had them.
UPDATE records SET
    forced_marriage_flag = json_extract(columns_json, '$.forced_marriage_flag'),
    police_involved = json_extract(columns_json, '$.police_involved'),
    counter_allegation = json_extract(columns_json, '$.counter_allegation'),
    multiple_victims = json_extract(columns_json, '$.multiple_victims'),
    multiple_perpetrators = json_extract(columns_json, '$.multiple_perpetrators')
WHERE columns_json <> '{}';

DROP INDEX records_part_a;
CREATE INDEX records_part_a ON records (
    form_id, incident_date, status, id,
    victim_name, victim_dob, grade, officer_grade, yes_count, children_count, merlin_missing,
    marac_referral_date, marac_criteria, hbv_flag, arrested, victim_sex, victim_ethnic_group,
    victim_disability, previous_incidents_12m,
    forced_marriage_flag, police_involved, counter_allegation, multiple_victims, multiple_perpetrators
);
