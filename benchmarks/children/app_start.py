"""Cold start of DSVDesk as `make run` starts it (`dsvdesk --db DB --demo`), to its first window painted.

Run as a script in a fresh process: ``app_start.py DB``. Prints ``SHOWN <window class>`` when the first
top-level window (the login dialog on an initialised database) has painted, then exits at once. The
QApplication class is swapped for a subclass that watches for that paint before DSVDesk imports Qt,
so nothing in DSVDesk is changed or patched.
"""

from __future__ import annotations

import os
import sys

from PySide6 import QtWidgets
from PySide6.QtCore import QEvent, QObject


class FirstPaint(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Paint
            and isinstance(watched, QtWidgets.QWidget)
            and watched.isWindow()
        ):
            print(f"SHOWN {type(watched).__name__}", flush=True)
            os._exit(0)
        return False


class BenchApplication(QtWidgets.QApplication):
    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self._first_paint = FirstPaint()
        self.installEventFilter(self._first_paint)


QtWidgets.QApplication = BenchApplication  # type: ignore[misc, assignment]

from dsvdesk.cli import main  # noqa: E402 - after the swap above, on purpose

sys.exit(main(["--db", sys.argv[1], "--demo"]))
