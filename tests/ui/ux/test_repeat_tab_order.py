"""Issue 20, item 5: Tab reaches a repeat item added with the keyboard, field by field, in the order shown
(new widgets used to join the end of the window's focus chain: Tab left the page from the item's first
field), and the keyboard stays in its field when the list is redrawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form
from dsvdesk.ui.qt import QApplication, Qt
from dsvdesk.ui.wizard.editors import RepeatEditor
from dsvdesk.ui.wizard.form_wizard import FormWizard
from tests.ui.conftest import type_text

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.usefixtures("ui_app")
def test_tab_walks_a_new_item_in_order(qtbot: QtBot) -> None:
    wizard = FormWizard(load_form(ROOT / "forms" / "dsvb_report.yaml"), {})
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow)
    editor = wizard.block("authors").editor
    assert isinstance(editor, RepeatEditor)
    for _ in range(2):
        editor.add_button.setFocus()
        qtbot.keyClick(editor.add_button, Qt.Key.Key_Space)
        qtbot.waitUntil(editor.item_box(len(editor.value() or []) - 1).isVisible)
    wanted = [
        editor.item_box(i).editors[f].focus_target() for i in range(2) for f in ("rank", "name", "unit")
    ]
    wizard.block("period_to").focus_target().setFocus()
    seen = []
    for _ in range(12):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    inputs = [w for w in seen if w in wanted]
    assert inputs == wanted  # period_to → item 1 rank, name, unit … item 2 … then on
    assert seen.index(editor.add_button) > seen.index(wanted[-1])
    first = wanted[0]
    first.setFocus()
    type_text(first, "DI")
    editor.set_value([{"rank": "DI"}, {}, {}])  # redrawn under the keyboard (e.g. saved elsewhere)
    focus = QApplication.focusWidget()
    assert focus is editor.item_box(0).editors["rank"].focus_target()
