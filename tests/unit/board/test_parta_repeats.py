"""The repeat-victim matching (sorted histories + bisect) equals the rule read literally."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dsvdesk.reporting.parta import REPEAT_WINDOW_MONTHS, Period, add_months, compute_part_a
from tests.unit.board.fixtures import VOCABULARY, Row

PERIOD = Period(date(2010, 4, 1), date(2011, 3, 31))
NAMES = ["Zoë Smith", "SMITH, zoe", "Ann Jones", "Łucja Nowak"]
DOBS = ["1980-01-02", "1990-05-06"]

rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(NAMES),
        st.sampled_from(DOBS),
        st.integers(0, 730),
        st.sampled_from(["approved", "approved", "submitted"]),
    ),
    max_size=40,
)


def literal_matches(rows: list[Row]) -> list[tuple[str, tuple[str, ...]]]:
    from dsvdesk.store.search import name_key as normalise_name

    def key(r: Row) -> tuple[str, str]:
        return normalise_name(r.values["victim_name"]), str(r.values["victim_dob"])

    approved = [r for r in rows if r.status == "approved"]
    out = []
    for r in sorted(
        (r for r in approved if date.fromisoformat(r.values["incident_date"]) in PERIOD),
        key=lambda r: (r.values["incident_date"], r.record_id),
    ):
        day = date.fromisoformat(r.values["incident_date"])
        start = add_months(day, -REPEAT_WINDOW_MONTHS)
        earlier = sorted(
            (date.fromisoformat(c.values["incident_date"]), c.record_id)
            for c in approved
            if key(c) == key(r) and start <= date.fromisoformat(c.values["incident_date"]) < day
        )
        if earlier:
            out.append((r.record_id, tuple(i for _d, i in earlier)))
    return out


@settings(max_examples=60, deadline=None)
@given(rows_strategy)
def test_matches_equal_the_literal_rule(spec: list[tuple[str, str, int, str]]) -> None:
    rows = [
        Row(
            f"r{n:03d}",
            status,
            {
                "victim_name": name,
                "victim_dob": dob,
                "incident_date": (PERIOD.lookback_start + timedelta(days=offset)).isoformat(),
            },
        )
        for n, (name, dob, offset, status) in enumerate(spec)
    ]
    found = [
        (m.record_id, m.earlier_record_ids)
        for m in compute_part_a(rows, PERIOD, vocabulary=VOCABULARY).repeat_matches
    ]
    assert found == literal_matches(rows)
