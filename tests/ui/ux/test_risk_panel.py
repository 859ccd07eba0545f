"""Issue 20, item 8 (part): the risk panel shows the grade the local bands suggest, the high-risk items
answered yes by question number, and labels, never stored codes."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form
from dsvdesk.ui.qt import QApplication
from dsvdesk.ui.wizard.form_wizard import FormWizard

ROOT = Path(__file__).resolve().parents[3]


def panel_text(wizard: FormWizard) -> dict[str, str]:
    return {label.accessibleName(): label.text() for label in wizard.risk_panel.value_labels}


def test_the_panel_shows_the_suggested_grade_and_labels(qtbot: QtBot, ui_app: QApplication) -> None:
    spec = load_form(ROOT / "forms" / "124d.yaml")
    wizard = FormWizard(spec, {"dash_q17": "yes", "officer_grade": "medium"})
    qtbot.addWidget(wizard)
    shown = panel_text(wizard)
    assert shown["Grade suggested by the local bands"] == "Standard"
    assert shown["High-risk items answered yes"] == "Q17"
    assert shown["Officer's grade"] == "Medium"  # the label, not the stored "medium"
    answers = {f"dash_q{n}": "yes" for n in range(1, 16)}  # 11 counted: Medium
    more = FormWizard(spec, {**answers, "marac_criteria": ["professional_judgement"]})
    qtbot.addWidget(more)
    shown = panel_text(more)
    assert shown["Grade suggested by the local bands"] == "Medium"
    assert "Professional judgement" in shown["MARAC criteria met"]  # the label, not "professional_judgement"
