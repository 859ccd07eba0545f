"""Sorting by a sealed name without the wait (issue 22).

Victims' names are sealed per record, so a list sorted by the victim needs every record's name opened
(100,000 at a big station). ``NameOrderWarmUp`` has that done right after sign-in, off the UI thread, on
a worker's own Store (``Store.prepare_name_order``): the session's order is then held in memory (never
on disk) and a sort by name costs what any other sort costs. If the user sorts by a name before it is
ready, the list keeps its rows and says "Sorting by name…" until the order is there
(``RecordListModel(waits_for=...)``), then sorts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.store.name_order import NAME_SORTS
from dsvdesk.ui.qt import QObject, QRunnable, Qt, QThreadPool, Signal

if TYPE_CHECKING:
    from dsvdesk.store.models import Session


def prepare_name_orders(db_path: Path, session: Session, *, queue: bool) -> int:
    """On a worker thread: open, on a Store of its own, the victim names of the user's own records (My
    forms) and, for a supervisor (``queue``), of the records waiting for review, and the list values of
    the first page of each sorted by name (either way). Returns how many names were opened."""
    from dsvdesk.store import Store
    from dsvdesk.ui.models.records import PAGE_SIZE

    store = Store.open(db_path)
    try:
        # the first page each way opened too: the first sort by name shows names already opened
        opened = store.prepare_name_order(session, "victim_name", owner=session.user.id, first_rows=PAGE_SIZE)
        if queue:
            opened += store.prepare_name_order(
                session, "victim_name", status="submitted", first_rows=PAGE_SIZE
            )
        return opened
    finally:
        store.close()


class _Relay(QObject):
    """Lives on the GUI thread; the worker's result is queued to it."""

    done = Signal(object)


class _Job(QRunnable):
    def __init__(self, db_path: Path, session: Session, queue: bool, relay: _Relay) -> None:
        super().__init__()
        self._args = (db_path, session, queue)
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        db_path, session, queue = self._args
        try:
            result: Any = prepare_name_orders(db_path, session, queue=queue)
        except Exception as exc:  # reported on the GUI thread; sorting then opens names on demand
            result = exc
        self._relay.done.emit(result)


class NameOrderWarmUp(QObject):
    """The session's name order, made in the background once ``start`` is called. ``waits_for(key)``
    says whether a sort by ``key`` should wait for it; ``ready`` fires once it is there (or failed: a
    sort then opens what it needs itself, as before)."""

    ready = Signal()

    def __init__(
        self, db_path: Path, session: Session, *, queue: bool, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._db_path = db_path
        self._session = session
        self._queue = queue
        self._state = "idle"  # idle -> running -> done
        self._relay = _Relay(self)
        self._relay.done.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        self.opened = 0

    def start(self) -> None:
        if self._state != "idle":
            return
        self._state = "running"
        QThreadPool.globalInstance().start(_Job(self._db_path, self._session, self._queue, self._relay))

    @property
    def is_ready(self) -> bool:
        return self._state == "done"

    def waits_for(self, sort_key: str) -> bool:
        """True while a sort by ``sort_key`` (a sealed name) should wait for the order being made."""
        return sort_key in NAME_SORTS and self._state == "running"

    def _finished(self, result: object) -> None:
        self._state = "done"
        if isinstance(result, BaseException):
            log.ui.warning(
                "the name order was not made ahead (%s); sorts open names themselves", type(result).__name__
            )
        elif isinstance(result, int):
            self.opened = result
        self.ready.emit()
