"""Cold-start floor: a bare PySide6 QApplication + QMainWindow, reporting its first paint.

Run as a script in a fresh process; prints ``SHOWN`` when the window has painted, then exits at once.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget


class FirstPaint(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget) and watched.isWindow():
            print(f"SHOWN {type(watched).__name__}", flush=True)
            os._exit(0)
        return False


app = QApplication(sys.argv)
first_paint = FirstPaint()
app.installEventFilter(first_paint)
window = QMainWindow()
window.setWindowTitle("DSVDesk benchmark floor")
window.resize(1000, 700)
window.show()
sys.exit(app.exec())
