"""How the cold-start children see the first paint of a window: the same instrument for DSVDesk and
for its floor.

``report_first_paint()`` wraps ``QWidget.show``, ``QDialog.exec`` and ``QDialog.open`` (the calls that
show a window from Python) so each window they show gets an event filter of its own; at the first
paint of a top-level window the child prints ``SHOWN <window class>`` and exits at once. Call it before
the app shows anything; nothing in DSVDesk is changed.

Not an application-wide filter: PySide hands such a filter every event of every object and builds the
Python class, with its enums, of each object it passes in (the style object the stylesheet makes:
``QStyle``'s enums, ~7 ms). DSVDesk has no application-wide filter, so that cost would be the
instrument's, not the app's, and it would fall on the app (which has a stylesheet and many widgets)
far more than on the bare window.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QDialog, QWidget


def _print_shown(window: QWidget) -> None:
    print(f"SHOWN {type(window).__name__}", flush=True)


class _FirstPaint(QObject):
    report = staticmethod(_print_shown)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget) and watched.isWindow():
            self.report(watched)
            os._exit(0)
        return False


_watch = _FirstPaint()


# (no ``typing`` nor ``functools.wraps`` here: the floor would import typing, ~3 ms, and reading a PySide
# method's ``__doc__`` loads PySide's signature machinery)
def _watching(show):  # type: ignore[no-untyped-def]
    def shown(widget: QWidget, *args: object) -> object:
        widget.window().installEventFilter(_watch)
        return show(widget, *args)

    return shown


def report_first_paint(report=None) -> None:  # type: ignore[no-untyped-def]
    """Watch each window shown from now on; at the first paint, ``report(window)`` (by default: print
    ``SHOWN <class>``), then exit."""
    if report is not None:
        _watch.report = report
    QWidget.show = _watching(QWidget.show)  # type: ignore[method-assign]
    QDialog.exec = _watching(QDialog.exec)  # type: ignore[method-assign]
    QDialog.open = _watching(QDialog.open)  # type: ignore[method-assign]
