-- 0008: indexes for sorting an officer's "My forms" by any of its column headers (issue 22).
--
-- An officer's list is `WHERE owner_id = ? ORDER BY <column>, seq`. Without an index in that order
-- SQLite read every one of the officer's rows (100,000 at scale, each with its answers document) into
-- a temporary sort for every page: 0.8-2.9 s per header click. With (owner_id, <column>, seq) the page
-- is read in order from the index; "Last saved" already has records_owner_updated. Each index holds
-- the owner, the sort value and seq; like records_victim, it lives in the encrypted file.
CREATE INDEX records_owner_victim ON records (owner_id, victim_name COLLATE NOCASE, seq);
CREATE INDEX records_owner_incident ON records (owner_id, incident_date, seq);
CREATE INDEX records_owner_status ON records (owner_id, status, seq);
CREATE INDEX records_owner_grade ON records (owner_id, grade, seq);
CREATE INDEX records_owner_yes ON records (owner_id, yes_count, seq);
CREATE INDEX records_owner_complete ON records (owner_id, completeness, seq);
