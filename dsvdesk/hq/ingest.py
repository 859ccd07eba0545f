"""Bundles into HQ's database: checked as a station checks them, then one transaction per bundle.

Each record keeps only what Part A counts (``reporting.parta.SHARED_COLUMNS``, whether a MARAC referral
was made, the victim's age at the incident, the incident date), a keyed victim index (HMAC of the
``search.person_key`` of name and date of birth: equal for the same victim, meaningless without HQ's
key) and its content sealed under HQ's data key. A record is replaced only by a state whose version
vector covers the one held (never by an older one); importing a bundle twice is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.errors import BadInput, NotFound
from dsvdesk.reporting import parta
from dsvdesk.store import bundlefile, forceca, pki
from dsvdesk.store.search import person_key

if TYPE_CHECKING:
    import psycopg

    from dsvdesk.hq.unit import HqKeys

Progress = Callable[[int, int], None]
PAYLOAD_FORMAT = "dsvdesk-transfer/1"
_UPSERT = (
    "INSERT INTO hq_records (id, station_id, borough, form_id, status, revision, vector, incident_date, shared, "
    "referral, victim_age, victim_key, sealed, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "%s, %s, now()) ON CONFLICT (id) DO UPDATE SET station_id = excluded.station_id, borough = excluded.borough, "
    "form_id = excluded.form_id, status = excluded.status, revision = excluded.revision, vector = excluded.vector, "
    "incident_date = excluded.incident_date, shared = excluded.shared, referral = excluded.referral, "
    "victim_age = excluded.victim_age, victim_key = excluded.victim_key, sealed = excluded.sealed, "
    "updated_at = excluded.updated_at"
)


@dataclass(frozen=True, slots=True)
class Ingested:
    file: str
    unit: str
    borough: str
    seq: int
    new: int
    updated: int
    unchanged: int
    conflicts: int


def _covers(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(int(a.get(k, 0)) >= int(v) for k, v in b.items())


def reporting_values(record: Mapping[str, Any], keys: HqKeys) -> tuple[Any, ...]:
    """(incident date, shared JSON, referral, victim age, victim index, sealed content) of a record."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    columns = dict(record["columns"])
    incident = parta.as_date(columns.get("incident_date"))
    dob = parta.as_date(columns.get("victim_dob"))  # the bundle carries the opened (sealed) columns
    age = parta.age_at(dob, incident) if dob and incident and dob <= incident else None
    victim = person_key(columns.get("victim_name"), columns.get("victim_dob"))
    index = hmac.new(keys.index_key, victim.encode("utf-8"), hashlib.sha256).hexdigest() if victim else None
    shared = json.dumps([columns.get(c) for c in parta.SHARED_COLUMNS], ensure_ascii=False)
    referral = bool(
        str(columns.get(parta.PRESENCE_COLUMN) or "").strip()
    )  # as Part A reads the referral date
    nonce = os.urandom(12)
    content = json.dumps(
        {"answers": record["answers"], "columns": columns, "urn": record.get("urn")}, ensure_ascii=False
    )
    sealed = nonce + AESGCM(keys.data_key).encrypt(nonce, content.encode("utf-8"), str(record["id"]).encode())
    return incident, shared, referral, age, index, sealed


def ingest(
    conn: psycopg.Connection[Any], keys: HqKeys, path: Path, *, progress: Progress | None = None
) -> Ingested:
    source = Path(path).name
    try:
        header = bundlefile.read_header_file(Path(path), source)
    except FileNotFoundError:
        raise NotFound(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder; give the bundle file.") from None
    if header.to_uid != keys.uid:
        raise bundlefile.BundleWrongUnit(f"{source} was made for another unit, not HQ; nothing was ingested.")
    sender = conn.execute(
        "SELECT id, name, borough, ca_pem, removed_at FROM hq_units WHERE uid = %s AND ca_pem IS NOT NULL",
        (header.from_uid,),
    ).fetchone()
    if sender is None or sender[4] is not None:
        raise bundlefile.BundleUntrusted(
            f"{source} comes from a unit HQ does not accept bundles from; nothing was ingested. Register it "
            "first: `dsvdesk hq add-unit UNIT_FILE --borough B`."
        )
    unit_id, unit_name, borough = int(sender[0]), str(sender[1]), str(sender[2])
    reader = bundlefile.BundleReader(Path(path), source, keys.private_key)
    envelope = reader.envelope()
    bundlefile.check_signature(envelope, source)
    if not forceca.issued_by(envelope.certificate, pki.load_cert(bytes(sender[3]))):
        raise bundlefile.BundleUntrusted(
            f"{source} is signed by someone {unit_name}'s station CA did not certify; nothing was ingested."
        )
    payload = envelope.payload
    if (
        payload.get("format") != PAYLOAD_FORMAT
        or payload.get("bundle_id") != header.bundle_id
        or payload.get("to") != keys.uid
        or (payload.get("from") or {}).get("uid") != header.from_uid
        or payload.get("records") != envelope.records
    ):
        raise bundlefile.BundleAltered(f"{source} does not match its own header; nothing was ingested.")
    try:
        counts = _merge(
            conn,
            keys,
            payload,
            reader.records(),
            envelope.records,
            unit_id=unit_id,
            borough=borough,
            source=source,
            progress=progress,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise bundlefile.BundleAltered(
            f"{source}'s content is not what DSVDesk writes ({type(exc).__name__}); nothing was ingested."
        ) from None
    return Ingested(source, unit_name, borough, int(payload.get("seq") or 0), *counts)


_BATCH = 1000  # records merged per round trip (their held vectors read at once, written at once)


def _merge(
    conn: psycopg.Connection[Any],
    keys: HqKeys,
    payload: Mapping[str, Any],
    records: Iterable[Mapping[str, Any]],
    total: int,
    *,
    unit_id: int,
    borough: str,
    source: str,
    progress: Progress | None,
) -> tuple[int, int, int, int]:
    counts = [0, 0, 0, 0]  # new, updated, unchanged, conflicts
    with conn.transaction():
        if conn.execute("SELECT 1 FROM hq_bundles WHERE bundle_id = %s", (payload["bundle_id"],)).fetchone():
            raise bundlefile.BundleReplayed(f"{source} was already ingested at HQ; nothing was changed.")
        stations: dict[str, int] = {}
        for origin in payload.get("stations") or ():
            row = conn.execute(
                "INSERT INTO hq_units (uid, name, code, borough, added_at) VALUES (%s, %s, %s, %s, now()) "
                "ON CONFLICT (uid) DO UPDATE SET name = hq_units.name RETURNING id",
                (str(origin["uid"]), str(origin.get("name") or ""), str(origin.get("code") or ""), borough),
            ).fetchone()
            assert row is not None
            stations[str(origin["uid"])] = int(row[0])
        done = 0
        for batch in _batches(records, _BATCH):
            _merge_batch(conn, keys, batch, counts, stations=stations, unit_id=unit_id, borough=borough)
            done += len(batch)
            if progress is not None:
                progress(done, total)
        conn.execute(
            "INSERT INTO hq_bundles (bundle_id, unit_id, seq, audit_head, records, ingested_at) "
            "VALUES (%s, %s, %s, %s, %s, now())",
            (
                payload["bundle_id"],
                unit_id,
                int(payload.get("seq") or 0),
                json.dumps(payload["audit_head"]),
                total,
            ),
        )
    new, updated, unchanged, conflicts = counts
    return new, updated, unchanged, conflicts


def _batches(records: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _merge_batch(
    conn: psycopg.Connection[Any],
    keys: HqKeys,
    records: list[Mapping[str, Any]],
    counts: list[int],
    *,
    stations: Mapping[str, int],
    unit_id: int,
    borough: str,
) -> None:
    held = {
        str(r[0]): r[1]
        for r in conn.execute(
            "SELECT id, vector FROM hq_records WHERE id = ANY(%s)", ([str(r["id"]) for r in records],)
        )
    }
    rows = []
    for record in records:
        vector = {str(k): int(v) for k, v in dict(record["vector"]).items()}
        before = held.get(str(record["id"]))
        if before is not None and _covers(before, vector):
            counts[2] += 1
        elif before is not None and not _covers(vector, before):
            counts[3] += 1  # changed on two sides: HQ keeps what it has until a unit settles it
        else:
            counts[0 if before is None else 1] += 1
            incident, shared, referral, age, index, sealed = reporting_values(record, keys)
            rows.append(
                (
                    str(record["id"]),
                    stations.get(str(record["origin"]), unit_id),
                    borough,
                    str(record["form_id"]),
                    str(record["status"]),
                    int(record["revision"]),
                    json.dumps(vector),
                    incident,
                    shared,
                    referral,
                    age,
                    index,
                    sealed,
                )
            )
    with conn.cursor() as cursor:
        cursor.executemany(_UPSERT, rows)
