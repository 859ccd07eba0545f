"""Every message box DSVDesk shows is created here, and nowhere else.

One place means one tone (calm, says what happened and what to do), one protective marking on every box,
and one switch for tests: ``set_log_only(True)`` turns each box into a log record plus an entry in
``shown`` instead of a modal window, and ``confirm`` answers with a preset reply.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from dsvdesk import log
from dsvdesk.ui import qt

if TYPE_CHECKING:
    from dsvdesk.ui.qt import QMessageBox, QWidget

# QMessageBox is looked up as ``qt.QMessageBox`` when a box is shown, not imported above: the sign-in
# window imports this module, and most starts show no message box before it (see dsvdesk/ui/qt.py).

DEFAULT_MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True, slots=True)
class ShownMessage:
    kind: str  # "error" | "warning" | "info" | "confirm"
    title: str
    text: str
    details: str = ""


class _State:
    log_only = False
    confirm_reply = True  # what `confirm` answers in log-only mode
    marking = DEFAULT_MARKING
    shown: ClassVar[deque[ShownMessage]] = deque(maxlen=200)


def set_log_only(enabled: bool, *, confirm_reply: bool = True) -> None:
    """Tests (and a future --no-dialogs mode) record messages instead of opening modal boxes."""
    _State.log_only = enabled
    _State.confirm_reply = confirm_reply
    _State.shown.clear()


def set_marking(marking: str) -> None:
    _State.marking = marking or DEFAULT_MARKING


def shown() -> list[ShownMessage]:
    """Messages recorded in log-only mode, oldest first."""
    return list(_State.shown)


def _record(kind: str, title: str, text: str, details: str) -> None:
    _State.shown.append(ShownMessage(kind, title, text, details))
    # Message texts are written by us and never contain answers, so they may be logged.
    level = logging.WARNING if kind in {"error", "warning"} else logging.INFO
    log.ui.log(level, "%s message: %s - %s", kind, title, text)


def _box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str, details: str) -> QMessageBox:
    box = qt.QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle(f"{title} — {_State.marking}")
    box.setText(text)
    box.setInformativeText(_State.marking)
    if details:
        box.setDetailedText(details)
    box.setObjectName("dsvdesk-message")
    return box


def error(parent: QWidget | None, title: str, text: str, *, details: str = "") -> None:
    if _State.log_only:
        _record("error", title, text, details)
        return
    _box(parent, qt.QMessageBox.Icon.Warning, title, text, details).exec()


def warning(parent: QWidget | None, title: str, text: str, *, details: str = "") -> None:
    if _State.log_only:
        _record("warning", title, text, details)
        return
    _box(parent, qt.QMessageBox.Icon.Warning, title, text, details).exec()


def info(parent: QWidget | None, title: str, text: str) -> None:
    if _State.log_only:
        _record("info", title, text, "")
        return
    _box(parent, qt.QMessageBox.Icon.Information, title, text, "").exec()


def confirm(
    parent: QWidget | None, title: str, text: str, *, yes_text: str = "&Yes", no_text: str = "&No"
) -> bool:
    """Ask a yes/no question; the safe answer (No) is the default button so Enter never confirms by accident."""
    if _State.log_only:
        _record("confirm", title, text, "")
        return _State.confirm_reply
    box = _box(parent, qt.QMessageBox.Icon.Question, title, text, "")
    yes = box.addButton(yes_text, qt.QMessageBox.ButtonRole.YesRole)
    no = box.addButton(no_text, qt.QMessageBox.ButtonRole.NoRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes


def unexpected(parent: QWidget | None, *, what: str = "") -> None:
    """The calm face of a bug: the traceback is already in the log file; say where it is, and that work is safe."""
    where = log.log_file_path()
    action = f" while {what}" if what else ""
    error(
        parent,
        "Something went wrong",
        f"DSVDesk hit an unexpected problem{action}. Everything saved so far is safe, and the form is "
        f"still open as you left it.\n\nThe details were written to the log file:\n{where}\n\n"
        "If it happens again, give that file to your IT support.",
    )
