"""The parts every dialog is built from (dsvdesk/ui/dialogs/base.py): the reason dialog, the password
box, a new password typed twice, the OK/Cancel row where Enter in a password box never signs, and the
content that scrolls only once the dialog would not fit the screen."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from dsvdesk.ui.dialogs.base import MIN_REASON_CHARS, MarkedDialog, ReasonDialog
from dsvdesk.ui.dialogs.justification import JustificationDialog
from dsvdesk.ui.qt import (
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QScrollBar,
    Qt,
)
from dsvdesk.ui.review.dialogs import AmendDialog
from tests.ui.conftest import type_text
from tests.ui.ux.geometry import problems


def _reason_dialog(qtbot: QtBot) -> ReasonDialog:
    dialog = ReasonDialog(
        None,
        "Why",
        heading="Why are you doing this?",
        explanation="Kept in the audit log.",
        accessible_name="Reason",
        hint="e.g. Court file",
        ok_text="&Go",
        object_name="whyReason",
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_reason_dialog_refuses_a_short_or_padded_reason_and_keeps_it_on_one_line(
    qtbot: QtBot, ui_app: QApplication
) -> None:
    dialog = _reason_dialog(qtbot)
    assert dialog.reason.objectName() == "whyReason" and dialog.reason.accessibleName() == "Reason"
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error_label.isVisible()
    assert str(MIN_REASON_CHARS) in dialog.error_label.text()
    type_text(dialog.reason, "a" + " " * 20 + "b")  # spaces are not a reason: what is stored is "a b"
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() != QDialog.DialogCode.Accepted
    dialog.reason.setPlainText("  Court\n\nfile   for CPS  ")
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.value() == "Court file for CPS"


def test_tab_in_a_reason_box_moves_on_instead_of_typing_a_tab(qtbot: QtBot, ui_app: QApplication) -> None:
    dialog = _reason_dialog(qtbot)
    dialog.reason.setFocus()
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Tab)
    assert "\t" not in dialog.reason.toPlainText()


def test_justification_and_amend_dialogs_are_reason_dialogs_with_their_own_buttons(
    qtbot: QtBot, ui_app: QApplication
) -> None:
    justification = JustificationDialog(None, "The record for Anna Kowalska", "Olga Officer")
    amend = AmendDialog(None, "The record for Anna Kowalska", "01/2026/000001")
    for dialog in (justification, amend):
        qtbot.addWidget(dialog)
    assert (
        justification.open_button is justification.ok_button
        and justification.open_button.text() == "&Open record"
    )
    assert amend.amend_button is amend.ok_button and amend.amend_button.text() == "&Start amendment"
    assert amend.reason.objectName() == "amendReason"
    amend.show()
    type_text(amend.reason, "Date of birth was wrong")
    with qtbot.waitSignal(amend.accepted):
        qtbot.mouseClick(amend.amend_button, Qt.MouseButton.LeftButton)
    assert amend.value() == "Date of birth was wrong"


def test_password_box_masks_what_is_typed(qtbot: QtBot, ui_app: QApplication) -> None:
    dialog = MarkedDialog(None, "Password")
    qtbot.addWidget(dialog)
    box = dialog.make_password_box(hint="Your password (signs the PDFs)")
    assert box.echoMode() == QLineEdit.EchoMode.Password
    assert box.accessibleName() == "Your password"
    assert box.placeholderText() == "Your password (signs the PDFs)"


def test_a_new_password_typed_differently_twice_clears_the_repeat(qtbot: QtBot, ui_app: QApplication) -> None:
    dialog = MarkedDialog(None, "New password")
    qtbot.addWidget(dialog)
    password, repeat = dialog.make_password_box("New password"), dialog.make_password_box("Repeat")
    dialog.body.addWidget(password)
    dialog.body.addWidget(repeat)
    password.setText("Correct-Horse-1")
    repeat.setText("Correct-Horse-2")
    assert not MarkedDialog.passwords_match(password, repeat)
    assert repeat.text() == "" and password.text() == "Correct-Horse-1"
    repeat.setText("Correct-Horse-1")
    assert MarkedDialog.passwords_match(password, repeat)
    assert repeat.text() == "Correct-Horse-1"


def test_enter_in_a_password_box_cancels_rather_than_signs(qtbot: QtBot, ui_app: QApplication) -> None:
    dialog = MarkedDialog(None, "Sign")
    qtbot.addWidget(dialog)
    password = dialog.make_password_box()
    dialog.body.addWidget(password)
    signed: list[bool] = []
    ok_button = dialog.add_buttons("&Sign", lambda: signed.append(True), enter_cancels=True)
    dialog.show()
    type_text(password, "secret")
    qtbot.keyClick(password, Qt.Key.Key_Return)
    assert signed == []
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not ok_button.autoDefault()
    dialog.show()
    qtbot.mouseClick(ok_button, Qt.MouseButton.LeftButton)
    assert signed == [True]


def test_the_cancel_button_can_be_named(qtbot: QtBot, ui_app: QApplication) -> None:
    dialog = MarkedDialog(None, "Sign in")
    qtbot.addWidget(dialog)
    dialog.add_buttons("&Sign in", dialog.accept, cancel_text="&Quit")
    assert sorted(button.text() for button in dialog.findChildren(QPushButton)) == ["&Quit", "&Sign in"]


def _lines(dialog: MarkedDialog, count: int) -> None:
    for n in range(count):
        dialog.body.addWidget(QLabel(f"Line {n + 1} of what the dialog says", dialog))


def _fits_the_screen(dialog: MarkedDialog) -> bool:
    return dialog.screen().availableGeometry().contains(dialog.frameGeometry())


def test_a_dialog_that_fits_the_screen_has_no_scroll_area_but_its_width(
    qtbot: QtBot, ui_app: QApplication
) -> None:
    """Cold start (issue 22): the sign-in window and every dialog that fits is built without a scroll
    area, as wide as with one (room for its bar), so the content never re-wraps if one comes."""
    dialog = MarkedDialog(None, "Short")
    qtbot.addWidget(dialog)
    _lines(dialog, 3)
    dialog.add_buttons("&OK", dialog.accept)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.content_scroll is None and dialog.findChildren(QScrollArea) == []
    bar = QScrollBar().sizeHint().width()
    assert dialog.width() >= dialog.content.sizeHint().width() + bar
    assert _fits_the_screen(dialog) and problems(dialog) == []


def test_a_dialog_taller_than_the_screen_scrolls_its_content_and_keeps_its_buttons(
    qtbot: QtBot, ui_app: QApplication
) -> None:
    dialog = MarkedDialog(None, "Long")
    qtbot.addWidget(dialog)
    _lines(dialog, 120)
    ok = dialog.add_buttons("&OK", dialog.accept)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert isinstance(dialog.content_scroll, QScrollArea)
    assert dialog.content_scroll.widget() is dialog.content
    assert _fits_the_screen(dialog) and problems(dialog) == []
    assert dialog.content_scroll.verticalScrollBar().maximum() > 0  # the rest is a scroll away
    assert ok.isVisible() and dialog.rect().contains(ok.mapTo(dialog, ok.rect().bottomRight()))


def test_content_added_to_an_open_dialog_scrolls_once_it_would_not_fit(
    qtbot: QtBot, ui_app: QApplication
) -> None:
    dialog = MarkedDialog(None, "Growing")
    qtbot.addWidget(dialog)
    _lines(dialog, 2)
    dialog.add_buttons("&OK", dialog.accept)
    dialog.show()
    qtbot.waitExposed(dialog)
    _lines(dialog, 4)
    qtbot.waitUntil(lambda: dialog.height() >= dialog.sizeHint().height())
    assert dialog.content_scroll is None  # a little more still fits: the dialog grows
    _lines(dialog, 120)
    qtbot.waitUntil(lambda: dialog.content_scroll is not None)
    qtbot.waitUntil(lambda: _fits_the_screen(dialog))
    assert problems(dialog) == []
