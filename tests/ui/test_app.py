"""The app end to end, as an officer and a supervisor would use it: sign in, home list, new record,
fill by keyboard and mouse, close half-way, reopen, fix the completeness errors, submit; the lock;
another officer's record; calm handling of unexpected errors."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.store import Store
from dsvdesk.ui import app as app_module
from dsvdesk.ui import messages
from dsvdesk.ui.dialogs.justification import JustificationDialog
from dsvdesk.ui.dialogs.login import LoginDialog
from dsvdesk.ui.dialogs.submit import ProblemsDialog, SubmitDialog
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.marking import MarkingBanner
from dsvdesk.ui.models.records import RecordQuery
from dsvdesk.ui.qt import QApplication, QPoint, QRadioButton, Qt
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.wizard.editors import RepeatEditor, YesNoEditor
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot, type_text
from tests.ui.forms import ALL_TYPES_FORM


@pytest.fixture
def forms_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "uitest.yaml").write_text(ALL_TYPES_FORM, encoding="utf-8")
    monkeypatch.setenv("DSVDESK_FORMS", str(folder))
    return folder


def sign_in_as(monkeypatch: pytest.MonkeyPatch, username: str, password: str) -> None:
    """The login dialog is tested on its own; here its ask() answers as the user would."""

    def ask(cls: type[LoginDialog], parent: Any, store: Store, **_kw: Any) -> Any:
        return store.login(username, password)

    monkeypatch.setattr(LoginDialog, "ask", classmethod(ask))


def open_app(qtbot: QtBot, db_path: Path) -> MainWindow:
    window = app_module.start(db_path)
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    return window


def close_app(window: MainWindow) -> None:
    assert window.close()
    window.context.store.close()


def click_radio(qtbot: QtBot, radio: QRadioButton) -> None:
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(6, radio.height() // 2))


def current_record(window: MainWindow) -> RecordView:
    view = window.tabs.currentWidget()
    assert isinstance(view, RecordView)
    return view


def wait_saved(qtbot: QtBot, view: RecordView) -> None:
    assert view.wizard.autosaver is not None
    qtbot.waitUntil(lambda: not view.wizard.autosaver.pending, timeout=3000)  # type: ignore[union-attr]


@pytest.mark.usefixtures("ui_app", "forms_dir")
def test_officer_end_to_end(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    sign_in_as(monkeypatch, "officer1", OFFICER_PASSWORD)
    window = open_app(qtbot, db_path)
    assert window.home is not None
    assert [b.text() for b in window.home.new_buttons.values()] == ["New 77X"]
    assert all(b.text() == "OFFICIAL-SENSITIVE" for b in window.findChildren(MarkingBanner))
    shot(window, artifacts_dir, "app_home_empty")

    # New record, first page by keyboard (a Polish name, typed as text events).
    qtbot.mouseClick(window.home.new_buttons["uitest"], Qt.MouseButton.LeftButton)
    view = current_record(window)
    wizard = view.wizard
    name = wizard.block("victim_name").editor.line  # type: ignore[union-attr]
    assert QApplication.focusWidget() is name
    type_text(name, "Małgorzata Wiśniewska")
    qtbot.keyClick(name, Qt.Key.Key_Tab)
    type_text(QApplication.focusWidget(), "03/11/2025")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    type_text(QApplication.focusWidget(), "21:30")
    wait_saved(qtbot, view)
    assert window.tabs.tabText(window.tabs.currentIndex()) == "77X — Małgorzata Wiśniewska"
    assert window.statusBar().currentMessage().startswith("Saved ")

    # Second page by mouse: a conditional question appears.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert wizard.current_page_id == "people"
    has_children = wizard.block("has_children").editor
    assert isinstance(has_children, YesNoEditor)
    assert not wizard.block("children").isVisible()
    click_radio(qtbot, has_children.radios["yes"])
    assert wizard.block("children").isVisible()
    children = wizard.block("children").editor
    assert isinstance(children, RepeatEditor)
    qtbot.mouseClick(children.add_button, Qt.MouseButton.LeftButton)
    type_text(children.item_box(0).editors["name"].focus_target(), "Zofia")

    # Third page: DASH-style answers; the conditional page appears.
    wizard.next_page()
    for qid, answer in (("q1", "yes"), ("q2", "yes"), ("q3", "no")):
        editor = wizard.block(qid).editor
        assert isinstance(editor, YesNoEditor)
        click_radio(qtbot, editor.radios[answer])
    assert "stalking" in wizard.visible_page_ids()
    wait_saved(qtbot, view)
    shot(window, artifacts_dir, "app_record_half_done")
    record_id = view.record_id
    close_app(window)  # half-way: closed without submitting

    # Reopen: the list shows the record; it opens on the page left, exactly as saved.
    window = open_app(qtbot, db_path)
    assert window.home is not None
    model = window.home.model
    assert model.rowCount() == 1
    assert model.data(model.index(0, 0)) == "Małgorzata Wiśniewska"
    assert model.data(model.index(0, 5)) == "2"  # yes-count column from the store
    shot(window, artifacts_dir, "app_home_one_record")
    table = window.home.table
    table.setFocus()
    table.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    view = current_record(window)
    wizard = view.wizard
    assert view.record_id == record_id
    assert wizard.current_page_id == "checklist"
    assert wizard.block("q1").editor.value() == "yes"  # type: ignore[union-attr]
    assert wizard.block("victim_name").editor.value() == "Małgorzata Wiśniewska"  # type: ignore[union-attr]
    assert wizard.block("incident_time").editor.value() == "21:30"  # type: ignore[union-attr]
    assert wizard.block("children").editor.value() == [{"name": "Zofia"}]  # type: ignore[union-attr]

    # Submit: completeness errors are listed; choosing one jumps to its question.
    listed: list[list[str]] = []

    def choose_first(cls: Any, parent: Any, findings: Any, titles: Any) -> Any:
        listed.append([f.message for f in findings])
        return next(f for f in findings if f.question_id == "grade")

    monkeypatch.setattr(ProblemsDialog, "ask", classmethod(choose_first))
    qtbot.mouseClick(view.submit_button, Qt.MouseButton.LeftButton)
    assert listed and any("Stalking" in m or "followed" in m for m in listed[0])
    grade = wizard.block("grade").editor
    assert grade.isAncestorOf(QApplication.focusWidget())  # type: ignore[union-attr]
    click_radio(qtbot, grade.radios["medium"])  # type: ignore[union-attr]
    wizard.next_page()
    assert wizard.current_page_id == "stalking"
    click_radio(qtbot, wizard.block("s1").editor.radios["no"])  # type: ignore[union-attr]
    wait_saved(qtbot, view)

    # No errors left: declaration + password, signed off the UI thread, then read-only.
    monkeypatch.setattr(SubmitDialog, "ask", classmethod(lambda cls, parent, **kw: OFFICER_PASSWORD))
    listed.clear()
    qtbot.mouseClick(view.submit_button, Qt.MouseButton.LeftButton)
    assert listed == []
    qtbot.waitUntil(lambda: wizard.read_only, timeout=30_000)
    assert not view.submit_button.isVisible()
    assert "Submitted" in view.banner.text()
    shot(window, artifacts_dir, "app_record_submitted")
    assert window.context.store.open_record(window.context.session, record_id).status == "submitted"
    assert window.home.stale  # saved while the record tab was in front: re-queried when looked at
    window.tabs.setCurrentWidget(window.home)
    assert not window.home.stale
    assert window.home.model.data(window.home.model.index(0, 3)) == "Submitted"
    close_app(window)


@pytest.mark.usefixtures("ui_app", "forms_dir")
def test_supervisor_gives_a_reason_to_open_an_officers_record(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    from dsvdesk.engine.loader import load_form_text

    with Store.open(db_path) as store:
        officer = store.login("officer1", OFFICER_PASSWORD)
        ref = store.create_record(
            officer, load_form_text(ALL_TYPES_FORM, "uitest.yaml"), {"victim_name": "Anna Nowak"}
        )
    sign_in_as(monkeypatch, "super1", SUPERVISOR_PASSWORD)
    window = open_app(qtbot, db_path)
    asked: list[str] = []

    def give_reason(cls: Any, parent: Any, label: str, owner: str) -> str:
        asked.append(owner)
        return "Supervisor review of the grading"

    monkeypatch.setattr(JustificationDialog, "ask", classmethod(give_reason))
    rows = window.context.list_records(RecordQuery(mine_only=False), 0, 10)  # as the review queue lists them
    view = window.open_record(ref.id, rows[0])
    assert view is not None
    assert asked == ["Olga Officer"]
    assert view.wizard.read_only
    assert "supervisor" in view.wizard.visible_page_ids()  # reviewer section shown to supervisors
    assert "belongs to Olga Officer" in view.banner.text()
    shot(window, artifacts_dir, "app_supervisor_reads_record")

    monkeypatch.setattr(JustificationDialog, "ask", classmethod(lambda cls, parent, label, owner: None))
    window.close_tab(window.tabs.indexOf(view))
    assert window.open_record(ref.id) is None  # cancelled: nothing opened
    close_app(window)


@pytest.mark.usefixtures("ui_app", "forms_dir")
def test_idle_lock_keeps_typing_and_needs_the_password(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    sign_in_as(monkeypatch, "officer1", OFFICER_PASSWORD)
    window = open_app(qtbot, db_path)
    assert window.home is not None
    qtbot.mouseClick(window.home.new_buttons["uitest"], Qt.MouseButton.LeftButton)
    view = current_record(window)
    name = view.wizard.block("victim_name").editor.line  # type: ignore[union-attr]
    type_text(name, "Aisha Rahman عائشة")
    window.idle.set_minutes(0.002)  # about 120 ms for the test
    qtbot.waitUntil(lambda: window.locked, timeout=5000)
    assert window.stack.currentWidget() is window.lock_screen
    assert not view.has_unsaved()  # flushed before locking
    shot(window, artifacts_dir, "app_locked")
    type_text(window.lock_screen.password, "not-my-password")
    qtbot.keyClick(window.lock_screen.password, Qt.Key.Key_Return)
    assert window.locked
    assert window.lock_screen.error_label.isVisible()
    window.idle.set_minutes(10)
    type_text(window.lock_screen.password, OFFICER_PASSWORD)
    qtbot.keyClick(window.lock_screen.password, Qt.Key.Key_Return)
    assert not window.locked
    assert name.text() == "Aisha Rahman عائشة"
    close_app(window)


def test_window_remembers_its_size(
    qtbot: QtBot, ui_app: QApplication, db_path: Path, forms_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in_as(monkeypatch, "officer1", OFFICER_PASSWORD)
    window = open_app(qtbot, db_path)
    window.resize(777, 707)
    qtbot.waitUntil(lambda: window.width() == 777)
    close_app(window)
    window = open_app(qtbot, db_path)
    assert (window.width(), window.height()) == (777, 707)
    close_app(window)


def test_admin_sees_no_forms(
    qtbot: QtBot, ui_app: QApplication, db_path: Path, forms_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ui.conftest import ADMIN_PASSWORD

    sign_in_as(monkeypatch, "admin", ADMIN_PASSWORD)
    window = open_app(qtbot, db_path)
    assert window.home is None
    assert (
        window.tabs.tabText(0).replace("&", "") == "Administration"
    )  # the admin screen (tests/ui/test_admin.py)
    close_app(window)


def test_search_uses_the_store(
    qtbot: QtBot, ui_app: QApplication, db_path: Path, forms_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsvdesk.engine.loader import load_form_text

    spec = load_form_text(ALL_TYPES_FORM, "uitest.yaml")
    with Store.open(db_path) as store:
        officer = store.login("officer1", OFFICER_PASSWORD)
        for name in ("Anna Nowak", "Bronwen Pritchard", "Chen Wei"):
            store.create_record(officer, spec, {"victim_name": name})
    sign_in_as(monkeypatch, "officer1", OFFICER_PASSWORD)
    window = open_app(qtbot, db_path)
    home = window.home
    assert home is not None
    assert home.model.rowCount() == 3
    type_text(home.search, "Bronwen")
    qtbot.waitUntil(lambda: home.model.rowCount() == 1, timeout=2000)
    assert home.model.data(home.model.index(0, 0)) == "Bronwen Pritchard"
    assert home.count_label.text() == "1 form"
    close_app(window)


def test_unexpected_error_is_logged_without_data_and_shown_calmly(
    ui_app: QApplication, caplog: pytest.LogCaptureFixture
) -> None:
    app_module.install_exception_hook()
    try:
        secret = "Małgorzata Wiśniewska"
        error = RuntimeError("boom in a widget")
        with caplog.at_level(logging.ERROR, logger="dsvdesk.ui"):
            sys.excepthook(RuntimeError, error, None)
        shown = messages.shown()
        assert shown and shown[-1].title == "Something went wrong"
        assert "log file" in shown[-1].text
        assert "Everything saved so far is safe" in shown[-1].text
        assert secret not in caplog.text
        assert "boom in a widget" in caplog.text
    finally:
        sys.excepthook = sys.__excepthook__


def test_unusable_database_gives_a_clear_message(ui_app: QApplication, tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.sqlite3"
    not_a_db.write_text("these are my notes, not a database", encoding="utf-8")
    assert app_module.start(not_a_db) is None
    shown = messages.shown()
    assert shown and shown[-1].kind == "error"
    assert "notes.sqlite3" in shown[-1].text


def test_new_buttons_come_from_the_form_files() -> None:
    from dsvdesk.engine.loader import load_form_text
    from dsvdesk.ui.context import new_button_text, offered_forms

    record = load_form_text(ALL_TYPES_FORM, "uitest.yaml")
    report = load_form_text(
        ALL_TYPES_FORM.replace("id: uitest", "id: board")
        .replace("title: 77X Test Assessment", "title: Board report")
        .replace("marking: OFFICIAL-SENSITIVE", "marking: OFFICIAL-SENSITIVE\noptions:\n  kind: report"),
        "board.yaml",
    )
    named = load_form_text(
        ALL_TYPES_FORM.replace("id: uitest", "id: stalk")
        .replace("title: 77X Test Assessment", "title: Stalking screen")
        .replace(
            "marking: OFFICIAL-SENSITIVE", "marking: OFFICIAL-SENSITIVE\noptions:\n  new_label: New S-DASH"
        ),
        "stalk.yaml",
    )
    offered = offered_forms({"uitest": record, "board": report, "stalk": named})
    assert [s.id for s in offered] == ["uitest", "stalk"]
    assert [new_button_text(s) for s in offered] == ["New 77X", "New S-DASH"]


def _complete_answers() -> dict[str, Any]:
    return {
        "victim_name": "Anna Nowak",
        "incident_date": "2025-11-03",
        "has_children": "no",
        "q1": "yes",
        "q2": "no",
        "q3": "no",
        "grade": "standard",
    }


@pytest.mark.usefixtures("ui_app", "forms_dir")
def test_returned_record_shows_the_supervisors_comments_and_can_be_fixed(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    from dsvdesk import workflow
    from dsvdesk.engine.loader import load_form_text

    with Store.open(db_path) as store:
        officer = store.login("officer1", OFFICER_PASSWORD)
        ref = store.create_record(officer, load_form_text(ALL_TYPES_FORM, "uitest.yaml"), _complete_answers())
        submitted = workflow.submit_record(store, officer, ref.id, OFFICER_PASSWORD)
        supervisor = store.login("super1", SUPERVISOR_PASSWORD)
        store.return_record(
            supervisor, ref.id, {"q1": "What injury? Describe it in the comment."}, submitted.ref.version
        )
    sign_in_as(monkeypatch, "officer1", OFFICER_PASSWORD)
    window = open_app(qtbot, db_path)
    assert window.home is not None
    assert window.home.model.data(window.home.model.index(0, 3)) == "Returned — see comments"
    view = window.open_record(ref.id)
    assert view is not None
    assert not view.wizard.read_only
    assert "Returned by the supervisor" in view.banner.text()
    view.wizard.go_to_page("checklist")
    block = view.wizard.block("q1")
    assert block.review_label.isVisible()
    assert "What injury?" in block.review_label.text()
    shot(window, artifacts_dir, "app_returned_with_comment")
    assert block.comment_edit is not None
    type_text(block.comment_edit, "Bruised left arm, photographed.")
    wait_saved(qtbot, view)
    close_app(window)


def test_save_conflict_keeps_both_changes(
    qtbot: QtBot, ui_app: QApplication, db_path: Path, forms_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in_as(monkeypatch, "officer1", OFFICER_PASSWORD)
    window = open_app(qtbot, db_path)
    assert window.home is not None
    qtbot.mouseClick(window.home.new_buttons["uitest"], Qt.MouseButton.LeftButton)
    view = current_record(window)
    type_text(view.wizard.block("victim_name").editor.line, "Anna")  # type: ignore[union-attr]
    wait_saved(qtbot, view)
    # The same record changed in a second DSVDesk (another window, another connection).
    with Store.open(db_path) as elsewhere:
        session = elsewhere.login("officer1", OFFICER_PASSWORD)
        record = elsewhere.open_record(session, view.record_id)
        elsewhere.save_answer(
            session, view.record_id, "narrative", "Typed in the other window", record.version
        )
    type_text(view.wizard.block("victim_name").editor.line, " Nowak")  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: any(m.title == "Changed elsewhere" for m in messages.shown()), timeout=3000)
    wait_saved(qtbot, view)
    assert view.wizard.block("narrative").editor.value() == "Typed in the other window"  # type: ignore[union-attr]
    with Store.open(db_path) as check:
        session = check.login("officer1", OFFICER_PASSWORD)
        answers = check.open_record(session, view.record_id).answers
    assert answers["victim_name"] == "Anna Nowak"
    assert answers["narrative"] == "Typed in the other window"
    close_app(window)


@pytest.mark.usefixtures("ui_app")
def test_forms_compiled_while_the_password_is_typed_are_the_forms_of_the_folder(forms_dir: Path) -> None:
    from dsvdesk.engine.loader import load_forms_dir

    warm = app_module.FormsWarmUp()
    warm.begin()
    forms = app_module.load_forms(None, warm)
    assert forms.keys() == load_forms_dir(forms_dir).keys() == {"uitest"}
    warm.begin()  # taken: nothing is compiled again in the background
    assert warm.take() is forms
    assert app_module.FormsWarmUp().take() is None  # never begun: the caller compiles them


@pytest.mark.usefixtures("ui_app")
def test_a_broken_form_compiled_in_the_background_is_reported_as_before(
    forms_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (forms_dir / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(messages, "error", lambda _parent, title, _text: shown.append(title))
    warm = app_module.FormsWarmUp()
    warm.begin()
    assert app_module.load_forms(None, warm) == {}
    assert shown == ["A form definition has problems"]
