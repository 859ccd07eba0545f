"""Slow work off the UI thread: ``Op(parent, fn).success(cb).failure(cb).run()``.

``fn`` runs on a worker thread and must not touch widgets or the GUI's ``Store`` (sqlite3 connections
must not cross threads): give it plain data and let it open its own connection. The callbacks run back
on the GUI thread. Failures with a ``UserFacingError`` are shown as they are; anything else is logged
with its traceback and shown calmly (``messages.unexpected``). A busy indicator appears when the work
takes longer than a moment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.ui import messages
from dsvdesk.ui.marking import current_marking
from dsvdesk.ui.qt import QObject, QProgressDialog, QRunnable, Qt, QThreadPool, QWidget, Signal

T = TypeVar("T")

# Ops that are running keep a reference here so Python does not collect them under Qt's feet.
_running: set[Op[Any]] = set()


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted from the worker are queued to it."""

    succeeded = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:
            self._relay.failed.emit(exc)
            return
        self._relay.succeeded.emit(result)


class Op(Generic[T]):
    def __init__(self, parent: QWidget | None, fn: Callable[[], T], *, label: str = "Working…") -> None:
        self._parent = parent
        self._fn = fn
        self._label = label
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[BaseException], bool | None] | None = None
        self._relay = _Relay()
        self._progress: QProgressDialog | None = None
        self.done = False
        self._parent_gone = False
        if parent is not None:
            # the screen may close (sign-out) while the work runs: its result then has nowhere to go
            parent.destroyed.connect(self._forget_parent)

    def _forget_parent(self, *_args: object) -> None:
        self._parent_gone = True
        self._parent = None
        self._progress = None  # deleted with its parent

    def success(self, callback: Callable[[T], None]) -> Op[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], bool | None]) -> Op[T]:
        """``callback(exc)``; return True when it has told the user itself, so no default message is shown."""
        self._on_failure = callback
        return self

    def run(self) -> Op[T]:
        self._relay.succeeded.connect(self._succeeded, Qt.ConnectionType.QueuedConnection)
        self._relay.failed.connect(self._failed, Qt.ConnectionType.QueuedConnection)
        if self._parent is not None:
            progress = QProgressDialog(self._label, "", 0, 0, self._parent)
            progress.setCancelButton(None)
            progress.setWindowTitle(f"DSVDesk — {current_marking()}")
            progress.setWindowModality(Qt.WindowModality.WindowModal)
            progress.setMinimumDuration(400)  # quick work never flashes a dialog
            progress.setAccessibleName(self._label)
            self._progress = progress
        _running.add(self)
        QThreadPool.globalInstance().start(_Job(self._fn, self._relay))
        return self

    def _finish(self) -> None:
        self.done = True
        if self._progress is not None:
            self._progress.reset()
            self._progress.deleteLater()
            self._progress = None
        _running.discard(self)

    def _succeeded(self, result: object) -> None:
        self._finish()
        if self._parent_gone:
            log.ui.info("a background task finished after its screen was closed; result dropped")
            return
        if self._on_success is not None:
            try:
                self._on_success(result)  # type: ignore[arg-type]
            except Exception:
                log.ui.exception("error in the completion of a background task")
                messages.unexpected(self._parent)

    def _failed(self, exc: object) -> None:
        self._finish()
        assert isinstance(exc, BaseException)
        if self._parent_gone:
            log.ui.info("a background task failed after its screen was closed (%s)", type(exc).__name__)
            return
        handled = self._on_failure(exc) if self._on_failure is not None else None
        if handled:
            return
        if isinstance(exc, UserFacingError):
            messages.error(self._parent, exc.title, exc.message)
            return
        log.ui.log(logging.ERROR, "background task failed", exc_info=(type(exc), exc, exc.__traceback__))
        messages.unexpected(self._parent)


def wait_all(timeout_ms: int = 30_000) -> bool:
    """Block until background work is done (used at shutdown so a signing job is not cut off)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
