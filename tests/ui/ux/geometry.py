"""Geometry checks for the screenshot tests: every widget shown is inside its window, nothing is
squeezed below the size its text needs, and pages never scroll sideways."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractScrollArea, QComboBox, QStyle, QStyleOptionComboBox

from dsvdesk.ui.qt import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QRect,
    QScrollArea,
    Qt,
    QWidget,
)

LINE_EDIT_PADDING = 12  # a line edit's frame and text margins, in pixels
# Station PC screens as the window sees them: the available height (a 40-pixel taskbar) in logical
# pixels at the scale, less a 30-pixel title bar. (name, width, height)
SCREENS = [
    ("1366x768_100", 1366, (768 - 40) // 1 - 30),
    ("1366x768_125", int(1366 / 1.25), int((768 - 40) / 1.25) - 30),
    ("1366x768_150", int(1366 / 1.5), int((768 - 40) / 1.5) - 30),
    ("1920x1080_200", 1920 // 2, (1080 - 40) // 2 - 30),
]


def _scroller_of(widget: QWidget, root: QWidget) -> QAbstractScrollArea | None:
    """The scroll area whose viewport holds ``widget`` (its own scroll bars are not "in" it)."""
    child, parent = widget, widget.parentWidget()
    while parent is not None and child is not root:
        grand = parent.parentWidget()
        if isinstance(grand, QAbstractScrollArea) and grand.viewport() is parent:
            return grand
        child, parent = parent, grand
    return None


def rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    top_left = widget.mapTo(ancestor, widget.rect().topLeft())
    return QRect(top_left, widget.size())


def problems(root: QWidget) -> list[str]:
    """What is clipped or outside ``root`` (a window): widgets in a scroll area must fit its width (they
    may scroll vertically), everything else must lie wholly inside ``root``."""
    QApplication.processEvents()
    found: list[str] = []
    bounds = root.rect()
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or widget.width() <= 0 or widget.height() <= 0:
            continue
        name = _name(widget)
        scroller = _scroller_of(widget, root)
        if scroller is not None and not isinstance(scroller, QScrollArea):
            continue  # an item view's own cells (a list, a table): it scrolls its content itself
        if isinstance(scroller, QScrollArea) and scroller.isVisibleTo(root):
            if scroller.horizontalScrollBar().isVisible():
                found.append(f"{_name(scroller)} scrolls sideways")
            inner = rect_in(widget, scroller.viewport())
            if inner.left() < 0 or inner.right() > scroller.viewport().width() + 1:
                found.append(
                    f"{name} is wider than its page ({inner.right()} > {scroller.viewport().width()})"
                )
        elif scroller is None:
            where = rect_in(widget, root)
            if not bounds.contains(where):
                found.append(f"{name} is outside the window at {where.getRect()} (window {bounds.getRect()})")
        found.extend(_clipped(widget, name))
        found.extend(_overlaps(widget))
    return sorted(set(found))


def _overlaps(parent: QWidget) -> list[str]:
    """Two widgets laid out side by side must not cover each other (a layout squeezed below its
    minimum draws one widget over the next)."""
    if parent.layout() is None:
        return []
    children = [
        c
        for c in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if c.isVisible() and not c.isWindow() and not c.objectName().startswith("qt_")
    ]
    found = []
    for i, first in enumerate(children):
        for second in children[i + 1 :]:
            common = first.geometry().intersected(second.geometry())
            if common.width() > 2 and common.height() > 2:
                found.append(f"{_name(first)} and {_name(second)} overlap")
    return found


def _clipped(widget: QWidget, name: str) -> list[str]:
    if isinstance(widget, QLabel) and widget.text():
        if widget.wordWrap():
            needed = widget.heightForWidth(widget.width())
            if needed > widget.height() + 2:
                return [f"{name} is cut off (height {widget.height()} < {needed})"]
        elif widget.minimumSizeHint().width() > widget.width() + 2 and not widget.hasScaledContents():
            return [f"{name} is cut off (width {widget.width()} < {widget.minimumSizeHint().width()})"]
    if isinstance(widget, QAbstractButton) and widget.text():
        if widget.sizeHint().width() > widget.width() + 2 or widget.sizeHint().height() > widget.height() + 2:
            return [
                f"{name} is squeezed ({widget.width()}x{widget.height()} < {widget.sizeHint().toTuple()})"
            ]
    if isinstance(widget, QComboBox) and widget.currentText():
        # a filter reading "Waiting for rev" leaves the sergeant guessing what is shown
        option = QStyleOptionComboBox()
        widget.initStyleOption(option)
        text_rect = widget.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, widget
        )
        needed = widget.fontMetrics().horizontalAdvance(widget.currentText())
        if needed > text_rect.width() + 2:
            return [f"{name}'s text is cut off (room {text_rect.width()} < {needed})"]
    if isinstance(widget, QLineEdit) and widget.placeholderText() and not widget.text():
        # the hint says what to type ("dd/mm/yyyy"): cut to "d..." it says nothing
        needed = widget.fontMetrics().horizontalAdvance(widget.placeholderText()) + LINE_EDIT_PADDING
        if widget.width() < needed and widget.fontMetrics().horizontalAdvance(widget.placeholderText()) < 300:
            return [f"{name}'s hint is cut off (width {widget.width()} < {needed})"]
    return []


def _name(widget: QWidget) -> str:
    text = ""
    getter = getattr(widget, "text", None)
    if callable(getter):
        try:
            value = getter()
        except TypeError:
            value = ""
        text = value if isinstance(value, str) else ""
    label = widget.objectName() or widget.accessibleName() or text[:40]
    return f"{type(widget).__name__}({label!r})"
