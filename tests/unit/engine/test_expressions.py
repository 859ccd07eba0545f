"""The expression language: what it accepts, what it refuses, and that it never raises on answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from dsvdesk.engine.errors import ErrorCode
from dsvdesk.engine.expressions import (
    FUNCTIONS,
    Expression,
    ExpressionError,
    MappingEnvironment,
    days_between,
    months_between,
    years_between,
)

NOW = datetime(2026, 11, 25, 14, 30, 45)


def ev(source: str, **values: Any) -> Any:
    return Expression.parse(source).evaluate(MappingEnvironment(values, NOW))


def parse_error(source: str) -> ErrorCode:
    with pytest.raises(ExpressionError) as info:
        Expression.parse(source)
    return info.value.code


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'text'", "text"),
        ('"double"', "double"),
        ("12", 12),
        ("3.5", 3.5),
        ("true", True),
        ("false", False),
        ("null", None),
        ("[1, 'a', null]", [1, "a", None]),
        ("-4", -4),
        ("+4", 4),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("10 - 4 - 3", 3),
        ("'ab' + 'cd'", "abcd"),
        ("[1] + [2]", [1, 2]),
        ("1 < 2 <= 2 < 3", True),
        ("1 < 2 > 5", False),
        ("not 0", True),
        ("1 and 0", False),
        ("0 or 'x'", True),
    ],
)
def test_literals_and_operators(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_names_read_answers_and_constants() -> None:
    assert ev("dash_yes_count >= marac_yes_threshold", dash_yes_count=14, marac_yes_threshold=14) is True
    assert ev("victim_name", victim_name="Ana") == "Ana"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x == null", True),
        ("x != 'yes'", True),  # documented: unanswered is "not yes"
        ("x == 'yes'", False),
        ("x < 3", False),
        ("x >= 3", False),
        ("x + 1", None),
        ("-x", None),
        ("x * 2", None),
        ("x in ['a']", False),
        ("'a' in x", False),
        ("'a' not in x", True),
        ("len(x)", 0),
        ("count(x, 'yes')", 0),
        ("answered(x)", False),
        ("date(x)", None),
        ("days_between(x, today())", None),
        ("round(x)", None),
        ("min(x, 3)", 3),
        ("compact(x)", []),
    ],
)
def test_unanswered_is_null_and_never_raises(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("a < b", {"a": "text", "b": 3}, False),
        ("a + b", {"a": "text", "b": 3}, None),
        ("a / b", {"a": 1, "b": 0}, None),
        ("a * b", {"a": [1], "b": 3}, None),
        ("a == b", {"a": True, "b": 1}, False),  # true is not 1 for a form author
        ("a == b", {"a": 1, "b": 1.0}, True),
        ("a > b", {"a": {"x": 1}, "b": {"y": 2}}, False),
        ("a in b", {"a": [1], "b": "text"}, False),
        ("a in b", {"a": "k", "b": {"k": 1}}, True),
        ("a in b", {"a": ["unhashable"], "b": {"k": 1}}, False),
        ("a > b", {"a": True, "b": False}, False),
        ("a * b", {"a": 1e308, "b": 10}, None),  # overflow to inf is not a number
    ],
)
def test_type_mismatches_give_null_or_false(source: str, values: dict[str, Any], expected: Any) -> None:
    assert ev(source, **values) == expected


def test_membership() -> None:
    assert ev("x in ['yes', 'dont_know']", x="yes") is True
    assert ev("x not in ['yes', 'dont_know']", x="no") is True
    assert ev("'kill' in afraid", afraid=["kill", "injury"]) is True
    assert ev("'ana' in name", name="Banana") is True


def test_dates_compare_with_iso_text() -> None:
    assert ev("incident_date <= today()", incident_date="2026-11-25") is True
    assert ev("incident_date > today()", incident_date="2026-11-26") is True
    assert (
        ev("incident_date < other", incident_date="2026-01-01", other="2026-02-01") is True
    )  # ISO text sorts
    assert ev("seen < now()", seen="2026-11-25T14:00") is True
    assert ev("seen == today()", seen="2026-11-25T09:00") is True  # a date-time against a date: same day
    assert ev("date(seen)", seen="2026-11-25T09:00") == date(2026, 11, 25)
    assert ev("date(x)", x="not a date") is None
    assert ev("today()") == date(2026, 11, 25)
    assert ev("now()") == datetime(2026, 11, 25, 14, 30)


@pytest.mark.parametrize(
    ("a", "b", "days", "months", "years"),
    [
        ("2026-01-31", "2026-02-28", 28, 0, 0),
        ("2026-01-15", "2026-02-15", 31, 1, 0),
        ("2000-02-29", "2026-02-28", 9496, 311, 25),
        ("2000-02-29", "2026-03-01", 9497, 312, 26),
        ("2026-02-15", "2026-01-15", -31, -1, 0),
        ("2010-06-01", "2026-05-31", 5843, 191, 15),
    ],
)
def test_date_arithmetic(a: str, b: str, days: int, months: int, years: int) -> None:
    assert days_between(a, b) == days
    assert months_between(a, b) == months
    assert years_between(a, b) == years
    assert ev("years_between(dob, today())", dob="2010-11-26") == 15


def test_list_functions() -> None:
    assert ev("count(x, 'yes')", x=["yes", "no", "yes"]) == 2
    assert ev("len(x)", x=[1, 2, 3]) == 3
    assert ev("len(x)", x="abc") == 3
    assert ev("len(x)", x=12) == 0
    assert ev("compact([1, null, 2])") == [1, 2]
    assert ev("min(3, 1, 2)") == 1
    assert ev("max([3, 1, 2])") == 3
    assert ev("max(a, b)", a="2026-01-01", b="2025-01-01") == date(2026, 1, 1)
    assert ev("min('b', 'a')") == "a"
    assert ev("max(1, 'a')") is None
    assert ev("max(null, null)") is None
    assert ev("round(2.567, 2)") == 2.57
    assert ev("round(2.5)") == 2
    assert ev("round(2.5, 'x')") is None


def test_answered() -> None:
    assert ev("answered(x)", x="  ") is False
    assert ev("answered(x)", x="not_asked") is True
    assert ev("answered(x)", x=0) is True
    assert ev("answered(x)", x=[]) is False
    assert ev("answered(x)", x={}) is False


def test_when_and_choose_are_lazy() -> None:
    assert ev("when(x == 'yes', 'high')", x="yes") == "high"
    assert ev("when(x == 'yes', 'high')", x="no") is None
    assert ev("choose(n >= 14, 'high', 'standard')", n=15) == "high"
    assert ev("choose(n >= 14, 'high', 'standard')", n=2) == "standard"


def test_item_functions_scope_fields_over_outer_names() -> None:
    children = [{"age": 4, "present": "yes"}, {"age": 17}, {"age": 30, "present": "no"}, "not an item"]
    assert ev("any_item(children, age < 5)", children=children) is True
    assert ev("all_items(children, age < 18)", children=children) is False
    assert ev("count_items(children, age < 18)", children=children) == 2
    # an item without the field must not read an outer question of the same name
    fields = {"children": {"age", "present"}}
    environment = MappingEnvironment({"children": children, "present": "yes"}, NOW, fields)
    assert Expression.parse("count_items(children, present == 'yes')").evaluate(environment) == 1
    # outer names are still visible inside the body
    assert ev("count_items(children, age < limit)", children=children, limit=18) == 2
    assert ev("any_item(children, age < 5)", children=None) is False
    assert ev("all_items(children, age < 5)", children=[]) is True


def test_references_are_collected_per_scope() -> None:
    expression = Expression.parse(
        "any_item(children, merlin_ref == null and age < limit) or dash_q1 == 'yes'"
    )
    assert expression.references == frozenset({"children", "dash_q1"})
    (scope,) = expression.item_scopes
    assert scope.repeat == "children"
    assert scope.references == frozenset({"merlin_ref", "age", "limit"})
    assert expression.all_references() >= {"children", "dash_q1", "merlin_ref", "limit"}
    assert Expression.parse("count_tagged('dash', 'yes')").tags == frozenset({"dash"})
    assert Expression.parse("true and null").references == frozenset()


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("", ErrorCode.EXPRESSION_SYNTAX),
        ("   ", ErrorCode.EXPRESSION_SYNTAX),
        ("a ==", ErrorCode.EXPRESSION_SYNTAX),
        ("(a", ErrorCode.EXPRESSION_SYNTAX),
        ("a = 1", ErrorCode.EXPRESSION_SYNTAX),
        ("a.b", ErrorCode.EXPRESSION_SYNTAX),
        ("a[0]", ErrorCode.EXPRESSION_SYNTAX),
        ("a if b else c", ErrorCode.EXPRESSION_SYNTAX),
        ("lambda: 1", ErrorCode.EXPRESSION_SYNTAX),
        ("{'a': 1}", ErrorCode.EXPRESSION_SYNTAX),
        ("f'{a}'", ErrorCode.EXPRESSION_SYNTAX),
        ("[x for x in a]", ErrorCode.EXPRESSION_SYNTAX),
        ("(a := 1)", ErrorCode.EXPRESSION_SYNTAX),
        ("a is None", ErrorCode.EXPRESSION_SYNTAX),
        ("a ** 2", ErrorCode.EXPRESSION_SYNTAX),
        ("a // 2", ErrorCode.EXPRESSION_SYNTAX),
        ("a % 2", ErrorCode.EXPRESSION_SYNTAX),
        ("~a", ErrorCode.EXPRESSION_SYNTAX),
        ("(a, b)", ErrorCode.EXPRESSION_SYNTAX),
        ("b'bytes'", ErrorCode.EXPRESSION_SYNTAX),
        ("1j", ErrorCode.EXPRESSION_SYNTAX),
        ("len", ErrorCode.EXPRESSION_SYNTAX),
        ("a\x00", ErrorCode.EXPRESSION_SYNTAX),
        ("x" * 5000, ErrorCode.EXPRESSION_SYNTAX),
        ("(" * 300 + "1" + ")" * 300, ErrorCode.EXPRESSION_SYNTAX),
        ("-" * 200 + "1", ErrorCode.EXPRESSION_SYNTAX),
        ("__import__('os')", ErrorCode.UNKNOWN_FUNCTION),
        ("eval('1')", ErrorCode.UNKNOWN_FUNCTION),
        ("cuont_tagged('dash', 'yes')", ErrorCode.UNKNOWN_FUNCTION),
        ("(lambda: 1)()", ErrorCode.EXPRESSION_SYNTAX),
        ("len(a, b)", ErrorCode.BAD_ARGUMENTS),
        ("today(1)", ErrorCode.BAD_ARGUMENTS),
        ("min()", ErrorCode.BAD_ARGUMENTS),
        ("len(x=a)", ErrorCode.BAD_ARGUMENTS),
        ("len(*a)", ErrorCode.BAD_ARGUMENTS),
        ("count_tagged(tag, 'yes')", ErrorCode.BAD_ARGUMENTS),
        ("any_item('children', age < 5)", ErrorCode.BAD_ARGUMENTS),
        ("any_item(null, age < 5)", ErrorCode.BAD_ARGUMENTS),
    ],
)
def test_refused_expressions_name_their_error(source: str, code: ErrorCode) -> None:
    assert parse_error(source) is code


def test_suggests_the_function_meant() -> None:
    with pytest.raises(ExpressionError) as info:
        Expression.parse("cuont_tagged('dash', 'yes')")
    assert info.value.context["suggestion"] == "did you mean 'count_tagged'?"


def test_every_documented_function_parses() -> None:
    for name in FUNCTIONS:
        arity = {"today": 0, "now": 0, "len": 1, "answered": 1, "date": 1, "compact": 1, "min": 1, "max": 1}
        args = {
            0: "",
            1: "a",
            3: "a, b, c",
        }.get(arity.get(name, 3 if name == "choose" else 2), "'t', b")
        if name in {"any_item", "all_items", "count_items"}:
            args = "rep, b"
        if name == "round":
            args = "a"
        Expression.parse(f"{name}({args})")


def test_evaluate_accepts_a_plain_mapping() -> None:
    assert Expression.parse("a + 1").evaluate({"a": 1}) == 2
    assert Expression.parse("a > 1").is_true({"a": 2}) is True
    assert str(Expression.parse("a > 1")) == "a > 1"
