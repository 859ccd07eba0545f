"""Part A for the report's period: computed off the UI thread, cached per period, shown as a table.

Computing Part A reads the station's records and logs a consultation (and one "combination" for the
repeat-victim matches not linked before), so it runs only when something needs the figures — the Part A tab is shown, a
figure is being inserted, or a paragraph quotes one — and only again when the period changes or the
supervisor presses Refresh.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.reporting import board as logic
from dsvdesk.ui.ops import Op
from dsvdesk.ui.qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QBrush,
    QColor,
    QFont,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPushButton,
    QResizeEvent,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)

if TYPE_CHECKING:
    from dsvdesk.reporting.parta import EnteredFigure, Figure, PartA, Period
    from dsvdesk.ui.context import AppContext

ZERO_WIDTH_SPACE = "\u200b"  # lets a long {{partA.a.b.c}} reference wrap at its dots in a narrow column
ENTERED_BACKGROUND = "#fff4d6"  # a warm shade, as the PDF sets entered figures apart
PANEL_STYLE = """
QLabel#panelTitle { font-weight: bold; color: #1f2d3d; }
QLabel#partAMessage { padding: 4px 0; }
QLabel#partAMessage[empty="true"] {
    background: #eef4fb; border: 1px solid #c9dbef; border-radius: 4px; padding: 8px; font-weight: bold;
    color: #1f3a5f;
}
"""


class PartAFeed(QObject):
    """The Part A figures of one period, fetched in the background. ``changed`` after every state change."""

    changed = Signal()

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.period: Period | None = None  # the period wanted
        self.part_a: PartA | None = None  # the last result (for ``computed_for``)
        self.computed_for: Period | None = None
        self.error = ""
        self.running: Period | None = None
        self._waiting: list[Callable[[], None]] = []

    @property
    def ready(self) -> bool:
        return (
            self.period is not None
            and self.part_a is not None
            and self.computed_for == self.period
            and not self.error
        )

    @property
    def busy(self) -> bool:
        return self.running is not None

    def status(self) -> str:
        """One line for the panel: what the figures are, or why there are none."""
        if self.period is None:
            return (
                "Set the period covered (from and to) on the Report details page: Part A is computed for it."
            )
        if self.error:
            return self.error
        if self.busy or not self.ready:
            return f"Computing Part A for {self.period.label}…"
        assert self.part_a is not None
        return self.part_a.message

    def want(self, period: Period | None, *, then: Callable[[], None] | None = None) -> None:
        """Make the figures of ``period`` available (computing them if not yet done); ``then`` runs once
        they are there, or once computing them has failed (it reads ``error``)."""
        self.set_period(period)
        if then is not None:
            self._waiting.append(then)
        if period is None or self.ready or self.error:  # a failure is retried by Refresh, not by typing
            self._release()
            return
        if self.running is None:
            self._start(period)

    def set_period(self, period: Period | None) -> None:
        """Note the report's period without computing anything yet."""
        if period != self.period:
            self.period = period
            self.error = ""
            self.changed.emit()

    def refresh(self) -> None:
        """Compute again (records were approved since), whatever is cached."""
        if self.period is not None and self.running is None:
            self.computed_for = None
            self.error = ""
            self._start(self.period)

    def _start(self, period: Period) -> None:
        from dsvdesk.reporting.pack import casework_policy_of, part_a_source_form

        try:
            source = self.context.forms[part_a_source_form(self.context.forms)]
            casework = casework_policy_of(self.context.forms)
        except UserFacingError as exc:
            self.error = f"Part A cannot be computed: {exc.message}"
            self.changed.emit()
            self._release()
            return
        self.running = period
        self.changed.emit()
        db_path, session = self.context.db_path, self.context.session
        # No parent widget: this is background work the supervisor did not ask to wait for (no progress box).
        Op(
            None,
            lambda: logic.compute_part_a(db_path, session, period, source, casework),
            label="Computing Part A…",
        ).success(functools.partial(self._done, period)).failure(
            functools.partial(self._failed, period)
        ).run()

    def _alive(self) -> bool:
        """False once the report's tab was closed while the figures were being computed."""
        try:
            self.objectName()
        except RuntimeError:
            return False
        return True

    def _done(self, period: Period, result: PartA) -> None:
        if not self._alive():
            return
        self.running = None
        self.part_a, self.computed_for = result, period
        log.ui.info("Part A computed for the board report view (%d records)", result.records)
        self._after(period)

    def _failed(self, period: Period, exc: BaseException) -> bool:
        if not self._alive():
            return True
        self.running = None
        if isinstance(exc, UserFacingError):
            self.error = f"Part A cannot be computed: {exc.message}"
        else:
            log.ui.error("Part A computation failed", exc_info=(type(exc), exc, exc.__traceback__))
            self.error = (
                "Part A could not be computed because of an unexpected problem (details in the log file)."
            )
        self.computed_for = None
        if period == self.period:
            self.changed.emit()
            self._release()
        else:
            self.error = ""
            self._after(period)
        return True  # told the user in the panel

    def _after(self, period: Period) -> None:
        if self.period is not None and period != self.period:
            self._start(self.period)  # the period changed while computing: the result is stale
            return
        self.changed.emit()
        self._release()

    def _release(self) -> None:
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback()


class FiguresModel(QAbstractTableModel):
    """Part A figures in two columns that fit a side panel: the figure (its name, then the reference a
    paragraph quotes and its group on a second line, with the source for figures entered by hand) and
    its value. Entered figures shaded and
    italic."""

    HEADERS = ("Figure", "Value")
    VALUE_COLUMN = 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.figures: list[Figure] = []

    def set_figures(self, figures: Sequence[Figure]) -> None:
        self.beginResetModel()
        self.figures = list(figures)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.figures)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    @staticmethod
    def figure_text(figure: Figure, *, wrappable: bool) -> str:
        token = logic.token_for(figure.key)
        if wrappable:
            token = token.replace(".", "." + ZERO_WIDTH_SPACE).replace("_", "_" + ZERO_WIDTH_SPACE)
        if figure.computed:  # every computed figure has the same source: said in the tooltip, not per row
            return f"{figure.label}\n{token} · {figure.group}"
        return f"✎ {figure.label}\n{token} · {figure.group} · {figure.source}"

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.figures):
            return None
        figure = self.figures[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if index.column() == self.VALUE_COLUMN:
                return figure.value
            return self.figure_text(figure, wrappable=role == Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignRight
                if index.column() == self.VALUE_COLUMN
                else Qt.AlignmentFlag.AlignLeft
            )
            return int(horizontal | Qt.AlignmentFlag.AlignTop)
        if role == Qt.ItemDataRole.BackgroundRole and not figure.computed:
            return QBrush(QColor(ENTERED_BACKGROUND))
        if role == Qt.ItemDataRole.FontRole and not figure.computed:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            kind = "computed by DSVDesk" if figure.computed else "entered by hand"
            return (
                f"{figure.label} ({kind}; source: {figure.source}). Quote it as {logic.token_for(figure.key)}"
            )
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None


class FiguresTable(QTableView):
    """The figures in a side panel: both columns fit the panel's width (never a sideways scroll, never
    a clipped header); long texts wrap and the rows grow, so every cell is reached by scrolling down."""

    MARGIN = 14  # a cell's text margins and grid line, in pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)  # rows of 2-4 lines
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def header_width(self, column: int) -> int:
        """The width the column's header text needs."""
        return int(self.horizontalHeader().sectionSizeFromContents(column).width())

    def fit_columns(self) -> None:
        """The value column as wide as its widest value (or header), the figure column the rest."""
        model = self.model()
        if model is None or model.columnCount() != len(FiguresModel.HEADERS):
            return
        metrics = self.fontMetrics()
        value = FiguresModel.VALUE_COLUMN
        values = (str(model.data(model.index(row, value)) or "") for row in range(model.rowCount()))
        wide = max((metrics.horizontalAdvance(v) + self.MARGIN for v in values), default=0)
        value_width = max(self.header_width(value), wide)
        self.setColumnWidth(value, value_width)
        self.setColumnWidth(
            1 - value, max(self.header_width(1 - value), self.viewport().width() - value_width)
        )


class PartAPanel(QWidget):
    """The Part A preview: the period, the one-line message ("No records in this period." when empty)
    and every figure with the reference a paragraph can quote."""

    def __init__(self, feed: PartAFeed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.feed = feed
        self._entered: tuple[EnteredFigure, ...] = ()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        # one row: what the figures are (the message names the period) and Refresh; the tab already
        # says "Part A figures", so the table keeps the height (1366x768 at 150%)
        top = QHBoxLayout()
        self.message = QLabel("", self)
        self.message.setObjectName("partAMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAccessibleName("Part A status")
        top.addWidget(self.message, 1)
        self.refresh_button = QPushButton("&Refresh", self)
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.setToolTip("Compute the figures again (e.g. after more records were approved)")
        self.refresh_button.clicked.connect(feed.refresh)
        top.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        self.model = FiguresModel(self)
        self.table = FiguresTable(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Part A figures for the period")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(False)
        layout.addWidget(self.table, 1)
        self.legend = QLabel(
            "✎ shaded rows: figures entered by hand on the Part A page, with their source.", self
        )
        self.legend.setObjectName("hint")
        self.legend.setWordWrap(True)
        layout.addWidget(self.legend)
        self.setStyleSheet(PANEL_STYLE)
        feed.changed.connect(self.update_view)
        self.update_view()

    def set_entered(self, entered: tuple[EnteredFigure, ...]) -> None:
        if entered != self._entered:
            self._entered = entered
            self.update_view()

    def shown_part_a(self) -> PartA | None:
        part_a = self.feed.part_a if self.feed.ready else None
        return part_a.with_entered(self._entered) if part_a is not None else None

    def update_view(self) -> None:
        period = self.feed.period
        self.legend.setVisible(bool(self._entered))  # only when a shaded row can be there
        status = self.feed.status()
        if period is not None and period.label not in status:  # the period is said once, here
            status = f"{period.label}: {status}"
        self.message.setText(status)
        empty = self.feed.ready and self.feed.part_a is not None and self.feed.part_a.is_empty
        self.message.setProperty("empty", bool(empty))
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.refresh_button.setEnabled(period is not None and not self.feed.busy)
        part_a = self.shown_part_a()
        figures = part_a.figures() if part_a is not None else []
        if [f for f in figures] != self.model.figures:
            self.model.set_figures(figures)
            self.table.fit_columns()
