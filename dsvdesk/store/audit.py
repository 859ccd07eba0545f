"""The append-only, hash-chained audit log (DPA 2018 s.62).

Each event's ``hash`` is the sha256 of its canonical JSON, which includes its id and the previous
event's hash; the head table holds the newest id and hash. Editing, deleting, inserting or reordering
any row therefore breaks the chain, even when done with the no-update/no-delete triggers dropped.
No personal data is copied in: answers appear only as the sha256 of their value.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Mapping, Sequence
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

LIFECYCLE_EVENTS = (COLLECTION, SUBMITTED, RETURNED, APPROVED, AMENDED)

_COLUMNS = (
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


def value_hash(value: Any) -> str:
    """sha256 of a value's canonical JSON: proves what was saved without copying it into the log."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(fields: Mapping[str, Any]) -> str:
    """The chain hash of one event (all columns but ``hash``, ``detail`` as parsed JSON); bulk writers
    (the demo data) use it to extend the chain exactly as ``append`` does."""
    body = {name: fields[name] for name in _COLUMNS if name != "hash"}
    body["detail"] = json.loads(body["detail"]) if body["detail"] else {}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


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
    head_id, head_hash = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetchone()
    fields: dict[str, Any] = {
        "id": int(head_id) + 1,
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
        "detail": canonical_json(dict(detail or {})),
        "prev_hash": str(head_hash),
    }
    fields["hash"] = event_hash(fields)
    conn.execute(
        f"INSERT INTO audit_events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})",  # noqa: S608 - fixed column names
        [fields[name] for name in _COLUMNS],
    )
    conn.execute(
        "UPDATE audit_head SET last_id = ?, last_hash = ?, count = count + 1 WHERE id = 1",
        (fields["id"], fields["hash"]),
    )
    return int(fields["id"])


def append_many(conn: sqlite3.Connection, events: Sequence[Mapping[str, Any]]) -> int:
    """Add many events to the chain with one head read, one ``executemany`` and one head update —
    the same rows, hashes and order as calling ``append`` for each. Each event is a mapping of
    ``append``'s keyword arguments (``at`` and ``event`` required). Call inside the transaction that
    makes the change; returns the number of events written."""
    if not events:
        return 0
    head_id, head_hash = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetchone()
    previous, next_id = str(head_hash), int(head_id) + 1
    rows: list[list[Any]] = []
    for given in events:
        unknown = set(given) - _APPEND_FIELDS
        if unknown:
            raise TypeError(f"unknown audit event fields: {', '.join(sorted(unknown))}")
        fields: dict[str, Any] = dict.fromkeys(_COLUMNS)
        fields.update(given)
        fields["id"] = next_id
        fields["detail"] = canonical_json(dict(given.get("detail") or {}))
        fields["prev_hash"] = previous
        fields["hash"] = event_hash(fields)
        rows.append([fields[name] for name in _COLUMNS])
        previous, next_id = fields["hash"], next_id + 1
    conn.executemany(
        f"INSERT INTO audit_events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})",  # noqa: S608 - fixed column names
        rows,
    )
    conn.execute(
        "UPDATE audit_head SET last_id = ?, last_hash = ?, count = count + ? WHERE id = 1",
        (next_id - 1, previous, len(rows)),
    )
    return len(rows)


_APPEND_FIELDS = frozenset(_COLUMNS) - {"id", "prev_hash", "hash"}


def verify(conn: sqlite3.Connection) -> AuditVerification:
    """Walk the whole chain; name the first event that is missing, altered or out of place."""
    expected_prev = ""
    expected_id = 1
    checked = 0
    cursor = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM audit_events ORDER BY id")  # noqa: S608
    for row in cursor:
        fields = dict(zip(_COLUMNS, row, strict=True))
        event_id = int(fields["id"])
        if event_id != expected_id:
            missing = expected_id if event_id > expected_id else event_id
            return AuditVerification(
                False,
                checked,
                missing,
                f"event {missing} is missing or out of place (found {event_id} after {expected_id - 1})",
            )
        if fields["prev_hash"] != expected_prev:
            return AuditVerification(
                False,
                checked,
                event_id,
                f"event {event_id} does not follow event {event_id - 1} (chain broken)",
            )
        try:
            recomputed = event_hash(fields)
        except (TypeError, ValueError):
            recomputed = ""
        if recomputed != fields["hash"]:
            return AuditVerification(
                False, checked, event_id, f"event {event_id} was altered after it was written"
            )
        checked += 1
        expected_prev = str(fields["hash"])
        expected_id = event_id + 1
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
    return AuditVerification(True, checked)


def _day_start(day: dt.date) -> str:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).isoformat(timespec="microseconds")


def _csv_safe(value: Any) -> str:
    """Text for a spreadsheet cell: formulas are neutralised so opening the export runs nothing."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_csv(
    conn: sqlite3.Connection, out: Path, date_from: dt.date | None, date_to: dt.date | None
) -> int:
    """Write events (inclusive dates, UTC) to ``out`` atomically; returns how many were written."""
    where: list[str] = []
    params: list[str] = []
    if date_from is not None:
        where.append("at >= ?")
        params.append(_day_start(date_from))
    if date_to is not None:
        where.append("at < ?")
        params.append(_day_start(date_to + dt.timedelta(days=1)))
    sql = f"SELECT {', '.join(_COLUMNS)} FROM audit_events"  # noqa: S608 - fixed column names
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
                writer.writerow(_COLUMNS)
                for row in conn.execute(sql, params):
                    writer.writerow([_csv_safe(v) for v in row])
                    written += 1
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
