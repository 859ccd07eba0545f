"""The review queue (Qt-free): submitted records oldest first, flags from the form's rules and from the
lifecycle, filters, search, and supervisors only."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsvdesk.reporting.review_queue import (
    RESUBMITTED,
    WAITING,
    QueueFilter,
    ReviewQueue,
    describe_waiting,
    flag_label,
    queue_flags_of,
    summarise,
)
from dsvdesk.store import InvalidInput, PermissionDenied, RecordRow, Status
from tests.unit.qa.conftest import QaStation


@pytest.fixture
def queue_data(qa: QaStation) -> dict[str, str]:
    """r1 waits 28 h with potential escalation; r2 came back after a return and has a child without a
    Merlin reference; r3 is a draft; r4 is approved. "Now" is 2026-03-11 12:00 UTC."""
    r1 = qa.create(
        "off1", "2026-03-09T09:00", victim_name="Anna Nowak", incident_date="2026-03-08", previous_incidents=4
    )
    qa.submit("off1", r1, "2026-03-10T08:00")
    r2 = qa.create(
        "off2",
        "2026-03-10T09:00",
        victim_name="Bronwen Pritchard",
        incident_date="2026-03-10",
        cad_ref="CAD4321",
        children=[{"name": "Cai", "present": "yes"}],
    )
    qa.submit("off2", r2, "2026-03-11T09:00")
    qa.give_back("sup1", r2, "2026-03-11T10:00", {"children": "Add the Merlin reference"})
    qa.submit("off2", r2, "2026-03-11T11:00")
    r3 = qa.create("off1", "2026-03-11T11:10", victim_name="Chen Wei", incident_date="2026-03-11")
    r4 = qa.create("off1", "2026-03-01T10:00", victim_name="Dafydd Jones", incident_date="2026-02-27")
    qa.submit("off1", r4, "2026-03-11T11:30")
    qa.approve("sup2", r4, "2026-03-11T11:45")
    qa.at("2026-03-11T12:00")
    return {"r1": r1.id, "r2": r2.id, "r3": r3.id, "r4": r4.id}


def ids(rows: list) -> list[str]:  # type: ignore[type-arg]
    return [r.id for r in rows]


def test_queue_lists_submitted_records_oldest_first_with_flags(
    qa: QaStation, queue_data: dict[str, str]
) -> None:
    queue = ReviewQueue(qa.store, qa["sup1"])
    rows = queue.rows(QueueFilter())
    assert ids(rows) == [queue_data["r1"], queue_data["r2"]]
    first, second = rows
    assert first.flags == ("potential_escalation", WAITING)
    assert first.waiting_hours == pytest.approx(28.0)
    assert second.flags == ("children_without_merlin", RESUBMITTED)
    assert second.waiting_hours == pytest.approx(1.0)
    assert first.victim_name == "Anna Nowak" and first.owner_name == "Olive Officer"  # reads like a list row
    assert first.officer_grade == "standard" and first.yes_count == 0 and first.completeness == 100
    assert second.flag_labels == ("Children without Merlin PAC reference", "Resubmitted after return")
    assert queue.count(QueueFilter()) == 2
    assert summarise(rows) == {
        "potential_escalation": 1,
        WAITING: 1,
        "children_without_merlin": 1,
        RESUBMITTED: 1,
    }


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (QueueFilter(flag=WAITING), ["r1"]),
        (QueueFilter(flag=RESUBMITTED), ["r2"]),
        (QueueFilter(flag="potential_escalation"), ["r1"]),
        (QueueFilter(flag="children_without_merlin"), ["r2"]),
        (QueueFilter(flag="high_without_marac"), []),
        (QueueFilter(officer="off2"), ["r2"]),
        (QueueFilter(date_from="2026-03-09"), ["r2"]),
        (QueueFilter(date_to="2026-03-08"), ["r1"]),
        (QueueFilter(date_from="2026-03-08", date_to="2026-03-08"), ["r1"]),
        (QueueFilter(search="bronwen"), ["r2"]),
        (QueueFilter(search="CAD4321"), ["r2"]),
        (QueueFilter(statuses=("approved",)), ["r4"]),
        (QueueFilter(statuses=("draft",)), ["r3"]),
        (
            QueueFilter(statuses=()),
            ["r4", "r1", "r2", "r3"],
        ),  # every status, by submission time (drafts last)
        (QueueFilter(sort="victim_name", descending=True), ["r2", "r1"]),
    ],
)
def test_filters(qa: QaStation, queue_data: dict[str, str], wanted: QueueFilter, expected: list[str]) -> None:
    queue = ReviewQueue(qa.store, qa["sup2"])
    found = ids(queue.rows(wanted))
    if wanted.statuses == ():
        assert sorted(found) == sorted(queue_data[k] for k in expected)
    else:
        assert found == [queue_data[k] for k in expected]
    assert queue.count(wanted) == len(expected)


def test_waiting_flag_follows_the_clock(qa: QaStation, queue_data: dict[str, str]) -> None:
    queue = ReviewQueue(qa.store, qa["sup1"])
    qa.at("2026-03-12T11:00:01")  # r2 now waited just over 24 h since its resubmission
    assert ids(queue.rows(QueueFilter(flag=WAITING))) == [queue_data["r1"], queue_data["r2"]]
    qa.at("2026-03-11T08:00")  # r1 exactly 24 h: not yet "over"
    assert ids(queue.rows(QueueFilter(flag=WAITING))) == []


def test_paging(qa: QaStation, queue_data: dict[str, str]) -> None:
    queue = ReviewQueue(qa.store, qa["sup1"])
    assert ids(queue.rows(QueueFilter(), offset=0, limit=1)) == [queue_data["r1"]]
    assert ids(queue.rows(QueueFilter(), offset=1, limit=1)) == [queue_data["r2"]]
    assert queue.rows(QueueFilter(), offset=2, limit=1) == []


def test_officers_and_admins_cannot_see_the_queue(qa: QaStation, queue_data: dict[str, str]) -> None:
    for username in ("off1", "admin"):
        queue = ReviewQueue(qa.store, qa[username])
        with pytest.raises(PermissionDenied):
            queue.rows(QueueFilter())
        with pytest.raises(PermissionDenied):
            queue.count(QueueFilter())
        with pytest.raises(PermissionDenied):
            queue.flags_available()


def test_bad_filters_get_clear_messages(qa: QaStation, queue_data: dict[str, str]) -> None:
    queue = ReviewQueue(qa.store, qa["sup1"])
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        queue.rows(QueueFilter(date_from="31/03/2026"))
    with pytest.raises(InvalidInput, match="real day"):
        queue.rows(QueueFilter(date_to="2026-02-30"))
    with pytest.raises(InvalidInput, match="after the 'to' date"):
        queue.rows(QueueFilter(date_from="2026-03-09", date_to="2026-03-01"))
    with pytest.raises(InvalidInput, match="not a flag name"):
        queue.rows(QueueFilter(flag="x' OR 1=1 --"))
    with pytest.raises(InvalidInput, match="Unknown status"):
        queue.rows(QueueFilter(statuses=("lost",)))
    with pytest.raises(InvalidInput, match="cannot be sorted"):
        queue.rows(QueueFilter(sort="answers_json"))
    with pytest.raises(InvalidInput, match="page"):
        queue.rows(QueueFilter(), limit=0)
    # hostile search text is only words to match, never query syntax
    assert queue.rows(QueueFilter(search='" OR * NEAR(')) == []


def test_filter_choices(qa: QaStation, queue_data: dict[str, str]) -> None:
    queue = ReviewQueue(qa.store, qa["sup1"])
    flags = dict(queue.flags_available())
    assert list(flags) == [
        "high_without_marac",
        "children_without_merlin",
        "potential_escalation",
        RESUBMITTED,
        WAITING,
    ]
    assert flags["high_without_marac"] == "High risk without MARAC referral"
    assert queue.officers() == [("off1", "Olive Officer"), ("off2", "Øyvind Ørsted")]


def test_labels_and_waiting_text() -> None:
    assert flag_label("family_court_order") == "Family court order"
    assert describe_waiting(None) == ""
    assert describe_waiting(0.5) == "under 1 h"
    assert describe_waiting(5.9) == "5 h"
    assert describe_waiting(50) == "2 d 2 h"


def _row(status: Status, submitted_at: str | None, rounds: int, flags: tuple[str, ...] = ()) -> RecordRow:
    return RecordRow(
        id="x",
        form_id="qa",
        status=status,
        revision=1,
        version=1,
        owner_id=1,
        owner_username="u",
        owner_name="U",
        editor_id=1,
        created_at="",
        updated_at="",
        submitted_at=submitted_at,
        approved_at=None,
        urn=None,
        completeness=0,
        return_rounds=rounds,
        victim_name=None,
        suspect_name=None,
        incident_date=None,
        cad_ref=None,
        cris_ref=None,
        grade=None,
        yes_count=None,
        flags=flags,
        columns={},
    )


@given(
    status=st.sampled_from(list(Status)),
    minutes=st.integers(min_value=-600, max_value=100_000),
    rounds=st.integers(min_value=0, max_value=5),
    flags=st.lists(st.sampled_from(["potential_escalation", "high_without_marac", ""]), max_size=3),
)
def test_queue_flags_property(status: Status, minutes: int, rounds: int, flags: list[str]) -> None:
    now = dt.datetime(2026, 3, 11, 12, 0, tzinfo=dt.UTC)
    submitted = now - dt.timedelta(minutes=minutes)
    got, waited = queue_flags_of(_row(status, submitted.isoformat(), rounds, tuple(flags)), now=now)
    assert (WAITING in got) == (status is Status.SUBMITTED and minutes > 24 * 60)
    assert (RESUBMITTED in got) == (status is Status.SUBMITTED and rounds > 0)
    assert len(got) == len(set(got)) and "" not in got
    assert [f for f in got if f not in (WAITING, RESUBMITTED)] == list(dict.fromkeys(f for f in flags if f))
    assert (waited is None) == (status is not Status.SUBMITTED)
    if waited is not None:
        assert waited >= 0
