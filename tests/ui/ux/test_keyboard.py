"""Issue 20, items 5 and 6 on the real Book 124D: one Tab stop per Yes/No/Don't know group, arrows that
choose, Space that chooses, Delete that clears, no Tab stop on "Clear", mnemonics unique on every page,
Enter on Next advances, the page list by keyboard (F6), Ctrl+PgDn from every focus, a visible focus
style, and no layout shift when a question is answered."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form
from dsvdesk.engine.spec import FormSpec
from dsvdesk.ui.qt import QAbstractButton, QApplication, QLabel, Qt, QTabWidget, QWidget
from dsvdesk.ui.wizard.editors import YesNoEditor
from dsvdesk.ui.wizard.form_wizard import FormWizard

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def real_spec() -> FormSpec:
    return load_form(ROOT / "forms" / "124d.yaml")


@pytest.fixture
def wizard(qtbot: QtBot, ui_app: QApplication, real_spec: FormSpec) -> FormWizard:
    widget = FormWizard(real_spec, {})
    qtbot.addWidget(widget)
    widget.resize(1366, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitActive(widget)  # shortcuts and mnemonics go to the active window
    return widget


def yes_no(wizard: FormWizard, question_id: str) -> YesNoEditor:
    editor = wizard.block(question_id).editor
    assert isinstance(editor, YesNoEditor)
    return editor


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, key, modifier)


def mnemonic(text: str) -> str | None:
    """The Alt+letter of a text ('&&' is a literal ampersand)."""
    cleaned = text.replace("&&", "")
    index = cleaned.find("&")
    return cleaned[index + 1].lower() if 0 <= index < len(cleaned) - 1 else None


def mnemonics_shown(root: QWidget) -> Counter[str]:
    letters: Counter[str] = Counter()
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy() is not None):
            letter = mnemonic(widget.text())
            if letter:
                letters[letter] += 1
        if isinstance(widget, QTabWidget):
            for index in range(widget.count()):
                letter = mnemonic(widget.tabText(index))
                if letter:
                    letters[letter] += 1
    return letters


def test_a_yes_no_group_is_one_tab_stop_and_arrows_and_space_choose(qtbot: QtBot, wizard: FormWizard) -> None:
    wizard.go_to_page("dash_current")
    q1, q2 = yes_no(wizard, "dash_q1"), yes_no(wizard, "dash_q2")
    q1.radios["yes"].setFocus()
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() not in q1.radios.values()  # one Tab leaves the whole group
    q1.radios["yes"].setFocus()
    press(qtbot, Qt.Key.Key_Right)  # the arrow moves and chooses
    assert q1.value() == "no" and q1.radios["no"].hasFocus()
    press(qtbot, Qt.Key.Key_Right)
    assert q1.value() == "dont_know"
    press(qtbot, Qt.Key.Key_Left)
    assert q1.value() == "no"
    press(qtbot, Qt.Key.Key_Delete)  # Delete clears, the keyboard stays on the group
    assert q1.value() is None and q1.radios["no"].hasFocus()
    press(qtbot, Qt.Key.Key_Space)
    assert q1.value() == "no"
    # Tab goes from the chosen answer straight on; "Clear" is never a Tab stop, so Space cannot wipe
    press(qtbot, Qt.Key.Key_Tab)
    after = QApplication.focusWidget()
    assert after is not q1.clear_button and q1.clear_button.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert q1.value() == "no"
    assert q2.value() is None


def test_answering_never_moves_the_page(qtbot: QtBot, wizard: FormWizard) -> None:
    """The Clear button appearing takes no new room: the answers and the question stay where they were
    (a question the answer reveals may appear below, as the form says)."""
    wizard.go_to_page("dash_current")
    q2 = yes_no(wizard, "dash_q2")
    QApplication.processEvents()

    def where() -> tuple[object, ...]:
        return (q2.size(), *(r.mapTo(wizard, r.rect().topLeft()) for r in q2.radios.values()))

    before = where()
    q2.radios["yes"].setFocus()
    press(qtbot, Qt.Key.Key_Space)
    assert q2.value() == "yes" and q2.clear_button.isVisible()
    QApplication.processEvents()
    assert where() == before


def test_mnemonics_are_unique_on_every_page_and_alt_n_goes_to_the_next_page(
    qtbot: QtBot, wizard: FormWizard
) -> None:
    for page_id in wizard.visible_page_ids():
        wizard.go_to_page(page_id)
        QApplication.processEvents()
        repeated = {letter: n for letter, n in mnemonics_shown(wizard).items() if n > 1}
        assert not repeated, f"page {page_id}: Alt+{', Alt+'.join(repeated)} used more than once"
    wizard.go_to_page("dash_current")
    yes_no(wizard, "dash_q1").radios["yes"].setFocus()
    following = wizard.visible_page_ids()[wizard.visible_page_ids().index("dash_current") + 1]
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # a mnemonic "animates" the click
    qtbot.waitUntil(lambda: wizard.current_page_id == following)


def test_enter_on_next_advances_and_the_page_list_is_reachable(qtbot: QtBot, wizard: FormWizard) -> None:
    first, second = wizard.visible_page_ids()[:2]
    assert wizard.current_page_id == first
    wizard.next_button.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.current_page_id == second
    press(qtbot, Qt.Key.Key_F6)
    assert wizard.page_list.hasFocus()
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Return)
    third = wizard.visible_page_ids()[2]
    assert wizard.current_page_id == third
    focus = QApplication.focusWidget()  # Enter on a page goes there, keyboard on its first question
    assert focus is not None and wizard._scrolls[third].isAncestorOf(focus)
    press(qtbot, Qt.Key.Key_F6)
    assert wizard.page_list.hasFocus()
    press(qtbot, Qt.Key.Key_F6)  # and back to the page
    focus = QApplication.focusWidget()
    assert focus is not None and wizard._scrolls[third].isAncestorOf(focus)


def test_ctrl_page_down_works_from_every_focus(qtbot: QtBot, wizard: FormWizard) -> None:
    for page_id in ("incident_details", "victim", "dash_current", "risk_assessment", "references_referrals"):
        wizard.go_to_page(page_id)
        QApplication.processEvents()
        focusable = [
            w
            for w in wizard._scrolls[page_id].widget().findChildren(QWidget)
            if w.isVisibleTo(wizard) and w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isEnabled()
        ]
        focusable += [wizard.page_list, wizard.risk_panel.findings, wizard.back_button, wizard.next_button]
        for widget in focusable:
            if not widget.isVisibleTo(wizard):
                continue
            wizard.go_to_page(page_id)
            widget.setFocus()
            expected = wizard._neighbour(+1)
            qtbot.keyClick(widget, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
            assert wizard.current_page_id == expected, (
                f"Ctrl+PgDn ignored in {type(widget).__name__} on {page_id}"
            )


def test_focus_is_drawn(ui_app: QApplication) -> None:
    sheet = ui_app.styleSheet()
    for selector in ("QRadioButton:focus", "QLineEdit:focus", "QPushButton:focus", "QListWidget:focus"):
        assert selector in sheet
