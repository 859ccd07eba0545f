"""The supervisor's "Board reports" tab: their reports (lazy table), New, Open and Export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dsvdesk.ui.context import new_button_text
from dsvdesk.ui.home import RecordTable
from dsvdesk.ui.models.records import STATUS_LABELS, Column, RecordListModel, RecordQuery
from dsvdesk.ui.qt import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from dsvdesk.ui.wizard.values import display_date

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.store.models import RecordRow
    from dsvdesk.ui.context import AppContext

SCAN_PAGE = 500  # the store's list is read in pages this big while picking out the board reports


def _saved_at(value: str | None) -> str:
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return (moment.astimezone() if moment.tzinfo is not None else moment).strftime("%d/%m/%Y %H:%M")


def _column(row: Any, name: str) -> str:
    value = (row.columns or {}).get(name)
    return "" if value is None else str(value)


def _period(row: Any) -> str:
    start, end = _column(row, "period_from"), _column(row, "period_to")
    if not start and not end:
        return ""
    return f"{display_date(start) if start else '…'} – {display_date(end) if end else '…'}"


BOARD_COLUMNS: tuple[Column, ...] = (
    Column("", "Report no.", lambda r: _column(r, "report_number") or "(not yet entered)"),
    Column("", "Borough", lambda r: _column(r, "borough")),
    Column(
        "",
        "Board meeting",
        lambda r: display_date(_column(r, "meeting_date")) if _column(r, "meeting_date") else "",
    ),
    Column("", "Period covered", _period),
    Column("completeness", "Complete", lambda r: f"{r.completeness}%", align_right=True),
    Column("status", "Status", lambda r: STATUS_LABELS.get(str(r.status), str(r.status))),
    Column("updated_at", "Last saved", lambda r: _saved_at(r.updated_at)),
)


@dataclass
class BoardReportSource:
    """The signed-in supervisor's own records of the report forms, for ``RecordListModel``.

    The store lists records of every form; a supervisor's own records are few (they write reports and
    reviews, not investigations), so their list is read through and the board reports kept. Asked for
    a count, it reads afresh; asked for a page, it slices what it read."""

    context: AppContext
    form_ids: frozenset[str]
    _rows: list[RecordRow] = field(default_factory=list)
    _query: RecordQuery | None = None

    def count(self, query: RecordQuery) -> int:
        self._rows = self._scan(query)
        self._query = query
        return len(self._rows)

    def fetch(self, query: RecordQuery, offset: int, limit: int) -> Sequence[RecordRow]:
        if query != self._query:
            self.count(query)
        return self._rows[offset : offset + limit]

    def _scan(self, query: RecordQuery) -> list[RecordRow]:
        found: list[RecordRow] = []
        offset = 0
        while True:
            page = list(self.context.list_records(query, offset, SCAN_PAGE))
            found += [row for row in page if row.form_id in self.form_ids]
            if len(page) < SCAN_PAGE:
                return found
            offset += SCAN_PAGE


class BoardReportsTab(QWidget):
    def __init__(
        self,
        context: AppContext,
        forms: Sequence[FormSpec],
        *,
        on_new: Callable[[FormSpec], object],
        on_open: Callable[[str], object],
        on_export: Callable[[str], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("boardReportsTab")
        self.context = context
        self.stale = False
        self._on_open = on_open
        self._on_export = on_export
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        top = QHBoxLayout()
        heading = QLabel(f"Board reports — {context.session.user.full_name}", self)
        heading.setObjectName("pageTitle")
        top.addWidget(heading, 1)
        self.new_buttons: dict[str, QPushButton] = {}
        for spec in forms:
            label = new_button_text(spec)  # the form's own `new_label` ("New board report")
            button = QPushButton(f"&{label}" if len(forms) == 1 else label, self)
            button.setObjectName("newButton")
            button.setToolTip(f"Start a new {spec.title}")
            button.setAccessibleName(f"New board report: {spec.title}")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, s=spec: on_new(s))
            top.addWidget(button)
            self.new_buttons[spec.id] = button
        layout.addLayout(top)
        intro = QLabel(
            "Reports to the Domestic and Sexual Violence Board, with the Part A figures computed from the "
            "station's approved 124D records. Open one to write it; export it as a signed board pack.",
            self,
        )
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.source = BoardReportSource(context, frozenset(spec.id for spec in forms))
        self.model = RecordListModel(
            self.source.fetch, self.source.count, query=RecordQuery(mine_only=True), columns=BOARD_COLUMNS
        )
        self.table = RecordTable(self.model, on_open, self)
        self.table.setAccessibleName("My board reports")
        layout.addWidget(self.table, 1)
        self.table.resizeColumnsToContents()
        self.model.modelReset.connect(self.table.resizeColumnsToContents)
        self.empty_label = QLabel("No board reports yet. Use “New board report” above to start one.", self)
        self.empty_label.setObjectName("hint")
        layout.addWidget(self.empty_label)

        actions = QHBoxLayout()
        self.open_button = QPushButton("&Open", self)
        self.export_button = QPushButton("E&xport board pack…", self)
        for button in (self.open_button, self.export_button):
            button.setAutoDefault(False)
            actions.addWidget(button)
        actions.addStretch(1)
        self.count_label = QLabel("", self)
        self.count_label.setObjectName("hint")
        actions.addWidget(self.count_label)
        layout.addLayout(actions)
        self.open_button.clicked.connect(lambda: self._with_current(self._on_open))
        self.export_button.clicked.connect(lambda: self._with_current(self._on_export))
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.model.modelReset.connect(self._update_buttons)
        self._update()

    def current_id(self) -> str | None:
        index = self.table.currentIndex()
        row = self.model.record_at(index.row()) if index.isValid() else None
        return str(row.id) if row is not None else None

    def _with_current(self, action: Callable[[str], object]) -> None:
        record_id = self.current_id()
        if record_id is not None:
            action(record_id)

    def _update_buttons(self) -> None:
        chosen = self.current_id() is not None
        self.open_button.setEnabled(chosen)
        self.export_button.setEnabled(chosen)

    def refresh(self) -> None:
        self.stale = False
        self.model.reload()
        self._update()

    def _update(self) -> None:
        total = self.model.total
        self.count_label.setText(f"{total} report{'s' if total != 1 else ''}")
        self.empty_label.setVisible(total == 0)
        if total and not self.table.currentIndex().isValid():
            self.table.selectRow(0)
        self._update_buttons()
