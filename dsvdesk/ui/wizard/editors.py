"""One input widget per question type, made from the compiled ``Question`` — no per-form code.

Each editor emits ``changed(value)`` when the *user* edits it (never when ``set_value`` fills it), so
loading a record never triggers a save. Values are the engine's answer values (see docs/forms.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from dsvdesk.engine.spec import (
    DONT_KNOW,
    NO,
    NOT_ASKED,
    YES,
    Choice,
    Question,
    QuestionType,
)
from dsvdesk.ui.qt import (
    QAbstractButton,
    QButtonGroup,
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QDate,
    QEvent,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QMenu,
    QObject,
    QPlainTextEdit,
    QPoint,
    QPushButton,
    QRadioButton,
    QScrollArea,
    Qt,
    QTimer,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
    Signal,
)
from dsvdesk.ui.wizard import values as conv

MAX_RADIO_CHOICES = 5  # more choices than this become a drop-down list

# No mnemonics on answers: a page holds dozens of Yes/No groups, so "&Yes" would repeat on every one and
# steal Alt+N from Next (issue 20). Tab reaches a group; arrows and Space choose within it.
YES_NO_LABELS = {YES: "Yes", NO: "No", DONT_KNOW: "Don't know", NOT_ASKED: "Not asked"}
CLEAR_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
_NEXT_KEYS = (Qt.Key.Key_Right, Qt.Key.Key_Down)
_PREVIOUS_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Up)
PLAIN_LABELS = {YES: "Yes", NO: "No", DONT_KNOW: "Don't know", NOT_ASKED: "Not asked"}


def question_caption(question: Question) -> str:
    number = f"{question.number}. " if question.number else ""
    return f"{number}{question.label}"


class Editor(QWidget):
    """Base of all editors: ``value()``, ``set_value()``, ``set_read_only()``, ``changed`` signal."""

    changed = Signal(object)

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self._loading = False
        self._read_only = False

    def value(self) -> Any:
        raise NotImplementedError  # abstract: each editor/dialog subclass defines it

    def set_value(self, value: Any) -> None:
        self._loading = True
        try:
            self._show_value(value)
        finally:
            self._loading = False

    def _show_value(self, value: Any) -> None:
        raise NotImplementedError  # abstract: each editor/dialog subclass defines it

    def _emit(self) -> None:
        if not self._loading and not self._read_only:
            self.changed.emit(self.value())

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._apply_read_only(read_only)

    def _apply_read_only(self, read_only: bool) -> None:
        for child in self.findChildren(QWidget):
            if isinstance(child, QLineEdit | QPlainTextEdit):
                child.setReadOnly(read_only)
            elif isinstance(child, QAbstractButton | QComboBox):
                child.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        """The widget that gets the focus when a finding 'jumps to' this question."""
        return self

    def accessible_base(self) -> str:
        return self.question.label


def _row(parent: QWidget) -> QHBoxLayout:
    layout = QHBoxLayout(parent)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(8)
    return layout


class TextEditor(Editor):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.line = QLineEdit(self)
        self.line.setAccessibleName(self.accessible_base())
        if question.example:
            self.line.setPlaceholderText(f"e.g. {question.example}")
        _row(self).addWidget(self.line)
        self.line.textEdited.connect(lambda _t: self._emit())

    def value(self) -> Any:
        text = self.line.text()
        return text if text.strip() else None

    def _show_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))

    def focus_target(self) -> QWidget:
        return self.line


class ReferenceEditor(TextEditor):
    """A CAD/CRIS/Merlin style reference: the example is shown as grey hint text; surrounding spaces dropped."""

    def value(self) -> Any:
        text = self.line.text().strip()
        return text or None


class LongTextEditor(Editor):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName(self.accessible_base())
        self.text.setTabChangesFocus(True)  # Tab moves on, as everywhere else in the form
        self.text.setMinimumHeight(80)
        self.text.setMaximumHeight(140)  # a page of narratives stays scannable; the box scrolls inside
        _row(self).addWidget(self.text)
        self.text.textChanged.connect(self._emit)

    def value(self) -> Any:
        text = self.text.toPlainText()
        return text if text.strip() else None

    def _show_value(self, value: Any) -> None:
        self.text.setPlainText("" if value is None else str(value))

    def focus_target(self) -> QWidget:
        return self.text


class NumberEditor(Editor):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.line = QLineEdit(self)
        self.line.setAccessibleName(self.accessible_base())
        self.line.setMaximumWidth(160)
        self.line.setInputMethodHints(
            Qt.InputMethodHint.ImhDigitsOnly
            if question.type is QuestionType.INTEGER
            else Qt.InputMethodHint.ImhFormattedNumbersOnly
        )
        row = _row(self)
        row.addWidget(self.line)
        row.addStretch(1)
        self.line.textEdited.connect(lambda _t: self._emit())

    def value(self) -> Any:
        if self.question.type is QuestionType.INTEGER:
            return conv.parse_integer(self.line.text())
        return conv.parse_decimal(self.line.text())

    def _show_value(self, value: Any) -> None:
        self.line.setText(conv.display_number(value))

    def focus_target(self) -> QWidget:
        return self.line


class _CalendarButton(QToolButton):
    """A button that pops up a calendar; picking a day calls ``on_pick(QDate)``."""

    def __init__(self, parent: QWidget, accessible: str, on_pick: Callable[[QDate], None]) -> None:
        super().__init__(parent)
        self.setText("Calendar")
        self.setToolTip("Pick a date from a calendar")
        self.setAccessibleName(accessible)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.calendar.setAccessibleName(accessible)
        for inner in self.calendar.findChildren(QLineEdit):  # the calendar's own year box
            inner.setAccessibleName("Year")
        self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        menu = QMenu(self)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        self.setMenu(menu)
        self._menu = menu

        def picked(date: QDate) -> None:
            menu.hide()
            on_pick(date)

        self.calendar.activated.connect(picked)
        self.calendar.clicked.connect(picked)


class DateEditor(Editor):
    """Typed as dd/mm/yyyy (or ISO), or picked from the calendar popup; stored as ISO YYYY-MM-DD."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        row = _row(self)
        self.line = QLineEdit(self)
        self.line.setPlaceholderText("dd/mm/yyyy")
        self.line.setMaximumWidth(140)
        self.line.setAccessibleName(self.accessible_base())
        row.addWidget(self.line)
        self.calendar_button = _CalendarButton(self, f"Calendar for {question.label}", self._picked)
        self.calendar_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing is faster; Tab stays on inputs
        row.addWidget(self.calendar_button)
        row.addStretch(1)
        self.line.textEdited.connect(lambda _t: self._emit())
        self.line.editingFinished.connect(self._tidy)

    def _picked(self, date: QDate) -> None:
        self.line.setText(f"{date.day():02d}/{date.month():02d}/{date.year():04d}")
        self._emit()

    def _tidy(self) -> None:
        """Show a recognised date in the house format once the officer leaves the field."""
        parsed = conv.parse_date(self.line.text())
        if parsed and parsed != self.line.text().strip() and conv.display_date(parsed) != parsed:
            self.line.setText(conv.display_date(parsed))

    def value(self) -> Any:
        return conv.parse_date(self.line.text())

    def _show_value(self, value: Any) -> None:
        self.line.setText(conv.display_date(value))

    def focus_target(self) -> QWidget:
        return self.line


class TimeEditor(Editor):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        row = _row(self)
        self.line = QLineEdit(self)
        self.line.setPlaceholderText("hh:mm")
        self.line.setMaximumWidth(90)
        self.line.setAccessibleName(self.accessible_base())
        row.addWidget(self.line)
        row.addStretch(1)
        self.line.textEdited.connect(lambda _t: self._emit())

    def value(self) -> Any:
        return conv.parse_time(self.line.text())

    def _show_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))

    def focus_target(self) -> QWidget:
        return self.line


class DateTimeEditor(Editor):
    """A date and a time side by side; stored as 'YYYY-MM-DDTHH:MM'. A half-filled pair is kept as typed."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        row = _row(self)
        self.date_line = QLineEdit(self)
        self.date_line.setPlaceholderText("dd/mm/yyyy")
        self.date_line.setMaximumWidth(140)
        self.date_line.setAccessibleName(f"{question.label} (date)")
        self.calendar_button = _CalendarButton(self, f"Calendar for {question.label}", self._picked)
        self.calendar_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.time_line = QLineEdit(self)
        self.time_line.setPlaceholderText("hh:mm")
        self.time_line.setMaximumWidth(90)
        self.time_line.setAccessibleName(f"{question.label} (time)")
        row.addWidget(self.date_line)
        row.addWidget(self.calendar_button)
        row.addWidget(QLabel("at", self))
        row.addWidget(self.time_line)
        row.addStretch(1)
        self.date_line.textEdited.connect(lambda _t: self._emit())
        self.time_line.textEdited.connect(lambda _t: self._emit())

    def _picked(self, date: QDate) -> None:
        self.date_line.setText(f"{date.day():02d}/{date.month():02d}/{date.year():04d}")
        self._emit()

    def value(self) -> Any:
        date = conv.parse_date(self.date_line.text())
        time = conv.parse_time(self.time_line.text())
        if date is None and time is None:
            return None
        return f"{date or ''}T{time or ''}"

    def _show_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        date, _sep, time = text.partition("T")
        self.date_line.setText(conv.display_date(date) if date else "")
        self.time_line.setText(time)

    def focus_target(self) -> QWidget:
        return self.date_line


class _ExclusiveButtons(Editor):
    """Radio buttons for one value. Keyboard: the group is one Tab stop (the chosen answer, else the
    first); the arrow keys move *and choose*; Space chooses; Delete or Backspace clears the answer (also
    "Clear the answer" in the right-click menu, and the small Clear button for the mouse). The Clear button
    takes no keyboard focus (a Tab landing on it made Space wipe the answer) and keeps its space when
    hidden, so answering never pushes the page down."""

    def _build_radios(self, options: list[tuple[str, str]], *, vertical: bool) -> None:
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.radios: dict[str, QRadioButton] = {}
        self._order: list[QRadioButton] = []
        outer = QVBoxLayout(self) if vertical else QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4 if vertical else 14)
        for value, text in options:
            radio = QRadioButton(text, self)
            radio.setAccessibleName(f"{self.question.label}: {text.replace('&&', '&')}")
            radio.setAccessibleDescription("Arrow keys choose another answer; Delete clears the answer")
            radio.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            radio.customContextMenuRequested.connect(lambda pos, r=radio: self._context_menu(r, pos))
            radio.installEventFilter(self)
            self.group.addButton(radio)
            self.radios[value] = radio
            self._order.append(radio)
            outer.addWidget(radio)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Remove the answer to this question (Delete)")
        self.clear_button.setAccessibleName(f"Clear the answer to {self.question.label}")
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.clear_button.setAutoRaise(True)
        policy = self.clear_button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # no layout shift when it appears
        self.clear_button.setSizePolicy(policy)
        self.clear_button.clicked.connect(self._clear_clicked)
        if vertical:
            outer.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignLeft)
        else:
            outer.addWidget(self.clear_button)
            outer.addStretch(1)  # radios keep their natural width (clicks land on them; docs/stack.md §2a)
        self.group.buttonToggled.connect(self._toggled)
        self._update_clear()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and watched in self._order and isinstance(event, QKeyEvent):
            key = event.key()
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if modifiers == Qt.KeyboardModifier.NoModifier:
                if key in _NEXT_KEYS or key in _PREVIOUS_KEYS:
                    self._step(watched, +1 if key in _NEXT_KEYS else -1)
                    return True
                if key in CLEAR_KEYS:
                    self._clear_clicked()
                    return True
        return super().eventFilter(watched, event)

    def _step(self, current: QObject, delta: int) -> None:
        """Arrow keys: move to the next/previous answer and choose it (wrapping round)."""
        index = self._order.index(current)  # type: ignore[arg-type]
        target = self._order[(index + delta) % len(self._order)]
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self._read_only and target.isEnabled() and not target.isChecked():
            target.click()

    def _context_menu(self, radio: QRadioButton, pos: QPoint) -> None:
        menu = QMenu(self)
        action = menu.addAction("Clear the answer")
        action.setEnabled(self.value() is not None and not self._read_only)
        action.triggered.connect(self._clear_clicked)
        menu.popup(radio.mapToGlobal(pos))

    def _toggled(self, _button: QAbstractButton, checked: bool) -> None:
        self._update_clear()
        if checked:
            self._emit()

    def _clear_clicked(self) -> None:
        if self.value() is None or self._read_only:
            return
        focused = next((r for r in self._order if r.hasFocus()), None)
        self._uncheck_all()
        self._update_clear()
        if focused is not None:
            focused.setFocus(Qt.FocusReason.OtherFocusReason)
        self._emit()

    def _uncheck_all(self) -> None:
        self.group.setExclusive(False)
        for radio in self.radios.values():
            radio.setChecked(False)
        self.group.setExclusive(True)

    def _update_clear(self) -> None:
        self.clear_button.setVisible(self.value() is not None and not self._read_only)

    def value(self) -> Any:
        for value, radio in self.radios.items():
            if radio.isChecked():
                return value
        return None

    def _show_value(self, value: Any) -> None:
        radio = self.radios.get(value) if isinstance(value, str) else None
        if radio is None:
            self._uncheck_all()
        else:
            radio.setChecked(True)
        self._update_clear()

    def _apply_read_only(self, read_only: bool) -> None:
        super()._apply_read_only(read_only)
        self._update_clear()

    def focus_target(self) -> QWidget:
        checked = self.group.checkedButton()
        return checked if checked is not None else next(iter(self.radios.values()), self)


class YesNoEditor(_ExclusiveButtons):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        values = (YES, NO) if question.type is QuestionType.YESNO else (YES, NO, DONT_KNOW, NOT_ASKED)
        self._build_radios([(v, YES_NO_LABELS[v]) for v in values], vertical=False)


class RadioChoiceEditor(_ExclusiveButtons):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self._build_radios([(c.value, _escape_mnemonic(c.label)) for c in question.choices], vertical=True)
        for choice in question.choices:
            if choice.help:
                self.radios[choice.value].setToolTip(choice.help)


class ComboChoiceEditor(Editor):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.combo = QComboBox(self)
        self.combo.setAccessibleName(self.accessible_base())
        self.combo.addItem("— choose —", None)
        for choice in question.choices:
            self.combo.addItem(choice.label, choice.value)
            if choice.help:
                self.combo.setItemData(self.combo.count() - 1, choice.help, Qt.ItemDataRole.ToolTipRole)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        row = _row(self)
        row.addWidget(self.combo)
        row.addStretch(1)
        self.combo.currentIndexChanged.connect(lambda _i: self._emit())

    def value(self) -> Any:
        return self.combo.currentData()

    def _show_value(self, value: Any) -> None:
        index = self.combo.findData(value) if value is not None else 0
        self.combo.setCurrentIndex(max(index, 0))

    def focus_target(self) -> QWidget:
        return self.combo


class MultiChoiceEditor(Editor):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.boxes: dict[str, QCheckBox] = {}
        for choice in question.choices:
            box = QCheckBox(_escape_mnemonic(choice.label), self)
            box.setAccessibleName(f"{question.label}: {choice.label}")
            if choice.help:
                box.setToolTip(choice.help)
            box.toggled.connect(lambda _c: self._emit())
            self.boxes[choice.value] = box
            layout.addWidget(box, 0, Qt.AlignmentFlag.AlignLeft)

    def value(self) -> Any:
        picked = [v for v, box in self.boxes.items() if box.isChecked()]
        return picked or None

    def _show_value(self, value: Any) -> None:
        chosen = set(value) if isinstance(value, list) else set()
        for v, box in self.boxes.items():
            box.setChecked(v in chosen)

    def focus_target(self) -> QWidget:
        return next(iter(self.boxes.values()), self)


class GridEditor(Editor):
    """Rows × columns of ticks (DASH Q3: kill / further injury / other × self / children / other)."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(18)
        for c, column in enumerate(question.columns, start=1):
            header = QLabel(column.label, self)
            header.setObjectName("gridHeader")
            header.setWordWrap(True)  # long column names wrap: the grid fits a narrow page
            header.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
            grid.addWidget(header, 0, c, Qt.AlignmentFlag.AlignHCenter)
        self.boxes: dict[tuple[str, str], QCheckBox] = {}
        for r, row in enumerate(question.rows, start=1):
            row_label = QLabel(row.label, self)
            row_label.setWordWrap(True)
            grid.addWidget(row_label, r, 0)
            for c, column in enumerate(question.columns, start=1):
                box = QCheckBox(self)
                box.setAccessibleName(f"{question.label}: {row.label} — {column.label}")
                box.toggled.connect(lambda _c: self._emit())
                self.boxes[(row.value, column.value)] = box
                grid.addWidget(box, r, c, Qt.AlignmentFlag.AlignHCenter)
        grid.setColumnStretch(len(question.columns) + 1, 1)

    def value(self) -> Any:
        result: dict[str, list[str]] = {}
        for row in self.question.rows:
            ticked = [c.value for c in self.question.columns if self.boxes[(row.value, c.value)].isChecked()]
            if ticked:
                result[row.value] = ticked
        return result or None

    def _show_value(self, value: Any) -> None:
        ticks = value if isinstance(value, dict) else {}
        for (row, column), box in self.boxes.items():
            cells = ticks.get(row)
            box.setChecked(isinstance(cells, list) and column in cells)

    def focus_target(self) -> QWidget:
        return next(iter(self.boxes.values()), self)


class ComputedEditor(Editor):
    """Read-only: the value of the question's expression, refreshed by the wizard after each change."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.label = QLabel("—", self)
        self.label.setObjectName("computedValue")
        self.label.setWordWrap(True)  # a described injury or a list reads in full on a narrow page
        self.label.setAccessibleName(question.label)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        _row(self).addWidget(self.label)
        self._value: Any = None

    def value(self) -> Any:
        return self._value

    def _show_value(self, value: Any) -> None:
        self._value = value
        labels = {c.value: c.label for c in self.question.choices} or dict(PLAIN_LABELS)
        self.label.setText(conv.format_value(value, labels))


class RepeatEditor(Editor):
    """A list of items (children, witnesses, actions), each a small form of the question's fields.

    Items can be added (up to ``max_items``), removed and moved up/down; the value is a list of dicts
    keyed by field id. Field editors are the same classes as top-level questions.
    """

    def __init__(
        self,
        question: Question,
        parent: QWidget | None = None,
        *,
        confirm_remove: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(question, parent)
        self._confirm_remove = confirm_remove
        self._items: list[dict[str, Any]] = []
        # per item: added here and not typed in yet (a fresh row shows no errors until touched)
        self._fresh: list[bool] = []
        self._item_boxes: list[RepeatItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self._items_layout = QVBoxLayout()
        self._items_layout.setSpacing(8)
        layout.addLayout(self._items_layout)
        self.empty_label = QLabel(f"No {self.item_name.lower()} added.", self)
        self.empty_label.setObjectName("hint")
        layout.addWidget(self.empty_label)
        # no mnemonic: a page may hold several lists, and "&Add" would repeat (mnemonics unique per page)
        self.add_button = QPushButton(f"Add {self.item_name.lower()}", self)
        self.add_button.setAccessibleName(f"Add {self.item_name.lower()} to {question.label}")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_item)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout.addLayout(row)
        self._refresh_buttons()

    @property
    def item_name(self) -> str:
        return self.question.item_label or "Item"

    def value(self) -> Any:
        return [dict(item) for item in self._items] or None

    def _show_value(self, value: Any) -> None:
        items = [dict(v) if isinstance(v, dict) else {} for v in value] if isinstance(value, list) else []
        if items == self._items:
            return  # the same list again (e.g. after a save): keep the boxes, the focus and fresh rows
        self._fresh = [False] * len(items)  # items from elsewhere are not fresh
        self._items = items
        self._rebuild()

    def fresh_items(self) -> frozenset[int]:
        """Indices of items added here and not typed in yet."""
        return frozenset(i for i, fresh in enumerate(self._fresh) if fresh)

    def _rebuild(self) -> None:
        focus = self.focusWidget() or self
        focus_index = next((i for i, box in enumerate(self._item_boxes) if box.isAncestorOf(focus)), None)
        focus_field = (
            next((f for f, e in self._item_boxes[focus_index].editors.items() if e.isAncestorOf(focus)), None)
            if focus_index is not None
            else None
        )
        for box in self._item_boxes:
            self._items_layout.removeWidget(box)
            box.hide()  # gone from the screen now, not at the next event-loop turn
            box.deleteLater()
        self._item_boxes = []
        for index, item in enumerate(self._items):
            box = RepeatItem(self, index)
            box.fill(item)
            box.set_read_only(self._read_only)
            self._items_layout.addWidget(box)
            self._item_boxes.append(box)
        self._refresh_buttons()
        self._chain_tab_order()
        if focus_index is not None and self._item_boxes:
            # the keyboard stays in the same field of the same item (the list was redrawn under it)
            box = self._item_boxes[min(focus_index, len(self._item_boxes) - 1)]
            editor = box.editors.get(focus_field or "")
            (editor.focus_target() if editor is not None else box).setFocus()

    def _chain_tab_order(self) -> None:
        """New items' inputs join the Tab order where they are shown, before "Add": a widget made after
        the window was built is put at the end of its focus chain, so Tab skipped the items and left the
        page from their first field. Qt orders focusable widgets only, so the chain starts at the nearest
        focusable widget before this list."""
        tab = Qt.FocusPolicy.TabFocus
        inputs = [
            widget
            for box in self._item_boxes
            for widget in box.findChildren(QWidget)
            if (widget.focusPolicy() & tab) == tab and widget.window() is self.window()  # not a popup
        ]
        before = self.previousInFocusChain()
        while (
            before is not None
            and before is not self
            and (self.isAncestorOf(before) or (before.focusPolicy() & tab) != tab)
        ):
            before = before.previousInFocusChain()
        if not inputs or before is None or before is self or before.window() is not self.window():
            return  # not in its window yet: Qt orders the page's widgets as they are made
        for first, second in itertools.pairwise([before, *inputs, self.add_button]):
            QWidget.setTabOrder(first, second)

    def _refresh_buttons(self) -> None:
        full = self.question.max_items is not None and len(self._items) >= self.question.max_items
        self.add_button.setEnabled(not full and not self._read_only)
        self.add_button.setVisible(not self._read_only)
        self.empty_label.setVisible(not self._items)
        for box in self._item_boxes:
            box.refresh_buttons(len(self._items), read_only=self._read_only)

    def add_item(self) -> None:
        if self._read_only:
            return
        self._items.append({})
        self._fresh.append(True)
        self._rebuild()
        self._emit()
        new_box = self._item_boxes[-1]
        first = new_box.first_input()
        if first is not None:
            first.setFocus()
        QTimer.singleShot(0, lambda: reveal(new_box))  # after the layout has made room for it

    def remove_item(self, index: int) -> None:
        if self._read_only or not 0 <= index < len(self._items):
            return
        has_data = any(v not in (None, "", [], {}) for v in self._items[index].values())
        if has_data and self._confirm_remove is not None:
            if not self._confirm_remove(
                f"Remove {self.item_name.lower()} {index + 1} and everything entered for it?"
            ):
                return
        del self._items[index]
        del self._fresh[index]
        self._rebuild()
        self._emit()

    def move_item(self, index: int, delta: int) -> None:
        target = index + delta
        if self._read_only or not (0 <= index < len(self._items) and 0 <= target < len(self._items)):
            return
        self._items[index], self._items[target] = self._items[target], self._items[index]
        self._fresh[index], self._fresh[target] = self._fresh[target], self._fresh[index]
        self._rebuild()
        self._emit()
        self._item_boxes[target].move_buttons_focus(delta)

    def field_changed(self, index: int, field_id: str, value: Any) -> None:
        self._fresh[index] = False
        if value is None:
            self._items[index].pop(field_id, None)
        else:
            self._items[index][field_id] = value
        self._emit()

    def item_box(self, index: int) -> RepeatItem:
        return self._item_boxes[index]

    def _apply_read_only(self, read_only: bool) -> None:
        for box in self._item_boxes:
            box.set_read_only(read_only)
        self._refresh_buttons()

    def focus_target(self) -> QWidget:
        if self._item_boxes:
            first = self._item_boxes[0].first_input()
            if first is not None:
                return first
        return self.add_button

    def set_item_messages(self, messages: dict[int, list[str]]) -> None:
        for index, box in enumerate(self._item_boxes):
            box.set_messages(messages.get(index, []))

    def set_item_fields(self, visible: Sequence[frozenset[str] | None]) -> None:
        """Show in each item only the fields the engine treats as visible (``visible[i]`` for item i;
        None leaves an item as it is). Hidden fields keep their value; the engine ignores it."""
        for box, fields in zip(self._item_boxes, visible, strict=False):
            if fields is not None:
                box.set_visible_fields(fields)


class RepeatItem(QGroupBox):
    def __init__(self, owner: RepeatEditor, index: int) -> None:
        super().__init__(f"{owner.item_name} {index + 1}", owner)
        self.owner = owner
        self.index = index
        self.setObjectName("repeatItem")
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        self.editors: dict[str, Editor] = {}
        self.captions: dict[str, QLabel] = {}
        self._hidden_fields: frozenset[str] = frozenset()
        form = QGridLayout()
        form.setHorizontalSpacing(12)
        for row, field in enumerate(owner.question.fields):
            caption = QLabel(question_caption(field) + (" *" if field.required else ""), self)
            caption.setWordWrap(True)
            self.captions[field.id] = caption
            editor = make_editor(field, self)
            editor.setAccessibleName(f"{owner.item_name} {index + 1}: {field.label}")
            _rename_inputs(editor, f"{owner.item_name} {index + 1}: ")
            caption.setBuddy(editor.focus_target())
            editor.changed.connect(lambda value, fid=field.id: owner.field_changed(self.index, fid, value))
            form.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignTop)
            form.addWidget(editor, row, 1)
            self.editors[field.id] = editor
        form.setColumnStretch(1, 1)
        layout.addLayout(form)
        self.message_label = QLabel("", self)
        self.message_label.setObjectName("inlineError")
        self.message_label.setWordWrap(True)
        self.message_label.setVisible(False)
        layout.addWidget(self.message_label)
        buttons = QHBoxLayout()
        self.up_button = QPushButton("Move up", self)
        self.down_button = QPushButton("Move down", self)
        self.remove_button = QPushButton(f"Remove {owner.item_name.lower()}", self)
        for button, name in (
            (self.up_button, "Move up"),
            (self.down_button, "Move down"),
            (self.remove_button, "Remove"),
        ):
            button.setAutoDefault(False)
            button.setAccessibleName(f"{name}: {owner.item_name} {index + 1}")
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.up_button.clicked.connect(lambda: owner.move_item(self.index, -1))
        self.down_button.clicked.connect(lambda: owner.move_item(self.index, +1))
        self.remove_button.clicked.connect(lambda: owner.remove_item(self.index))

    def fill(self, item: dict[str, Any]) -> None:
        for field_id, editor in self.editors.items():
            editor.set_value(item.get(field_id))

    def first_input(self) -> QWidget | None:
        for field_id, editor in self.editors.items():
            if field_id not in self._hidden_fields:
                return editor.focus_target()
        return None

    def set_visible_fields(self, visible: frozenset[str]) -> None:
        """Hide the rows of fields not in ``visible`` (their ``show_when`` is false for this item).
        Only rows whose state changes are touched, so typing in a sibling costs nothing."""
        hidden = frozenset(self.editors) - visible
        if hidden == self._hidden_fields:
            return
        for field_id, editor in self.editors.items():
            shown = field_id not in hidden
            if (field_id not in self._hidden_fields) != shown:
                self.captions[field_id].setVisible(shown)
                editor.setVisible(shown)
        self._hidden_fields = hidden

    def is_field_shown(self, field_id: str) -> bool:
        """True unless the engine hides this field for this item."""
        return field_id in self.editors and field_id not in self._hidden_fields

    def refresh_buttons(self, count: int, *, read_only: bool) -> None:
        self.up_button.setEnabled(self.index > 0 and not read_only)
        self.down_button.setEnabled(self.index < count - 1 and not read_only)
        for button in (self.up_button, self.down_button, self.remove_button):
            button.setVisible(not read_only)
        below_min = count <= self.owner.question.min_items
        self.remove_button.setEnabled(not below_min and not read_only)

    def move_buttons_focus(self, delta: int) -> None:
        """Keep the keyboard on the moved item's move button, so repeated presses keep moving it."""
        button = self.up_button if delta < 0 else self.down_button
        (button if button.isEnabled() else self.remove_button).setFocus()

    def set_read_only(self, read_only: bool) -> None:
        for editor in self.editors.values():
            editor.set_read_only(read_only)

    def set_messages(self, messages: list[str]) -> None:
        text = "\n".join(messages)
        if self.message_label.text() != text:
            self.message_label.setText(text)
        self.message_label.setVisible(bool(messages))


def reveal(widget: QWidget) -> None:
    """Scroll the page so that ``widget`` is on screen (e.g. a repeat item just added)."""
    try:
        parent = widget.parentWidget()
    except RuntimeError:  # deleted before the timer fired
        return
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget, 10, 10)
            return
        parent = parent.parentWidget()


def _rename_inputs(editor: Editor, prefix: str) -> None:
    """Inside a repeat item, screen readers hear which item an input belongs to."""
    for child in editor.findChildren(QWidget):
        name = child.accessibleName()
        if name and not name.startswith(prefix):
            child.setAccessibleName(prefix + name)


def _escape_mnemonic(text: str) -> str:
    """Choice labels from a form file are shown literally: '&' is not a mnemonic marker there."""
    return text.replace("&", "&&")


def make_editor(
    question: Question,
    parent: QWidget | None = None,
    *,
    confirm_remove: Callable[[str], bool] | None = None,
) -> Editor:
    kind = question.type
    if kind is QuestionType.TEXT:
        return TextEditor(question, parent)
    if kind is QuestionType.REFERENCE:
        return ReferenceEditor(question, parent)
    if kind is QuestionType.LONGTEXT:
        return LongTextEditor(question, parent)
    if kind in (QuestionType.INTEGER, QuestionType.DECIMAL):
        return NumberEditor(question, parent)
    if kind is QuestionType.DATE:
        return DateEditor(question, parent)
    if kind is QuestionType.TIME:
        return TimeEditor(question, parent)
    if kind is QuestionType.DATETIME:
        return DateTimeEditor(question, parent)
    if kind in (QuestionType.YESNO, QuestionType.YESNO_DK):
        return YesNoEditor(question, parent)
    if kind is QuestionType.CHOICE:
        if len(question.choices) <= MAX_RADIO_CHOICES:
            return RadioChoiceEditor(question, parent)
        return ComboChoiceEditor(question, parent)
    if kind is QuestionType.MULTICHOICE:
        return MultiChoiceEditor(question, parent)
    if kind is QuestionType.GRID:
        return GridEditor(question, parent)
    if kind is QuestionType.REPEAT:
        return RepeatEditor(question, parent, confirm_remove=confirm_remove)
    if kind is QuestionType.COMPUTED:
        return ComputedEditor(question, parent)
    raise ValueError(f"no editor for question type {kind!r}")  # NOTE is shown as a label by the page


def choice_labels(choices: tuple[Choice, ...]) -> dict[str, str]:
    return {c.value: c.label for c in choices}
