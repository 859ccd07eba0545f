-- 0014: the review queue sorted by any column reads the waiting records from one covering index
-- (issue 22).
--
-- The queue lists the submitted records (a few thousand at 100,000 records) sorted by risk, victim,
-- incident date, officer, DASH 'yes' count, grade, completeness or time waiting. Each page was sorted
-- from the records' rows, so every waiting record's row (with its documents, decrypted page by page)
-- was read for every page: 0.3-0.6 s. records_queue holds every column the queue filters or sorts by,
-- so the page's records are chosen from the index alone and only those 200 rows are read
-- (reporting/review_queue.py).
-- In (status, submitted_at, seq) order first: the default sort (longest wait first) needs no sort at all.
CREATE INDEX records_queue ON records (
    status, submitted_at, seq, incident_date, victim_name COLLATE NOCASE, owner_id, yes_count, grade,
    completeness, updated_at, return_rounds, flags
);
