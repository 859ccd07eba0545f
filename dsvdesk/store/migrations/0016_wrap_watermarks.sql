-- 0016: how far each recipient key's wraps are known complete (issue 22: sign-in at 100,000 records).
-- Sign-in asks, for every current recipient key, whether it lacks wraps it should have
-- (store/keyring.py). Counting every key each time read all of an officer's records; with this mark
-- only the keys made since the last complete check are counted. A row means: every sealed key with
-- id <= complete_to that this recipient should have (scope 0: every key, for supervisors and the
-- escrow key; scope N: user N's records' keys and index keys, for an officer) is wrapped for it.
-- No row, or a scope that no longer fits the user's role, means "check every key".
CREATE TABLE wrap_watermarks (
    recipient    INTEGER PRIMARY KEY REFERENCES enc_keys (id) ON DELETE CASCADE,
    scope        INTEGER NOT NULL,
    complete_to  INTEGER NOT NULL
) STRICT;

-- A sealed key's id can be reused after the newest key is deleted (erasure): a key made with an id at
-- or below a mark moves the mark back below it, so it is checked.
CREATE TRIGGER wrap_watermarks_new_key AFTER INSERT ON sealed_keys
BEGIN
    UPDATE wrap_watermarks SET complete_to = new.id - 1 WHERE complete_to >= new.id;
END;

-- A record given to another owner (a transfer import) brings its key into that officer's scope.
CREATE TRIGGER wrap_watermarks_new_owner AFTER UPDATE OF owner_id ON records
WHEN old.owner_id IS NOT new.owner_id
BEGIN
    DELETE FROM wrap_watermarks WHERE scope = new.owner_id;
END;
