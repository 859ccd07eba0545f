"""``RecordListModel``: a lazy table over the store's paged record queries.

The model reports every matching record as a row (``rowCount`` is the store's count) but holds only
the pages the view has recently painted: ``data()`` asks the store for the page a row falls in, and a
small least-recently-used cache of pages keeps what is on screen (issue 9: scrolling 100,000 records
end to end must not keep 100,000 rows in memory). Sorting and searching are handed to the store's
query (indexed columns, FTS5 for names and references), never done here; any change of query, or a
``reload()`` after something was saved, empties the cache, so a row number always maps to the record
the store puts at that position for the current query. The review queue (issue 7) reuses this model
with its own ``RecordQuery`` (status filter, flags, officer) and, if it wants, its own ``columns``.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dsvdesk import log
from dsvdesk.engine.vocabulary import Vocabulary, words
from dsvdesk.errors import UserFacingError
from dsvdesk.ui.qt import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from dsvdesk.ui.wizard.values import display_date

PAGE_SIZE = 200
# Pages kept in memory: a tall window shows under 100 rows, and a column's size hint samples one page
# (see home.RecordTable), so eight pages cover the screen, a scroll back and forth, and a sample.
MAX_CACHED_PAGES = 8
RECORD_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # the RecordRow behind a row
SORTING_BY_NAME = "Sorting by name…"  # what a list says while its sort waits (ui/name_sort.py)
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 2

STATUS_LABELS = {
    "draft": "Draft",
    "returned": "Returned — see comments",
    "submitted": "Submitted",
    "approved": "Approved",
}


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the store's sort key for this column ("" = not sortable)
    title: str
    text: Callable[[Any], str]
    align_right: bool = False


def _when(value: str | None) -> str:
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%d/%m/%Y %H:%M")


def _refs(row: Any) -> str:
    return " / ".join(r for r in (row.cad_ref, row.cris_ref) if r)


def record_columns(vocabulary: Vocabulary) -> tuple[Column, ...]:
    """The record list's columns; grades are shown with the forms' labels (`vocabulary_for(forms)`)."""
    return (
        *DEFAULT_COLUMNS[:4],
        Column("grade", "Grade", lambda r: vocabulary.grade_label(r.grade) if r.grade else ""),
        *DEFAULT_COLUMNS[5:],
    )


DEFAULT_COLUMNS: tuple[Column, ...] = (  # grades in words; record_columns(vocabulary) gives the forms' labels
    Column("victim_name", "Victim", lambda r: r.victim_name or "(not yet entered)"),
    Column(
        "incident_date", "Incident date", lambda r: display_date(r.incident_date) if r.incident_date else ""
    ),
    Column("", "CAD / CRIS", _refs),
    Column("status", "Status", lambda r: STATUS_LABELS.get(str(r.status), str(r.status))),
    Column("grade", "Grade", lambda r: words(r.grade) if r.grade else ""),
    Column(
        "yes_count", "DASH yes", lambda r: "" if r.yes_count is None else str(r.yes_count), align_right=True
    ),
    Column("completeness", "Complete", lambda r: f"{r.completeness}%", align_right=True),
    Column("updated_at", "Last saved", lambda r: _when(r.updated_at)),
)


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """What to list. Passed as keyword arguments to the store's list/count calls."""

    search: str = ""
    sort: str = "updated_at"
    descending: bool = True
    statuses: tuple[str, ...] = ()
    mine_only: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


# (query, offset, limit) -> rows ; (query) -> total count. Bound to a Store and Session by the caller.
FetchRows = Callable[[RecordQuery, int, int], Sequence[Any]]
CountRows = Callable[[RecordQuery], int]


class RecordListModel(QAbstractTableModel):
    """Rows = the store's count for ``query``; row data fetched a page at a time, on demand."""

    # A page could not be read (database locked, gone, ...): the message for the user. Emitted at most
    # once per query; connect it queued, since it can fire while the view is painting.
    fetch_failed = Signal(str)
    # A sort the model is waiting to apply (``waits_for``): what to tell the user ("Sorting by name…"),
    # then "" once it is applied or given up for another.
    sort_waiting = Signal(str)

    def __init__(
        self,
        fetch: FetchRows,
        count: CountRows,
        *,
        query: RecordQuery | None = None,
        columns: Sequence[Column] = DEFAULT_COLUMNS,
        page_size: int = PAGE_SIZE,
        max_cached_pages: int = MAX_CACHED_PAGES,
        waits_for: Callable[[str], bool] | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        if page_size < 1 or max_cached_pages < 1:
            raise ValueError("page_size and max_cached_pages must be at least 1")
        self._fetch = fetch
        self._count = count
        # sort key -> whether a sort by it must wait (the session's name order still being made:
        # ui/name_sort.py); the waiting sort is applied by ``apply_waiting_sort``
        self._waits_for = waits_for
        self.waiting_sort: tuple[str, bool] | None = None
        self.columns = tuple(columns)
        self.page_size = page_size
        self.max_cached_pages = max_cached_pages
        self.query = query or RecordQuery()
        self._pages: OrderedDict[int, tuple[Any, ...]] = OrderedDict()  # page number -> rows, LRU order
        self._total = 0
        self._failed = False
        self.reload()

    # --- loading ----------------------------------------------------------------------------------
    def reload(self) -> None:
        """Count again and forget every cached page (after a search, a sort or a change saved elsewhere).
        The first page is read at once: it is what the view paints first."""
        total = self._count(self.query)
        first: tuple[Any, ...] = tuple(self._fetch(self.query, 0, self.page_size)) if total else ()
        self.beginResetModel()
        self._total = total
        self._pages.clear()
        self._failed = False
        if first:
            self._pages[0] = first
        self.endResetModel()

    def set_query(self, query: RecordQuery) -> None:
        self.query = query
        self.reload()

    def set_search(self, text: str) -> None:
        if text.strip() != self.query.search:
            self.set_query(replace(self.query, search=text.strip()))

    @property
    def total(self) -> int:
        """All matching records (every one is a row; only recently shown pages are in memory)."""
        return self._total

    @property
    def cached_rows(self) -> int:
        """Rows held in memory now (at most ``page_size * max_cached_pages``)."""
        return sum(len(page) for page in self._pages.values())

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        """Never: every row is already counted; their data arrives page by page in ``data()``."""
        return False

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008
        """Nothing to do (see ``canFetchMore``); kept so callers written for incremental models work."""

    def _page(self, number: int) -> tuple[Any, ...]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        try:
            page = tuple(self._fetch(self.query, number * self.page_size, self.page_size))
        except UserFacingError as exc:
            # data() runs inside paint events: no dialog from here. Blank rows now, one message
            # (queued by the receiver) and a retry on the next reload.
            page = ()
            log.ui.warning("record list page %d could not be read (%s)", number, type(exc).__name__)
            if not self._failed:
                self._failed = True
                self.fetch_failed.emit(exc.message)
        self._pages[number] = page
        while len(self._pages) > self.max_cached_pages:
            self._pages.popitem(last=False)
        return page

    # --- table ------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        # Called for every painted cell and role while scrolling: plain int comparisons only, and the
        # store is asked for a page only for the roles that read a row.
        role = int(role)
        if role not in _ROLES_WITH_DATA or not index.isValid():
            return None
        column_number = index.column()
        if not 0 <= column_number < len(self.columns):
            return None
        if role == _ALIGNMENT_ROLE:
            return _ALIGN_RIGHT if self.columns[column_number].align_right else _ALIGN_LEFT
        row = self.record_at(index.row())
        if row is None:
            return None
        if role in _TEXT_ROLES:
            return self.columns[column_number].text(row)
        if role == RECORD_ROLE:
            return row
        if role == _TOOLTIP_ROLE and str(row.status) == "returned":
            return "Returned by the supervisor: open it to see their comments beside the questions."
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _ROW_FLAGS

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or not self.columns[column].key:
            return
        key, descending = self.columns[column].key, order == Qt.SortOrder.DescendingOrder
        if self._waits_for is not None and self._waits_for(key):
            # the rows stay as they are until the order is there; the tab says so meanwhile
            self.waiting_sort = (key, descending)
            self.sort_waiting.emit(SORTING_BY_NAME)
            return
        if self.waiting_sort is not None:  # another column chosen meanwhile: that one, at once
            self.waiting_sort = None
            self.sort_waiting.emit("")
        if (key, descending) == (self.query.sort, self.query.descending):
            # already so (the view re-applies its sort indicator when it is set up): no second query
            return
        self.set_query(replace(self.query, sort=key, descending=descending))

    def apply_waiting_sort(self) -> None:
        """Apply the sort that was waiting (``waits_for`` no longer holds it back), if any."""
        if self.waiting_sort is None:
            return
        key, descending = self.waiting_sort
        self.waiting_sort = None
        if (key, descending) != (self.query.sort, self.query.descending):
            self.set_query(replace(self.query, sort=key, descending=descending))
        self.sort_waiting.emit("")

    def record_at(self, row: int) -> Any:
        """The row object (e.g. a ``RecordRow``) at ``row`` for the current query, read from the store
        if its page is not cached; None outside the list or if the store has fewer rows than counted."""
        if not 0 <= row < self._total:
            return None
        number, offset = divmod(row, self.page_size)
        page = self._page(number)
        return page[offset] if offset < len(page) else None

    def row_of(self, record_id: str) -> int:
        """The row of ``record_id`` among the cached pages (the ones recently shown), or -1."""
        for number, page in self._pages.items():
            for offset, row in enumerate(page):
                if row.id == record_id:
                    return number * self.page_size + offset
        return -1


# Role numbers and constant answers, computed once: PySide6 enum arithmetic is slow in a paint loop.
_TEXT_ROLES = frozenset({int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.AccessibleTextRole)})
_ALIGNMENT_ROLE = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP_ROLE = int(Qt.ItemDataRole.ToolTipRole)
_ROLES_WITH_DATA = _TEXT_ROLES | {_ALIGNMENT_ROLE, _TOOLTIP_ROLE, RECORD_ROLE}
_ALIGN_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
