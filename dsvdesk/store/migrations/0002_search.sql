-- 0002: full-text search over names and references (rowid = records.seq). Maintained by the store in
-- the same transaction as each save; diacritics folded so 'angstrom' finds 'Ångström'.

CREATE VIRTUAL TABLE records_fts USING fts5 (
    names,
    refs,
    tokenize = 'unicode61 remove_diacritics 2'
);
