"""Issue 20, item 7: the injury is described once. The 124D of 2026.1 asked for it twice (the Victim page
and DASH question 1's "What is the injury?"); the current form asks on the Victim page only
(`formerly: [dash_q1_injury]`) and DASH Q1 shows that description. A draft moved from 2026.1 keeps what
the officer wrote under DASH Q1: it joins the Victim page's description, nothing is dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dsvdesk.engine.completeness import evaluate
from dsvdesk.engine.errors import FormDefinitionErrors
from dsvdesk.engine.loader import load_form, load_form_text
from dsvdesk.engine.spec import QuestionType
from dsvdesk.engine.upgrade import diff_forms, plan_upgrade, report_lines

ROOT = Path(__file__).resolve().parents[3]
OLD = load_form(ROOT / "tests" / "data" / "upgrade" / "124d_2026_1.yaml")  # frozen: before the merge
NEW = load_form(ROOT / "forms" / "124d.yaml")
DASH_Q1_TEXT = "Finger-mark bruising to left forearm; small cut to right palm from broken mug."


def old_draft() -> dict[str, Any]:
    answers: dict[str, Any] = json.loads((ROOT / "tests/data/examples/124d.json").read_text(encoding="utf-8"))
    return {**answers, "dash_q1_injury": DASH_Q1_TEXT}


def test_the_form_asks_for_the_injury_once_and_dash_q1_shows_it() -> None:
    injury_texts = [
        q.id
        for _s, _p, q in NEW.iter_questions()
        if q.type in (QuestionType.TEXT, QuestionType.LONGTEXT)
        and "injur" in q.label.lower()
        and q.id.startswith(("victim", "dash"))
    ]
    assert injury_texts == ["victim_injury_description"]
    shown = NEW.question("dash_q1_injury_described")
    assert shown.type is QuestionType.COMPUTED and NEW.page_of(shown.id).id == "dash_current"
    answers = json.loads((ROOT / "tests/data/examples/124d.json").read_text(encoding="utf-8"))
    values = evaluate(NEW, answers).values
    assert values["dash_q1_injury_described"] == answers["victim_injury_description"]
    empty = evaluate(NEW, {**answers, "victim_injury_description": None}).values
    assert "Victim page" in empty["dash_q1_injury_described"]


def test_forms_diff_says_the_answer_moves_instead_of_being_dropped() -> None:
    diff = diff_forms(OLD, NEW)
    assert ("dash_q1_injury", "victim_injury_description") in diff.moved
    assert "dash_q1_injury" not in {c.question_id for c in diff.changes}
    assert any("dash_q1_injury -> victim_injury_description" in line for line in report_lines(diff, NEW))


def test_an_old_draft_keeps_both_descriptions_in_the_one_question() -> None:
    report = plan_upgrade(OLD, NEW, old_draft())
    assert report.dropped == ()
    assert report.moved == (("dash_q1_injury", "victim_injury_description"),)
    merged = report.answers["victim_injury_description"]
    assert merged.startswith(old_draft()["victim_injury_description"]) and merged.endswith(DASH_Q1_TEXT)
    assert "dash_q1_injury" not in report.answers
    assert report.summary()["moved"] == [{"from": "dash_q1_injury", "to": "victim_injury_description"}]
    assert not evaluate(NEW, dict(report.answers)).errors  # still a complete record


def test_an_old_draft_with_only_the_dash_description_fills_the_victim_page() -> None:
    answers = {**old_draft(), "victim_injury_description": None}
    report = plan_upgrade(OLD, NEW, answers)
    assert report.answers["victim_injury_description"] == DASH_Q1_TEXT
    same = {**old_draft(), "dash_q1_injury": old_draft()["victim_injury_description"]}
    assert (
        plan_upgrade(OLD, NEW, same).answers["victim_injury_description"] == same["victim_injury_description"]
    )


def test_formerly_must_name_an_id_the_form_no_longer_has() -> None:
    text = """
id: merge
version: "1"
title: Merge
sections:
  - id: s
    title: S
    pages:
      - id: p
        title: P
        questions:
          - {id: a, type: text, label: A, formerly: [b]}
          - {id: b, type: text, label: B}
          - {id: c, type: text, label: C, formerly: [Not An Id]}
"""
    try:
        load_form_text(text, "merge.yaml")
    except FormDefinitionErrors as exc:
        codes = sorted(p.code.info.code for p in exc.problems)
    else:
        raise AssertionError("the form was accepted")
    assert codes == ["F203", "F225"]
