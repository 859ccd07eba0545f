"""Property tests: whatever the DASH answers, the count, the floor and the 'not asked' rule agree with a
plain reading of the rules (hypothesis draws the answers)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.engine.spec import YESNO_DK_VALUES
from tests.unit.forms.support import DASH_CHILD_IDS, DASH_IDS, FOLLOW_UPS, example, form, rule_ids, run

BASE = example("124d")

dash_answers = st.fixed_dictionaries({qid: st.sampled_from(YESNO_DK_VALUES) for qid in DASH_IDS})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dash=dash_answers,
    has_children=st.sampled_from(["yes", "no"]),
    grade=st.sampled_from(["standard", "medium", "high"]),
    comment_not_asked=st.booleans(),
)
def test_count_floor_and_not_asked_follow_the_rules(
    dash: dict[str, str], has_children: str, grade: str, comment_not_asked: bool
) -> None:
    answers: dict[str, Any] = {k: v for k, v in BASE.items() if not k.startswith("dash_q") or "__" in k}
    answers.update(FOLLOW_UPS)
    answers.update(dash)
    answers = {k: v for k, v in answers.items() if not k.endswith("__comment")}
    for qid, value in dash.items():
        if value == "not_asked" and comment_not_asked:
            answers[f"{qid}__comment"] = "Could not be asked: the suspect came back."
    answers.update(has_children=has_children, officer_grade=grade, supervisor_grade=grade)

    evaluation = run(form("124d"), answers)

    visible = [q for q in DASH_IDS if has_children == "yes" or q not in DASH_CHILD_IDS]
    expected_yes = sum(dash[q] == "yes" for q in visible)
    assert evaluation.values["dash_yes_count"] == expected_yes
    below_floor = expected_yes >= 14 and grade != "high"
    assert ("officer_grade_below_floor" in rule_ids(evaluation, "error")) is below_floor
    flagged = {f.question_id for f in evaluation.findings if f.rule_id == "not_asked_needs_comment"}
    expected_flagged = set() if comment_not_asked else {q for q in visible if dash[q] == "not_asked"}
    assert flagged == expected_flagged
    assert ("high_without_marac" in evaluation.flags) is (
        expected_yes >= 14 or grade == "high"  # no criterion / no referral in these answers
    )
