"""Casework after submission (issue 19), through the store with the shipped casework form's policy:
cases open at submission, allocation, risk reviews on the form's schedule, Victims' Code contact and
events, referrals, outcome, MoPI retention decisions and disposal (real erasure + audited tombstone)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dsvdesk.engine.casework import CaseworkPolicy, casework_policy
from dsvdesk.engine.loader import load_form
from dsvdesk.engine.spec import FormSpec
from dsvdesk.reporting.casework import case_flags, casework_figures
from dsvdesk.store import InvalidInput, InvalidTransition, PermissionDenied, RecordRef, Status, Store
from tests.helpers.encrypted import raw_connect
from tests.unit.store.conftest import PASSWORD, fake_pdf
from tests.unit.store.helpers import GOOD

FORMS = Path(__file__).resolve().parents[3] / "forms"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Desk:
    store: Store
    spec: FormSpec
    policy: CaseworkPolicy
    clock: Clock
    sessions: dict[str, object] = field(default_factory=dict)

    def __getitem__(self, username: str):  # type: ignore[no-untyped-def]
        if username not in self.sessions:
            self.sessions[username] = self.store.login(username, PASSWORD)
        return self.sessions[username]

    def approved(self, victim: str = "Ann Ångström", owner: str = "off1") -> RecordRef:
        ref = self.store.create_record(self[owner], self.spec, {**GOOD, "victim_name": victim})
        ref = self.store.submit(self[owner], ref.id, ref.version, fake_pdf("officer"))
        self.store.approve(self["sup1"], ref.id, ref.version, lambda urn: fake_pdf(f"approved {urn}"))
        return RecordRef(ref.id, ref.revision, ref.version + 1, Status.APPROVED)


@pytest.fixture(scope="module")
def policy() -> CaseworkPolicy:
    return casework_policy(load_form(FORMS / "casework.yaml"))


@pytest.fixture
def desk(station_path: Path, mini_spec: FormSpec, policy: CaseworkPolicy) -> Iterator[Desk]:
    clock = Clock()
    store = Store.open(station_path, clock=clock)
    yield Desk(store, mini_spec, policy, clock)
    store.close()


def test_a_case_opens_at_submission_and_its_first_review_is_due_ten_hours_later(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    draft = store.create_record(desk["off1"], desk.spec, GOOD)
    assert store.review_due_count(desk["sup1"], policy, until=START + dt.timedelta(days=400)) == 0
    desk.clock.move(hours=1)
    store.submit(desk["off1"], draft.id, draft.version, fake_pdf())
    submitted_at = START + dt.timedelta(hours=1)
    rows = store.review_due_rows(desk["sup1"], policy, until=submitted_at + dt.timedelta(hours=10))
    assert [r.record_id for r in rows] == [draft.id]
    assert rows[0].due == (submitted_at + dt.timedelta(hours=10)).isoformat(timespec="microseconds")
    assert rows[0].due_by == "Detective Sergeant (DS)"
    assert store.review_due_rows(desk["sup1"], policy, until=submitted_at + dt.timedelta(hours=9)) == []


def test_allocation_needs_a_supervisor_an_approved_record_and_a_real_officer(desk: Desk) -> None:
    store = desk.store
    draft = store.create_record(desk["off1"], desk.spec, GOOD)
    submitted = store.submit(desk["off1"], draft.id, draft.version, fake_pdf())
    with pytest.raises(InvalidTransition, match="approved"):
        store.allocate(desk["sup1"], submitted.id, "off2")
    ref = desk.approved()
    with pytest.raises(PermissionDenied):
        store.allocate(desk["off1"], ref.id, "off2")
    with pytest.raises(InvalidInput, match="admin"):
        store.allocate(desk["sup1"], ref.id, "admin")
    store.allocate(desk["sup1"], ref.id, "off2")
    case = store.case_file(desk["off2"], ref.id, desk.policy)
    assert (case.io, case.io_name, case.allocated_by) == ("off2", "Øyvind Ørsted", "Sam Supervisor")
    # the IO sees their own cases in the due list; another officer sees none
    later = START + dt.timedelta(days=1)
    assert [r.record_id for r in store.review_due_rows(desk["off2"], desk.policy, until=later)] == [ref.id]
    assert store.review_due_rows(desk["off1"], desk.policy, until=later) == []
    with pytest.raises(PermissionDenied):
        store.case_file(desk["admin"], ref.id, desk.policy)


def test_reviews_follow_the_forms_schedule_and_end_with_the_outcome(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    ref = desk.approved()
    opened = START
    expected = [
        (opened + dt.timedelta(hours=10), "Detective Sergeant (DS)"),
        (opened + dt.timedelta(days=7), "Detective Inspector (DI)"),
        (opened + dt.timedelta(days=28), "Detective Chief Inspector (DCI)"),
        (opened + dt.timedelta(days=56), "Detective Chief Inspector (DCI)"),
    ]
    with pytest.raises(PermissionDenied):
        store.record_review(desk["off1"], ref.id, policy, outcome="risk_unchanged", next_action="Keep going")
    desk.clock.move(hours=12)  # the 10-hour review is done two hours late
    seen = []
    for due, by in expected[:3]:
        review = store.record_review(
            desk["sup2"], ref.id, policy, outcome="risk_unchanged", next_action="Chase CPS"
        )
        seen.append((review.due_at, review.due_by, review.late))
        assert due.isoformat(timespec="microseconds") == review.due_at and by == review.due_by
    assert [s[2] for s in seen] == [True, False, False]
    case = store.case_file(desk["sup1"], ref.id, desk.policy)
    assert case.next_review_due == expected[3][0].isoformat(timespec="microseconds")
    assert case.reviews_done == 3
    with pytest.raises(InvalidInput, match="review outcome"):
        store.record_review(desk["sup2"], ref.id, policy, outcome="made_up", next_action="x")
    store.record_outcome(desk["sup1"], ref.id, policy, outcome="charged")
    assert store.case_file(desk["sup1"], ref.id, desk.policy).next_review_due is None
    with pytest.raises(InvalidTransition, match="outcome"):
        store.record_review(desk["sup2"], ref.id, policy, outcome="risk_unchanged", next_action="x")
    assert store.review_due_count(desk["sup1"], policy, until=START + dt.timedelta(days=999)) == 0


def test_overdue_reviews_are_counted_and_flagged(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    ref = desk.approved()
    desk.clock.move(hours=11)
    facts = store.case_facts(desk["sup1"], [ref.id], policy)
    assert case_flags(policy, facts[ref.id], desk.clock.now).review_overdue
    figures = {f.key: f for f in casework_figures(policy, facts, desk.clock.now)}
    assert figures["reviews.overdue"].record_ids == (ref.id,)
    now = desk.clock.now
    assert store.review_due_counts(desk["sup1"], policy, now=now, until=now + dt.timedelta(days=30)) == (1, 1)
    assert store.review_due_counts(desk["off2"], policy, now=now, until=now) == (0, 0)  # not their case


def test_victims_code_first_contact_and_events_flagged_when_late(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    late, on_time = desk.approved("Late Case"), desk.approved("Prompt Case")
    for ref in (late, on_time):
        store.allocate(desk["sup1"], ref.id, "off2")
    io = desk["off2"]
    desk.clock.move(hours=3)
    store.log_contact(io, on_time.id, policy, at=START + dt.timedelta(hours=3), method="phone", made=False,
                      note="Voicemail left asking her to call back.")  # fmt: skip
    desk.clock.move(hours=27)
    store.log_contact(io, late.id, policy, at=desk.clock.now, method="in_person", made=True,
                      note="Visited; she is staying with her sister.")  # fmt: skip
    store.record_event(io, on_time.id, policy, kind="arrest", at=desk.clock.now)
    with pytest.raises(InvalidInput, match="future"):
        store.log_contact(io, late.id, policy, at=desk.clock.now + dt.timedelta(days=1), method="phone",
                          made=True, note="x")  # fmt: skip
    with pytest.raises(InvalidInput, match="contact method"):
        store.log_contact(io, late.id, policy, at=desk.clock.now, method="pigeon", made=True, note="x")
    with pytest.raises(PermissionDenied):
        store.log_contact(
            desk["off1"], late.id, policy, at=desk.clock.now, method="phone", made=True, note="x"
        )

    facts = store.case_facts(desk["sup1"], [late.id, on_time.id], policy)
    assert case_flags(policy, facts[late.id], desk.clock.now).first_contact_late
    prompt = case_flags(policy, facts[on_time.id], desk.clock.now)
    assert not prompt.first_contact_late and prompt.events_without_contact == 0  # arrest contact not yet due
    desk.clock.move(hours=25)
    assert case_flags(policy, facts[on_time.id], desk.clock.now).events_without_contact == 1
    figures = {f.key: f for f in casework_figures(policy, facts, desk.clock.now)}
    assert figures["vcop.first_in_time"].record_ids == (on_time.id,)
    assert figures["vcop.first_late"].record_ids == (late.id,)
    assert figures["vcop.event_without_contact"].record_ids == (on_time.id,)
    assert figures["vcop.compliance_rate"].value == 0.0
    case = store.case_file(io, on_time.id, desk.policy)
    assert [(c.regarding, c.made) for c in case.contacts] == [("first", False)]
    assert [e.kind for e in case.events] == ["arrest"]


def test_medium_and_high_cases_without_an_idva_referral_are_flagged(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    ref = desk.approved()
    store.allocate(desk["sup1"], ref.id, "off2")
    graded = {"grade": next(iter(policy.required_referrals)).grades[0], "opened_at": START.isoformat()}
    assert case_flags(policy, graded, START).referrals_missing == ("idva",)
    number = store.add_referral(desk["off2"], ref.id, policy, agency="idva", referred_on="2026-03-02",
                                outcome="pending", note="Referred to Refuge IDVA service.")  # fmt: skip
    store.update_referral(desk["off2"], ref.id, number, policy, outcome="accepted")
    facts = store.case_facts(desk["sup1"], [ref.id], policy)[ref.id]
    assert facts["referrals"] == [("idva", "accepted")]
    assert case_flags(policy, {**facts, "grade": graded["grade"]}, START).referrals_missing == ()
    with pytest.raises(InvalidInput, match="future"):
        store.add_referral(
            desk["off2"], ref.id, policy, agency="sanctuary", referred_on="2027-01-01", outcome="pending"
        )


def test_retention_decisions_and_disposal_erase_everything_but_the_tombstone(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    keep, erase = desk.approved("Kept Person"), desk.approved("Zebulon Quixotic")
    for ref in (keep, erase):
        store.allocate(desk["sup1"], ref.id, "off2")
        store.log_contact(
            desk["off2"], ref.id, policy, at=START, method="phone", made=True, note="Zebulon said hello."
        )
        store.record_outcome(desk["sup1"], ref.id, policy, outcome="no_further_action")
    due = store.case_file(desk["sup1"], erase.id, desk.policy).retention_due
    assert due is not None and due.startswith("2032-03-02")  # six years after the outcome
    with pytest.raises(InvalidTransition, match="not due"):
        store.dispose(desk["sup1"], erase.id, policy, reason="no_policing_purpose")
    desk.clock.now = START + dt.timedelta(days=6 * 366)
    rows = store.retention_rows(desk["sup1"], policy, until=desk.clock.now)
    assert {r.record_id for r in rows} == {keep.id, erase.id}
    with pytest.raises(PermissionDenied):
        store.retention_rows(desk["off1"], policy, until=desk.clock.now)
    next_review = store.retain(desk["sup1"], keep.id, policy, reason="Suspect is a repeat perpetrator.")
    assert next_review.startswith("2037")
    assert [r.record_id for r in store.retention_rows(desk["sup1"], policy, until=desk.clock.now)] == [
        erase.id
    ]
    with pytest.raises(PermissionDenied):
        store.dispose(desk["off2"], erase.id, policy, reason="no_policing_purpose")

    stone = store.dispose(desk["sup1"], erase.id, policy, reason="no_policing_purpose")
    assert store.count_records(desk["sup1"], search="Quixotic") == 0
    assert store.count_records(desk["sup1"], search="Kept") == 1
    conn = raw_connect(desk.store.path)
    try:
        assert conn.execute("SELECT count(*) FROM records WHERE id = ?", (erase.id,)).fetchone()[0] == 0
        # every table that names a record (today's and any added later) holds nothing of it, but the
        # audit log and the tombstone
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        naming = [t for t in tables if "record_id" in {c[1] for c in conn.execute(f"PRAGMA table_info({t})")}]
        assert {"signed_pdfs", "record_revisions", "case_contacts", "case_assessments"} <= set(naming)
        for table in set(naming) - {"audit_events", "tombstones"}:
            count = conn.execute(f"SELECT count(*) FROM {table} WHERE record_id = ?", (erase.id,)).fetchone()[
                0
            ]
            assert count == 0, table
        # the search index keeps no row of the erased record (its tokens went with it)
        assert conn.execute(
            "SELECT count(*) FROM search_tokens WHERE seq NOT IN (SELECT seq FROM records)"
        ).fetchone() == (0,)
        event = conn.execute(
            "SELECT event, record_id, hash FROM audit_events WHERE id = ?", (stone.audit_event_id,)
        ).fetchone()
        assert event == ("erasure", erase.id, stone.audit_hash)
        tomb = conn.execute(
            "SELECT form_id, urn, reason FROM tombstones WHERE record_id = ?", (erase.id,)
        ).fetchone()
        assert tomb == (desk.spec.id, stone.urn, "no_policing_purpose")
    finally:
        conn.close()
    assert [s.record_id for s in store.tombstones(desk["sup1"])] == [erase.id]
    assert store.verify_audit().ok
    # the file itself holds none of the erased text in clear (it is encrypted; and the pages were zeroed)
    assert b"Quixotic" not in desk.store.path.read_bytes()


def test_a_changed_schedule_re_times_open_cases(desk: Desk, policy: CaseworkPolicy, tmp_path: Path) -> None:
    ref = desk.approved()
    text = (FORMS / "casework.yaml").read_text(encoding="utf-8").replace("{after: 10h,", "{after: 5h,")
    (tmp_path / "casework.yaml").write_text(text, encoding="utf-8")
    changed = casework_policy(load_form(tmp_path / "casework.yaml"))
    store = desk.store
    assert [r.due for r in store.review_due_rows(desk["sup1"], policy, until=START + dt.timedelta(hours=10))]
    five = store.review_due_rows(desk["sup1"], changed, until=START + dt.timedelta(hours=5))
    assert [(r.record_id, r.due[:16]) for r in five] == [(ref.id, "2026-03-02T14:00")]


def test_a_changed_schedule_re_times_every_case_batch_by_batch(
    desk: Desk, policy: CaseworkPolicy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pass over unscheduled cases reads and writes a bounded batch at a time (the app's memory):
    every case is re-timed all the same, whatever the batch."""
    from dsvdesk.store import casework

    monkeypatch.setattr(casework, "SYNC_BATCH", 2)
    refs = []
    for n in range(5):
        refs.append(desk.approved(f"Case {n}"))
        desk.clock.move(hours=1)
    text = (FORMS / "casework.yaml").read_text(encoding="utf-8").replace("{after: 10h,", "{after: 5h,")
    (tmp_path / "casework.yaml").write_text(text, encoding="utf-8")
    changed = casework_policy(load_form(tmp_path / "casework.yaml"))
    store = desk.store
    assert store.sync_schedule(policy) == 5  # new cases: worked out at the first list or case read
    assert store.sync_schedule(policy) == 0
    assert store.sync_schedule(changed) == 5
    assert store.sync_schedule(changed) == 0
    rows = store.review_due_rows(desk["sup1"], changed, until=START + dt.timedelta(days=1))
    assert [(r.record_id, r.due[:16]) for r in rows] == [
        (ref.id, f"2026-03-02T{14 + n:02d}:00") for n, ref in enumerate(refs)
    ]


def test_the_dashboard_and_the_board_reports_b4_quote_the_casework_figures(desk: Desk) -> None:
    from dsvdesk.engine.vocabulary import vocabulary_of
    from dsvdesk.export.report_pdf import resolve_tokens
    from dsvdesk.reporting.casework import part_a_figures
    from dsvdesk.reporting.dashboard import Period, compute_dashboard
    from dsvdesk.reporting.parta import Period as PartAPeriod

    store, policy = desk.store, desk.policy
    late, prompt = desk.approved("Late Case"), desk.approved("Prompt Case")
    store.allocate(desk["sup1"], prompt.id, "off2")
    desk.clock.move(hours=2)
    store.log_contact(
        desk["off2"], prompt.id, policy, at=desk.clock.now, method="phone", made=True, note="Spoke."
    )
    desk.clock.move(days=2)
    day = START.date()
    board = compute_dashboard(
        store, desk["sup1"], Period(day, day), form_id=desk.spec.id, vocabulary=vocabulary_of(desk.spec),
        tz=dt.UTC, casework=policy,
    )  # fmt: skip
    assert board.figure("reviews.overdue").record_ids == tuple(sorted((late.id, prompt.id)))
    assert board.figure("vcop.first_late").record_ids == (late.id,)
    assert board.figure("vcop.compliance_rate").value == 50.0
    assert board.figure("referral.idva.required").value == 0  # the mini form records no grade
    figures = {f.key: f.value for f in part_a_figures(store, desk["sup1"], policy, PartAPeriod(day, day))}
    assert figures["vcop.cases"] == "2" and figures["vcop.first_in_time"] == "1"
    text = resolve_tokens("First contact in time in {{partA.vcop.compliance_rate}} of cases.", figures)
    assert text == "First contact in time in 50% of cases."


def test_a_bail_re_assessment_after_the_custody_decision_is_shown_late(desk: Desk) -> None:
    from dsvdesk.reporting.casework import facts_of

    store, policy = desk.store, desk.policy
    ref = desk.approved()
    store.allocate(desk["sup1"], ref.id, "off2")
    for revision, decision in ((1, START + dt.timedelta(hours=2)), (2, START - dt.timedelta(hours=1))):
        store.add_assessment(
            desk["off2"], ref.id, kind="bail", risk_revision=revision, spec=policy.spec, answers={"bail_grade": "x"},
            grade="medium", decision_at=decision.isoformat(timespec="microseconds"), signed_pdf=fake_pdf("bail"),
        )  # fmt: skip
    with pytest.raises(InvalidTransition, match="meanwhile"):  # a stale revision is refused
        store.add_assessment(desk["off2"], ref.id, kind="bail", risk_revision=2, spec=policy.spec, answers={},
                             grade="medium", decision_at=None, signed_pdf=fake_pdf())  # fmt: skip
    case = store.case_file(desk["sup1"], ref.id, policy)
    assert [a.in_time for a in case.assessments] == [True, False]
    assert case.grade == "medium" and case.risk_revision == 2
    assert "bail re-assessment after the custody decision" in case_flags(policy, facts_of(case), START).words


def test_the_lists_count_up_to_a_cap_overdue_first(desk: Desk) -> None:
    store, policy = desk.store, desk.policy
    desk.approved("First Case")
    desk.clock.move(hours=2)
    desk.approved("Second Case")
    desk.clock.move(hours=9.5)  # the first is overdue, the second due within the next day
    now, soon = desk.clock.now, policy.due_soon.after(desk.clock.now)
    assert store.review_due_counts(desk["sup1"], policy, now=now, until=soon) == (1, 2)
    assert store.review_due_counts(desk["sup1"], policy, now=now, until=soon, cap=1) == (1, 1)
    far = now + dt.timedelta(days=365 * 11)
    assert store.retention_count(desk["sup1"], policy, until=far) == 2
    assert store.retention_count(desk["sup1"], policy, until=far, cap=1) == 1


def test_case_lists_show_the_victim_named_in_the_sealed_record(desk: Desk) -> None:
    """Names are sealed (issue 15): the case file and the review-due list open them with the reader's keys."""
    ref = desk.approved(victim="Quizzlewick Case")
    later = START + dt.timedelta(days=400)
    rows = desk.store.review_due_rows(desk["sup1"], desk.policy, until=later)
    assert [r.victim_name for r in rows if r.record_id == ref.id] == ["Quizzlewick Case"]
    assert desk.store.case_file(desk["sup1"], ref.id, desk.policy).victim_name == "Quizzlewick Case"
