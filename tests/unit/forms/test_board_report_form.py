"""The Board report form: its questions are those of both published sample reports, in order, and each
question must be answered with paragraphs or marked "nothing to report" with a reason."""

from __future__ import annotations

import difflib
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsvdesk.engine.spec import FormSpec, Question, QuestionType
from dsvdesk.export import report_pdf
from tests.unit.board.seeds import HILLINGDON, ISLINGTON, SEEDS_DIR, parse_seed
from tests.unit.forms.support import describe, example, form, rule_ids, run

SEED_FILES = {"Islington": ISLINGTON, "Hillingdon": HILLINGDON}
QUESTIONS_PER_SECTION = {"1": 1, "2": 3, "3": 4, "4": 3, "5": 6, "6": 1}


def _normalise(text: str) -> str:
    text = text.lower().replace("(b)ocu", "bocu")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _similar(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, _normalise(a), _normalise(b)).ratio() >= 0.9


def board_questions(spec: FormSpec) -> list[Question]:
    """The paragraph repeats of the numbered Part B sections, in form order."""
    return [
        q
        for s in spec.sections
        if s.number
        for p in s.pages
        for q in p.questions
        if q.tag_value("board") == "paragraphs"
    ]


def seed_lines(name: str) -> list[str]:
    lines = [line.strip() for line in parse_seed(SEEDS_DIR / SEED_FILES[name]).lines()]
    # Islington numbers one question like a paragraph ("5.13 What do you think ..."): drop paragraph numbers.
    return [re.sub(r"^\d+(\.\d+)+\.?\s*", "", line) for line in lines if line]


@pytest.fixture(scope="module")
def spec() -> FormSpec:
    return form("dsvb_report")


@pytest.mark.parametrize("borough", sorted(SEED_FILES))
def test_sample_report_questions_match_the_form_in_order(spec: FormSpec, borough: str) -> None:
    lines = seed_lines(borough)
    # B2-B5 carry printed questions; B1 and the statement are free narrative (label = section title).
    asked = [q for q in board_questions(spec) if q.number.startswith(("B2", "B3", "B4", "B5"))]
    positions = []
    for question in asked:
        found = [i for i, line in enumerate(lines) if _similar(line, question.label)]
        assert found, f"{borough}: question {question.number} not found: {question.label}"
        positions.append(found[0])
    assert positions == sorted(positions), f"{borough}: the questions appear in a different order"
    # ... and every question printed in the sample is one of ours (nothing missed).
    first, last = positions[0], positions[-1]
    printed = [line for line in lines[first : last + 1] if line.endswith("?") and len(line) > 40]
    for line in printed:
        assert any(_similar(line, q.label) for q in asked), (
            f"{borough}: sample question not in the form: {line}"
        )


@pytest.mark.parametrize("borough", sorted(SEED_FILES))
def test_sample_report_sections_match_the_form(spec: FormSpec, borough: str) -> None:
    lines = seed_lines(borough)
    headings = [re.match(r"^B(\d):\s*(.+)$", line) for line in lines]
    seed_sections = {m.group(1): m.group(2) for m in headings if m}
    assert sorted(seed_sections) == ["1", "2", "3", "4", "5"]
    titles = {s.number: s.title for s in spec.sections if s.number}
    for number in ("2", "3", "4", "5"):  # B1's heading differs between the boroughs
        assert _similar(seed_sections[number], titles[number]), (seed_sections[number], titles[number])
    statement = [
        i
        for i, line in enumerate(lines)
        if line.lower().startswith("equality and diversity") and len(line) < 40
    ]
    last_question = max(i for i, line in enumerate(lines) if _similar(line, board_questions(spec)[-2].label))
    assert statement and statement[0] > last_question, "the statement closes the report"


def test_sections_and_question_numbers(spec: FormSpec) -> None:
    numbered = [s for s in spec.sections if s.number]
    assert [s.number for s in numbered] == ["1", "2", "3", "4", "5", "6"]
    for section in numbered:
        questions = [q for p in section.pages for q in p.questions if q.tag_value("board") == "paragraphs"]
        assert len(questions) == QUESTIONS_PER_SECTION[section.number], section.id
        assert len(section.pages) == len(questions), "one page per question"
    numbers = [q.number for q in board_questions(spec)]
    assert numbers[:4] == ["B1", "B2.1", "B2.2", "B2.3"]
    assert numbers[-2:] == ["B5.6", "E&D"]


def test_every_question_page_has_paragraphs_nothing_to_report_and_reason(spec: FormSpec) -> None:
    for section in (s for s in spec.sections if s.number):
        for page in section.pages:
            roles = [q.tag_value("board") for q in page.questions]
            assert roles == ["paragraphs", "nothing_to_report", "nothing_reason"], page.id
            paragraphs = page.questions[0]
            assert paragraphs.type is QuestionType.REPEAT
            assert {f.tag_value("board"): f.required for f in paragraphs.fields} == {
                "heading": False,
                "text": True,
            }


def test_header_roles_and_numbering_styles(spec: FormSpec) -> None:
    roles = {q.tag_value("board"): q for _s, _p, q in spec.iter_questions() if q.has_tag("board")}
    for role in (
        "report_number",
        "borough",
        "meeting_date",
        "period_from",
        "period_to",
        "authors",
        "numbering",
    ):
        assert role in roles, role
    assert [c.value for c in roles["numbering"].choices] == ["by_section", "by_question"]
    assert [f.id for f in roles["authors"].fields] == ["rank", "name", "unit"]
    assert spec.options["numbering_question"] == roles["numbering"].id
    figures = roles["entered_figures"]
    assert {f.tag_value("board") for f in figures.fields} >= {"figure", "value", "source"}
    assert all(f.required for f in figures.fields if f.tag_value("board") in {"figure", "value", "source"})


# ------------------------------------------------------------------ answering a question


@pytest.fixture
def answers() -> dict[str, Any]:
    return example("dsvb_report")


def test_question_without_paragraphs_or_nothing_to_report_is_an_error(
    spec: FormSpec, answers: dict[str, Any]
) -> None:
    answers["b3_q2_paragraphs"] = []
    evaluation = run(spec, answers)
    assert rule_ids(evaluation, "error") == {"b3_q2_answered"}, describe(evaluation)


def test_nothing_to_report_needs_a_reason(spec: FormSpec, answers: dict[str, Any]) -> None:
    answers.pop("b5_q1_nothing_reason")
    evaluation = run(spec, answers)
    assert [f.question_id for f in evaluation.errors] == ["b5_q1_nothing_reason"]


def test_nothing_to_report_with_a_reason_needs_no_paragraph(spec: FormSpec, answers: dict[str, Any]) -> None:
    answers.update(b2_q3_nothing_to_report="yes", b2_q3_nothing_reason="No such cases in the period.")
    evaluation = run(spec, answers)
    assert not evaluation.errors, describe(evaluation)
    assert "b2_q3_paragraphs" not in evaluation.visible_questions, (
        "paragraphs are hidden when nothing to report"
    )


def test_paragraph_text_is_required_and_sub_heading_optional(spec: FormSpec, answers: dict[str, Any]) -> None:
    answers["b2_q1_paragraphs"] = [
        {"subheading": "Risk assessment", "text": ""},
        {"text": "Plain paragraph."},
    ]
    evaluation = run(spec, answers)
    assert [(f.question_id, f.item_index) for f in evaluation.errors] == [("b2_q1_paragraphs", 0)], describe(
        evaluation
    )


def test_period_must_not_end_before_it_starts(spec: FormSpec, answers: dict[str, Any]) -> None:
    answers["period_to"] = "2025-12-31"
    assert rule_ids(run(spec, answers), "error") == {"period_order"}


@pytest.mark.parametrize("value", ["1,874", "52.1%", "£212,000", "0", "-3"])
def test_entered_figure_values_as_printed(spec: FormSpec, answers: dict[str, Any], value: str) -> None:
    answers["part_a_figures"][0]["figure_value"] = value
    assert not run(spec, answers).errors


@pytest.mark.parametrize("value", ["about 50", "52.1 %", "", "12 million"])
def test_entered_figure_values_that_are_not_numbers_are_refused(
    spec: FormSpec, answers: dict[str, Any], value: str
) -> None:
    answers["part_a_figures"][0]["figure_value"] = value
    assert run(spec, answers).errors


def test_entered_figure_needs_its_source(spec: FormSpec, answers: dict[str, Any]) -> None:
    answers["part_a_figures"][1].pop("source")
    assert run(spec, answers).errors


def test_example_report_renders_through_the_board_contract(spec: FormSpec, answers: dict[str, Any]) -> None:
    """The Part B model built from this form has every question, numbered sections, and entered figures."""
    report = report_pdf.board_report_from_answers(spec, answers, report_id="r1", revision=1)
    assert report.header.borough == "Northbridge"
    assert report.header.numbering == "by_question"
    assert [s.number for s in report.sections] == ["1", "2", "3", "4", "5", "6"]
    assert sum(len(s.questions) for s in report.sections) == 18
    nothing = [q.id for s in report.sections for q in s.questions if q.nothing_to_report]
    assert nothing == ["b5_q1_paragraphs"]


QUESTION_IDS = [q.id.removesuffix("_paragraphs") for q in board_questions(form("dsvb_report"))]
STATES = ["paragraphs", "nothing_with_reason", "nothing_without_reason", "empty"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(states=st.lists(st.sampled_from(STATES), min_size=len(QUESTION_IDS), max_size=len(QUESTION_IDS)))
def test_each_question_is_answered_or_marked_nothing_to_report(states: list[str]) -> None:
    spec = form("dsvb_report")
    answers = example("dsvb_report")
    for qid, state in zip(QUESTION_IDS, states, strict=True):
        answers.pop(f"{qid}_nothing_reason", None)
        answers[f"{qid}_nothing_to_report"] = "no" if state in {"paragraphs", "empty"} else "yes"
        answers[f"{qid}_paragraphs"] = [{"text": "A paragraph."}] if state == "paragraphs" else []
        if state == "nothing_with_reason":
            answers[f"{qid}_nothing_reason"] = "No such cases in the period."
    evaluation = run(spec, answers)
    unanswered = {f"{q}_answered" for q, s in zip(QUESTION_IDS, states, strict=True) if s == "empty"}
    no_reason = {
        f"{q}_nothing_reason"
        for q, s in zip(QUESTION_IDS, states, strict=True)
        if s == "nothing_without_reason"
    }
    assert rule_ids(evaluation, "error") == unanswered
    assert {f.question_id for f in evaluation.errors if f.rule_id is None} == no_reason
