-- 0022: the sealed search index as a plain table of keyed tokens (issues 15 and 22).
--
-- Since sealed records (0017) the index holds only keyed tokens (HMAC-SHA256 of every folded word
-- prefix under the owner's index key, store/sealing.py): exact matches, so FTS5 bought nothing but
-- cost an autosave of a surname its whole document rewritten with secure-delete (p99 34 ms at
-- 100,000 records). One row per (token, record); the primary key answers a search, the second index
-- finds a record's rows when it is re-indexed or erased. A save writes only the tokens that changed.
CREATE TABLE search_tokens (
    token BLOB NOT NULL,     -- HMAC-SHA256(index key, "t|" + prefix)[:10]
    seq   INTEGER NOT NULL,  -- records.seq
    PRIMARY KEY (token, seq)
) WITHOUT ROWID;
CREATE INDEX search_tokens_seq ON search_tokens (seq);

-- The tokens already made move over (the old index held them as base32 words). A record not sealed
-- yet (its old row holds plain words) gets its tokens when it is sealed at the next sign-in.
INSERT OR IGNORE INTO search_tokens (token, seq)
WITH RECURSIVE words (seq, rest, word) AS (
    SELECT f.rowid, f.names || ' ' || f.refs || ' ', NULL
    FROM records_fts f JOIN records r ON r.seq = f.rowid WHERE r.key_id IS NOT NULL
    UNION ALL
    SELECT seq, substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1)
    FROM words WHERE rest <> ''
)
SELECT dsvdesk_token(word), seq FROM words WHERE dsvdesk_token(word) IS NOT NULL;

DROP TABLE records_fts;
