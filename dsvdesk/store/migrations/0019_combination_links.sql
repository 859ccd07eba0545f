-- 0019: one audit event per linking run (issue 22). Part A links every repeat victim's records (DPA
-- 2018 s.62: combining records is logged). It wrote one "combination" event per linked record, ~18,000
-- on the first call for a year at 100,000 records; now one run writes ONE combination event and its
-- links here, each (record_a, record_b) pair naming that event. The event's detail carries the number
-- of links and a sha256 digest of the sorted link set (audit.links_digest), so the hash chain covers the
-- links: `audit verify` recomputes the digest from this table, and a link added, changed or removed
-- afterwards is reported against its event. Append-only like audit_events.
CREATE TABLE combination_links (
    record_a TEXT NOT NULL,     -- the record matched (e.g. the newer record of a repeat victim)
    record_b TEXT NOT NULL,     -- the record it was linked to
    event_id INTEGER NOT NULL,  -- audit_events.id of the combination event that logged the link
    -- by pair first: "was this pair linked before?" is a look-up (a re-run of Part A for a period links
    -- nothing anew). One b-tree only: a second index by event doubled the cost of a year's ~18,000
    -- links; `audit verify` and `audit export` read the links by event with one scan of the table.
    PRIMARY KEY (record_a, record_b, event_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER combination_links_no_update BEFORE UPDATE ON combination_links
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER combination_links_no_delete BEFORE DELETE ON combination_links
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
