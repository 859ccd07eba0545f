"""The case history as text (`dsvdesk case show` and the Case tab): every grade, outcome, method and
agency by the label the forms give it, never its code; every time as dd/mm/yyyy HH:MM (a bare date as
dd/mm/yyyy), never ISO."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dsvdesk.engine.casework import casework_policy
from dsvdesk.engine.loader import load_form, load_form_text
from dsvdesk.reporting.casework import case_history, describe_case, grade_change, grade_labeller, local_time
from dsvdesk.store.casework import (
    CaseAssessment,
    CaseContact,
    CaseEvent,
    CaseFile,
    CaseReferral,
    CaseReview,
    RetentionDecision,
)

FORMS = Path(__file__).resolve().parents[3] / "forms"
CASEWORK = load_form(FORMS / "casework.yaml")
POLICY = casework_policy(CASEWORK)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
LOCAL = re.compile(r"\b\d{2}/\d{2}/\d{4}( \d{2}:\d{2})?\b")


def stamp(day: int, hour: int) -> str:
    return dt.datetime(2026, 1, day, hour, 30, tzinfo=dt.UTC).isoformat(timespec="microseconds")


def assessment(kind: str, revision: int, previous: str | None, grade: str) -> CaseAssessment:
    return CaseAssessment(
        id=revision, kind=kind, risk_revision=revision, previous_grade=previous, grade=grade,
        decision_at=stamp(9, 18) if kind == "bail" else None, answers={}, sha256="0" * 64,
        created_at=stamp(3, 9), created_by="off2",
    )  # fmt: skip


CASE = CaseFile(
    record_id="r1", urn="HO/2026/000001", status="approved", victim_name="Ann Example", owner="off1",
    opened_at=stamp(1, 8), io="off2", io_name="Dee Two", allocated_by="sup1", allocated_at=stamp(1, 9),
    record_grade="high", grade="medium", risk_revision=3, reviews_done=1, next_review_due=stamp(8, 8),
    next_review_by="Detective Inspector (DI)", outcome=None, outcome_at=None, retention_due=stamp(2, 8),
    version=7,
    assessments=(assessment("part2", 1, "high", "high"), assessment("part2", 2, "high", "medium"),
                 assessment("bail", 3, "medium", "medium")),
    reviews=(CaseReview(0, stamp(1, 18), "Detective Sergeant (DS)", stamp(1, 20), "sup2", "risk_raised", "DI to see"),),
    contacts=(CaseContact(1, stamp(1, 12), "in_person", True, "first", "Safe at her sister's.", "off2"),),
    events=(CaseEvent(1, "arrest", stamp(2, 10), "off2"),),
    referrals=(CaseReferral(1, "idva", "2026-01-02", "accepted", "2026-01-04", "Refuge", "off2"),),
    retention=(RetentionDecision(stamp(5, 10), "sup1", "retain", "Linked case open", stamp(6, 10)),),
)  # fmt: skip


def labels(*extra: str) -> dict[str, str]:
    specs = {s.id: s for s in (load_form(FORMS / "124d.yaml"), CASEWORK)}
    for text in extra:
        spec = load_form_text(text, "custom.yaml")
        specs[spec.id] = spec
    return specs


def test_the_history_shows_the_forms_labels_and_one_date_format() -> None:
    history = case_history(CASE, POLICY, grade_labeller(labels().values()))
    text = "\n".join(history)
    assert "grade High (confirmed)" in history[0] and "grade Medium (was High)" in history[1]
    assert "Bail risk re-assessment r3: grade Medium (confirmed)" in history[2]
    assert "->" not in text and " high" not in text and " medium" not in text  # no grade codes
    assert "risk_raised" not in text and "in_person" not in text and " idva " not in text
    assert POLICY.review_outcome_label("risk_raised") in text and POLICY.agency_label("idva") in text
    assert ISO.search(text) is None, text  # no ISO date anywhere (the referral's day included)
    assert "on 02/01/2026: Accepted; support in place (04/01/2026)" in text
    for line in history:
        assert LOCAL.search(line), line  # every line says when, as the rest of the app does
    summary = describe_case(CASE, POLICY, ["review overdue"], grade_labeller(labels().values()))
    assert "Grade: Medium (risk revision 3)" in summary and ISO.search("\n".join(summary)) is None


def test_a_force_that_renames_a_grade_sees_its_own_word() -> None:
    """The labels come from the YAML: a copy of 124D calling High "Serious" shows "Serious"."""
    renamed = (FORMS / "124d.yaml").read_text(encoding="utf-8").replace('label: "High"', 'label: "Serious"')
    specs = labels()
    specs["124d"] = load_form_text(renamed, "124d.yaml")
    history = case_history(CASE, POLICY, grade_labeller(specs.values()))
    assert "grade Medium (was Serious)" in history[1]


def test_a_grade_no_form_knows_is_shown_as_stored() -> None:
    label = grade_labeller(labels().values())
    assert label("extreme") == "extreme" and label(None) == "-" and label("HIGH") == "High"
    assert grade_change(None, "high", label) == "High"


@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1)))
def test_every_stored_stamp_reads_dd_mm_yyyy_hh_mm(moment: dt.datetime) -> None:
    text = local_time(moment.replace(tzinfo=dt.UTC).isoformat(timespec="microseconds"))
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", text)
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", local_time(moment.date().isoformat()))
