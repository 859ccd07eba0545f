"""Migration 0024's dashboard_events stays what its definition says whatever is written, in any order:
one row per return or approval whose record exists, with the record's form and start and, for an
approval, the first submission of the same record and revision (the dashboard reads only this)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.store import db, keys

# The definition, as the migration's back-fill writes it.
EXPECTED = (
    "SELECT e.id, e.event, e.record_id, e.revision, r.form_id, r.created_at, e.at, "
    "CASE WHEN e.event = 'approved' THEN (SELECT min(s.at) FROM audit_events AS s WHERE s.event = 'submitted' "
    "AND s.record_id = e.record_id AND s.revision IS e.revision) END "
    "FROM audit_events AS e JOIN records AS r ON r.id = e.record_id "
    "WHERE e.event IN ('returned', 'approved') ORDER BY e.id"
)
ROWS = (
    "SELECT event_id, event, record_id, revision, form_id, started_at, at, submitted_at FROM dashboard_events "
    "ORDER BY event_id"
)


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path, key = tmp_path_factory.mktemp("events") / "e.sqlite3", keys.new_key()
    keys.remember(path, key)
    connection = db.connect(path, create=True, key=key)
    connection.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    connection.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    yield connection
    connection.close()


_ids = st.sampled_from(["a", "b", "c"])
_stamps = st.sampled_from(
    [
        "2026-03-02T10:00:00.000000+00:00",
        "2026-03-02T12:30:00.250000+00:00",
        "2026-03-03T08:00:00.000000+00:00",
        "2026-03-02T13:00:00+01:00",
        "2026-03-02 09:00",
    ]
)
_ops = st.lists(
    st.one_of(
        st.tuples(st.just("record"), _ids, st.sampled_from(["f", "g"]), _stamps),
        st.tuples(
            st.just("event"),
            st.sampled_from(["submitted", "returned", "approved", "collection"]),
            st.one_of(_ids, st.none()),
            st.sampled_from([1, 2, None]),
            _stamps,
        ),
        st.tuples(st.just("move"), _ids, st.sampled_from(["id", "form_id", "created_at"]), _ids),
        st.tuples(st.just("delete_record"), _ids),
        st.tuples(st.just("delete_event"), st.integers(0, 12)),
    ),
    max_size=14,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_ops)
def test_dashboard_events_follow_their_definition(
    conn: sqlite3.Connection, ops: list[tuple[object, ...]]
) -> None:
    conn.execute("SAVEPOINT example")
    try:
        conn.execute("DROP TRIGGER audit_events_no_delete")  # removing events: only a test does that
        for op in ops:
            _apply(conn, op)
            assert conn.execute(ROWS).fetchall() == conn.execute(EXPECTED).fetchall(), op
    finally:
        conn.execute("ROLLBACK TO example")
        conn.execute("RELEASE example")


def _apply(conn: sqlite3.Connection, op: tuple[object, ...]) -> None:
    kind = op[0]
    if kind == "record":
        conn.execute(
            "INSERT OR IGNORE INTO records (id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
            "updated_at) VALUES (?, ?, 'h', 1, 1, 'approved', ?, 't')",
            op[1:],
        )
    elif kind == "event":
        _event, record_id, revision, at = op[1:]
        conn.execute(
            "INSERT INTO audit_events (at, event, record_id, revision, prev_hash, hash) VALUES (?, ?, ?, ?, '', '')",
            (at, _event, record_id, revision),
        )
    elif kind == "move":
        record_id, column, value = op[1:]
        new = {
            "id": f"{value}2",
            "form_id": "g" if value == "a" else "f",
            "created_at": f"2026-03-0{len(str(value))}",
        }
        conn.execute(f"UPDATE OR IGNORE records SET {column} = ? WHERE id = ?", (new[str(column)], record_id))
    elif kind == "delete_record":
        conn.execute("DELETE FROM records WHERE id = ?", (op[1],))
    else:
        conn.execute(
            "DELETE FROM audit_events WHERE id = (SELECT id FROM audit_events ORDER BY id LIMIT 1 OFFSET ?)",
            (op[1],),
        )
