"""Golden tests of every 124D rule, each at its boundary, starting from the complete example record.

The example (tests/data/examples/124d.json) is a Medium-risk record with 13 'yes' answers, two children
with Merlin references, no MARAC referral and a four-action RARA plan; it has no findings at all. Each
test changes only what the rule under test looks at.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.forms.support import (
    AUTHOR,
    DASH_CHILD_IDS,
    DASH_IDS,
    EVERYONE,
    describe,
    error_questions,
    example,
    form,
    form_with_constants,
    high_risk_ready,
    rule_ids,
    run,
    with_dash,
)


@pytest.fixture
def answers() -> dict[str, Any]:
    return example("124d")


def test_the_example_record_has_no_findings_for_officer_or_supervisor(answers: dict[str, Any]) -> None:
    for audiences in (AUTHOR, EVERYONE):
        evaluation = run(form("124d"), answers, audiences)
        assert not evaluation.findings, describe(evaluation)
        assert evaluation.values["dash_yes_count"] == 13


# ------------------------------------------------------------------ visible high risk: 13 vs 14 'yes'


def test_13_yes_answers_allow_a_medium_grade(answers: dict[str, Any]) -> None:
    evaluation = run(form("124d"), with_dash(answers, 13))
    assert evaluation.values["dash_yes_count"] == 13
    assert evaluation.values["grade_floor"] == "Standard"
    assert "officer_grade_below_floor" not in rule_ids(evaluation), describe(evaluation)
    assert "visible_high_risk" not in evaluation.values["marac_criteria_met"]


def test_14_yes_answers_require_a_high_grade_and_the_visible_high_risk_criterion(
    answers: dict[str, Any],
) -> None:
    evaluation = run(form("124d"), with_dash(answers, 14))
    assert evaluation.values["dash_yes_count"] == 14
    assert evaluation.values["grade_floor"] == "High"
    assert "officer_grade_below_floor" in rule_ids(evaluation, "error"), describe(evaluation)
    assert "officer_grade" in error_questions(evaluation)
    # Issue 18: the criterion is met by the answers themselves, not by a tick.
    assert evaluation.values["marac_criteria_met"] == ["visible_high_risk"]


def test_14_yes_answers_with_high_grade_criterion_and_referral_pass(answers: dict[str, Any]) -> None:
    evaluation = run(form("124d"), high_risk_ready(with_dash(answers, 14)), EVERYONE)
    assert not evaluation.errors, describe(evaluation)


def test_officer_may_grade_higher_than_the_answers_suggest(answers: dict[str, Any]) -> None:
    raised = high_risk_ready(with_dash(answers, 3))
    raised["marac_criteria"] = ["professional_judgement"]
    evaluation = run(form("124d"), raised, EVERYONE)
    assert not rule_ids(evaluation, "error"), describe(evaluation)


@pytest.mark.parametrize("other", ["dont_know", "not_asked"])
def test_dont_know_and_not_asked_never_count_as_yes(answers: dict[str, Any], other: str) -> None:
    # 13 yes and every other item "don't know" / "not asked" (with a comment): still 13, no floor.
    evaluation = run(form("124d"), with_dash(answers, 13, rest=other))
    assert evaluation.values["dash_yes_count"] == 13
    assert "officer_grade_below_floor" not in rule_ids(evaluation), describe(evaluation)


def test_skipped_children_questions_are_not_counted_even_if_answered_yes_earlier(
    answers: dict[str, Any],
) -> None:
    changed = with_dash(answers, 13, skip=DASH_CHILD_IDS)
    changed.update({qid: "yes" for qid in DASH_CHILD_IDS})  # stale answers from before "no children"
    changed["has_children"] = "no"
    evaluation = run(form("124d"), changed)
    assert evaluation.values["dash_yes_count"] == 13
    assert "dash_children" not in evaluation.visible_pages


def test_supervisor_cannot_grade_below_the_floor(answers: dict[str, Any]) -> None:
    changed = high_risk_ready(with_dash(answers, 14))
    changed["supervisor_grade"] = "medium"
    changed["supervisor_rationale"] = "Downgraded."
    evaluation = run(form("124d"), changed, EVERYONE)
    assert "supervisor_grade_below_floor" in rule_ids(evaluation, "error"), describe(evaluation)


def test_supervisor_may_raise_the_grade(answers: dict[str, Any]) -> None:
    changed = dict(answers)
    changed["supervisor_grade"] = "high"
    changed["supervisor_rationale"] = "Threats heard by officers; raise to High."
    changed["marac_referral_made"] = "yes"
    changed["marac_referral_date"] = "2026-03-16"
    evaluation = run(form("124d"), changed, EVERYONE)
    assert not rule_ids(evaluation, "error"), describe(evaluation)
    assert evaluation.values["effective_grade"] == "high"


def test_supervisor_rationale_is_required_only_when_the_grade_changes(answers: dict[str, Any]) -> None:
    same = dict(answers, supervisor_grade="medium")
    same.pop("supervisor_rationale")
    assert "supervisor_rationale" not in error_questions(run(form("124d"), same, EVERYONE))
    changed = dict(same, supervisor_grade="high", marac_referral_made="yes", marac_referral_date="2026-03-16")
    assert "supervisor_rationale" in error_questions(run(form("124d"), changed, EVERYONE))


# ------------------------------------------------------------------ local bands (suggestion only)


@pytest.mark.parametrize(
    ("yes", "suggested"), [(0, "Standard"), (9, "Standard"), (10, "Medium"), (13, "Medium"), (14, "High")]
)
def test_local_bands_suggest_a_grade(answers: dict[str, Any], yes: int, suggested: str) -> None:
    assert run(form("124d"), with_dash(answers, yes)).values["suggested_grade"] == suggested


def test_standard_grade_inside_the_medium_band_is_only_a_warning(answers: dict[str, Any]) -> None:
    changed = dict(with_dash(answers, 10), officer_grade="standard", supervisor_grade="standard")
    evaluation = run(form("124d"), changed)
    assert "grade_below_local_band" in rule_ids(evaluation, "warning")
    assert "grade_below_local_band" not in rule_ids(evaluation, "error")
    assert "grade_below_local_band" not in rule_ids(run(form("124d"), with_dash(changed, 9)))


def test_issue_18_rules_are_tested_at_their_boundaries() -> None:
    """The issue-18 rules have their boundary cases in rule_cases.py: "marac_criterion_needs_referral",
    "marac_criterion_needs_referral_or_decision" and "potential_escalation" (test_124d_issue18_rules.py)."""
    from tests.unit.forms.rule_cases import CASES

    fired = {rule for c in CASES for rule in c.fires}
    assert {"marac_criterion_needs_referral", "marac_criterion_needs_referral_or_decision"} <= fired
    assert "potential_escalation" in fired


def test_visible_high_risk_ticked_with_fewer_than_14_yes_warns(answers: dict[str, Any]) -> None:
    changed = dict(answers, marac_criteria=["visible_high_risk"])
    assert "visible_high_risk_without_count" in rule_ids(run(form("124d"), changed), "warning")


# ------------------------------------------------------------------ potential escalation: 2 vs 3 incidents
# Issue 18: this incident counts, so 2 previous incidents (3 in all) meet the criterion.


def test_one_previous_incident_raises_no_escalation_warning(answers: dict[str, Any]) -> None:
    evaluation = run(form("124d"), dict(answers, previous_incidents_12m=1))
    assert "potential_escalation" not in rule_ids(evaluation)


def test_two_previous_incidents_and_this_one_are_potential_escalation(answers: dict[str, Any]) -> None:
    evaluation = run(form("124d"), dict(answers, previous_incidents_12m=2))
    assert {"potential_escalation", "marac_criterion_needs_referral"} <= rule_ids(evaluation, "warning")
    assert not rule_ids(evaluation, "error"), "the officer is warned; approval needs the referral or decision"
    assert "Escalation" in evaluation.values["specss_factors"]


def test_recording_the_referral_clears_the_warning(answers: dict[str, Any]) -> None:
    changed = dict(
        answers, previous_incidents_12m=5, marac_referral_made="yes", marac_referral_date="2026-03-15"
    )
    assert "potential_escalation" not in rule_ids(run(form("124d"), changed))


def test_escalation_threshold_is_a_constant_a_force_can_change(answers: dict[str, Any]) -> None:
    kent_like = form_with_constants("124d", escalation_incidents=2, escalation_months=6)
    assert kent_like.constants["escalation_incidents"] == 2
    assert "potential_escalation" in rule_ids(run(kent_like, dict(answers, previous_incidents_12m=1)))


def test_visible_high_risk_threshold_is_a_constant(answers: dict[str, Any]) -> None:
    stricter = form_with_constants("124d", marac_yes_threshold=13)
    assert "officer_grade_below_floor" in rule_ids(run(stricter, answers), "error")


# ------------------------------------------------------------------ children and Merlin references


def test_child_present_without_merlin_reference_is_an_error(answers: dict[str, Any]) -> None:
    answers["children"][0].pop("merlin_ref")  # Lily: present and resident
    evaluation = run(form("124d"), answers)
    assert evaluation.values["merlin_missing"] == 1
    assert "children_without_merlin" in rule_ids(evaluation, "error")
    assert "children_without_merlin" in evaluation.flags
    on_child = [(f.item_index, f.field_id) for f in evaluation.errors if f.rule_id is None]
    assert on_child == [(0, "merlin_ref")], "the missing reference is also shown on that child"


def test_child_only_resident_still_needs_a_merlin_reference(answers: dict[str, Any]) -> None:
    answers["children"][1].pop("merlin_ref")  # Noah: resident, not present
    evaluation = run(form("124d"), answers)
    assert evaluation.values["merlin_missing"] == 1
    assert "children_without_merlin" in rule_ids(evaluation, "error")


def test_child_neither_present_nor_resident_needs_a_merlin_reference(answers: dict[str, Any]) -> None:
    # Issue 18 (Islington 2.5): every child in the relationship, present or not.
    answers["children"][1].pop("merlin_ref")
    answers["children"][1]["resident"] = "no"
    evaluation = run(form("124d"), answers)
    assert evaluation.values["merlin_missing"] == 1
    assert "children_without_merlin" in rule_ids(evaluation, "error"), describe(evaluation)


def test_an_adult_dependant_needs_no_merlin_reference(answers: dict[str, Any]) -> None:
    answers["children"][1].pop("merlin_ref")
    answers["children"][1]["dob"] = "1950-01-01"  # an older relative on the dependants list
    evaluation = run(form("124d"), answers)
    assert evaluation.values["merlin_missing"] == 0
    assert not rule_ids(evaluation, "error"), describe(evaluation)


def test_hidden_children_section_never_requires_merlin_references(answers: dict[str, Any]) -> None:
    for child in answers["children"]:
        child.pop("merlin_ref")  # stale list, then the officer answers "no children"
    answers["has_children"] = "no"
    evaluation = run(form("124d"), answers)
    assert evaluation.values["merlin_missing"] == 0
    assert evaluation.values["children_count"] == 0
    assert "children_without_merlin" not in rule_ids(evaluation)
    assert "children" not in error_questions(evaluation), describe(evaluation)


def test_children_count_counts_the_listed_children(answers: dict[str, Any]) -> None:
    assert run(form("124d"), answers).values["children_count"] == 2


# ------------------------------------------------------------------ 'not asked' needs a comment


def test_not_asked_without_a_comment_is_an_error_on_that_question(answers: dict[str, Any]) -> None:
    answers.pop("dash_q21__comment")
    evaluation = run(form("124d"), answers)
    hits = [f for f in evaluation.findings if f.rule_id == "not_asked_needs_comment"]
    assert [f.question_id for f in hits] == ["dash_q21"]
    assert str(hits[0].severity) == "error"


def test_not_asked_with_a_blank_comment_is_still_an_error(answers: dict[str, Any]) -> None:
    answers["dash_q21__comment"] = "   "
    assert "not_asked_needs_comment" in rule_ids(run(form("124d"), answers), "error")


def test_dont_know_needs_no_comment(answers: dict[str, Any]) -> None:
    answers.pop("dash_q5__comment")  # dash_q5 is "dont_know"
    assert "not_asked_needs_comment" not in rule_ids(run(form("124d"), answers))


# ------------------------------------------------------------------ grade → MARAC referral and RARA plan


def test_high_grade_needs_a_marac_referral_date(answers: dict[str, Any]) -> None:
    changed = dict(answers, officer_grade="high", supervisor_grade="high")
    evaluation = run(form("124d"), changed)
    assert "high_grade_needs_marac_referral" in rule_ids(evaluation, "error")
    referred = dict(changed, marac_referral_made="yes", marac_referral_date="2026-03-15")
    assert "high_grade_needs_marac_referral" not in rule_ids(run(form("124d"), referred))


def test_referral_made_needs_its_date(answers: dict[str, Any]) -> None:
    evaluation = run(form("124d"), dict(answers, marac_referral_made="yes"))
    assert "marac_referral_date" in error_questions(evaluation)


def test_supervisor_raising_to_high_needs_the_referral_too(answers: dict[str, Any]) -> None:
    changed = dict(
        answers, supervisor_grade="high", supervisor_rationale="Raised: threats heard by officers."
    )
    assert "high_grade_needs_marac_referral" in rule_ids(run(form("124d"), changed, EVERYONE), "error")


@pytest.mark.parametrize(("grade", "needs_plan"), [("standard", False), ("medium", True), ("high", True)])
def test_medium_or_high_grade_needs_a_rara_action(
    answers: dict[str, Any], grade: str, needs_plan: bool
) -> None:
    changed = dict(
        answers,
        officer_grade=grade,
        supervisor_grade=grade,
        rara_plan=[],
        marac_referral_made="yes",
        marac_referral_date="2026-03-15",
    )
    evaluation = run(form("124d"), changed)
    assert ("medium_high_needs_rara" in rule_ids(evaluation, "error")) is needs_plan, describe(evaluation)


def test_one_rara_action_is_enough(answers: dict[str, Any]) -> None:
    answers["rara_plan"] = answers["rara_plan"][:1]
    assert "medium_high_needs_rara" not in rule_ids(run(form("124d"), answers))


def test_rara_action_needs_an_action_and_an_owner(answers: dict[str, Any]) -> None:
    answers["rara_plan"] = [{"category": "reduce", "due_date": "2026-03-20"}]
    evaluation = run(form("124d"), answers)
    missing = [(f.question_id, f.item_index, f.field_id) for f in evaluation.errors]
    assert missing == [("rara_plan", 0, "action"), ("rara_plan", 0, "owner")], describe(evaluation)


# ------------------------------------------------------------------ arrest, injuries, photographs


def test_suspect_not_arrested_needs_a_reason(answers: dict[str, Any]) -> None:
    answers.pop("suspect_not_arrested_reason")
    assert "suspect_not_arrested_reason" in error_questions(run(form("124d"), answers))


def test_arrested_suspect_needs_no_reason_but_an_offence(answers: dict[str, Any]) -> None:
    answers["suspect_arrested"] = "yes"
    evaluation = run(form("124d"), answers)
    assert "suspect_not_arrested_reason" not in error_questions(evaluation)
    assert "arrest_offence" in error_questions(evaluation)
    answers.update(arrest_offence="s.47 assault", arrested_for_da_offence="yes")
    assert not run(form("124d"), answers).errors, describe(run(form("124d"), answers))


def test_injuries_need_a_description(answers: dict[str, Any]) -> None:
    answers.pop("victim_injury_description")
    assert "victim_injury_description" in error_questions(run(form("124d"), answers))


def test_injuries_without_photographs_need_a_reason(answers: dict[str, Any]) -> None:
    answers["photographs_taken"] = "no"
    evaluation = run(form("124d"), answers)
    assert "injuries_need_photographs" in rule_ids(evaluation, "error")
    answers["photographs_reason"] = (
        "No camera available on the borough at the time; injuries described above."
    )
    assert "injuries_need_photographs" not in rule_ids(run(form("124d"), answers))


def test_no_injuries_and_no_photographs_needs_no_reason(answers: dict[str, Any]) -> None:
    answers.update(victim_injuries="no", photographs_taken="no")
    answers.pop("victim_injury_description")
    evaluation = run(form("124d"), answers)
    assert "injuries_need_photographs" not in rule_ids(evaluation)
    assert "victim_injury_description" not in error_questions(evaluation)


# ------------------------------------------------------------------ follow-up pages open on their triggers


def test_sdash_opens_only_when_dash_q8_is_yes(answers: dict[str, Any]) -> None:
    assert "sdash" in run(form("124d"), answers).visible_pages
    answers["dash_q8"] = "no"
    evaluation = run(form("124d"), answers)
    assert "sdash" not in evaluation.visible_pages
    assert not evaluation.errors, describe(evaluation)


@pytest.mark.parametrize(
    ("dash_q4", "hbv_flag", "opens", "required"),
    [("no", "no", False, False), ("yes", "no", True, False), ("no", "yes", True, True)],
)
def test_hbv_questions_open_on_dash_q4_or_the_hbv_flag(
    answers: dict[str, Any], dash_q4: str, hbv_flag: str, opens: bool, required: bool
) -> None:
    evaluation = run(form("124d"), dict(answers, dash_q4=dash_q4, dash_q13="no", hbv_flag=hbv_flag))
    assert ("hbv" in evaluation.visible_pages) is opens
    # Issue 18: on DASH Q4 alone the questions are "consider asking"; a recorded concern requires them.
    assert ("hbv_q2" in error_questions(evaluation)) is required


def test_dash_children_page_is_skipped_without_children(answers: dict[str, Any]) -> None:
    answers["has_children"] = "no"
    evaluation = run(form("124d"), answers)
    assert "dash_children" not in evaluation.visible_pages
    assert "children_list" not in evaluation.visible_pages
    assert not set(DASH_CHILD_IDS) & error_questions(evaluation)


# ------------------------------------------------------------------ computed columns other parts rely on


def test_effective_grade_is_the_supervisors_when_set(answers: dict[str, Any]) -> None:
    answers.pop("supervisor_grade")
    assert run(form("124d"), answers, EVERYONE).values["effective_grade"] == "medium"
    answers["supervisor_grade"] = "high"
    assert run(form("124d"), answers, EVERYONE).values["effective_grade"] == "high"


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("ic1", "white"),
        ("ic2", "white"),
        ("ic3", "bme"),
        ("ic4", "bme"),
        ("ic5", "bme"),
        ("ic6", "bme"),
        ("not_known", None),
    ],
)
def test_victim_ethnic_group_from_the_6_plus_1_code(
    answers: dict[str, Any], code: str, group: str | None
) -> None:
    answers["victim_ethnicity_observed"] = code
    assert run(form("124d"), answers).values["victim_ethnic_group"] == group


def test_victim_and_suspect_full_names(answers: dict[str, Any]) -> None:
    values = run(form("124d"), answers).values
    assert values["victim_name"] == "Joanne Whitfield"
    assert values["suspect_name"] == "Craig Mellor"


def test_specss_factors_follow_the_answers(answers: dict[str, Any]) -> None:
    values = run(form("124d"), answers).values
    assert values["specss_factors"] == ["Separation", "Escalation", "Stalking"]
    answers.update(dash_q9="yes", dash_q19="yes", hbv_flag="yes", **{f"hbv_q{n}": "no" for n in range(1, 11)})
    assert run(form("124d"), answers).values["specss_factors"] == [
        "Separation",
        "Pregnancy",
        "Escalation",
        "Culture and isolation",
        "Stalking",
        "Sexual assault",
    ]


def test_summary_box_lists_count_high_risk_yes_items_grades_criteria_and_specss(
    answers: dict[str, Any],
) -> None:
    summary = dict(run(form("124d"), answers, EVERYONE).summary)
    assert summary["DASH 'yes' answers"] == 13
    assert summary["High-risk items answered yes"] == [
        "dash_q2",
        "dash_q3",
        "dash_q6",
        "dash_q7",
        "dash_q8",
        "dash_q13",
        "dash_q14",
        "dash_q15",
    ]
    assert summary["Officer's grade"] == "medium"
    assert summary["Supervisor's grade"] == "medium"
    assert summary["MARAC criteria met"] == []
    assert summary["SPECSS+ factors from the answers"] == ["Separation", "Escalation", "Stalking"]


# ------------------------------------------------------------------ dates of birth


def test_victim_born_after_the_incident_is_an_error(answers: dict[str, Any]) -> None:
    answers["victim_dob"] = "2026-03-15"  # the day after the incident
    assert "victim_born_after_incident" in rule_ids(run(form("124d"), answers), "error")


@pytest.mark.parametrize(
    ("dob", "warned"), [("2010-03-15", True), ("2010-03-14", False), ("2010-03-13", False)]
)
def test_victim_under_16_is_a_warning(answers: dict[str, Any], dob: str, warned: bool) -> None:
    # The incident is on 2026-03-14: born 2010-03-14 is 16 that day; born a day later is 15.
    answers["victim_dob"] = dob
    evaluation = run(form("124d"), answers)
    assert ("victim_under_16" in rule_ids(evaluation, "warning")) is warned
    assert "victim_under_16" not in rule_ids(evaluation, "error")


def test_non_latin_names_make_the_full_name(answers: dict[str, Any]) -> None:
    answers.update(victim_first_name="Ангелина", victim_surname="Łukasiewicz-王")
    assert run(form("124d"), answers).values["victim_name"] == "Ангелина Łukasiewicz-王"


@pytest.mark.parametrize(
    ("day", "time", "in_future"),
    [
        ("2026-11-01", "11:59", False),
        ("2026-11-01", "12:00", False),
        ("2026-11-01", "12:01", True),
        ("2026-10-31", "23:59", False),
        ("2026-11-02", "00:00", True),
    ],
)
def test_incident_date_and_time_cannot_be_in_the_future(
    answers: dict[str, Any], day: str, time: str, in_future: bool
) -> None:
    answers.update(incident_date=day, incident_time=time)
    evaluation = run(form("124d"), answers)  # the clock reads 2026-11-01 12:00
    time_errors = [f.message for f in evaluation.errors if f.question_id == "incident_time"]
    assert bool(time_errors) is in_future
    if in_future:
        assert time_errors == ["The incident date and time cannot be in the future."]


# ------------------------------------------------------------------ issue 20: professional judgement, injury
@pytest.mark.parametrize(("yes", "prompted"), [(13, True), (14, False)])
def test_a_judgement_item_below_the_threshold_prompts_professional_judgement(
    answers: dict[str, Any], yes: int, prompted: bool
) -> None:
    """Q17 (threats to kill, tagged `judgement` in the form) answered yes: with 13 'yes' answers the form
    prompts "high_risk_item_needs_judgement" (a warning, never a block); at 14 the floor already says High."""
    changed = with_dash(answers, yes)
    if changed["dash_q17"] != "yes":  # Q17 among the yes answers instead of the first one
        first_yes = next(q for q in DASH_IDS if changed.get(q) == "yes")
        changed.update({first_yes: "no", "dash_q17": "yes"})
    evaluation = run(form("124d"), changed)
    assert evaluation.values["dash_yes_count"] == yes
    assert ("high_risk_item_needs_judgement" in rule_ids(evaluation, "warning")) is prompted
    assert "high_risk_item_needs_judgement" not in rule_ids(evaluation, "error")


def test_the_example_has_no_judgement_item_and_is_not_prompted(answers: dict[str, Any]) -> None:
    spec = form("124d")
    judgement_items = [q.id for _s, _p, q in spec.iter_questions() if q.has_tag("judgement")]
    assert "dash_q17" in judgement_items and all(answers[q] != "yes" for q in judgement_items)
    assert "high_risk_item_needs_judgement" not in rule_ids(run(spec, answers))


def test_dash_q1_injured_needs_the_injury_on_the_victim_page(answers: dict[str, Any]) -> None:
    """ "injury_described_on_victim_page": the injury is described once, on the Victim page."""
    assert "injury_described_on_victim_page" not in rule_ids(run(form("124d"), answers))
    changed = dict(answers, victim_injuries="no")
    assert "injury_described_on_victim_page" in rule_ids(run(form("124d"), changed), "error")
    assert "injury_described_on_victim_page" not in rule_ids(run(form("124d"), dict(changed, dash_q1="no")))
