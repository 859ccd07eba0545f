"""The review queue tab (supervisors): submitted records, oldest first, with their flags; filters for
status, flag, officer and incident dates, and the same search as the home list. Built on the home
list's lazy ``RecordListModel`` (pages fetched as the user scrolls; sorting and filtering in SQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dsvdesk.engine.vocabulary import Vocabulary
from dsvdesk.errors import UserFacingError
from dsvdesk.reporting.review_queue import (
    DEFAULT_STATUSES,
    RESUBMITTED,
    RISK_SORT,
    QueueFilter,
    QueueRow,
    ReviewQueue,
    describe_waiting,
)
from dsvdesk.ui import messages
from dsvdesk.ui.models.records import STATUS_LABELS, Column, RecordListModel, RecordQuery, _when
from dsvdesk.ui.qt import (
    QAbstractItemView,
    QColor,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QModelIndex,
    QPersistentModelIndex,
    QPushButton,
    Qt,
    QTableView,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from dsvdesk.ui.search_row import build_search_row, show_waiting_sort
from dsvdesk.ui.table_sizing import fit_columns_once
from dsvdesk.ui.wizard.values import display_date, parse_date

if TYPE_CHECKING:
    from dsvdesk.ui.context import AppContext

SEARCH_DELAY_MS = 200
QUEUE_KEY = "queue"
STATUS_CHOICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Waiting for review", DEFAULT_STATUSES),
    ("Returned to the officer", ("returned",)),
    ("Approved", ("approved",)),
    ("Any status", ()),
)


def _flags_text(row: QueueRow) -> str:
    return row.risk_and_flags


def queue_columns(vocabulary: Vocabulary) -> tuple[Column, ...]:
    """The queue's columns; grades with the forms' labels (`ReviewQueue.vocabulary()`)."""

    def grade(value: str | None) -> str:
        return vocabulary.grade_label(value) if value else ""

    return (
        Column(RISK_SORT, "Risk and flags", _flags_text),
        Column("victim_name", "Victim", lambda r: r.victim_name or "(not entered)"),
        Column(
            "incident_date",
            "Incident date",
            lambda r: display_date(r.incident_date) if r.incident_date else "",
        ),
        Column("owner", "Officer", lambda r: r.owner_name),
        Column(
            "yes_count",
            "DASH yes",
            lambda r: "" if r.yes_count is None else str(r.yes_count),
            align_right=True,
        ),
        Column("", "Officer's grade", lambda r: grade(r.officer_grade)),
        Column("grade", "Final grade", lambda r: grade(r.grade)),
        Column("completeness", "Complete", lambda r: f"{r.completeness}%", align_right=True),
        Column("submitted_at", "Submitted", lambda r: _when(r.submitted_at)),
        Column("", "Waiting", lambda r: describe_waiting(r.waiting_hours)),
        Column("", "Status", lambda r: STATUS_LABELS.get(str(r.status), str(r.status))),
    )


FLAGS_COLUMN = 0
SUBMITTED_COLUMN = 8
RISK_COLUMN = 0  # the default sort: highest risk first, then the longest wait (issue 20)


class QueueModel(RecordListModel):
    """The lazy record model with the queue's colours and tooltips for flags."""

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        row = self.record_at(index.row()) if index.isValid() else None
        if isinstance(row, QueueRow) and index.column() == FLAGS_COLUMN:
            if role == Qt.ItemDataRole.ForegroundRole and row.flags:  # urgent flags (the form says) in red
                return QColor("#b42318") if row.urgent else QColor("#8a5a00")
            if role == Qt.ItemDataRole.ToolTipRole and (row.risk_detail or row.flags):
                return "\n".join(part for part in (row.risk_detail, *row.flag_labels) if part)
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(row, QueueRow) and RESUBMITTED in row.flags:
            return f"Resubmitted after {row.return_rounds} return(s)"
        return super().data(index, role)


class ReviewQueueTab(QWidget):
    def __init__(
        self,
        context: AppContext,
        on_open: Callable[[str], object],
        parent: QWidget | None = None,
        *,
        queue: ReviewQueue | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reviewQueue")
        self.context = context
        from dsvdesk.engine.vocabulary import vocabulary_for

        grades = vocabulary_for(context.forms.values()).grade_values
        self.queue = queue or ReviewQueue(context.store, context.session, grades=grades)
        self._on_open = on_open
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        heading = QLabel("Review queue — highest risk first, then the longest waiting", self)
        heading.setWordWrap(True)
        heading.setObjectName("pageTitle")
        layout.addWidget(heading)

        filters = QHBoxLayout()
        self.status = QComboBox(self)
        self.status.setAccessibleName("Status")
        for text, statuses in STATUS_CHOICES:
            self.status.addItem(text, statuses)
        # the status says what the list shows: never cut to "Waiting for rev" (1366x768 at 150%)
        self.status.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.flag = QComboBox(self)
        self.flag.setAccessibleName("Flag")
        self.flag.addItem("Any flag", "")
        # long flag names must not take the row's width from the date fields (1920x1080 at 200%)
        self.flag.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.flag.setMinimumContentsLength(14)
        self.officer = QComboBox(self)
        self.officer.setAccessibleName("Officer")
        self.officer.addItem("Any officer", "")
        self.date_from = QLineEdit(self)
        self.date_from.setPlaceholderText("dd/mm/yyyy")
        self.date_from.setAccessibleName("Incident date from")
        self.date_from.setMaximumWidth(110)
        self.date_from.setMinimumWidth(self.date_from.fontMetrics().horizontalAdvance("dd/mm/yyyy") + 16)
        self.date_to = QLineEdit(self)
        self.date_to.setPlaceholderText("dd/mm/yyyy")
        self.date_to.setAccessibleName("Incident date to")
        self.date_to.setMaximumWidth(110)
        self.date_to.setMinimumWidth(self.date_to.fontMetrics().horizontalAdvance("dd/mm/yyyy") + 16)
        # two rows: in one, 1366x768 at 150% squeezed the status to "Waiting for rev"
        dates = QHBoxLayout()
        for row_layout, caption, widget in (
            (filters, "S&tatus", self.status),
            (filters, "&Flag", self.flag),
            (filters, "&Officer", self.officer),
            (dates, "Incident &from", self.date_from),
            (dates, "t&o", self.date_to),
        ):
            label = QLabel(caption, self)
            label.setBuddy(widget)
            row_layout.addWidget(label)
            row_layout.addWidget(widget)
        self.clear_button = QPushButton("C&lear filters", self)
        self.clear_button.setAutoDefault(False)
        dates.addWidget(self.clear_button)
        filters.addStretch(1)
        dates.addStretch(1)
        layout.addLayout(filters)
        layout.addLayout(dates)

        row = build_search_row(
            self,
            hint="Name, CAD or CRIS reference, URN",
            accessible_name="Search the queue by name or reference",
        )
        self.search, self.count_label, search_row = row.search, row.count_label, row.layout
        self.refresh_button = QPushButton("&Refresh", self)
        self.refresh_button.setAutoDefault(False)
        search_row.addWidget(self.refresh_button)
        layout.addLayout(search_row)

        self.problem_label = QLabel("", self)
        self.problem_label.setObjectName("inlineError")
        self.problem_label.setVisible(False)
        layout.addWidget(self.problem_label)

        self.filter = QueueFilter()
        self.model = QueueModel(
            self._fetch,
            self._count,
            query=RecordQuery(sort=RISK_SORT, descending=True, mine_only=False),
            columns=queue_columns(self.queue.vocabulary()),
            waits_for=context.sort_waits_for,
        )
        self.sort_label = row.sort_label
        show_waiting_sort(self.model, self.sort_label, context)
        self.table = QTableView(self)
        self.table.setObjectName("reviewQueueTable")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Records waiting for review")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # the indicator first: enabling sorting sorts by it, which is the model's query already
        self.table.horizontalHeader().setSortIndicator(RISK_COLUMN, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        self.table.doubleClicked.connect(self._open_index)
        self.table.installEventFilter(self)
        layout.addWidget(self.table, 1)
        self.empty_label = QLabel("Nothing is waiting for review.", self)
        self.empty_label.setObjectName("hint")
        layout.addWidget(self.empty_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        for combo in (self.status, self.flag, self.officer):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        for edit in (self.date_from, self.date_to):
            edit.editingFinished.connect(self.apply_filters)
        self.clear_button.clicked.connect(self.clear_filters)
        self.refresh_button.clicked.connect(self.refresh)
        self._fill_choices()
        fit_columns_once(self.table, self.model)  # not on every refresh (issue 22)
        self._update_count()

    # --- data -------------------------------------------------------------------------------------
    def _queue_filter(self, query: RecordQuery) -> QueueFilter:
        wanted: QueueFilter = query.extra.get(QUEUE_KEY, self.filter)
        return replace(
            wanted,
            search=query.search,
            sort=query.sort if query.sort else RISK_SORT,
            descending=query.descending,
        )

    def _fetch(self, query: RecordQuery, offset: int, limit: int) -> Sequence[QueueRow]:
        try:
            return self.queue.rows(self._queue_filter(query), offset=offset, limit=limit)
        except UserFacingError as exc:
            self._show_problem(exc.message)
            return []

    def _count(self, query: RecordQuery) -> int:
        try:
            total = self.queue.count(self._queue_filter(query))
        except UserFacingError as exc:
            self._show_problem(exc.message)
            return 0
        self._show_problem("")
        return total

    def _show_problem(self, text: str) -> None:
        # a bad date or a lost permission is said here, beside the filters, not in a box per keystroke
        if hasattr(self, "problem_label"):
            self.problem_label.setText(text)
            self.problem_label.setVisible(bool(text))

    def _fill_choices(self) -> None:
        try:
            flags = self.queue.flags_available()
            officers = self.queue.officers()
        except UserFacingError as exc:
            self._show_problem(exc.message)
            return
        current_flag = self.flag.currentData()
        current_officer = self.officer.currentData()
        for combo in (self.flag, self.officer):
            combo.blockSignals(True)
        while self.flag.count() > 1:
            self.flag.removeItem(1)
        for name, label in flags:
            self.flag.addItem(label, name)
        while self.officer.count() > 1:
            self.officer.removeItem(1)
        for username, full_name in officers:
            self.officer.addItem(full_name, username)
        self.flag.setCurrentIndex(max(0, self.flag.findData(current_flag)))
        self.officer.setCurrentIndex(max(0, self.officer.findData(current_officer)))
        for combo in (self.flag, self.officer):
            combo.blockSignals(False)

    def _date(self, edit: QLineEdit, what: str) -> str | None:
        """The typed date as YYYY-MM-DD ('' when blank); None (and a message) when it is not a date."""
        parsed = parse_date(edit.text())
        if parsed is None:
            return ""
        try:
            dt.date.fromisoformat(parsed)
        except ValueError:
            self._show_problem(
                f"The {what} date '{edit.text().strip()}' is not a date; write it as dd/mm/yyyy."
            )
            return None
        return parsed

    def apply_filters(self) -> None:
        date_from = self._date(self.date_from, "from")
        date_to = self._date(self.date_to, "to")
        if date_from is None or date_to is None:
            return
        statuses = self.status.currentData()
        self.filter = QueueFilter(
            statuses=tuple(statuses) if statuses is not None else DEFAULT_STATUSES,
            flag=str(self.flag.currentData() or ""),
            officer=str(self.officer.currentData() or ""),
            date_from=date_from,
            date_to=date_to,
        )
        self.empty_label.setText(
            "Nothing is waiting for review."
            if self.filter == QueueFilter()
            else "No records match these filters."
        )
        query = self.model.query
        extra = {**query.extra, QUEUE_KEY: self.filter}
        self.model.set_query(replace(query, search=self.search.text().strip(), extra=extra))
        self._update_count()

    def clear_filters(self) -> None:
        for combo in (self.status, self.flag, self.officer):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.date_from.clear()
        self.date_to.clear()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.apply_filters()

    def refresh(self) -> None:
        self._fill_choices()
        self.model.reload()
        self._update_count()

    def _update_count(self) -> None:
        total = self.model.total
        self.count_label.setText(f"{total} record{'s' if total != 1 else ''}")
        self.empty_label.setVisible(total == 0)

    # --- opening ----------------------------------------------------------------------------------
    def eventFilter(self, watched: Any, event: Any) -> bool:
        from dsvdesk.ui.qt import QEvent

        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.table.currentIndex().isValid():
                self._open_index(self.table.currentIndex())
                return True
        return super().eventFilter(watched, event)

    def _open_index(self, index: QModelIndex) -> None:
        row = self.model.record_at(index.row())
        if row is not None:
            self._on_open(row.id)

    def open_row(self, row: int) -> None:
        record = self.model.record_at(row)
        if record is None:
            messages.info(self, "Review queue", "There is no record in that row.")
            return
        self._on_open(record.id)
