-- 0009: the force certificate hierarchy at a station (store/trust.py). The pinned fingerprint of the
-- force root is recorded when the station is set up (or later by an admin); the root itself arrives
-- with the station CA certificate the force issued, and must match the pin. The force's revocation
-- list is imported from a file; only the newest (highest number) is kept.
CREATE TABLE force_trust (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    pinned_fingerprint  TEXT,          -- SHA-256 of the force root's DER, AA:BB:... (forceca.fingerprint)
    root_pem            BLOB,          -- the force root, once installed
    installed_at        TEXT
) STRICT;

CREATE TABLE revocation_list (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    crl_der      BLOB NOT NULL,
    number       INTEGER NOT NULL,
    imported_at  TEXT NOT NULL
) STRICT;
