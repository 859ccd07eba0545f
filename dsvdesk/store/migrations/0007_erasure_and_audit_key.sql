-- 0007: erasure that leaves nothing behind, and keyed audit digests.
--
-- The search index removes a deleted or changed row's words at once (FTS5 'secure-delete'), instead of
-- leaving them in older index segments until a merge; with PRAGMA secure_delete (db.apply_pragmas) the
-- freed pages are zeroed too.

INSERT INTO records_fts (records_fts, rank) VALUES ('secure-delete', 1);

-- The secret that keys the audit log's value digests (HMAC-SHA256 instead of a plain sha256, which
-- a dictionary of likely answers — dates of birth, surnames, yes/no — could reverse). Made once per
-- database, inside the encrypted file; never exported.

CREATE TABLE audit_value_key (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    key  BLOB NOT NULL
);

INSERT INTO audit_value_key (id, key) VALUES (1, randomblob(32));
