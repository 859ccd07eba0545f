"""Issue 20, item 9: a patterned reference (the custody record number) is checked while it is typed:
"bad ref" shows a message under the question at once and is listed by the submit check."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from dsvdesk.engine.completeness import evaluate
from dsvdesk.engine.loader import load_form
from dsvdesk.ui.qt import QApplication
from dsvdesk.ui.wizard.form_wizard import FormWizard
from tests.ui.conftest import type_text

ROOT = Path(__file__).resolve().parents[3]


def test_a_custody_number_is_checked_while_typing(qtbot: QtBot, ui_app: QApplication) -> None:
    spec = load_form(ROOT / "forms" / "124d.yaml")
    wizard = FormWizard(spec, {"suspect_arrested": "yes"})
    qtbot.addWidget(wizard)
    wizard.show()
    block = wizard.block("custody_ref")
    wizard.jump_to("custody_ref")
    line = block.focus_target()
    type_text(line, "bad ref")
    assert "Custody record number" in block.messages_text and block.message_label.isVisible()
    assert any(f.question_id == "custody_ref" for f in wizard.evaluation.errors)
    for _ in "bad ref":
        qtbot.keyClick(line, "\b")  # Backspace
    type_text(line, "01AB/12345/26")
    assert block.messages_text == ""
    checked = evaluate(spec, {"suspect_arrested": "yes", "custody_ref": "bad ref"})
    assert any(f.question_id == "custody_ref" for f in checked.errors)  # the submit check lists it
