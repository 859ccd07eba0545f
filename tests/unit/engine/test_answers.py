"""validate_value and constraints: one clear message per bad answer, never an exception."""

from __future__ import annotations

from typing import Any

import pytest

from dsvdesk.engine.answers import MAX_LONGTEXT_LENGTH, MAX_TEXT_LENGTH, constraint_failure, validate_value
from tests.unit.engine.support import NOW, make_spec

SPEC = make_spec(
    r"""
    - {id: text_q, type: text, label: Text}
    - {id: long_q, type: longtext, label: Long}
    - {id: int_q, type: integer, label: Int}
    - {id: dec_q, type: decimal, label: Dec}
    - {id: date_q, type: date, label: Date}
    - {id: time_q, type: time, label: Time}
    - {id: dt_q, type: datetime, label: Date-time}
    - {id: yn_q, type: yesno, label: Yes/no}
    - {id: ynd_q, type: yesno_dk, label: Yes/no/dk}
    - {id: choice_q, type: choice, label: Choice, choices: [a, b]}
    - {id: multi_q, type: multichoice, label: Multi, choices: [a, b, c]}
    - {id: ref_q, type: reference, label: Ref, pattern: 'CAD\d{4}', example: CAD1234}
    - id: rep_q
      type: repeat
      label: Children
      item_label: Child
      max_items: 2
      min_items: 1
      fields:
        - {id: name, type: text, label: Name}
        - {id: age, type: integer, label: Age}
    - id: grid_q
      type: grid
      label: Grid
      rows: [kill, injury]
      columns: [self, children]
    - {id: comp_q, type: computed, label: Computed, expression: int_q + 1}
    - {id: note_q, type: note, label: Read this out.}
    """
)

VALID: dict[str, list[Any]] = {
    "text_q": ["Ana", "名前 أحمد 🙂", "x" * MAX_TEXT_LENGTH],
    "long_q": ["line 1\nline 2", "y" * MAX_LONGTEXT_LENGTH],
    "int_q": [0, -3, 10**15, 4.0],
    "dec_q": [0, 1.5, -2],
    "date_q": ["2026-02-28", "2024-02-29"],
    "time_q": ["00:00", "23:59"],
    "dt_q": ["2026-11-25T14:30", "2026-11-25T14:30:15"],
    "yn_q": ["yes", "no"],
    "ynd_q": ["yes", "no", "dont_know", "not_asked"],
    "choice_q": ["a", "b"],
    "multi_q": [["a"], ["a", "c"]],
    "ref_q": ["CAD1234", " CAD1234 "],
    "rep_q": [[{"name": "A", "age": 3}], [{}, {"name": "B"}]],
    "grid_q": [{"kill": ["self"]}, {"kill": ["self", "children"], "injury": []}],
    "comp_q": [1, "anything", {"x": 1}],
    "note_q": ["anything"],
}
INVALID: dict[str, list[Any]] = {
    "text_q": [12, ["a"], "x" * (MAX_TEXT_LENGTH + 1), "bad \ud800 surrogate", True],
    "long_q": ["y" * (MAX_LONGTEXT_LENGTH + 1), 3.5],
    "int_q": ["12", 1.5, True, 10**16, float("nan"), float("inf")],
    "dec_q": ["1.5", float("nan"), float("inf"), False, 10.0**20],
    "date_q": ["2026-02-30", "25/11/2026", "2026-1-1", 20261125, "2026-11-25T10:00"],
    "time_q": ["24:00", "9:30", "09:60", "0930", 930],
    "dt_q": ["2026-11-25", "2026-11-25 14:30", "2026-13-25T14:30", "2026-11-25T25:00"],
    "yn_q": ["Yes", "dont_know", True, 1],
    "ynd_q": ["maybe", "YES", False],
    "choice_q": ["z", ["a"], 1],
    "multi_q": ["a", ["z"], ["a", "a"], [1]],
    "ref_q": ["CAD12", "xCAD1234", 1234, "CAD1234x"],
    "rep_q": [[{"name": "A"}] * 3, "text", [1, 2], [{"age": "three"}], {"name": "A"}],
    "grid_q": [{"murder": ["self"]}, {"kill": ["nobody"]}, {"kill": "self"}, ["kill"], {"kill": [1]}],
}


@pytest.mark.parametrize(("question_id", "value"), [(k, v) for k, vs in VALID.items() for v in vs])
def test_valid_answers(question_id: str, value: Any) -> None:
    assert validate_value(SPEC.question(question_id), value) is None


@pytest.mark.parametrize(("question_id", "value"), [(k, v) for k, vs in INVALID.items() for v in vs])
def test_invalid_answers_get_a_message(question_id: str, value: Any) -> None:
    message = validate_value(SPEC.question(question_id), value)
    assert isinstance(message, str) and message.endswith(".")
    assert "Traceback" not in message


@pytest.mark.parametrize("question_id", list(VALID))
@pytest.mark.parametrize("empty", [None, "", "   ", [], {}])
def test_empty_answers_are_not_invalid(question_id: str, empty: Any) -> None:
    assert validate_value(SPEC.question(question_id), empty) is None


def test_reference_message_shows_the_example() -> None:
    assert "CAD1234" in (validate_value(SPEC.question("ref_q"), "CAD12") or "")


def test_repeat_item_problem_names_the_item_and_field() -> None:
    message = validate_value(SPEC.question("rep_q"), [{"name": "A"}, {"age": "three"}])
    assert message is not None and message.startswith("Child 2, Age:")


CONSTRAINED = make_spec(
    r"""
    - id: age
      type: integer
      label: Age
      constraints:
        - range: {min: 16, max: 120}
          message: Age 16 to 120.
    - id: ratio
      type: decimal
      label: Ratio
      constraints:
        - range: {max: 1.5}
    - id: incident_date
      type: date
      label: Date
      constraints:
        - not_future: true
          message: Not in the future.
        - range: {min: 2020-01-01}
          message: Not before 2020.
    - id: seen_at
      type: datetime
      label: Seen at
      constraints:
        - not_future: true
          message: Not in the future.
        - range: {min: "2026-11-01T00:00", max: now}
          message: This month only.
    - id: start_time
      type: time
      label: Start
      constraints:
        - range: {min: "08:00", max: "18:00"}
          message: Office hours.
    - id: surname
      type: text
      label: Surname
      constraints:
        - pattern: '^[^0-9]*$'
          message: No digits.
        - length: {min: 2, max: 5}
          message: 2 to 5 characters.
    - id: offences
      type: multichoice
      label: Offences
      choices: [a, b, c]
      constraints:
        - length: {max: 2}
          message: At most two.
    - id: even
      type: integer
      label: Even
      constraints:
        - expression: round(value / 2) * 2 == value and value != age
          message: Even, and not the age.
    """
)


@pytest.mark.parametrize(
    ("question_id", "value", "message"),
    [
        ("age", 15, "Age 16 to 120."),
        ("age", 16, None),
        ("age", 120, None),
        ("age", 121, "Age 16 to 120."),
        ("ratio", 1.5, None),
        ("ratio", 1.51, "Must be at most 1.5."),
        ("incident_date", "2026-11-25", None),
        ("incident_date", "2026-11-26", "Not in the future."),
        ("incident_date", "2019-12-31", "Not before 2020."),
        ("seen_at", "2026-11-25T14:30", None),
        ("seen_at", "2026-11-25T14:31", "Not in the future."),
        ("seen_at", "2026-10-31T23:59", "This month only."),
        ("start_time", "08:00", None),
        ("start_time", "18:01", "Office hours."),
        ("surname", "Li", None),
        ("surname", "L1", "No digits."),
        ("surname", "L", "2 to 5 characters."),
        ("surname", "Abcdef", "2 to 5 characters."),
        ("offences", ["a", "b"], None),
        ("offences", ["a", "b", "c"], "At most two."),
        ("even", 4, None),
        ("even", 3, "Even, and not the age."),
        ("age", None, None),  # empty answers pass: "required" is a separate finding
    ],
)
def test_constraints(question_id: str, value: Any, message: str | None) -> None:
    assert constraint_failure(CONSTRAINED.question(question_id), value, now=NOW) == message


def test_constraint_expression_sees_other_answers() -> None:
    from dsvdesk.engine.expressions import MappingEnvironment

    question = CONSTRAINED.question("even")
    assert (
        constraint_failure(question, 18, MappingEnvironment({"age": 18}, NOW), NOW)
        == "Even, and not the age."
    )
    assert constraint_failure(question, 18, MappingEnvironment({"age": 30}, NOW), NOW) is None
