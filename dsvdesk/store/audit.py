"""The append-only, hash-chained audit log (DPA 2018 s.62).

Each event's ``hash`` is the sha256 of its canonical JSON, which includes its id and the previous
event's hash; the head table holds the newest id and hash. Editing, deleting, inserting or reordering
any row therefore breaks the chain, even when done with the no-update/no-delete triggers dropped.
No personal data is copied in: answers appear only as a keyed digest of their value (HMAC-SHA256 under a
secret kept in the encrypted database, migration 0007), and the CSV export leaves even that out.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from dsvdesk.errors import UserFacingError
from dsvdesk.store.models import AuditVerification

# Event names. The six DPA s.62 categories first, then account and lifecycle events.
COLLECTION = "collection"
ALTERATION = "alteration"
CONSULTATION = "consultation"
DISCLOSURE = "disclosure"
COMBINATION = "combination"
ERASURE = "erasure"
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
ROLE_CHANGE = "role_change"
USER_CREATED = "user_created"
PASSWORD_RESET = "password_reset"  # noqa: S105 - an event name
ACCOUNT_UNLOCKED = "account_unlocked"
CERTIFICATE_IMPORTED = "certificate_imported"
STATION_INITIALISED = "station_initialised"
SETTINGS_CHANGED = "settings_changed"
SIGNING_PASSWORD_FAILED = "signing_password_failed"  # noqa: S105 - an event name
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"
AMENDED = "amended"
BACKUP = "backup"
RESTORED = "restored"
ENCRYPTED = "database_encrypted"  # a DSVDesk 0.1 plaintext database converted (store/convert.py)
CHECKPOINT = "checkpoint"  # the chain head signed by the acting user (store/anchor.py)
TRUST_CHANGED = "trust_changed"  # force root pinned, station certificate or revocation list installed
RECORDS_SEALED = "records_sealed"  # records saved before issue 15 sealed at a sign-in (store/sealed.py)
ACCOUNT_DISABLED = "account_disabled"  # someone left: no sign-in, key pair retired (store/users.py)
KEYS_REWRAPPED = "keys_rewrapped"  # wraps someone lacked made at a sign-in (store/keyring.py)

LIFECYCLE_EVENTS = (COLLECTION, SUBMITTED, RETURNED, APPROVED, AMENDED)

COLUMNS = (  # of audit_events, in table order
    "id",
    "at",
    "event",
    "user_id",
    "username",
    "record_id",
    "revision",
    "question_id",
    "value_sha256",
    "justification",
    "recipient",
    "detail",
    "prev_hash",
    "hash",
)


def json_detail(text: Any) -> dict[str, Any]:
    """An event's ``detail`` column as a dict ({} when empty or unreadable)."""
    try:
        value = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def value_hash(value: Any, secret: bytes) -> str:
    """HMAC-SHA256 of a value's canonical JSON under the database's own secret (``value_secret``):
    proves what was saved without copying it into the log, and — unlike a plain hash — cannot be
    reversed by hashing likely answers (a date of birth, a surname, "yes") without that secret."""
    return hmac.new(secret, canonical_json(value).encode("utf-8"), hashlib.sha256).hexdigest()


def value_secret(conn: sqlite3.Connection) -> bytes:
    """The key of ``value_hash`` (migration 0007), kept inside the encrypted database."""
    row = conn.execute("SELECT key FROM audit_value_key WHERE id = 1").fetchone()
    return bytes(row[0])


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(fields: Mapping[str, Any]) -> str:
    """The chain hash of one stored event (all columns but ``hash``; ``detail`` as stored JSON text)."""
    detail = fields["detail"]
    detail_text = _CANONICAL.encode(json.loads(detail)) if detail else "{}"
    return _digest(fields, detail_text, fields["prev_hash"], fields["id"])


# The canonical JSON of an event, written key by key: the sha256 of
# canonical_json({every column but hash, detail parsed}) — keys sorted, no spaces, not ASCII-escaped —
# put together from each value's own JSON text (the json module's, so the text is the same), which is
# several times faster than building and dumping a dict per event (bulk loads hash ~300,000 events).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
_encode_text = json.encoder.encode_basestring  # the encoder's own text for a str (C, no checks)


def _json_of(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is str:
        return _encode_text(value)
    if type(value) is int:
        return int.__repr__(value)
    return _CANONICAL.encode(value)


def _digest(fields: Mapping[str, Any], detail_text: str, previous: Any, event_id: Any) -> str:
    get, value = fields.get, _json_of
    body = (
        f'{{"at":{value(get("at"))},"detail":{detail_text},"event":{value(get("event"))},'
        f'"id":{value(event_id)},"justification":{value(get("justification"))},'
        f'"prev_hash":{value(previous)},"question_id":{value(get("question_id"))},'
        f'"recipient":{value(get("recipient"))},"record_id":{value(get("record_id"))},'
        f'"revision":{value(get("revision"))},"user_id":{value(get("user_id"))},'
        f'"username":{value(get("username"))},"value_sha256":{value(get("value_sha256"))}}}'
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def chain_rows(
    events: Iterable[Mapping[str, Any]], head_id: int, head_hash: str, *, batch: int = 20_000
) -> Iterator[list[tuple[Any, ...]]]:
    """The ``audit_events`` rows (in :data:`COLUMNS` order) for ``events``, chained on from the head
    (``head_id``, ``head_hash``), ``batch`` rows at a time. Each event is a mapping of ``append``'s
    keyword arguments (``at`` and ``event`` required). ``append``, ``append_many`` and bulk loads
    (``store.bulk``) all make their rows here; the caller inserts them and moves the head."""
    previous, next_id = str(head_hash), int(head_id) + 1
    rows: list[tuple[Any, ...]] = []
    for given in events:
        unknown = given.keys() - _APPEND_FIELDS
        if unknown:
            raise TypeError(f"unknown audit event fields: {', '.join(sorted(unknown))}")
        get = given.get
        detail = _CANONICAL.encode(dict(get("detail") or {}))
        digest = _digest(given, detail, previous, next_id)
        rows.append(
            (
                next_id,
                get("at"),
                get("event"),
                get("user_id"),
                get("username"),
                get("record_id"),
                get("revision"),
                get("question_id"),
                get("value_sha256"),
                get("justification"),
                get("recipient"),
                detail,
                previous,
                digest,
            )
        )
        previous, next_id = digest, next_id + 1
        if len(rows) >= batch:
            yield rows
            rows = []
    if rows:
        yield rows


def append(
    conn: sqlite3.Connection,
    *,
    at: str,
    event: str,
    user_id: int | None = None,
    username: str | None = None,
    record_id: str | None = None,
    revision: int | None = None,
    question_id: str | None = None,
    value_sha256: str | None = None,
    justification: str | None = None,
    recipient: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Add one event to the chain. Call inside the transaction that makes the change it records."""
    fields = {
        "at": at,
        "event": event,
        "user_id": user_id,
        "username": username,
        "record_id": record_id,
        "revision": revision,
        "question_id": question_id,
        "value_sha256": value_sha256,
        "justification": justification,
        "recipient": recipient,
        "detail": detail,
    }
    return int(_write(conn, [fields])[0])


def append_many(conn: sqlite3.Connection, events: Sequence[Mapping[str, Any]]) -> int:
    """Add many events to the chain with one head read, one ``executemany`` and one head update —
    the same rows, hashes and order as calling ``append`` for each. Each event is a mapping of
    ``append``'s keyword arguments (``at`` and ``event`` required). Call inside the transaction that
    makes the change; returns the number of events written."""
    if not events:
        return 0
    _write(conn, events)
    return len(events)


def _write(conn: sqlite3.Connection, events: Sequence[Mapping[str, Any]]) -> tuple[Any, ...]:
    """Insert the events' rows and move the head; returns the last row."""
    head_id, head_hash = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetchone()
    rows = [row for batch in chain_rows(events, head_id, head_hash, batch=len(events)) for row in batch]
    conn.executemany(_INSERT_SQL, rows)
    move_head(conn, rows[-1], len(rows))
    return rows[-1]


def read_head(conn: sqlite3.Connection) -> tuple[int, str, int]:
    """The chain's head: (last event id, its hash, number of events)."""
    last_id, last_hash, count = conn.execute(
        "SELECT last_id, last_hash, count FROM audit_head WHERE id = 1"
    ).fetchone()
    return int(last_id), str(last_hash), int(count)


def move_head(conn: sqlite3.Connection, last_row: Sequence[Any], added: int) -> None:
    """Point the head at ``last_row`` (a row of ``chain_rows``) after ``added`` events were inserted."""
    conn.execute(
        "UPDATE audit_head SET last_id = ?, last_hash = ?, count = count + ? WHERE id = 1",
        (last_row[0], last_row[-1], added),
    )


def links_digest(pairs: Iterable[tuple[str, str]]) -> str:
    """The sha256 of a link set (``combination_links``, migration 0019): one ``record_a TAB record_b
    LF`` line per pair, pairs sorted (the order ``ORDER BY record_a, record_b`` reads them back in: UTF-8
    byte order is code point order). A combination event carries it, so the chain covers its links."""
    lines = "".join(f"{record_a}\t{record_b}\n" for record_a, record_b in sorted(pairs))
    return hashlib.sha256(lines.encode()).hexdigest()  # one update: the same digest as one per line


# executemany: for a year's ~10,000 links at 100,000 records it takes less CPU (11 ms) than one
# INSERT ... SELECT over the pairs as JSON (16 ms: each value is read out of its JSON twice)
_LINKS_SQL = "INSERT INTO combination_links (record_a, record_b, event_id) VALUES (?, ?, ?)"


def append_combination(
    conn: sqlite3.Connection,
    links: Iterable[tuple[str, str]],
    *,
    at: str,
    user_id: int | None,
    username: str | None,
    justification: str,
) -> int:
    """Log a set of record links as ONE "combination" event (who, when, why; ``detail``: the number
    of links and their ``links_digest``) and the links themselves in ``combination_links``, each
    naming the event (one ``executemany``). Call inside the write transaction; returns the number of
    links written (0 writes nothing)."""
    pairs = sorted({(str(a), str(b)) for a, b in links if a != b})
    if not pairs:
        return 0
    event = {
        "event": COMBINATION,
        "at": at,
        "user_id": user_id,
        "username": username,
        "justification": justification,
        "detail": {"links": len(pairs), "links_sha256": links_digest(pairs)},
    }
    event_id = _write(conn, [event])[0]
    conn.executemany(_LINKS_SQL, [(a, b, event_id) for a, b in pairs])
    return len(pairs)


def logged_links(conn: sqlite3.Connection, record_ids: Iterable[str]) -> set[tuple[str, str]]:
    """(record_a, record_b) of every link in ``combination_links`` whose first record is one of
    ``record_ids`` (the table's primary key leads with the pair)."""
    cursor = conn.execute(
        "SELECT record_a, record_b FROM combination_links WHERE record_a IN (SELECT value FROM json_each(?))",
        (json.dumps(list(dict.fromkeys(record_ids))),),
    )
    return {(str(a), str(b)) for a, b in cursor}


def unlogged_links(conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (record_a, record_b) of `pairs` that no link in ``combination_links`` holds yet: SQLite looks
    each pair up by the table's primary key and hands back only the new ones (a re-run of Part A for
    a period: none, and nothing read into Python)."""
    cursor = conn.execute(
        "SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE NOT EXISTS (SELECT 1 FROM combination_links "
        "WHERE record_a = value ->> 0 AND record_b = value ->> 1)",
        (json.dumps(sorted(set(pairs))),),
    )
    return {(str(a), str(b)) for a, b in cursor}


def _has_links_table(conn: sqlite3.Connection) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'combination_links'"
        ).fetchone()
        is not None
    )


def verify_links(conn: sqlite3.Connection, checked: int) -> AuditVerification | None:
    """Every combination event that logs its links in ``combination_links`` (its detail has
    ``links_sha256``) against the links stored for it, and every stored link against its event: the
    first event whose links were added, changed or removed is named (None: all hold)."""
    if not _has_links_table(conn):
        return None
    expected: dict[int, tuple[int, str]] = {}
    for event_id, detail in conn.execute(
        "SELECT id, detail FROM audit_events WHERE event = ?", (COMBINATION,)
    ):
        fields = json_detail(detail)
        if "links_sha256" in fields:
            expected[int(event_id)] = (int(fields.get("links", -1)), str(fields["links_sha256"]))
    found: dict[int, tuple[int, str]] = {}
    rows = conn.execute(
        "SELECT event_id, record_a, record_b FROM combination_links ORDER BY event_id, record_a, record_b"
    )
    for event_id, group in itertools.groupby(rows, key=lambda r: int(r[0])):
        pairs = [(str(r[1]), str(r[2])) for r in group]
        found[event_id] = (len(pairs), links_digest(pairs))
    for event_id in sorted(expected.keys() | found.keys()):
        if expected.get(event_id) != found.get(event_id):
            why = (
                f"the records linked by combination event {event_id} were changed after it was written"
                if event_id in expected
                else f"record links name event {event_id}, which logged no links"
            )
            return AuditVerification(False, checked, event_id, why)
    return None


_APPEND_FIELDS = frozenset(COLUMNS) - {"id", "prev_hash", "hash"}
_INSERT_SQL = f"INSERT INTO audit_events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"  # noqa: S608 - fixed column names


def walk(rows: Iterable[Mapping[str, Any]]) -> tuple[AuditVerification, str]:
    """Check that ``rows`` (events as :data:`COLUMNS` mappings, in id order) form a chain from event 1:
    no id missing or out of place, each following the one before, none altered. Returns the result
    and the last event's hash (what the head must hold). The local chain (``verify``) and the chains
    imported from other units (``station_audit_events``) are both checked here."""
    expected_prev = ""
    expected_id = 1
    checked = 0
    for fields in rows:
        event_id = int(fields["id"])
        if event_id != expected_id:
            missing = expected_id if event_id > expected_id else event_id
            return AuditVerification(
                False,
                checked,
                missing,
                f"event {missing} is missing or out of place (found {event_id} after {expected_id - 1})",
            ), expected_prev
        if fields["prev_hash"] != expected_prev:
            return AuditVerification(
                False,
                checked,
                event_id,
                f"event {event_id} does not follow event {event_id - 1} (chain broken)",
            ), expected_prev
        try:
            recomputed = event_hash(fields)
        except (TypeError, ValueError):
            recomputed = ""
        if recomputed != fields["hash"]:
            return AuditVerification(
                False, checked, event_id, f"event {event_id} was altered after it was written"
            ), expected_prev
        checked += 1
        expected_prev = str(fields["hash"])
        expected_id = event_id + 1
    return AuditVerification(True, checked), expected_prev


def verify(conn: sqlite3.Connection) -> AuditVerification:
    """Walk the whole chain; name the first event that is missing, altered or out of place."""
    cursor = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_events ORDER BY id")  # noqa: S608
    walked, expected_prev = walk(dict(zip(COLUMNS, row, strict=True)) for row in cursor)
    if not walked.ok:
        return walked
    checked = walked.checked
    expected_id = checked + 1
    head = conn.execute("SELECT last_id, last_hash, count FROM audit_head WHERE id = 1").fetchone()
    if head is None:
        return AuditVerification(False, checked, None, "the audit head record is missing")
    last_id, last_hash, count = int(head[0]), str(head[1]), int(head[2])
    if last_id != expected_id - 1 or count != checked:
        first_missing = expected_id
        return AuditVerification(
            False,
            checked,
            first_missing,
            f"events from {first_missing} to {last_id} are missing (log cut short)",
        )
    if last_hash != expected_prev:
        return AuditVerification(
            False, checked, last_id or None, f"event {last_id} does not match the chain's head"
        )
    return verify_links(conn, checked) or AuditVerification(True, checked)


def _day_start(day: dt.date) -> str:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).isoformat(timespec="microseconds")


def _csv_safe(value: Any) -> str:
    """Text for a spreadsheet cell: formulas are neutralised so opening the export runs nothing."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


# What an export carries: every column but the value digest and the chain hashes. A digest of an
# answer — and a chain hash, which covers it — could be matched against guessed answers (events of a
# converted 0.1 database carry plain sha256 digests); the chain is checked where it is kept, by
# `dsvdesk audit verify`.
EXPORT_COLUMNS = tuple(c for c in COLUMNS if c not in ("value_sha256", "prev_hash", "hash"))


_EVENT, _DETAIL, _RECORD = (EXPORT_COLUMNS.index(c) for c in ("event", "detail", "record_id"))


def _link_rows(event: Sequence[Any], links: Sequence[tuple[str, str]]) -> Iterator[list[str]]:
    """A combination event's links (``combination_links``) as export rows after it: the event's own
    columns, with the first record as ``record_id`` and ``{"link_of_event": id, "linked": [other]}`` as
    detail — the shape of the per-record combination events written before migration 0019."""
    event_id = int(event[0])
    for record_a, record_b in links:
        row = list(event)
        row[_RECORD] = record_a
        row[_DETAIL] = canonical_json({"link_of_event": event_id, "linked": [record_b]})
        yield [_csv_safe(v) for v in row]


def _links_by_event(
    conn: sqlite3.Connection, where: str, params: Sequence[str]
) -> dict[int, list[tuple[str, str]]]:
    """The links of the combination events the export writes (one scan of ``combination_links``)."""
    if not _has_links_table(conn):
        return {}
    links: dict[int, list[tuple[str, str]]] = {}
    cursor = conn.execute(
        "SELECT l.event_id, l.record_a, l.record_b FROM combination_links AS l "  # noqa: S608 - fixed parts
        f"WHERE l.event_id IN (SELECT id FROM audit_events WHERE event = 'combination'{where}) "
        "ORDER BY l.event_id, l.record_a, l.record_b",
        params,
    )
    for event_id, record_a, record_b in cursor:
        links.setdefault(int(event_id), []).append((str(record_a), str(record_b)))
    return links


def export_csv(
    conn: sqlite3.Connection, out: Path, date_from: dt.date | None, date_to: dt.date | None
) -> int:
    """Write events (inclusive dates, UTC) to ``out`` atomically (``EXPORT_COLUMNS``: nothing an answer
    can be recovered from); returns how many events were written. A combination event that keeps its
    links in ``combination_links`` is followed by one row per link (``_link_rows``)."""
    where: list[str] = []
    params: list[str] = []
    if date_from is not None:
        where.append("at >= ?")
        params.append(_day_start(date_from))
    if date_to is not None:
        where.append("at < ?")
        params.append(_day_start(date_to + dt.timedelta(days=1)))
    sql = f"SELECT {', '.join(EXPORT_COLUMNS)} FROM audit_events"  # noqa: S608 - fixed column names
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id"
    out = Path(out)
    if out.is_dir():
        raise UserFacingError(
            f"{out} is a folder; give a file name for the export, e.g. {out / 'audit.csv'}."
        )
    if not out.parent.is_dir():
        raise UserFacingError(f"The folder {out.parent} does not exist; create it or choose another place.")
    written = 0
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".audit-", suffix=".csv", dir=out.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(EXPORT_COLUMNS)
                links = _links_by_event(conn, "".join(f" AND {w}" for w in where), params)
                for row in conn.execute(sql, params):
                    writer.writerow([_csv_safe(v) for v in row])
                    written += 1
                    if row[_EVENT] == COMBINATION and int(row[0]) in links:
                        writer.writerows(_link_rows(row, links[int(row[0])]))
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp_name).replace(out)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UserFacingError(
            f"The audit log could not be written to {out}: {exc.strerror or exc}. Nothing was exported."
        ) from exc
    return written
