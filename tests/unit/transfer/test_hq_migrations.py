"""HQ's migration 0003 (issue 17): a database of schema 2 with records moves to 3 with its records
kept, and Part A's reads (the grouped period, the two years of victim keys, the records started) find
everything they read in the one index ``hq_records_part_a`` (index-only scans), the indexes it replaces
gone. Runs on the throw-away cluster."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from dsvdesk import paths
from dsvdesk.engine.loader import load_forms_dir
from dsvdesk.hq import db as hq_db
from dsvdesk.hq import figures
from dsvdesk.reporting.pack import part_a_source_form
from dsvdesk.reporting.parta import SHARED_COLUMNS, Period

PERIOD = Period(dt.date(2026, 1, 1), dt.date(2026, 11, 30))


@pytest.fixture
def conn(pg_cluster: Any) -> Iterator[Any]:
    url = str(pg_cluster.new_database(f"hq_{uuid.uuid4().hex[:10]}"))
    with hq_db.connect(url) as connection:
        yield connection


def _migrate_to(conn: Any, version: int) -> None:
    """Schema `version` as an older DSVDesk left it (its migrations only)."""
    conn.execute(
        "CREATE TABLE hq_schema (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    for number, name, sql in hq_db.migrations():
        if number <= version:
            conn.execute(sql.encode("utf-8"))
            conn.execute("INSERT INTO hq_schema (version, name) VALUES (%s, %s)", (number, name))


def _indexes(conn: Any) -> set[str]:
    return {
        str(r[0]) for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'hq_records'")
    }


def _plans(conn: Any, spec_id: str) -> list[str]:
    """The plan of every statement Part A runs, with sequential and bitmap scans ruled out (a few rows
    would make the planner read the table whatever the indexes)."""
    floor_sql = "CASE WHEN victim_age >= 18 THEN 18 ELSE -1 END"
    params = {"form": spec_id, "start": PERIOD.start, "end": PERIOD.end, "lookback": PERIOD.lookback_start}
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL enable_bitmapscan = off")
        return [
            "\n".join(str(r[0]) for r in conn.execute("EXPLAIN " + sql, params))
            for sql in (
                figures.counts_sql(floor_sql, by_borough=False),
                figures.started_sql(by_borough=False),
            )
        ]


def test_0003_keeps_the_records_and_part_a_reads_only_its_index(conn: Any) -> None:
    specs = load_forms_dir(paths.forms_dir())
    spec = specs[part_a_source_form(specs)]
    _migrate_to(conn, 2)
    assert hq_db.schema_version(conn) == 2
    assert {"hq_records_period", "hq_records_victim"} <= _indexes(conn)
    conn.execute(
        "INSERT INTO hq_units (id, uid, name, code, borough, added_at) VALUES (1, 'u1', 'S', 'S', 'Islington', now())"
    )
    shared = json.dumps([None] * len(SHARED_COLUMNS))
    for n, (day, key) in enumerate([("2025-06-01", "k1"), ("2026-03-01", "k1"), ("2026-04-01", "k2")]):
        conn.execute(
            "INSERT INTO hq_records (id, station_id, borough, form_id, status, revision, vector, incident_date, "
            "shared, referral, victim_age, victim_key, sealed, updated_at) "
            "VALUES (%s, 1, 'Islington', %s, 'approved', 1, '{}', %s, %s, false, 30, %s, '\\x00', now())",
            (f"r{n}", spec.id, day, shared, key),
        )

    assert hq_db.migrate(conn) == hq_db.CURRENT_VERSION >= 3
    indexes = _indexes(conn)
    assert "hq_records_part_a" in indexes
    assert not {"hq_records_period", "hq_records_victim"} & indexes
    part_a = figures.part_a(conn, spec, PERIOD)
    assert (part_a.records, part_a.started, part_a.repeat_records, part_a.repeat_victims) == (2, 2, 1, 1)
    for plan in _plans(conn, spec.id):
        scans = [line for line in plan.splitlines() if " on hq_records " in line]  # every read of the table
        assert scans and all("Index Only Scan using hq_records_part_a" in line for line in scans), plan
