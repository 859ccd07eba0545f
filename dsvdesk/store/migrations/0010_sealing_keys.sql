-- 0010: key material for sealed records (issue 15, store/keyring.py, store/sealing.py).
-- Each user has an X25519 encryption key pair beside their signing key; its private part is sealed
-- (AES-256-GCM) under a key derived from their password. The force's escrow key is a public key only
-- (user_id NULL); its private part never comes to the station. A password reset retires the user's
-- key pair (the private part is deleted, so nothing wrapped for it can be opened) and makes a new one.
CREATE TABLE enc_keys (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER REFERENCES users (id),  -- NULL: the force escrow key
    public_key      BLOB NOT NULL,                  -- raw X25519, 32 bytes
    private_sealed  BLOB,                           -- nonce || AES-GCM(password secret, private key)
    created_at      TEXT NOT NULL,
    retired_at      TEXT                            -- set when a reset replaced the pair
) STRICT;
CREATE UNIQUE INDEX enc_keys_current ON enc_keys (coalesce(user_id, 0)) WHERE retired_at IS NULL;

-- Keys that are stored only wrapped: a record's content key (kind 'record', one per record and key
-- generation), a user's search index key ('user_index') and the station supervisors' index key
-- ('station_index', Part A's repeat-victim key).
CREATE TABLE sealed_keys (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('record', 'user_index', 'station_index')),
    record_id   TEXT,
    user_id     INTEGER REFERENCES users (id),
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX sealed_keys_record ON sealed_keys (record_id) WHERE record_id IS NOT NULL;
CREATE INDEX sealed_keys_user ON sealed_keys (kind, user_id);

-- The senders' ephemeral X25519 public keys (one per recipient and batch of wraps).
CREATE TABLE wrap_ephemerals (
    id          INTEGER PRIMARY KEY,
    public_key  BLOB NOT NULL UNIQUE
) STRICT;

-- One wrap of a sealed key for one recipient key: nonce || AES-GCM(kek, key, aad = key subject).
CREATE TABLE key_wraps (
    key_id     INTEGER NOT NULL REFERENCES sealed_keys (id) ON DELETE CASCADE,
    recipient  INTEGER NOT NULL REFERENCES enc_keys (id),
    ephemeral  INTEGER NOT NULL REFERENCES wrap_ephemerals (id),
    wrapped    BLOB NOT NULL,
    PRIMARY KEY (key_id, recipient)
) STRICT, WITHOUT ROWID;
CREATE INDEX key_wraps_recipient ON key_wraps (recipient, key_id);

-- Told to the user at their next sign-in: who reset their password and when (JSON), then cleared.
ALTER TABLE users ADD COLUMN reset_notice TEXT;
