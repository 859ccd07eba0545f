"""Issue 18: the risk rules as the sources state them (SafeLives MARAC criteria, DASH 2009, the Islington
DSVB report 2010), each at its boundary, through the engine and through `dsvdesk check-answers`.

The cases themselves are data (tests/unit/forms/rule_cases.py), shared with the wizard test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.cli import main
from dsvdesk.errors import ExitCode
from tests.unit.forms.rule_cases import CASES, HBV_ANSWERED, RuleCase, answers_for
from tests.unit.forms.support import (
    AUTHOR,
    EVERYONE,
    FORMS_DIR,
    describe,
    error_questions,
    example,
    form,
    form_with_constants,
    rule_ids,
    run,
)


@pytest.fixture
def answers() -> dict[str, Any]:
    return example("124d")


def _check(rule_case: RuleCase, found: set[str], can_submit: bool, values: dict[str, Any], why: str) -> None:
    assert rule_case.fires <= found, why
    assert not (rule_case.quiet & found), why
    if rule_case.can_submit is not None:
        assert can_submit is rule_case.can_submit, why
    for key, expected in rule_case.values.items():
        assert values[key] == expected, f"{key}: {values[key]!r} != {expected!r}\n{why}"


@pytest.mark.parametrize("rule_case", CASES, ids=lambda c: c.name)
def test_rule_case_through_the_engine(answers: dict[str, Any], rule_case: RuleCase) -> None:
    evaluation = run(
        form("124d"), answers_for(answers, rule_case), EVERYONE if rule_case.reviewer else AUTHOR
    )
    _check(
        rule_case, rule_ids(evaluation), evaluation.can_submit, dict(evaluation.values), describe(evaluation)
    )


@pytest.mark.parametrize("rule_case", CASES, ids=lambda c: c.name)
def test_rule_case_through_check_answers(
    answers: dict[str, Any], rule_case: RuleCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers_for(answers, rule_case)), encoding="utf-8")
    argv = ["check-answers", str(path), "--form", str(FORMS_DIR / "124d.yaml"), "--json"]
    code = main([*argv, *(["--reviewer"] if rule_case.reviewer else [])])
    report = json.loads(capsys.readouterr().out)
    found = {f["rule_id"] for f in report["findings"] if f["rule_id"]}
    assert code == (0 if report["can_submit"] else ExitCode.NOT_READY)
    _check(rule_case, found, report["can_submit"], report["values"], json.dumps(report["findings"], indent=1))


def test_check_answers_prints_the_criterion_warning_in_words(
    answers: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(dict(answers, previous_incidents_12m=2)), encoding="utf-8")
    assert main(["check-answers", str(path), "--form", str(FORMS_DIR / "124d.yaml")]) == 0
    out = capsys.readouterr().out
    assert "warning: references_referrals/marac_referral_made: A MARAC referral criterion is met" in out
    assert "potential escalation is a MARAC referral criterion" in out


# ------------------------------------------------------------------ rule 1: criterion -> referral


@pytest.mark.parametrize(
    "criterion",
    ["visible_high_risk", "professional_judgement", "potential_escalation", "repeat", "hbv_forced_marriage"],
)
def test_every_ticked_criterion_counts(answers: dict[str, Any], criterion: str) -> None:
    evaluation = run(form("124d"), dict(answers, marac_criteria=[criterion]), EVERYONE)
    assert evaluation.values["marac_criteria_met"] == [criterion]
    assert "marac_criterion_needs_referral_or_decision" in rule_ids(evaluation, "error")


def test_high_grade_still_needs_the_referral_itself(answers: dict[str, Any]) -> None:
    """A supervisor's decision not to refer never clears a High grade (rule high_grade_needs_marac_referral)."""
    changed = dict(
        answers,
        officer_grade="high",
        supervisor_grade="high",
        marac_criteria=["professional_judgement"],
        marac_decision="not_required",
        marac_decision_reason="Considered and declined.",
    )
    evaluation = run(form("124d"), changed, EVERYONE)
    assert "high_grade_needs_marac_referral" in rule_ids(evaluation, "error")
    assert "marac_criterion_needs_referral" not in rule_ids(evaluation), "the error says it already"


def test_decision_reason_is_asked_only_when_a_criterion_is_met(answers: dict[str, Any]) -> None:
    no_criterion = run(form("124d"), dict(answers, marac_decision="not_required"), EVERYONE)
    assert "marac_decision_reason" not in error_questions(no_criterion)
    criterion = run(
        form("124d"), dict(answers, marac_decision="not_required", previous_incidents_12m=4), EVERYONE
    )
    assert "marac_decision_reason" in error_questions(criterion), describe(criterion)
    referred = run(
        form("124d"),
        dict(
            answers,
            marac_decision="not_required",
            previous_incidents_12m=4,
            marac_referral_made="yes",
            marac_referral_date="2026-03-15",
        ),
        EVERYONE,
    )
    assert "marac_decision_reason" not in error_questions(referred), "a referral was made: no reason owed"


def test_the_criterion_warning_flags_the_record_for_the_supervisor(answers: dict[str, Any]) -> None:
    evaluation = run(form("124d"), dict(answers, marac_criteria=["professional_judgement"]))
    assert "marac_criterion_without_referral" in evaluation.flags
    assert "marac_criterion_without_referral" not in run(form("124d"), answers).flags


# ------------------------------------------------------------------ rule 2: escalation counts this incident


@pytest.mark.parametrize(("previous", "met"), [(0, False), (1, False), (2, True), (7, True)])
def test_escalation_counts_this_incident(answers: dict[str, Any], previous: int, met: bool) -> None:
    evaluation = run(form("124d"), dict(answers, previous_incidents_12m=previous))
    assert evaluation.values["incidents_in_window"] == previous + 1
    assert ("potential_escalation" in evaluation.values["marac_criteria_met"]) is met
    assert ("potential_escalation" in evaluation.flags) is met
    assert ("Escalation" in evaluation.values["specss_factors"]) is True  # Q13/Q14 yes in the example


def test_escalation_n_in_m_is_configurable(answers: dict[str, Any]) -> None:
    kent_like = form_with_constants("124d", escalation_incidents=2, escalation_months=6)
    evaluation = run(kent_like, dict(answers, previous_incidents_12m=1))
    assert evaluation.values["marac_criteria_met"] == ["potential_escalation"]
    stricter = form_with_constants("124d", escalation_incidents=4)
    assert run(stricter, dict(answers, previous_incidents_12m=2)).values["marac_criteria_met"] == []


def test_escalation_with_a_referral_raises_no_warning(answers: dict[str, Any]) -> None:
    changed = dict(
        answers, previous_incidents_12m=5, marac_referral_made="yes", marac_referral_date="2026-03-15"
    )
    evaluation = run(form("124d"), changed)
    assert not {"potential_escalation", "marac_criterion_needs_referral"} & rule_ids(evaluation)
    assert evaluation.values["marac_criteria_met"] == ["potential_escalation"]


# ------------------------------------------------------------------ rule 3: repeat MARAC


@pytest.mark.parametrize(
    ("previous", "repeat"),
    [
        ("2026-03-14", True),
        ("2025-09-01", True),
        ("2025-03-15", True),
        ("2025-03-14", False),
        ("2024-01-01", False),
    ],
)
def test_repeat_marac_within_12_months(answers: dict[str, Any], previous: str, repeat: bool) -> None:
    evaluation = run(form("124d"), dict(answers, previous_marac="yes", previous_marac_date=previous))
    assert ("repeat" in evaluation.values["marac_criteria_met"]) is repeat


def test_previous_marac_after_the_incident_is_refused(answers: dict[str, Any]) -> None:
    evaluation = run(form("124d"), dict(answers, previous_marac="yes", previous_marac_date="2026-03-15"))
    assert "previous_marac_date" in error_questions(evaluation)
    assert "repeat" not in evaluation.values["marac_criteria_met"]


def test_previous_marac_date_hidden_unless_yes(answers: dict[str, Any]) -> None:
    for answer in ("no", "dont_know"):
        evaluation = run(form("124d"), dict(answers, previous_marac=answer, previous_marac_date="2026-01-01"))
        assert "previous_marac_date" not in evaluation.visible_questions
        assert evaluation.values["marac_criteria_met"] == [], "a hidden stale date never counts"


def test_repeat_window_is_configurable(answers: dict[str, Any]) -> None:
    six = form_with_constants("124d", repeat_marac_months=6)
    changed = dict(answers, previous_marac="yes", previous_marac_date="2025-09-01")
    assert run(six, changed).values["marac_criteria_met"] == []


# ------------------------------------------------------------------ rule 4: HBV / forced marriage


def test_hbv_automatic_referral_can_be_switched_off_per_force(answers: dict[str, Any]) -> None:
    off = form_with_constants("124d", hbv_fm_automatic_marac="false")
    changed = dict(answers, hbv_flag="yes", **HBV_ANSWERED)
    assert run(off, changed).values["marac_criteria_met"] == []
    assert run(form("124d"), changed).values["marac_criteria_met"] == ["hbv_forced_marriage"]


def test_hbv_and_forced_marriage_are_recorded_apart(answers: dict[str, Any]) -> None:
    spec = form("124d")
    assert spec.columns["hbv_flag"] == "hbv_flag"
    assert spec.columns["forced_marriage_flag"] == "forced_marriage_flag"
    evaluation = run(spec, dict(answers, forced_marriage_flag="yes", **HBV_ANSWERED))
    assert "hbv" in evaluation.visible_pages
    assert "Culture and isolation" in evaluation.values["specss_factors"]


# ------------------------------------------------------------------ rule 5: Q9 for every victim


@pytest.mark.parametrize("has_children", ["yes", "no"])
def test_q9_is_asked_of_every_victim(answers: dict[str, Any], has_children: str) -> None:
    changed = dict(answers, has_children=has_children, dash_q9="yes")
    evaluation = run(form("124d"), changed)
    assert "dash_q9" in evaluation.visible_questions
    assert "Pregnancy" in evaluation.values["specss_factors"]
    assert "dash_q9" in dict(evaluation.summary)["High-risk items answered yes"]
    changed.pop("dash_q9")
    assert "dash_q9" in error_questions(run(form("124d"), changed))


# ------------------------------------------------------------------ rule 6: Merlin for every child


def test_every_listed_child_under_the_age_limit_needs_merlin(answers: dict[str, Any]) -> None:
    for child in answers["children"]:
        child.update(present="no", resident="no")
        child.pop("merlin_ref")
    evaluation = run(form("124d"), answers)
    assert evaluation.values["merlin_missing"] == 2
    assert [(f.item_index, f.field_id) for f in evaluation.errors if f.rule_id is None] == [
        (0, "merlin_ref"),
        (1, "merlin_ref"),
    ]


def test_child_without_a_date_of_birth_still_needs_merlin(answers: dict[str, Any]) -> None:
    answers["children"][0].pop("dob")
    answers["children"][0].pop("merlin_ref")
    assert run(form("124d"), answers).values["merlin_missing"] == 1


def test_merlin_age_limit_is_configurable(answers: dict[str, Any]) -> None:
    sixteen = form_with_constants("124d", child_age_limit=16)
    answers["children"][0].update(dob="2009-03-14")  # 17 at the incident
    answers["children"][0].pop("merlin_ref")
    assert run(sixteen, answers).values["merlin_missing"] == 0
    assert run(form("124d"), answers).values["merlin_missing"] == 1


# ------------------------------------------------------------------ rule 7: HBV questions "consider asking"


def _adult_household(answers: dict[str, Any]) -> dict[str, Any]:
    return dict(answers, has_children="no", hbv_flag="yes")


@pytest.mark.parametrize(
    ("victim_dob", "children", "asked"),
    [
        ("1991-07-22", None, False),  # adult victim, no children
        ("2008-03-15", None, True),  # victim a day under 18
        ("2008-03-14", None, False),  # victim 18 that day
        ("1991-07-22", "2010-01-01", True),  # a child of 16
        ("1991-07-22", "2008-03-14", False),  # a "child" of 18
    ],
)
def test_truanting_question_only_for_under_18s(
    answers: dict[str, Any], victim_dob: str, children: str | None, asked: bool
) -> None:
    changed = _adult_household(answers)
    changed["victim_dob"] = victim_dob
    if children is not None:
        changed["has_children"] = "yes"
        changed["children"] = [dict(answers["children"][0], dob=children)]
    evaluation = run(form("124d"), changed)
    assert ("hbv_q1" in evaluation.visible_questions) is asked
    assert ("hbv_q1" in error_questions(evaluation)) is asked


def test_dash_q4_alone_opens_the_questions_as_optional(answers: dict[str, Any]) -> None:
    evaluation = run(form("124d"), dict(answers, dash_q4="yes", dash_q13="no"))
    assert "hbv" in evaluation.visible_pages
    assert not {f"hbv_q{n}" for n in range(1, 11)} & error_questions(evaluation)
    assert evaluation.can_submit, describe(evaluation)


def test_local_hbv_questions_are_marked_in_the_form() -> None:
    spec = form("124d")
    sources = {q.id: q.tag_value("hbv_source") for q in spec.questions_tagged("hbv")}
    assert sources == {f"hbv_q{n}": ("h_dash" if n <= 3 else "local") for n in range(1, 11)}
    for n in range(4, 11):
        assert "Local question" in (spec.question(f"hbv_q{n}").help or "")


# ------------------------------------------------------------------ Board figures the 124D feeds


def test_board_questions_feed_computed_figures(answers: dict[str, Any]) -> None:
    values = run(form("124d"), answers).values
    assert (values["police_involved"], values["multiple_victims"], values["multiple_perpetrators"]) == (
        "no",
        "no",
        "no",
    )
    changed = dict(
        answers,
        suspect_police_employee="yes",
        other_victims=[{"first_name": "Ann", "surname": "Lee", "injuries": "no"}],
        other_suspects=[{"first_name": "Ben", "surname": "Lee", "arrested": "yes", "police_employee": "no"}],
    )
    values = run(form("124d"), changed).values
    assert (values["police_involved"], values["multiple_victims"], values["multiple_perpetrators"]) == (
        "yes",
        "yes",
        "yes",
    )
    only_further = dict(
        answers,
        other_victims=[{"first_name": "Ann", "surname": "Lee", "injuries": "no", "police_employee": "yes"}],
    )
    assert run(form("124d"), only_further).values["police_involved"] == "yes"


@pytest.mark.parametrize(
    "question",
    [
        "victim_police_employee",
        "suspect_police_employee",
        "counter_allegation",
        "forced_marriage_flag",
        "previous_marac",
    ],
)
def test_new_questions_are_required(answers: dict[str, Any], question: str) -> None:
    answers.pop(question)
    assert question in error_questions(run(form("124d"), answers))
