"""Work put off until the first window has painted (cold start: the sign-in window paints first).

``after_first_paint(callback)`` queues a callback. A window shown while callbacks wait is watched
(``watch``: every ``MarkedDialog`` when shown, and the main window), and once it has painted the
callbacks run from the event loop.

The event filter sits on that one window, never on the application. An application-wide Python filter
is handed every event of every object, and PySide builds the Python class, with all its enums, of each
object it passes in: setting the stylesheet alone then built ``QStyle``'s ten enums and ``QEvent``'s
(~7 ms before the sign-in window could paint), and a scroll area's gesture manager every class of
QtCore, QtGui and QtWidgets (issue 22).
"""

from __future__ import annotations

from collections.abc import Callable

from dsvdesk.ui.qt import QEvent, QObject, QTimer, QWidget

_waiting: list[Callable[[], None]] = []


class _PaintWatch(QObject):
    """An event filter on one window: at its first paint, hands the waiting callbacks to the event loop
    and removes itself."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            callbacks = list(_waiting)
            _waiting.clear()
            for callback in callbacks:
                QTimer.singleShot(0, callback)
            self.deleteLater()
        return False


def after_first_paint(callback: Callable[[], None]) -> None:
    """Run ``callback`` from the event loop once the next watched window has painted (what start-up
    defers must not delay the sign-in window's first paint, however long building it took)."""
    _waiting.append(callback)


def watch(window: QWidget) -> None:
    """Run the waiting callbacks once ``window`` has painted (nothing to do when none wait)."""
    if _waiting and window.isWindow():
        window.installEventFilter(_PaintWatch(window))


def waiting() -> int:
    """How many callbacks wait for a first paint."""
    return len(_waiting)
