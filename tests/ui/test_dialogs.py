"""Sign-in, first run, justification and submit dialogs, driven as a user would."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from dsvdesk.store import AccountLocked, AuthenticationFailed, Store, keys
from dsvdesk.ui import messages
from dsvdesk.ui.dialogs.first_run import FirstRunDialog
from dsvdesk.ui.dialogs.justification import JustificationDialog
from dsvdesk.ui.dialogs.login import LoginDialog
from dsvdesk.ui.dialogs.submit import ProblemsDialog, SubmitDialog
from dsvdesk.ui.marking import MarkingBanner
from dsvdesk.ui.qt import QApplication, QDialog, Qt
from tests.ui.conftest import OFFICER_PASSWORD, shot, type_text


def _has_marking(dialog: QDialog) -> bool:
    return any(b.text() == "OFFICIAL-SENSITIVE" for b in dialog.findChildren(MarkingBanner))


def test_login_wrong_password_then_right(
    qtbot: QtBot, ui_app: QApplication, store: Store, artifacts_dir: Path
) -> None:
    dialog = LoginDialog(None, store, station="Test Police Station")
    qtbot.addWidget(dialog)
    dialog.show()
    assert _has_marking(dialog)
    type_text(dialog.username, "officer1")
    type_text(dialog.password, "wrong-password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.session is None
    assert dialog.error_label.isVisible()
    assert "password" in dialog.error_label.text().lower()
    assert dialog.password.text() == ""  # cleared for the next try
    shot(dialog, artifacts_dir, "dialog_login_wrong_password")
    type_text(dialog.password, OFFICER_PASSWORD)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.session is not None
    assert dialog.session.user.username == "officer1"


def test_login_locked_account_says_so(qtbot: QtBot, ui_app: QApplication, store: Store) -> None:
    for _ in range(5):
        with contextlib.suppress(AuthenticationFailed, AccountLocked):
            store.login("officer2", "nope-nope-nope")
    dialog = LoginDialog(None, store)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(dialog.username, "officer2")
    type_text(dialog.password, OFFICER_PASSWORD)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.session is None
    assert "locked" in dialog.error_label.text().lower()


def test_demo_accounts_only_when_asked(
    qtbot: QtBot, ui_app: QApplication, store: Store, artifacts_dir: Path
) -> None:
    plain = LoginDialog(None, store)
    qtbot.addWidget(plain)
    assert "Demo" not in " ".join(label.text() for label in plain.findChildren(type(plain.error_label)))
    demo = LoginDialog(
        None, store, demo_accounts=[("officer1", "pw-one", "officer"), ("super1", "pw-two", "supervisor")]
    )
    qtbot.addWidget(demo)
    demo.show()
    texts = " ".join(label.text() for label in demo.findChildren(type(demo.error_label)))
    assert "officer1" in texts and "pw-two" in texts
    shot(demo, artifacts_dir, "dialog_login_demo")


def test_first_run_creates_station_and_signs_in(
    qtbot: QtBot, ui_app: QApplication, tmp_path: Path, artifacts_dir: Path
) -> None:
    with Store.open(tmp_path / "new.sqlite3", create=True) as store:
        assert not store.is_initialised()
        dialog = FirstRunDialog(None, store, db_label="new.sqlite3")
        qtbot.addWidget(dialog)
        dialog.show()
        assert _has_marking(dialog)
        type_text(dialog.station, "Llanelli Police Station")
        type_text(dialog.username, "admin")
        type_text(dialog.full_name, "Siân Llŷr")
        type_text(dialog.password, "a-good-long-password")
        type_text(dialog.repeat, "a-different-password")
        qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
        assert dialog.session is None
        assert "not the same" in dialog.error_label.text()
        shot(dialog, artifacts_dir, "dialog_first_run")
        type_text(dialog.repeat, "a-good-long-password")
        with qtbot.waitSignal(dialog.accepted):
            qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
        assert dialog.session is not None
        assert store.is_initialised()
        assert dialog.session.user.full_name == "Siân Llŷr"
        shown = [m for m in messages.shown() if m.title == "The station's recovery key"]
        assert shown and dialog.recovery_key and dialog.recovery_key in shown[-1].text
        keyfile = keys.KeyFile.load(tmp_path / "new.sqlite3")
        assert keyfile is not None and keyfile.unwrap_recovery(dialog.recovery_key) is not None


def test_justification_needs_a_real_reason(qtbot: QtBot, ui_app: QApplication, artifacts_dir: Path) -> None:
    dialog = JustificationDialog(None, "The record for Anna Kowalska", "Olga Officer")
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(dialog.reason, "qa")
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error_label.isVisible()
    type_text(dialog.reason, " check of the DASH grade")
    shot(dialog, artifacts_dir, "dialog_justification")
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert dialog.value() == "qa check of the DASH grade"


def test_submit_dialog_needs_declaration_and_password_and_enter_submits_when_ready(
    qtbot: QtBot, ui_app: QApplication, artifacts_dir: Path
) -> None:
    dialog = SubmitDialog(None, declaration="", full_name="Olga Officer")
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(dialog.password, "secret")
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "Tick the declaration to submit."
    dialog.agree.setChecked(True)
    shot(dialog, artifacts_dir, "dialog_submit")
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert dialog.password.text() == "secret"

    again = SubmitDialog(None, declaration="", full_name="Olga Officer")
    qtbot.addWidget(again)
    again.show()
    again.agree.setChecked(True)
    type_text(again.password, "secret")
    with qtbot.waitSignal(again.accepted):
        qtbot.keyClick(again.password, Qt.Key.Key_Return)  # ready: Enter signs (issue 20)


class _Finding:
    def __init__(self, question_id: str, page_id: str, message: str) -> None:
        self.question_id = question_id
        self.page_id = page_id
        self.message = message
        self.item_index: Any = None


def test_problems_dialog_enter_chooses_a_finding(
    qtbot: QtBot, ui_app: QApplication, artifacts_dir: Path
) -> None:
    findings = [
        _Finding("victim_name", "details", "Enter the victim's name."),
        _Finding("grade", "checklist", "Choose a grade."),
    ]
    dialog = ProblemsDialog(None, findings, {"details": "Incident details", "checklist": "Risk checklist"})
    qtbot.addWidget(dialog)
    dialog.show()
    shot(dialog, artifacts_dir, "dialog_problems")
    qtbot.keyClick(dialog.list, Qt.Key.Key_Down)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    assert dialog.chosen is findings[1]


def test_demo_accounts_come_from_a_demo_database_only(
    ui_app: QApplication, db_path: Path, tmp_path: Path
) -> None:
    from dsvdesk.demo import DEMO_ACCOUNTS, record_demo_accounts
    from dsvdesk.ui.app import demo_accounts

    assert demo_accounts(db_path) == []  # a real station: nothing to show, even with --demo
    record_demo_accounts(db_path, DEMO_ACCOUNTS)
    shown = demo_accounts(db_path)
    assert ("pc1234", "demo-officer-1", "officer") in shown
