"""Sorting an officer's list by any column header (issue 22): every page, in either direction, is
exactly the slice of one reference sort (the column's value, empty values first, then the order the
records were made), whatever the values and ties."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.store.name_order import collation_key
from tests.unit.store.conftest import Station

# the columns My forms sorts by (ui.models.records.DEFAULT_COLUMNS; tests/ui/test_models.py checks)
SORT_KEYS = ("victim_name", "incident_date", "status", "grade", "yes_count", "completeness", "updated_at")

record = st.fixed_dictionaries(
    {},
    optional={
        "victim_name": st.sampled_from(["ann Lee", "Ann lee", "bob", "Bob", "Zed", "åsa"]),
        "incident_date": st.sampled_from(["2026-01-02", "2025-12-31", "2026-01-02"]),
        "officer_grade": st.sampled_from(["standard", "medium", "high"]),
        "dash_q1": st.sampled_from(["yes", "no"]),
        "dash_q2": st.sampled_from(["yes", "no", "dk"]),
    },
)


def _value(row: Any, key: str) -> Any:
    value = getattr(row, key)
    if key == "victim_name":
        # sealed names sort as people read them: case and accents folded ('åsa' with the a's)
        return collation_key(value)
    return str(value) if key == "status" else value


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.lists(record, min_size=1, max_size=7), page=st.integers(min_value=1, max_value=4))
def test_sorted_pages_equal_a_reference_sort(
    station: Station, answers: list[dict[str, str]], page: int
) -> None:
    store, officer = station.store, station["off1"]
    before = {r.id for r in store.list_records(officer, owner=officer.user.id, limit=1000)}
    made: list[str] = []
    for values in answers:
        ref = store.create_record(officer, station.spec)
        if values:
            store.save_answers(officer, ref.id, values, ref.version)
        made.append(ref.id)
    everything = store.list_records(officer, owner=officer.user.id, limit=1000)
    mine = [r for r in everything if r.id not in before]
    created = {record_id: n for n, record_id in enumerate(made)}
    assert {r.id for r in mine} == set(made)
    total = store.count_records(officer, owner=officer.user.id)
    for key in SORT_KEYS:
        for descending in (False, True):

            def order(row: Any, key: str = key) -> tuple[bool, Any, int]:
                value = _value(row, key)
                return (value is not None, value if value is not None else 0, created[row.id])

            expected = [r.id for r in sorted(mine, key=order, reverse=descending)]
            got: list[str] = []
            for offset in range(0, total, page):
                rows = store.list_records(
                    officer, owner=officer.user.id, sort=key, descending=descending, offset=offset, limit=page
                )
                got.extend(r.id for r in rows if r.id in created)
            assert got == expected, (key, descending)
