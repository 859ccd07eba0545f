"""The compliance dashboard tab (supervisors): figures for a chosen period as charts people read at a
glance, each bar and tile opening the list of records behind it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.engine.vocabulary import vocabulary_of
from dsvdesk.reporting.dashboard import (
    FIGURE_NOTES,
    NOT_RECORDED,
    PRESETS,
    Dashboard,
    DashboardRecord,
    Figure,
    Period,
    compute_dashboard,
    dashboard_form_id,
    preset_period,
)
from dsvdesk.ui import messages
from dsvdesk.ui.dashboard.charts import PALETTE, Bar, BarChart, FigureTile
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.models.records import STATUS_LABELS
from dsvdesk.ui.ops import Op
from dsvdesk.ui.qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QComboBox,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QModelIndex,
    QPersistentModelIndex,
    QPushButton,
    QScrollArea,
    QShowEvent,
    Qt,
    QTableView,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from dsvdesk.ui.wizard.values import display_date, parse_date

if TYPE_CHECKING:
    from dsvdesk.ui.context import AppContext

CUSTOM = "custom"
DEFAULT_PRESET = "last_30_days"
# Grades are coloured by rank in the form's order, lowest teal to highest red.
GRADE_COLOURS = (PALETTE["teal"], PALETTE["amber"], PALETTE["red"])


def grade_colour(rank: int, count: int) -> str:
    if count <= 1:
        return GRADE_COLOURS[-1]
    return GRADE_COLOURS[round(rank * (len(GRADE_COLOURS) - 1) / (count - 1))]


TILES: tuple[tuple[str, str], ...] = (
    ("lifecycle.compliance_rate", "Compliance rate (approved ÷ started)"),
    ("returned.rate", "Returned to the officer"),
    ("timing.median_hours", "Median hours, submission → approval"),
    ("marac.missing", "MARAC referral required but not made"),
    ("reviews.overdue", "Risk reviews overdue"),
    ("vcop.compliance_rate", "Victims' Code contact in time"),
)
# Tiles that turn red when their figure is above nothing.
ALERT_TILES = frozenset({"marac.missing", "reviews.overdue"})


def chart_bars(board: Dashboard) -> dict[str, list[Bar]]:
    """The bars of each chart from the figures (pure; tested without painting)."""

    def bar(key: str, colour: str, label: str | None = None) -> Bar:
        figure = board.figure(key)
        value = float(figure.value or 0)
        return Bar(key, label or figure.label, value, figure.text, colour, clickable=bool(figure.record_ids))

    graded = [f for f in board.group("grade") if f.key != f"grade.{NOT_RECORDED}"]
    grades = [bar(f.key, grade_colour(rank, len(graded)), f.label) for rank, f in enumerate(graded)]
    grades += [bar(f.key, PALETTE["grey"]) for f in board.group("grade") if f not in graded]
    return {
        "lifecycle": [
            bar("lifecycle.started", PALETTE["grey"]),
            bar("lifecycle.submitted", PALETTE["blue"]),
            bar("lifecycle.approved", PALETTE["green"]),
        ],
        "grade": grades,
        "marac": [
            bar("marac.required", PALETTE["purple"]),
            bar("marac.made", PALETTE["green"]),
            bar("marac.missing", PALETTE["red"]),
        ],
        "children": [
            bar("children.with_merlin", PALETTE["green"]),
            bar("children.without_merlin", PALETTE["red"]),
        ],
        "vcop": [
            bar(f.key, VCOP_COLOURS.get(f.key, PALETTE["grey"]))
            for f in board.group("vcop")
            if f.key != "vcop.compliance_rate"
        ],
        "casework": [bar(f.key, PALETTE["red"]) for f in board.group("reviews") if f.key == "reviews.overdue"]
        + [bar(f.key, PALETTE["amber"]) for f in board.group("reviews") if f.key != "reviews.overdue"]
        + [
            bar(f.key, PALETTE["red"] if f.key.endswith(".missing") else PALETTE["purple"])
            for f in board.group("referrals")
        ],
    }


VCOP_COLOURS = {
    "vcop.first_in_time": PALETTE["green"],
    "vcop.first_late": PALETTE["red"],
    "vcop.first_pending": PALETTE["grey"],
    "vcop.event_without_contact": PALETTE["amber"],
}


CHART_TITLES = {
    "lifecycle": "Records: started, submitted, approved",
    "grade": "Risk grade of submitted records",
    "marac": "MARAC referrals",
    "children": "Records with children: Merlin PAC references",
    "vcop": "Victims' Code: contact with the victim in time",
    "casework": "Casework: risk reviews and required referrals",
}
CHART_NOTES = {"casework": "reviews"}  # the chart whose note is another group's


class FigureRecordsDialog(MarkedDialog):
    """The records behind one figure; Enter or double-click opens one."""

    def __init__(self, parent: QWidget | None, title: str, records: Sequence[DashboardRecord]) -> None:
        super().__init__(parent, title)
        self.add_heading(f"{title}: {len(records)} record{'s' if len(records) != 1 else ''}")
        self.records = list(records)
        self.table = QTableView(self)
        self.table.setObjectName("figureRecords")
        self.table.setAccessibleName("Records behind the figure")
        self.table.setModel(FigureRecordsModel(self.records, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda index: self._choose(index.row()))
        self.body.addWidget(self.table, 1)
        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton("&Open record", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("&Close", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(lambda: self._choose(self.table.currentIndex().row()))
        buttons.rejected.connect(self.reject)
        self.open_button.setEnabled(bool(self.records))
        self.body.addWidget(buttons)
        self.chosen: str | None = None
        if self.records:
            self.table.selectRow(0)
        self.resize(760, 420)
        self.table.setFocus()

    def _choose(self, row: int) -> None:
        if 0 <= row < len(self.records):
            self.chosen = self.records[row].id
            self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, records: Sequence[DashboardRecord]) -> str | None:
        """The id of the record to open, or None."""
        dialog = cls(parent, title, records)
        dialog.exec()
        return dialog.chosen


RECORD_COLUMNS = ("Victim", "Incident date", "Officer", "Status", "Grade", "URN", "Started")


class FigureRecordsModel(QAbstractTableModel):
    """A small read-only table of the records behind a figure (already in memory, at most a period's)."""

    def __init__(self, records: Sequence[DashboardRecord], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows = [
            (
                r.victim_name or "(not entered)",
                display_date(r.incident_date) if r.incident_date else "",
                r.officer,
                STATUS_LABELS.get(r.status, r.status),
                r.grade_label or r.grade or "",
                r.urn or "",
                display_date(r.created_at[:10]) if r.created_at else "",
            )
            for r in records
        ]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(RECORD_COLUMNS)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._rows[index.row()][index.column()]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(RECORD_COLUMNS)
        ):
            return RECORD_COLUMNS[section]
        return None


TILES_PER_ROW = 2


class DashboardTab(QWidget):
    computed = Signal(object)  # the Dashboard, after each run (tests and screenshots wait for it)
    _stale = False  # records changed since the figures were worked out (records_changed)

    def __init__(
        self,
        context: AppContext,
        on_open: Callable[[str], object],
        parent: QWidget | None = None,
        *,
        today: Callable[[], dt.date] = dt.date.today,
        tz: dt.tzinfo | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dashboard")
        self.context = context
        self._on_open = on_open
        self._today = today
        self._tz = tz
        self.board: Dashboard | None = None
        self.running = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        content = QWidget(scroll)
        self.content = content
        scroll.setWidget(content)
        outer.addWidget(scroll)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(10)
        heading = QLabel("Compliance dashboard", content)
        heading.setObjectName("pageTitle")
        layout.addWidget(heading)

        controls = QHBoxLayout()
        self.form = QComboBox(content)
        self.form.setAccessibleName("Form")
        forms = {
            fid: spec
            for fid, spec in context.forms.items()
            if str(spec.options.get("kind", "")).lower() not in ("report", "casework")
        }
        for fid, spec in sorted(forms.items(), key=lambda kv: kv[1].title.lower()):
            self.form.addItem(spec.title, fid)
        preferred = dashboard_form_id(forms)
        if preferred is not None:
            self.form.setCurrentIndex(max(0, self.form.findData(preferred)))
        self.preset = QComboBox(content)
        self.preset.setAccessibleName("Period")
        for name, label in PRESETS:
            self.preset.addItem(label, name)
        self.preset.addItem("Dates below", CUSTOM)
        self.preset.setCurrentIndex(self.preset.findData(DEFAULT_PRESET))
        self.date_from = QLineEdit(content)
        self.date_from.setPlaceholderText("dd/mm/yyyy")
        self.date_from.setAccessibleName("Period from")
        self.date_from.setMaximumWidth(110)
        self.date_to = QLineEdit(content)
        self.date_to.setPlaceholderText("dd/mm/yyyy")
        self.date_to.setAccessibleName("Period to")
        self.date_to.setMaximumWidth(110)
        self.show_button = QPushButton("&Show", content)
        self.show_button.setAutoDefault(False)
        for caption, widget in (
            ("F&orm", self.form),
            ("&Period", self.preset),
            ("&From", self.date_from),
            ("&To", self.date_to),
        ):
            buddy_label = QLabel(caption, content)
            buddy_label.setBuddy(widget)
            controls.addWidget(buddy_label)
            controls.addWidget(widget)
            if caption == "&Period":  # two short rows: the controls never push the page sideways
                controls.addStretch(1)
                layout.addLayout(controls)
                controls = QHBoxLayout()
        controls.addWidget(self.show_button)
        controls.addStretch(1)
        layout.addLayout(controls)

        self.period_label = QLabel("", content)
        self.period_label.setObjectName("hint")
        layout.addWidget(self.period_label)
        self.problem_label = QLabel("", content)
        self.problem_label.setObjectName("inlineError")
        self.problem_label.setWordWrap(True)
        self.problem_label.setVisible(False)
        layout.addWidget(self.problem_label)

        tiles = QGridLayout()  # rows of two: a 1366x768 screen at 150% has no room for four in a row
        self.tiles: dict[str, FigureTile] = {}
        for position, (key, caption) in enumerate(TILES):
            tile = FigureTile(key, caption, content, note=FIGURE_NOTES.get(key.split(".")[0], ""))
            tile.clicked.connect(lambda _c=False, k=key: self.show_records(k))
            tiles.addWidget(tile, position // TILES_PER_ROW, position % TILES_PER_ROW)
            self.tiles[key] = tile
        layout.addLayout(tiles)

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(14)
        self.charts: dict[str, BarChart] = {}
        for position, (group, title) in enumerate(CHART_TITLES.items()):
            note_text = FIGURE_NOTES.get(CHART_NOTES.get(group, group), "")
            if group == "casework":
                note_text += " " + FIGURE_NOTES["referrals"]
            chart = BarChart(title, content, note=note_text)
            chart.bar_activated.connect(self.show_records)
            frame = QWidget(content)
            frame.setObjectName("chartFrame")
            box = QVBoxLayout(frame)
            box.setContentsMargins(6, 6, 6, 6)
            box.addWidget(chart)
            note = QLabel(note_text, frame)
            note.setObjectName("hint")
            note.setWordWrap(True)
            box.addWidget(note)
            grid.addWidget(frame, position // 2, position % 2)
            self.charts[group] = chart
        layout.addLayout(grid)
        layout.addStretch(1)

        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.form.currentIndexChanged.connect(lambda _i: self.refresh())
        self.show_button.clicked.connect(self._custom_dates)
        for edit in (self.date_from, self.date_to):
            edit.returnPressed.connect(self._custom_dates)
        self._fill_dates(self.current_period())
        self.refresh()

    # --- period -----------------------------------------------------------------------------------
    def current_period(self) -> Period:
        name = str(self.preset.currentData())
        if name == CUSTOM:
            from dsvdesk.store import InvalidInput

            try:
                # parse_date keeps text it cannot read as it was typed; that is not a date here
                start = dt.date.fromisoformat(parse_date(self.date_from.text()) or "")
                end = dt.date.fromisoformat(parse_date(self.date_to.text()) or "")
            except ValueError:
                raise InvalidInput("Enter both dates of the period as dd/mm/yyyy, e.g. 01/03/2026.") from None
            return Period(start, end)
        return preset_period(name, self._today())

    def _fill_dates(self, period: Period) -> None:
        self.date_from.setText(period.start.strftime("%d/%m/%Y"))
        self.date_to.setText(period.end.strftime("%d/%m/%Y"))

    def _preset_changed(self) -> None:
        if self.preset.currentData() != CUSTOM:
            self._fill_dates(self.current_period())
            self.refresh()

    def _custom_dates(self) -> None:
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(self.preset.findData(CUSTOM))
        self.preset.blockSignals(False)
        self.refresh()

    def set_period(self, start: dt.date, end: dt.date) -> None:
        self.date_from.setText(start.strftime("%d/%m/%Y"))
        self.date_to.setText(end.strftime("%d/%m/%Y"))
        self._custom_dates()

    # --- computing --------------------------------------------------------------------------------
    def _problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    def records_changed(self) -> None:
        """A record was saved, returned or approved: the figures are worked out again, now if the tab is
        on screen, else when it is next shown (a return shows in "Returned" at once)."""
        self._stale = True
        if self.isVisible():
            self._refresh_if_stale()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._refresh_if_stale()

    def _refresh_if_stale(self) -> None:
        if self._stale and not self.running:
            self._stale = False
            self.refresh()

    def refresh(self) -> None:
        """Work the figures out off the UI thread (its own database connection)."""
        from dsvdesk.errors import UserFacingError

        form_id = str(self.form.currentData() or "")
        if not form_id:
            self._problem("No form is available to count. Check the forms folder.")
            return
        try:
            period = self.current_period()
        except UserFacingError as exc:
            self._problem(exc.message)
            return
        self._problem("")
        self.running = True
        self.show_button.setEnabled(False)
        context, tz = self.context, self._tz
        vocabulary = vocabulary_of(context.forms[form_id])
        from dsvdesk.reporting.pack import casework_policy_of

        casework = casework_policy_of(context.forms)

        def work() -> Dashboard:
            from dsvdesk.store import Store

            worker_store = Store.open(context.db_path)
            try:
                return compute_dashboard(
                    worker_store,
                    context.session,
                    period,
                    form_id=form_id,
                    vocabulary=vocabulary,
                    tz=tz,
                    casework=casework,
                )
            finally:
                worker_store.close()

        Op(self, work, label="Working out the figures…").success(self._show).failure(self._failed).run()

    def _failed(self, exc: BaseException) -> bool:
        self.running = False
        self.show_button.setEnabled(True)
        from dsvdesk.errors import UserFacingError

        if isinstance(exc, UserFacingError):
            self._problem(exc.message)
            return True
        return False

    def _show(self, board: Dashboard) -> None:
        self.running = False
        if self._stale and self.isVisible():  # changed again while counting
            QTimer.singleShot(0, self._refresh_if_stale)
        self.show_button.setEnabled(True)
        self.board = board
        started = board.value("lifecycle.started")
        self.period_label.setText(
            f"{board.period.describe()} · {started} record{'s' if started != 1 else ''} started"
            + (f" · {board.message}" if board.message else "")
            + (f" · {board.coverage_line}" if board.coverage_line else "")
        )
        for key, tile in self.tiles.items():
            if not any(f.key == key for f in board.figures):  # no casework form: nothing to count
                tile.set_value("n/a")
                tile.setAccessibleDescription("No casework form is installed")
                continue
            figure = board.figure(key)
            alert = key in ALERT_TILES and bool(figure.value)
            tile.set_value(figure.text, alert=alert)
            # always pressable (a greyed tile read as "not working", issue 20): with no records behind
            # the figure, pressing it says so
            tile.setAccessibleDescription("" if figure.record_ids else "No records are behind this figure")
        for group, bars in chart_bars(board).items():
            self.charts[group].set_bars(bars)
        # the charts grew or shrank: lay their frames and the page out again now (a hidden tab
        # would otherwise keep the old heights until it is resized)
        for chart in self.charts.values():
            frame = chart.parentWidget()
            frame_layout = frame.layout() if frame is not None else None
            if frame_layout is not None:
                frame_layout.invalidate()
                frame_layout.activate()
        page_layout = self.content.layout()
        if page_layout is not None:
            page_layout.invalidate()
            page_layout.activate()
        log.ui.info("dashboard shown for %d day(s)", board.period.days)
        self.computed.emit(board)

    # --- click-through ----------------------------------------------------------------------------
    def figure(self, key: str) -> Figure | None:
        return self.board.figure(key) if self.board is not None else None

    def show_records(self, key: str) -> None:
        if self.board is None:
            return
        figure = self.board.figure(key)
        records = self.board.records_for(key, self.context.store)
        if not records:
            messages.info(self, figure.label, "No records are behind this figure.")
            return
        chosen = FigureRecordsDialog.ask(self, f"{figure.label} ({self.board.period.describe()})", records)
        if chosen is not None:
            self._on_open(chosen)
