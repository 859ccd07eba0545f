"""Issue 20, items 7 and 8 on the real Book 124D, by keyboard: the injury is typed once on the Victim page
and DASH question 1 shows it (no second box to fill); answering Q17 "threats to kill" yes below the count
threshold makes the risk panel prompt professional judgement in the form's words, and grading High
answers the prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.ui.qt import QApplication, QPlainTextEdit, Qt
from dsvdesk.ui.wizard.editors import ComputedEditor, YesNoEditor
from dsvdesk.ui.wizard.form_wizard import FormWizard
from tests.ui.conftest import shot, type_text
from tests.unit.forms.support import example, form

pytestmark = pytest.mark.usefixtures("ui_app")


def open_wizard(qtbot: QtBot, answers: dict[str, object]) -> FormWizard:
    wizard = FormWizard(form("124d"), answers)
    qtbot.addWidget(wizard)
    wizard.resize(1366, 698)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow)
    return wizard


def press(qtbot: QtBot, key: Qt.Key) -> None:
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, key)


def test_the_injury_is_typed_once_and_dash_q1_shows_it(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, {})
    wizard.go_to_page("victim")
    injuries = wizard.block("victim_injuries").editor
    assert isinstance(injuries, YesNoEditor)
    injuries.radios["yes"].setFocus()
    press(qtbot, Qt.Key.Key_Space)  # Yes: the description box appears below
    press(qtbot, Qt.Key.Key_Tab)
    box = QApplication.focusWidget()
    assert isinstance(box, QPlainTextEdit) and wizard.block("victim_injury_description").isAncestorOf(box)
    type_text(box, "Bruise to the left arm.")
    wizard.go_to_page("dash_current")
    q1 = wizard.block("dash_q1").editor
    assert isinstance(q1, YesNoEditor)
    q1.radios["yes"].setFocus()
    press(qtbot, Qt.Key.Key_Space)
    shown = wizard.block("dash_q1_injury_described")
    assert shown.isVisible() and isinstance(shown.editor, ComputedEditor)
    assert shown.editor.label.text() == "Bruise to the left arm."
    # nothing on the DASH page asks for the injury again: its only text boxes are the questions' comments
    page = wizard.block("dash_q1").parentWidget()
    assert page is not None
    boxes = [b for b in page.findChildren(QPlainTextEdit) if b.isVisible()]
    assert boxes and all(b.accessibleName().startswith("Comment on ") for b in boxes)


def test_q17_yes_below_the_threshold_prompts_professional_judgement(
    qtbot: QtBot, artifacts_dir: Path
) -> None:
    answers = dict(example("124d"), dash_q2="no")  # 12 'yes' answers, Q17 no
    wizard = open_wizard(qtbot, answers)
    prompt = wizard.risk_panel.prompt_label
    assert not prompt.isVisible()
    wizard.go_to_page("dash_history")
    q17 = wizard.block("dash_q17").editor
    assert isinstance(q17, YesNoEditor)
    q17.radios["no"].setFocus()
    press(qtbot, Qt.Key.Key_Left)  # the arrow chooses Yes
    assert wizard.answers()["dash_q17"] == "yes"
    rule = next(r for r in form("124d").rules if r.id == "high_risk_item_needs_judgement")
    assert prompt.isVisible() and prompt.text() == rule.message  # the form's wording
    shot(wizard, artifacts_dir, "ux_judgement_prompt")
    wizard.go_to_page("risk_assessment")
    grade = wizard.block("officer_grade").editor
    assert grade is not None
    grade.focus_target().setFocus()
    for _ in range(3):
        if wizard.answers().get("officer_grade") == "high":
            break
        press(qtbot, Qt.Key.Key_Down)
    assert wizard.answers()["officer_grade"] == "high"
    assert not prompt.isVisible()  # High answers the prompt
