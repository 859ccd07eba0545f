"""First run on an empty database: name the station and create the first administrator account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.ui import messages
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.qt import QFormLayout, QLabel, QLineEdit, QWidget

if TYPE_CHECKING:
    from dsvdesk.store import Store
    from dsvdesk.store.models import Session


@dataclass(frozen=True, slots=True)
class StationSetup:
    station: str
    username: str
    full_name: str
    password: str


class FirstRunDialog(MarkedDialog):
    def __init__(self, parent: QWidget | None, store: Store, *, db_label: str = "") -> None:
        super().__init__(parent, "Set up this station")
        self.store = store
        self.session: Session | None = None
        self.add_heading("Welcome to DSVDesk")
        intro = QLabel(
            "This database is new. Name the station and create the first administrator account. "
            "The administrator then adds officers and supervisors; administrators cannot read forms."
            + (f"\n\nDatabase: {db_label}" if db_label else ""),
            self,
        )
        intro.setWordWrap(True)
        self.body.addWidget(intro)
        form = QFormLayout()
        self.station = QLineEdit(self)
        self.station.setPlaceholderText("e.g. Islington Police Station")
        self.username = QLineEdit(self)
        self.username.setPlaceholderText("e.g. admin")
        self.full_name = QLineEdit(self)
        self.password = self.make_password_box("Password")
        self.repeat = self.make_password_box("Repeat password")
        for label, widget, name in (
            ("S&tation name", self.station, "Station name"),
            ("Administrator &username", self.username, "Administrator username"),
            ("Administrator's &full name", self.full_name, "Administrator's full name"),
            ("&Password", self.password, "Password"),
            ("&Repeat password", self.repeat, "Repeat password"),
        ):
            widget.setAccessibleName(name)
            form.addRow(label, widget)
        self.body.addLayout(form)
        self.error_label = self.add_error_label()
        self.add_buttons("&Create station", self._create, cancel_text="&Quit")
        self.setMinimumWidth(480)
        self.station.setFocus()

    def _create(self) -> None:
        if (
            not all(w.text().strip() for w in (self.station, self.username, self.full_name))
            or not self.password.text()
        ):
            self._show_error("Fill in every box.")
            return
        if not self.passwords_match(self.password, self.repeat):
            self._show_error(
                "The two passwords are not the same. Type the password again in 'Repeat password'."
            )
            return
        setup = StationSetup(
            self.station.text().strip(),
            self.username.text().strip(),
            self.full_name.text().strip(),
            self.password.text(),
        )
        try:
            self.store.init_station(setup.station, setup.username, setup.full_name, setup.password)
            self.session = self.store.login(setup.username, setup.password)
        except UserFacingError as exc:
            self._show_error(exc.message)
            return
        log.ui.info("first-run set-up completed")
        self.recovery_key = self.store.take_recovery_key() or ""
        messages.info(self, "The station's recovery key", recovery_key_text(self.recovery_key))
        self.accept()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(True)

    recovery_key = ""

    @classmethod
    def ask(cls, parent: QWidget | None, store: Store, *, db_label: str = "") -> Session | None:
        dialog = cls(parent, store, db_label=db_label)
        dialog.exec()
        return dialog.session


def recovery_key_text(recovery_key: str) -> str:
    return (
        "The station's database is encrypted. If every password is ever lost, only this recovery key opens "
        f"it:\n\n{recovery_key}\n\nWrite it down or print it now and give it to your force's ICT to keep "
        "away from this PC. It is not stored anywhere and will not be shown again."
    )
