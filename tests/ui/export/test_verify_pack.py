"""File ▸ Verify a signed PDF or board pack… on a board pack (.zip), driven from the keyboard: Alt+F opens
the File menu and V chooses Verify. The pack is checked by the same call as `dsvdesk verify pack.zip`
(export/board_pack.verify_pack) against this station's anchors, never against anything in the pack.

Three packs: a genuine one made at this station (trusted), one forged on a look-alike database with the
same station name, supervisor name and collar number (intact but NOT trusted, never "verified"), and the
genuine one with its Part A data edited afterwards (failed, naming the altered file)."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.export.report_pdf import (
    BoardReport,
    ReportHeader,
    ReportParagraph,
    ReportQuestion,
    ReportSection,
)
from dsvdesk.reporting.pack import build_pack_files, write_pack
from dsvdesk.reporting.parta import compute_part_a
from dsvdesk.store import Store
from dsvdesk.ui import messages
from dsvdesk.ui.export import ExportHooks
from dsvdesk.ui.export import hooks as hooks_module
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QApplication, QMenu, QMessageBox, Qt, QTimer
from tests.ui.conftest import ADMIN_PASSWORD, SUPERVISOR_PASSWORD
from tests.ui.qa.conftest import close_app, open_app
from tests.unit.board.fixtures import PERIOD, VOCABULARY, build_rows

# a menu opened from the keyboard asks for a keyboard grab, which the offscreen platform cannot give
pytestmark = [pytest.mark.ui, pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")]

EXPORTED = datetime(2010, 10, 1, 9, 0, tzinfo=UTC)


def _report() -> BoardReport:
    header = ReportHeader(
        report_id="6f1c2a7e-0000-4000-8000-000000000016",
        revision=1,
        report_number="16",
        borough="Ceredigion",
        period=PERIOD,
        authors=("PS Sam Sergeant",),
    )
    question = ReportQuestion(
        "q1", "How is the 124D used?", (ReportParagraph("Completion: {{partA.completion_rate}}.", ""),)
    )
    return BoardReport(header, (ReportSection("b2", "B2", "Quality assurance", (question,)),))


def make_pack(db_path: Path, out: Path) -> Path:
    """A board pack signed by super1 of the station at ``db_path`` (what `export_board_pack` writes)."""
    with Store.open(db_path) as store:
        session = store.login("super1", SUPERVISOR_PASSWORD)
        identity = store.unlock_signing_identity(session, SUPERVISOR_PASSWORD)
        files = build_pack_files(
            _report(),
            compute_part_a(build_rows(), PERIOD, vocabulary=VOCABULARY),
            identity=identity,
            exporter="super1 (Sam Sergeant)",
            exported_at=EXPORTED,
            location="Test Police Station",
            signer_lines=["Sam Sergeant (PS201)"],
            audit_head=store.audit_head().pair(),
        )
    out.mkdir(exist_ok=True)
    return write_pack(files, out, base_name="board_pack_report16", exported_at=EXPORTED).zip_path


def forge_pack(tmp_path: Path) -> Path:
    """The same pack made on a second database with the same station, supervisor name and collar."""
    forger = tmp_path / "forger.sqlite3"
    with Store.open(forger, create=True) as store:
        store.init_station("Test Police Station", "admin", "Ada Admin", ADMIN_PASSWORD)
        store.add_user(
            store.login("admin", ADMIN_PASSWORD),
            "super1",
            "supervisor",
            "Sam Sergeant",
            "PS201",
            SUPERVISOR_PASSWORD,
            ADMIN_PASSWORD,
        )
    return make_pack(forger, tmp_path / "forged")


def tamper(genuine: Path, out: Path) -> Path:
    """The genuine pack with one figure of its Part A data changed after it was signed."""
    out.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(genuine) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("part_a_data.csv"):
                data = data.replace(b"1", b"7", 1)
            target.writestr(info, data)
    return out


def verify_by_keyboard(qtbot: QtBot, window: MainWindow, hooks: ExportHooks) -> None:
    """Alt+F opens File; V (the action's mnemonic) chooses Verify…; the check runs off the UI thread."""
    hooks.last_verification = None
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=10_000)
    menu = QApplication.activePopupWidget()
    assert menu is window.menus["file"]
    qtbot.keyClick(menu, Qt.Key.Key_V)
    qtbot.waitUntil(lambda: hooks.last_verification is not None, timeout=60_000)


def screenshot_of_report(qtbot: QtBot, window: MainWindow, hooks: ExportHooks, path: Path) -> None:
    """Show the report in a real message box (as a user sees it) and save the screen while it is open;
    on Xvfb (QT_QPA_PLATFORM=xcb) the whole screen, window manager frames included."""
    grabbed: list[bool] = []

    def grab() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, grab)
            return
        if QApplication.platformName() == "xcb":
            # mapped, framed by the window manager and painted before the screen is read
            qtbot.waitExposed(box)
            qtbot.waitUntil(  # framed (placed and decorated by openbox) and holding the keyboard
                lambda: box.frameGeometry().top() < box.geometry().top() and box.isActiveWindow(),
                timeout=10_000,
            )
        box.repaint()
        QApplication.processEvents()
        if QApplication.platformName() == "xcb":
            image = box.screen().grabWindow(0)
        else:
            image = box.grab()
        grabbed.append(image.save(str(path)))
        qtbot.keyClick(box, Qt.Key.Key_Return)

    messages.set_log_only(False)
    try:
        QTimer.singleShot(0, grab)
        verify_by_keyboard(qtbot, window, hooks)
    finally:
        messages.set_log_only(True)
    assert grabbed == [True]


def test_verify_a_genuine_a_forged_and_a_tampered_board_pack(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    tmp_path: Path,
    artifacts_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    genuine = make_pack(db_path, tmp_path / "genuine")
    forged = forge_pack(tmp_path)
    tampered = tamper(genuine, tmp_path / "tampered" / "board_pack_report16.zip")

    window = open_app(qtbot, db_path, monkeypatch, "admin", ADMIN_PASSWORD)
    window.resize(1366, 768)
    hooks = window.export_hooks  # type: ignore[attr-defined]
    assert isinstance(hooks, ExportHooks)
    chosen: list[Path] = []
    monkeypatch.setattr(hooks_module, "pick_pdf", lambda parent, start: str(chosen[-1]))

    # the genuine pack: every file listed, all good, trusted against this station's own CA
    chosen.append(genuine)
    verify_by_keyboard(qtbot, window, hooks)
    report = messages.shown()[-1]
    assert report.kind == "info" and report.title == "Signatures checked: trusted"
    lines = report.text.splitlines()
    assert lines[0] == "board_pack_report16.zip: board pack — ALL FILES VERIFIED"
    files = [line for line in lines if " — OK: " in line]
    assert [line.split(" — ")[0] for line in files] == [
        "• part_a_data.pdf",
        "• manifest.json",
        "• part_b_report.pdf",
        "• part_a_data.csv",
    ]
    assert "signature by Sam Sergeant is good and trusted" in files[0]
    assert "Checked against this station's own CA." in report.text
    assert hooks.last_verification is not None and hooks.last_verification[0] == genuine

    # the look-alike forgery: intact, but nobody this station trusts vouches for it
    chosen.append(forged)
    verify_by_keyboard(qtbot, window, hooks)
    report = messages.shown()[-1]
    assert report.kind == "warning" and report.title == "Signatures intact but NOT trusted"
    assert "Anyone could have made a document like this" in report.text
    assert "VERIFIED" not in report.text and "good and trusted" not in report.text
    assert "• part_a_data.pdf — NOT TRUSTED: signature by Sam Sergeant: NOT TRUSTED" in report.text
    shot_path = artifacts_dir / "ui" / f"verify_pack_forged_{QApplication.platformName()}.png"
    shot_path.parent.mkdir(parents=True, exist_ok=True)
    screenshot_of_report(qtbot, window, hooks, shot_path)

    # the genuine pack with its data edited afterwards: failed, and the altered file is named
    chosen.append(tampered)
    verify_by_keyboard(qtbot, window, hooks)
    report = messages.shown()[-1]
    assert report.kind == "warning" and report.title == "Signatures FAILED: do not rely on this file"
    assert report.text.splitlines()[0] == "board_pack_report16.zip: board pack — VERIFICATION FAILED"
    altered = [line for line in report.text.splitlines() if line.startswith("• part_a_data.csv — ")]
    assert len(altered) == 1 and " — FAILED: " in altered[0]
    assert "VERIFIED" not in report.text.replace("VERIFICATION FAILED", "")
    close_app(window)
