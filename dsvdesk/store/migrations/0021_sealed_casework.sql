-- 0021: casework texts and transfer conflict states sealed with the record's content key (issue 15,
-- store/sealed_rows.py). Each row gets the id of the record key it was sealed with (key_id; the key
-- history of an amended record keeps older keys, so an older row still opens) and a BLOB column per
-- personal column: nonce || AES-256-GCM(record key, value, aad = "<record id>|<table>.<column>|<row id>").
-- The plain column is blanked once the row is sealed.
--
-- This step runs without anyone's key, so it seals nothing itself: rows already here keep key_id NULL
-- ("pending") and are sealed at the next sign-in of someone whose keys open their record's key
-- (the record's officer, its investigating officer or a supervisor: SealingStepOps._after_sign_in),
-- the way records from before 0017 were. The partial indexes make that check cheap when nothing waits.
ALTER TABLE case_assessments ADD COLUMN key_id INTEGER;
ALTER TABLE case_assessments ADD COLUMN sealed_answers BLOB;  -- answers_json sealed; answers_json = '{}'
ALTER TABLE case_assessments ADD COLUMN sealed_pdf BLOB;      -- the signed PDF sealed; pdf = X''
ALTER TABLE case_reviews ADD COLUMN key_id INTEGER;
ALTER TABLE case_reviews ADD COLUMN sealed_next_action BLOB;
ALTER TABLE case_contacts ADD COLUMN key_id INTEGER;
ALTER TABLE case_contacts ADD COLUMN sealed_note BLOB;
ALTER TABLE case_referrals ADD COLUMN key_id INTEGER;
ALTER TABLE case_referrals ADD COLUMN sealed_note BLOB;
ALTER TABLE retention_reviews ADD COLUMN key_id INTEGER;
ALTER TABLE retention_reviews ADD COLUMN sealed_reason BLOB;
ALTER TABLE transfer_conflicts ADD COLUMN key_id INTEGER;
ALTER TABLE transfer_conflicts ADD COLUMN sealed_state BLOB;  -- the other side's state; state = ''
CREATE INDEX case_assessments_unsealed ON case_assessments (id) WHERE key_id IS NULL;
CREATE INDEX case_reviews_unsealed ON case_reviews (id) WHERE key_id IS NULL;
CREATE INDEX case_contacts_unsealed ON case_contacts (id) WHERE key_id IS NULL;
CREATE INDEX case_referrals_unsealed ON case_referrals (id) WHERE key_id IS NULL;
CREATE INDEX retention_reviews_unsealed ON retention_reviews (id) WHERE key_id IS NULL;
CREATE INDEX transfer_conflicts_unsealed ON transfer_conflicts (id) WHERE key_id IS NULL;

-- The investigating officer a case is allocated to reads and writes its casework, so the record's keys
-- are wrapped for them too (store/keyring.py). Cases allocated before this step: their officers' wrap
-- marks go, so the next sign-in of a supervisor wraps the records' keys for them; a case allocated
-- later drops the new officer's mark the same way (the allocation wraps at once when it can).
DELETE FROM wrap_watermarks WHERE scope IN (SELECT io_id FROM cases WHERE io_id IS NOT NULL);
CREATE TRIGGER wrap_watermarks_new_io AFTER UPDATE OF io_id ON cases
WHEN new.io_id IS NOT NULL AND old.io_id IS NOT new.io_id
BEGIN
    DELETE FROM wrap_watermarks WHERE scope = new.io_id;
END;
