"""Issue 20, items 1 and 2: File ▸ Sign out hands the PC to the next user (the sign-in window again,
nothing of the previous user left), and Enter in the submit/approve password box signs when ready or
shows what is missing — it never closes the dialog silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form_text
from dsvdesk.ui import app as app_module
from dsvdesk.ui.dialogs.submit import SubmitDialog
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QApplication, QLabel, QLineEdit, QPlainTextEdit, Qt
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.review.dialogs import ApproveDialog, ApproveRequest
from dsvdesk.ui.state import UiState
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, type_text
from tests.unit.qa.forms import QA_FORM

VICTIM = "Zofia Kowalczyk"


def _texts_on_screen() -> list[str]:
    texts: list[str] = []
    for widget in QApplication.allWidgets():
        if isinstance(widget, QLineEdit | QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            texts.append(widget.toPlainText())
        texts.append(widget.windowTitle())
    return texts


@pytest.mark.usefixtures("ui_app", "forms_dir")
def test_sign_out_returns_to_the_sign_in_window_with_nothing_of_the_previous_user(
    qtbot: QtBot, db_path: Path, tmp_path: Path
) -> None:
    asked: list[dict[str, Any]] = []

    def sign_in(gate: Any, **kwargs: Any) -> Any:
        asked.append(kwargs)
        if len(asked) == 1:
            return gate.login("officer1", OFFICER_PASSWORD)
        if len(asked) == 2:
            return gate.login("super1", SUPERVISOR_PASSWORD)
        return None

    seen: list[str] = []

    def event_loop() -> int:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        assert len(windows) == 1, "exactly one main window per signed-in user"
        window = windows[0]
        seen.append(window.context.session.user.username)
        if len(seen) == 1:
            spec = window.forms[0]
            view = window.new_record(spec)
            assert isinstance(view, RecordView)
            line = view.wizard.block("victim_name").focus_target()
            type_text(line, VICTIM)
            QApplication.clipboard().setText(VICTIM)
            sign_out = next(a for a in window.menus["file"].actions() if a.text() == "Sign &out")
            sign_out.trigger()  # saves, closes the window; the loop then shows the sign-in window
            assert not window.isVisible()
        else:
            assert not any(VICTIM in text for text in _texts_on_screen())
            window.close()  # the supervisor quits: no sign-in window follows
        return 0

    code = app_module.run_sessions(
        db_path, ui_state=UiState(tmp_path / "state.ini"), sign_in_fn=sign_in, exec_fn=event_loop
    )
    assert code == 0
    assert seen == ["officer1", "super1"]
    assert [kw["after_sign_out"] for kw in asked] == [False, True]  # asked again after the sign-out only
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    assert QApplication.clipboard().text() == ""
    assert not any(VICTIM in text for text in _texts_on_screen())
    # what was typed before signing out was saved, not lost
    from dsvdesk.store import Store

    with Store.open(db_path) as store:
        session = store.login("officer1", OFFICER_PASSWORD)
        rows = store.list_records(session)
        assert [row.victim_name for row in rows] == [VICTIM]


def test_the_sign_in_window_after_a_sign_out_does_not_name_the_last_user(
    qtbot: QtBot, ui_app: QApplication, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsvdesk.store.gate import StationGate
    from dsvdesk.ui.dialogs.login import LoginDialog

    state = UiState(tmp_path / "state.ini")
    state.set_last_username("officer1")
    names: list[str] = []
    monkeypatch.setattr(
        LoginDialog, "ask", classmethod(lambda cls, parent, gate, **kw: names.append(kw["username"]))
    )
    gate = StationGate.open(db_path)
    try:
        app_module.sign_in(gate, demo=False, ui_state=state, db_path=db_path)
        app_module.sign_in(gate, demo=False, ui_state=state, db_path=db_path, after_sign_out=True)
    finally:
        gate.close()
    assert names == ["officer1", ""]


def test_enter_in_the_submit_password_box_signs_when_ready_and_explains_when_not(
    qtbot: QtBot, ui_app: QApplication
) -> None:
    dialog = SubmitDialog(None, declaration="", full_name="Olga Officer")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.password.setFocus()
    type_text(dialog.password, "secret")
    with qtbot.assertNotEmitted(dialog.finished):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # declaration not ticked: says so, stays open
    assert dialog.isVisible()
    assert dialog.error_label.isVisible() and dialog.error_label.text() == "Tick the declaration to submit."
    dialog.agree.setChecked(True)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.password.text() == "secret"


def test_enter_in_the_approve_password_box_approves_when_ready_and_lists_the_problems_when_not(
    qtbot: QtBot, ui_app: QApplication
) -> None:
    from dsvdesk.workflow import review_question

    spec = load_form_text(QA_FORM, "qa.yaml")
    problems: list[str] = ["Has the supervisor checked the DASH answers? An answer is needed."]
    dialog = ApproveDialog(
        None,
        grade_question=review_question(spec, "grade"),
        officer_grade="High",
        grade=None,
        rationale="",
        check=lambda grade, rationale: list(problems),
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.password.setFocus()
    type_text(dialog.password, SUPERVISOR_PASSWORD)
    with qtbot.assertNotEmitted(dialog.finished):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "checked the DASH answers" in dialog.problems_text()
    problems.clear()
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert isinstance(dialog.value(), ApproveRequest) and dialog.value().password == SUPERVISOR_PASSWORD
