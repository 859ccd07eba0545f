-- 0015: the lifecycle-event index of the dashboard (0013) holds only the submit, return and approve
-- events.
--
-- Over every event it also took each record's "collection" event and every Part A linking
-- ("combination") event: a year's first Part A writes ~18,000 of those at 100,000 records, each one
-- more entry in this index at a random place (issue 22: Part A's first call). The dashboard's
-- statements name the three kinds (`event IN (...)`, word for word as here) so that SQLite uses it.
DROP INDEX audit_events_lifecycle;
CREATE INDEX audit_events_lifecycle ON audit_events (event, record_id, revision, at)
    WHERE event IN ('submitted', 'returned', 'approved');
