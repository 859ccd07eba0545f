"""Shared helpers for the shipped-form tests: load a form once, start from its complete example answers,
change a few answers, evaluate, and name the findings by rule id or question id."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from dsvdesk.engine.completeness import Evaluation, evaluate
from dsvdesk.engine.loader import load_form, load_form_text
from dsvdesk.engine.spec import FormSpec

ROOT = Path(__file__).resolve().parents[3]
FORMS_DIR = ROOT / "forms"
EXAMPLES_DIR = ROOT / "tests" / "data" / "examples"
# Every example date lies before this, so "not in the future" checks never depend on the clock.
NOW = datetime(2026, 11, 1, 12, 0)
AUTHOR = ("author",)
EVERYONE = ("author", "reviewer")
DASH_IDS = tuple(f"dash_q{n}" for n in range(1, 28))
# Q9 (pregnancy or a new baby) is asked of every victim (issue 18); only Q10-Q12 follow has_children.
DASH_CHILD_IDS = ("dash_q10", "dash_q11", "dash_q12")


@cache
def form(form_id: str) -> FormSpec:
    return load_form(FORMS_DIR / f"{form_id}.yaml")


def form_with_constants(form_id: str, **constants: object) -> FormSpec:
    """The shipped form with some constants changed in its text, as a force would edit the YAML."""
    text = (FORMS_DIR / f"{form_id}.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    for name, value in constants.items():
        matches = [i for i, line in enumerate(lines) if line.startswith(f"  {name}:")]
        assert len(matches) == 1, f"constant {name} not found once in {form_id}.yaml"
        lines[matches[0]] = f"  {name}: {value}"
    return load_form_text("\n".join(lines) + "\n", f"{form_id}.yaml (edited)")


def example(form_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES_DIR / f"{form_id}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def run(spec: FormSpec, answers: Mapping[str, Any], audiences: Iterable[str] = AUTHOR) -> Evaluation:
    return evaluate(spec, dict(answers), audiences=tuple(audiences), now=NOW)


def rule_ids(evaluation: Evaluation, severity: str | None = None) -> set[str]:
    return {
        f.rule_id
        for f in evaluation.findings
        if f.rule_id and (severity is None or str(f.severity) == severity)
    }


def error_questions(evaluation: Evaluation) -> set[str]:
    """Question ids with at least one error finding (required answers, constraints or rules)."""
    return {f.question_id for f in evaluation.findings if str(f.severity) == "error" and f.question_id}


def describe(evaluation: Evaluation) -> str:
    """The findings, one per line, for assertion messages."""
    return "\n".join(
        f"{f.severity} {f.rule_id or f.code} @ {f.question_id}[{f.item_index}]: {f.message}"
        for f in evaluation.findings
    )


def with_dash(
    answers: dict[str, Any], yes: int, *, rest: str = "no", skip: Iterable[str] = ()
) -> dict[str, Any]:
    """Answers with exactly `yes` visible DASH items answered yes (in paper order) and the others `rest`.

    Follow-up questions that only open on yes (Q1 injury, Q7, Q8, Q10, Q20, Q21, Q24, Q27 details)
    are filled so that only the rules under test can fire."""
    changed = dict(answers)
    skipped = set(skip)
    hidden = set(DASH_CHILD_IDS) if changed.get("has_children") != "yes" else set()
    candidates = [q for q in DASH_IDS if q not in skipped and q not in hidden]
    assert yes <= len(candidates), f"only {len(candidates)} DASH items are visible"
    for index, qid in enumerate(candidates):
        changed[qid] = "yes" if index < yes else rest
        if changed[qid] == "not_asked":
            changed[f"{qid}__comment"] = "Victim too distressed to continue."
    changed.update(FOLLOW_UPS)
    return changed


FOLLOW_UPS: dict[str, Any] = {
    "dash_q1_first_injury": "no",
    "dash_q3_grid": {"further_injury": ["self"]},
    "dash_q7_details": "Contact with the younger child.",
    "dash_q8_details": "Repeated calls and texts; waits outside her work.",
    "dash_q10_details": "Her daughter from a previous relationship.",
    "dash_q20_who": "His brother.",
    "dash_q21_who": ["previous_partner"],
    "dash_q24_problems": ["alcohol"],
    "dash_q27_history": ["domestic_violence"],
    "sdash_q1": "yes",
    "sdash_q2": "no",
    "sdash_q3": "no",
    "sdash_q4": "no",
    "sdash_q5": "no",
    "sdash_q6": "no",
    "sdash_q7": "no",
    "sdash_q8": "no",
    "sdash_q9": "no",
    "sdash_q10": "no",
    "sdash_q11": "no",
    **{f"hbv_q{n}": "no" for n in range(1, 11)},
}


def high_risk_ready(answers: dict[str, Any]) -> dict[str, Any]:
    """What a correctly completed High-risk record adds: grade, criterion, referral, RARA plan."""
    changed = dict(answers)
    changed["officer_grade"] = "high"
    changed["supervisor_grade"] = "high"
    changed["marac_criteria"] = ["visible_high_risk"]
    changed["marac_referral_made"] = "yes"
    changed["marac_referral_date"] = "2026-03-15"
    changed["marac_decision"] = "referred"
    return changed
