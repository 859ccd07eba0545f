"""The Administration tab, driven as an administrator would: add an officer who can then sign in, reset
a password, unlock an account, change a role, change the station settings (the marking banners follow),
verify the audit chain and export it."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.export.audit_check import AuditOutcome
from dsvdesk.store import AccountLocked, AuthenticationFailed, Role, Store
from dsvdesk.ui import app as app_module
from dsvdesk.ui import messages
from dsvdesk.ui.admin.dialogs import (
    AddUserDialog,
    AuditCheckDialog,
    AuditExportDialog,
    ChangeRoleDialog,
    ResetPasswordDialog,
)
from dsvdesk.ui.admin.screen import AdminScreen
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.marking import DEFAULT_MARKING, MarkingBanner, set_current_marking
from dsvdesk.ui.mnemonics import mnemonic
from dsvdesk.ui.qt import QApplication, QDialog, QLineEdit, Qt, QTimer, QWidget
from dsvdesk.ui.state import UiState
from tests.helpers.encrypted import raw_connect
from tests.ui.conftest import ADMIN_PASSWORD, OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot, type_text

D = TypeVar("D", bound=QDialog)


@pytest.fixture
def admin_window(qtbot: QtBot, ui_app: QApplication, db_path: Path, tmp_path: Path) -> Iterator[MainWindow]:
    def sign_in(store: Store, **_kw: Any) -> Any:
        return store.login("admin", ADMIN_PASSWORD)

    window = app_module.start(db_path, sign_in_fn=sign_in, ui_state=UiState(tmp_path / "state.ini"))
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    yield window
    window.close()
    window.context.store.close()
    set_current_marking(DEFAULT_MARKING)  # the marking is process-wide; leave it as other tests expect


@pytest.fixture
def screen(admin_window: MainWindow) -> AdminScreen:
    widget = admin_window.tabs.currentWidget()
    assert isinstance(widget, AdminScreen)
    return widget


def with_dialog(qtbot: QtBot, kind: type[D], action: Callable[[D], None]) -> list[D]:
    """The screen opens its dialogs with ``ask()`` (modal, blocking), so the test acts on the dialog
    from the event loop once it is on screen. A failing action closes the dialog, so nothing hangs, and
    is re-raised by pytest-qt."""
    seen: list[D] = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        focus = QApplication.focusWidget()
        if not isinstance(dialog, kind) or focus is None or not dialog.isAncestorOf(focus):
            QTimer.singleShot(20, poll)  # not on screen, or not yet holding the keyboard
            return
        seen.append(dialog)
        try:
            action(dialog)
        except BaseException:
            dialog.reject()
            raise

    QTimer.singleShot(0, poll)
    return seen


def press(qtbot: QtBot, widget: QWidget, key: Qt.Key) -> None:
    qtbot.keyClick(widget, key)


def tab_type(qtbot: QtBot, text: str) -> None:
    """Tab to the next box and type into it, as a user does."""
    press(qtbot, QApplication.focusWidget(), Qt.Key.Key_Tab)
    type_text(QApplication.focusWidget(), text)


def click_row(qtbot: QtBot, screen: AdminScreen, username: str) -> None:
    row = screen.users_model.row_of(username)
    assert row >= 0, f"{username} is not in the list"
    rect = screen.users_view.visualRect(screen.users_model.index(row, 1))
    qtbot.mouseClick(screen.users_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    selected = screen.selected_user()
    assert selected is not None
    assert selected.username == username


def table_text(screen: AdminScreen) -> dict[str, list[str]]:
    model = screen.users_model
    return {
        str(model.index(r, 0).data()): [str(model.index(r, c).data()) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    }


def wait_for_ops(qtbot: QtBot) -> None:
    from dsvdesk.ui import ops

    qtbot.waitUntil(lambda: not ops._running, timeout=60_000)


def test_admin_tab_lists_users_and_replaces_the_notice(
    qtbot: QtBot, admin_window: MainWindow, screen: AdminScreen, artifacts_dir: Path
) -> None:
    titles = [admin_window.tabs.tabText(i).replace("&", "") for i in range(admin_window.tabs.count())]
    assert titles == ["Administration"]  # the command-line notice is gone; admins see no forms
    rows = table_text(screen)
    assert set(rows) == {"admin", "officer1", "officer2", "super1"}
    assert rows["officer1"] == ["officer1", "Olga Officer", "PC101", "Officer", "No"]
    assert rows["super1"][3] == "Supervisor"
    assert rows["admin"][2] == "—"  # no collar number
    # Nothing selected yet: only "Add user…" makes sense.
    assert screen.add_button.isEnabled()
    assert not screen.reset_button.isEnabled()
    assert not screen.unlock_button.isEnabled()
    assert not screen.role_button.isEnabled()
    # The settings panel shows the station's settings.
    assert screen.setting_boxes["station_name"].text() == "Test Police Station"
    assert screen.setting_boxes["marking"].text() == "OFFICIAL-SENSITIVE"
    assert screen.setting_boxes["idle_lock_minutes"].text() == "10"
    assert "TPS-" in screen.urn_preview.text()
    # Own account: cannot change own role.
    click_row(qtbot, screen, "admin")
    assert not screen.role_button.isEnabled()
    shot(admin_window, artifacts_dir, "admin_tab")


def test_admin_adds_an_officer_who_can_then_sign_in(
    qtbot: QtBot, admin_window: MainWindow, screen: AdminScreen, db_path: Path, artifacts_dir: Path
) -> None:
    def fill(dialog: AddUserDialog) -> None:
        assert QApplication.focusWidget() is dialog.username
        type_text(dialog.username, "pc4321")
        tab_type(qtbot, "Zuzanna Kowalczyk-Jones")
        tab_type(qtbot, "PC4321")
        press(qtbot, QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is dialog.role  # Officer is the first choice
        tab_type(qtbot, "new-officer-pw")
        tab_type(qtbot, "new-officer-pw")
        tab_type(qtbot, "not-my-password")  # the admin's own password, mistyped
        assert QApplication.focusWidget() is dialog.acting_password
        press(qtbot, dialog.acting_password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.error_label.isVisible() and not dialog.busy, timeout=60_000)
        # Refused calmly, inline; everything typed is still there except the wrong password.
        assert "password is not right" in dialog.error_label.text()
        assert dialog.username.text() == "pc4321"
        assert dialog.password.text() == "new-officer-pw"
        assert dialog.acting_password.text() == ""
        assert QApplication.focusWidget() is dialog.acting_password
        shot(dialog, artifacts_dir, "admin_dialog_add_user_wrong_password")
        type_text(dialog.acting_password, ADMIN_PASSWORD)
        press(qtbot, dialog.acting_password, Qt.Key.Key_Return)

    seen = with_dialog(qtbot, AddUserDialog, fill)
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    assert seen and seen[0].created is not None
    rows = table_text(screen)
    assert rows["pc4321"] == ["pc4321", "Zuzanna Kowalczyk-Jones", "PC4321", "Officer", "No"]
    assert screen.selected_user() is not None and screen.selected_user().username == "pc4321"  # type: ignore[union-attr]
    assert "Added Zuzanna Kowalczyk-Jones" in screen.accounts_status.text()
    with Store.open(db_path) as store:
        session = store.login("pc4321", "new-officer-pw")
        assert session.user.role is Role.OFFICER
        assert session.user.collar == "PC4321"
        identity = store.unlock_signing_identity(session, "new-officer-pw")  # a working signing key
        assert "Zuzanna" in identity.certificate.subject.rfc4514_string()


def test_add_user_checks_before_anything_slow(
    qtbot: QtBot, ui_app: QApplication, artifacts_dir: Path
) -> None:
    calls: list[Any] = []
    dialog = AddUserDialog(None, lambda account, acting: calls.append((account, acting)))  # type: ignore[arg-type, func-returns-value]
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    type_text(dialog.username, "bad name!")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "cannot be used" in dialog.error_label.text()
    assert QApplication.focusWidget() is dialog.username
    dialog.username.clear()
    type_text(dialog.username, "pc77")
    type_text(dialog.full_name, "Ōtsuka 王")
    type_text(dialog.password, "long-enough-pw")
    type_text(dialog.repeat, "long-enough-px")
    type_text(dialog.acting_password, ADMIN_PASSWORD)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "not the same" in dialog.error_label.text()
    assert dialog.repeat.text() == "" and QApplication.focusWidget() is dialog.repeat
    shot(dialog, artifacts_dir, "admin_dialog_add_user_mismatch")
    type_text(dialog.repeat, "short")
    dialog.password.setText("short")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "at least 8" in dialog.error_label.text()
    assert calls == []  # nothing reached the store


def test_reset_password(qtbot: QtBot, screen: AdminScreen, db_path: Path, artifacts_dir: Path) -> None:
    click_row(qtbot, screen, "officer1")

    def fill(dialog: ResetPasswordDialog) -> None:
        assert "Olga Officer" in " ".join(w.text() for w in dialog.findChildren(type(dialog.error_label)))
        type_text(dialog.password, "brand-new-pass-1")
        tab_type(qtbot, "brand-new-pass-1")
        tab_type(qtbot, ADMIN_PASSWORD)
        shot(dialog, artifacts_dir, "admin_dialog_reset_password")
        press(qtbot, QApplication.focusWidget(), Qt.Key.Key_Return)

    seen = with_dialog(qtbot, ResetPasswordDialog, fill)
    qtbot.mouseClick(screen.reset_button, Qt.MouseButton.LeftButton)
    assert seen and seen[0].done_ok
    assert "officer1" in screen.accounts_status.text()
    with Store.open(db_path) as store:
        with pytest.raises(AuthenticationFailed):
            store.login("officer1", OFFICER_PASSWORD)
        session = store.login("officer1", "brand-new-pass-1")
        store.unlock_signing_identity(session, "brand-new-pass-1")


def test_unlock_a_locked_account(qtbot: QtBot, screen: AdminScreen, db_path: Path) -> None:
    with Store.open(db_path) as store:
        for _ in range(5):
            with contextlib.suppress(AuthenticationFailed, AccountLocked):
                store.login("officer2", "wrong-wrong-wrong")
        with pytest.raises(AccountLocked):
            store.login("officer2", OFFICER_PASSWORD)
    qtbot.mouseClick(screen.refresh_button, Qt.MouseButton.LeftButton)
    assert table_text(screen)["officer2"][4].startswith("Locked until")
    click_row(qtbot, screen, "officer1")
    assert not screen.unlock_button.isEnabled()  # not locked: nothing to unlock
    click_row(qtbot, screen, "officer2")
    assert screen.unlock_button.isEnabled()
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    assert table_text(screen)["officer2"][4] == "No"
    assert not screen.unlock_button.isEnabled()
    assert "Unlocked officer2" in screen.accounts_status.text()
    with Store.open(db_path) as store:
        assert store.login("officer2", OFFICER_PASSWORD).user.username == "officer2"


def test_change_role(qtbot: QtBot, screen: AdminScreen, db_path: Path, artifacts_dir: Path) -> None:
    click_row(qtbot, screen, "officer2")

    def fill(dialog: ChangeRoleDialog) -> None:
        offered = [dialog.role.itemData(i) for i in range(dialog.role.count())]
        assert offered == ["officer", "supervisor"]  # never promoted to admin
        assert QApplication.focusWidget() is dialog.role
        press(qtbot, dialog.role, Qt.Key.Key_Down)
        assert dialog.role.currentData() == "supervisor"
        tab_type(qtbot, ADMIN_PASSWORD)
        shot(dialog, artifacts_dir, "admin_dialog_change_role")
        press(qtbot, dialog.acting_password, Qt.Key.Key_Return)

    seen = with_dialog(qtbot, ChangeRoleDialog, fill)
    qtbot.mouseClick(screen.role_button, Qt.MouseButton.LeftButton)
    assert seen and seen[0].changed is not None
    assert table_text(screen)["officer2"][3] == "Supervisor"
    with Store.open(db_path) as store:
        assert store.login("officer2", OFFICER_PASSWORD).user.role is Role.SUPERVISOR


def test_settings_change_persists_and_the_marking_banner_follows(
    qtbot: QtBot, admin_window: MainWindow, screen: AdminScreen, db_path: Path, artifacts_dir: Path
) -> None:
    marking = screen.setting_boxes["marking"]
    marking.setFocus()
    marking.selectAll()
    type_text(marking, "OFFICIAL-SENSITIVE PERSONAL")
    idle = screen.setting_boxes["idle_lock_minutes"]
    idle.setFocus()
    idle.selectAll()
    type_text(idle, "5")
    code = screen.setting_boxes["station_code"]
    code.setFocus()
    type_text(code, "KX")
    assert "KX-" in screen.urn_preview.text()
    qtbot.mouseClick(screen.save_settings_button, Qt.MouseButton.LeftButton)
    assert screen.settings_status.text() == "Settings saved."
    banners = admin_window.findChildren(MarkingBanner)
    assert len(banners) >= 2
    assert all(b.text() == "OFFICIAL-SENSITIVE PERSONAL" for b in banners)
    assert admin_window.idle.minutes == 5
    shot(admin_window, artifacts_dir, "admin_tab_settings_saved")
    with Store.open(db_path) as store:
        saved = store.get_settings()
    assert (saved.marking, saved.idle_lock_minutes, saved.station_code) == (
        "OFFICIAL-SENSITIVE PERSONAL",
        5,
        "KX",
    )
    # Saving again with nothing changed says so and writes nothing.
    qtbot.mouseClick(screen.save_settings_button, Qt.MouseButton.LeftButton)
    assert screen.settings_status.text() == "Nothing has changed."


def test_bad_settings_are_refused_calmly_and_typing_is_kept(
    qtbot: QtBot, screen: AdminScreen, db_path: Path
) -> None:
    urn = screen.setting_boxes["urn_format"]
    urn.setFocus()
    urn.selectAll()
    type_text(urn, "{station}-{seq}")
    assert "must contain {yyyy}" in screen.urn_preview.text()  # told while typing
    lockout = screen.setting_boxes["lockout_threshold"]
    lockout.setFocus()
    lockout.selectAll()
    type_text(lockout, "lots")
    qtbot.mouseClick(screen.save_settings_button, Qt.MouseButton.LeftButton)
    shown = messages.shown()
    assert shown and shown[-1].kind == "error"
    assert "your typing is kept" in shown[-1].text
    assert urn.text() == "{station}-{seq}" and lockout.text() == "lots"
    with Store.open(db_path) as store:
        assert store.get_settings().lockout_threshold == 5
    qtbot.mouseClick(screen.revert_settings_button, Qt.MouseButton.LeftButton)
    assert urn.text() == "{station}-{yyyy}-{seq:05d}" and lockout.text() == "5"


def test_verify_chain_shows_ok(qtbot: QtBot, screen: AdminScreen) -> None:
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "OK" in screen.audit_result.text(), timeout=60_000)
    assert "intact" in screen.audit_result.text()
    assert screen.verify_button.isEnabled()


def tamper_with_an_event(db_path: Path) -> int:
    """Change one audit event in the database file, as someone with the key and sqlite could; its id."""
    conn = raw_connect(db_path)
    conn.execute("DROP TRIGGER audit_events_no_update")
    bad_id = int(conn.execute("SELECT min(id) + 2 FROM audit_events").fetchone()[0])
    conn.execute("UPDATE audit_events SET username = 'mallory' WHERE id = ?", (bad_id,))
    conn.commit()
    conn.close()
    return bad_id


def test_verify_chain_names_a_tampered_event(qtbot: QtBot, screen: AdminScreen, db_path: Path) -> None:
    bad_id = tamper_with_an_event(db_path)
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "broken" in screen.audit_result.text(), timeout=60_000)
    assert f"event {bad_id}" in screen.audit_result.text()
    assert any(m.title == "Audit log altered" for m in messages.shown())


def check_against(qtbot: QtBot, screen: AdminScreen, path: Path | None) -> None:
    """Administration ▸ Check the audit log…: type the file (or leave the box empty), Alt+K checks."""

    def fill(dialog: AuditCheckDialog) -> None:
        if path is not None:
            type_text(dialog.path, str(path))
        qtbot.keyClick(dialog.path, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)  # Chec&k

    screen.last_check = None
    seen = with_dialog(qtbot, AuditCheckDialog, fill)
    qtbot.mouseClick(screen.check_button, Qt.MouseButton.LeftButton)
    assert seen, "the dialog did not open"
    wait_for_ops(qtbot)


def test_check_the_audit_log_against_a_backup_then_altered(
    qtbot: QtBot, screen: AdminScreen, db_path: Path, tmp_path: Path, artifacts_dir: Path
) -> None:
    """The CLI's `audit verify --against FILE --trust FORCE_ROOT.pem` in the app, off the UI thread,
    with the CLI's sentences: intact (the backup's head still in the log), then BROKEN at the event
    someone changed in the database file."""
    backup = tmp_path / "monday.dsvbackup"
    with Store.open(db_path) as store:
        store.backup(backup, session=store.login("admin", ADMIN_PASSWORD))
    check_against(qtbot, screen, backup)
    check = screen.last_check
    assert check is not None and check.outcome is AuditOutcome.INTACT and check.exit_code == 0
    assert (
        check.lines[0].startswith("Audit log intact:") and "every signed checkpoint holds" in check.lines[0]
    )
    assert any(f"the head {backup.name} was made at" in line for line in check.lines)
    assert "station CA not certified by a force" in check.text  # no force root pinned at this station
    assert screen.audit_result.text() == check.text and screen.check_button.isEnabled()
    assert any(m.title == "Audit log intact" for m in messages.shown())
    shot(screen.window(), artifacts_dir, "admin_audit_check_intact")

    bad_id = tamper_with_an_event(db_path)
    check_against(qtbot, screen, None)  # the log alone
    check = screen.last_check
    assert check is not None and check.outcome is AuditOutcome.BROKEN and check.exit_code == 8
    assert check.text.startswith(f"Audit log BROKEN at event {bad_id}:")
    assert any(m.title == "Audit log altered" and m.text == check.text for m in messages.shown())


def test_check_the_audit_log_against_a_root_the_checkpoints_do_not_lead_to(
    qtbot: QtBot, screen: AdminScreen, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A station whose checkpoints do not lead to the force root held there: intact but NOT TRUSTED
    (exit code 9 in the CLI), with the CLI's warning that anyone could have made the log."""
    from dsvdesk.store import pki
    from dsvdesk.ui.admin import screen as screen_module

    impostor = pki.create_ca("Look-alike Force")[1]
    monkeypatch.setattr(screen_module, "pinned_force_roots", lambda _store: [impostor])
    check_against(qtbot, screen, None)
    check = screen.last_check
    assert check is not None and check.outcome is AuditOutcome.UNTRUSTED and check.exit_code == 9
    assert check.lines[0].startswith("Audit log intact (") and "but NOT TRUSTED" in check.lines[0]
    assert "Anyone who can write the database file could have made this log" in check.text
    assert any(m.title == "Audit log NOT TRUSTED" for m in messages.shown())


def test_check_dialog_refuses_a_missing_file(qtbot: QtBot, ui_app: QApplication, tmp_path: Path) -> None:
    dialog = AuditCheckDialog(None, force_root="No force root is pinned.")
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(dialog.path, str(tmp_path / "nowhere.pdf"))
    qtbot.keyClick(dialog.ok_button, Qt.Key.Key_Space)
    assert dialog.isVisible() and dialog.result_request is None
    assert "There is no file at" in dialog.error_label.text()
    dialog.reject()


def test_a_file_with_no_head_gets_one_sentence(qtbot: QtBot, screen: AdminScreen, tmp_path: Path) -> None:
    """A file that carries no audit head: one sentence from the check, nothing else happens."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not a DSVDesk document", encoding="utf-8")
    check_against(qtbot, screen, notes)
    assert screen.last_check is None and screen.check_button.isEnabled()
    errors = [m for m in messages.shown() if m.kind == "error"]
    assert errors and "notes.txt is none of the files that carry an audit head" in errors[-1].text


def test_export_audit_log(qtbot: QtBot, screen: AdminScreen, tmp_path: Path, artifacts_dir: Path) -> None:
    target = tmp_path / "exports" / "audit 2026 (Ł).csv"  # spaces, brackets and a non-Latin letter
    target.parent.mkdir()

    def fill(dialog: AuditExportDialog) -> None:
        assert QApplication.focusWidget() is dialog.date_from
        type_text(dialog.date_from, "31/12/2099")
        type_text(dialog.date_to, "01/01/2000")
        dialog.path.clear()
        type_text(dialog.path, str(target))
        press(qtbot, dialog.path, Qt.Key.Key_Return)
        assert "after the to date" in dialog.error_label.text()  # refused inline, nothing lost
        shot(dialog, artifacts_dir, "admin_dialog_export_audit")
        dialog.date_from.clear()
        dialog.date_to.clear()
        type_text(dialog.date_from, "01/01/2000")
        press(qtbot, dialog.path, Qt.Key.Key_Return)

    seen = with_dialog(qtbot, AuditExportDialog, fill)
    qtbot.mouseClick(screen.export_button, Qt.MouseButton.LeftButton)
    assert seen and seen[0].result_request is not None
    wait_for_ops(qtbot)
    qtbot.waitUntil(target.exists)
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) > 5  # header, station set-up, users added, sign-ins …
    assert "Exported" in screen.audit_result.text()
    assert any(m.title == "Audit log exported" for m in messages.shown())


def test_export_dialog_refuses_bad_dates_and_places(
    qtbot: QtBot, ui_app: QApplication, tmp_path: Path
) -> None:
    dialog = AuditExportDialog(None, default_folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(dialog.date_from, "31/02/2026")
    assert dialog.request() is None
    assert "not a date" in dialog.error_label.text()
    dialog.date_from.clear()
    dialog.path.setText(str(tmp_path / "missing-folder" / "audit.csv"))
    assert dialog.request() is None
    assert "does not exist" in dialog.error_label.text()
    dialog.path.setText(str(tmp_path))
    assert dialog.request() is None
    assert "is a folder" in dialog.error_label.text()
    dialog.path.setText(str(tmp_path / "audit"))
    request = dialog.request()
    assert request is not None
    assert request.path == tmp_path / "audit.csv"
    assert (request.date_from, request.date_to) == (None, None)


def test_only_admins_get_the_tab(
    qtbot: QtBot, ui_app: QApplication, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DSVDESK_FORMS", str(tmp_path / "no-forms"))
    (tmp_path / "no-forms").mkdir()

    def sign_in(store: Store, **_kw: Any) -> Any:
        return store.login("officer1", OFFICER_PASSWORD)

    window = app_module.start(db_path, sign_in_fn=sign_in, ui_state=UiState(tmp_path / "state.ini"))
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    assert not window.findChildren(AdminScreen)
    window.close()
    window.context.store.close()


def test_line_edits_have_accessible_names(screen: AdminScreen) -> None:
    for edit in screen.findChildren(QLineEdit):
        assert edit.accessibleName(), edit.objectName()


def test_export_asks_before_replacing_a_file(qtbot: QtBot, ui_app: QApplication, tmp_path: Path) -> None:
    existing = tmp_path / "audit.csv"
    existing.write_text("earlier export\n", encoding="utf-8")
    dialog = AuditExportDialog(None, default_folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.path.setText(str(existing))
    messages.set_log_only(True, confirm_reply=False)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result_request is None  # "Keep it": the dialog stays open
    assert messages.shown()[-1].title == "Replace the file?"
    messages.set_log_only(True, confirm_reply=True)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result_request is not None and dialog.result_request.path == existing


def test_a_bug_during_an_account_change_is_shown_calmly(qtbot: QtBot, ui_app: QApplication) -> None:
    def broken(_account: Any, _acting: str) -> Any:
        raise RuntimeError("simulated defect")

    dialog = AddUserDialog(None, broken)
    qtbot.addWidget(dialog)
    dialog.show()
    for box, text in (
        (dialog.username, "pc88"),
        (dialog.full_name, "Dafydd ap Gwilym"),
        (dialog.password, "long-enough-pw"),
        (dialog.repeat, "long-enough-pw"),
        (dialog.acting_password, ADMIN_PASSWORD),
    ):
        type_text(box, text)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_for_ops(qtbot)
    qtbot.waitUntil(lambda: not dialog.busy)
    assert any(m.title == "Something went wrong" for m in messages.shown())
    assert dialog.isVisible() and dialog.buttons.isEnabled()  # still open, everything typed kept
    assert dialog.username.text() == "pc88" and dialog.acting_password.text() == ADMIN_PASSWORD


def alt_letters(window: MainWindow, screen: AdminScreen) -> dict[str, list[str]]:
    """Every Alt+letter reachable while the Administration tab is shown: the tab bar, the menu bar, and
    each visible button and labelled box on the tab (a label counts only when it has a buddy)."""
    from dsvdesk.ui.qt import QAbstractButton, QLabel

    texts = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    texts += [action.text() for action in window.menuBar().actions() if action.isVisible()]
    for widget in screen.findChildren(QWidget):
        if not widget.isVisibleTo(screen):
            continue
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy() is not None):
            texts.append(widget.text())
    return letters_of(texts)


def letters_of(texts: list[str]) -> dict[str, list[str]]:
    letters: dict[str, list[str]] = {}
    for text in texts:
        letter = mnemonic(text)
        if letter is not None:
            letters.setdefault(letter, []).append(text)
    return letters


def test_every_alt_letter_on_the_tab_is_unique_and_reaches_its_own_button(
    qtbot: QtBot, admin_window: MainWindow, screen: AdminScreen
) -> None:
    letters = alt_letters(admin_window, screen)
    repeated = {letter: texts for letter, texts in letters.items() if len(texts) > 1}
    assert not repeated, f"Alt+letters used more than once: {repeated}"
    # every button on the tab has one (the labelled boxes are checked above through their labels)
    assert len(letters) >= 22, sorted(letters)
    # Alt+V once reached both Re&vert and &Verify chain; now Alt+V reverts and Alt+Y checks the chain
    # (a mnemonic "animates" its button's click, so the result is waited for)
    admin_window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is admin_window, timeout=10_000)
    name = screen.setting_boxes["station_name"]
    name.setFocus()
    name.selectAll()
    type_text(name, "Somewhere else")
    qtbot.keyClick(name, Qt.Key.Key_V, Qt.KeyboardModifier.AltModifier)  # Re&vert
    qtbot.waitUntil(lambda: name.text() == "Test Police Station", timeout=10_000)
    assert screen.audit_result.text() == "Not checked yet in this session."
    qtbot.keyClick(name, Qt.Key.Key_Y, Qt.KeyboardModifier.AltModifier)  # Verif&y chain
    qtbot.waitUntil(lambda: screen.audit_result.text().startswith("✓ OK"), timeout=60_000)
    assert screen.audit_result.text().startswith("✓ OK: the audit chain is intact")
    assert name.text() == "Test Police Station"


@pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")  # an open menu, offscreen
@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", ADMIN_PASSWORD), ("officer1", OFFICER_PASSWORD), ("super1", SUPERVISOR_PASSWORD)],
)
def test_every_menu_item_has_its_own_alt_letter_for_every_role(
    qtbot: QtBot, ui_app: QApplication, db_path: Path, tmp_path: Path, *, username: str, password: str
) -> None:
    """The menu bar and every menu under it, as each role sees them (a supervisor's File menu has the
    most: New forms, Export, Verify, Send records, Import a transfer bundle, Close, Lock, Sign out,
    Quit): every item has an Alt+letter, none shared within its menu, and the letter chooses it."""
    from tests.ui.ux.conftest import start_as

    window = start_as(qtbot, db_path, tmp_path, username, password)
    try:
        bar = [a.text() for a in window.menuBar().actions() if a.isVisible()]
        menus = {"menu bar": bar} | {
            name: [a.text() for a in menu.actions() if not a.isSeparator()]
            for name, menu in window.menus.items()
        }
        if username == "super1":
            assert {"&Send records to another unit…", "&Import a transfer bundle…"} <= set(menus["file"])
        for name, texts in menus.items():
            assert [t for t in texts if mnemonic(t) is None] == [], f"{name}: items without an Alt+letter"
            repeated = {k: v for k, v in letters_of(texts).items() if len(v) > 1}
            assert not repeated, f"{name}: Alt+letters used more than once: {repeated}"
        # the letter chooses its item: Help ▸ Where is the &log file? (the menu opened from the keyboard)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)
        help_menu = window.menus["help"]
        window.menuBar().setActiveAction(help_menu.menuAction())
        qtbot.waitUntil(help_menu.isVisible, timeout=10_000)
        where = next(a for a in help_menu.actions() if a.text().startswith("Where is"))
        letter = mnemonic(where.text())
        assert letter is not None
        with qtbot.waitSignal(where.triggered, timeout=10_000):
            qtbot.keyClick(help_menu, getattr(Qt.Key, f"Key_{letter.upper()}"))
    finally:
        window.close()
        window.context.store.close()
        set_current_marking(DEFAULT_MARKING)
