"""Part A's grouped read must give exactly the figures of the reference path, through a real store.

``pack.read_part_a`` lets SQLite count the approved records in groups (``queries.fetch_period_counts``:
shared values packed by ``json_array``, the referral date as made-or-not, the month, the age band worked
out in SQL) and match only records whose ``victim_key`` recurs. The reference is ``compute_part_a``
over one mapping per record (``queries.fetch_period_rows``). Open-ended values are generated here (odd
spellings, numbers as text, dates of birth that are not dates, names that normalise alike) and written
straight into the records table, as a save would write them, for each example."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.reporting import queries
from dsvdesk.reporting.pack import read_part_a
from dsvdesk.reporting.parta import COLUMNS, KEY_COLUMNS, Period, compute_part_a
from dsvdesk.store import Session, Store
from dsvdesk.store.records import TABLE_COLUMNS, victim_key
from tests.unit.board.fixtures import FORM_124D, VOCABULARY

PASSWORD = "correct horse battery"
PERIOD = Period(date(2010, 4, 1), date(2011, 3, 31))
INV = dataclasses.replace(FORM_124D, id="inv")  # the rows below are stored under the form id "inv"

# What a store column can hold: text (no NUL, no lone surrogate: not UTF-8), whole numbers, decimals
# SQLite prints back exactly, and nothing.
text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12)
scalars = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12),
    text,
    st.decimals(-1000, 1000, places=2, allow_nan=False, allow_infinity=False).map(float),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(scalars, min_size=1, max_size=12))
def test_json_array_gives_back_the_column_values(values: list[Any]) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE t ({', '.join(f'c{i} ANY' for i in range(len(values)))}) STRICT")
    conn.execute(f"INSERT INTO t VALUES ({', '.join('?' for _ in values)})", values)
    stored = conn.execute(f"SELECT {', '.join(f'c{i}' for i in range(len(values)))} FROM t").fetchone()
    packed = conn.execute(
        f"SELECT json_array({', '.join(f'c{i}' for i in range(len(values)))}) FROM t"
    ).fetchone()[0]
    assert json.loads(packed) == list(stored)


def _odd(*usual: Any) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(usual), st.none(), text)


days = st.integers(-400, 400).map(lambda n: (PERIOD.start + timedelta(days=n)).isoformat())
record_values = st.fixed_dictionaries(
    {
        "victim_name": st.sampled_from(
            ["Zoë Smith", "SMITH, Zoe", "zoe  smith", "Ann Lee", "李 娜", "", None]
        ),
        "victim_dob": st.one_of(
            st.sampled_from(
                [
                    "1990-05-05",
                    "1970-02-01",
                    "1990-05-05T00:00",
                    "2001-13-40",
                    "1990-02-30",
                    "0000-01-01",
                    "1994-W01-1",
                    "",
                    "unknown",
                    None,
                ]
            ),
            st.integers(-100 * 366, 0).map(lambda n: (PERIOD.start + timedelta(days=n)).isoformat()),
        ),
        "incident_date": days,
        "grade": _odd("standard", "medium", "high", "HIGH "),
        "officer_grade": _odd("standard", "medium", "high"),
        "yes_count": st.one_of(
            st.integers(-1, 30), st.none()
        ),  # an INTEGER column: the store makes it a number
        "children_count": st.one_of(st.integers(-1, 6), st.none(), st.just("2")),
        "merlin_missing": st.one_of(st.integers(0, 3), st.sampled_from(["yes", "no"]), st.none()),
        "marac_referral_date": st.one_of(
            st.none(), st.sampled_from(["", "  ", "\t", " 2010-05-01", "-", 0, 7]), days
        ),
        "marac_criteria": _odd(
            "visible_high_risk", "visible_high_risk, repeat", "Repeat referral; escalation"
        ),
        "hbv_flag": _odd("yes", "no"),
        "arrested": _odd("yes", "no", "Y", "0"),
        "victim_sex": _odd("female", "male", "F", "not_stated"),
        "victim_ethnic_group": _odd("white", "bme", "BME"),
        "victim_disability": _odd("yes", "no", "mental_health, physical", "none"),
        "previous_incidents_12m": st.one_of(st.integers(0, 5), st.none()),
    }
)


def _born_near_a_band_edge(values: dict[str, Any], years: int, shift: int) -> dict[str, Any]:
    """The victim turns 16, 36 or 61 around the incident date (the day before, on it, the day after)."""
    incident = date.fromisoformat(values["incident_date"])
    born = (
        incident.replace(year=incident.year - years)
        if (incident.month, incident.day) != (2, 29)
        else incident
    )
    return {**values, "victim_dob": (born + timedelta(days=shift)).isoformat()}


edge_values = st.builds(
    _born_near_a_band_edge, record_values, st.sampled_from([16, 36, 61]), st.sampled_from([-1, 0, 1])
)
records = st.lists(
    st.tuples(
        st.sampled_from(["approved", "approved", "submitted", "returned", "draft"]),
        st.one_of(record_values, edge_values),
    ),
    max_size=40,
)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Session]]:
    store = Store.open(Path(tmp_path_factory.mktemp("grouped")) / "station.sqlite3", create=True)
    store.init_station("Islington", "admin", "Ada Admin", PASSWORD)
    admin = store.login("admin", PASSWORD)
    store.add_user(admin, "sup1", "supervisor", "Jane Smith", "2001", PASSWORD, PASSWORD)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
            "VALUES ('h', 'inv', '1', 'inv.yaml', '', 't')"
        )
    yield store, store.login("sup1", PASSWORD)
    store.close()


def _write(store: Store, made: list[tuple[str, dict[str, Any]]]) -> None:
    """The records as a save writes them: the table columns and the victim key (no answers needed)."""
    names = ", ".join(TABLE_COLUMNS)
    with store.transaction() as conn:
        conn.execute("DELETE FROM records")
        for i, (status, values) in enumerate(made):
            conn.execute(
                f"INSERT INTO records (id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
                f"updated_at, {names}, victim_key, columns_json) VALUES (?, 'inv', 'h', 1, 1, ?, 't', 't', "
                f"{', '.join('?' for _ in TABLE_COLUMNS)}, ?, ?)",
                (
                    f"r{i:03d}",
                    status,
                    *(values.get(n) for n in TABLE_COLUMNS),
                    victim_key(values),
                    json.dumps(values, ensure_ascii=False),
                ),
            )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(made=records)
def test_the_grouped_read_gives_the_reference_figures(
    station: tuple[Store, Session], made: list[tuple[str, dict[str, Any]]]
) -> None:
    store, session = station
    _write(store, made)
    rows = queries.fetch_period_rows(
        store,
        session,
        form_id="inv",
        start=PERIOD.lookback_start,
        end=PERIOD.end,
        columns=COLUMNS,
        purpose="test",
        key_columns=KEY_COLUMNS,
        detail_from=PERIOD.start,
    )
    reference = compute_part_a(rows, PERIOD, vocabulary=VOCABULARY)
    grouped = read_part_a(store, session, PERIOD, spec=INV)
    assert grouped.to_json() == reference.to_json()
    assert grouped.repeat_matches == reference.repeat_matches
