"""The Administration tab: accounts, station settings and the audit log.

Administrators manage accounts and settings and never read form content (the store refuses them).
Everything goes through the store's public API (docs/architecture.md); slow work (key generation,
password hashing, checking or exporting the whole audit chain) runs on a worker with its own ``Store``;
every refusal is shown calmly, and nothing typed is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.store import settings as settings_mod
from dsvdesk.store.models import AuditVerification, Role, User
from dsvdesk.ui import messages, ops
from dsvdesk.ui.admin.dialogs import (
    AddUserDialog,
    AuditCheckDialog,
    AuditCheckRequest,
    AuditExportDialog,
    AuditExportRequest,
    ChangeRoleDialog,
    NewAccount,
    ResetPasswordDialog,
)
from dsvdesk.ui.admin.users_model import USER_ROLE, UsersModel, locked_until
from dsvdesk.ui.qt import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)

if TYPE_CHECKING:
    from dsvdesk.export.audit_check import AuditCheck
    from dsvdesk.store import Store
    from dsvdesk.store.settings import Settings
    from dsvdesk.ui.context import AppContext

T = TypeVar("T")

# (setting name, label with mnemonic, accessible name, hint shown under the box)
_TEXT_SETTINGS = (
    ("station_name", "Station &name", "Station name", ""),
    (
        "station_code",
        "Station &code",
        "Station code",
        "Short code used in references; empty = initials of the name.",
    ),
    (
        "marking",
        "Protective &marking",
        "Protective marking",
        "Shown at the top and foot of every screen and page.",
    ),
    (
        "urn_format",
        "&Reference format",
        "Reference format",
        "Use {station}, {yyyy} or {yy}, and {seq}, e.g. {seq:05d}.",
    ),
)
_NUMBER_SETTINGS = (
    ("idle_lock_minutes", "&Idle lock after (minutes)", "Idle lock after, in minutes", "0 = never lock."),
    (
        "lockout_threshold",
        "Lock account after (&wrong passwords)",
        "Wrong passwords before an account locks",
        "",
    ),
    ("lockout_minutes", "Account lock &lasts (minutes)", "Minutes an account stays locked", ""),
)

_NUMBER_NAMES = frozenset(name for name, *_rest in _NUMBER_SETTINGS)


def _preview_urn(fmt: str, code: str, today: dt.date) -> str:
    """What the next reference would look like, or the problem with the format."""
    problem = settings_mod.check_urn_format(fmt)
    if problem:
        return problem
    return "Next reference looks like: " + fmt.format(
        station=code, yyyy=f"{today.year:04d}", yy=f"{today.year % 100:02d}", seq=1
    )


def pinned_force_roots(store: Store) -> list[Any]:
    """The force root this station holds (installed with its station certificate), as `--trust` would
    give it; none before the station is certified (the check then says so)."""
    from dsvdesk.store import pki

    pem = store.force_root_pem()
    return [pki.load_cert(pem)] if pem is not None else []


class AdminScreen(QWidget):
    """Emits ``settings_saved(Settings)`` after a change, so the window can apply the new marking and
    idle-lock time at once."""

    settings_saved = Signal(object)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._settings: Settings = settings_mod.Settings()
        self.last_check: AuditCheck | None = None  # the latest "Check the audit log…" outcome
        self.setObjectName("adminScreen")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        content = QWidget(scroll)
        content.setObjectName("adminContent")
        columns = QHBoxLayout(content)
        columns.setContentsMargins(14, 12, 14, 12)
        columns.setSpacing(14)
        columns.addWidget(self._build_accounts(content), 3)
        right = QVBoxLayout()
        right.setSpacing(14)
        right.addWidget(self._build_settings(content))
        right.addWidget(self._build_audit(content))
        right.addWidget(self._build_force(content))
        right.addStretch(1)
        columns.addLayout(right, 2)
        scroll.setWidget(content)
        outer.addWidget(scroll)
        self.refresh_users()
        self.load_settings()
        self.refresh_force()

    # ------------------------------------------------------------------ accounts
    def _build_accounts(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Accounts", parent)
        box.setObjectName("adminGroup")
        layout = QVBoxLayout(box)
        intro = QLabel(
            "Officers fill in forms, supervisors review them, administrators manage accounts and settings "
            "(and cannot read forms).",
            box,
        )
        intro.setWordWrap(True)
        intro.setObjectName("hint")
        layout.addWidget(intro)
        self.users_model = UsersModel(parent=self)
        self.users_view = QTableView(box)
        self.users_view.setObjectName("usersTable")
        self.users_view.setModel(self.users_model)
        self.users_view.setAccessibleName("User accounts")
        self.users_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.users_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.users_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.users_view.setAlternatingRowColors(True)
        self.users_view.verticalHeader().setVisible(False)
        self.users_view.setTabKeyNavigation(False)  # Tab leaves the table for the buttons
        header = self.users_view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.users_view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        layout.addWidget(self.users_view, 1)

        self.add_button = QPushButton("Add &user…", box)
        self.reset_button = QPushButton("Reset &password…", box)
        self.unlock_button = QPushButton("Unloc&k", box)
        self.role_button = QPushButton("Change r&ole…", box)
        self.refresh_button = QPushButton("Refre&sh", box)
        _button_row(
            layout,
            (
                (self.add_button, self.add_user, "Add a user"),
                (self.reset_button, self.reset_password, "Reset the selected user's password"),
                (self.unlock_button, self.unlock_user, "Unlock the selected account"),
                (self.role_button, self.change_role, "Change the selected user's role"),
                (self.refresh_button, self.refresh_users, "Refresh the list of accounts"),
            ),
        )
        self.accounts_status = _status_label(box, "Result of the last account change")
        layout.addWidget(self.accounts_status)
        return box

    def refresh_users(self, select: str | None = None) -> None:
        selected = self.selected_user()
        current = select or (selected.username if selected is not None else None)
        try:
            users = self.context.store.list_users(self.context.session)
        except UserFacingError as exc:
            messages.error(self, exc.title, exc.message)
            return
        self.users_model.set_users(users)
        self.users_view.resizeColumnsToContents()
        if current:
            self.select_user(current)
        self._update_buttons()

    def select_user(self, username: str) -> bool:
        row = self.users_model.row_of(username)
        if row < 0:
            return False
        self.users_view.selectRow(row)
        self.users_view.setCurrentIndex(self.users_model.index(row, 0))
        return True

    def selected_user(self) -> User | None:
        rows = self.users_view.selectionModel().selectedRows() if self.users_view.selectionModel() else []
        if not rows:
            return None
        user = self.users_model.data(rows[0], USER_ROLE)
        return user if isinstance(user, User) else None

    def _update_buttons(self) -> None:
        user = self.selected_user()
        me = self.context.session.user.username
        self.reset_button.setEnabled(user is not None)
        self.unlock_button.setEnabled(user is not None and locked_until(user) is not None)
        self.role_button.setEnabled(user is not None and user.username != me)
        self.role_button.setToolTip(
            "You cannot change your own role; ask another administrator."
            if user is not None and user.username == me
            else ""
        )

    def _worker_call(self, fn: Callable[[Store], T]) -> Callable[[], T]:
        """Wrap a store call for a worker thread: it opens (and closes) its own connection."""
        from dsvdesk.store import Store

        db_path = self.context.db_path

        def call() -> T:
            with Store.open(db_path) as worker_store:
                return fn(worker_store)

        return call

    def add_user(self) -> None:
        session = self.context.session

        def create(account: NewAccount, acting_password: str) -> User:
            return self._worker_call(
                lambda store: store.add_user(
                    session,
                    account.username,
                    account.role,
                    account.full_name,
                    account.collar,
                    account.password,
                    acting_password,
                )
            )()

        user = AddUserDialog.ask(self, create)
        if user is None:
            return
        log.ui.info("admin added a user account (%s)", user.role.value)
        self._done(f"Added {user.full_name} ({user.username}) as {user.role.value}. They can sign in now.")
        self.refresh_users(select=user.username)

    def reset_password(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        session = self.context.session

        def reset(new_password: str, acting_password: str) -> None:
            self._worker_call(
                lambda store: store.reset_password(session, user.username, new_password, acting_password)
            )()

        if ResetPasswordDialog.ask(self, user, reset):
            self._done(f"New password set for {user.username}; the account is unlocked.")
            self.refresh_users(select=user.username)

    def unlock_user(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        try:
            self.context.store.unlock_user(self.context.session, user.username)
        except UserFacingError as exc:
            messages.error(self, exc.title, exc.message)
            return
        self._done(f"Unlocked {user.username}: they can sign in again.")
        self.refresh_users(select=user.username)

    def change_role(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        session = self.context.session

        def change(role: Role, acting_password: str) -> User:
            return self._worker_call(
                lambda store: store.set_role(session, user.username, role, acting_password)
            )()

        changed = ChangeRoleDialog.ask(self, user, change)
        if changed is not None:
            self._done(
                f"{changed.username} is now {changed.role.value}. Their next sign-in uses the new role."
            )
            self.refresh_users(select=changed.username)

    def _done(self, text: str) -> None:
        self.accounts_status.setText(text)

    # ------------------------------------------------------------------ settings
    def _build_settings(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Station settings", parent)
        box.setObjectName("adminGroup")
        layout = QVBoxLayout(box)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.setting_boxes: dict[str, QLineEdit] = {}
        for name, label, accessible, hint in (*_TEXT_SETTINGS, *_NUMBER_SETTINGS):
            edit = QLineEdit(box)
            edit.setAccessibleName(accessible)
            if hint:
                edit.setToolTip(hint)
                edit.setAccessibleDescription(hint)
            if name in _NUMBER_NAMES:
                edit.setMaximumWidth(100)
            self.setting_boxes[name] = edit
            form.addRow(label, edit)
        self.urn_preview = _status_label(box, "Reference preview")
        form.addRow("", self.urn_preview)
        layout.addLayout(form)
        for name in ("urn_format", "station_code", "station_name"):
            self.setting_boxes[name].textChanged.connect(lambda _t: self._update_preview())
        self.save_settings_button = QPushButton("Save settin&gs", box)
        self.revert_settings_button = QPushButton("Re&vert", box)
        _button_row(
            layout,
            (
                (self.save_settings_button, self.save_settings, ""),
                (self.revert_settings_button, self.load_settings, ""),
            ),
        )
        self.settings_status = _status_label(box, "Result of saving the settings")
        layout.addWidget(self.settings_status)
        return box

    def load_settings(self) -> None:
        try:
            current = self.context.store.get_settings()
        except UserFacingError as exc:
            messages.error(self, exc.title, exc.message)
            return
        self._settings = current
        for name, edit in self.setting_boxes.items():
            edit.setText(str(getattr(current, name)))
        self.settings_status.setText("")
        self._update_preview()

    def _update_preview(self) -> None:
        made = settings_mod.default_station_code(self.setting_boxes["station_name"].text())
        self.setting_boxes["station_code"].setPlaceholderText(f"empty: {made}, from the name")
        code = self.setting_boxes["station_code"].text().strip() or made
        fmt = self.setting_boxes["urn_format"].text().strip()
        problem = settings_mod.check_urn_format(fmt)
        if problem:
            self.urn_preview.setText(problem)
            return
        try:  # the real next reference: this year's approvals counted, as the store will allocate it
            urn = self.context.store.next_urn(self.context.session, urn_format=fmt, station_code=code)
        except UserFacingError:
            self.urn_preview.setText(_preview_urn(fmt, code, dt.date.today()))
            return
        self.urn_preview.setText(f"Next reference: {urn}")

    def setting_changes(self) -> dict[str, Any]:
        """What differs from the saved settings. Numbers go as typed; the store checks and explains."""
        changes: dict[str, Any] = {}
        for name, edit in self.setting_boxes.items():
            typed = edit.text().strip()
            if typed != str(getattr(self._settings, name)):
                changes[name] = typed
        return changes

    def save_settings(self) -> None:
        changes = self.setting_changes()
        if not changes:
            self.settings_status.setText("Nothing has changed.")
            return
        try:
            saved = self.context.store.update_settings(self.context.session, **changes)
        except UserFacingError as exc:
            messages.error(
                self, "Settings not saved", f"{exc.message}\n\nNothing was changed; your typing is kept."
            )
            return
        self._settings = saved
        log.ui.info("station settings changed: %s", ", ".join(sorted(changes)))
        self.settings_status.setText("Settings saved.")
        self.settings_saved.emit(saved)

    # ------------------------------------------------------------------ audit
    def _build_audit(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Audit log (DPA 2018 s.62)", parent)
        box.setObjectName("adminGroup")
        layout = QVBoxLayout(box)
        explain = QLabel(
            "Every sign-in, opening, change, export and account change is chained by hashes: editing, "
            "removing or reordering any event breaks the chain.",
            box,
        )
        explain.setWordWrap(True)
        explain.setObjectName("hint")
        layout.addWidget(explain)
        self.verify_button = QPushButton("Verif&y chain", box)
        self.check_button = QPushButton("Check the audit log against a &backup or document…", box)
        self.export_button = QPushButton("E&xport audit log…", box)
        _button_row(
            layout,
            (
                (self.verify_button, self.verify_audit, ""),
                (
                    self.check_button,
                    self.check_audit,
                    "Against the pinned force root and, if you give one, a document made here "
                    "(as dsvdesk audit verify --against FILE --trust FORCE_ROOT.pem)",
                ),
                (self.export_button, self.export_audit, ""),
            ),
        )
        self.audit_result = QLabel("Not checked yet in this session.", box)
        self.audit_result.setObjectName("auditResult")
        self.audit_result.setWordWrap(True)
        self.audit_result.setAccessibleName("Audit chain check result")
        self.audit_result.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.audit_result)
        return box

    def verify_audit(self) -> None:
        self.verify_button.setEnabled(False)
        self.audit_result.setText("Checking the audit chain…")

        def show(result: AuditVerification) -> None:
            self.verify_button.setEnabled(True)
            self._show_verification(result)

        def failed(_exc: BaseException) -> bool:
            self.verify_button.setEnabled(True)
            self.audit_result.setText("The check could not run (see the message).")
            return False

        ops.Op(
            self, self._worker_call(lambda store: store.verify_audit()), label="Checking the audit chain…"
        ).success(show).failure(failed).run()

    def force_root_words(self) -> str:
        """Which force root the check holds the checkpoints to (read from this station's database)."""
        from dsvdesk.store import forceca

        store = self.context.store
        pin = store.force_pin()
        if store.force_root_pem() is not None and pin:
            lines = "\n".join(forceca.grouped(pin))
            return f"Checkpoints must lead to the force root pinned at this station, fingerprint:\n{lines}"
        if pin:
            return (
                "The force root is pinned but not installed yet (Force certificate ▸ Install): the log is "
                "checked against this station's own CA."
            )
        return "No force root is pinned: the log is checked against this station's own CA (not certified by a force)."

    def check_audit(self) -> None:
        request = AuditCheckDialog.ask(self, force_root=self.force_root_words())
        if request is not None:
            self.run_audit_check(request)

    def run_audit_check(self, request: AuditCheckRequest) -> None:
        """The check off the UI thread, on its own connection; the outcome in the result line and a
        message, in the words `dsvdesk audit verify` prints (intact / NOT TRUSTED / BROKEN)."""
        from dsvdesk.export.audit_check import AuditOutcome, check_audit_log
        from dsvdesk.export.heads import HeadSource

        username = self.context.session.user.username

        def work(store: Store) -> AuditCheck:  # on the worker: its own connection
            roots = pinned_force_roots(store)
            return check_audit_log(
                store, against=request.against, source=HeadSource(store, username), force_roots=roots
            )

        def show(check: AuditCheck) -> None:
            self.check_button.setEnabled(True)
            self.last_check = check
            self.audit_result.setProperty("ok", check.outcome is AuditOutcome.INTACT)
            self.audit_result.style().unpolish(self.audit_result)
            self.audit_result.style().polish(self.audit_result)
            self.audit_result.setText(check.text)
            if check.outcome is AuditOutcome.INTACT:
                messages.info(self, "Audit log intact", check.text)
                return
            log.ui.warning("audit log check: %s", check.outcome.value)
            title = (
                "Audit log NOT TRUSTED" if check.outcome is AuditOutcome.UNTRUSTED else "Audit log altered"
            )
            messages.warning(self, title, check.text)

        def failed(_exc: BaseException) -> bool:
            self.check_button.setEnabled(True)
            self.audit_result.setText("The check could not run (see the message).")
            return False  # the error's own sentence is shown (a file that carries no head, ...)

        self.check_button.setEnabled(False)
        self.audit_result.setText("Checking the audit log…")
        ops.Op(self, self._worker_call(work), label="Checking the audit log…").success(show).failure(
            failed
        ).run()

    def _show_verification(self, result: AuditVerification) -> None:
        self.audit_result.setProperty("ok", result.ok)
        self.audit_result.style().unpolish(self.audit_result)
        self.audit_result.style().polish(self.audit_result)
        if result.ok:
            lines = [
                f"✓ OK: the audit chain is intact ({result.checked:,} events checked).",
                *(
                    [f"Signed checkpoints checked against {result.checked_against}."]
                    if result.checked_against
                    else []
                ),
                *result.notes,
            ]
            self.audit_result.setText("\n".join(lines))
            return
        where = f"event {result.first_bad_event_id}" if result.first_bad_event_id is not None else "an event"
        text = f"✗ The audit chain is broken at {where}: {result.reason or 'it does not match its hash.'}"
        self.audit_result.setText(text)
        log.ui.warning("audit chain check failed at event %s", result.first_bad_event_id)
        messages.warning(
            self,
            "Audit log altered",
            f"{text}\n\nSomeone or something has changed the database outside DSVDesk. Keep this PC as it "
            "is and tell your information security officer; a backup holds the earlier chain.",
        )

    def export_audit(self) -> None:
        request = AuditExportDialog.ask(self, default_folder=_default_export_folder())
        if request is None:
            return
        self.run_export(request)

    def run_export(self, request: AuditExportRequest) -> None:
        session = self.context.session

        def done(count: int) -> None:
            self.audit_result.setText(f"Exported {count:,} events to {request.path}.")
            messages.info(self, "Audit log exported", f"{count:,} events were written to:\n{request.path}")

        ops.Op(
            self,
            self._worker_call(
                lambda store: store.export_audit_csv(
                    request.path, request.date_from, request.date_to, session=session
                )
            ),
            label="Exporting the audit log…",
        ).success(done).run()

    # ------------------------------------------------------------------ force certificate
    def _build_force(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Force certificate", parent)
        box.setObjectName("adminGroup")
        layout = QVBoxLayout(box)
        explain = QLabel(
            "Force ICT certifies this station's signing key, so that a Board secretary or a CPS lawyer holding "
            "the force root can check its documents. Until then only this station can vouch for them.",
            box,
        )
        explain.setWordWrap(True)
        explain.setObjectName("hint")
        layout.addWidget(explain)
        self.force_status = QLabel("", box)
        self.force_status.setObjectName("forceStatus")
        self.force_status.setWordWrap(True)
        self.force_status.setAccessibleName("Force certificate status")
        self.force_status.setTextFormat(Qt.TextFormat.PlainText)
        self.force_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.force_status)
        self.pin_button = QPushButton("Pin force roo&t…", box)
        self.request_button = QPushButton("Certificate re&quest…", box)
        self.install_button = QPushButton("Install station c&ertificate…", box)
        self.crl_button = QPushButton("Loa&d revocation list…", box)
        _button_row(
            layout,
            (
                (self.pin_button, self.pin_force_root, "Pin the force root"),
                (self.request_button, self.make_request, "Make the station's certificate request"),
            ),
        )
        _button_row(
            layout,
            (
                (self.install_button, self.install_certificate, "Install the station certificate"),
                (self.crl_button, self.load_revocations, "Load the force's revocation list"),
            ),
        )
        return box

    def refresh_force(self) -> None:
        """The station's place in the force hierarchy, in words."""
        from dsvdesk.store import forceca, pki

        store = self.context.store
        try:
            pin, root, revoked = store.force_pin(), store.force_root_pem(), len(store.revocation_entries())
        except UserFacingError as exc:
            self.force_status.setText(exc.message)
            return
        if root:
            text = f"✓ Certified by the force root {forceca.fingerprint(pki.load_cert(root))}."
        else:
            text = "Station CA not certified by a force: only this station can vouch for its documents."
            text += (
                f"\nPinned force root: {pin}."
                if pin
                else "\nNo force root pinned yet: start with Pin force root."
            )
        if revoked:
            text += f"\nThe force's revocation list names {revoked} certificate(s)."
        self.force_status.setProperty("ok", bool(root))
        self.force_status.setText(text)
        self.install_button.setEnabled(pin is not None)
        self.crl_button.setEnabled(root is not None)

    def pin_force_root(self) -> None:
        from dsvdesk.ui.admin.force import PinForceRootDialog

        session = self.context.session
        pinned = PinForceRootDialog.ask(
            self,
            lambda fingerprint: self._worker_call(lambda store: store.pin_force_root(session, fingerprint))(),
            current_pin=self.context.store.force_pin(),
        )
        if pinned is not None:
            log.ui.info("admin pinned the force root")
            self.refresh_force()
            messages.info(
                self,
                "Force root pinned",
                f"This station now trusts only the force root with the fingerprint\n{pinned}.\n\n"
                "Next: make the station's certificate request and take it to force ICT.",
            )

    def make_request(self) -> None:
        from dsvdesk.ui.admin.force import StationRequestDialog

        session = self.context.session
        written = StationRequestDialog.ask(
            self,
            lambda password: self._worker_call(lambda store: store.station_request(session, password))(),
            default_path=_default_export_folder() / "station_request.csr",
        )
        if written is not None:
            log.ui.info("admin wrote the station's certificate request")
            messages.info(
                self,
                "Certificate request written",
                f"The request was written to:\n{written}\n\nTake it to force ICT. They send back the station "
                "certificate and the force root: install them with Install station certificate.",
            )

    def install_certificate(self) -> None:
        from dsvdesk.ui.admin.force import InstallStationCertDialog

        session = self.context.session
        installed = InstallStationCertDialog.ask(
            self,
            lambda cert, root: self._worker_call(
                lambda store: store.install_station_certificate(session, cert, root)
            )(),
            pin=self.context.store.force_pin(),
        )
        if installed is not None:
            log.ui.info("admin installed the station certificate")
            self.refresh_force()
            messages.info(
                self,
                "Station certificate installed",
                "This station's CA is now certified by the force root. Documents signed from now on lead to "
                "it, so anyone holding the force root can check them.",
            )

    def load_revocations(self) -> None:
        from dsvdesk.ui.admin.force import RevocationListDialog

        session = self.context.session
        count = RevocationListDialog.ask(
            self,
            lambda data: self._worker_call(lambda store: store.import_revocation_list(session, data))(),
        )
        if count is not None:
            log.ui.info("admin loaded the force's revocation list (%d entries)", count)
            self.refresh_force()
            messages.info(
                self,
                "Revocation list loaded",
                f"The force's revocation list names {count} certificate(s); their holders can no longer sign.",
            )


def _button_row(layout: QVBoxLayout, buttons: Sequence[tuple[QPushButton, Callable[[], None], str]]) -> None:
    """(button, slot, accessible name or "") left-aligned in a row below ``layout``'s content. None is
    an auto-default button: Enter in a table or box above must not press one."""
    row = QHBoxLayout()
    for button, slot, name in buttons:
        button.setAutoDefault(False)
        if name:
            button.setAccessibleName(name)
        button.clicked.connect(slot)
        row.addWidget(button)
    row.addStretch(1)
    layout.addLayout(row)


def _status_label(parent: QWidget, accessible_name: str) -> QLabel:
    """A quiet line of text saying what just happened (or what a setting will give)."""
    label = QLabel("", parent)
    label.setObjectName("hint")
    label.setWordWrap(True)
    label.setAccessibleName(accessible_name)
    return label


def _default_export_folder() -> Path:
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()
