-- 0001: force HQ on PostgreSQL (issue 17). Only the reporting values of each record and its content
-- sealed under HQ's data key; no names, no dates of birth, no free text in plain columns.
CREATE TABLE hq_unit (
    id               integer PRIMARY KEY CHECK (id = 1),
    uid              text NOT NULL,
    certificate_pem  bytea NOT NULL,       -- HQ's transfer unit certificate (bundles are encrypted to it)
    private_key_pem  bytea NOT NULL,       -- PKCS#8, encrypted under the HQ passphrase
    root_pem         bytea,                -- the force root, when HQ's certificate was issued by it
    data_key         bytea NOT NULL,       -- RSA-OAEP(unit key) of the AES key that seals record content
    index_key        bytea NOT NULL,       -- RSA-OAEP(unit key) of the HMAC key of the victim index
    created_at       timestamptz NOT NULL
);

-- Units whose bundles HQ accepts (a borough's CSU or a station), with the CA that certifies their users.
CREATE TABLE hq_units (
    id           serial PRIMARY KEY,
    uid          text NOT NULL UNIQUE,
    name         text NOT NULL,
    code         text NOT NULL,
    borough      text NOT NULL,
    ca_pem       bytea,                    -- NULL: a station known only as the origin of records
    added_at     timestamptz NOT NULL,
    removed_at   timestamptz
);

CREATE TABLE hq_bundles (
    bundle_id    text PRIMARY KEY,
    unit_id      integer NOT NULL REFERENCES hq_units (id),
    seq          integer NOT NULL,
    audit_head   jsonb NOT NULL,
    records      integer NOT NULL,
    ingested_at  timestamptz NOT NULL
);

CREATE TABLE hq_records (
    id             text PRIMARY KEY,       -- the record's UUID
    station_id     integer NOT NULL REFERENCES hq_units (id),  -- where it was collected
    borough        text NOT NULL,          -- the borough of the unit that sent it
    form_id        text NOT NULL,
    status         text NOT NULL,
    revision       integer NOT NULL,
    vector         jsonb NOT NULL,         -- version vector, as at the stations (never overwrite newer)
    incident_date  date,
    shared         jsonb NOT NULL,         -- Part A's shared values (reporting.parta.SHARED_COLUMNS), in order
    referral       boolean NOT NULL,       -- a MARAC referral was made
    victim_age     integer,                -- age at the incident (no date of birth is kept)
    victim_key     text,                   -- HMAC(index key, normalised name + date of birth): links repeats
    sealed         bytea NOT NULL,         -- nonce || AES-256-GCM(data key, answers and columns, aad = id)
    updated_at     timestamptz NOT NULL
);
CREATE INDEX hq_records_period ON hq_records (form_id, incident_date) INCLUDE (status, borough);
CREATE INDEX hq_records_borough ON hq_records (borough, form_id, incident_date);
CREATE INDEX hq_records_victim ON hq_records (form_id, victim_key, incident_date)
    WHERE victim_key IS NOT NULL AND status = 'approved';
