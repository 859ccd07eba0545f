-- 0023: the review queue's covering index without victim_name (issue 15).
--
-- 0014 put victim_name in records_queue so a queue sorted by the victim came from the index alone.
-- Since sealed records (0017) the column is always NULL (names are sorted after they are opened), so
-- it only made every entry bigger. The same index without it: every other queue sort and filter
-- still reads its page from the index alone.
DROP INDEX records_queue;
CREATE INDEX records_queue ON records (
    status, submitted_at, seq, incident_date, owner_id, yes_count, grade,
    completeness, updated_at, return_rounds, flags
);
