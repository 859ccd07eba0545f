"""The force certificate tasks in the app (issue 16), driven from the keyboard as a station admin would:
the first-run window takes and compares the force root's fingerprint; the Administration tab pins the
root (fingerprint shown in numbered groups to read aloud), writes the certificate request, installs the
certificate force ICT issued for it, and loads the force's revocation list; each refusal stays inline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.store import Store, forceca, pki
from dsvdesk.ui import app as app_module
from dsvdesk.ui import messages
from dsvdesk.ui.admin.force import (
    InstallStationCertDialog,
    PinForceRootDialog,
    RevocationListDialog,
    StationRequestDialog,
)
from dsvdesk.ui.admin.screen import AdminScreen
from dsvdesk.ui.dialogs.first_run import FirstRunDialog
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.marking import DEFAULT_MARKING, set_current_marking
from dsvdesk.ui.qt import QAbstractButton, QApplication, QDialog, QLabel, Qt, QTimer, QWidget
from dsvdesk.ui.state import UiState
from tests.ui.conftest import ADMIN_PASSWORD, shot, type_text
from tests.ui.test_admin import wait_for_ops


@pytest.fixture(scope="module")
def force_root() -> tuple[Any, Any]:
    """Force ICT's root key and certificate (made once: RSA-4096 takes a moment)."""
    return forceca.create_root("Dyfed-Powys Police")


@pytest.fixture
def admin_window(qtbot: QtBot, ui_app: QApplication, db_path: Path, tmp_path: Path) -> Iterator[MainWindow]:
    def sign_in(store: Store, **_kw: Any) -> Any:
        return store.login("admin", ADMIN_PASSWORD)

    window = app_module.start(db_path, sign_in_fn=sign_in, ui_state=UiState(tmp_path / "state.ini"))
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitActive(window)
    yield window
    window.close()
    window.context.store.close()
    set_current_marking(DEFAULT_MARKING)


@pytest.fixture
def screen(admin_window: MainWindow) -> AdminScreen:
    widget = admin_window.tabs.currentWidget()
    assert isinstance(widget, AdminScreen)
    return widget


D = TypeVar("D", bound=QDialog)


def focus_in(window: QWidget) -> QWidget | None:
    """The widget holding the keyboard in ``window`` (offscreen, a window may not be the active one)."""
    return window.focusWidget()


def key(qtbot: QtBot, window: QWidget, key_: Qt.Key) -> None:
    focus = focus_in(window)
    assert focus is not None
    qtbot.keyClick(focus, key_)


def with_dialog(qtbot: QtBot, kind: type[D], action: Callable[[D], None]) -> list[D]:
    """Act on the modal dialog a button opens (``ask()`` blocks) once it is on screen with the keyboard
    in it; a failing action closes it, so nothing hangs, and pytest-qt re-raises the failure."""
    seen: list[D] = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind) or not dialog.isVisible() or focus_in(dialog) is None:
            QTimer.singleShot(20, poll)
            return
        seen.append(dialog)
        try:
            action(dialog)
        except BaseException:
            dialog.reject()
            raise

    QTimer.singleShot(0, poll)
    return seen


def press_button(qtbot: QtBot, button: QAbstractButton) -> None:
    """Tab to a button and press Space, as a keyboard user does (the dialog it opens is modal)."""
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)


def mnemonics(root: QWidget) -> list[str]:
    letters = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root):
            continue
        text = widget.text() if isinstance(widget, QAbstractButton | QLabel) else ""
        if isinstance(widget, QLabel) and widget.buddy() is None:
            continue
        cleaned = text.replace("&&", "")
        index = cleaned.find("&")
        if 0 <= index < len(cleaned) - 1:
            letters.append(cleaned[index + 1].lower())
    return letters


def mnemonics_of(button: QAbstractButton) -> str:
    text = button.text().replace("&&", "")
    return text[text.index("&") + 1].lower()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_first_run_takes_and_compares_the_force_root_fingerprint(
    qtbot: QtBot, ui_app: QApplication, tmp_path: Path, artifacts_dir: Path, force_root: tuple[Any, Any]
) -> None:
    fingerprint = forceca.fingerprint(force_root[1])
    db = tmp_path / "new.sqlite3"
    with Store.open(db, create=True) as store:
        dialog = FirstRunDialog(None, store, db_label=db.name)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        qtbot.waitActive(dialog)
        type_text(dialog.station, "Aberystwyth")
        type_text(dialog.username, "admin")
        type_text(dialog.full_name, "Siân Llŷr")
        type_text(dialog.password, ADMIN_PASSWORD)
        type_text(dialog.repeat, ADMIN_PASSWORD)
        type_text(dialog.fingerprint, fingerprint[:40])  # misread from the letter: too short
        assert "64 hexadecimal digits" in dialog.fingerprint_view.text()
        qtbot.keyClick(dialog.fingerprint, Qt.Key.Key_Return)
        assert dialog.session is None and "64 hexadecimal digits" in dialog.error_label.text()
        dialog.fingerprint.selectAll()
        type_text(dialog.fingerprint, fingerprint.replace(":", " ").lower())  # as typed from a letter
        lines = dialog.fingerprint_view.text().splitlines()
        assert lines[1:] == forceca.grouped(fingerprint) and lines[1].startswith("1.  ")
        assert sorted(mnemonics(dialog)) == sorted(set(mnemonics(dialog)))
        qtbot.keyClick(dialog.fingerprint, Qt.Key.Key_Return)
        assert dialog.session is None and "tick 'It matches the letter'" in dialog.error_label.text()
        assert dialog.focusWidget() is dialog.compared
        shot(dialog, artifacts_dir, "force_first_run_fingerprint")
        qtbot.keyClick(dialog.compared, Qt.Key.Key_Space)
        assert dialog.compared.isChecked()
        with qtbot.waitSignal(dialog.accepted, timeout=60_000):
            qtbot.keyClick(dialog.compared, Qt.Key.Key_Return)
        assert store.force_pin() == fingerprint
        request = db.with_name("station_request.csr")
        assert dialog.request_path == request
        assert forceca.request_station(forceca.load_request(request.read_bytes())) == "Aberystwyth"
        assert any(m.title == "Force root pinned" for m in messages.shown())


def test_the_admin_connects_the_station_to_the_force_by_keyboard(
    qtbot: QtBot, screen: AdminScreen, tmp_path: Path, artifacts_dir: Path, force_root: tuple[Any, Any]
) -> None:
    admin_window, db_path = screen.window(), screen.context.db_path
    root_key, root = force_root
    fingerprint = forceca.fingerprint(root)
    root_file = write(tmp_path / "force_root.pem", pki.cert_pem(root))
    impostor_file = write(tmp_path / "impostor_root.pem", pki.cert_pem(pki.create_ca("Impostor")[1]))
    assert "Station CA not certified by a force" in screen.force_status.text()
    assert "No force root pinned yet" in screen.force_status.text()
    assert not screen.install_button.isEnabled() and not screen.crl_button.isEnabled()
    shot(admin_window, artifacts_dir, "force_admin_tab_not_certified")

    # 1. Pin the root: the file's fingerprint, in numbered groups, must agree with the letter
    def pin(dialog: PinForceRootDialog) -> None:
        assert focus_in(dialog) is dialog.root_file
        type_text(dialog.root_file, str(root_file))
        key(qtbot, dialog, Qt.Key.Key_Tab)  # to Choose…
        key(qtbot, dialog, Qt.Key.Key_Tab)  # to the letter's fingerprint
        assert focus_in(dialog) is dialog.typed
        assert forceca.grouped(fingerprint)[3] in dialog.view.text()
        type_text(dialog.typed, forceca.fingerprint(pki.load_cert(impostor_file.read_bytes())))
        assert "not the one typed from the letter" in dialog.view.text()
        key(qtbot, dialog, Qt.Key.Key_Return)
        assert "Do not pin it" in dialog.error_label.text() and dialog.isVisible()
        dialog.typed.selectAll()
        type_text(dialog.typed, fingerprint)
        assert dialog.view.text().startswith("The file and the letter agree.")
        key(qtbot, dialog, Qt.Key.Key_Return)
        assert "tick the box" in dialog.error_label.text()
        assert focus_in(dialog) is dialog.compared
        assert sorted(mnemonics(dialog)) == sorted(set(mnemonics(dialog)))
        shot(dialog, artifacts_dir, "force_dialog_pin")
        key(qtbot, dialog, Qt.Key.Key_Space)
        key(qtbot, dialog, Qt.Key.Key_Return)

    seen = with_dialog(qtbot, PinForceRootDialog, pin)
    press_button(qtbot, screen.pin_button)
    assert seen and seen[0].pinned == fingerprint
    assert f"Pinned force root: {fingerprint}." in screen.force_status.text()
    assert screen.install_button.isEnabled()

    # 2. The certificate request, unlocked with the admin's password, written where they say
    request_file = tmp_path / "for ICT" / "station_request.csr"
    request_file.parent.mkdir()

    def request(dialog: StationRequestDialog) -> None:
        assert focus_in(dialog) is dialog.acting_password
        dialog.path.selectAll()
        type_text(dialog.path, str(request_file))
        key(qtbot, dialog, Qt.Key.Key_Return)
        assert "Type your own password" in dialog.error_label.text()
        type_text(dialog.acting_password, "not my password")
        key(qtbot, dialog, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(dialog.error_label.text()) and not dialog.busy, timeout=60_000)
        assert dialog.acting_password.text() == "" and dialog.isVisible()  # wrong password: try again
        type_text(dialog.acting_password, ADMIN_PASSWORD)
        shot(dialog, artifacts_dir, "force_dialog_request")
        key(qtbot, dialog, Qt.Key.Key_Return)

    seen_request = with_dialog(qtbot, StationRequestDialog, request)
    press_button(qtbot, screen.request_button)
    assert seen_request and seen_request[0].written == request_file
    wait_for_ops(qtbot)
    csr = forceca.load_request(request_file.read_bytes())
    assert forceca.request_station(csr) == "Test Police Station"

    # force ICT issues the station certificate (dsvdesk ca issue)
    cert_file = write(tmp_path / "station_ca.pem", pki.cert_pem(forceca.issue_station(root_key, root, csr)))

    # 3. Install it: a wrong root is shown as not the pinned one and refused inline; the right one installs
    def install(dialog: InstallStationCertDialog) -> None:
        assert focus_in(dialog) is dialog.cert_file
        type_text(dialog.cert_file, str(cert_file))
        dialog.root_file.setFocus()
        type_text(dialog.root_file, str(impostor_file))
        key(qtbot, dialog, Qt.Key.Key_Tab)
        assert "NOT the root pinned at this station" in dialog.view.text()
        key(qtbot, dialog, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(dialog.error_label.text()) and not dialog.busy, timeout=60_000)
        assert "not the one pinned at this station" in dialog.error_label.text() and dialog.isVisible()
        dialog.root_file.selectAll()
        dialog.root_file.setFocus()
        type_text(dialog.root_file, str(root_file))
        key(qtbot, dialog, Qt.Key.Key_Tab)
        assert dialog.view.text().startswith("✓ This root is the one pinned at this station")
        assert sorted(mnemonics(dialog)) == sorted(set(mnemonics(dialog)))
        shot(dialog, artifacts_dir, "force_dialog_install")
        key(qtbot, dialog, Qt.Key.Key_Return)

    seen_install = with_dialog(qtbot, InstallStationCertDialog, install)
    press_button(qtbot, screen.install_button)
    assert seen_install and seen_install[0].installed == fingerprint
    assert screen.force_status.text().startswith(f"✓ Certified by the force root {fingerprint}")
    assert screen.crl_button.isEnabled()

    # 4. The force revokes an officer's certificate; the list comes in by file
    with Store.open(db_path) as store:
        officer_cert = pki.load_cert(
            store.user_certificate_pem(store.login("admin", ADMIN_PASSWORD), "officer1")
        )
    crl = forceca.build_crl(root_key, root, [(officer_cert, dt.datetime.now(dt.UTC))], number=1)
    from cryptography.hazmat.primitives import serialization

    crl_file = write(tmp_path / "force_revocations.crl", crl.public_bytes(serialization.Encoding.PEM))

    def load(dialog: RevocationListDialog) -> None:
        assert focus_in(dialog) is dialog.crl_file
        type_text(dialog.crl_file, str(tmp_path / "missing.crl"))
        key(qtbot, dialog, Qt.Key.Key_Return)
        assert "There is no file at" in dialog.error_label.text()
        dialog.crl_file.selectAll()
        type_text(dialog.crl_file, str(crl_file))
        shot(dialog, artifacts_dir, "force_dialog_revocation_list")
        key(qtbot, dialog, Qt.Key.Key_Return)

    seen_load = with_dialog(qtbot, RevocationListDialog, load)
    press_button(qtbot, screen.crl_button)
    assert seen_load and seen_load[0].revoked == 1
    assert "names 1 certificate(s)" in screen.force_status.text()
    shown = mnemonics(screen)
    for button in (screen.pin_button, screen.request_button, screen.install_button, screen.crl_button):
        assert shown.count(mnemonics_of(button)) == 1, button.text()  # Alt+letter reaches it alone
    screen.force_status.setFocus()
    shot(admin_window, artifacts_dir, "force_admin_tab_certified")

    # the audit check says what its checkpoints were checked against
    screen.verify_button.setFocus()
    qtbot.keyClick(screen.verify_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "OK" in screen.audit_result.text(), timeout=60_000)
    assert "the force root pinned at this station" in screen.audit_result.text()
