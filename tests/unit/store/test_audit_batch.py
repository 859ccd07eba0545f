"""`audit.append_many` writes exactly the chain that one `append` per event would."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from dsvdesk.store import Store, audit
from tests.unit.store.conftest import Station

EVENTS = [
    {
        "at": "2026-01-01T10:00:00.000000+00:00",
        "event": audit.COMBINATION,
        "user_id": 3,
        "username": "sup1",
        "record_id": "r-1",
        "justification": "same victim",
        "detail": {"linked": ["r-2"]},
    },
    {
        "at": "2026-01-01T10:00:00.000000+00:00",
        "event": audit.COMBINATION,
        "user_id": 3,
        "username": "sup1",
        "record_id": "r-2",
        "justification": "same victim",
        "detail": {"linked": ["r-1"]},
    },
    {
        "at": "2026-01-01T10:00:01.000000+00:00",
        "event": audit.CONSULTATION,
        "user_id": 3,
        "username": "sup1",
        "justification": "Łódź – 他 ✓",
        "detail": {},
    },
]


def _chain(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT * FROM audit_events ORDER BY id").fetchall()
        return [*rows, conn.execute("SELECT last_id, last_hash, count FROM audit_head").fetchone()]
    finally:
        conn.close()


def test_batch_and_one_by_one_give_the_same_chain(station: Station, tmp_path: Path) -> None:
    station.store.close()
    twin = tmp_path / "twin.sqlite3"
    shutil.copyfile(station.path, twin)
    for path, batch in ((station.path, True), (twin, False)):
        with Store.open(path) as store, store.transaction() as conn:
            if batch:
                assert audit.append_many(conn, EVENTS) == len(EVENTS)
            else:
                for event in EVENTS:
                    audit.append(conn, **event)
    assert _chain(station.path) == _chain(twin)
    with Store.open(station.path) as store:
        assert store.verify_audit().ok


def test_an_empty_batch_writes_nothing(station: Station) -> None:
    before = _chain(station.path)
    with station.store.transaction() as conn:
        assert audit.append_many(conn, []) == 0
    assert _chain(station.path) == before
