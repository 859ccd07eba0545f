"""Issue 20, "done when": the officer → supervisor → board journey by keyboard only, in a 1366x768
window. The officer starts a form from the home tab, types and answers with Tab, arrows, Space and
Ctrl+PgDn, submits with Alt+U and Enter in the password box, and signs out; the sergeant lands on the
queue, opens the record with Enter, answers the review with the keyboard, approves with Alt+A and Enter
in the password box; then opens Board reports with Alt+B, starts a report and is told, in the board's
words, what stops its export, fills it in (header, an author, "nothing to report" on each question page)
and exports the signed board pack with Alt+X, choosing the folder and typing the password in the export
dialog. No mouse click anywhere."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.store import Store
from dsvdesk.ui import app as app_module
from dsvdesk.ui import messages
from dsvdesk.ui.board.dialogs import PackExportDialog
from dsvdesk.ui.dialogs.submit import ProblemsDialog, SubmitDialog
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QApplication, Qt, QWidget
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.review import ApproveDialog, ReviewScreen
from dsvdesk.ui.state import UiState
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot, type_text
from tests.unit.qa.forms import QA_FORM

ROOT = Path(__file__).resolve().parents[3]
SIZE = (1366, 698)  # 1366x768 less the taskbar and the title bar


@pytest.fixture
def journey_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    # Part A counts the real 124D here (the QA form stands in for it in the lists only)
    (folder / "qa.yaml").write_text(
        QA_FORM.replace("part_a_source: true", "part_a_source: false"), encoding="utf-8"
    )
    shutil.copyfile(ROOT / "forms" / "dsvb_report.yaml", folder / "dsvb_report.yaml")
    shutil.copyfile(ROOT / "forms" / "124d.yaml", folder / "124d.yaml")  # the form Part A counts
    monkeypatch.setenv("DSVDESK_FORMS", str(folder))
    return folder


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def key(qtbot: QtBot, which: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(focused(), which, modifier)


def tab_until(qtbot: QtBot, wanted: QWidget, *, limit: int = 40) -> None:
    for _ in range(limit):
        if focused() is wanted:
            return
        key(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {wanted.accessibleName() or type(wanted).__name__}")


def ready(qtbot: QtBot, window: QWidget) -> None:
    """The window shown at the station size and active (a closed dialog hands the keyboard back)."""
    window.resize(*SIZE)
    qtbot.waitExposed(window)
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # keys and shortcuts go to the active window


@pytest.mark.usefixtures("ui_app", "journey_forms")
def test_officer_supervisor_and_board_by_keyboard_only(
    qtbot: QtBot, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    users = iter([("officer1", OFFICER_PASSWORD), ("super1", SUPERVISOR_PASSWORD)])

    def sign_in(gate: Any, **_kw: Any) -> Any:
        user = next(users, None)
        return gate.login(*user) if user else None

    # the modal dialogs are driven by keys from inside their ask(), as a user would answer them
    def submit_ask(cls: Any, parent: Any, **kwargs: Any) -> Any:
        dialog = cls(parent, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.raise_()
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        assert focused() is dialog.agree
        key(qtbot, Qt.Key.Key_Space)  # tick the declaration
        key(qtbot, Qt.Key.Key_Tab)
        tab_until(qtbot, dialog.password)
        type_text(dialog.password, OFFICER_PASSWORD)
        key(qtbot, Qt.Key.Key_Return)  # ready: Enter signs
        assert dialog.result() == SubmitDialog.DialogCode.Accepted
        return dialog.password.text()

    def approve_ask(cls: Any, parent: Any, **kwargs: Any) -> Any:
        dialog = cls(parent, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.raise_()
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        assert focused() is dialog.grade and dialog.grade.currentText().startswith(
            "Confirm the officer's grade"
        )
        tab_until(qtbot, dialog.password)
        type_text(dialog.password, SUPERVISOR_PASSWORD)
        shot(dialog, artifacts_dir, "ux_journey_approve")
        key(qtbot, Qt.Key.Key_Return)
        assert dialog.result() == ApproveDialog.DialogCode.Accepted, dialog.problems_text()
        return dialog.value()

    blocked: list[str] = []

    def problems_ask(cls: Any, parent: Any, findings: Any, titles: Any, **kwargs: Any) -> Any:
        dialog = cls(parent, findings, titles, **kwargs)
        qtbot.addWidget(dialog)
        blocked.append(dialog.windowTitle())
        return None

    packs = tmp_path / "packs"
    packs.mkdir()
    exported: list[Path] = []
    exported_asked: list[bool] = []

    def pack_ask(cls: Any, parent: Any, **kwargs: Any) -> Any:
        dialog = cls(parent, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        assert focused() is dialog.password
        key(qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)  # &Folder
        assert focused() is dialog.folder
        key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        type_text(focused(), str(packs))
        key(qtbot, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)  # &Password
        type_text(focused(), SUPERVISOR_PASSWORD)
        key(qtbot, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)  # &Export and sign (an animated click)
        qtbot.waitUntil(lambda: dialog.result() == PackExportDialog.DialogCode.Accepted)
        exported_asked.append(True)
        return dialog.request()

    def fill_the_report(wizard: Any) -> None:
        """The header typed in, an author added, then each question page marked "nothing to report" with a
        reason, page by page with Ctrl+PgDn: all by keyboard."""
        spec = wizard.spec
        wizard.go_to_page(wizard.visible_page_ids()[0])
        wizard.setFocus()
        for question_id, text in (
            ("borough", "Islington"),
            ("report_number", "DSVB/2026/03"),
            ("meeting_date", "01/04/2026"),
            ("period_from", "01/01/2026"),
            ("period_to", "31/12/2026"),
        ):
            tab_until(qtbot, wizard.block(question_id).focus_target())
            type_text(focused(), text)
        tab_until(qtbot, wizard.block("authors").focus_target())  # "Add author"
        key(qtbot, Qt.Key.Key_Space)
        qtbot.waitUntil(wizard.block("authors").editor.item_box(0).isVisible)  # shown at the next turn
        for field_id, text in (("rank", "DI"), ("name", "Dana Keyboard"), ("unit", "CSU")):
            row = wizard.block("authors").editor.item_box(0)
            tab_until(qtbot, row.editors[field_id].focus_target())
            type_text(focused(), text)
        tab_until(qtbot, wizard.block("numbering_style").focus_target())
        key(qtbot, Qt.Key.Key_Space)
        while wizard.current_page_id != wizard.visible_page_ids()[-1]:
            key(qtbot, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
            page = next(p for p in spec.pages if p.id == wizard.current_page_id)
            nothing = [q for q in page.questions if q.tag_value("board") == "nothing_to_report"]
            reason = [q for q in page.questions if q.tag_value("board") == "nothing_reason"]
            if nothing and reason:
                tab_until(qtbot, wizard.block(nothing[0].id).focus_target())
                key(qtbot, Qt.Key.Key_Space)  # Yes
                tab_until(qtbot, wizard.block(reason[0].id).focus_target())
                type_text(focused(), "Nothing new this period.")
        assert wizard.evaluation.can_submit, [f.message for f in wizard.evaluation.errors]
        qtbot.waitUntil(lambda: not wizard.autosaver.pending, timeout=5000)

    monkeypatch.setattr(PackExportDialog, "ask", classmethod(pack_ask))
    monkeypatch.setattr(SubmitDialog, "ask", classmethod(submit_ask))
    monkeypatch.setattr(ApproveDialog, "ask", classmethod(approve_ask))
    monkeypatch.setattr(ProblemsDialog, "ask", classmethod(problems_ask))
    record: dict[str, str] = {}

    def officer(window: MainWindow) -> None:
        ready(qtbot, window)
        assert window.home is not None
        window.home.search.setFocus()  # where the keyboard starts on the home tab
        tab_until(qtbot, window.home.new_buttons["qa"])
        key(qtbot, Qt.Key.Key_Space)
        view = window.tabs.currentWidget()
        assert isinstance(view, RecordView)
        record["id"] = view.record_id
        wizard = view.wizard
        assert focused() is wizard.block("victim_name").focus_target()
        type_text(focused(), "Nadia Keyboard")
        key(qtbot, Qt.Key.Key_Tab)
        type_text(focused(), "01/03/2026")
        key(qtbot, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)  # to the risk page
        assert wizard.current_page_id == "risk"
        key(qtbot, Qt.Key.Key_Space)  # Q1 Yes
        for question_id in ("dash_q2", "dash_q3"):  # Tab on to the group (past Q1's comment), arrow = No
            tab_until(qtbot, wizard.block(question_id).focus_target())
            key(qtbot, Qt.Key.Key_Right)
        assert wizard.answers().get("dash_q1") == "yes"
        tab_until(qtbot, wizard.block("officer_grade").focus_target())  # first choice, then arrow down
        key(qtbot, Qt.Key.Key_Space)
        key(qtbot, Qt.Key.Key_Down)
        assert wizard.answers()["officer_grade"] == "medium"
        assert wizard.answers()["dash_q2"] == "no" and wizard.answers()["dash_q3"] == "no"
        shot(window, artifacts_dir, "ux_journey_officer")
        key(qtbot, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # S&ubmit…
        qtbot.waitUntil(lambda: str(view.record.status) == "submitted", timeout=30_000)
        ready(qtbot, window)
        sign_out = next(a for a in window.menus["file"].actions() if a.text() == "Sign &out")
        assert sign_out.shortcut().toString() == "Ctrl+Shift+L"
        key(qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(lambda: not window.isVisible())

    def supervisor(window: MainWindow) -> None:
        ready(qtbot, window)
        queue = window.qa_hooks.queue  # type: ignore[attr-defined]
        assert window.tabs.currentWidget() is queue  # lands on the queue
        queue.table.setFocus()  # the queue's list has the keyboard when shown
        key(qtbot, Qt.Key.Key_Down)
        key(qtbot, Qt.Key.Key_Return)
        screen = window.tabs.currentWidget()
        assert isinstance(screen, ReviewScreen) and screen.record_id == record["id"]
        assert "Nadia Keyboard" in window.tabs.tabText(window.tabs.currentIndex())
        wizard = screen.wizard
        wizard.setFocus()
        while wizard.current_page_id != "supervisor":
            key(qtbot, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
        tab_until(qtbot, wizard.block("qa_checked").focus_target())
        key(qtbot, Qt.Key.Key_Space)
        assert wizard.answers()["qa_checked"] == "yes"
        qtbot.waitUntil(lambda: not wizard.autosaver.pending, timeout=5000)  # type: ignore[union-attr]
        key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # &Approve…
        qtbot.waitUntil(lambda: screen.last_urn is not None, timeout=30_000)
        assert screen.last_urn is not None and screen.last_urn in window.tabs.tabText(
            window.tabs.indexOf(screen)
        )
        ready(qtbot, window)
        screen.wizard.setFocus()
        # the Board: Alt+B to its tab, the New button by its mnemonic, then Alt+X asks for the export
        key(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
        board = window.board_hooks.tab  # type: ignore[attr-defined]
        qtbot.waitUntil(lambda: window.tabs.currentWidget() is board)
        button = next(iter(board.new_buttons.values()))
        letter = button.text()[button.text().index("&") + 1]
        key(qtbot, getattr(Qt.Key, f"Key_{letter.upper()}"), Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: window.tabs.currentWidget() is not board)
        report = window.tabs.currentWidget()
        shot(window, artifacts_dir, "ux_journey_board")
        report.wizard.setFocus()  # type: ignore[attr-defined]
        key(qtbot, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)  # E&xport board pack…
        qtbot.waitUntil(lambda: bool(blocked))
        assert blocked == ["Not ready to export — DSVDesk"]
        fill_the_report(report.wizard)  # type: ignore[attr-defined]
        shot(window, artifacts_dir, "ux_journey_board_filled")
        key(qtbot, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)  # E&xport board pack… now it is ready
        qtbot.waitUntil(  # the pack written, or the export over without one (then the outcome is None)
            lambda: report.last_outcome is not None or (bool(exported_asked) and not report.exporting),  # type: ignore[attr-defined]
            timeout=300_000,
        )
        outcome = report.last_outcome  # type: ignore[attr-defined]
        assert outcome is not None, [m.text for m in messages.shown()]
        assert outcome.verification.ok, outcome.verification.lines()
        exported.append(outcome.result.zip_path)
        window.close()

    steps = iter([officer, supervisor])

    def event_loop() -> int:
        window = next(
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        )
        next(steps)(window)
        return 0

    code = app_module.run_sessions(
        db_path, ui_state=UiState(tmp_path / "state.ini"), sign_in_fn=sign_in, exec_fn=event_loop
    )
    assert code == 0
    with Store.open(db_path) as store:
        session = store.login("super1", SUPERVISOR_PASSWORD)
        approved = store.open_record(session, record["id"], justification="Checking the journey test")
    assert str(approved.status) == "approved" and approved.urn
    assert approved.answers["officer_grade"] == "medium" and approved.answers["supervisor_grade"] == "medium"
    # the board pack was written, signed and checked; its name ends in the date, not an underscore
    assert len(exported) == 1 and exported[0].is_file() and exported[0].parent == packs
    assert re.fullmatch(r"board_pack_reportDSVB_2026_03_Islington_\d{8}", exported[0].stem), exported[0].stem
