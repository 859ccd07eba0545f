"""HQ's Part A finds the repeat victims in PostgreSQL (``hq.figures.repeat_days_sql``): generated
records, written straight into ``hq_records``, give the figures the pure ``parta.compute_part_a`` gives
for the same records — every figure, the repeat victims and the repeat records, force-wide and for one
borough. The dates crowd round the period's edges, the 12-month window and the 29th of February;
victims recur on the same day, across boroughs and in drafts. Runs on the throw-away cluster."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk import paths
from dsvdesk.engine.loader import load_forms_dir
from dsvdesk.engine.spec import FormSpec
from dsvdesk.engine.vocabulary import vocabulary_of
from dsvdesk.hq import db as hq_db
from dsvdesk.hq import figures
from dsvdesk.reporting.pack import part_a_source_form
from dsvdesk.reporting.parta import SHARED_COLUMNS, Period, compute_part_a
from tests.unit.board.fixtures import Row

# A period holding the 29th of February 2024; its 12-month lookback starts 2022-09-01.
PERIOD = Period(dt.date(2023, 9, 1), dt.date(2024, 8, 31))
EDGES = [
    "2022-08-31",  # the day before the lookback
    "2022-09-01",
    "2023-02-28",  # 12 months before 2024-02-29 (and before 2024-02-28)
    "2023-03-01",
    "2023-08-31",
    "2023-09-01",  # the period's first day
    "2024-02-28",
    "2024-02-29",
    "2024-03-01",
    "2024-08-31",  # its last day
    "2024-09-01",
]
_SPECS = load_forms_dir(paths.forms_dir())
SPEC: FormSpec = _SPECS[part_a_source_form(_SPECS)]
VOCABULARY = vocabulary_of(SPEC)

day_strategy = st.one_of(
    st.sampled_from(EDGES),
    st.integers(-20, 760).map(lambda n: (PERIOD.lookback_start + dt.timedelta(days=n)).isoformat()),
)
record_strategy = st.tuples(
    st.sampled_from([None, "k1", "k2", "k3", "k4"]),  # the victim index (None: no name or birth date)
    day_strategy,
    st.sampled_from(["approved", "approved", "approved", "submitted", "draft"]),
    st.sampled_from(["Holloway", "Islington"]),
    st.sampled_from([None, *VOCABULARY.grade_values]),
    st.sampled_from([None, "yes", "no"]),  # arrested
    st.one_of(st.none(), st.integers(0, 90)),  # victim age
    st.booleans(),  # a MARAC referral was made
)


@pytest.fixture(scope="module")
def hq_conn(pg_cluster: Any) -> Iterator[Any]:
    url = str(pg_cluster.new_database(f"hq_{uuid.uuid4().hex[:10]}"))
    with hq_db.connect(url) as conn:
        hq_db.migrate(conn)
        conn.execute(
            "INSERT INTO hq_units (id, uid, name, code, borough, added_at) "
            "VALUES (1, 'u1', 'Station', 'S', 'Holloway', now())"
        )
        yield conn


def _write(conn: Any, records: list[tuple[Any, ...]]) -> list[tuple[Row, str]]:
    conn.execute("TRUNCATE hq_records")
    rows: list[tuple[Row, str]] = []
    with conn.transaction(), conn.cursor() as cursor:
        for n, (key, day, status, borough, grade, arrested, age, referral) in enumerate(records):
            values: dict[str, Any] = {
                "incident_date": day,
                "victim_key": key,
                "victim_age": age,
                "grade": grade,
                "arrested": arrested,
                "marac_referral_date": day if referral else None,
            }
            record_id = f"r{n:03d}"
            cursor.execute(
                "INSERT INTO hq_records (id, station_id, borough, form_id, status, revision, vector, "
                "incident_date, shared, referral, victim_age, victim_key, sealed, updated_at) "
                "VALUES (%s, 1, %s, %s, %s, 1, '{}', %s, %s, %s, %s, %s, '\\x00', now())",
                (
                    record_id,
                    borough,
                    SPEC.id,
                    status,
                    day,
                    json.dumps([values.get(c) for c in SHARED_COLUMNS]),
                    referral,
                    age,
                    key,
                ),
            )
            rows.append((Row(record_id, status, values), borough))
    return rows


def _same(at_hq: Any, reference: Any) -> None:
    assert [(f.key, f.value) for f in at_hq.figures()] == [(f.key, f.value) for f in reference.figures()]
    assert (at_hq.repeat_victims, at_hq.repeat_records) == (
        reference.repeat_victims,
        len(reference.repeat_matches),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(record_strategy, max_size=40))
def test_hq_repeat_victims_follow_the_rule(hq_conn: Any, records: list[tuple[Any, ...]]) -> None:
    rows = _write(hq_conn, records)
    _same(
        figures.part_a(hq_conn, SPEC, PERIOD),
        compute_part_a([r for r, _b in rows], PERIOD, vocabulary=VOCABULARY),
    )
    _same(
        figures.part_a(hq_conn, SPEC, PERIOD, borough="islington"),  # a borough's victims match in it only
        compute_part_a([r for r, b in rows if b == "Islington"], PERIOD, vocabulary=VOCABULARY),
    )


def test_hq_repeat_at_the_29th_of_february(hq_conn: Any) -> None:
    """2024-02-29 reaches back to 2023-02-28, not to 2023-03-01 (PostgreSQL's month arithmetic, as
    ``parta.add_months``); a record the same day is not an earlier one."""
    base = (None, "no", 40, False)
    _write(
        hq_conn,
        [
            ("k1", "2023-02-28", "approved", "Holloway", *base),
            ("k1", "2024-02-29", "approved", "Holloway", *base),
            ("k2", "2023-02-27", "approved", "Holloway", *base),
            ("k2", "2024-02-29", "approved", "Holloway", *base),
            ("k3", "2024-03-01", "approved", "Holloway", *base),
            ("k3", "2024-03-01", "approved", "Holloway", *base),
        ],
    )
    part_a = figures.part_a(hq_conn, SPEC, PERIOD)
    assert (part_a.repeat_victims, part_a.repeat_records, part_a.repeat_matches) == (1, 1, ())
