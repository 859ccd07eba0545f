"""Sign-in: username and password, with calm inline messages for a wrong password or a locked account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.qt import QFormLayout, QLabel, QLineEdit, QWidget

if TYPE_CHECKING:
    from dsvdesk.store import Store
    from dsvdesk.store.gate import StationGate
    from dsvdesk.store.models import Session


class LoginDialog(MarkedDialog):
    def __init__(
        self,
        parent: QWidget | None,
        store: Store | StationGate,  # anything that signs in: the gate before the store is loaded
        *,
        station: str = "",
        demo_accounts: Sequence[tuple[str, str, str]] = (),
        username: str = "",
    ) -> None:
        super().__init__(parent, "Sign in")
        self.store = store
        self.session: Session | None = None
        self.add_heading(f"Sign in to DSVDesk{' — ' + station if station else ''}")
        form = QFormLayout()
        self.username = QLineEdit(self)
        self.username.setAccessibleName("Username")
        self.username.setText(username)
        self.password = self.make_password_box("Password")
        form.addRow("&Username", self.username)
        form.addRow("&Password", self.password)
        self.body.addLayout(form)
        self.error_label = self.add_error_label()
        if demo_accounts:
            lines = "\n".join(f"{user}  /  {password}   ({role})" for user, password, role in demo_accounts)
            demo = QLabel(f"Demo database — accounts (username / password):\n{lines}", self)
            demo.setObjectName("demoAccounts")
            demo.setAccessibleName("Demo accounts")
            self.body.addWidget(demo)
        self.sign_in_button = self.add_buttons("&Sign in", self._try_sign_in, cancel_text="&Quit")
        self.setMinimumWidth(420)
        (self.password if username else self.username).setFocus()

    def _try_sign_in(self) -> None:
        username = self.username.text().strip()
        if not username or not self.password.text():
            self._show_error("Enter your username and password.")
            return
        try:
            self.session = self.store.login(username, self.password.text())
        except UserFacingError as exc:
            self.password.clear()
            self.password.setFocus()
            self._show_error(exc.message)
            log.ui.info("sign-in refused (%s)", type(exc).__name__)
            return
        self.accept()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(True)
        # Grow to fit the message: the dialog was sized before it had one, and a fixed height would
        # squeeze the demo-accounts box below it.
        self.adjustSize()

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        store: Store | StationGate,  # anything that signs in: the gate before the store is loaded
        *,
        station: str = "",
        demo_accounts: Sequence[tuple[str, str, str]] = (),
        username: str = "",
    ) -> Session | None:
        dialog = cls(parent, store, station=station, demo_accounts=demo_accounts, username=username)
        dialog.exec()
        return dialog.session
