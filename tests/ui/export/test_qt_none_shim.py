"""PySide6 6.12 on Python 3.11 drops a reference to None on every Qt call that returns nothing (the
same bug as Signal.emit and True, see dsvdesk/ui/qt.py). The preview's page rendering and any long
session make tens of thousands of such calls; they must not abort the interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

VOID_CALLS = """
import sys
import dsvdesk.ui.qt as qt
app = qt.QApplication(sys.argv)
label = qt.QLabel()
for n in range(100000):
    label.setText("x")
    app.processEvents()
print("ok")
"""


def test_many_void_qt_calls_in_a_fresh_interpreter_do_not_abort() -> None:
    # A fresh interpreter holds only a few thousand references to None: without the shim this aborts
    # with "none_dealloc: deallocating None" within the first few thousand calls.
    result = subprocess.run(
        [sys.executable, "-c", VOID_CALLS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
