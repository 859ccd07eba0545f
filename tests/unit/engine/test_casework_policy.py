"""The casework policy compiled from forms/casework.yaml: schedules, retention, Victims' Code timing, and
clear messages for a wrong definition."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsvdesk.engine.casework import (
    BAIL,
    REASSESSMENT,
    CaseworkDefinitionError,
    Contact,
    Duration,
    Event,
    NoCaseworkForm,
    casework_form,
    casework_policy,
    vcop_status,
)
from dsvdesk.engine.completeness import evaluate
from dsvdesk.engine.loader import load_form, load_form_text, load_forms_dir
from dsvdesk.engine.vocabulary import vocabulary_of

FORMS = Path(__file__).resolve().parents[3] / "forms"
TEXT = (FORMS / "casework.yaml").read_text(encoding="utf-8")
POLICY = casework_policy(load_form(FORMS / "casework.yaml"))
T0 = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)


def test_the_shipped_schedule_is_the_seed_reports_ten_hours_seven_days_28_days_then_every_28() -> None:
    dues = [POLICY.review_due(T0, n) for n in range(5)]
    assert [d.due - T0 for d in dues] == [
        dt.timedelta(hours=10),
        dt.timedelta(days=7),
        dt.timedelta(days=28),
        dt.timedelta(days=56),
        dt.timedelta(days=84),
    ]
    assert [d.by[-4:] for d in dues] == ["(DS)", "(DI)", "DCI)", "DCI)", "DCI)"]


@given(st.integers(min_value=0, max_value=60))
def test_each_review_is_due_after_the_one_before(done: int) -> None:
    assert POLICY.review_due(T0, done + 1).due > POLICY.review_due(T0, done).due


def test_retention_takes_the_longest_period_that_applies() -> None:
    assert POLICY.retention_period(None, None).token == "6y"
    top = vocabulary_of(load_form(FORMS / "124d.yaml")).top_grade
    assert POLICY.retention_period(top, None).token == "10y"
    assert POLICY.retention_period(None, "charged").token == "10y"
    leap = dt.datetime(2028, 2, 29, tzinfo=dt.UTC)
    assert POLICY.retention_due(leap, None, None, None) == dt.datetime(2034, 2, 28, tzinfo=dt.UTC)


def test_the_entry_grades_are_the_investigation_forms_grades() -> None:
    grades = [g.value for g in vocabulary_of(load_form(FORMS / "124d.yaml")).grades]
    for kind in (REASSESSMENT, BAIL):
        question = POLICY.entry_question(kind, "grade")
        assert question is not None and [c.value for c in question.choices] == grades


def test_entries_are_checked_on_their_own_section_only() -> None:
    part2 = POLICY.entry_spec(REASSESSMENT)
    assert [s.id for s in part2.sections] == [REASSESSMENT]
    result = evaluate(part2, {"reassessed_grade": "high"})
    ids = {f.question_id for f in result.errors}
    assert {"checks_done", "grade_reason", "rara_update"} <= ids  # the RARA rule of the form applies
    bail = evaluate(POLICY.entry_spec(BAIL), {})
    assert "custody_decision_at" in {f.question_id for f in bail.errors}
    assert "rara_update" not in {f.question_id for f in bail.errors}


def test_victims_code_states() -> None:
    arrest = Event("arrest", T0 + dt.timedelta(hours=48))
    status = vcop_status(
        POLICY, T0, [Contact(T0 + dt.timedelta(hours=23), False)], [arrest], T0 + dt.timedelta(hours=50)
    )
    assert status.first_state == "in_time" and status.events[0].state == "pending" and status.compliant
    later = vcop_status(
        POLICY, T0, [Contact(T0 + dt.timedelta(hours=25), True)], [arrest], T0 + dt.timedelta(days=4)
    )
    assert later.first_state == "late" and later.events[0].state == "missed" and not later.compliant
    assert vcop_status(POLICY, T0, [], [], T0 + dt.timedelta(hours=1)).first_state == "pending"
    assert vcop_status(POLICY, T0, [], [], T0 + dt.timedelta(hours=25)).first_state == "missed"


@given(st.text(max_size=8))
def test_durations_parse_or_are_refused(text: str) -> None:
    parsed = Duration.parse(text)
    if parsed is not None:
        assert parsed.after(T0) > T0 or parsed.amount == 0


def test_every_problem_of_a_wrong_definition_is_named_with_its_place() -> None:
    broken = (
        TEXT.replace("{after: 10h,", "{after: ten hours,")
        .replace("first_within: 24h", "first_within: soon")
        .replace("{agency: idva, grades: [medium, high]}", "{agency: idvaa, grades: [severe]}")
    )
    with pytest.raises(CaseworkDefinitionError) as caught:
        casework_policy(load_form_text(broken, "broken.yaml"))
    message = str(caught.value)
    assert "options.casework.reviews.steps[0].after: 'ten hours' is not a time like 10h" in message
    assert "options.casework.victim_contact.first_within" in message
    assert "'idvaa' is not one of the agencies" in message
    assert "'severe' is not one of high, medium, standard" in message
    assert caught.value.exit_code == 4


def test_the_forms_folder_has_one_casework_form_and_a_folder_without_it_is_named() -> None:
    assert casework_form(load_forms_dir(FORMS)).id == "casework"
    with pytest.raises(NoCaseworkForm, match=r"forms/casework\.yaml"):
        casework_form({})
