"""The administrator's dialogs: add a user, reset a password, change a role, export the audit log.

Account changes need the acting admin's password (it unlocks the station signing key that issues the
user's certificate) and take a moment (key generation, a memory-hard password hash), so each dialog runs
its change off the UI thread through ``ops.Op`` and stays open with an inline message when the store says
no: nothing typed is lost. Each has an ``ask()`` classmethod; tests drive the dialog itself.

The change itself is a callable the caller passes in (it runs on a worker thread and must open its own
``Store``), so these dialogs hold no store and no session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.store.errors import InvalidInput, WrongPassword
from dsvdesk.store.models import Role, User
from dsvdesk.store.users import check_collar, check_full_name, check_new_password, check_username
from dsvdesk.ui import messages, ops
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.qt import (
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)
from dsvdesk.ui.wizard.values import display_date, parse_date

T = TypeVar("T")

ROLE_LABELS = {Role.OFFICER: "Officer", Role.SUPERVISOR: "Supervisor", Role.ADMIN: "Administrator"}
ROLE_HELP = {
    Role.OFFICER: "fills in and submits their own forms",
    Role.SUPERVISOR: "reviews and approves forms",
    Role.ADMIN: "manages accounts and settings; cannot read forms",
}


@dataclass(frozen=True, slots=True)
class NewAccount:
    username: str
    full_name: str
    collar: str
    role: Role
    password: str


@dataclass(frozen=True, slots=True)
class AuditExportRequest:
    path: Path
    date_from: dt.date | None
    date_to: dt.date | None


@dataclass(frozen=True, slots=True)
class AuditCheckRequest:
    against: Path | None  # a signed PDF, board pack, encrypted backup or transfer bundle; None: the log alone


def _role_combo(parent: QWidget, roles: tuple[Role, ...], current: Role | None = None) -> QComboBox:
    combo = QComboBox(parent)
    for role in roles:
        combo.addItem(f"{ROLE_LABELS[role]} — {ROLE_HELP[role]}", role.value)
    if current is not None:
        combo.setCurrentIndex(max(combo.findData(current.value), 0))
    combo.setAccessibleName("Role")
    return combo


class _WorkingDialog(MarkedDialog):
    """A dialog whose OK runs a store change on a worker; it closes only when the change succeeded."""

    acting_password: QLineEdit  # the acting admin's own password box, made by each subclass

    def __init__(self, parent: QWidget | None, title: str) -> None:
        super().__init__(parent, title)
        self.error_label: QLabel | None = None
        self.buttons = QDialogButtonBox(self)
        self.busy = False

    def _finish_layout(self, ok_text: str) -> None:
        self.error_label = self.add_error_label()
        self.ok_button = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("&Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.body.addWidget(self.buttons)

    def show_error(self, text: str, focus: QWidget | None = None) -> None:
        assert self.error_label is not None
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if focus is not None:
            focus.setFocus()

    def _ok(self) -> None:
        raise NotImplementedError  # abstract: each editor/dialog subclass defines it

    def _acting_password_missing(self) -> bool:
        """Every account change needs the acting admin's own password (it unlocks the station key)."""
        if self.acting_password.text():
            return False
        self.show_error("Type your own password: it unlocks the station signing key.", self.acting_password)
        return True

    def _run(
        self, work: Callable[[], T], done: Callable[[T], None], *, label: str, wrong_password: QLineEdit
    ) -> None:
        """Run ``work`` off the UI thread; ``done(result)`` then closes the dialog. A refusal from the
        store is shown inline (a wrong password clears that box); a bug is logged and shown calmly."""
        if self.busy:
            return
        self.busy = True
        self.buttons.setEnabled(False)
        self.show_error("")

        def succeeded(result: T) -> None:
            self.busy = False
            self.buttons.setEnabled(True)
            done(result)
            self.accept()

        def failed(exc: BaseException) -> bool:
            self.busy = False
            self.buttons.setEnabled(True)
            if not isinstance(exc, UserFacingError):
                return False  # Op logs it with its traceback and shows the calm "unexpected" message
            log.ui.info("account change refused (%s)", type(exc).__name__)
            if isinstance(exc, WrongPassword):
                wrong_password.clear()
                self.show_error(exc.message, wrong_password)
            else:
                self.show_error(exc.message)
            return True

        ops.Op(self, work, label=label).success(succeeded).failure(failed).run()


class AddUserDialog(_WorkingDialog):
    """Username, full name, collar number, role and a first password (twice), then the administrator's
    own password to issue the new user's signing certificate."""

    def __init__(self, parent: QWidget | None, create: Callable[[NewAccount, str], User]) -> None:
        super().__init__(parent, "Add user")
        self._create = create
        self.created: User | None = None
        self.add_heading("Add a user")
        form = QFormLayout()
        self.username = QLineEdit(self)
        self.username.setPlaceholderText("e.g. pc1234 or j.smith")
        self.full_name = QLineEdit(self)
        self.full_name.setPlaceholderText("as printed under their signature")
        self.collar = QLineEdit(self)
        self.collar.setPlaceholderText("e.g. PC1234 (optional)")
        self.role = _role_combo(self, (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN))
        self.password = self.make_password_box("New user's password")
        self.repeat = self.make_password_box("Repeat the new user's password")
        for label, widget, name in (
            ("&Username", self.username, "Username"),
            ("&Full name", self.full_name, "Full name"),
            ("&Collar number", self.collar, "Collar number"),
            ("&Role", self.role, "Role"),
            ("&Password", self.password, "New user's password"),
            ("R&epeat password", self.repeat, "Repeat the new user's password"),
        ):
            widget.setAccessibleName(name)
            form.addRow(label, widget)
        self.body.addLayout(form)
        self.body.addWidget(_separator(self))
        explain = QLabel(
            "Your own password unlocks the station signing key, which issues the new user's signing "
            "certificate. Give the new user their password in person; they can change it later.",
            self,
        )
        explain.setWordWrap(True)
        explain.setObjectName("hint")
        self.body.addWidget(explain)
        acting_form = QFormLayout()
        self.acting_password = self.make_password_box("Your password")
        acting_form.addRow("&Your password", self.acting_password)
        self.body.addLayout(acting_form)
        self._finish_layout("&Add user")
        self.setMinimumWidth(520)
        self.username.setFocus()

    def request(self) -> NewAccount | None:
        """The typed account, checked as the store will check it; None (with the problem shown) if not."""
        checks: list[tuple[QWidget, Callable[[], Any]]] = [
            (self.username, lambda: check_username(self.username.text().strip())),
            (self.full_name, lambda: check_full_name(self.full_name.text())),
            (self.collar, lambda: check_collar(self.collar.text())),
            (self.password, lambda: check_new_password(self.password.text())),
        ]
        for widget, check in checks:
            try:
                check()
            except InvalidInput as exc:
                self.show_error(exc.message, widget)
                return None
        if not self.passwords_match(self.password, self.repeat):
            self.show_error(
                "The two passwords are not the same. Type the password again in 'Repeat password'.",
                self.repeat,
            )
            return None
        if self._acting_password_missing():
            return None
        return NewAccount(
            username=self.username.text().strip(),
            full_name=check_full_name(self.full_name.text()),
            collar=check_collar(self.collar.text()),
            role=Role(str(self.role.currentData())),
            password=self.password.text(),
        )

    def _ok(self) -> None:
        account = self.request()
        if account is None:
            return
        acting = self.acting_password.text()
        create = self._create

        def done(user: User) -> None:
            self.created = user

        self._run(
            lambda: create(account, acting),
            done,
            label="Creating the account and its signing key…",
            wrong_password=self.acting_password,
        )

    @classmethod
    def ask(cls, parent: QWidget | None, create: Callable[[NewAccount, str], User]) -> User | None:
        dialog = cls(parent, create)
        dialog.exec()
        return dialog.created


class ResetPasswordDialog(_WorkingDialog):
    """A new password for someone who forgot theirs. Their old signing key cannot be recovered (it was
    encrypted under the old password), so a new key and certificate are issued; signed PDFs stay valid."""

    def __init__(self, parent: QWidget | None, user: User, reset: Callable[[str, str], None]) -> None:
        super().__init__(parent, "Reset password")
        self._reset = reset
        self.done_ok = False
        self.add_heading(f"Reset the password of {user.full_name} ({user.username})")
        explain = QLabel(
            "They get a new signing key with the new password; forms they signed before stay valid. "
            "The account is unlocked at the same time.",
            self,
        )
        explain.setWordWrap(True)
        self.body.addWidget(explain)
        form = QFormLayout()
        self.password = self.make_password_box("New password")
        self.repeat = self.make_password_box("Repeat the new password")
        self.acting_password = self.make_password_box("Your password")
        form.addRow("&New password", self.password)
        form.addRow("R&epeat new password", self.repeat)
        form.addRow("&Your password", self.acting_password)
        self.body.addLayout(form)
        self._finish_layout("&Reset password")
        self.setMinimumWidth(480)
        self.password.setFocus()

    def _ok(self) -> None:
        try:
            check_new_password(self.password.text())
        except InvalidInput as exc:
            self.show_error(exc.message, self.password)
            return
        if not self.passwords_match(self.password, self.repeat):
            self.show_error("The two passwords are not the same. Type the new password again.", self.repeat)
            return
        if self._acting_password_missing():
            return
        new_password, acting, reset = self.password.text(), self.acting_password.text(), self._reset

        def done(_result: None) -> None:
            self.done_ok = True

        self._run(
            lambda: reset(new_password, acting),
            done,
            label="Issuing a new signing key…",
            wrong_password=self.acting_password,
        )

    @classmethod
    def ask(cls, parent: QWidget | None, user: User, reset: Callable[[str, str], None]) -> bool:
        dialog = cls(parent, user, reset)
        dialog.exec()
        return dialog.done_ok


def roles_offered(user: User) -> tuple[Role, ...]:
    """What a role can be changed to: accounts are never promoted to admin (each admin needs their own
    copy of the station key, made when the account is created), but an admin can be made an officer or
    supervisor."""
    if user.role is Role.ADMIN:
        return (Role.ADMIN, Role.SUPERVISOR, Role.OFFICER)
    return (Role.OFFICER, Role.SUPERVISOR)


class ChangeRoleDialog(_WorkingDialog):
    def __init__(self, parent: QWidget | None, user: User, change: Callable[[Role, str], User]) -> None:
        super().__init__(parent, "Change role")
        self._change = change
        self.changed: User | None = None
        self.user = user
        self.add_heading(f"Change the role of {user.full_name} ({user.username})")
        explain = QLabel(
            f"Now: {ROLE_LABELS[user.role]}. Their signing certificate is re-issued with the new role. "
            "Accounts cannot be promoted to administrator: create a separate administrator account instead.",
            self,
        )
        explain.setWordWrap(True)
        self.body.addWidget(explain)
        form = QFormLayout()
        self.role = _role_combo(self, roles_offered(user), user.role)
        self.acting_password = self.make_password_box("Your password")
        form.addRow("New &role", self.role)
        form.addRow("&Your password", self.acting_password)
        self.body.addLayout(form)
        self._finish_layout("C&hange role")
        self.setMinimumWidth(560)
        self.role.setFocus()

    def _ok(self) -> None:
        role = Role(str(self.role.currentData()))
        if role is self.user.role:
            self.show_error(
                f"{self.user.full_name} is already {ROLE_LABELS[role].lower()}. Choose another role.",
                self.role,
            )
            return
        if self._acting_password_missing():
            return
        acting, change = self.acting_password.text(), self._change

        def done(user: User) -> None:
            self.changed = user

        self._run(
            lambda: change(role, acting),
            done,
            label="Re-issuing the certificate…",
            wrong_password=self.acting_password,
        )

    @classmethod
    def ask(cls, parent: QWidget | None, user: User, change: Callable[[Role, str], User]) -> User | None:
        dialog = cls(parent, user, change)
        dialog.exec()
        return dialog.changed


class AuditExportDialog(MarkedDialog):
    """Where to write the audit log CSV, and for which days (both optional; inclusive, UTC)."""

    def __init__(
        self, parent: QWidget | None, *, default_folder: Path | None = None, today: dt.date | None = None
    ) -> None:
        super().__init__(parent, "Export audit log")
        self.result_request: AuditExportRequest | None = None
        today = today or dt.date.today()
        self.add_heading("Export the audit log (CSV)")
        explain = QLabel(
            "For the Information Commissioner or an investigation: every event with its time, user and "
            "hash; no form content. Leave a date empty to export from the first or to the latest event. "
            "The export is itself recorded in the audit log.",
            self,
        )
        explain.setWordWrap(True)
        self.body.addWidget(explain)
        form = QFormLayout()
        self.date_from = QLineEdit(self)
        self.date_from.setPlaceholderText("dd/mm/yyyy (empty: from the start)")
        self.date_from.setAccessibleName("From date")
        self.date_to = QLineEdit(self)
        self.date_to.setPlaceholderText("dd/mm/yyyy (empty: up to today)")
        self.date_to.setAccessibleName("To date")
        form.addRow("&From", self.date_from)
        form.addRow("&To", self.date_to)
        self.path, self.choose_button = _file_row(self, form, "F&ile", "write", self._choose)
        folder = default_folder or Path.home()
        self.path.setText(str(folder / f"dsvdesk-audit-{today.isoformat()}.csv"))
        self.body.addLayout(form)
        self.error_label = self.add_error_label()
        self.ok_button = self.add_buttons("&Export", self._ok)
        self.setMinimumWidth(560)
        self.date_from.setFocus()

    def _choose(self) -> None:
        # Replacing an existing file is asked about once, by _ok, for typed and chosen names alike.
        chosen, _filter = QFileDialog.getSaveFileName(
            self,
            "Export audit log — DSVDesk",
            self.path.text(),
            "CSV files (*.csv)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if chosen:
            self.path.setText(chosen)

    def _date(self, box: QLineEdit, which: str) -> tuple[bool, dt.date | None]:
        """(ok, date): an empty box is fine (no limit); text that is not a real date is refused."""
        text = box.text().strip()
        if not text:
            return True, None
        try:
            return True, dt.date.fromisoformat(parse_date(text) or "")
        except ValueError:
            self._error(
                f"The {which} date {text!r} is not a date. Type it as dd/mm/yyyy, e.g. 01/04/2026.", box
            )
            return False, None

    def _error(self, text: str, focus: QWidget) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(True)
        focus.setFocus()

    def request(self) -> AuditExportRequest | None:
        ok_from, date_from = self._date(self.date_from, "from")
        if not ok_from:
            return None
        ok_to, date_to = self._date(self.date_to, "to")
        if not ok_to:
            return None
        if date_from and date_to and date_from > date_to:
            self._error(
                f"The from date ({display_date(date_from.isoformat())}) is after the to date "
                f"({display_date(date_to.isoformat())}). Swap them or change one.",
                self.date_from,
            )
            return None
        text = self.path.text().strip()
        if not text:
            self._error("Give a file to write the audit log to.", self.path)
            return None
        path = Path(text).expanduser()
        if path.is_dir():
            self._error(f"{path} is a folder. Add a file name, e.g. {path / 'audit.csv'}.", self.path)
            return None
        if path.suffix.lower() != ".csv":
            path = path.with_name(path.name + ".csv")
        if not path.parent.is_dir():
            self._error(f"The folder {path.parent} does not exist. Choose another place.", self.path)
            return None
        return AuditExportRequest(path, date_from, date_to)

    def _ok(self) -> None:
        request = self.request()
        if request is None:
            return
        if request.path.exists() and not messages.confirm(
            self,
            "Replace the file?",
            f"{request.path} already exists. Replace it with this export?",
            yes_text="&Replace it",
            no_text="&Keep it",
        ):
            self.path.setFocus()
            return
        self.result_request = request
        self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, *, default_folder: Path | None = None) -> AuditExportRequest | None:
        dialog = cls(parent, default_folder=default_folder)
        dialog.exec()
        return dialog.result_request


class AuditCheckDialog(MarkedDialog):
    """Check the audit log as `dsvdesk audit verify --against FILE --trust FORCE_ROOT.pem` does: the
    chain and its signed checkpoints, against the force root pinned at this station, and optionally a
    head kept outside the database (a document made here: the log must still hold the moment it was made)."""

    def __init__(self, parent: QWidget | None, *, force_root: str) -> None:
        super().__init__(parent, "Check the audit log")
        self.result_request: AuditCheckRequest | None = None
        self.add_heading("Check the audit log")
        explain = QLabel(
            "Checks every event's hash and every signed checkpoint. Give a signed PDF, board pack, "
            "encrypted backup or transfer bundle made here to prove as well that the log still holds the "
            "moment it was made (cutting events off the end is caught only this way). Leave it empty to "
            "check the log alone.",
            self,
        )
        explain.setWordWrap(True)
        self.body.addWidget(explain)
        self.force_root = QLabel(force_root, self)
        self.force_root.setObjectName("hint")
        self.force_root.setWordWrap(True)
        self.force_root.setAccessibleName("Force root the checkpoints are checked against")
        self.body.addWidget(self.force_root)
        form = QFormLayout()
        self.path, self.choose_button = _file_row(self, form, "&Against", "check against", self._choose)
        self.path.setAccessibleName("Document, pack, backup or bundle to check against (optional)")
        self.path.setPlaceholderText("optional: a PDF, board pack, backup or bundle")
        self.body.addLayout(form)
        self.error_label = self.add_error_label()
        self.ok_button = self.add_buttons("Chec&k", self._ok)
        self.setMinimumWidth(560)
        self.path.setFocus()

    def _choose(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self,
            "Check the audit log against — DSVDesk",
            self.path.text(),
            "All files (*);;Signed PDFs (*.pdf);;Board packs (*.zip)",
        )
        if chosen:
            self.path.setText(chosen)

    def request(self) -> AuditCheckRequest | None:
        text = self.path.text().strip()
        if not text:
            return AuditCheckRequest(None)
        path = Path(text).expanduser()
        if not path.exists():
            self.error_label.setText(f"There is no file at {path}. Choose it again, or leave the box empty.")
            self.error_label.setVisible(True)
            self.path.setFocus()
            return None
        return AuditCheckRequest(path)

    def _ok(self) -> None:
        request = self.request()
        if request is not None:
            self.result_request = request
            self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, *, force_root: str) -> AuditCheckRequest | None:
        dialog = cls(parent, force_root=force_root)
        dialog.exec()
        return dialog.result_request


def _file_row(
    dialog: QWidget, form: QFormLayout, caption: str, purpose: str, choose: Callable[[], None]
) -> tuple[QLineEdit, QPushButton]:
    """A form row holding a file name and its "Choose…" button; the caption's Alt+letter reaches the
    box (a row holding a layout gets no buddy of its own)."""
    path = QLineEdit(dialog)
    path.setAccessibleName(f"File to {purpose}")
    button = QPushButton("C&hoose…", dialog)
    button.setAutoDefault(False)
    button.setAccessibleName(f"Choose the file to {purpose}")
    button.clicked.connect(choose)
    row = QHBoxLayout()
    row.addWidget(path, 1)
    row.addWidget(button)
    label = QLabel(caption, dialog)
    label.setBuddy(path)
    form.addRow(label, row)
    return path, button


def _separator(parent: QWidget) -> QFrame:
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


WorkingDialog = _WorkingDialog  # the base of the force certificate dialogs (admin/force.py)
