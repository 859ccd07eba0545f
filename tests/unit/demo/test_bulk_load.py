"""How bulk records are written: batching, the audit chain's hashes, the journal during the load, and a
failed load leaving the database exactly as it was."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsvdesk import demo
from dsvdesk.demo import people  # noqa: F401 - demo.people.Weighted
from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import Store, bulk
from tests.helpers.encrypted import raw_connect
from tests.unit.demo.conftest import TODAY, copy_database

# Sealed parts (issue 15) carry random keys and nonces: every column but those is compared, and the
# keys and their wraps by what they are for.
_RANDOM = {"sealed_answers", "sealed_columns", "sealed_comment"}
CONTENT = (
    "SELECT * FROM records ORDER BY seq",
    "SELECT token, seq FROM search_tokens ORDER BY token, seq",
    "SELECT * FROM review_comments ORDER BY id",
    "SELECT id, kind, record_id, user_id FROM sealed_keys ORDER BY id",
    "SELECT key_id, recipient FROM key_wraps ORDER BY key_id, recipient",
    "SELECT * FROM urn_counters ORDER BY year",
    "SELECT * FROM audit_events ORDER BY id",
    "SELECT * FROM audit_head",
    "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name",
)


def content(path: Path) -> list[list[tuple[Any, ...]]]:
    conn = raw_connect(path)
    try:
        found = []
        for sql in CONTENT:
            cursor = conn.execute(sql)
            names = [d[0] for d in cursor.description]
            found.append(
                [
                    tuple(v for n, v in zip(names, row, strict=True) if n not in _RANDOM)
                    for row in cursor.fetchall()
                ]
            )
        return found
    finally:
        conn.close()


def journal_mode(path: Path) -> str:
    conn = raw_connect(path)
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def test_small_batches_write_the_same_database_as_large_ones(
    station: Path, tmp_path: Path, spec: FormSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch sizes and rows per statement are a matter of speed only: the rows, their order, the
    implicit ids and the audit chain come out the same."""
    other = copy_database(station, tmp_path / "other.sqlite3")
    demo.bulk_insert_records(station, spec, count=90, seed=8, today=TODAY, templates_per_group=2)
    monkeypatch.setattr(bulk, "BATCH", 7)
    monkeypatch.setattr(bulk, "AUDIT_BATCH", 11)
    monkeypatch.setattr(bulk, "PARAMETERS_PER_STATEMENT", 100)  # a few rows per statement
    demo.bulk_insert_records(other, spec, count=90, seed=8, today=TODAY, templates_per_group=2)
    assert content(station) == content(other)
    with Store.open(other) as store:
        assert store.verify_audit().ok


def _sign_in_demo_accounts(path: Path) -> None:
    """As `dsvdesk demo --records` does: the load then makes the search rows itself (none pending)."""
    with Store.open(path) as store:
        for account in demo.DEMO_ACCOUNTS:
            if account.role in ("officer", "supervisor"):
                store.login(account.username, account.password)


def test_search_rows_built_aside_are_the_rows_the_writer_inserts(
    station: Path, tmp_path: Path, spec: FormSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into an empty search table the rows are built on their own thread in memory and copied in; a
    load into a table that has rows inserts them itself. Both give the same database."""
    other = copy_database(station, tmp_path / "other.sqlite3")
    for path in (station, other):
        _sign_in_demo_accounts(path)
    built_aside: list[bool] = []
    for_load = bulk._SearchBuilder.for_load

    def spy(conn: Any) -> Any:
        builder = for_load(conn)
        built_aside.append(builder is not None)
        return builder

    monkeypatch.setattr(bulk._SearchBuilder, "for_load", staticmethod(spy))
    demo.bulk_insert_records(station, spec, count=60, seed=8, today=TODAY, templates_per_group=2)
    monkeypatch.setattr(bulk._SearchBuilder, "for_load", staticmethod(lambda conn: None))
    demo.bulk_insert_records(other, spec, count=60, seed=8, today=TODAY, templates_per_group=2)
    assert built_aside == [True]
    # the records and their search rows (the sign-ins' own audit events differ in their times)
    assert content(station)[:2] == content(other)[:2]
    assert len(content(station)[1]) > 60 * 10  # the search rows were made by the load (none pending)
    # a second load finds rows in the table: the writer inserts its rows itself, beside the first's
    monkeypatch.setattr(bulk._SearchBuilder, "for_load", staticmethod(spy))
    demo.bulk_insert_records(station, spec, count=30, seed=9, today=TODAY, templates_per_group=2)
    assert built_aside == [True, False]
    conn = raw_connect(station)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(DISTINCT seq) FROM search_tokens").fetchone() == (90,)
    finally:
        conn.close()


def test_the_database_is_back_in_wal_mode_and_its_schema_unchanged(station: Path, spec: FormSpec) -> None:
    schema_before = content(station)[-1]
    demo.bulk_insert_records(station, spec, count=30, seed=3, today=TODAY, templates_per_group=2)
    assert journal_mode(station) == "wal"
    assert content(station)[-1] == schema_before
    conn = raw_connect(station)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


def test_a_load_while_another_connection_is_open_stays_in_wal_mode(station: Path, spec: FormSpec) -> None:
    """The app may have the database open: the load cannot switch journals then, and still works."""
    with Store.open(station) as other:
        demo.bulk_insert_records(station, spec, count=30, seed=3, today=TODAY, templates_per_group=2)
        assert journal_mode(station) == "wal"
        assert other.verify_audit().ok
    assert len(content(station)[0]) == 30


def test_a_failure_while_making_rows_leaves_the_database_as_it_was(
    station: Path, spec: FormSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.bulk_insert_records(station, spec, count=20, seed=1, today=TODAY, templates_per_group=2)
    before = content(station)
    made = 0
    apply = bulk._ColumnDeriver.apply

    def failing_apply(self: bulk._ColumnDeriver, shape: Any, changed: Any) -> dict[str, Any]:
        nonlocal made
        made += 1
        if made == 25:  # after the audit rows and two batches have gone to the writer
            raise RuntimeError("the maker failed")
        return apply(self, shape, changed)

    monkeypatch.setattr(bulk, "BATCH", 10)
    monkeypatch.setattr(bulk._ColumnDeriver, "apply", failing_apply)
    with pytest.raises(RuntimeError, match="the maker failed"):
        demo.bulk_insert_records(station, spec, count=40, seed=2, today=TODAY, templates_per_group=2)
    assert content(station) == before
    assert journal_mode(station) == "wal"
    assert not Path(f"{station}-journal").exists()
    with Store.open(station) as store:
        assert store.verify_audit().ok


def test_a_failure_building_the_search_rows_leaves_the_database_as_it_was(
    station: Path, spec: FormSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sign_in_demo_accounts(station)
    before = content(station)
    monkeypatch.setattr(bulk, "BATCH", 10)
    monkeypatch.setattr(
        bulk, "_INSERT_TOKENS_SQL", "INSERT INTO no_such_table SELECT value FROM json_each(?)"
    )
    with pytest.raises(Exception, match="no_such_table"):
        demo.bulk_insert_records(station, spec, count=40, seed=2, today=TODAY, templates_per_group=2)
    assert content(station) == before
    assert journal_mode(station) == "wal"
    with Store.open(station) as store:
        assert store.verify_audit().ok


def test_rows_go_in_whatever_sqlites_parameter_limit(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "limit.sqlite3")
    try:
        conn.execute("CREATE TABLE t (a INTEGER, b TEXT, c TEXT)")
        conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 8)  # two rows of three per statement
        rows = [(n, f"row {n}", "ł" * n) for n in range(23)]
        bulk.insert_rows(conn, "t", ("a", "b", "c"), rows)
        assert conn.execute("SELECT a, b, c FROM t ORDER BY rowid").fetchall() == rows
    finally:
        conn.close()


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), weights=st.lists(st.integers(0, 50), min_size=1, max_size=25).filter(any))
def test_weighted_picks_are_the_draws_random_choices_makes(seed: int, weights: list[int]) -> None:
    population = list(range(len(weights)))
    weighted = demo.people.Weighted(population, weights)
    mine, theirs = random.Random(seed), random.Random(seed)
    assert [weighted.pick(mine) for _ in range(20)] == [
        theirs.choices(population, weights)[0] for _ in range(20)
    ]


def test_demo_data_is_never_in_the_future_whatever_the_hour() -> None:
    # made just after midnight, records "of today" would carry times still to come, which the forms refuse
    today = dt.date(2026, 11, 26)
    plans = demo.plan_records(300, seed=7, today=today, officers=2)
    latest = max(max(p.incident_at, p.created_at) for p in plans)
    assert latest <= dt.datetime(2026, 11, 25, 23, 0) == demo.last_moment(today)


def test_the_plans_for_a_seed_have_not_changed() -> None:
    """A seed's data is part of the benchmark: the first plans of seed 124 as they have always been."""
    plans = demo.plan_records(200, seed=124, today=dt.date(2026, 11, 25), officers=1)
    digest = [
        (
            p.record_id,
            p.status,
            p.victim.full_name,
            p.suspect.full_name,
            len(p.children),
            p.yes_target,
            p.previous_incidents,
            p.incident_at.isoformat(),
        )
        for p in plans[:3]
    ]
    assert digest == EXPECTED_FIRST_PLANS
    assert {p.status for p in plans} == set(demo.STATUSES)


# Made by the generator before its speed-ups (commit b2dfe03), every date one day earlier since demo data
# ends at 23:00 the day before `today` (demo.last_moment), so that none of it is ever in the future.
EXPECTED_FIRST_PLANS = [
    (
        "f857f28a-3468-4530-9a6f-c20505b81019",
        "approved",
        "Krzysztof Żółć",
        "Łucja Zieliński",
        0,
        3,
        0,
        "2025-06-04T04:46:00",
    ),
    (
        "c9fa31fd-a282-49dd-afb1-2099c1f13d5d",
        "approved",
        "নাসরিন আহমেদ",
        "Jamie Jackson",
        0,
        10,
        0,
        "2025-06-10T01:47:00",
    ),
    (
        "3969a0c9-de88-4578-ac5a-c8311cd2428b",
        "approved",
        "عائشة النجار",
        "حسن منصور",
        0,
        10,
        0,
        "2025-06-15T07:41:00",
    ),
]


def test_the_garbage_collector_is_left_as_it_was(station: Path, spec: FormSpec) -> None:
    import gc

    assert gc.isenabled()
    demo.bulk_insert_records(station, spec, count=5, seed=4, today=TODAY, templates_per_group=1)
    assert gc.isenabled()
    gc.disable()
    try:
        demo.bulk_insert_records(station, spec, count=5, seed=5, today=TODAY, templates_per_group=1)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(demo.DemoSetupError):
        demo.bulk_insert_records(station, spec, count=5, seed=2, today=TODAY, owners=("nobody",))
    assert gc.isenabled()
