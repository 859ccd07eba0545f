"""Charts drawn with QPainter (QtCharts is not part of PySide6-Essentials): a horizontal bar chart
whose bars are buttons — click one, or move to it with the arrow keys and press Enter, to see the
records behind it — and a figure tile for one headline number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dsvdesk.ui.qt import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPushButton,
    QRectF,
    QSize,
    QSizePolicy,
    Qt,
    QWidget,
    Signal,
)

# Calm, distinguishable colours that keep white or dark text readable (WCAG AA against the fill or
# the white background); the palette is also told apart by label, never by colour alone.
PALETTE = {
    "blue": "#2f6aa3",
    "teal": "#1f7a6d",
    "green": "#2e7d32",
    "amber": "#b26a00",
    "red": "#b42318",
    "grey": "#6b7785",
    "purple": "#6a4c93",
}
BAR_HEIGHT = 26
BAR_GAP = 10
TITLE_GAP = 8
MARGIN = 10


@dataclass(frozen=True, slots=True)
class Bar:
    key: str  # the figure key the click-through asks for
    label: str
    value: float
    text: str  # what is printed at the end of the bar ("12", "50%")
    colour: str = PALETTE["blue"]
    clickable: bool = True


class BarChart(QWidget):
    """Horizontal bars with their labels and values. ``bar_activated(key)`` on click or Enter."""

    bar_activated = Signal(str)

    def __init__(self, title: str, parent: QWidget | None = None, *, note: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("barChart")
        self.title = title
        self.note = note
        self.bars: list[Bar] = []
        self.current = -1  # keyboard position
        self.hovered = -1
        self.empty_text = "No records"
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(note)
        self._update_accessible()

    # --- data -------------------------------------------------------------------------------------
    def set_bars(self, bars: Sequence[Bar]) -> None:
        self.bars = list(bars)
        self.current = min(self.current, len(self.bars) - 1)
        self.hovered = -1
        self.updateGeometry()
        self.setFixedHeight(self.sizeHint().height())
        self._update_accessible()
        self.update()

    def _update_accessible(self) -> None:
        parts = [f"{b.label}: {b.text}" for b in self.bars]
        self.setAccessibleName(f"{self.title} chart")
        self.setAccessibleDescription(
            "; ".join(parts) + ". Use the arrow keys and Enter to list the records behind a bar."
            if parts
            else self.empty_text
        )

    # --- geometry ---------------------------------------------------------------------------------
    def _title_height(self) -> int:
        return QFontMetrics(self._title_font()).height() + TITLE_GAP

    def _title_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1 if font.pointSizeF() > 0 else 10)
        return font

    def sizeHint(self) -> QSize:
        rows = max(1, len(self.bars))
        height = MARGIN * 2 + self._title_height() + rows * BAR_HEIGHT + (rows - 1) * BAR_GAP
        return QSize(360, height)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, self.sizeHint().height())

    def _label_width(self) -> int:
        metrics = QFontMetrics(self.font())
        widest = max((metrics.horizontalAdvance(b.label) for b in self.bars), default=0)
        return min(widest + 12, max(90, self.width() // 2))

    def bar_rect(self, index: int) -> QRectF:
        """Where bar ``index`` is drawn at its full possible length (the click target)."""
        top = MARGIN + self._title_height() + index * (BAR_HEIGHT + BAR_GAP)
        left = MARGIN + self._label_width()
        return QRectF(left, top, max(10, self.width() - left - MARGIN), BAR_HEIGHT)

    def row_rect(self, index: int) -> QRectF:
        """The whole row (label and bar): clicking anywhere on it activates the bar."""
        top = MARGIN + self._title_height() + index * (BAR_HEIGHT + BAR_GAP)
        return QRectF(MARGIN, top, self.width() - 2 * MARGIN, BAR_HEIGHT)

    def index_at(self, x: float, y: float) -> int:
        for index in range(len(self.bars)):
            if self.row_rect(index).contains(x, y):
                return index
        return -1

    # --- painting ---------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._title_font())
        painter.setPen(QColor("#1f2d3d"))
        title_rect = QRectF(MARGIN, MARGIN, self.width() - 2 * MARGIN, self._title_height() - TITLE_GAP)
        painter.drawText(
            title_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), self.title
        )
        painter.setFont(self.font())
        metrics = QFontMetrics(self.font())
        if not self.bars:
            painter.setPen(QColor("#52606d"))
            painter.drawText(self.row_rect(0), int(Qt.AlignmentFlag.AlignCenter), self.empty_text)
            painter.end()
            return
        biggest = max((b.value for b in self.bars), default=0.0) or 1.0
        label_width = self._label_width()
        for index, bar in enumerate(self.bars):
            row = self.row_rect(index)
            full = self.bar_rect(index)
            text_width = metrics.horizontalAdvance(bar.text) + 10
            usable = max(4.0, full.width() - text_width)
            length = usable * max(0.0, bar.value) / biggest
            highlighted = index in (self.hovered, self.current if self.hasFocus() else -1)
            if highlighted and bar.clickable:
                painter.fillRect(row, QColor("#eef4fb"))
            painter.setPen(QColor("#1f2d3d"))
            label_rect = QRectF(row.left(), row.top(), label_width - 8, row.height())
            painter.drawText(
                label_rect,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                metrics.elidedText(bar.label, Qt.TextElideMode.ElideRight, int(label_rect.width())),
            )
            fill = QRectF(
                full.left(), full.top() + 3, max(length, 2.0 if bar.value > 0 else 0.0), full.height() - 6
            )
            painter.fillRect(fill, QColor(bar.colour))
            if bar.value <= 0:  # an empty bar still shows where it would be
                painter.setPen(QPen(QColor("#9fb3c8"), 1, Qt.PenStyle.DashLine))
                painter.drawLine(
                    int(full.left()), int(full.top() + 3), int(full.left()), int(full.bottom() - 3)
                )
            painter.setPen(QColor("#1f2d3d"))
            value_rect = QRectF(fill.right() + 6, full.top(), text_width + 20, full.height())
            painter.drawText(
                value_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), bar.text
            )
            if index == self.current and self.hasFocus():
                painter.setPen(QPen(QColor("#1f3a5f"), 1, Qt.PenStyle.DotLine))
                painter.drawRect(row.adjusted(0, 0, -1, -1))
        painter.end()

    # --- interaction ------------------------------------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position().x(), event.position().y())
        if index != self.hovered:
            self.hovered = index
            clickable = index >= 0 and self.bars[index].clickable
            self.setCursor(Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor)
            if index >= 0:
                bar = self.bars[index]
                self.setToolTip(
                    f"{bar.label}: {bar.text}\nClick to see the records." if bar.clickable else self.note
                )
            else:
                self.setToolTip(self.note)
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: object) -> None:
        self.hovered = -1
        self.update()
        super().leaveEvent(event)  # type: ignore[arg-type]

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            index = self.index_at(event.position().x(), event.position().y())
            if index >= 0:
                self.current = index
                self.activate(index)
                return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.bars:
            super().keyPressEvent(event)
            return
        key = event.key()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Right):
            self.current = min(len(self.bars) - 1, self.current + 1)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Left):
            self.current = max(0, self.current - 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self.current >= 0:
                self.activate(self.current)
            return
        else:
            super().keyPressEvent(event)
            return
        self.update()

    def focusInEvent(self, event: object) -> None:
        if self.current < 0 and self.bars:
            self.current = 0
        self.update()
        super().focusInEvent(event)  # type: ignore[arg-type]

    def focusOutEvent(self, event: object) -> None:
        self.update()
        super().focusOutEvent(event)  # type: ignore[arg-type]

    def activate(self, index: int) -> None:
        if 0 <= index < len(self.bars) and self.bars[index].clickable:
            self.bar_activated.emit(self.bars[index].key)


class FigureTile(QPushButton):
    """One headline figure ("Compliance rate 50%"); pressing it lists the records behind it."""

    def __init__(self, key: str, caption: str, parent: QWidget | None = None, *, note: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("figureTile")
        self.key = key
        self.caption = caption
        self.setToolTip(note)
        self.setAutoDefault(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(64)
        self.set_value("…")

    def set_value(self, text: str, *, alert: bool = False) -> None:
        self.setText(f"{text}\n{self.caption}")
        self.setAccessibleName(f"{self.caption}: {text}")
        self.setProperty("alert", alert)
        self.style().unpolish(self)
        self.style().polish(self)
