-- 0017: sealed records (issue 15, store/records.py, store/sealing.py). A record's answers and its
-- identifying columns (names, references, date of birth) are kept only encrypted under the record's
-- content key (key_id -> sealed_keys); the plain name, reference and birth-date columns stay NULL. The
-- search index holds keyed tokens, and victim_key becomes a keyed digest (station index key), so
-- neither can be read back. The sealing of records saved before this happens at the next sign-in
-- (records.SealingOps), which needs the users' keys; this step only adds the columns.
ALTER TABLE records ADD COLUMN key_id INTEGER;          -- sealed_keys.id of the current revision's key
ALTER TABLE records ADD COLUMN sealed_answers BLOB;     -- nonce || AES-GCM(answers JSON), aad id|rev|answers
ALTER TABLE records ADD COLUMN sealed_columns BLOB;     -- the identifying derived columns, aad id|rev|columns
ALTER TABLE records ADD COLUMN victim_age INTEGER;      -- age at the incident (Part A's age bands), plain
-- 1: the search tokens or the Part A victim key still have to be made by someone holding the keys
ALTER TABLE records ADD COLUMN index_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX records_unsealed ON records (seq) WHERE key_id IS NULL;
CREATE INDEX records_index_pending ON records (seq) WHERE index_pending <> 0;

ALTER TABLE record_revisions ADD COLUMN key_id INTEGER;
ALTER TABLE record_revisions ADD COLUMN sealed_answers BLOB;
ALTER TABLE signed_pdfs ADD COLUMN key_id INTEGER;      -- the PDF is sealed (aad id|rev|pdf-<kind>)
ALTER TABLE signed_pdfs ADD COLUMN audit_heads TEXT;    -- the audit heads the PDF carries (JSON), plain
ALTER TABLE review_comments ADD COLUMN key_id INTEGER;  -- the comment is sealed (sealed_comment)
ALTER TABLE review_comments ADD COLUMN sealed_comment BLOB;

-- A disabled account (someone who left): it cannot sign in and its key pair is retired, so it reads
-- nothing; its records stay wrapped for the supervisors and escrow, so nothing is lost.
ALTER TABLE users ADD COLUMN disabled_at TEXT;

-- Sorting by a name happens after decryption; these indexes held the names themselves.
DROP INDEX IF EXISTS records_victim;
DROP INDEX IF EXISTS records_owner_victim;
-- Part A reads the age and the keyed victim key instead of the name and the date of birth.
DROP INDEX records_part_a;
CREATE INDEX records_part_a ON records (
    form_id, incident_date, status, id,
    victim_key, victim_age, grade, officer_grade, yes_count, children_count, merlin_missing,
    marac_referral_date, marac_criteria, hbv_flag, arrested, victim_sex, victim_ethnic_group,
    victim_disability, previous_incidents_12m,
    forced_marriage_flag, police_involved, counter_allegation, multiple_victims, multiple_perpetrators
);
