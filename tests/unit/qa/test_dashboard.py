"""Dashboard figures against a hand-counted fixture dataset; supervisors only; the read is logged
without personal data; pure invariants checked with hypothesis."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.engine.loader import load_form_text
from dsvdesk.engine.vocabulary import vocabulary_of
from dsvdesk.reporting.dashboard import (
    EMPTY_MESSAGE,
    CohortRow,
    DashboardRecord,
    Period,
    compute_dashboard,
    compute_figures,
    dashboard_form_id,
    preset_period,
)
from dsvdesk.store import InvalidInput, PermissionDenied
from tests.unit.qa.conftest import QaStation
from tests.unit.qa.forms import QA_FORM

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def march(qa: QaStation) -> dict[str, str]:
    """Six 124Q records started in March 2026 (A–F), one in February and one in April, and one record
    of another form in March. By hand:

    | rec | officer | grade (final)          | MARAC            | children (missing) | lifecycle                      |
    | A   | off1    | high                   | date 03-02       | 2 (0)              | sub 03-02 09:00, appr 15:00 (6 h) |
    | B   | off1    | medium                 | -                | 1 (1)              | sub 03-05 10:00, returned, resub 03-06, appr 03-07 10:00 (48 h) |
    | C   | off2    | standard→medium (sup.) | -                | 0                  | sub 03-10 (waiting)            |
    | D   | off2    | high                   | - (required!)    | 0                  | sub 03-11 (waiting)            |
    | E   | off1    | (draft)                | -                | -                  | draft                          |
    | F   | off2    | standard               | criterion + date | 0                  | sub 03-12 08:00, appr 11:00 (3 h) |
    """
    a = qa.create(
        "off1",
        "2026-03-01T08:00",
        victim_name="A",
        officer_grade="high",
        marac_referral_date="2026-03-02",
        children=[{"name": "A1", "present": "yes", "merlin_ref": "M1"}, {"name": "A2", "present": "no"}],
    )
    qa.submit("off1", a, "2026-03-02T09:00")
    qa.approve("sup1", a, "2026-03-02T15:00")

    b = qa.create(
        "off1",
        "2026-03-04T08:00",
        victim_name="B",
        officer_grade="medium",
        children=[{"name": "B1", "present": "yes"}],
    )
    qa.submit("off1", b, "2026-03-05T10:00")
    qa.give_back("sup2", b, "2026-03-05T12:00")
    qa.submit("off1", b, "2026-03-06T10:00")
    qa.approve("sup2", b, "2026-03-07T10:00")

    c = qa.create("off2", "2026-03-09T08:00", victim_name="C", officer_grade="standard")
    qa.submit("off2", c, "2026-03-10T08:00")
    qa.regrade("sup1", c, "2026-03-10T09:00", "medium")

    d = qa.create("off2", "2026-03-10T08:00", victim_name="D", officer_grade="high")
    qa.submit("off2", d, "2026-03-11T08:00")

    e = qa.create("off1", "2026-03-20T08:00", victim_name="E")

    f = qa.create(
        "off2",
        "2026-03-31T23:59",
        victim_name="F",
        officer_grade="standard",
        marac_criteria=["professional_judgement"],
        marac_referral_date="2026-03-31",
    )
    qa.submit("off2", f, "2026-04-01T08:00")
    qa.approve("sup1", f, "2026-04-01T11:00")

    before = qa.create("off1", "2026-02-28T23:59", victim_name="Feb", officer_grade="high")
    qa.submit("off1", before, "2026-03-01T09:00")
    qa.approve("sup1", before, "2026-03-01T10:00")
    qa.create("off1", "2026-04-01T00:00", victim_name="Apr")
    qa.at("2026-03-15T00:00")
    qa.store.create_record(qa["off1"], qa.other, {"victim_name": "Other form"})
    qa.at("2026-04-02T00:00")
    return {"A": a.id, "B": b.id, "C": c.id, "D": d.id, "E": e.id, "F": f.id}


def test_figures_match_the_hand_count(qa: QaStation, march: dict[str, str]) -> None:
    board = compute_dashboard(
        qa.store, qa["sup1"], MARCH, form_id="qa", vocabulary=vocabulary_of(qa.spec), tz=dt.UTC
    )
    got = {f.key: f.value for f in board.figures}
    assert got == {
        "lifecycle.started": 6,
        "lifecycle.submitted": 5,
        "lifecycle.approved": 3,
        "lifecycle.compliance_rate": 50.0,
        "grade.standard": 1,
        "grade.medium": 2,
        "grade.high": 2,
        "grade.not_recorded": 0,
        "marac.required": 3,
        "marac.made": 2,
        "marac.missing": 1,
        "children.with_merlin": 1,
        "children.without_merlin": 1,
        "children.total": 3,
        "children.missing": 1,
        "returned.count": 1,
        "returned.rate": 20.0,
        "timing.median_hours": 6.0,
        "timing.approvals": 3,
    }
    by = {v: k for k, v in march.items()}

    def behind(key: str) -> list[str]:
        return sorted(by[r.id] for r in board.records_for(key))

    assert behind("lifecycle.started") == ["A", "B", "C", "D", "E", "F"]
    assert behind("lifecycle.submitted") == ["A", "B", "C", "D", "F"]
    assert behind("lifecycle.approved") == ["A", "B", "F"]
    assert behind("grade.medium") == ["B", "C"]  # C: the supervisor's raised grade counts
    assert behind("grade.high") == ["A", "D"]
    assert behind("marac.required") == ["A", "D", "F"]
    assert behind("marac.missing") == ["D"]
    assert behind("children.without_merlin") == ["B"]
    assert behind("returned.count") == ["B"]
    assert behind("timing.median_hours") == ["A", "B", "F"]
    assert board.figure("lifecycle.compliance_rate").text == "50%"
    assert board.figure("timing.median_hours").text == "6.0 h"
    first = board.records_for("lifecycle.started")[0]
    assert (first.victim_name, first.officer, first.status) == ("A", "Olive Officer", "approved")
    assert first.urn is not None and board.message == ""


def test_a_period_boundary_is_a_calendar_day_in_the_given_time_zone(
    qa: QaStation, march: dict[str, str]
) -> None:
    # F was started at 23:59 UTC on 31 March: 00:59 on 1 April in London (BST).
    london = dt.timezone(dt.timedelta(hours=1))
    board = compute_dashboard(
        qa.store, qa["sup1"], MARCH, form_id="qa", vocabulary=vocabulary_of(qa.spec), tz=london
    )
    assert march["F"] not in board.figure("lifecycle.started").record_ids


def test_an_empty_period_says_so(qa: QaStation, march: dict[str, str]) -> None:
    board = compute_dashboard(
        qa.store,
        qa["sup1"],
        Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31)),
        form_id="qa",
        vocabulary=vocabulary_of(qa.spec),
        tz=dt.UTC,
    )
    assert board.message == EMPTY_MESSAGE
    assert board.value("lifecycle.started") == 0
    assert board.value("lifecycle.compliance_rate") is None
    assert board.figure("returned.rate").text == "n/a"
    assert board.figure("timing.median_hours").text == "n/a"


def test_only_supervisors(qa: QaStation, march: dict[str, str]) -> None:
    for username in ("off1", "admin"):
        with pytest.raises(PermissionDenied):
            compute_dashboard(qa.store, qa[username], MARCH, form_id="qa", vocabulary=vocabulary_of(qa.spec))


def test_the_read_is_logged_once_without_personal_data(qa: QaStation, march: dict[str, str]) -> None:
    with qa.store.read() as conn:
        before = conn.execute("SELECT max(id) FROM audit_events").fetchone()[0]
    compute_dashboard(qa.store, qa["sup2"], MARCH, form_id="qa", vocabulary=vocabulary_of(qa.spec), tz=dt.UTC)
    with qa.store.read() as conn:
        rows = conn.execute(
            "SELECT event, username, record_id, detail FROM audit_events WHERE id > ?", (before,)
        ).fetchall()
    assert len(rows) == 1
    event, username, record_id, detail = rows[0]
    assert (event, username, record_id) == ("consultation", "sup2", None)
    assert json.loads(detail) == {
        "what": "dashboard",
        "form_id": "qa",
        "from": "2026-03-01",
        "to": "2026-03-31",
        "records": 6,
    }
    assert qa.store.verify_audit().ok


def test_bad_periods() -> None:
    with pytest.raises(InvalidInput, match="before it starts"):
        Period(dt.date(2026, 3, 2), dt.date(2026, 3, 1))
    with pytest.raises(InvalidInput, match="ten years"):
        Period(dt.date(2000, 1, 1), dt.date(2026, 1, 1))
    with pytest.raises(InvalidInput):
        preset_period("next_century", dt.date(2026, 3, 15))


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("last_7_days", "2026-03-09", "2026-03-15"),
        ("last_30_days", "2026-02-14", "2026-03-15"),
        ("this_month", "2026-03-01", "2026-03-15"),
        ("last_month", "2026-02-01", "2026-02-28"),
        ("last_3_months", "2026-01-01", "2026-03-15"),
        ("this_year", "2026-01-01", "2026-03-15"),
    ],
)
def test_presets(name: str, start: str, end: str) -> None:
    period = preset_period(name, dt.date(2026, 3, 15))
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


def test_last_3_months_over_new_year() -> None:
    assert preset_period("last_3_months", dt.date(2026, 1, 10)).start == dt.date(2025, 11, 1)


def test_dashboard_form_choice(qa: QaStation) -> None:
    assert dashboard_form_id({"qa": qa.spec, "other": qa.other}) == "qa"
    assert dashboard_form_id({"other": qa.other}) == "other"
    assert dashboard_form_id({}) is None


_statuses = st.sampled_from(["draft", "submitted", "returned", "approved"])
_rows = st.lists(
    st.tuples(
        _statuses,
        st.booleans(),
        st.sampled_from([None, "", "standard", "medium", "high", "other"]),
        st.integers(min_value=0, max_value=4),
        st.integers(min_value=0, max_value=4),
        st.sampled_from([None, "", "2026-03-02"]),
        st.sampled_from([None, "", "visible_high_risk"]),
    ),
    max_size=25,
)


@given(
    _rows,
    st.lists(
        st.tuples(
            st.integers(0, 30), st.sampled_from(["submitted", "returned", "approved"]), st.integers(0, 500)
        )
    ),
)
def test_figures_hold_together(raw: list, raw_events: list) -> None:  # type: ignore[type-arg]
    rows = []
    for i, (status, ever, grade, children, missing, marac_date, criteria) in enumerate(raw):
        rid = f"r{i}"
        rows.append(
            CohortRow(
                id=rid,
                status=status,
                ever_submitted=ever or status in ("submitted", "approved"),
                urn=f"U{i}" if status == "approved" else None,
                grade=grade,
                columns={
                    "children_count": children,
                    "merlin_missing": min(missing, children),
                    "marac_referral_date": marac_date,
                    "marac_criteria": criteria,
                },
                record=DashboardRecord(
                    rid, None, None, "x", status, grade, None, f"2026-03-01T00:00:{i:02d}"
                ),
            )
        )
    base = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    events = [(f"r{r}", e, 1, (base + dt.timedelta(hours=h)).isoformat()) for r, e, h in raw_events]
    figures = {
        f.key: f
        for f in compute_figures(rows, events, vocabulary=vocabulary_of(load_form_text(QA_FORM, "qa.yaml")))
    }
    started, submitted, approved = (
        figures[f"lifecycle.{k}"].value for k in ("started", "submitted", "approved")
    )
    assert started == len(rows)
    assert approved <= submitted <= started  # type: ignore[operator]
    assert sum(f.value for k, f in figures.items() if k.startswith("grade.")) == submitted  # type: ignore[misc]
    assert figures["marac.missing"].value == len(
        set(figures["marac.required"].record_ids) - set(figures["marac.made"].record_ids)
    )
    assert figures["children.missing"].value <= figures["children.total"].value  # type: ignore[operator]
    assert figures["returned.count"].value <= submitted  # type: ignore[operator]
    for figure in figures.values():
        if figure.unit == "%" and figure.value is not None:
            assert 0 <= figure.value <= 100
        if figure.unit == "" and isinstance(figure.value, int):
            assert figure.value >= 0
    hours = figures["timing.median_hours"].value
    assert hours is None or hours >= 0


# ------------------------------------------------------------------------------------------------
# The figures SQLite counts (compute_dashboard) against the record-by-record definition
# (compute_figures over every row and event, as the dashboard read them before issue 22).


def _reference_figures(qa: QaStation, period: Period) -> dict[str, tuple[object, set[str]]]:
    """The old computation: every record of the period with its columns document, and its lifecycle
    events, counted one by one in Python."""
    first, after = period.bounds_utc(dt.UTC)
    with qa.store.read() as conn:
        rows = [
            CohortRow(
                id=str(r[0]),
                status=str(r[1]),
                ever_submitted=bool(r[2]),
                urn=r[3],
                grade=r[4],
                columns=json.loads(r[5] or "{}"),
                record=DashboardRecord(str(r[0]), None, None, "", str(r[1]), r[4], r[3], ""),
            )
            for r in conn.execute(
                "SELECT id, status, ever_submitted, urn, grade, columns_json FROM records "
                "WHERE form_id = 'qa' AND created_at >= ? AND created_at < ? ORDER BY created_at, seq",
                (first, after),
            )
        ]
        events = [
            (str(e[0]), str(e[1]), e[2], str(e[3]))
            for e in conn.execute(
                "SELECT record_id, event, revision, at FROM audit_events "
                "WHERE event IN ('submitted', 'returned', 'approved') ORDER BY id"
            )
        ]
    figures = compute_figures(rows, events, vocabulary=vocabulary_of(qa.spec))
    return {f.key: (f.value, set(f.record_ids)) for f in figures}


_SPACES = "\t\n\x0b\x0c\r\x1c\x85\xa0\u2003\u2028\u3000 "
_odd_text = st.text(
    alphabet=st.sampled_from([*_SPACES, "y", "E", "s", "1", "T", "r", "u", "x", "0", "."]), max_size=6
)
_odd_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5),
    st.floats(-3, 5, allow_nan=False),
    st.sampled_from(
        ["yes", " Yes\u3000", "TRUE", "1", " 1 ", "1.0", "no", "", "2", "1e1", "3.7", "inf", "nan"]
    ),
    _odd_text,
    st.lists(st.sampled_from(["a", "", " "]), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 2), max_size=2),
)
_absent = object()
_record_values = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["draft", "submitted", "returned", "approved"]),
        "ever_submitted": st.sampled_from([0, 1, 2]),
        "urn": st.sampled_from([None, "U"]),  # UNIQUE: no two empty URNs
        "grade": st.sampled_from([None, "", "high", "HIGH ", "medium", "standard", "odd"]),
        "columns": st.dictionaries(
            st.sampled_from(
                [
                    "marac_required",
                    "marac_referral_date",
                    "marac_criteria",
                    "children_count",
                    "merlin_missing",
                ]
            ),
            _odd_value,
        ),
    }
)
_STAMPS = (
    lambda moment: moment.isoformat(timespec="microseconds"),  # the store's own
    lambda moment: moment.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat(),
    lambda moment: moment.replace(tzinfo=None).isoformat(),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.lists(_record_values, min_size=6, max_size=6),
    extra_events=st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from(["submitted", "returned", "approved"]),
            st.sampled_from([1, 2, None]),
            st.integers(0, 400),
            st.integers(0, 2),
        ),
        max_size=8,
        unique_by=lambda e: e[3],
    ),
)
def test_sql_counts_equal_the_record_by_record_figures(
    qa: QaStation,
    march: dict[str, str],
    values: list[dict[str, object]],
    extra_events: list[tuple[int, str, int | None, int, int]],
) -> None:
    ids = [march[k] for k in "ABCDEF"]
    with qa.store.transaction() as conn:
        for record_id, v in zip(ids, values, strict=True):
            conn.execute(
                "UPDATE records SET status = ?, ever_submitted = ?, urn = ?, grade = ?, columns_json = ? WHERE id = ?",
                (
                    v["status"],
                    v["ever_submitted"],
                    f"{v['urn']}-{record_id}" if v["urn"] else None,
                    v["grade"],
                    json.dumps(v["columns"]),
                    record_id,
                ),
            )
        base = dt.datetime(2026, 3, 5, 0, 0, 30, 123456, tzinfo=dt.UTC)
        for n, (index, event, revision, hours, stamp) in enumerate(extra_events):
            # beyond the chain's head (the store appends after its head), removed again below
            conn.execute(
                "INSERT INTO audit_events (id, at, event, record_id, revision, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, 'x', 'x')",
                (
                    1_000_000 + n,
                    _STAMPS[stamp](base + dt.timedelta(hours=hours, seconds=0.25)),
                    event,
                    ids[index],
                    revision,
                ),
            )
    board = compute_dashboard(
        qa.store, qa["sup1"], MARCH, form_id="qa", vocabulary=vocabulary_of(qa.spec), tz=dt.UTC
    )
    got = {f.key: (f.value, set(f.record_ids)) for f in board.figures}
    assert got == _reference_figures(qa, MARCH)
    with qa.store.transaction() as conn:  # the next example starts from the fixture's events again
        conn.execute("DROP TRIGGER audit_events_no_delete")
        conn.execute("DELETE FROM audit_events WHERE hash = 'x'")
        conn.execute(
            "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
        )


def test_the_cohort_and_its_events_are_read_from_covering_indexes(qa: QaStation) -> None:
    """What makes the dashboard fast at 100,000 records (issue 22): no record row, columns document or
    event is read, only migration 0024's indexes (the expressions in dashboard.py must stay exactly
    those of the indexes), and nothing is sorted."""
    from dsvdesk.reporting import dashboard

    params = ("qa", "2026-03-01", "2026-04-01")
    with qa.store.read() as conn:
        for sql, index in (
            (dashboard._GROUPS_SQL, "COVERING INDEX records_dashboard_groups"),
            (dashboard._EVENTS_SQL, "COVERING INDEX dashboard_events_cohort"),
        ):
            plan = [str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            reads = [p for p in plan if p.startswith(("SEARCH", "SCAN")) and "CONSTANT ROW" not in p]
            reads = [p for p in reads if p != "SCAN keys"]  # the walk over the key values itself
            assert any(index in p for p in plan), plan
            assert reads and all("COVERING" in p for p in reads), plan
            assert not any("TEMP B-TREE" in p for p in plan), plan


def test_record_ids_as_sqlite_joined_them() -> None:
    """A figure's records stay in SQLite's comma-joined runs until asked for, and are then the same ids
    in the same order as a tuple; the count needs no splitting; ``distinct`` keeps first appearances."""
    from dsvdesk.reporting.dashboard import RecordIds

    ids = RecordIds.joined(
        [RecordIds.run("a,b"), RecordIds.run(None), RecordIds.of(["c"]), RecordIds.run("a")]
    )
    assert (len(ids), bool(ids), ids._ids) == (4, True, None)  # counted, not split
    assert ids == ("a", "b", "c", "a") and ("a", "b", "c", "a") == ids and list(ids) == ["a", "b", "c", "a"]
    assert (ids[1], ids[-1], ids[:2], "c" in ids, "d" in ids) == ("b", "a", ("a", "b"), True, False)
    assert hash(ids) == hash(("a", "b", "c", "a"))
    once = ids.distinct()
    assert (len(once), tuple(once)) == (3, ("a", "b", "c"))
    assert RecordIds.joined([once, RecordIds.of(["a", "d"])]) == ("a", "b", "c", "a", "d")
    empty = RecordIds.joined([])
    assert (len(empty), bool(empty), tuple(empty), empty == ()) == (0, False, (), True)


@pytest.mark.parametrize("drafts", [1, 5])
def test_returned_counts_submitted_records_only(drafts: int) -> None:
    """The records returned at least once are counted among the submitted ones, whether checked against
    the submitted records or (fewer) the others."""
    from dsvdesk.reporting.dashboard import Approvals, CohortGroup, RecordIds, figures_of_groups

    def group(ids: list[str], status: str) -> CohortGroup:
        submitted = status != "draft"
        return CohortGroup(RecordIds.of(ids), status, submitted, False, "high", None, False, False, 0, 0)

    sent = [f"s{n}" for n in range(3)]
    draft = [f"d{n}" for n in range(drafts)]
    figures = figures_of_groups(
        [group(sent, "submitted"), group(draft, "draft")],
        ["s1", "d0", "s1", "s2"],
        Approvals.of([("s2", 3.0), ("s1", 1.0), ("s2", 2.0)]),
        vocabulary=vocabulary_of(load_form_text(QA_FORM, "qa.yaml")),
    )
    got = {f.key: (f.value, tuple(f.record_ids)) for f in figures}
    assert got["returned.count"] == (2, ("s1", "s2"))
    assert got["returned.rate"] == (200 / 3, ("s1", "s2"))
    assert got["timing.median_hours"] == (2.0, ("s2", "s1"))
    assert got["timing.approvals"] == (3, ("s2", "s1"))
    assert got["lifecycle.started"] == (3 + drafts, (*sent, *draft))
