"""docs/forms.md promises that a force which edits its form file sees every screen and figure follow,
with no change to Python. Here a copy of forms/124d.yaml gets a new high-risk threshold (14 -> 15), a new
middle band (10 -> 9), a new label for the highest grade ("High" -> "Severe"), a new MARAC criterion
label ("Visible high risk" -> "Obvious high risk") and a new flag label; the review-queue flags, the
dashboard, Part A, the charts and the rendered Part A PDF all follow. (The wizard's risk panel:
tests/ui/test_vocabulary_wizard.py.) A second test checks dsvdesk/ holds none of those values itself."""

from __future__ import annotations

import ast
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Group, String

from dsvdesk.engine.completeness import evaluate
from dsvdesk.engine.loader import load_form
from dsvdesk.engine.spec import FormSpec
from dsvdesk.engine.vocabulary import vocabulary_of
from dsvdesk.export import charts
from dsvdesk.export.report_pdf import ReportHeader, render_part_a_pdf
from dsvdesk.reporting.dashboard import CohortRow, DashboardRecord, compute_figures
from dsvdesk.reporting.parta import Period, compute_part_a
from dsvdesk.reporting.review_queue import flag_label, is_urgent
from dsvdesk.store.records import column_value

ROOT = Path(__file__).resolve().parents[2]
FORM = ROOT / "forms" / "124d.yaml"
PERIOD = Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
CHANGES = (  # (what the shipped file says, what the force writes instead)
    ("marac_yes_threshold: 14", "marac_yes_threshold: 15"),
    ("local_band_medium_from: 10", "local_band_medium_from: 9"),
    ('{value: high, label: "High", help:', '{value: high, label: "Severe", help:'),
    ("Visible high risk", "Obvious high risk"),
    (
        'high_without_marac: {label: "High risk without MARAC referral"',
        'high_without_marac: {label: "Severe risk, no MARAC"',
    ),
)


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> FormSpec:
    folder = tmp_path_factory.mktemp("forms")
    target = folder / "124d.yaml"
    shutil.copyfile(FORM, target)
    text = target.read_text(encoding="utf-8")
    for old, new in CHANGES:
        assert old in text, f"forms/124d.yaml no longer says {old!r}: update this test"
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")
    return load_form(target)


def _answers(yes: int) -> dict[str, Any]:
    """A record with `yes` DASH 'yes' answers, graded Medium by the officer."""
    spec = load_form(FORM)
    shown = evaluate(spec, {}).visible_questions  # the questions about children are asked only with children
    dash = [q.id for q in spec.questions_tagged("dash") if q.id in shown]
    answers: dict[str, Any] = {qid: "yes" if i < yes else "no" for i, qid in enumerate(dash)}
    answers |= {"officer_grade": "medium", "previous_incidents_12m": 0, "previous_marac": "no"}
    return answers


def test_review_queue_flags_follow_the_threshold_and_the_flag_label(changed: FormSpec) -> None:
    vocabulary = vocabulary_of(changed)
    # 14 'yes' answers graded Medium: high risk under the shipped form, not under the changed one
    assert "high_without_marac" in evaluate(load_form(FORM), _answers(14)).flags
    assert "high_without_marac" not in evaluate(changed, _answers(14)).flags
    flags = evaluate(changed, _answers(15)).flags
    assert "high_without_marac" in flags
    assert flag_label("high_without_marac", vocabulary) == "Severe risk, no MARAC"
    assert is_urgent("high_without_marac", vocabulary)


def test_the_dashboard_follows_the_grade_label_and_the_forms_marac_rule(changed: FormSpec) -> None:
    vocabulary = vocabulary_of(changed)
    rows = []
    for index, yes in enumerate((14, 15)):
        evaluation = evaluate(changed, _answers(yes))
        columns = {
            column: column_value(evaluation.values.get(source)) for column, source in changed.columns.items()
        }
        record = DashboardRecord(f"r{index}", None, None, "x", "submitted", columns["grade"], None, "t")
        rows.append(CohortRow(f"r{index}", "submitted", True, None, columns["grade"], columns, record))
    figures = {f.key: f for f in compute_figures(rows, [], vocabulary=vocabulary)}
    assert figures["grade.high"].label == "Severe"
    assert figures["marac.required"].record_ids == ("r1",)  # 15 'yes' answers: the form's rule says so


def _part_a(changed: FormSpec) -> Any:
    rows = [
        _Row(
            f"r{i}",
            {
                "incident_date": "2026-02-01",
                "grade": grade,
                "yes_count": yes,
                "marac_referral_date": date,
                "marac_criteria": criteria,
            },
        )
        for i, (grade, yes, date, criteria) in enumerate(
            [
                ("high", 15, "2026-02-02", "visible_high_risk"),
                ("medium", 14, None, ""),
                ("standard", 9, None, ""),
            ]
        )
    ]
    return compute_part_a(rows, PERIOD, vocabulary=vocabulary_of(changed))


class _Row:
    def __init__(self, record_id: str, values: dict[str, Any]) -> None:
        self.record_id, self.status, self.values = record_id, "approved", values


def test_part_a_follows_the_bands_grades_and_criteria(changed: FormSpec) -> None:
    figures = {f.key: f for f in _part_a(changed).figures()}
    assert figures["grade.high"].label == "Graded Severe"
    assert figures["dash.band_15_plus"].value == "1"
    assert figures["dash.band_9_14"].value == "2"  # 9 and 14 'yes' answers: the middle band now
    assert "dash.band_14_plus" not in figures
    assert figures["marac.visible_high_risk"].label == "Criterion: Obvious high risk"
    assert figures["marac.visible_high_risk"].value == "1"


def _strings(node: Drawing | Group) -> list[str]:
    """The texts a chart shows: its strings and its legends' labels."""
    found = []
    for item in node.contents:
        if isinstance(item, String):
            found.append(item.text)
        elif isinstance(item, Group):
            found += _strings(item)
        elif isinstance(item, Legend):
            found += [str(label) for _colour, label in item.colorNamePairs]
    return found


def test_the_charts_follow_the_bands_and_grade_labels(changed: FormSpec) -> None:
    part_a = _part_a(changed)
    yes_chart = charts.yes_count_chart(part_a)
    assert {"0–8", "9–14", "15+"} <= set(_strings(yes_chart))
    assert "Severe: 1" in _strings(charts.grade_pie_chart(part_a))


def test_the_rendered_part_a_pdf_follows(changed: FormSpec, tmp_path: Path) -> None:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    pdf = render_part_a_pdf(
        _part_a(changed),
        ReportHeader("00000000-0000-4000-8000-000000000000", 1, period=PERIOD),
        document_date=dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
    )
    (tmp_path / "a.pdf").write_bytes(pdf)
    text = " ".join(
        subprocess.run(
            [pdftotext, str(tmp_path / "a.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    for expected in (
        "Graded Severe",
        "Criterion: Obvious high risk",
        "15+ 'yes' answers",
        "9–14 'yes' answers",
    ):
        assert expected in text, expected
    assert "14+ 'yes' answers" not in text


# ------------------------------------------------------------------------------- nothing in Python


# Grade and criterion words of the shipped forms, as Python string literals.
DOMAIN_WORDS = re.compile(
    r"^(Standard|Medium|High|Visible high risk|Professional judgement|Potential escalation|Repeat (referral|MARAC)"
    r"|Honour-based violence or forced marriage|High risk without MARAC referral"
    r"|Children without Merlin PAC reference|1–9|10–13|14\+|16–35|36–60|61\+)$"
)
# DASH band edges (1–9, 10–13, 14+) compared with anything. Allowed, as not domain: comparing a len()
# (an ISO date's 10 characters, how many findings a message lists).
RISK_NUMBERS = {9, 10, 13, 14}


def _is_len(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _risk_number_uses(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
            numbers = [
                p
                for p in parts
                if isinstance(p, ast.Constant) and not isinstance(p.value, bool) and p.value in RISK_NUMBERS
            ]
            if numbers and not any(_is_len(p) for p in parts):
                found.append((node.lineno, ast.unparse(node)))
    return found


def test_dsvdesk_holds_no_risk_threshold_band_grade_or_criterion_label() -> None:
    offenders = []
    for path in sorted((ROOT / "dsvdesk").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT)
        offenders += [f"{where}:{line}: {text}" for line, text in _risk_number_uses(tree)]
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and DOMAIN_WORDS.match(node.value)
            ):
                offenders.append(f"{where}:{node.lineno}: {node.value!r}")
    assert offenders == []


def test_the_scan_finds_what_it_looks_for() -> None:
    tree = ast.parse("if yes_count >= 14 or index <= 9 or len(text) >= 10:\n    label = 'High'\n")
    assert _risk_number_uses(tree) == [(1, "yes_count >= 14"), (1, "index <= 9")]
    assert DOMAIN_WORDS.match("High") and not DOMAIN_WORDS.match("High risk")
