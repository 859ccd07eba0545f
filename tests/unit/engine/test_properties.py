"""Property-based: whatever is in an answers dict (any keys, types, nesting, unicode, huge strings), the
engine answers with findings, never an exception. Also: definitions of random text never crash the loader."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.engine.answers import validate_value
from dsvdesk.engine.completeness import evaluate, visible_answers
from dsvdesk.engine.errors import FormDefinitionErrors
from dsvdesk.engine.expressions import Expression, ExpressionError, MappingEnvironment
from dsvdesk.engine.loader import load_form_text
from tests.unit.engine.support import NOW, make_spec
from tests.unit.engine.test_loader import FULL_FORM

SPEC = make_spec(FULL_FORM)
QUESTION_IDS = [q.id for _s, _p, q in SPEC.iter_questions()] + ["dash_q1__comment", "name", "present"]
ALL_QUESTIONS = [q for _s, _p, q in SPEC.iter_questions()] + list(SPEC.question("children").fields)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),  # includes lone surrogates and control characters
    st.sampled_from(
        ["yes", "no", "dont_know", "not_asked", "2026-11-25", "2026-11-25T10:00", "10:00", "phone", "a"]
    ),
    st.just("x" * 300_000),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(QUESTION_IDS), st.text(max_size=8)), children, max_size=5),
    ),
    max_leaves=12,
)
answers = st.dictionaries(st.one_of(st.sampled_from(QUESTION_IDS), st.text(max_size=12)), values, max_size=20)

_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(value=values, question_index=st.integers(min_value=0, max_value=len(ALL_QUESTIONS) - 1))
def test_validate_value_never_raises(value: Any, question_index: int) -> None:
    result = validate_value(ALL_QUESTIONS[question_index], value)
    assert result is None or isinstance(result, str)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=answers)
def test_evaluate_never_raises(answers: dict[str, Any]) -> None:
    for audiences in (("author",), ("author", "reviewer")):
        evaluation = evaluate(SPEC, answers, audiences=audiences, now=NOW)
        assert 0 <= evaluation.percent <= 100
        assert all(isinstance(f.message, str) and f.message for f in evaluation.findings)
        assert set(evaluation.visible_questions) <= set(SPEC.index.questions if SPEC.index else ())
    kept = visible_answers(SPEC, answers, now=NOW)
    assert set(kept) <= set(answers)


expression_sources = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.sampled_from(
            [
                "a",
                "b",
                "1",
                "'x'",
                "null",
                "true",
                "==",
                "<",
                "+",
                "/",
                "and",
                "not",
                "in",
                "(",
                ")",
                "[",
                "]",
                ",",
                "len(",
                "count(",
                "min(",
                "days_between(",
                "today()",
                "any_item(",
                "when(",
            ]
        ),
        max_size=12,
    ).map(" ".join),
)


@_settings
@given(source=expression_sources, a=values, b=values)
def test_expressions_parse_or_refuse_and_never_raise_when_evaluated(source: str, a: Any, b: Any) -> None:
    try:
        expression = Expression.parse(source)
    except ExpressionError as exc:
        assert exc.code is not None
        return
    expression.evaluate(MappingEnvironment({"a": a, "b": b}, NOW))


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=400))
def test_loader_refuses_random_text_with_problems_not_exceptions(text: str) -> None:
    try:
        load_form_text(text, "random.yaml")
    except FormDefinitionErrors as exc:
        assert exc.problems
        assert all(str(p).startswith("random.yaml") for p in exc.problems)


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(FULL_FORM)), junk=st.text(max_size=5))
def test_loader_survives_damaged_copies_of_a_real_form(cut: int, junk: str) -> None:
    damaged = FULL_FORM[:cut] + junk + FULL_FORM[cut + len(junk) :]
    try:
        load_form_text(damaged, "damaged.yaml")
    except FormDefinitionErrors as exc:
        assert exc.problems
