"""``RecordListModel``: a lazy table over the store's paged record queries.

Rows arrive a page at a time through ``canFetchMore``/``fetchMore`` (the view asks as the user scrolls),
so 100,000 records never sit in memory. Sorting and searching are handed to the store's query (indexed
columns, FTS5 for names and references), never done here. The review queue (issue 7) reuses this model
with its own ``RecordQuery`` (status filter, flags, officer) and, if it wants, its own ``columns``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dsvdesk.ui.qt import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from dsvdesk.ui.wizard.values import display_date

PAGE_SIZE = 200
RECORD_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # the RecordRow behind a row
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 2

STATUS_LABELS = {
    "draft": "Draft",
    "returned": "Returned — see comments",
    "submitted": "Submitted",
    "approved": "Approved",
}
GRADE_LABELS = {"standard": "Standard", "medium": "Medium", "high": "High"}


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


DEFAULT_COLUMNS: tuple[Column, ...] = (
    Column("victim_name", "Victim", lambda r: r.victim_name or "(not yet entered)"),
    Column("incident_date", "Incident date", lambda r: display_date(r.incident_date) if r.incident_date else ""),
    Column("", "CAD / CRIS", _refs),
    Column("status", "Status", lambda r: STATUS_LABELS.get(str(r.status), str(r.status))),
    Column("grade", "Grade", lambda r: GRADE_LABELS.get(r.grade or "", r.grade or "")),
    Column("yes_count", "DASH yes", lambda r: "" if r.yes_count is None else str(r.yes_count), align_right=True),
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
    def __init__(
        self,
        fetch: FetchRows,
        count: CountRows,
        *,
        query: RecordQuery | None = None,
        columns: Sequence[Column] = DEFAULT_COLUMNS,
        page_size: int = PAGE_SIZE,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._count = count
        self.columns = tuple(columns)
        self.page_size = page_size
        self.query = query or RecordQuery()
        self._rows: list[Any] = []
        self._total = 0
        self._exhausted = False
        self._busy = False  # views and testers may ask for more from inside our own signals
        self.reload()

    # --- loading ----------------------------------------------------------------------------------
    def reload(self) -> None:
        """Start again from the first page (after a search, a sort or a change saved elsewhere)."""
        total = self._count(self.query)
        rows = list(self._fetch(self.query, 0, self.page_size))
        self._busy = True
        try:
            self.beginResetModel()
            self._total = total
            self._rows = rows
            self._exhausted = len(rows) < self.page_size or len(rows) >= total
            self.endResetModel()
        finally:
            self._busy = False

    def set_query(self, query: RecordQuery) -> None:
        self.query = query
        self.reload()

    def set_search(self, text: str) -> None:
        if text.strip() != self.query.search:
            self.set_query(replace(self.query, search=text.strip()))

    @property
    def total(self) -> int:
        """All matching records (the list may hold only the first pages of them)."""
        return self._total

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._busy

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted or self._busy:
            return
        more = list(self._fetch(self.query, len(self._rows), self.page_size))
        if len(more) < self.page_size:
            self._exhausted = True
        if not more:
            return
        first = len(self._rows)
        self._busy = True
        try:
            self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
            self._rows.extend(more)
            self.endInsertRows()
        finally:
            self._busy = False

    # --- table ------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column.align_right else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and str(row.status) == "returned":
            return "Returned by the supervisor: open it to see their comments beside the questions."
        if role == RECORD_ROLE:
            return row
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or not self.columns[column].key:
            return
        self.set_query(
            replace(self.query, sort=self.columns[column].key, descending=order == Qt.SortOrder.DescendingOrder)
        )

    def record_at(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, record_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == record_id), -1)
