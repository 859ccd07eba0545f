"""First run on an empty database: name the station and create the first administrator account."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.ui import messages
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.qt import QCheckBox, QFontDatabase, QFormLayout, QLabel, QLineEdit, QWidget

if TYPE_CHECKING:
    from dsvdesk.store import Store
    from dsvdesk.store.models import Session


REQUEST_NAME = "station_request.csr"


@dataclass(frozen=True, slots=True)
class StationSetup:
    station: str
    username: str
    full_name: str
    password: str
    force_root_fingerprint: str | None = None


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
        self._add_force_root()
        self.error_label = self.add_error_label()
        self.add_buttons("&Create station", self._create, cancel_text="&Quit")
        self.setMinimumWidth(480)
        self.station.setFocus()

    def _add_force_root(self) -> None:
        """The force root's fingerprint from force ICT's letter (optional): shown in numbered groups to
        compare with the letter, and confirmed, before it is pinned."""
        explain = QLabel(
            "If force ICT has sent a letter with the force root's fingerprint, type it here: the station then "
            "trusts only that root, and its certificate request is written beside the database. You can also "
            "do this later (Administration, Force certificate).",
            self,
        )
        explain.setWordWrap(True)
        explain.setObjectName("hint")
        self.body.addWidget(explain)
        form = QFormLayout()
        self.fingerprint = QLineEdit(self)
        self.fingerprint.setAccessibleName("Force root fingerprint (optional)")
        self.fingerprint.setPlaceholderText("optional: AB:CD:… from force ICT's letter")
        form.addRow("Force root fin&gerprint", self.fingerprint)
        self.body.addLayout(form)
        self.fingerprint_view = QLabel("", self)
        self.fingerprint_view.setObjectName("fingerprint")
        self.fingerprint_view.setAccessibleName("Fingerprint to compare with the letter")
        self.fingerprint_view.setWordWrap(True)
        self.fingerprint_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.fingerprint_view.setVisible(False)
        self.body.addWidget(self.fingerprint_view)
        self.compared = QCheckBox("It matches the &letter, group by group", self)
        self.compared.setVisible(False)
        self.body.addWidget(self.compared)
        self.fingerprint.textChanged.connect(lambda _t: self._show_fingerprint())

    def _show_fingerprint(self) -> None:
        from dsvdesk.store import forceca

        text = self.fingerprint.text().strip()
        self.fingerprint_view.setVisible(bool(text))
        self.compared.setVisible(bool(text))
        if not text:
            return
        try:
            lines = forceca.grouped(text)
        except UserFacingError as exc:
            self.fingerprint_view.setText(exc.message)
            return
        self.fingerprint_view.setText("Compare with the letter:\n" + "\n".join(lines))
        if self.isVisible():
            self.grow_to_fit()

    def _pin(self) -> tuple[bool, str | None]:
        """(ok, the fingerprint to pin or None); when not ok the problem is shown."""
        from dsvdesk.store import forceca

        text = self.fingerprint.text().strip()
        if not text:
            return True, None
        try:
            pin = forceca.normalise_fingerprint(text)
        except UserFacingError as exc:
            self._show_error(exc.message)
            self.fingerprint.setFocus()
            return False, None
        if not self.compared.isChecked():
            self._show_error(
                "Compare the fingerprint with force ICT's letter, then tick 'It matches the letter'."
            )
            self.compared.setFocus()
            return False, None
        return True, pin

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
        pin_ok, pin = self._pin()
        if not pin_ok:
            return
        setup = StationSetup(
            self.station.text().strip(),
            self.username.text().strip(),
            self.full_name.text().strip(),
            self.password.text(),
            pin,
        )
        try:
            self.store.init_station(
                setup.station,
                setup.username,
                setup.full_name,
                setup.password,
                force_root_fingerprint=setup.force_root_fingerprint,
            )
            self.session = self.store.login(setup.username, setup.password)
        except UserFacingError as exc:
            self._show_error(exc.message)
            return
        log.ui.info("first-run set-up completed")
        self.recovery_key = self.store.take_recovery_key() or ""
        messages.info(self, "The station's recovery key", recovery_key_text(self.recovery_key))
        if setup.force_root_fingerprint:
            self.request_path = self._write_request(setup.password)
        self.accept()

    request_path: Path | None = None

    def _write_request(self, password: str) -> Path | None:
        """The station's certificate request beside the database, as `dsvdesk init` writes it."""
        assert self.session is not None
        path = self.store.path.with_name(REQUEST_NAME)
        try:
            pem = self.store.station_request(self.session, password)
            with path.open("xb") as handle:
                handle.write(pem)
        except (UserFacingError, OSError) as exc:
            why = exc.message if isinstance(exc, UserFacingError) else (exc.strerror or str(exc))
            messages.warning(
                self,
                "Certificate request not written",
                f"The force root is pinned, but the certificate request could not be written to {path} ({why}). "
                "Make it from Administration, Force certificate, Certificate request.",
            )
            return None
        log.ui.info("first-run wrote the station's certificate request")
        messages.info(
            self,
            "Force root pinned",
            f"This station trusts only the force root with the fingerprint you compared. Its certificate "
            f"request was written to:\n{path}\n\nTake it to force ICT; install what they send back from "
            "Administration, Force certificate.",
        )
        return path

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
