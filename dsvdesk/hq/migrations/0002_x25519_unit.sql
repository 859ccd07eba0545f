-- 0002: HQ's transfer unit key is an X25519 encryption key (issue 17), as every unit's is: bundles wrap
-- their key to it, never to an RSA key. `private_key_pem` holds the X25519 key (PKCS#8, encrypted under
-- HQ's passphrase); `data_key` / `index_key` are wrapped to it (ephemeral public key (32) || nonce ||
-- AES-256-GCM). A unit certificate cannot sign itself with an X25519 key, so without a force root it is
-- issued by a one-off self-signed certificate kept here (`issuer_pem`; its private key is not kept).
ALTER TABLE hq_unit ADD COLUMN issuer_pem bytea;
ALTER TABLE hq_unit ADD COLUMN key_format integer NOT NULL DEFAULT 1;  -- 2: X25519
