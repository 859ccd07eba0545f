"""The Export… dialog on its own: what enables Export, what Enter and Escape do, long and non-Latin
text, a PDF the preview cannot read; and the Export… button on the supervisor's review screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.store import Store
from dsvdesk.ui.export import ExportDialog, ExportHooks
from dsvdesk.ui.export.dialog import MAX_JUSTIFICATION_CHARS, OTHER
from dsvdesk.ui.qt import QApplication, Qt
from dsvdesk.ui.review import ReviewScreen
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot, type_text
from tests.ui.export.conftest import seed_record
from tests.ui.qa.conftest import close_app, open_app

pytestmark = pytest.mark.ui


@pytest.fixture
def signed_pdf(db_path: Path, qa_forms: Path) -> bytes:
    record_id = seed_record(db_path)
    with Store.open(db_path) as store:
        data = store.signed_pdf(store.login("officer1", OFFICER_PASSWORD), record_id, 1)
    assert data is not None
    return data


def make(qtbot: QtBot, pdf: bytes, folder: str = "") -> ExportDialog:
    dialog = ExportDialog(None, pdf=pdf, record_title="124Q — Zoë", file_name="X_qa_r1.pdf", folder=folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_export_is_enabled_only_when_everything_is_given(
    qtbot: QtBot, ui_app: QApplication, signed_pdf: bytes, tmp_path: Path
) -> None:
    dialog = make(qtbot, signed_pdf, folder=str(tmp_path))
    assert not dialog.export_button.isEnabled()
    assert dialog.hint.text() == "To export, give the recipient, why it is disclosed."
    line = dialog.recipient.lineEdit()
    assert line is not None
    type_text(line, "   ")  # blanks are not a recipient
    assert not dialog.export_button.isEnabled()
    line.clear()
    type_text(line, "Sąd Rejonowy — 王小明")
    dialog.justification.setFocus()
    type_text(dialog.justification, "Ζητήθηκε από το δικαστήριο")
    qtbot.keyClick(dialog.justification, Qt.Key.Key_Return)  # a new line in the box, never an export
    assert dialog.isVisible()
    type_text(dialog.justification, "line two")
    assert dialog.export_button.isEnabled()
    request = dialog.request()
    assert request.recipient == "Sąd Rejonowy — 王小明"
    assert request.justification == "Ζητήθηκε από το δικαστήριο line two"  # one line in the audit log
    assert request.folder == tmp_path
    # a justification past the store's limit is refused here, with the limit named
    dialog.justification.setPlainText("x" * (MAX_JUSTIFICATION_CHARS + 1))
    assert not dialog.export_button.isEnabled() and "too long" in dialog.hint.text()
    dialog.justification.setPlainText("Court order 2026/117")
    # the folder: a file in its place is not a folder
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    dialog.folder.setText(str(a_file))
    assert not dialog.export_button.isEnabled() and "is a file, not a folder" in dialog.hint.text()
    dialog.folder.clear()
    assert "the folder" in dialog.hint.text()


def test_enter_never_exports_and_escape_cancels(
    qtbot: QtBot, ui_app: QApplication, signed_pdf: bytes, tmp_path: Path
) -> None:
    dialog = make(qtbot, signed_pdf, folder=str(tmp_path))
    line = dialog.recipient.lineEdit()
    assert line is not None
    line.setFocus()
    type_text(line, "CPS")
    dialog.justification.setFocus()
    type_text(dialog.justification, "Charging file")
    assert dialog.export_button.isEnabled() and not dialog.export_button.isDefault()
    for widget in (line, dialog.folder):
        widget.setFocus()
        qtbot.keyClick(widget, Qt.Key.Key_Return)
        qtbot.keyClick(widget, Qt.Key.Key_Enter)
        assert dialog.isVisible() and dialog.result() == 0
    dialog.export_button.setFocus()
    qtbot.keyClick(dialog.export_button, Qt.Key.Key_Return)
    assert dialog.isVisible()  # even on the button itself: Space or a click presses it
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == ExportDialog.DialogCode.Rejected


def test_other_recipient_is_typed_not_logged_as_other(
    qtbot: QtBot, ui_app: QApplication, signed_pdf: bytes, tmp_path: Path
) -> None:
    dialog = make(qtbot, signed_pdf, folder=str(tmp_path))
    dialog.recipient.setFocus()
    for _ in range(4):
        qtbot.keyClick(dialog.recipient, Qt.Key.Key_Down)
    assert dialog.recipient_text() == "Children's Social Care"
    qtbot.keyClick(dialog.recipient, Qt.Key.Key_Down)
    assert dialog.recipient.currentIndex() == dialog.recipient.findText(OTHER)
    # "Other…" alone names nobody: the box empties and asks for the name
    assert dialog.recipient.currentText() == "" and dialog.recipient_text() == ""
    line = dialog.recipient.lineEdit()
    assert line is not None and line.placeholderText().startswith("Type who receives it")
    assert not dialog.export_button.isEnabled() and "recipient" in dialog.hint.text()
    type_text(line, "Probation Service")
    assert dialog.recipient_text() == "Probation Service"


def test_a_pdf_the_preview_cannot_read_still_lets_the_export_go_ahead(
    qtbot: QtBot, ui_app: QApplication, tmp_path: Path, artifacts_dir: Path
) -> None:
    dialog = make(qtbot, b"%PDF-1.7 truncated", folder=str(tmp_path))
    assert dialog.preview.page_count() == 0
    assert "preview cannot be shown" in dialog.preview.page_count_label.text()
    shot(dialog, artifacts_dir, "export_dialog_unreadable_preview")
    line = dialog.recipient.lineEdit()
    assert line is not None
    type_text(line, "CPS")
    dialog.justification.setFocus()
    type_text(dialog.justification, "Charging file")
    assert dialog.export_button.isEnabled()


def test_the_review_screen_offers_export_once_submitted(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record_id = seed_record(db_path)
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    screen = window.qa_hooks.open_review(record_id)  # type: ignore[attr-defined]
    assert isinstance(screen, ReviewScreen)
    hooks = window.export_hooks  # type: ignore[attr-defined]
    assert isinstance(hooks, ExportHooks)
    button = hooks.export_button(screen)
    assert button is not None and button.isVisible()
    close_app(window)
