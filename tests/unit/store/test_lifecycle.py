"""The lifecycle (draft → submitted → returned → … → approved, amend) enforced in the core."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest

from dsvdesk.store import (
    FindingsBlock,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
    Status,
    Store,
)
from tests.unit.store.conftest import ADMIN, PASSWORD, Station, fake_pdf
from tests.unit.store.helpers import GOOD, prepare


class Clock:
    def __init__(self, year: int = 2026) -> None:
        self.now = dt.datetime(year, 6, 1, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def test_full_round_submit_return_resubmit_approve(station_path: Path, mini_spec: object) -> None:
    with Store.open(station_path, clock=Clock()) as store:
        off1, sup1 = store.login("off1", PASSWORD), store.login("sup1", PASSWORD)
        ref = store.create_record(off1, mini_spec, {**GOOD, "dash_q1": "yes", "dash_q2": "yes"})  # type: ignore[arg-type]
        ref = store.submit(off1, ref.id, ref.version, fake_pdf("first"))
        assert ref.status is Status.SUBMITTED
        [queued] = store.list_records(sup1, status="submitted", sort="submitted_at", descending=False)
        assert queued.id == ref.id and queued.owner_name == "Olive Officer"

        ref = store.return_record(sup1, ref.id, {"dash_q1": "Say how", "cad_ref": "Check CAD"}, ref.version)
        assert ref.status is Status.RETURNED
        record = store.open_record(off1, ref.id)
        assert record.review_comments == {"dash_q1": "Say how", "cad_ref": "Check CAD"}
        assert record.return_rounds == 1 and record.is_editable

        version = store.save_answer(off1, ref.id, "dash_q1__comment", "punched", record.version)
        ref = store.submit(off1, ref.id, version, fake_pdf("second"))
        # the supervisor fills the review section of the submitted record; lowering is refused by the rule
        record = store.open_record(sup1, ref.id, justification="Supervisor review")
        version = store.save_answers(
            sup1, ref.id, {"supervisor_grade": "medium", "rationale": "x"}, record.version
        )
        with pytest.raises(FindingsBlock, match="cannot be below High") as blocked:
            store.approve(sup1, ref.id, version, fake_pdf)
        assert [f.rule_id for f in blocked.value.findings] == ["both_yes_high"]
        version = store.save_answer(sup1, ref.id, "supervisor_grade", "high", version)
        urn = store.approve(sup1, ref.id, version, lambda urn: fake_pdf(f"countersigned {urn}"))
        assert urn == "TRIAL-2026-00001"

        record = store.open_record(off1, ref.id)
        assert record.status is Status.APPROVED and record.urn == urn and record.approved_by == sup1.user.id
        assert store.signed_pdf(off1, ref.id, 1) == fake_pdf(f"countersigned {urn}")
        history = store.record_history(off1, ref.id)
        assert [(h.action, h.username) for h in history] == [
            ("created", "off1"),
            ("submitted", "off1"),
            ("returned", "sup1"),
            ("submitted", "off1"),
            ("approved", "sup1"),
        ]
        assert [r.id for r in store.list_records(off1, search=urn)] == [ref.id]
        with pytest.raises(InvalidTransition, match="approved and cannot change"):
            store.save_answer(off1, ref.id, "victim_name", "x", record.version)


def test_submit_is_blocked_by_form_errors_and_needs_a_pdf(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, {"cad_ref": "not a cad"})
    with pytest.raises(FindingsBlock) as blocked:
        store.submit(off1, ref.id, ref.version, fake_pdf())
    assert {f.question_id for f in blocked.value.findings} >= {"victim_name"}
    ref2 = store.create_record(off1, station.spec, GOOD)
    with pytest.raises(InvalidInput, match="not a PDF"):
        store.submit(off1, ref2.id, ref2.version, b"<html>")
    assert store.open_record(off1, ref2.id).status is Status.DRAFT


def test_submit_twice_and_stale_version(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    ref = store.create_record(off1, station.spec, GOOD)
    with pytest.raises(Exception, match="changed somewhere else"):
        store.submit(off1, ref.id, ref.version + 5, fake_pdf())
    ref = store.submit(off1, ref.id, ref.version, fake_pdf())
    with pytest.raises(InvalidTransition, match="already submitted"):
        store.submit(off1, ref.id, ref.version, fake_pdf())


def test_return_needs_a_comment_on_a_real_question(station: Station) -> None:
    ref = prepare(station, "off1", Status.SUBMITTED)
    store, sup1 = station.store, station["sup1"]
    with pytest.raises(InvalidInput, match="at least one comment"):
        store.return_record(sup1, ref.id, {}, ref.version)
    with pytest.raises(InvalidInput, match="at least one comment"):
        store.return_record(sup1, ref.id, {"victim_name": "   "}, ref.version)
    with pytest.raises(InvalidInput, match="no question 'dash_q99'"):
        store.return_record(sup1, ref.id, {"dash_q99": "?"}, ref.version)
    assert store.open_record(sup1, ref.id, justification="review").status is Status.SUBMITTED


def test_countersign_failure_rolls_back_and_the_urn_is_not_used(station: Station) -> None:
    store, sup1 = station.store, station["sup1"]
    first = prepare(station, "off1", Status.SUBMITTED)
    second = prepare(station, "off2", Status.SUBMITTED)

    def broken(urn: str) -> bytes:
        raise RuntimeError(f"signing blew up for {urn}")

    with pytest.raises(RuntimeError, match="blew up"):
        store.approve(sup1, first.id, first.version, broken)
    record = store.open_record(sup1, first.id, justification="review")
    assert record.status is Status.SUBMITTED and record.urn is None and record.version == first.version
    year = dt.datetime.now(dt.UTC).year
    assert store.approve(sup1, second.id, second.version, fake_pdf) == f"TRIAL-{year}-00001"
    assert store.approve(sup1, first.id, first.version, fake_pdf) == f"TRIAL-{year}-00002"


def test_urn_format_setting_and_yearly_sequence(station_path: Path) -> None:
    clock = Clock(2026)
    with Store.open(station_path, clock=clock) as store:
        admin = store.login(ADMIN, PASSWORD)
        store.update_settings(admin, urn_format="DV/{yy}/{seq:04d}")
        station = Station(store, station_path, _spec(), {})
        a = prepare(station, "off1", Status.APPROVED)
        assert store.open_record(station["off1"], a.id).urn == "DV/26/0001"
        clock.now = dt.datetime(2027, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
        b = prepare(station, "off1", Status.APPROVED)
        assert store.open_record(station["off1"], b.id).urn == "DV/27/0001"


def _spec() -> object:
    from dsvdesk.engine.loader import load_form_text
    from tests.unit.store.forms import MINI_FORM

    return load_form_text(MINI_FORM, "mini.yaml")


def test_amend_makes_a_new_revision_and_keeps_the_approved_one(station: Station) -> None:
    store, off1, sup1 = station.store, station["off1"], station["sup1"]
    ref = prepare(station, "off1", Status.APPROVED)
    approved = store.open_record(off1, ref.id)
    with pytest.raises(InvalidInput, match="reason"):
        store.amend(off1, ref.id, "  ")
    amended = store.amend(off1, ref.id, "Victim's surname misspelt")
    assert amended.revision == 2 and amended.status is Status.DRAFT
    draft = store.open_record(off1, ref.id)
    assert draft.revision == 2 and draft.supersedes == 1 and draft.amend_reason == "Victim's surname misspelt"
    assert draft.urn == approved.urn and draft.is_editable
    version = store.save_answer(off1, ref.id, "victim_name", "Ann Angstrom", draft.version)
    old = store.open_record(off1, ref.id, revision=1)
    assert (
        old.status is Status.APPROVED and old.answers["victim_name"] == "Ann Ångström" and not old.is_editable
    )
    assert store.signed_pdf(off1, ref.id, 1) == fake_pdf(f"approved {approved.urn}")
    assert store.signed_pdf(off1, ref.id, 2) is None
    submitted = store.submit(off1, ref.id, version, fake_pdf("rev2"))
    urn = store.approve(sup1, ref.id, submitted.version, lambda u: fake_pdf(f"rev2 {u}"))
    assert urn == approved.urn  # an amendment keeps the record's reference
    assert store.signed_pdf(off1, ref.id, 2) == fake_pdf(f"rev2 {urn}")
    assert store.signed_pdf(off1, ref.id, 1) == fake_pdf(f"approved {approved.urn}")
    assert [h.action for h in store.record_history(off1, ref.id)][-3:] == ["amended", "submitted", "approved"]
    with pytest.raises(InvalidTransition, match="Only an approved record"):
        store.amend(off1, prepare(station, "off1", Status.DRAFT).id, "why")


def test_supervisor_amendment_is_written_by_that_supervisor(station: Station) -> None:
    store = station.store
    ref = prepare(station, "off1", Status.APPROVED)
    amended = store.amend(station["sup1"], ref.id, "Grade rationale incomplete")
    record = store.open_record(station["sup1"], ref.id)
    assert record.editor_id == station["sup1"].user.id and record.owner_username == "off1"
    store.save_answer(station["sup1"], ref.id, "statement", "added", amended.version)
    # the officer still sees their record but cannot write the supervisor's amendment
    assert store.open_record(station["off1"], ref.id).revision == 2
    with pytest.raises(PermissionDenied):
        store.save_answer(station["off1"], ref.id, "statement", "mine", amended.version + 1)
    submitted = store.submit(station["sup1"], ref.id, amended.version + 1, fake_pdf())
    with pytest.raises(PermissionDenied, match="own record"):
        store.approve(station["sup1"], ref.id, submitted.version, fake_pdf)
    store.approve(station["sup2"], ref.id, submitted.version, fake_pdf)


def test_delete_draft_only_when_never_submitted(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    draft = prepare(station, "off1", Status.DRAFT)
    store.delete_draft(off1, draft.id)
    assert store.count_records(off1) == 0
    assert store._conn.execute("SELECT count(*) FROM search_tokens").fetchone()[0] == 0
    [(event, username)] = store._conn.execute(
        "SELECT event, username FROM audit_events WHERE record_id = ? AND event = 'erasure'", (draft.id,)
    ).fetchall()
    assert (event, username) == ("erasure", "off1")
    returned = prepare(station, "off1", Status.RETURNED)
    with pytest.raises(InvalidTransition, match="never submitted"):
        store.delete_draft(off1, returned.id)
    assert store.verify_audit().ok


def test_disclosure_and_combination_are_logged(station: Station) -> None:
    store, off1 = station.store, station["off1"]
    a = prepare(station, "off1", Status.APPROVED)
    b = prepare(station, "off1", Status.DRAFT)
    with pytest.raises(InvalidInput, match="recipient"):
        store.record_disclosure(off1, a.id, " ", "MARAC", "pdf")
    store.record_disclosure(off1, a.id, "MARAC coordinator", "MARAC referral", "signed PDF")
    store.record_combination(off1, [a.id, b.id], "Same victim found in an earlier record")
    with pytest.raises(InvalidInput, match="two different"):
        store.record_combination(off1, [a.id, a.id], "same")
    rows = store._conn.execute(
        "SELECT event, record_id, recipient, justification FROM audit_events WHERE event IN ('disclosure', 'combination')"
    ).fetchall()
    assert ("disclosure", a.id, "MARAC coordinator", "MARAC referral") in rows
    assert {r[1] for r in rows if r[0] == "combination"} == {a.id, b.id}


def test_two_concurrent_approvals_get_consecutive_urns(station: Station) -> None:
    first = prepare(station, "off1", Status.SUBMITTED)
    second = prepare(station, "off2", Status.SUBMITTED)
    path = station.path
    inside = threading.Barrier(2)
    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def approve(username: str, ref_id: str, version: int) -> None:
        try:
            with Store.open(path, busy_timeout_ms=20_000) as store:
                session = store.login(username, PASSWORD)
                inside.wait(timeout=30)  # both ready: start the two approvals together

                def countersign(urn: str) -> bytes:
                    time.sleep(0.05)  # hold the write transaction a while, as real signing does
                    return fake_pdf(urn)

                results[ref_id] = store.approve(session, ref_id, version, countersign)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=approve, args=("sup1", first.id, first.version)),
        threading.Thread(target=approve, args=("sup2", second.id, second.version)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    year = dt.datetime.now(dt.UTC).year
    assert sorted(results.values()) == [f"TRIAL-{year}-00001", f"TRIAL-{year}-00002"]
    assert station.store.verify_audit().ok


def test_station_code_in_references(station_path: Path) -> None:
    from dsvdesk.store.settings import default_station_code

    assert default_station_code("Trial Police Station") == "TPS"
    assert default_station_code("Kentish Town") == "KT"
    assert default_station_code("Trial") == "TRIAL"
    assert default_station_code("  ") == "DSV"
    with Store.open(station_path, clock=Clock(2026)) as store:
        admin = store.login(ADMIN, PASSWORD)
        with pytest.raises(InvalidInput, match="cannot be used in references"):
            store.update_settings(admin, station_code="K X/1")
        store.update_settings(admin, station_code="KX")
        station = Station(store, station_path, _spec(), {})
        ref = prepare(station, "off1", Status.APPROVED)
        assert store.open_record(station["off1"], ref.id).urn == "KX-2026-00001"
