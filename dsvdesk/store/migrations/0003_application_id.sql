-- 0003: mark the file as a DSVDesk database ('DSVD' = 0x44535644) so that another program's SQLite
-- file given by mistake is never migrated; drop an index no query uses (officers list by owner).

PRAGMA application_id = 1146312260;

DROP INDEX IF EXISTS records_editor_updated;
