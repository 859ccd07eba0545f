-- 0025: sorting by a sealed name without reading every record (issue 22).
--
-- Names are sealed (0017): a list sorted by the victim opens each record's sealed columns and orders
-- them in memory (store/name_order.py: held for the signed-in session, never written anywhere). The
-- sealed columns blob sits after the sealed answers in the row, so reading it followed each row's
-- overflow chain: 1.4 GB decrypted for 100,000 records (~5.6 s before any AES-GCM), and even the
-- revision/version check of a sort read every row (~1.8 s).
-- records_sealed_names holds, by seq, what opening a record's names needs (its key, revision, version,
-- id for the associated data, and the same ciphertext as the row): no plaintext and nothing ordered
-- by a name. records_stamps is what tells the in-memory order which records changed since it was
-- made (key, revision, version: a save moves the version, an amendment the revision and the key).
CREATE INDEX records_sealed_names ON records (seq, key_id, revision, version, id, sealed_columns);
CREATE INDEX records_stamps ON records (key_id, revision, version);
