"""evaluate(): visibility, required findings, computed values, rules, percentages and page states."""

from __future__ import annotations

from datetime import datetime

from dsvdesk.engine.completeness import FindingCode, PageState, evaluate, visible_answers
from dsvdesk.engine.spec import Audience, Severity
from tests.unit.engine.support import finding_codes, form_yaml, make_spec, run

DASH = make_spec(
    form_yaml(
        """
        - {id: victim_name, type: text, label: Victim, required: true}
        - id: dash_q1
          type: yesno_dk
          number: "1"
          label: Injury?
          comment: true
          tags: [dash, {specss: escalation}]
        - id: dash_q2
          type: yesno_dk
          number: "2"
          label: Frightened?
          tags: [dash]
        - id: dash_q2_detail
          type: longtext
          label: What are you frightened of?
          show_when: dash_q2 == 'yes'
          required: true
          tags: [dash]
        - id: dash_yes_count
          type: computed
          label: Yes answers
          expression: count_tagged('dash', 'yes')
        - id: grade
          type: choice
          label: Grade
          choices: [standard, medium, high]
          required_when: dash_yes_count >= 1
        """,
        constants="marac_yes_threshold: 2",
        rules="""
        - id: visible_high_risk
          when: dash_yes_count >= marac_yes_threshold and grade != 'high'
          severity: error
          message: Grade must be high.
          targets: [grade]
          tags: [{flag: high_without_marac}, other]
        - id: check_escalation
          when: count_tagged('specss:escalation', 'yes') > 0
          severity: warning
          message: Consider escalation.
        - id: not_asked_needs_comment
          each_tag: dash
          when: value == 'not_asked' and not comment
          message: Say why it was not asked.
        """,
        extra_pages="""
        - id: children_page
          title: Children
          show_when: dash_q1 == 'yes'
          questions:
            - {id: children_note, type: text, label: Note, required: true}
        """,
        top="summary:\n  - {label: Yes answers, expression: dash_yes_count}\n  - {label: Name, expression: victim_name}",
    )
)


def test_empty_answers() -> None:
    evaluation = run(DASH, {})
    assert evaluation.values == {"dash_yes_count": 0}
    assert evaluation.visible_questions == {"victim_name", "dash_q1", "dash_q2", "dash_yes_count", "grade"}
    assert evaluation.visible_pages == ("page_one",)
    assert [(f.question_id, f.code) for f in evaluation.findings] == [("victim_name", FindingCode.REQUIRED)]
    assert evaluation.percent == 0
    assert evaluation.page_state("page_one") is PageState.NOT_STARTED
    assert evaluation.page_state("children_page") is PageState.HIDDEN
    assert not evaluation.can_submit
    assert evaluation.summary == (("Yes answers", 0), ("Name", None))


def test_show_when_and_required_when() -> None:
    evaluation = run(DASH, {"victim_name": "A", "dash_q2": "yes"})
    assert "dash_q2_detail" in evaluation.visible_questions
    assert finding_codes(evaluation, "dash_q2_detail") == ["required"]
    assert finding_codes(evaluation, "grade") == ["required"]  # required_when: one yes
    assert evaluation.values["dash_yes_count"] == 1
    assert evaluation.required_total == 3 and evaluation.required_answered == 1
    assert evaluation.percent == 33
    assert evaluation.page_state("page_one") is PageState.ERRORS


def test_hidden_answers_are_stale_not_counted_not_required_not_exported() -> None:
    answers = {"victim_name": "A", "dash_q2": "no", "dash_q2_detail": "yes", "children_note": "old"}
    evaluation = run(DASH, answers)
    assert "dash_q2_detail" not in evaluation.visible_questions
    assert evaluation.values["dash_yes_count"] == 0  # the hidden 'yes' does not count
    assert evaluation.effective_values.get("dash_q2_detail") is None
    assert evaluation.findings == ()
    assert evaluation.percent == 100
    assert evaluation.page_state("page_one") is PageState.COMPLETE
    assert visible_answers(DASH, answers) == {"victim_name": "A", "dash_q2": "no"}


def test_page_show_when() -> None:
    answers = {"victim_name": "A", "dash_q1": "yes", "grade": "high", "dash_q1__comment": "cut"}
    evaluation = run(DASH, answers)
    assert evaluation.visible_pages == ("page_one", "children_page")
    assert finding_codes(evaluation, "children_note") == ["required"]
    assert evaluation.page_state("children_page") is PageState.NOT_STARTED
    assert visible_answers(DASH, answers)["dash_q1__comment"] == "cut"


def test_rules_fire_with_severity_targets_and_flags() -> None:
    answers = {
        "victim_name": "A",
        "dash_q1": "yes",
        "dash_q2": "yes",
        "dash_q2_detail": "x",
        "grade": "medium",
    }
    evaluation = run(DASH, answers | {"children_note": "n"})
    rules = {f.rule_id: f for f in evaluation.findings if f.code is FindingCode.RULE}
    assert set(rules) == {"visible_high_risk", "check_escalation"}
    assert rules["visible_high_risk"].severity is Severity.ERROR
    assert (rules["visible_high_risk"].question_id, rules["visible_high_risk"].page_id) == (
        "grade",
        "page_one",
    )
    assert rules["check_escalation"].severity is Severity.WARNING
    assert rules["check_escalation"].question_id is None
    assert evaluation.flags == ("high_without_marac",)
    assert len(evaluation.errors) == 1 and len(evaluation.warnings) == 1
    fixed = run(DASH, answers | {"children_note": "n", "grade": "high"})
    assert [f.rule_id for f in fixed.findings] == ["check_escalation"]
    assert fixed.can_submit  # warnings do not block
    assert fixed.page_state("page_one") is PageState.COMPLETE  # a form-wide warning has no page


def test_each_tag_rule_points_at_each_question() -> None:
    answers = {"victim_name": "A", "dash_q1": "not_asked", "dash_q2": "not_asked"}
    evaluation = run(DASH, answers)
    assert [(f.question_id, f.rule_id) for f in evaluation.findings] == [
        ("dash_q1", "not_asked_needs_comment"),
        ("dash_q2", "not_asked_needs_comment"),
    ]
    # a comment satisfies the rule for dash_q1 only (dash_q2 has no comment box)
    evaluation = run(DASH, answers | {"dash_q1__comment": "victim left"})
    assert [f.question_id for f in evaluation.findings] == ["dash_q2"]


def test_not_asked_never_counts_as_yes() -> None:
    evaluation = run(DASH, {"dash_q1": "not_asked", "dash_q2": "dont_know"})
    assert evaluation.values["dash_yes_count"] == 0


def test_invalid_answers_are_findings_and_not_counted_as_answered() -> None:
    evaluation = run(DASH, {"victim_name": 42, "dash_q1": "maybe"})
    assert finding_codes(evaluation, "victim_name") == ["invalid"]
    assert finding_codes(evaluation, "dash_q1") == ["invalid"]
    assert evaluation.percent == 0


def test_computed_values_in_dependency_order_whatever_the_form_order() -> None:
    spec = make_spec(
        """
        - {id: risk_band, type: computed, label: Band, expression: "choose(score >= 10, 'high', 'standard')"}
        - {id: score, type: computed, label: Score, expression: base * 2 + bonus}
        - {id: base, type: integer, label: Base}
        - {id: bonus, type: computed, label: Bonus, expression: "when(base > 4, 1)"}
        - {id: shown_when_high, type: text, label: High detail, show_when: "risk_band == 'high'", required: true}
        """
    )
    low = run(spec, {"base": 2})
    assert low.values == {"risk_band": "standard", "score": None, "bonus": None}
    high = run(spec, {"base": 5})
    assert high.values == {"risk_band": "high", "score": 11, "bonus": 1}
    assert finding_codes(high, "shown_when_high") == ["required"]


def test_hidden_computed_value_is_null() -> None:
    spec = make_spec(
        """
        - {id: flag, type: yesno, label: Flag}
        - {id: doubled, type: computed, label: D, expression: "1 + 1", show_when: "flag == 'yes'"}
        - {id: uses, type: computed, label: U, expression: doubled}
        """
    )
    assert run(spec, {}).values == {"doubled": None, "uses": None}
    assert run(spec, {"flag": "yes"}).values == {"doubled": 2, "uses": 2}


REPEAT = make_spec(
    r"""
    - {id: victim_age, type: integer, label: Victim age}
    - id: children
      type: repeat
      label: Children
      item_label: Child
      min_items: 1
      max_items: 2
      fields:
        - {id: name, type: text, label: Name, required: true}
        - {id: present, type: yesno, label: Present}
        - id: merlin_ref
          type: reference
          label: Merlin
          pattern: '\d{2}MAY\d{6}'
          required_when: present == 'yes'
          show_when: victim_age == null or victim_age < 100
        - id: age
          type: integer
          label: Age
          constraints:
            - {range: {max: 17}, message: A child is under 18.}
    - id: children_without_merlin
      type: computed
      label: Missing Merlin
      expression: count_items(children, present == 'yes' and not answered(merlin_ref))
    """
)


def test_repeat_items_are_checked_with_item_index() -> None:
    answers = {
        "children": [
            {"name": "A", "present": "yes"},
            {"present": "no", "age": 30, "merlin_ref": "bad"},
        ]
    }
    evaluation = run(REPEAT, answers)
    found = [(f.code, f.item_index, f.field_id) for f in evaluation.findings]
    assert found == [
        (FindingCode.REQUIRED, 0, "merlin_ref"),
        (FindingCode.REQUIRED, 1, "name"),
        (FindingCode.INVALID, 1, "merlin_ref"),
        (FindingCode.CONSTRAINT, 1, "age"),
    ]
    assert evaluation.findings[0].message == "Child 1, Merlin: an answer is needed."
    assert evaluation.findings[3].message == "Child 2, Age: A child is under 18."
    assert evaluation.values["children_without_merlin"] == 1
    assert all(f.question_id == "children" and f.page_id == "page_one" for f in evaluation.findings)


def test_repeat_counts() -> None:
    assert finding_codes(run(REPEAT, {})) == ["too_few_items"]
    too_many = run(REPEAT, {"children": [{"name": "A"}, {"name": "B"}, {"name": "C"}]})
    assert finding_codes(too_many) == ["too_many_items"]
    assert finding_codes(run(REPEAT, {"children": "garbage"})) == ["invalid"]
    assert finding_codes(run(REPEAT, {"children": [5]})) == ["invalid"]


def test_hidden_repeat_fields_are_not_required_and_not_exported() -> None:
    answers = {"victim_age": 100, "children": [{"name": "A", "present": "yes", "merlin_ref": "stale"}]}
    assert run(REPEAT, answers).findings == ()
    assert visible_answers(REPEAT, answers)["children"] == [{"name": "A", "present": "yes"}]


def test_reviewer_sections_only_for_reviewers() -> None:
    spec = make_spec(
        """
        id: reviewed
        version: "1"
        title: Reviewed
        sections:
          - id: officer
            title: Officer
            pages:
              - id: officer_page
                title: Officer
                questions:
                  - {id: grade, type: choice, label: Grade, choices: [standard, high], required: true}
          - id: supervisor
            title: Supervisor
            audience: reviewer
            pages:
              - id: supervisor_page
                title: Supervisor
                questions:
                  - {id: agree, type: yesno, label: Agree?, required: true}
                  - {id: reason, type: longtext, label: Why not?, required_when: "agree == 'no'"}
        rules:
          - id: disagree_needs_high
            when: agree == 'no' and grade != 'high'
            message: Say why.
            targets: [reason]
          - id: grade_set
            when: not answered(grade)
            severity: warning
            message: No grade.
            targets: [grade]
        """
    )
    author = evaluate(spec, {"grade": "standard", "agree": "no"}, now=datetime(2026, 1, 1))
    assert author.visible_pages == ("officer_page",)
    assert "agree" not in author.visible_questions
    assert author.findings == () and author.percent == 100
    assert author.page_state("supervisor_page") is PageState.HIDDEN
    reviewer = evaluate(spec, {"grade": "standard", "agree": "no"}, audiences=("author", "reviewer"))
    assert [(f.question_id, f.code.value) for f in reviewer.findings] == [
        ("reason", "required"),
        ("reason", "rule"),
    ]
    only_reviewer = evaluate(spec, {"agree": "yes"}, audiences=[Audience.REVIEWER, "nonsense"])
    assert only_reviewer.visible_pages == ("supervisor_page",)
    assert [f.rule_id for f in only_reviewer.findings] == []  # the grade rule belongs to the author


def test_grid_and_multichoice_required() -> None:
    spec = make_spec(
        """
        - {id: afraid, type: grid, label: Afraid, rows: [kill], columns: [self, children], required: true}
        - {id: offences, type: multichoice, label: Offences, choices: [a, b], required: true}
        - {id: guidance, type: note, label: Read this.}
        """
    )
    assert finding_codes(run(spec, {"afraid": {}, "offences": []})) == ["required", "required"]
    done = run(spec, {"afraid": {"kill": ["self"]}, "offences": ["a"]})
    assert done.findings == () and done.percent == 100
    assert "guidance" in done.visible_questions


def test_form_with_nothing_required_is_100_percent() -> None:
    spec = make_spec("- {id: a, type: text, label: A}")
    assert run(spec, {}).percent == 100


def test_answers_that_are_not_a_mapping_are_treated_as_none() -> None:
    assert run(DASH, ["not", "a", "dict"]).percent == 0  # type: ignore[arg-type]
    assert visible_answers(DASH, "junk") == {}  # type: ignore[arg-type]


def test_hand_built_spec_gets_an_index_lazily() -> None:
    from dsvdesk.engine.spec import FormSpec, Page, Question, QuestionType, Section

    question = Question(id="a", type=QuestionType.TEXT, label="A", required=True)
    spec = FormSpec(
        id="hand", version="1", title="Hand", sections=(Section("s", "S", (Page("p", "P", (question,)),)),)
    )
    assert spec.index is None
    assert finding_codes(evaluate(spec, {})) == ["required"]
    assert spec.index is not None and spec.question("a") is question
