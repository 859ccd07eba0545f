"""Background operations and the one message module."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.errors import UserFacingError
from dsvdesk.ui import messages
from dsvdesk.ui.marking import MarkingBanner, current_marking, set_current_marking
from dsvdesk.ui.ops import Op, wait_all
from dsvdesk.ui.qt import QApplication, QWidget


def test_op_runs_off_the_ui_thread_and_reports_back_on_it(qtbot: QtBot, ui_app: QApplication) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: dict[str, object] = {}

    def work() -> int:
        seen["worker"] = threading.current_thread() is threading.main_thread()
        return 42

    def done(result: int) -> None:
        seen["result"] = result
        seen["callback_on_main"] = threading.current_thread() is threading.main_thread()

    op = Op(parent, work).success(done).run()
    qtbot.waitUntil(lambda: op.done, timeout=5000)
    assert seen == {"worker": False, "result": 42, "callback_on_main": True}


def test_op_user_facing_failure_is_shown_as_it_is(qtbot: QtBot, ui_app: QApplication) -> None:
    def work() -> None:
        raise UserFacingError("The password is not right; nothing was signed.")

    op = Op(None, work).run()
    qtbot.waitUntil(lambda: op.done, timeout=5000)
    assert messages.shown()[-1].text == "The password is not right; nothing was signed."


def test_op_bug_is_logged_and_shown_calmly(
    qtbot: QtBot, ui_app: QApplication, caplog: pytest.LogCaptureFixture
) -> None:
    def work() -> None:
        raise KeyError("internal")

    with caplog.at_level(logging.ERROR, logger="dsvdesk.ui"):
        op = Op(None, work).run()
        qtbot.waitUntil(lambda: op.done, timeout=5000)
    assert messages.shown()[-1].title == "Something went wrong"
    assert "background task failed" in caplog.text
    assert wait_all(1000)


def test_op_failure_callback_can_take_over(qtbot: QtBot, ui_app: QApplication) -> None:
    handled: list[BaseException] = []

    def work() -> None:
        raise UserFacingError("nope")

    def failure(exc: BaseException) -> bool:
        handled.append(exc)
        return True

    op = Op(None, work).failure(failure).run()
    qtbot.waitUntil(lambda: op.done, timeout=5000)
    assert len(handled) == 1
    assert messages.shown() == []


def test_log_only_messages_and_confirm_reply(ui_app: QApplication, caplog: pytest.LogCaptureFixture) -> None:
    messages.set_log_only(True, confirm_reply=False)
    with caplog.at_level(logging.INFO, logger="dsvdesk.ui"):
        messages.error(None, "Title", "Text")
        assert messages.confirm(None, "Close?", "Lose changes?") is False
    assert [m.kind for m in messages.shown()] == ["error", "confirm"]
    assert "Lose changes?" in caplog.text


def test_marking_changes_everywhere(qtbot: QtBot, ui_app: QApplication) -> None:
    banner = MarkingBanner()
    qtbot.addWidget(banner)
    try:
        set_current_marking("OFFICIAL-SENSITIVE [PERSONAL]")
        assert banner.text() == "OFFICIAL-SENSITIVE [PERSONAL]"
        assert current_marking() == "OFFICIAL-SENSITIVE [PERSONAL]"
        set_current_marking("   ")
        assert banner.text() == "OFFICIAL-SENSITIVE"  # never blank
    finally:
        set_current_marking("OFFICIAL-SENSITIVE")


def test_fonts_are_registered_from_the_bundle(ui_app: QApplication) -> None:
    from dsvdesk.paths import fonts_dir
    from dsvdesk.ui.app import register_fonts

    families = register_fonts(fonts_dir())
    assert "DejaVu Sans" in families
    assert QApplication.font().families()[0] == "DejaVu Sans"


def test_run_app_quits_cleanly_when_sign_in_is_cancelled(
    ui_app: QApplication, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsvdesk.ui import app as app_module
    from dsvdesk.ui.dialogs.login import LoginDialog

    monkeypatch.setattr(LoginDialog, "ask", classmethod(lambda cls, parent, store, **kw: None))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_app installs its own; put it back after
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    assert app_module.run_app(db_path, demo=True) == 0


def test_real_message_box_carries_the_marking(
    qtbot: QtBot, ui_app: QApplication, artifacts_dir: Path
) -> None:
    from dsvdesk.ui.qt import QMessageBox, QTimer
    from tests.ui.conftest import shot

    seen: list[str] = []

    def look_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.windowTitle())
        seen.append(box.informativeText())
        shot(box, artifacts_dir, "message_unexpected_error")
        box.done(0)

    messages.set_log_only(False)
    QTimer.singleShot(50, look_and_close)
    messages.unexpected(None, what="saving the form")
    messages.set_log_only(True)
    assert seen == ["Something went wrong — OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"]
