"""A dialog with the protective marking above and below its content, and the parts most dialogs share:
a free-text box, a password box, the OK/Cancel row, and `ReasonDialog` (a reason for the audit log)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from dsvdesk.ui import first_paint
from dsvdesk.ui.marking import MarkingBanner
from dsvdesk.ui.qt import (
    QDialog,
    QDialogButtonBox,
    QEvent,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollBar,
    QSize,
    QTimer,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:  # bound where they are used: PySide builds a class (with its enums) when it is named,
    # and the sign-in window has no scroll area and no free-text box (cold start)
    from dsvdesk.ui.qt import QKeyEvent, QPlainTextEdit, QScrollArea, QShowEvent

MIN_REASON_CHARS = 10
FRAME_CHECK_MS, FRAME_CHECKS = 50, 40  # how often and how long to look for the window manager's frame


@functools.cache
def _keys_pass_scroll_area() -> type[QScrollArea]:
    """The class of a dialog's scroll area, made the first time a dialog needs one."""
    from dsvdesk.ui.qt import QScrollArea

    class _KeysPassScrollArea(QScrollArea):
        """Scrolls with the wheel and follows the focus, but leaves keys (arrows, Page Down) to the
        dialog and its fields, which handled them before the content could scroll."""

        def keyPressEvent(self, event: QKeyEvent) -> None:
            event.ignore()

    return _KeysPassScrollArea


class MarkedDialog(QDialog):
    def __init__(self, parent: QWidget | None, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{title} — DSVDesk")
        self._fitted_margins = (0, 0)
        self._outer = QVBoxLayout(self)
        self._outer.setContentsMargins(0, 0, 0, 0)
        self._outer.setSpacing(0)
        self._outer.addWidget(MarkingBanner(self))
        # The content scrolls (vertically) when the screen is shorter than the dialog (1366x768 at 150%
        # leaves 512 logical pixels): squeezed below its minimum, a layout draws one widget over the next.
        # The scroll area is made only then (``fit_to_screen``): a scroll area's viewport grabs Qt's pan
        # gesture, which makes Qt's private gesture manager, and PySide's first sight of that object (an
        # application event filter is shown every object) builds every class of QtCore, QtGui and
        # QtWidgets: ~60 ms before the sign-in window could paint (cold start, issue 22).
        self.content_scroll: QScrollArea | None = None
        self._bar_width: int | None = None
        self.content = QWidget(self)
        self.content.setObjectName("dialogContent")
        self.body = QVBoxLayout(self.content)
        self.body.setContentsMargins(18, 14, 18, 14)
        self.body.setSpacing(10)
        self._outer.addWidget(self.content, 1)
        # The OK/Cancel row stays in sight below the scrolling part.
        self.footer_box = QWidget(self)
        self.footer_box.setObjectName("dialogFooter")
        self.footer = QVBoxLayout(self.footer_box)
        self.footer.setContentsMargins(18, 0, 18, 12)
        self.footer_box.setVisible(False)
        self._outer.addWidget(self.footer_box)
        self._outer.addWidget(MarkingBanner(self))

    def sizeHint(self) -> QSize:
        """As big as the content wants (a scroll area alone would offer less), with room for the scroll
        bar it gets on a short screen (so it is as wide either way), then fitted to the screen."""
        hint = super().sizeHint()
        wanted = self.content.sizeHint()
        width = max(hint.width(), wanted.width() + self._scroll_bar_width())
        if self.content_scroll is None:
            return QSize(width, hint.height())
        extra = hint.height() - self.content_scroll.sizeHint().height()
        return QSize(width, max(hint.height(), wanted.height() + extra))

    def _scroll_bar_width(self) -> int:
        if self.content_scroll is not None:
            return self.content_scroll.verticalScrollBar().sizeHint().width()
        if self._bar_width is None:
            # A bar in the app's style, never shown. Not ``QStyle.pixelMetric``, which builds QStyle's
            # enums (~20 ms before the sign-in window could paint), and made without a parent: PySide
            # resolves ``QScrollBar(parent)`` against ``QScrollBar(Qt.Orientation, parent)``, which builds
            # the whole ``Qt`` namespace (issue 9).
            bar = QScrollBar()
            self._bar_width = bar.sizeHint().width()
            bar.deleteLater()
        return self._bar_width

    def _scroll_content(self) -> None:
        """Put the content into a scroll area (once; the dialog no longer fits the screen)."""
        scroll = _keys_pass_scroll_area()(self)
        scroll.setObjectName("dialogScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(scroll.Shape.NoFrame)
        # (no scroll bar policy is named here: ``Qt`` must stay unbuilt until after sign-in, issue 9;
        # the dialog is as wide as its content, so no sideways bar appears)
        self._outer.replaceWidget(self.content, scroll)
        scroll.setWidget(self.content)
        scroll.show()
        self.content_scroll = scroll
        self._outer.activate()  # the dialog's minimum is now the scroll area's, not the whole content's

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        # Content added while the dialog is open (a message, a list) grows it: moved back onto the
        # screen, and past the screen's free area the content scrolls (as it would have in a scroll
        # area from the start).
        if event.type() == QEvent.Type.LayoutRequest and self.content_scroll is None and self.isVisible():
            screen = self.screen()
            if screen is not None and not screen.availableGeometry().contains(self.frameGeometry()):
                self.fit_to_screen()
        return bool(handled)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        first_paint.watch(self)  # the first window shown at start-up runs what waits for its paint
        self.fit_to_screen()
        # the dialog as the timer's context: a dialog closed and deleted before it fires is not touched
        QTimer.singleShot(FRAME_CHECK_MS, self, lambda: self._check_frame(FRAME_CHECKS))

    def _check_frame(self, tries: int) -> None:
        """A window manager frames the dialog a moment after it is shown (title bar, borders), without
        moving it: once that frame is known, fit again, or the frame's bottom or its title bar would be
        off the screen. (No frame ever comes without a window manager: the checks stop after a while.)"""
        if not self.isVisible():
            return
        frame = self.frameGeometry()
        margins = (frame.width() - self.width(), frame.height() - self.height())
        if margins != self._fitted_margins:
            self.fit_to_screen()
        elif margins == (0, 0) and tries > 1:
            QTimer.singleShot(FRAME_CHECK_MS, self, lambda: self._check_frame(tries - 1))

    def grow_to_fit(self) -> None:
        """After adding content (a message, a list): grow to show it all, as far as the screen allows
        (``adjustSize`` would stop at two thirds of the screen)."""
        hint = self.sizeHint()
        self.resize(max(self.width(), hint.width()), max(self.height(), hint.height()))
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """Never larger than the screen's free area, and inside it (a 1366x768 screen at 150% has
        only 911x512 logical pixels): a long dialog shrinks its stretchable parts instead."""
        area = self.screen().availableGeometry()
        frame = self.frameGeometry()
        extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
        self._fitted_margins = (extra_w, extra_h)
        if (
            self.content_scroll is None
            and max(self.height(), self.sizeHint().height()) > area.height() - extra_h
        ):
            self._scroll_content()
            # the content keeps its width beside the scroll bar (cut below, if the screen is narrower)
            self.resize(max(self.width(), self.sizeHint().width()), self.height())
        width = min(self.width(), area.width() - extra_w)
        height = min(self.height(), area.height() - extra_h)
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        x = min(max(frame.x(), area.left()), area.right() + 1 - width - extra_w)
        y = min(max(frame.y(), area.top()), area.bottom() + 1 - height - extra_h)
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)

    def add_heading(self, text: str) -> QLabel:
        heading = QLabel(text, self)
        heading.setObjectName("dialogHeading")
        heading.setWordWrap(True)
        self.body.addWidget(heading)
        return heading

    def add_explanation(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        self.body.addWidget(label)
        return label

    def add_error_label(self) -> QLabel:
        """An inline place for 'wrong password' style messages: no extra box to dismiss."""
        label = QLabel("", self)
        label.setObjectName("inlineError")
        label.setWordWrap(True)
        label.setVisible(False)
        label.setAccessibleName("Problem")
        self.body.addWidget(label)
        return label

    def make_text_box(
        self, accessible_name: str, hint: str = "", *, text: str = "", height: int = 90, object_name: str = ""
    ) -> QPlainTextEdit:
        """A few lines of free text (a reason, a rationale). Tab moves on instead of typing a tab, so the
        dialog can be used from the keyboard. The caller places it (body or a form row)."""
        from dsvdesk.ui.qt import QPlainTextEdit

        box = QPlainTextEdit(text, self)
        if object_name:
            box.setObjectName(object_name)
        box.setAccessibleName(accessible_name)
        if hint:
            box.setPlaceholderText(hint)
        box.setTabChangesFocus(True)
        box.setFixedHeight(height)
        return box

    def make_password_box(self, accessible_name: str = "Your password", hint: str = "") -> QLineEdit:
        """A masked password line; the caller places it (body or a form row)."""
        box = QLineEdit(self)
        box.setEchoMode(QLineEdit.EchoMode.Password)
        box.setAccessibleName(accessible_name)
        if hint:
            box.setPlaceholderText(hint)
        return box

    @staticmethod
    def passwords_match(password: QLineEdit, repeat: QLineEdit) -> bool:
        """Whether a new password was typed the same twice; if not, the repeat box is cleared and focused
        for the user to type it again (the caller says so in its own words)."""
        if password.text() == repeat.text():
            return True
        repeat.clear()
        repeat.setFocus()
        return False

    def add_buttons(
        self,
        ok_text: str,
        on_ok: Callable[[], None],
        *,
        enter_cancels: bool = False,
        enter_checks: bool = False,
        cancel_text: str = "&Cancel",
    ) -> QPushButton:
        """The OK and Cancel row at the foot of the body; returns the OK button. OK runs ``on_ok`` (which
        checks the input and accepts); with ``enter_cancels`` Cancel is the default button, so Enter in a
        password box never signs or sends anything by accident; with ``enter_checks`` OK is the default
        button, so Enter (in a password box, say) runs ``on_ok``: it signs when everything is ready and
        otherwise shows what is missing, never closing the dialog silently."""
        # Made without a parent (``addWidget`` below gives it one): PySide resolves the constructor's
        # ``QDialogButtonBox(Qt.Orientation, parent)`` overload for a parent argument, which builds the
        # whole ``Qt`` enum namespace (~40 ms) before the sign-in window can paint.
        buttons = QDialogButtonBox()
        ok_button = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(cancel_text, QDialogButtonBox.ButtonRole.RejectRole)
        if enter_cancels:
            ok_button.setAutoDefault(False)
            ok_button.setDefault(False)
            cancel.setDefault(True)
        elif enter_checks:
            cancel.setAutoDefault(False)
            ok_button.setDefault(True)
        buttons.accepted.connect(on_ok)
        buttons.rejected.connect(self.reject)
        self.footer.addWidget(buttons)
        self.footer_box.setVisible(True)
        return ok_button


class ReasonDialog(MarkedDialog):
    """Asks why: a heading, an explanation, a reason box and OK that accepts only a reason of at least
    `MIN_REASON_CHARS` characters (the reason is kept in the audit log, so "x" is not one).

    ``value()`` is the reason on one line, as it is stored."""

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        *,
        heading: str,
        explanation: str,
        accessible_name: str,
        hint: str,
        ok_text: str,
        object_name: str = "",
        min_width: int = 460,
    ) -> None:
        super().__init__(parent, title)
        self.add_heading(heading)
        self.add_explanation(explanation)
        self.reason = self.make_text_box(accessible_name, hint, object_name=object_name)
        self.body.addWidget(self.reason)
        self.error_label = self.add_error_label()
        self.ok_button = self.add_buttons(ok_text, self._check)
        self.setMinimumWidth(min_width)
        self.reason.setFocus()

    def _check(self) -> None:
        if len(self.value()) < MIN_REASON_CHARS:
            self.error_label.setText(f"Give a reason of at least {MIN_REASON_CHARS} characters.")
            self.error_label.setVisible(True)
            return
        self.accept()

    def value(self) -> str:
        return " ".join(self.reason.toPlainText().split())
