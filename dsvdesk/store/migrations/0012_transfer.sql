-- 0012: station <-> CSU transfer bundles (issue 17, store/transfer.py).
--
-- A borough has several station PCs and one Community Safety Unit (CSU); records move between them as
-- encrypted, signed bundle files. Every database is a "unit" with a random id made here once; the
-- units it exchanges bundles with are rows of `stations` too (id 1 is always this database itself).
CREATE TABLE stations (
    id                INTEGER PRIMARY KEY,          -- 1 = this database's own station
    uid               TEXT NOT NULL UNIQUE,          -- random; names the unit in bundles and certificates
    name              TEXT NOT NULL DEFAULT '',      -- '' for id 1: the settings' station_name
    code              TEXT NOT NULL DEFAULT '',
    kind              TEXT NOT NULL DEFAULT 'station' CHECK (kind IN ('station', 'csu', 'hq')),
    unit_cert_pem     BLOB,      -- a peer's published unit certificate (its key encrypts bundles to it)
    ca_pem            BLOB,      -- the peer's station CA (it issued the certificates of the peer's users)
    added_at          TEXT,
    revoked_at        TEXT,      -- a peer removed at this PC: its bundles are refused
    last_in_seq       INTEGER NOT NULL DEFAULT 0,    -- the newest bundle imported from it (its numbering)
    last_in_at        TEXT,
    last_in_head      TEXT,      -- the audit head that bundle carried, JSON {seq, hash}
    last_in_clock     INTEGER NOT NULL DEFAULT 0,    -- its change clock when it made that bundle
    sent_seq          INTEGER NOT NULL DEFAULT 0,    -- bundles this database made for it
    acked_clock       INTEGER NOT NULL DEFAULT 0     -- our change clock that it has acknowledged
) STRICT;
INSERT INTO stations (id, uid) VALUES (1, lower(hex(randomblob(16))));

-- Records carry their station (who collected them); existing records are this database's own.
ALTER TABLE records ADD COLUMN station_id INTEGER NOT NULL DEFAULT 1;
CREATE INDEX records_station ON records (station_id, form_id, incident_date);

-- People of other stations named by imported records (owners, reviewers): rows of `users` that can
-- never sign in (no password hash, no key), marked with their home station and their username there.
ALTER TABLE users ADD COLUMN home_station_id INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN home_username TEXT;

-- Per record: a version vector {unit uid: number of changes made there} and the (revision, version)
-- mark at which this database last counted its own changes; `clock` orders local changes for export.
CREATE TABLE record_sync (
    record_id  TEXT PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
    vector     TEXT NOT NULL DEFAULT '{}',
    mark       TEXT NOT NULL DEFAULT '',
    clock      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX record_sync_clock ON record_sync (clock);

CREATE TABLE transfer_clock (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  INTEGER NOT NULL
) STRICT;
INSERT INTO transfer_clock (id, value) VALUES (1, 0);

-- Every bundle made or imported here (a bundle id imported twice is refused: nothing changes).
CREATE TABLE transfer_bundles (
    bundle_id   TEXT PRIMARY KEY,
    station_id  INTEGER NOT NULL,      -- the peer: receiver of an outgoing, sender of an incoming bundle
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    records     INTEGER NOT NULL,
    audit_head  TEXT NOT NULL          -- JSON {seq, hash} of the sender's chain
) STRICT;

-- A record changed on both sides: the other side's state is kept here for a supervisor to see.
CREATE TABLE transfer_conflicts (
    id           INTEGER PRIMARY KEY,
    record_id    TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    station_id   INTEGER NOT NULL,     -- where the other state came from
    bundle_id    TEXT NOT NULL,
    state        TEXT NOT NULL,        -- JSON: the other side's record state (answers, status, revision)
    state_sha256 TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    resolved_at  TEXT,
    resolved_by  INTEGER REFERENCES users (id),
    UNIQUE (record_id, state_sha256)
) STRICT;

-- This unit's key pair for receiving bundles: the certificate (issued by the station CA) is published,
-- the private key is encrypted under a random key that is wrapped for each supervisor's key pair.
CREATE TABLE transfer_unit (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    certificate_pem  BLOB NOT NULL,
    private_key      BLOB NOT NULL,    -- AES-256-GCM(nonce || ciphertext) of the PKCS#8 DER
    created_at       TEXT NOT NULL
) STRICT;
CREATE TABLE transfer_unit_wraps (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    cert_sha256 TEXT NOT NULL,         -- the user's certificate it was wrapped to (a reset makes a new one)
    wrapped     BLOB NOT NULL          -- RSA-OAEP(SHA-256) of the unit key's AES key, to the user's key pair
) STRICT;
