"""Issue 20, item 8: what completeness says reads as sentences ("Has a referral been made? An answer is
needed.", never "made?: an answer is needed."), for every question and repeat field of every shipped form:
missing, unreadable, too few and too many answers, and every constraint and rule message in the YAML."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.engine.completeness import FindingCode, evaluate
from dsvdesk.engine.loader import load_form
from dsvdesk.engine.spec import FormSpec, Page, Question, QuestionType, Section

ROOT = Path(__file__).resolve().parents[3]
FORMS = sorted((ROOT / "forms").glob("*.yaml"))
T = QuestionType
BAD: dict[QuestionType, Any] = {
    T.TEXT: 12,
    T.LONGTEXT: 12,
    T.REFERENCE: "bad ref",
    T.INTEGER: "many",
    T.DECIMAL: "lots",
    T.DATE: "2026-13-45",
    T.TIME: "25:99",
    T.DATETIME: "yesterday",
    T.YESNO: "maybe",
    T.YESNO_DK: "maybe",
    T.CHOICE: "no_such_choice",
    T.MULTICHOICE: ["no_such_choice"],
    T.GRID: {"no_such_row": ["x"]},
}
SPEAKS = {FindingCode.REQUIRED, FindingCode.INVALID, FindingCode.TOO_FEW_ITEMS, FindingCode.TOO_MANY_ITEMS}


def problems_of_sentence(text: str) -> list[str]:
    found = []
    if not re.match(r"[A-Z0-9“\"'(]", text):
        found.append("does not start with a capital")
    if not text.endswith("."):
        found.append("does not end with a full stop")
    plain = text.replace("...", "…")
    found += [f"has {bad!r}" for bad in ("?:", "?.", ".:", ":.", "..", " :", " ?", "!:") if bad in plain]
    if re.search(r"\? [a-z]", text):
        found.append("goes on in lower case after a question mark")
    return found


def alone(spec: FormSpec, question: Question) -> FormSpec:
    """The question alone on a page, shown and required, its repeat fields too (conditions need the rest of
    the form, so they are dropped: every message the question can give is reached)."""
    fields = tuple(
        dataclasses.replace(f, show_when=None, required=True, required_when=None, constraints=())
        for f in question.fields
    )
    shown = dataclasses.replace(
        question, show_when=None, required=True, required_when=None, constraints=(), fields=fields
    )
    page = Page(id="p", title="P", questions=(shown,))
    return FormSpec(
        id=spec.id, version=spec.version, title=spec.title, sections=(Section("s", "S", (page,)),)
    )


def every_question(spec: FormSpec) -> list[Question]:
    return [q for _s, _p, q in spec.iter_questions() if q.type not in (T.COMPUTED, T.NOTE)]


def answers_for(question: Question) -> list[dict[str, Any]]:
    if question.type is T.REPEAT:
        too_many = (question.max_items or 0) + 1
        bad_item = {f.id: BAD[f.type] for f in question.fields if f.type in BAD}
        return [{}, {question.id: [{}]}, {question.id: [bad_item]}, {question.id: [{}] * too_many}]
    return [{}, {question.id: BAD[question.type]}]


@pytest.mark.parametrize("path", FORMS, ids=[p.stem for p in FORMS])
def test_every_question_speaks_in_sentences(path: Path) -> None:
    spec = load_form(path)
    wrong: list[str] = []
    heard = 0
    for question in every_question(spec):
        single = alone(spec, question)
        for answers in answers_for(question):
            for finding in evaluate(single, answers).findings:
                if finding.code in SPEAKS:
                    heard += 1
                    wrong += [f"{finding.message!r} {p}" for p in problems_of_sentence(finding.message)]
    for _s, _p, question in spec.iter_questions():
        for constraint in (*question.constraints, *(c for f in question.fields for c in f.constraints)):
            wrong += [f"{constraint.message!r} {p}" for p in problems_of_sentence(constraint.message)]
    for rule in spec.rules:
        wrong += [f"{rule.message!r} {p}" for p in problems_of_sentence(rule.message)]
    assert heard >= 2 * len(every_question(spec))  # each question was heard missing and unreadable
    assert wrong == []


def test_a_question_label_is_followed_by_a_new_sentence() -> None:
    spec = load_form(ROOT / "forms" / "124d.yaml")
    made = spec.question("marac_referral_made")
    assert made.label.endswith("?")
    message = evaluate(alone(spec, made), {}).findings[0].message
    assert message == f"{made.label} An answer is needed."
    surname = evaluate(alone(spec, spec.question("victim_surname")), {}).findings[0].message
    assert surname == "Victim's surname: an answer is needed."
