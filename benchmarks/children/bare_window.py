"""Cold-start floor: a bare PySide6 QApplication + QMainWindow, reporting its first paint.

Run as a script in a fresh process; prints ``SHOWN`` when the window has painted, then exits at once
(paint_watch.py: the same instrument as DSVDesk's start).
"""

from __future__ import annotations

import sys

from paint_watch import report_first_paint  # benchmarks/children/, beside this script
from PySide6.QtWidgets import QApplication, QMainWindow

report_first_paint()
app = QApplication(sys.argv)
window = QMainWindow()
window.setWindowTitle("DSVDesk benchmark floor")
window.resize(1000, 700)
window.show()
sys.exit(app.exec())
