"""Home: "My forms" — the signed-in user's records, newest first, searchable, with "New …" buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dsvdesk.engine.vocabulary import vocabulary_for
from dsvdesk.ui import messages
from dsvdesk.ui.models.records import RecordListModel, RecordQuery, record_columns
from dsvdesk.ui.qt import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QModelIndex,
    QPushButton,
    Qt,
    QTableView,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from dsvdesk.ui.search_row import build_search_row, show_waiting_sort
from dsvdesk.ui.table_sizing import SIZING_ROWS, fit_columns_once

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.ui.context import AppContext

SEARCH_DELAY_MS = 200


class RecordTable(QTableView):
    """A table of records; Enter or double-click opens the current one."""

    def __init__(
        self, model: RecordListModel, on_open: Callable[[str], object], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setModel(model)
        self._on_open = on_open
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # the indicator first: enabling sorting sorts by it, which is the model's query already
        self.horizontalHeader().setSortIndicator(len(model.columns) - 1, Qt.SortOrder.DescendingOrder)
        self.setSortingEnabled(True)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Column widths are sized from the first rows, once (table_sizing.fit_columns_once), not
        # from Qt's default 1,000: the model reads rows from the store page by page.
        self.horizontalHeader().setResizeContentsPrecision(min(SIZING_ROWS, model.page_size))
        self.verticalHeader().setVisible(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab leaves the table, as users expect
        self.doubleClicked.connect(self._open_index)

    def keyPressEvent(self, event):  # type: ignore[no-untyped-def]
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._open_index(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _open_index(self, index: QModelIndex) -> None:
        model = self.model()
        assert isinstance(model, RecordListModel)
        record = model.record_at(index.row())
        if record is not None:
            self._on_open(record.id)


class HomeTab(QWidget):
    def __init__(
        self,
        context: AppContext,
        on_new: Callable[[FormSpec], object],
        on_open: Callable[[str], object],
        forms: list[FormSpec],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.stale = False  # something changed while another tab was shown
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        top = QHBoxLayout()
        heading = QLabel(f"My forms — {context.session.user.full_name}", self)
        heading.setObjectName("pageTitle")
        top.addWidget(heading, 1)
        self.new_buttons: dict[str, QPushButton] = {}
        for spec in forms:
            from dsvdesk.ui.context import new_button_text

            button = QPushButton(new_button_text(spec), self)
            button.setObjectName("newButton")
            button.setToolTip(f"Start a new {spec.title}")
            button.setAccessibleName(f"{new_button_text(spec)}: {spec.title}")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, s=spec: on_new(s))
            top.addWidget(button)
            self.new_buttons[spec.id] = button
        layout.addLayout(top)

        row = build_search_row(
            self, hint="Name, CAD or CRIS reference", accessible_name="Search my forms by name or reference"
        )
        self.search, self.count_label = row.search, row.count_label
        layout.addLayout(row.layout)

        self.model = RecordListModel(
            context.list_records,
            context.count_records,
            query=RecordQuery(mine_only=True),
            columns=record_columns(vocabulary_for(context.forms.values())),
            waits_for=context.sort_waits_for,
        )
        self.sort_label = row.sort_label
        show_waiting_sort(self.model, self.sort_label, context)
        self.table = RecordTable(self.model, on_open, self)
        self.table.setAccessibleName("My forms")
        layout.addWidget(self.table, 1)
        fit_columns_once(self.table, self.model)
        # Queued: the model finds out while the table paints, and a message box must not open there.
        self.model.fetch_failed.connect(self._show_fetch_problem, Qt.ConnectionType.QueuedConnection)
        self.empty_label = QLabel(
            "No forms yet. Use the “New …” button above to start one." if forms else "No forms yet.", self
        )
        self.empty_label.setObjectName("hint")
        layout.addWidget(self.empty_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self._update_count()

    def _show_fetch_problem(self, message: str) -> None:
        messages.error(self, "Some forms could not be listed", message)

    def _run_search(self) -> None:
        self.model.set_search(self.search.text())
        self._update_count()

    def refresh(self) -> None:
        self.stale = False
        self.model.reload()
        self._update_count()

    def _update_count(self) -> None:
        total = self.model.total
        self.count_label.setText(f"{total:,} form{'s' if total != 1 else ''}")
        self.empty_label.setVisible(total == 0 and not self.search.text().strip())
