"""Other units' audit events, carried in transfer bundles (issue 17, migration 0018).

A bundle carries its sender's audit events after the last one the receiver acknowledged, up to the
head it names (the export's own disclosure event and signed checkpoint included). The receiver keeps
them in ``station_audit_events``, apart from its own chain and exactly as the sender hashed them, so
the sender's chain can be re-checked there (``verify``: the hash chain from event 1, every signed
checkpoint against the sender's station CA, and the head of every bundle imported from it). Storing is
idempotent: events already held are compared, not written again; a sender whose events differ from the
ones it sent before has rewritten its log, and its bundle is refused.

The receiver acknowledges (in its next bundle back) the end of the unbroken run it holds from event 1,
so a gap (a restored database) is sent again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dsvdesk.store import anchor, audit
from dsvdesk.store.bundlefile import BundleAltered
from dsvdesk.store.models import AuditVerification

_SELECT = ", ".join(audit.COLUMNS)
_INSERT = (
    f"INSERT INTO station_audit_events (station_id, {_SELECT}) "  # noqa: S608 - fixed column names
    f"VALUES (?, {', '.join('?' for _ in audit.COLUMNS)}) ON CONFLICT DO NOTHING"
)
_INTS = frozenset({"id", "user_id", "revision"})
_REQUIRED_TEXT = frozenset({"at", "event", "detail", "prev_hash", "hash"})


def collect(conn: sqlite3.Connection, after: int, upto: int) -> list[list[Any]]:
    """This PC's audit events ``after`` < id <= ``upto``, as rows in :data:`audit.COLUMNS` order."""
    return [
        list(row)
        for row in conn.execute(
            f"SELECT {_SELECT} FROM audit_events WHERE id > ? AND id <= ? ORDER BY id",  # noqa: S608
            (int(after), int(upto)),
        )
    ]


def acknowledged(conn: sqlite3.Connection, station_id: int) -> int:
    """The id up to which this PC holds the unit's events without a gap from event 1 (0: none)."""
    row = conn.execute(
        "SELECT min(id) FROM station_audit_events WHERE station_id = ?", (int(station_id),)
    ).fetchone()
    if row[0] is None or int(row[0]) != 1:
        return 0
    end = conn.execute(
        "SELECT min(a.id) FROM station_audit_events a WHERE a.station_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM station_audit_events b WHERE b.station_id = a.station_id AND b.id = a.id + 1)",
        (int(station_id),),
    ).fetchone()
    return int(end[0])


def _event(row: Any, source: str) -> dict[str, Any]:
    altered = BundleAltered(f"{source} carries an unreadable audit event; nothing was imported.")
    if not isinstance(row, list) or len(row) != len(audit.COLUMNS):
        raise altered
    fields = dict(zip(audit.COLUMNS, row, strict=True))
    for name, value in fields.items():
        if name in _INTS:
            ok = (value is None and name != "id") or (type(value) is int)
        else:
            ok = isinstance(value, str) if name in _REQUIRED_TEXT else value is None or isinstance(value, str)
        if not ok:
            raise altered
    return fields


def store(conn: sqlite3.Connection, station_id: int, rows: Any, head: anchor.AuditHead, source: str) -> int:
    """Check the carried events and keep the ones not yet held; returns how many were new. Refused
    (``BundleAltered``, nothing written) when they do not chain, do not end at the head the bundle
    names, or differ from events the unit sent before."""
    if not isinstance(rows, list):
        raise BundleAltered(f"{source} carries no readable audit events; nothing was imported.")
    events = [_event(row, source) for row in rows]
    _check_chain(conn, station_id, events, head, source)
    _check_known(conn, station_id, events, head, source)
    before = conn.total_changes
    conn.executemany(_INSERT, [(int(station_id), *(e[c] for c in audit.COLUMNS)) for e in events])
    return conn.total_changes - before


def _check_chain(
    conn: sqlite3.Connection,
    station_id: int,
    events: Sequence[Mapping[str, Any]],
    head: anchor.AuditHead,
    source: str,
) -> None:
    if not events:
        return
    first = int(events[0]["id"])
    if first == 1:
        previous: str | None = ""
    else:
        row = conn.execute(
            "SELECT hash FROM station_audit_events WHERE station_id = ? AND id = ?",
            (int(station_id), first - 1),
        ).fetchone()
        previous = str(row[0]) if row else None  # a gap here: `verify` names it until it is sent again
    expected = first
    for fields in events:
        event_id = int(fields["id"])
        broken = event_id != expected or (previous is not None and fields["prev_hash"] != previous)
        if broken or audit.event_hash(fields) != fields["hash"]:
            raise BundleAltered(
                f"{source} carries audit events that do not chain (event {event_id}); nothing was imported."
            )
        previous, expected = str(fields["hash"]), event_id + 1
    if (int(events[-1]["id"]), str(events[-1]["hash"])) != head.pair():
        raise BundleAltered(
            f"{source} carries audit events that do not end at the head it names; nothing was imported."
        )


def _check_known(
    conn: sqlite3.Connection,
    station_id: int,
    events: Sequence[Mapping[str, Any]],
    head: anchor.AuditHead,
    source: str,
) -> None:
    """Events (and the head) already held from this unit must be the same as the ones carried."""
    carried = {int(e["id"]): str(e["hash"]) for e in events}
    carried.setdefault(head.seq, head.hash)
    low, high = min(carried), max(carried)
    held = conn.execute(
        "SELECT id, hash FROM station_audit_events WHERE station_id = ? AND id BETWEEN ? AND ?",
        (int(station_id), low, high),
    )
    for event_id, digest in held:
        if int(event_id) in carried and carried[int(event_id)] != digest:
            raise BundleAltered(
                f"{source} carries audit event {event_id} unlike the one its unit sent before: that unit's "
                "audit log was rewritten. Nothing was imported; tell force ICT."
            )


def _rows(conn: sqlite3.Connection, station_id: int) -> Iterator[dict[str, Any]]:
    for row in conn.execute(
        f"SELECT {_SELECT} FROM station_audit_events WHERE station_id = ? ORDER BY id",  # noqa: S608
        (int(station_id),),
    ):
        yield dict(zip(audit.COLUMNS, row, strict=True))


def heads(conn: sqlite3.Connection, station_id: int) -> list[tuple[anchor.AuditHead, str]]:
    """The head every bundle imported from the unit carried (its chain must still hold each)."""
    found: list[tuple[anchor.AuditHead, str]] = []
    for seq, text in conn.execute(
        "SELECT seq, audit_head FROM transfer_bundles WHERE station_id = ? AND direction = 'in' ORDER BY seq",
        (int(station_id),),
    ):
        head = anchor.AuditHead.from_mapping(json.loads(text))
        if head is not None:
            found.append((head, f"bundle {seq}"))
    return found


def verify(
    conn: sqlite3.Connection, station_id: int, issuer_problem: anchor.IssuerCheck
) -> AuditVerification:
    """The unit's imported chain: hashes from event 1, every checkpoint (its signer must be certified by
    ``issuer_problem``'s CA), every bundle's head."""
    chain, _last = audit.walk(_rows(conn, station_id))
    if not chain.ok:
        return chain
    return anchor.verify_checkpoints(_rows(conn, station_id), chain, issuer_problem, heads(conn, station_id))


def count(conn: sqlite3.Connection, station_id: int) -> int:
    return int(
        conn.execute(
            "SELECT count(*) FROM station_audit_events WHERE station_id = ?", (int(station_id),)
        ).fetchone()[0]
    )
