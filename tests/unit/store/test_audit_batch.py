"""`audit.append_many` writes exactly the chain that one `append` per event would."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dsvdesk.store import Store, audit
from tests.helpers.encrypted import copy_station, raw_connect
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
    conn = raw_connect(path)
    try:
        rows = conn.execute("SELECT * FROM audit_events ORDER BY id").fetchall()
        return [*rows, conn.execute("SELECT last_id, last_hash, count FROM audit_head").fetchone()]
    finally:
        conn.close()


def test_batch_and_one_by_one_give_the_same_chain(station: Station, tmp_path: Path) -> None:
    station.store.close()
    twin = tmp_path / "twin.sqlite3"
    copy_station(station.path, twin)
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


texts = st.one_of(st.none(), st.text(max_size=30))
events = st.lists(
    st.fixed_dictionaries(
        {
            "at": st.text(min_size=1, max_size=32),
            "event": st.sampled_from((audit.COLLECTION, audit.SUBMITTED, audit.RETURNED, audit.APPROVED)),
            "user_id": st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
            "username": texts,
            "record_id": texts,
            "revision": st.one_of(st.none(), st.integers(0, 10)),
            "detail": st.dictionaries(
                st.text(max_size=10),
                st.one_of(
                    st.integers(),
                    st.floats(allow_nan=False),
                    st.booleans(),
                    st.text(max_size=20),
                    st.lists(st.text(max_size=8), max_size=4),
                    st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
                    st.none(),
                ),
                max_size=4,
            ),
        },
        optional={
            "value_sha256": texts,
            "question_id": texts,
            "justification": texts,
            "recipient": texts,
        },
    ),
    max_size=12,
)


def defined_hash(fields: dict[str, Any]) -> str:
    """The chain hash as the audit format defines it: the sha256 of the canonical JSON (sorted keys, no
    spaces, not ASCII-escaped) of every column but ``hash``, with ``detail`` as parsed JSON."""
    body = {name: fields[name] for name in audit.COLUMNS if name != "hash"}
    body["detail"] = json.loads(body["detail"])
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@settings(max_examples=150, deadline=None)
@given(events=events, head_id=st.integers(0, 10**6), head_hash=st.text(max_size=64))
def test_chained_rows_carry_the_formats_hashes(
    events: list[dict[str, Any]], head_id: int, head_hash: str
) -> None:
    """``chain_rows`` (what append, append_many and bulk loads write) and ``event_hash`` (what verify
    checks) both give the hash the format defines, whatever the values."""
    rows = [row for batch in audit.chain_rows(events, head_id, head_hash, batch=5) for row in batch]
    assert [row[0] for row in rows] == list(range(head_id + 1, head_id + 1 + len(events)))
    previous = head_hash
    for row, event in zip(rows, events, strict=True):
        fields = dict(zip(audit.COLUMNS, row, strict=True))
        assert fields["prev_hash"] == previous
        assert fields["detail"] == audit.canonical_json(event["detail"])
        assert fields["hash"] == defined_hash(fields) == audit.event_hash(fields)
        previous = fields["hash"]


def test_an_unknown_event_field_is_a_bug_caught_before_anything_is_written(station: Station) -> None:
    import pytest

    before = _chain(station.path)
    with pytest.raises(TypeError, match="colour"), station.store._tx() as conn:
        audit.append_many(conn, [{"at": "2026-01-01", "event": audit.LOGIN, "colour": "red"}])
    assert _chain(station.path) == before
