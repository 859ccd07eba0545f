"""The way to the sign-in window stays light (issue 9: cold start <= 1.5x a bare Qt window).

Timings live in benchmarks/; these tests pin the causes instead. A fresh process starts the app as
`dsvdesk --db DB` does and, at the sign-in window's first paint, reports what had been loaded by then:
nothing that only later screens need, not PySide's ``Qt`` enum namespace (~40 ms to build), and not
every class of PySide's modules (issue 22: PySide builds them all, with their enums, ~60 ms or more, the
first time an application event filter is shown a private Qt object such as the gesture manager a
scroll area makes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.ui import first_paint, qt
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.marking import MarkingBanner
from dsvdesk.ui.qt import QApplication, QDialogButtonBox, Qt, QWidget

ROOT = Path(__file__).resolve().parents[2]

# Starts the app as benchmarks/children/app_start.py does (the same instrument: an event filter on each
# window as it is shown), records every event filter put on the application itself, and at the first
# paint reports what had been loaded by then, and exits.
FIRST_PAINT_CHILD = """
import json, sys
from dsvdesk import cli
from dsvdesk.ui import app
sys.path.insert(0, sys.argv[2])
import paint_watch
from PySide6 import QtCore, QtWidgets

application_filters = []
install_event_filter = QtCore.QObject.installEventFilter

def installing(target, watcher):
    if isinstance(target, QtCore.QCoreApplication):
        application_filters.append(type(watcher).__name__)
    return install_event_filter(target, watcher)

QtCore.QObject.installEventFilter = installing

def report(window):
    report = {
        "window": type(window).__name__,
        "qt_namespace_built": "Qt" in vars(QtCore),
        "modules": sorted(sys.modules),
        "classes_built": sorted(vars(QtCore)) + sorted(vars(QtWidgets)),
        "scroll_areas": len(window.findChildren(QtWidgets.QAbstractScrollArea)),
        "application_filters": application_filters,
    }
    print("REPORT " + json.dumps(report), flush=True)

paint_watch.report_first_paint(report)
sys.exit(cli.main(["--db", sys.argv[1], "--demo"]))
"""

# Loaded only after sign-in or on first use; each would add to every start.
NOT_BEFORE_SIGN_IN = (
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtSvg",
    "PySide6.QtPrintSupport",
    "dsvdesk.ui.main_window",
    "dsvdesk.ui.messages",  # imported when a message box is shown
    "dsvdesk.ui.dialogs.first_run",
    "dsvdesk.engine.loader",
    "dsvdesk.commands",
    "dsvdesk.store.backup",
    "dsvdesk.reporting.queries",
    "dsvdesk.store.store",  # the record store: the sign-in window opens the file through store.gate
    "dsvdesk.store.records",
    "dsvdesk.store.settings",  # the sign-in window reads the station's name from the key file
    "dsvdesk.store.lifecycle",
    "dsvdesk.store.users",
    "dsvdesk.store.audit",
    "yaml",
    "cryptography",
    "reportlab",
    "pyhanko",
    "logging.handlers",
    "pkgutil",
    "importlib.resources",  # dsvdesk.paths finds the shipped files beside itself
    # the database is locked until the password unwraps its key: no connection, so no binding (issue 22)
    "sqlcipher3",
    "sqlite3",
    "hashlib",  # nor OpenSSL's hashes: the key file is read for the station's name and marking only
)


def _first_paint_report(db_path: Path, tmp_path: Path) -> dict[str, Any]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        DSVDESK_UI_STATE=str(tmp_path / "ui-state.ini"),
        DSVDESK_LOG_DIR=str(tmp_path / "logs"),
        PYTHONPATH=str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
    )
    result = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT_CHILD, str(db_path), str(ROOT / "benchmarks" / "children")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, f"no window painted (exit {result.returncode}): {result.stderr[-2000:]}"
    report: dict[str, Any] = json.loads(lines[0].removeprefix("REPORT "))
    return report


def test_sign_in_window_paints_without_later_screens_or_the_qt_namespace(
    db_path: Path, tmp_path: Path
) -> None:
    report = _first_paint_report(db_path, tmp_path)

    assert report["window"] == "LoginDialog"
    loaded = set(report["modules"])
    early = sorted(
        name for name in loaded if name in NOT_BEFORE_SIGN_IN or name.split(".")[0] in NOT_BEFORE_SIGN_IN
    )
    assert early == []
    assert report["qt_namespace_built"] is False
    # classes nothing before sign-in uses: built only if PySide resolved every class of its modules
    assert {"QProcess", "QWizard", "QFileDialog", "QGraphicsView"}.isdisjoint(report["classes_built"])
    # the sign-in window fits any station screen: its content is not in a scroll area (whose viewport
    # makes the gesture manager, which makes PySide resolve every class)
    assert report["scroll_areas"] == 0
    # no Python event filter on the application: PySide would be handed every object's events and build
    # each object's class with its enums (the stylesheet's style object: QStyle's), ui/first_paint.py
    assert report["application_filters"] == []


def test_every_qt_name_resolves_on_first_use() -> None:
    for name in qt.__all__:
        assert getattr(qt, name) is not None, name
    assert set(qt.__all__) <= set(dir(qt))
    with pytest.raises(AttributeError, match="QNoSuchWidget"):
        _ = qt.QNoSuchWidget  # type: ignore[attr-defined]
    with pytest.raises(ImportError):
        exec("from dsvdesk.ui.qt import QNoSuchWidget")  # noqa: S102 - the import statement is the behaviour under test


def test_marking_banner_is_centred_and_never_takes_focus(ui_app: QApplication) -> None:
    banner = MarkingBanner()
    try:
        assert banner.alignment() == Qt.AlignmentFlag.AlignCenter
        assert banner.focusPolicy() == Qt.FocusPolicy.NoFocus
    finally:
        banner.deleteLater()


def test_dialog_buttons_belong_to_the_dialog(ui_app: QApplication) -> None:
    dialog = MarkedDialog(None, "Test")
    try:
        ok = dialog.add_buttons("&OK", dialog.accept)
        box = ok.parent()
        assert isinstance(box, QDialogButtonBox)
        assert box.window() is dialog
        assert box.buttonRole(ok) == QDialogButtonBox.ButtonRole.AcceptRole
    finally:
        dialog.deleteLater()


def test_what_waits_for_the_first_paint_runs_once_the_first_dialog_has_painted(
    ui_app: QApplication, qtbot: Any
) -> None:
    ran: list[str] = []
    first_paint.after_first_paint(lambda: ran.append("the other scripts' faces"))
    unwatched = QWidget()  # a plain widget shown by a test or a tool: not a start-up window
    qtbot.addWidget(unwatched)
    unwatched.show()
    qtbot.waitExposed(unwatched)
    QApplication.processEvents()
    assert ran == []
    assert first_paint.waiting() == 1

    dialog = MarkedDialog(None, "Sign in")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: ran == ["the other scripts' faces"], timeout=10_000)
    assert first_paint.waiting() == 0
    dialog.update()  # later paints run nothing again
    QApplication.processEvents()
    assert ran == ["the other scripts' faces"]
