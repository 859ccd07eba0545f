"""Boundary cases of the issue-18 risk rules, as data, so that the same cases run through the engine,
through `dsvdesk check-answers` (tests/unit/forms/test_124d_issue18_rules.py) and through the wizard's
completeness list (tests/ui/test_risk_rules_ui.py).

Each case starts from the complete example record (tests/data/examples/124d.json: Medium grade, 13 'yes'
answers, one previous incident, no previous MARAC, no HBV concern, no referral) and changes only what its
rule looks at. `fires` must be among the rule ids found; `quiet` must not be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.unit.forms.support import FOLLOW_UPS

HBV_ANSWERED = {f"hbv_q{n}": "no" for n in range(1, 11)}  # H1 opens: the example has young children
REFERRED = {"marac_referral_made": "yes", "marac_referral_date": "2026-03-16"}


@dataclass(frozen=True)
class RuleCase:
    name: str
    changes: dict[str, Any]
    fires: frozenset[str] = frozenset()
    quiet: frozenset[str] = frozenset()
    reviewer: bool = False  # also evaluate the supervisor's section (check-answers --reviewer)
    can_submit: bool | None = None  # None: not asserted
    values: dict[str, Any] = field(default_factory=dict)  # computed values expected


def case(name: str, changes: dict[str, Any], **kwargs: Any) -> RuleCase:
    return RuleCase(
        name,
        changes,
        fires=frozenset(kwargs.pop("fires", ())),
        quiet=frozenset(kwargs.pop("quiet", ())),
        **kwargs,
    )


JUDGEMENT = "high_risk_item_needs_judgement"
INJURY = "injury_described_on_victim_page"
CRITERION_RULES = ("marac_criterion_needs_referral", "marac_criterion_needs_referral_or_decision")

CASES: tuple[RuleCase, ...] = (
    # Rule 1: a criterion (here professional judgement on a Medium record) means a referral.
    case(
        "rule1_no_criterion_no_referral_needed",
        {},
        quiet=CRITERION_RULES,
        reviewer=True,
        can_submit=True,
        values={"marac_criteria_met": []},
    ),
    case(
        "rule1_criterion_warns_the_officer",
        {"marac_criteria": ["professional_judgement"]},
        fires={"marac_criterion_needs_referral"},
        can_submit=True,
        values={"marac_criteria_met": ["professional_judgement"]},
    ),
    case(
        "rule1_criterion_blocks_approval_without_referral",
        {"marac_criteria": ["professional_judgement"]},
        fires={"marac_criterion_needs_referral_or_decision"},
        reviewer=True,
        can_submit=False,
    ),
    case(
        "rule1_decision_not_to_refer_needs_a_reason",
        {"marac_criteria": ["professional_judgement"], "marac_decision": "not_required"},
        fires={"marac_criterion_needs_referral_or_decision"},
        reviewer=True,
        can_submit=False,
    ),
    case(
        "rule1_decision_not_to_refer_with_reason_approves",
        {
            "marac_criteria": ["professional_judgement"],
            "marac_decision": "not_required",
            "marac_decision_reason": "Victim already discussed at last week's MARAC; IDVA engaged daily.",
        },
        quiet={"marac_criterion_needs_referral_or_decision"},
        reviewer=True,
        can_submit=True,
    ),
    case(
        "rule1_referral_date_satisfies_the_criterion",
        {"marac_criteria": ["professional_judgement"], **REFERRED, "marac_decision": "referred"},
        quiet=CRITERION_RULES,
        reviewer=True,
        can_submit=True,
    ),
    # Rule 2: potential escalation counts this incident: 1 previous (2 in all) vs 2 previous (3 in all).
    case(
        "rule2_two_incidents_including_this_one_is_not_escalation",
        {"previous_incidents_12m": 1},
        quiet={"potential_escalation", *CRITERION_RULES},
        values={"incidents_in_window": 2, "marac_criteria_met": []},
    ),
    case(
        "rule2_three_incidents_including_this_one_is_escalation",
        {"previous_incidents_12m": 2},
        fires={"potential_escalation", "marac_criterion_needs_referral"},
        can_submit=True,
        values={"incidents_in_window": 3, "marac_criteria_met": ["potential_escalation"]},
    ),
    case(
        "rule2_escalation_is_a_criterion_at_approval",
        {"previous_incidents_12m": 2},
        fires={"marac_criterion_needs_referral_or_decision"},
        reviewer=True,
        can_submit=False,
    ),
    # Rule 3: a previous MARAC within 12 months (incident 2026-03-14) is a repeat automatically.
    case(
        "rule3_previous_marac_11_months_before_is_a_repeat",
        {"previous_marac": "yes", "previous_marac_date": "2025-03-15"},
        fires={"marac_criterion_needs_referral"},
        values={"marac_criteria_met": ["repeat"]},
    ),
    case(
        "rule3_previous_marac_12_months_before_is_not",
        {"previous_marac": "yes", "previous_marac_date": "2025-03-14"},
        quiet=CRITERION_RULES,
        values={"marac_criteria_met": []},
    ),
    case(
        "rule3_previous_marac_needs_its_date",
        {"previous_marac": "yes"},
        can_submit=False,
    ),
    # Rule 4: honour-based violence and forced marriage concerns are automatic referrals.
    case(
        "rule4_hbv_concern_is_a_criterion",
        {"hbv_flag": "yes", **HBV_ANSWERED},
        fires={"marac_criterion_needs_referral"},
        values={"marac_criteria_met": ["hbv_forced_marriage"]},
    ),
    case(
        "rule4_forced_marriage_concern_is_a_criterion",
        {"forced_marriage_flag": "yes", **HBV_ANSWERED},
        fires={"marac_criterion_needs_referral"},
        values={"marac_criteria_met": ["hbv_forced_marriage"]},
    ),
    case(
        "rule4_dash_q4_alone_is_not_a_criterion",
        {"dash_q4": "yes", "dash_q13": "no"},  # still 13 yes
        quiet=CRITERION_RULES,
        can_submit=True,
        values={"marac_criteria_met": []},
    ),
    # Rule 5: Q9 is asked of a victim with no children and counts.
    case(
        "rule5_q9_asked_without_children",
        {"has_children": "no", "dash_q9": None},
        can_submit=False,
    ),
    case(
        "rule5_q9_yes_without_children_counts",
        {"has_children": "no", "dash_q9": "yes"},
        values={"dash_yes_count": 13},  # 13 - Q10 (yes, now hidden) + Q9
    ),
    # Rule 6: every child in the relationship, present or not, needs a Merlin reference.
    case(
        "rule6_child_neither_present_nor_resident_needs_merlin",
        {
            "children": [
                {
                    "name": "Noah Mellor",
                    "sex": "male",
                    "dob": "2021-11-30",
                    "resident": "no",
                    "present": "no",
                    "witnessed": "no",
                    "injured": "no",
                }
            ]
        },
        fires={"children_without_merlin"},
        can_submit=False,
        values={"merlin_missing": 1},
    ),
    case(
        "rule6_dependant_of_18_needs_no_merlin",
        {
            "children": [
                {
                    "name": "Sam Whitfield",
                    "sex": "male",
                    "dob": "2008-03-14",
                    "resident": "yes",
                    "present": "yes",
                    "witnessed": "no",
                    "injured": "no",
                }
            ]
        },
        quiet={"children_without_merlin"},
        values={"merlin_missing": 0},
    ),
    case(
        "rule6_child_a_day_under_18_needs_merlin",
        {
            "children": [
                {
                    "name": "Sam Whitfield",
                    "sex": "male",
                    "dob": "2008-03-15",
                    "resident": "no",
                    "present": "no",
                    "witnessed": "no",
                    "injured": "no",
                }
            ]
        },
        fires={"children_without_merlin"},
        values={"merlin_missing": 1},
    ),
    # Rule 7: DASH Q4 alone opens the HBV questions as "consider asking"; a concern makes them required.
    case(
        "rule7_dash_q4_yes_alone_makes_no_hbv_question_required",
        {"dash_q4": "yes", "dash_q13": "no"},  # still 13 yes
        can_submit=True,
        values={"hbv_concern": False},
    ),
    case(
        "rule7_hbv_concern_makes_the_hbv_questions_required",
        {"hbv_flag": "yes"},
        can_submit=False,
        values={"hbv_concern": True},
    ),
    # Issue 20: a high-risk item the form tags `judgement` (Q17 threats to kill) answered yes below the
    # count threshold prompts professional judgement; the example (Q16-Q18 no) is not prompted.
    case("judgement_not_prompted_without_a_judgement_item", {}, quiet={JUDGEMENT}, can_submit=True),
    case(
        "judgement_prompted_by_q17_below_the_threshold",
        {"dash_q17": "yes", "dash_q2": "no"},
        fires={JUDGEMENT},
        can_submit=True,
    ),
    case(
        "judgement_not_prompted_at_the_threshold",
        {"dash_q17": "yes"},  # 14 yes: visible high risk
        quiet={JUDGEMENT},
    ),
    case(
        "judgement_not_prompted_once_graded_high",
        {"dash_q18": "yes", "dash_q2": "no", "officer_grade": "high"},
        quiet={JUDGEMENT},
    ),
    case(
        "judgement_not_prompted_once_ticked",
        {"dash_q16": "yes", "dash_q2": "no", "marac_criteria": ["professional_judgement"]},
        quiet={JUDGEMENT},
    ),
    # Issue 20: the injury is described once (Victim page); DASH Q1 yes with no injury there is an error.
    case("injury_once_agrees_with_the_victim_page", {}, quiet={INJURY}, can_submit=True),
    case(
        "injury_once_dash_q1_yes_without_victim_injuries",
        {"victim_injuries": "no"},
        fires={INJURY},
        can_submit=False,
    ),
)

BY_NAME = {c.name: c for c in CASES}


def answers_for(base: dict[str, Any], rule_case: RuleCase) -> dict[str, Any]:
    """The example answers with the case's changes (None removes an answer)."""
    answers = dict(base)
    for key, value in rule_case.changes.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answers


__all__ = ["BY_NAME", "CASES", "FOLLOW_UPS", "RuleCase", "answers_for"]
