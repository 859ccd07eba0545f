"""Debounced autosave: every change reaches the store within ``DEBOUNCE_MS`` of the last keystroke.

Pending changes are kept per answer id (the latest value wins) until the store has *committed* them, so a
failed save (disk full, database locked, a conflict) never drops what was typed: the changes stay
pending, the user is told calmly, and the next attempt sends them again.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Protocol

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.store.errors import SaveConflict
from dsvdesk.ui.qt import QObject, QTimer, Signal

DEBOUNCE_MS = 250  # wait for a pause in typing this long before saving ...
MAX_WAIT_MS = 300  # ... but never keep a change unsaved longer than this, even while typing goes on
RETRY_MS = 3000  # after an environment problem (locked, disk full), try again this often


class AnswerSink(Protocol):
    """Where answers go: the store (``StoreSink``) or, in widget tests, a dict."""

    def save(self, answer_id: str, value: Any) -> None:
        """Commit one answer; raise ``SaveConflict`` / ``UserFacingError`` / anything else on failure."""


class Autosaver(QObject):
    saved = Signal(str)  # "hh:mm:ss" of the last commit
    conflict = Signal(object)  # the SaveConflict; the owner rebases and calls resume()
    failed = Signal(object)  # a UserFacingError that is not a conflict; changes stay pending
    pending_changed = Signal(int)

    def __init__(self, sink: AnswerSink, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sink = sink
        self.pending: dict[str, Any] = {}
        self.paused = False
        self.last_saved: str = ""
        self._oldest_pending: float | None = None  # monotonic time of the oldest unsaved change
        self.failing = False  # after an environment problem only the retry timer tries again
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.flush)

    def change(self, answer_id: str, value: Any) -> None:
        self.pending.pop(answer_id, None)  # re-insert: saves happen in the order last edited
        self.pending[answer_id] = value
        self.pending_changed.emit(len(self.pending))
        now = time.monotonic()
        if self._oldest_pending is None:
            self._oldest_pending = now
        if not self.paused and not self.failing:
            waited_ms = (now - self._oldest_pending) * 1000
            self._timer.start(max(0, min(DEBOUNCE_MS, int(MAX_WAIT_MS - waited_ms))))

    def flush(self) -> bool:
        """Save everything pending now. True when nothing is left pending."""
        self._timer.stop()
        if self.paused:
            return not self.pending
        while self.pending:
            answer_id, value = next(iter(self.pending.items()))
            try:
                self.sink.save(answer_id, value)
            except SaveConflict as exc:
                self.paused = True
                log.ui.info("save conflict on answer %s", answer_id)
                self.conflict.emit(exc)
                return False
            except UserFacingError as exc:
                log.ui.warning("save of answer %s failed: %s", answer_id, type(exc).__name__)
                self.failing = True  # no save per keystroke against a locked or full disk
                self.failed.emit(exc)
                self._timer.start(RETRY_MS)
                return False
            # The value may have changed again while the sink was busy; only drop what was saved.
            if answer_id in self.pending and self.pending[answer_id] is value:
                del self.pending[answer_id]
            self.pending_changed.emit(len(self.pending))
        self._oldest_pending = None
        self.failing = False
        self.last_saved = dt.datetime.now().strftime("%H:%M:%S")
        self.saved.emit(self.last_saved)
        return True

    def resume(self) -> None:
        """After a conflict was resolved (the sink now has the current version), save what is pending."""
        self.paused = False
        if self.pending:
            self._timer.start(0)

    def stop(self) -> None:
        """No more saves (record became read-only). Pending changes are kept for the owner to show."""
        self.paused = True
        self._timer.stop()
