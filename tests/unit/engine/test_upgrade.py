"""Moving a draft's answers to a new version of its form (issue 18): the report names each kind of change
(question removed, choice removed, type changed, new required question) and the moved answers follow it.
The two versions are frozen fixtures (tests/data/upgrade/), so edits to forms/124d.yaml do not move them."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.engine.completeness import evaluate
from dsvdesk.engine.loader import load_form, load_form_text
from dsvdesk.engine.spec import FormSpec
from dsvdesk.engine.upgrade import (
    DropReason,
    UpgradeNotPossible,
    diff_forms,
    plan_upgrade,
    report_lines,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "upgrade"
NOW = datetime(2026, 11, 1, 12, 0)


@cache
def v1() -> FormSpec:
    return load_form(DATA / "124d_v1.yaml")


@cache
def v2() -> FormSpec:
    return load_form(DATA / "124d_v2.yaml")


def answers() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "124d_v1_answers.json").read_text(encoding="utf-8"))
    return data


def test_the_fixture_answers_are_complete_on_version_1() -> None:
    evaluation = evaluate(v1(), answers(), now=NOW)
    assert not evaluation.findings


def test_form_diff_names_each_kind_of_change() -> None:
    diff = diff_forms(v1(), v2())
    by_reason = {
        reason: {(c.question_id, c.detail) for c in diff.changes if c.reason is reason}
        for reason in DropReason
    }
    assert by_reason[DropReason.QUESTION_REMOVED] == {
        ("victim_email", "Email address"),
        ("witnesses.statement_taken", "field removed"),
    }
    assert by_reason[DropReason.CHOICE_REMOVED] == {
        ("how_reported", "choice 'officer_on_patrol' removed"),
        ("other_agencies", "choice 'probation' removed"),
    }
    assert by_reason[DropReason.TYPE_CHANGED] == {("dash_weapons_access", "yesno_dk -> yesno")}
    assert diff.added == ("victim_nationality", "victim_gp")
    assert diff.added_required == ("victim_nationality",)
    assert "victim_name" not in diff.unchanged, "computed values are not answers"
    assert "victim_surname" in diff.unchanged
    assert (diff.old_version, diff.new_version) == ("2026.1", "2027.1")


def test_same_version_has_an_empty_diff() -> None:
    assert diff_forms(v1(), v1()).is_empty


def test_upgrade_report_kept_dropped_and_needed() -> None:
    before = answers()
    report = plan_upgrade(v1(), v2(), before, now=NOW)
    dropped = {(d.answer_id, d.reason) for d in report.dropped}
    assert dropped == {
        ("victim_email", DropReason.QUESTION_REMOVED),
        ("how_reported", DropReason.CHOICE_REMOVED),
        ("other_agencies", DropReason.CHOICE_REMOVED),
        ("dash_weapons_access", DropReason.TYPE_CHANGED),
        ("witnesses[1].statement_taken", DropReason.QUESTION_REMOVED),
    }
    assert report.needs_answer == ("victim_nationality",)  # victim_gp is new but optional
    moved = report.answers
    assert "victim_email" not in moved and "how_reported" not in moved and "dash_weapons_access" not in moved
    assert moved["other_agencies"] == ["childrens_social_care", "victim_support"], "the other choices stay"
    assert moved["witnesses"] == [
        {"name": "Mrs P. Adebayo (neighbour, Flat 4)", "contact": "07700 900789", "account_taken": "yes"}
    ]
    assert moved["dash_weapons_access__comment"] == before["dash_weapons_access__comment"]
    assert "victim_surname" in report.kept and "dash_q1__comment" in report.kept
    assert "other_agencies" not in report.kept, "partly dropped answers are reported as dropped"
    answered_keys = {key for key, value in before.items() if value not in (None, "", [], {})}
    untouched = answered_keys - {
        "victim_email",
        "how_reported",
        "dash_weapons_access",
        "other_agencies",
        "witnesses",
    }
    assert untouched == set(report.kept)
    assert all(moved[key] == before[key] for key in report.kept)


def test_upgraded_answers_are_incomplete_exactly_where_the_report_says() -> None:
    report = plan_upgrade(v1(), v2(), answers(), now=NOW)
    evaluation = evaluate(v2(), report.answers, now=NOW)
    missing = {f.question_id for f in evaluation.errors}
    assert missing == {"victim_nationality", "how_reported", "dash_weapons_access"}


def test_upgrade_never_changes_the_answers_given() -> None:
    before = answers()
    snapshot = json.dumps(before, sort_keys=True)
    plan_upgrade(v1(), v2(), before, now=NOW)
    assert json.dumps(before, sort_keys=True) == snapshot


def test_grid_rows_and_columns_removed_are_reported() -> None:
    text = (DATA / "124d_v1.yaml").read_text(encoding="utf-8")
    changed = text.replace('version: "2026.1"', 'version: "2026.2"').replace(
        '              - {value: other, label: "Other (say what below)"}\n', "", 1
    )
    assert changed.count("Other (say what below)") == 0
    grid_v2 = load_form_text(changed, "124d_grid.yaml")
    before = dict(answers(), dash_q3_grid={"further_injury": ["self"], "other": ["children"]})
    report = plan_upgrade(v1(), grid_v2, before, now=NOW)
    assert [(d.answer_id, d.detail) for d in report.dropped] == [
        ("dash_q3_grid", "row 'other' is no longer offered")
    ]
    assert report.answers["dash_q3_grid"] == {"further_injury": ["self"]}
    assert [c.detail for c in diff_forms(v1(), grid_v2).changes] == ["row 'other' removed"]


def test_another_form_or_the_same_version_is_refused() -> None:
    other = load_form_text(
        "id: other\nversion: '1'\ntitle: Other\nsections:\n  - id: s\n    title: S\n    pages:\n      - id: p\n        title: P\n        questions:\n          - {id: q, type: text, label: Q}\n",
        "other.yaml",
    )
    with pytest.raises(UpgradeNotPossible, match="version of its own form"):
        plan_upgrade(v1(), other, {})
    with pytest.raises(UpgradeNotPossible, match="already uses this version"):
        plan_upgrade(v1(), v1(), answers())


def test_report_lines_are_plain_words() -> None:
    lines = report_lines(plan_upgrade(v1(), v2(), answers(), now=NOW), v2())
    text = "\n".join(lines)
    assert "version 2026.1 -> 2027.1" in text
    assert "Dropped: 5 answer(s)." in text
    kept_text = " ".join(line.strip() for line in lines[2 : lines.index("Dropped: 5 answer(s).")])
    assert kept_text.split(", ")[:2] == ["cad_ref", "incident_date"], "every kept answer is named"
    assert "  - victim_email: question removed (Email address)" in text
    assert "  - dash_weapons_access: type changed (yesno_dk -> yesno)" in text
    assert "  - victim_nationality (Nationality)" in text
    diff_text = "\n".join(report_lines(diff_forms(v1(), v2()), v2()))
    assert "Answers dropped, choice removed: 2." in diff_text
    assert "  - victim_nationality (Nationality) (required)" in diff_text


def test_audit_summary_holds_no_answer_values() -> None:
    summary = plan_upgrade(v1(), v2(), answers(), now=NOW).summary()
    text = json.dumps(summary)
    assert "jw@example.org" not in text and "Joanne" not in text
    assert summary["needs_answer"] == ["victim_nationality"]
