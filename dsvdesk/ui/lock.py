"""Idle lock: after N idle minutes the window's content is covered by a password prompt.

Nothing is closed or reloaded: the open forms stay exactly as they were behind the lock screen, and
pending autosaves are flushed before locking.
"""

from __future__ import annotations

from collections.abc import Callable

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.ui.qt import (
    QApplication,
    QEvent,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QObject,
    QPushButton,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)

_ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class IdleWatcher(QObject):
    """Watches the whole application's input; emits ``idle`` after ``minutes`` without any (0 = never)."""

    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: float) -> None:
        self.minutes = minutes
        self._timer.setInterval(max(1, int(minutes * 60_000)))
        self.poke()

    def poke(self) -> None:
        if self.minutes > 0:
            self._timer.start()
        else:
            self._timer.stop()

    def pause(self) -> None:
        self._timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY_EVENTS and self._timer.isActive():
            self._timer.start()
        return False

    def uninstall(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class LockScreen(QWidget):
    """Shown in place of the window's content. ``check_password(pw)`` raises UserFacingError when wrong."""

    unlocked = Signal()
    sign_out_requested = Signal()

    def __init__(
        self,
        full_name: str,
        username: str,
        check_password: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self._check = check_password
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QWidget(self)
        box.setObjectName("lockBox")
        box.setMaximumWidth(460)
        layout = QVBoxLayout(box)
        title = QLabel("DSVDesk is locked", box)
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        text = QLabel(
            f"Locked for {full_name} ({username}) after a period without use. Your open forms are kept "
            "exactly as you left them. Enter your password to carry on.",
            box,
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.password = QLineEdit(box)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password to unlock")
        self.password.setPlaceholderText("Password")
        self.password.returnPressed.connect(self._try_unlock)
        layout.addWidget(self.password)
        self.error_label = QLabel("", box)
        self.error_label.setObjectName("inlineError")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)
        buttons = QHBoxLayout()
        self.unlock_button = QPushButton("&Unlock", box)
        self.unlock_button.clicked.connect(self._try_unlock)
        self.sign_out_button = QPushButton("Sign &out", box)
        self.sign_out_button.setToolTip("Close DSVDesk for another user; everything saved stays saved")
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        for button in (self.unlock_button, self.sign_out_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def reset(self) -> None:
        self.password.clear()
        self.error_label.setVisible(False)
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def _try_unlock(self) -> None:
        try:
            self._check(self.password.text())
        except UserFacingError as exc:
            self.password.clear()
            self.error_label.setText(exc.message)
            self.error_label.setVisible(True)
            log.ui.info("unlock refused (%s)", type(exc).__name__)
            return
        self.password.clear()
        self.error_label.setVisible(False)
        self.unlocked.emit()
