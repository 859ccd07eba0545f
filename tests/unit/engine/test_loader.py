"""The loader: YAML in, frozen spec out; or every problem at once, each from the catalogue."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from dsvdesk.engine.errors import ErrorCode, FormDefinitionErrors, FormProblem
from dsvdesk.engine.loader import (
    MAX_FILE_BYTES,
    compile_cached,
    load_form,
    load_form_text,
    load_forms_dir,
)
from dsvdesk.engine.spec import Audience, Choice, QuestionType, Severity, Tag
from tests.unit.engine.support import codes_of, form_yaml, make_spec, problems_of

FULL_FORM = """
id: 124d
version: "2026.1"
title: Full form
marking: OFFICIAL-SENSITIVE PERSONAL
description: Every feature at once.
constants:
  marac_yes_threshold: 14
  bands: [standard, medium, high]
  ratio: 0.5
  strict: true
columns:
  victim_name: victim_name
  yes_count: dash_yes_count
options:
  numbering: {dash: decimal}
sections:
  - id: incident
    title: Incident
    number: A
    pages:
      - id: incident_details
        title: Incident details
        help: Facts of the incident.
        questions:
          - id: victim_name
            type: text
            label: Victim's name
            required: true
            example: Ana Silva
          - id: notes
            type: longtext
            label: Notes
          - id: victim_age
            type: integer
            label: Age
            constraints:
              - range: {min: 0, max: 120}
                message: Between 0 and 120.
          - id: weight
            type: decimal
            label: Weight
          - id: incident_date
            type: date
            label: Date
            constraints:
              - not_future: true
                message: Not in the future.
              - range: {min: 2000-01-01, max: today}
          - id: incident_time
            type: time
            label: Time
            constraints:
              - range: {min: "06:00", max: "22:00"}
          - id: reported_at
            type: datetime
            label: Reported at
          - id: consent
            type: yesno
            label: Consent?
          - id: dash_q1
            type: yesno_dk
            number: "1"
            label: Injury?
            help: Ask about every injury.
            comment: true
            comment_label: Details
            tags: [dash, high_risk, {specss: escalation}]
          - id: how_reported
            type: choice
            label: How reported
            choices:
              - {value: phone, label: Telephone, help: 999 or 101}
              - online
          - id: offences
            type: multichoice
            label: Offences
            choices: [assault, criminal_damage]
            constraints:
              - length: {min: 1, max: 2}
          - id: cad_ref
            type: reference
            label: CAD
            pattern: '^CAD\\d{4}$'
            example: CAD1234
            read_only: true
          - id: children
            type: repeat
            label: Children
            item_label: Child
            min_items: 0
            max_items: 30
            fields:
              - {id: name, type: text, label: Name, required: true}
              - id: present
                type: yesno
                label: Present
              - id: merlin_ref
                type: reference
                label: Merlin
                pattern: '^\\d{2}MAY\\d{6}$'
                required_when: present == 'yes' and victim_age > 0
          - id: dash_q3_grid
            type: grid
            label: Afraid of
            rows: [{value: kill, label: Kill}, {value: injury, label: Further injury}]
            columns: [{value: self, label: Self}, {value: children, label: Children}]
          - id: dash_yes_count
            type: computed
            label: Yes answers
            expression: count_tagged('dash', 'yes')
          - id: guidance
            type: note
            label: Read this to the victim.
      - id: detail
        title: Detail
        show_when: dash_q1 == 'yes'
        questions:
          - id: injury_detail
            type: longtext
            label: Describe the injury
            show_when: dash_q1__comment == null
            required_when: dash_yes_count >= 1
            constraints:
              - pattern: '\\S'
                message: Not only spaces.
              - expression: len(value) < 5000
                message: Too long.
  - id: review
    title: Supervisor review
    audience: reviewer
    pages:
      - id: supervisor
        title: Supervisor
        questions:
          - id: supervisor_grade
            type: choice
            label: Grade
            choices: [standard, medium, high]
rules:
  - id: visible_high_risk
    when: dash_yes_count >= marac_yes_threshold and supervisor_grade != 'high'
    severity: warning
    message: 14 or more yes answers.
    targets: [supervisor_grade]
    tags: [{flag: high_without_marac}]
  - id: not_asked_needs_comment
    each_tag: dash
    when: value == 'not_asked' and not comment
    message: Not asked needs a comment.
summary:
  - label: Yes answers
    expression: dash_yes_count
"""


def test_full_form_compiles_every_feature() -> None:
    spec = make_spec(FULL_FORM)
    assert (spec.id, spec.version, spec.title) == ("124d", "2026.1", "Full form")
    assert spec.marking == "OFFICIAL-SENSITIVE PERSONAL"
    assert spec.constants == {
        "marac_yes_threshold": 14,
        "bands": ["standard", "medium", "high"],
        "ratio": 0.5,
        "strict": True,
    }
    assert spec.columns == {"victim_name": "victim_name", "yes_count": "dash_yes_count"}
    assert spec.options == {"numbering": {"dash": "decimal"}}
    assert [s.audience for s in spec.sections] == [Audience.AUTHOR, Audience.REVIEWER]
    assert spec.sections[0].number == "A"
    assert {q.type for _s, _p, q in spec.iter_questions()} == set(QuestionType)

    dash_q1 = spec.question("dash_q1")
    assert dash_q1.number == "1" and dash_q1.comment and dash_q1.comment_label == "Details"
    assert dash_q1.tags == (Tag("dash"), Tag("high_risk"), Tag("specss", "escalation"))
    assert (
        dash_q1.location is not None
        and dash_q1.location.line == FULL_FORM.lstrip("\n").splitlines().index("          - id: dash_q1") + 1
    )
    assert spec.question("how_reported").choices == (
        Choice("phone", "Telephone", "999 or 101"),
        Choice("online", "online"),
    )
    children = spec.question("children")
    assert [f.id for f in children.fields] == ["name", "present", "merlin_ref"]
    assert children.max_items == 30 and children.item_label == "Child"
    assert children.fields[2].required_when is not None
    assert spec.question("cad_ref").read_only and spec.question("cad_ref").pattern == r"^CAD\d{4}$"
    constraints = spec.question("incident_date").constraints
    assert [(c.kind, c.minimum, c.maximum) for c in constraints] == [
        ("not_future", None, None),
        ("range", "2000-01-01", "today"),
    ]
    assert constraints[1].message  # a default message when none is written
    assert spec.question("victim_age").constraints[0].minimum == 0
    assert spec.question("incident_time").constraints[0].maximum == "22:00"
    rule = spec.rules[0]
    assert rule.severity is Severity.WARNING and rule.targets == ("supervisor_grade",)
    assert rule.tags == (Tag("flag", "high_without_marac"),)
    assert spec.rules[1].each_tag == "dash" and spec.rules[1].severity is Severity.ERROR
    assert spec.summary[0].expression.source == "dash_yes_count"
    assert spec.pages[1].show_when is not None and spec.pages[1].show_when.source == "dash_q1 == 'yes'"


def test_spec_is_frozen_and_hashed() -> None:
    text = form_yaml("- {id: a, type: text, label: A}")
    spec = load_form_text(text, "forms/x.yaml")
    assert spec.source_text == text
    assert spec.content_hash == hashlib.sha256(text.encode()).hexdigest()
    assert spec.source_path == "forms/x.yaml"
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.title = "changed"  # type: ignore[misc]
    other = load_form_text(text + "# a comment changes the hash\n", "forms/x.yaml")
    assert other.content_hash != spec.content_hash


def test_index_and_evaluation_order_follow_dependencies() -> None:
    spec = make_spec(
        """
        - {id: total, type: computed, label: Total, expression: part + 1}
        - {id: part, type: computed, label: Part, expression: base * 2}
        - {id: base, type: integer, label: Base}
        """
    )
    assert spec.index is not None
    order = [n.id for n in spec.index.evaluation_order]
    assert order.index("base") < order.index("part") < order.index("total")
    assert spec.page_of("total").id == "page_one"
    assert spec.section_of_page("page_one").id == "main"


def test_yaml_words_stay_words() -> None:
    spec = make_spec(
        """
        - id: answer
          type: choice
          label: no
          choices: [yes, no, on, off, 1.0]
        """
    )
    question = spec.question("answer")
    assert question.label == "no"
    assert [c.value for c in question.choices] == ["yes", "no", "on", "off", "1.0"]


def test_all_problems_are_reported_at_once_in_line_order() -> None:
    problems = problems_of(
        """
        - id: a
          type: txt
          label: A
        - id: a
          type: text
        - id: b
          type: integer
          label: B
          show_when: nothing == 1
          colour: red
        """
    )
    assert [p.code for p in problems] == [
        ErrorCode.UNKNOWN_QUESTION_TYPE,
        ErrorCode.MISSING_LABEL,
        ErrorCode.DUPLICATE_ID,
        ErrorCode.UNKNOWN_NAME,
        ErrorCode.UNKNOWN_KEY,
    ]
    lines = [p.line or 0 for p in problems]
    assert lines == sorted(lines)


def test_problem_text_names_file_line_question_rule_and_fix() -> None:
    (problem,) = problems_of(
        """
        - {id: dash_q1, type: yesno_dk, label: Injury}
        - id: dash_q14
          type: yesno_dk
          label: Worse?
          show_when: dash_q41 == 'yes'
        """
    )
    assert problem.code is ErrorCode.UNKNOWN_NAME
    assert problem.question_id == "dash_q14"
    assert str(problem) == (
        "test.yaml:15: question 'dash_q14': show_when refers to unknown question 'dash_q41' "
        "-> fix: did you mean 'dash_q1'? [F304]"
    )


@pytest.mark.parametrize(
    ("questions", "code"),
    [
        ("- {id: a, type: text, label: A, lable: B}", ErrorCode.UNKNOWN_KEY),
        ("- {id: a, type: text, label: A}\n- {id: a, type: text, label: B}", ErrorCode.DUPLICATE_ID),
        ("- {id: a, type: txt, label: A}", ErrorCode.UNKNOWN_QUESTION_TYPE),
        ("- {id: a, label: A}", ErrorCode.MISSING_KEY),
        ("- {id: a, type: text}", ErrorCode.MISSING_LABEL),
        ("- {id: a, type: text, label: ''}", ErrorCode.MISSING_LABEL),
        ("- {id: A1, type: text, label: A}", ErrorCode.BAD_ID),
        ("- {id: 1a, type: text, label: A}", ErrorCode.BAD_ID),
        ("- {id: " + "a" * 65 + ", type: text, label: A}", ErrorCode.BAD_ID),
        ("- {id: value, type: text, label: A}", ErrorCode.RESERVED_ID),
        ("- {id: and, type: text, label: A}", ErrorCode.RESERVED_ID),
        ("- {id: a, type: text, label: A, required: maybe}", ErrorCode.WRONG_TYPE),
        ("- {id: a, type: text, label: [A]}", ErrorCode.WRONG_TYPE),
        ("- {id: a, type: text, label: A, choices: [x]}", ErrorCode.KEY_NOT_FOR_TYPE),
        ("- {id: a, type: computed, label: A, expression: '1', required: true}", ErrorCode.KEY_NOT_FOR_TYPE),
        ("- {id: a, type: choice, label: A}", ErrorCode.CHOICES_REQUIRED),
        ("- {id: a, type: multichoice, label: A, choices: []}", ErrorCode.CHOICES_REQUIRED),
        ("- {id: a, type: choice, label: A, choices: [x, x]}", ErrorCode.DUPLICATE_CHOICE),
        ("- {id: a, type: reference, label: A, pattern: '(['}", ErrorCode.BAD_PATTERN),
        (
            "- {id: a, type: repeat, label: A, min_items: 3, max_items: 1, fields: [{id: b, type: text, label: B}]}",
            ErrorCode.MIN_GREATER_THAN_MAX,
        ),
        (
            "- {id: a, type: repeat, label: A, max_items: -1, fields: [{id: b, type: text, label: B}]}",
            ErrorCode.WRONG_TYPE,
        ),
        ("- {id: a, type: repeat, label: A}", ErrorCode.MISSING_REPEAT_FIELDS),
        (
            "- {id: a, type: repeat, label: A, fields: [{id: b, type: text, label: B}, {id: b, type: text, label: C}]}",
            ErrorCode.DUPLICATE_ID,
        ),
        (
            "- {id: a, type: repeat, label: A, fields: [{id: b, type: computed, label: B, expression: '1'}]}",
            ErrorCode.TYPE_NOT_IN_REPEAT,
        ),
        ("- {id: a, type: grid, label: A, columns: [x]}", ErrorCode.GRID_NEEDS_ROWS_AND_COLUMNS),
        ("- {id: a, type: computed, label: A}", ErrorCode.MISSING_KEY),
        ("- {id: a, type: text, label: A, tags: [Bad-Tag]}", ErrorCode.BAD_TAG),
        ("- {id: a, type: text, label: A, constraints: [{message: m}]}", ErrorCode.BAD_CONSTRAINT),
        (
            "- {id: a, type: text, label: A, constraints: [{range: {min: 1}}]}",
            ErrorCode.CONSTRAINT_NOT_FOR_TYPE,
        ),
        ("- {id: a, type: integer, label: A, constraints: [{range: {}}]}", ErrorCode.BAD_CONSTRAINT),
        (
            "- {id: a, type: integer, label: A, constraints: [{range: {min: 5, max: 1}}]}",
            ErrorCode.MIN_GREATER_THAN_MAX,
        ),
        ("- {id: a, type: integer, label: A, constraints: [{range: {min: x}}]}", ErrorCode.WRONG_TYPE),
        ("- {id: a, type: integer, label: A, constraints: [{range: {min: 1.5}}]}", ErrorCode.WRONG_TYPE),
        ("- {id: a, type: text, label: A, constraints: [{length: {min: -1}}]}", ErrorCode.WRONG_TYPE),
        ("- {id: a, type: text, label: A, constraints: [{length: {mn: 1}}]}", ErrorCode.UNKNOWN_KEY),
        ("- {id: a, type: date, label: A, constraints: [{range: {min: 2026-02-30}}]}", ErrorCode.BAD_DATE),
        (
            "- {id: a, type: date, label: A, constraints: [{range: {min: '2026-02-01', max: '2026-01-01'}}]}",
            ErrorCode.MIN_GREATER_THAN_MAX,
        ),
        ("- {id: a, type: time, label: A, constraints: [{range: {min: '25:00'}}]}", ErrorCode.BAD_DATE),
        ("- {id: a, type: date, label: A, constraints: [{not_future: maybe}]}", ErrorCode.WRONG_TYPE),
        ("- {id: a, type: text, label: A, constraints: [{pattern: '(('}]}", ErrorCode.BAD_PATTERN),
        (
            "- {id: a, type: text, label: A, constraints: [{expression: 'value =='}]}",
            ErrorCode.EXPRESSION_SYNTAX,
        ),
        ("- {id: a, type: text, label: A, show_when: 'b =='}", ErrorCode.EXPRESSION_SYNTAX),
        ("- {id: a, type: text, label: A, show_when: [b]}", ErrorCode.WRONG_TYPE),
        ("- {id: a, type: text, label: A, show_when: 'bogus(1)'}", ErrorCode.UNKNOWN_FUNCTION),
        ("- {id: a, type: text, label: A, show_when: 'len(1, 2)'}", ErrorCode.BAD_ARGUMENTS),
        ("- {id: a, type: text, label: A, show_when: 'b == 1'}", ErrorCode.UNKNOWN_NAME),
        ("- {id: a, type: text, label: A, show_when: 'value == 1'}", ErrorCode.UNKNOWN_NAME),
        (
            "- {id: a, type: computed, label: A, expression: \"count_tagged('nope', 'yes')\"}",
            ErrorCode.UNKNOWN_TAG,
        ),
        (
            "- {id: a, type: computed, label: A, expression: 'any_item(b, c)'}\n- {id: b, type: text, label: B}",
            ErrorCode.NOT_A_REPEAT,
        ),
        ("- {id: a, type: computed, label: A, expression: 'a + 1'}", ErrorCode.DEPENDENCY_CYCLE),
        ("- {id: a, type: text, label: A, show_when: 'answered(a)'}", ErrorCode.DEPENDENCY_CYCLE),
        (
            "- {id: a, type: computed, label: A, expression: 'any_item(kids, age < 5)'}\n- {id: kids, type: repeat, label: K, fields: [{id: name, type: text, label: N}]}",
            ErrorCode.UNKNOWN_NAME,
        ),
    ],
)
def test_question_problems_use_the_catalogue(questions: str, code: ErrorCode) -> None:
    assert code in codes_of(questions)


def test_each_problem_case_is_the_only_problem() -> None:
    # a single mistake gives a single line, not a cascade
    assert codes_of("- {id: a, type: txt, label: A, choices: [x]}") == [ErrorCode.UNKNOWN_QUESTION_TYPE]
    assert codes_of("- {id: a, type: text, lable: A}") == [ErrorCode.UNKNOWN_KEY]


def test_cycle_report_names_the_path() -> None:
    problems = problems_of(
        """
        - {id: a, type: computed, label: A, expression: b + 1}
        - {id: b, type: computed, label: B, expression: c + 1}
        - {id: c, type: computed, label: C, expression: a + 1}
        """
    )
    assert [p.code for p in problems] == [ErrorCode.DEPENDENCY_CYCLE]
    assert (
        "computed value 'a' uses computed value 'b' uses computed value 'c' uses computed value 'a'"
        in problems[0].message
    )


def test_cycle_through_page_condition_and_tag_count() -> None:
    text = form_yaml(
        "- {id: q1, type: yesno, label: Q1, tags: [dash]}\n- {id: total, type: computed, label: T, expression: \"count_tagged('dash', 'yes')\"}",
        extra_pages="""
        - id: later
          title: Later
          show_when: total > 0
          questions:
            - {id: q2, type: yesno, label: Q2, tags: [dash]}
        """,
    )
    assert codes_of(text) == [ErrorCode.DEPENDENCY_CYCLE]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (form_yaml("- {id: a, type: text, label: A}", constants="limit: {x: 1}"), ErrorCode.BAD_CONSTANT),
        (form_yaml("- {id: a, type: text, label: A}", constants="limit: null"), ErrorCode.BAD_CONSTANT),
        (form_yaml("- {id: a, type: text, label: A}", constants="limit: .nan"), ErrorCode.BAD_CONSTANT),
        (form_yaml("- {id: a, type: text, label: A}", constants="Limit: 1"), ErrorCode.BAD_ID),
        (form_yaml("- {id: a, type: text, label: A}", constants="a: 1"), ErrorCode.DUPLICATE_ID),
        (form_yaml("- {id: a, type: text, label: A}", top="columns: {name: b}"), ErrorCode.UNKNOWN_TARGET),
        (form_yaml("- {id: a, type: text, label: A}", top="colour: red"), ErrorCode.UNKNOWN_KEY),
        (form_yaml("- {id: a, type: text, label: A}", top="options: [1]"), ErrorCode.WRONG_TYPE),
        (
            form_yaml(
                "- {id: a, type: text, label: A}",
                rules="- {id: r, when: 'a == 1', message: m, severity: fatal}",
            ),
            ErrorCode.BAD_VALUE,
        ),
        (
            form_yaml(
                "- {id: a, type: text, label: A}", rules="- {id: r, when: 'a == 1', message: m, targets: [b]}"
            ),
            ErrorCode.UNKNOWN_TARGET,
        ),
        (
            form_yaml(
                "- {id: a, type: text, label: A}",
                rules="- {id: r, when: 'value == 1', message: m, each_tag: dash}",
            ),
            ErrorCode.UNKNOWN_TAG,
        ),
        (form_yaml("- {id: a, type: text, label: A}", rules="- {id: r, message: m}"), ErrorCode.MISSING_KEY),
        (
            form_yaml(
                "- {id: a, type: text, label: A}",
                rules="- {id: r, when: 'a == 1', message: m}\n- {id: r, when: 'a == 2', message: n}",
            ),
            ErrorCode.DUPLICATE_ID,
        ),
        (
            form_yaml("- {id: a, type: text, label: A}", top="summary: [{label: S, expression: 'zz'}]"),
            ErrorCode.UNKNOWN_NAME,
        ),
        ("id: x\nversion: '1'\ntitle: T\nsections: []\n", ErrorCode.EMPTY_LIST),
        (
            "id: x\nversion: '1'\ntitle: T\nsections:\n  - {id: s, title: S, pages: [], audience: boss}\n",
            ErrorCode.BAD_VALUE,
        ),
        (
            "id: x\nversion: '1'\ntitle: T\nsections:\n  - {id: s, title: S, pages: []}\n",
            ErrorCode.EMPTY_LIST,
        ),
        (
            "id: X!\nversion: '1'\ntitle: T\nsections:\n  - {id: s, title: S, pages: [{id: p, title: P, questions: [{id: a, type: text, label: A}]}]}\n",
            ErrorCode.BAD_ID,
        ),
        ("id: x\nversion: '1'\ntitle: T\nsections: {a: 1}\n", ErrorCode.WRONG_TYPE),
        ("id: x\nversion: '1'\ntitle: T\nsections: [just text]\n", ErrorCode.WRONG_TYPE),
        (
            "id: x\nversion: '1'\ntitle: T\nsections:\n  - {id: s, title: S, pages: [{id: p, title: P, questions: [text]}]}\n",
            ErrorCode.WRONG_TYPE,
        ),
        ("id: x\nversion: '1'\n", ErrorCode.MISSING_KEY),
        ("just a sentence\n", ErrorCode.TOP_NOT_MAPPING),
        ("[1, 2]\n", ErrorCode.TOP_NOT_MAPPING),
        ("a: 1\na: 2\n", ErrorCode.YAML_DUPLICATE_KEY),
        ("a: &x 1\nb: *x\n", ErrorCode.YAML_ALIAS),
        ("a: [1\n", ErrorCode.YAML_SYNTAX),
        ("a: 'open\n", ErrorCode.YAML_SYNTAX),
        ("a:\n\tb: 1\n", ErrorCode.YAML_TAB),
        ("a:\n  b: 1\n c: 1\n", ErrorCode.YAML_INDENTATION),
        ("a: 1\n---\nb: 2\n", ErrorCode.YAML_SYNTAX),
        ("a: \x07\n", ErrorCode.YAML_SYNTAX),
        ("a: !!python/object:os.system 1\nid: x\n", ErrorCode.UNKNOWN_KEY),
        ("", ErrorCode.FILE_EMPTY),
        ("\n\n   \n", ErrorCode.FILE_EMPTY),
        ("# only a comment\n", ErrorCode.FILE_EMPTY),
        ("~\n", ErrorCode.FILE_EMPTY),
        ("a\x00b", ErrorCode.FILE_NOT_TEXT),
        ("[" * 5000, ErrorCode.YAML_SYNTAX),
    ],
)
def test_form_level_problems_use_the_catalogue(text: str, code: ErrorCode) -> None:
    with pytest.raises(FormDefinitionErrors) as info:
        load_form_text(text, "f.yaml")
    assert code in info.value.codes


def test_python_tags_are_never_constructed() -> None:
    text = form_yaml(
        "- {id: a, type: text, label: A}", top="options: {x: !!python/object/apply:os.system [echo hi]}"
    )
    with pytest.raises(FormDefinitionErrors) as info:
        load_form_text(text, "f.yaml")
    assert set(info.value.codes) == {ErrorCode.YAML_SYNTAX}


def test_oversize_text_is_refused_without_parsing() -> None:
    with pytest.raises(FormDefinitionErrors) as info:
        load_form_text("a: 1\n" * (MAX_FILE_BYTES // 5 + 1), "big.yaml")
    assert info.value.codes == (ErrorCode.FILE_TOO_LARGE,)
    assert "MB" in info.value.problems[0].message


def test_files(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(form_yaml("- {id: a, type: text, label: A}"), encoding="utf-8")
    assert load_form(good).source_path == str(good)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbf" + good.read_bytes())
    assert load_form(bom).id == "test_form"
    for path, code in [
        (tmp_path / "missing.yaml", ErrorCode.FILE_UNREADABLE),
        (tmp_path, ErrorCode.FILE_UNREADABLE),
    ]:
        with pytest.raises(FormDefinitionErrors) as info:
            load_form(path)
        assert info.value.codes == (code,)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"id: x\ntitle: caf\xe9\n")
    with pytest.raises(FormDefinitionErrors) as info:
        load_form(latin)
    assert info.value.codes == (ErrorCode.FILE_NOT_TEXT,)
    assert info.value.problems[0].line == 2


def test_forms_dir_reports_every_file_and_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(form_yaml("- {id: a, type: text, label: A}"), encoding="utf-8")
    (tmp_path / "b.yml").write_text(form_yaml("- {id: a, type: text, label: A}"), encoding="utf-8")
    (tmp_path / "c.yaml").write_text("id: [\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a form", encoding="utf-8")
    with pytest.raises(FormDefinitionErrors) as info:
        load_forms_dir(tmp_path)
    assert sorted(info.value.codes, key=lambda c: c.code) == [
        ErrorCode.YAML_SYNTAX,
        ErrorCode.DUPLICATE_FORM_ID,
    ]
    (tmp_path / "b.yml").unlink()
    (tmp_path / "c.yaml").unlink()
    assert list(load_forms_dir(tmp_path)) == ["test_form"]
    with pytest.raises(FormDefinitionErrors):
        load_forms_dir(tmp_path / "absent")


def test_compile_cached_returns_the_same_spec_for_the_same_text() -> None:
    text = form_yaml("- {id: cached_question, type: text, label: A}")
    first = compile_cached(text, "old draft")
    assert compile_cached(text, "another name") is first
    assert compile_cached(text + "\n", "x") is not first
    with pytest.raises(FormDefinitionErrors):
        compile_cached("id: [", "broken")


def test_problem_without_line_or_question_reads_well() -> None:
    problem = FormProblem.make(ErrorCode.FILE_EMPTY, "forms/x.yaml", None)
    assert (
        str(problem)
        == "forms/x.yaml: the file is empty -> fix: start from a copy of an existing form in forms/ [F104]"
    )
    errors = FormDefinitionErrors([problem])
    assert "1 problem in form definition" in str(errors)


def test_catalogue_codes_are_unique_and_templates_fill() -> None:
    codes = [member.code for member in ErrorCode]
    assert len(codes) == len(set(codes))
    for member in ErrorCode:
        message, fix = member.format()  # missing details stay visible, never raise
        assert message and fix


def test_custom_yaml_tags_are_refused_where_they_stand() -> None:
    codes = codes_of(form_yaml("- {id: a, type: text, label: !!python/object:os.system A}"))
    assert codes == [ErrorCode.YAML_SYNTAX]


def test_docs_list_every_error_code() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "forms.md").read_text(encoding="utf-8")
    for member in ErrorCode:
        assert f"| {member.code} | `{member.name}` |" in docs, member
