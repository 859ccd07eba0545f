-- 0020: the transfer unit's key is an X25519 encryption key, opened by the supervisors' and the force
-- escrow's X25519 encryption keys (issue 17), no longer by RSA keys.
--
-- Before: the unit key was RSA and the secret sealing its private part was RSA-OAEP-wrapped to each
-- supervisor's certificate key (a signing key). Those wraps and that key go: an administrator makes
-- the new key (`dsvdesk transfer unit-key`) and the peers register its new unit file; bundles of the
-- earlier format are refused with a sentence saying so.
DROP TABLE transfer_unit_wraps;
DELETE FROM transfer_unit;

-- The secret sealing the unit's private X25519 key, wrapped (store/sealing.py Wrapper, subject
-- "dsvdesk transfer unit key") once per recipient: every supervisor's current encryption key and the
-- force escrow key. A supervisor added or reset later is given a wrap at the next import.
CREATE TABLE transfer_unit_wraps (
    recipient  INTEGER PRIMARY KEY REFERENCES enc_keys (id) ON DELETE CASCADE,
    ephemeral  BLOB NOT NULL,      -- the wrapping batch's ephemeral X25519 public key
    wrapped    BLOB NOT NULL       -- nonce || AES-256-GCM(kek, secret, subject)
) STRICT;
