"""The force certificate tasks of a station's administrator (issue 16), the app's side of `dsvdesk trust`:
pin the force root (its fingerprint shown in numbered groups, to read aloud to force ICT or compare with
their letter), make the station's certificate request, install the station CA certificate force ICT
issued, and load the force's revocation list.

Like the account dialogs (admin/dialogs.py) each runs its change off the UI thread and stays open with an
inline sentence when the store refuses; the change is a callable the caller passes in (it opens its own
``Store`` on the worker), so these dialogs hold no store and no session.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dsvdesk.errors import UserFacingError
from dsvdesk.store import forceca
from dsvdesk.ui.admin.dialogs import WorkingDialog
from dsvdesk.ui.qt import (
    QCheckBox,
    QFileDialog,
    QFontDatabase,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QWidget,
)

MAX_FILE_BYTES = 4 * 1024 * 1024  # a certificate or a revocation list is a few kilobytes
CERT_FILTER = "Certificates (*.pem *.crt *.cer *.der);;All files (*)"
REQUEST_FILTER = "Certificate requests (*.csr);;All files (*)"
CRL_FILTER = "Revocation lists (*.crl *.pem);;All files (*)"


class FileProblem(UserFacingError):
    """A file named in a dialog that cannot be used (missing, a folder, unreadable, too large)."""


def read_small_file(text: str, what: str) -> bytes:
    """The bytes of the file typed or chosen as ``what``; one sentence when it cannot be used."""
    if not text.strip():
        raise FileProblem(f"Choose the {what} file.")
    path = Path(text.strip()).expanduser()
    if path.is_dir():
        raise FileProblem(f"{path} is a folder; choose the {what} file in it.")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FileProblem(f"{path.name} is far too large to be a {what}; choose the file force ICT sent.")
        return path.read_bytes()
    except FileNotFoundError:
        raise FileProblem(f"There is no file at {path}; check the name or choose it again.") from None
    except OSError as exc:
        raise FileProblem(f"{path} cannot be read ({exc.strerror or exc}).") from None


def fingerprint_lines(fingerprint: str) -> str:
    return "\n".join(forceca.grouped(fingerprint))


def fingerprint_of_file(text: str, what: str) -> str:
    """The SHA-256 fingerprint of the one certificate in a file; `UserFacingError` when there is none."""
    return forceca.fingerprint(forceca.load_one_certificate(read_small_file(text, what), f"The {what} file"))


class _ForceDialog(WorkingDialog):
    """Shared parts: rows with a file box and a Choose… button, and a fingerprint shown for reading aloud."""

    view: QLabel

    def file_row(
        self,
        form: QFormLayout,
        label: str,
        accessible: str,
        *,
        filter_text: str,
        save: bool = False,
        choose_text: str = "C&hoose…",
    ) -> QLineEdit:
        box = QLineEdit(self)
        box.setAccessibleName(accessible)
        choose = QPushButton(choose_text, self)
        choose.setAutoDefault(False)
        choose.setAccessibleName(f"Choose the {accessible.lower()}")
        choose.clicked.connect(lambda: self._choose(box, accessible, filter_text, save=save))
        row = QHBoxLayout()
        row.addWidget(box, 1)
        row.addWidget(choose)
        caption = QLabel(label, self)
        caption.setBuddy(box)  # a row holding a layout gets no buddy of its own
        form.addRow(caption, row)
        return box

    def _choose(self, box: QLineEdit, title: str, filter_text: str, *, save: bool) -> None:
        if save:
            chosen, _filter = QFileDialog.getSaveFileName(self, f"{title} — DSVDesk", box.text(), filter_text)
        else:
            chosen, _filter = QFileDialog.getOpenFileName(self, f"{title} — DSVDesk", box.text(), filter_text)
        if chosen:
            box.setText(chosen)
        box.setFocus()

    def fingerprint_view(self, accessible: str) -> QLabel:
        view = QLabel("", self)
        view.setObjectName("fingerprint")
        view.setAccessibleName(accessible)
        view.setTextFormat(Qt.TextFormat.PlainText)
        view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        view.setWordWrap(True)
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        return view

    def show_fingerprint(self, text: str) -> None:
        """Put ``text`` in the fingerprint view and grow the dialog to show it all (buttons included)."""
        self.view.setText(text)
        if self.isVisible():
            self.grow_to_fit()


class PinForceRootDialog(_ForceDialog):
    """The force root's fingerprint, from the certificate file force ICT sent and/or typed from their
    letter: shown in numbered groups to read aloud (or compare), confirmed, then pinned. When both are
    given they must agree."""

    def __init__(self, parent: QWidget | None, pin: Callable[[str], str], *, current_pin: str | None) -> None:
        super().__init__(parent, "Pin the force root")
        self._pin = pin
        self.pinned: str | None = None
        self.add_heading("Pin the force root")
        self.add_explanation(
            "Force ICT sends the force root certificate (force_root.pem) and, by another route (a letter or a "
            "phone call), its fingerprint. Choose the file, or type the fingerprint from the letter, or both. "
            "Then read the fingerprint shown below aloud to force ICT, or compare it with the letter, line "
            "by line. Only documents that lead to this root will be trusted."
            + (f"\n\nPinned now: {current_pin}" if current_pin else "")
        )
        form = QFormLayout()
        self.root_file = self.file_row(
            form, "Force root &file", "Force root certificate file", filter_text=CERT_FILTER
        )
        self.typed = QLineEdit(self)
        self.typed.setAccessibleName("Fingerprint from force ICT's letter")
        self.typed.setPlaceholderText("AB:CD:… (64 hexadecimal digits)")
        form.addRow("Fingerprint from the le&tter", self.typed)
        self.body.addLayout(form)
        self.view = self.fingerprint_view("Fingerprint to compare")
        self.body.addWidget(self.view)
        self.compared = QCheckBox(
            "I &read it aloud to force ICT (or compared it with their letter) and every group matches", self
        )
        self.body.addWidget(self.compared)
        self._finish_layout("&Pin this root")
        self.root_file.textChanged.connect(lambda _t: self.refresh())
        self.typed.textChanged.connect(lambda _t: self.refresh())
        self.setMinimumWidth(600)
        self.root_file.setFocus()
        self.refresh()

    def fingerprint(self) -> tuple[str | None, str]:
        """(the fingerprint to pin, "") or (None, why not)."""
        from_file = typed = None
        try:
            if self.root_file.text().strip():
                from_file = fingerprint_of_file(self.root_file.text(), "force root")
            if self.typed.text().strip():
                typed = forceca.normalise_fingerprint(self.typed.text())
        except UserFacingError as exc:
            return None, exc.message
        if from_file and typed and from_file != typed:
            return None, (
                "The file's fingerprint is not the one typed from the letter: the file is not force ICT's "
                "root, or the letter was misread. Do not pin it; ask force ICT."
            )
        chosen = from_file or typed
        if chosen is None:
            return None, "Choose the force root file or type its fingerprint."
        return chosen, ""

    def refresh(self) -> None:
        fingerprint, problem = self.fingerprint()
        if fingerprint is None:
            self.show_fingerprint(problem)
            return
        both = self.root_file.text().strip() and self.typed.text().strip()
        self.show_fingerprint(
            ("The file and the letter agree. " if both else "")
            + "Read this aloud to force ICT, or compare it with their letter:\n\n"
            + fingerprint_lines(fingerprint)
        )

    def _ok(self) -> None:
        fingerprint, problem = self.fingerprint()
        self.refresh()
        if fingerprint is None:
            self.show_error(problem, self.root_file if not self.typed.text().strip() else self.typed)
            return
        if not self.compared.isChecked():
            self.show_error(
                "Compare the fingerprint with force ICT first (aloud or with their letter), then tick the box.",
                self.compared,
            )
            return
        pin = self._pin

        def done(pinned: str) -> None:
            self.pinned = pinned

        self._run(lambda: pin(fingerprint), done, label="Pinning the force root…", wrong_password=self.typed)

    @classmethod
    def ask(cls, parent: QWidget | None, pin: Callable[[str], str], *, current_pin: str | None) -> str | None:
        dialog = cls(parent, pin, current_pin=current_pin)
        dialog.exec()
        return dialog.pinned


class StationRequestDialog(_ForceDialog):
    """Where to save the station's certificate request, and the admin's password (it unlocks the station
    key that signs the request). The file holds the station's name and public key, no secret."""

    def __init__(self, parent: QWidget | None, make: Callable[[str], bytes], *, default_path: Path) -> None:
        super().__init__(parent, "Station certificate request")
        self._make = make
        self.written: Path | None = None
        self.add_heading("Make the station's certificate request")
        self.add_explanation(
            "The request holds this station's name and the public half of its signing key; nothing secret. "
            "Take it to force ICT (USB stick or secure e-mail). They issue the station certificate and send it "
            "back with the force root, to install here."
        )
        form = QFormLayout()
        self.path = self.file_row(
            form, "&Save as", "Request file to write", filter_text=REQUEST_FILTER, save=True
        )
        self.path.setText(str(default_path))
        self.acting_password = self.make_password_box("Your password")
        form.addRow("&Your password", self.acting_password)
        self.body.addLayout(form)
        self._finish_layout("&Make request")
        self.setMinimumWidth(600)
        self.acting_password.setFocus()

    def target(self) -> Path | None:
        text = self.path.text().strip()
        if not text:
            self.show_error("Give a file to write the request to.", self.path)
            return None
        path = Path(text).expanduser()
        if path.suffix.lower() != ".csr":
            path = path.with_name(path.name + ".csr")
        if path.exists():
            self.show_error(f"{path} already exists; nothing is overwritten. Choose another name.", self.path)
            return None
        if not path.parent.is_dir():
            self.show_error(f"The folder {path.parent} does not exist. Choose another place.", self.path)
            return None
        return path

    def _ok(self) -> None:
        path = self.target()
        if path is None or self._acting_password_missing():
            return
        password, make = self.acting_password.text(), self._make

        def work() -> Path:
            pem = make(password)
            try:
                with path.open("xb") as handle:
                    handle.write(pem)
            except OSError as exc:
                raise FileProblem(f"{path} cannot be written ({exc.strerror or exc}).") from None
            return path

        def done(written: Path) -> None:
            self.written = written

        self._run(work, done, label="Making the request…", wrong_password=self.acting_password)

    @classmethod
    def ask(cls, parent: QWidget | None, make: Callable[[str], bytes], *, default_path: Path) -> Path | None:
        dialog = cls(parent, make, default_path=default_path)
        dialog.exec()
        return dialog.written


class InstallStationCertDialog(_ForceDialog):
    """The station certificate force ICT issued and the force root it leads to; the root's fingerprint is
    shown against the pinned one before anything is installed (the store checks pin, key, issuer, dates)."""

    def __init__(
        self, parent: QWidget | None, install: Callable[[bytes, bytes], str], *, pin: str | None
    ) -> None:
        super().__init__(parent, "Install the station certificate")
        self._install = install
        self._pin = pin
        self.installed: str | None = None
        self.add_heading("Install the station certificate")
        self.add_explanation(
            "Choose the station certificate force ICT issued for this station's request, and the force root "
            "certificate they sent with it. From then on this station's documents lead to the force root, "
            "so anyone holding the root can check them."
        )
        form = QFormLayout()
        self.cert_file = self.file_row(
            form, "Station c&ertificate", "Station certificate file", filter_text=CERT_FILTER
        )
        self.root_file = self.file_row(
            form,
            "Force &root",
            "Force root certificate file",
            filter_text=CERT_FILTER,
            choose_text="Ch&oose…",
        )
        self.body.addLayout(form)
        self.view = self.fingerprint_view("Force root fingerprint compared with the pin")
        self.body.addWidget(self.view)
        self._finish_layout("&Install")
        self.root_file.textChanged.connect(lambda _t: self.refresh())
        self.setMinimumWidth(600)
        self.cert_file.setFocus()
        self.refresh()

    def refresh(self) -> None:
        if self.error_label is not None and self.error_label.isVisible():
            self.show_error("")  # the last refusal was about the file just changed
        if self._pin is None:
            self.show_fingerprint(
                "No force root is pinned at this station yet: pin its fingerprint first (Pin force root…)."
            )
            return
        if not self.root_file.text().strip():
            self.show_fingerprint("Pinned force root:\n\n" + fingerprint_lines(self._pin))
            return
        try:
            got = fingerprint_of_file(self.root_file.text(), "force root")
        except UserFacingError as exc:
            self.show_fingerprint(exc.message)
            return
        verdict = (
            "✓ This root is the one pinned at this station:"
            if got == self._pin
            else "✗ This is NOT the root pinned at this station; it will not be installed. Its fingerprint:"
        )
        self.show_fingerprint(f"{verdict}\n\n{fingerprint_lines(got)}")

    def _ok(self) -> None:
        self.refresh()
        try:
            cert = read_small_file(self.cert_file.text(), "station certificate")
        except UserFacingError as exc:
            self.show_error(exc.message, self.cert_file)
            return
        try:
            root = read_small_file(self.root_file.text(), "force root")
        except UserFacingError as exc:
            self.show_error(exc.message, self.root_file)
            return
        install = self._install

        def done(fingerprint: str) -> None:
            self.installed = fingerprint

        self._run(
            lambda: install(cert, root),
            done,
            label="Installing the certificate…",
            wrong_password=self.cert_file,
        )

    @classmethod
    def ask(
        cls, parent: QWidget | None, install: Callable[[bytes, bytes], str], *, pin: str | None
    ) -> str | None:
        dialog = cls(parent, install, pin=pin)
        dialog.exec()
        return dialog.installed


class RevocationListDialog(_ForceDialog):
    """The force's revocation list (a file from force ICT): checked against the installed force root, then
    kept; the users it names cannot sign any more."""

    def __init__(self, parent: QWidget | None, load: Callable[[bytes], int]) -> None:
        super().__init__(parent, "Load the revocation list")
        self._load = load
        self.revoked: int | None = None
        self.add_heading("Load the force's revocation list")
        self.add_explanation(
            "Force ICT revokes a certificate when its key may be in other hands (a lost laptop, a leaver). "
            "Choose the revocation list they sent (force_revocations.crl). Users it names can no longer sign; "
            "what they signed before stays valid."
        )
        form = QFormLayout()
        self.crl_file = self.file_row(
            form, "Revocation &list", "Revocation list file", filter_text=CRL_FILTER
        )
        self.body.addLayout(form)
        self._finish_layout("L&oad list")
        self.setMinimumWidth(600)
        self.crl_file.setFocus()

    def _ok(self) -> None:
        try:
            data = read_small_file(self.crl_file.text(), "revocation list")
        except UserFacingError as exc:
            self.show_error(exc.message, self.crl_file)
            return
        load = self._load

        def done(count: int) -> None:
            self.revoked = count

        self._run(
            lambda: load(data), done, label="Loading the revocation list…", wrong_password=self.crl_file
        )

    @classmethod
    def ask(cls, parent: QWidget | None, load: Callable[[bytes], int]) -> int | None:
        dialog = cls(parent, load)
        dialog.exec()
        return dialog.revoked
