"""The review queue's "Risk and flags" column says how risky every record is, even one no rule flags: a
submitted 124D with 13 'yes' answers graded Medium read as an empty cell (issue 20's leftover). It now
reads "Medium · 13 yes", and when a high-risk item (threats to kill, strangulation, weapons) is answered
yes below the threshold without the officer's professional judgement, the form's prompt rule flags it
("High-risk item: use professional judgement") — the words and the threshold from forms/124d.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dsvdesk.engine.index import index_of
from dsvdesk.engine.loader import load_form
from dsvdesk.engine.vocabulary import vocabulary_of
from dsvdesk.reporting.review_queue import QueueFilter, ReviewQueue, risk_words
from tests.unit.qa.conftest import QaStation

ROOT = Path(__file__).resolve().parents[3]
SPEC = load_form(ROOT / "forms" / "124d.yaml")
REVIEW = {q.id for s in SPEC.sections if s.audience.value == "reviewer" for p in s.pages for q in p.questions}
EXAMPLE: dict[str, Any] = {  # the officer's part of the example (the supervisor's is filled in at review)
    k: v
    for k, v in json.loads((ROOT / "tests" / "data" / "examples" / "124d.json").read_text("utf-8")).items()
    if k not in REVIEW
}
DASH = [q.id for q in index_of(SPEC).questions.values() if any(t.name == "dash" for t in q.tags)]
JUDGEMENT = {q.id for q in index_of(SPEC).questions.values() if any(t.name == "judgement" for t in q.tags)}


def thirteen_yes(*, with_judgement_item: bool) -> dict[str, Any]:
    plain = [q for q in DASH if q not in JUDGEMENT]  # q1-q15 need no follow-up answers when yes
    chosen = plain[:12] + sorted(JUDGEMENT)[:1] if with_judgement_item else plain[:13]
    assert with_judgement_item == bool(JUDGEMENT & set(chosen))
    return EXAMPLE | {q: ("yes" if q in chosen else "no") for q in DASH} | {"officer_grade": "medium"}


def submitted(qa: QaStation, answers: dict[str, Any], when: str) -> str:
    qa.at(when)
    ref = qa.store.create_record(qa["off1"], SPEC, answers)
    qa.submit("off1", ref, when)
    return ref.id


def test_a_13_yes_medium_record_says_its_risk_and_the_judgement_prompt(qa: QaStation) -> None:
    plain = submitted(qa, thirteen_yes(with_judgement_item=False), "2026-03-10T08:00")
    judged = submitted(qa, thirteen_yes(with_judgement_item=True), "2026-03-10T09:00")
    qa.at("2026-03-10T10:00")
    rows = {r.id: r for r in ReviewQueue(qa.store, qa["sup1"]).rows(QueueFilter())}
    assert rows[plain].flags == () and rows[plain].risk_and_flags == "Medium · 13 yes"
    assert rows[plain].risk_detail == "Grade Medium; 13 'yes' answers (14 or more is visible high risk)."
    assert rows[judged].flags == ("professional_judgement",)
    assert rows[judged].risk_and_flags == "Medium · 13 yes — High-risk item: use professional judgement"


def test_the_judgement_flag_goes_once_the_officer_uses_professional_judgement(qa: QaStation) -> None:
    answers = thirteen_yes(with_judgement_item=True) | {
        "officer_grade": "high",
        "marac_criteria": ["professional_judgement"],
        "marac_referral_made": "yes",
        "marac_referral_date": "2026-03-09",
    }
    record = submitted(qa, answers, "2026-03-10T08:00")
    (row,) = ReviewQueue(qa.store, qa["sup1"]).rows(QueueFilter())
    assert row.id == record and "professional_judgement" not in row.flags
    assert row.risk_and_flags.startswith("High · 13 yes")


def test_risk_words_take_the_forms_labels_and_threshold() -> None:
    vocabulary = vocabulary_of(SPEC)
    assert risk_words("high", 1, vocabulary) == (
        "High · 1 yes",
        "Grade High; 1 'yes' answer (14 or more is visible high risk).",
    )
    assert risk_words(None, None, vocabulary) == ("", "")
    assert risk_words("standard", None, vocabulary) == ("Standard", "Grade Standard.")
