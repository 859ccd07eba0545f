"""One way to write engine tests: an inline YAML form, compiled by the real loader."""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any

import pytest

from dsvdesk.engine.completeness import Evaluation, evaluate
from dsvdesk.engine.errors import ErrorCode, FormDefinitionErrors, FormProblem
from dsvdesk.engine.loader import load_form_text
from dsvdesk.engine.spec import Audience, FormSpec

NOW = datetime(2026, 11, 25, 14, 30)  # a fixed "now" so date checks never depend on the clock


def _indent(text: str, spaces: int) -> str:
    return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * spaces)


def form_yaml(
    questions: str, *, rules: str = "", constants: str = "", extra_pages: str = "", top: str = ""
) -> str:
    """A whole form around `questions` (YAML list items, any indentation) on one page."""
    parts = [
        "id: test_form",
        'version: "1"',
        "title: Test form",
    ]
    if top:
        parts.append(textwrap.dedent(top).strip("\n"))
    if constants:
        parts.append("constants:\n" + _indent(constants, 2))
    parts.append(
        "sections:\n"
        "  - id: main\n"
        "    title: Main\n"
        "    pages:\n"
        "      - id: page_one\n"
        "        title: Page one\n"
        "        questions:\n" + _indent(questions, 10)
    )
    if extra_pages:
        parts.append(_indent(extra_pages, 6))
    if rules:
        parts.append("rules:\n" + _indent(rules, 2))
    return "\n".join(parts) + "\n"


def make_spec(text: str, source_name: str = "test.yaml") -> FormSpec:
    """Compile YAML text; a whole form (starting with 'id:') or just a list of questions."""
    body = textwrap.dedent(text).strip("\n")
    if not body.lstrip().startswith("id:"):
        body = form_yaml(body)
    try:
        return load_form_text(body + "\n", source_name)
    except FormDefinitionErrors as exc:  # show every problem, as check-forms would
        pytest.fail(f"fixture form did not load:\n{exc}", pytrace=False)


def problems_of(text: str) -> list[FormProblem]:
    body = textwrap.dedent(text).strip("\n")
    if not body.lstrip().startswith("id:"):
        body = form_yaml(body)
    with pytest.raises(FormDefinitionErrors) as info:
        load_form_text(body + "\n", "test.yaml")
    return list(info.value.problems)


def codes_of(text: str) -> list[ErrorCode]:
    return [p.code for p in problems_of(text)]


def run(spec: FormSpec, answers: dict[str, Any], *, reviewer: bool = False) -> Evaluation:
    audiences = (Audience.AUTHOR, Audience.REVIEWER) if reviewer else (Audience.AUTHOR,)
    return evaluate(spec, answers, audiences=audiences, now=NOW)


def finding_codes(evaluation: Evaluation, question_id: str | None = None) -> list[str]:
    return [f.code.value for f in evaluation.findings if question_id is None or f.question_id == question_id]
