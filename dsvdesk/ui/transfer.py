"""File ▸ Send records to another unit… / Import a transfer bundle… (issue 17), for supervisors.

The export and the import run on a worker thread with their own ``Store`` on the same file (the
session's keys are held process-wide), and report their progress to a progress bar on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.ui import messages
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.marking import current_marking
from dsvdesk.ui.qt import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QObject,
    QProgressDialog,
    QPushButton,
    QRunnable,
    Qt,
    QThreadPool,
    QWidget,
    Signal,
)

if TYPE_CHECKING:
    from dsvdesk.store.transfer import Peer
    from dsvdesk.ui.main_window import MainWindow

SUFFIX = ".dsvbundle"


@dataclass(frozen=True, slots=True)
class ExportRequest:
    unit: str  # the receiving unit's uid
    path: Path
    password: str


class ExportDialog(MarkedDialog):
    """Which unit, which file, and the supervisor's password (it signs the bundle)."""

    def __init__(self, parent: QWidget | None, peers: list[Peer], folder: str = "") -> None:
        super().__init__(parent, "Send records to another unit")
        self.add_heading("Send records to another unit")
        self.add_explanation(
            "Every submitted or approved record the other unit should have, changed since it last "
            "acknowledged a bundle, goes into one file, encrypted so that only that unit can open it, and "
            "signed with your key. Take the file to the other unit; it is logged as a disclosure."
        )
        form = QFormLayout()
        self.unit = QComboBox(self)
        self.unit.setAccessibleName("Receiving unit")
        for peer in peers:
            self.unit.addItem(f"{peer.name} ({peer.code}, {peer.kind})", peer.uid)
        form.addRow("&Unit:", self.unit)
        row = QHBoxLayout()
        self.file = QLineEdit(self)
        self.file.setAccessibleName("Bundle file")
        self.file.setText(str(Path(folder) / f"bundle{SUFFIX}") if folder else "")
        browse = QPushButton("&Browse…", self)
        browse.setAutoDefault(False)  # Enter in the fields sends (or says what is missing), never browses
        browse.clicked.connect(self._browse)
        row.addWidget(self.file, 1)
        row.addWidget(browse)
        form.addRow("&File:", row)
        self.password = self.make_password_box("Your password (signs the bundle)")
        form.addRow("&Password:", self.password)
        self.body.addLayout(form)
        self.problem = self.add_error_label()
        self.ok_button = self.add_buttons("&Send", self._check, enter_checks=True)

    def _browse(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, "Bundle file", self.file.text(), f"Transfer bundles (*{SUFFIX})"
        )
        if name:
            self.file.setText(name if name.endswith(SUFFIX) else name + SUFFIX)

    def _check(self) -> None:
        path = Path(self.file.text().strip()) if self.file.text().strip() else None
        problem = ""
        if self.unit.currentData() is None:
            problem = "No other unit is registered on this PC; an administrator registers one first."
        elif path is None:
            problem = "Choose where to write the bundle file."
        elif path.exists():
            problem = f"{path.name} already exists; choose another name."
        elif not path.parent.is_dir():
            problem = f"The folder {path.parent} does not exist."
        elif not self.password.text():
            problem = "Type your password: it signs the bundle."
        if problem:
            self.problem.setText(problem)
            self.problem.setVisible(True)
            return
        self.accept()

    def request(self) -> ExportRequest:
        return ExportRequest(
            str(self.unit.currentData()), Path(self.file.text().strip()), self.password.text()
        )

    @classmethod
    def ask(cls, parent: QWidget | None, peers: list[Peer], folder: str = "") -> ExportRequest | None:
        dialog = cls(parent, peers, folder)
        return dialog.request() if dialog.exec() == MarkedDialog.DialogCode.Accepted else None


# ------------------------------------------------------------------------------------- the worker
class _Relay(QObject):
    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[[Callable[[int, int], None]], Any], relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._work(self._relay.progressed.emit)
        except BaseException as exc:
            self._relay.failed.emit(exc)
            return
        self._relay.succeeded.emit(result)


class TransferRun:
    """A transfer on a worker thread with a progress bar (records done of all); ``done`` when finished."""

    _running: ClassVar[set[TransferRun]] = set()  # kept alive until the worker reports back

    def __init__(
        self,
        parent: QWidget,
        label: str,
        work: Callable[[Callable[[int, int], None]], Any],
        on_done: Callable[[Any], None],
    ) -> None:
        self.parent = parent
        self.on_done = on_done
        self.done = False
        self.seen: tuple[int, int] = (0, 0)  # the last (done, total) the bar showed
        self.relay = _Relay()
        self.progress = QProgressDialog(label, "", 0, 0, parent)
        self.progress.setCancelButton(None)
        self.progress.setWindowTitle(f"DSVDesk — {current_marking()}")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(0)
        self.progress.setAccessibleName(label)
        self.relay.progressed.connect(self._progressed, Qt.ConnectionType.QueuedConnection)
        self.relay.succeeded.connect(self._succeeded, Qt.ConnectionType.QueuedConnection)
        self.relay.failed.connect(self._failed, Qt.ConnectionType.QueuedConnection)
        TransferRun._running.add(self)
        QThreadPool.globalInstance().start(_Job(work, self.relay))

    def _progressed(self, done: int, total: int) -> None:
        self.seen = (done, total)
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _finish(self) -> None:
        self.done = True
        self.progress.reset()
        self.progress.deleteLater()
        TransferRun._running.discard(self)

    def _succeeded(self, result: object) -> None:
        self._finish()
        self.on_done(result)

    def _failed(self, exc: object) -> None:
        self._finish()
        if isinstance(exc, UserFacingError):
            messages.error(self.parent, exc.title, exc.message)
            return
        assert isinstance(exc, BaseException)
        log.ui.error("transfer failed", exc_info=(type(exc), exc, exc.__traceback__))
        messages.unexpected(self.parent)


# ------------------------------------------------------------------------------------- the actions
class TransferHooks:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.last: TransferRun | None = None
        for text, slot in (
            ("&Send records to another unit…", self._export_chosen),
            ("&Import a transfer bundle…", self._import_chosen),
            ("&Transfer conflicts…", self._conflicts_chosen),  # Alt+C is &Close form
        ):
            self._file_action(text, slot)

    def _file_action(self, text: str, slot: Callable[[], None]) -> None:
        """Add to File above "Close form", as the other File actions are (the window appends)."""
        action = self.window.add_menu_action("file", text, slot)
        menu = self.window.menus["file"]
        anchor = next((a for a in menu.actions() if a.text() == "&Close form"), None)
        if anchor is not None:
            menu.removeAction(action)
            menu.insertAction(anchor, action)

    def _export_chosen(self) -> None:  # the menu's slot: everything is asked in the dialog
        self.export_bundle()

    def _import_chosen(self) -> None:
        self.import_bundle()

    def _conflicts_chosen(self) -> None:
        self.show_conflicts()

    def show_conflicts(self) -> QDialog:
        """The records changed here and at another unit, both states side by side (non-modal open)."""
        from dsvdesk.ui.transfer_conflicts import ConflictDialog

        context = self.window.context
        dialog = ConflictDialog(self.window, context.store, context.session)
        dialog.finished.connect(lambda _result: self.window.records_changed.emit())
        dialog.open()
        return dialog

    def export_bundle(self, request: ExportRequest | None = None) -> TransferRun | None:
        context = self.window.context
        if request is None:
            try:
                peers = [p for p in context.store.transfer_peers() if not p.revoked]
            except UserFacingError as exc:
                messages.error(self.window, exc.title, exc.message)
                return None
            request = ExportDialog.ask(self.window, peers, str(context.db_path.parent))
            if request is None:
                return None
        path, session = context.db_path, context.session

        def work(progress: Callable[[int, int], None]) -> Any:
            from dsvdesk.store import Store

            with Store.open(path) as store:
                return store.export_bundle(
                    session, request.unit, request.path, request.password, progress=progress
                )

        def done(result: Any) -> None:
            messages.info(
                self.window,
                "Bundle written",
                f"Bundle {result.seq} for {result.to} was written to {result.path}: {result.records} record(s).",
            )

        self.last = TransferRun(self.window, "Writing the transfer bundle…", work, done)
        return self.last

    def import_bundle(self, file: Path | None = None) -> TransferRun | None:
        context = self.window.context
        if file is None:
            name, _filter = QFileDialog.getOpenFileName(
                self.window,
                "Import a transfer bundle",
                str(context.db_path.parent),
                f"Transfer bundles (*{SUFFIX});;All files (*)",
            )
            if not name:
                return None
            file = Path(name)
        path, session, chosen = context.db_path, context.session, file

        def work(progress: Callable[[int, int], None]) -> Any:
            from dsvdesk.store import Store

            with Store.open(path) as store:
                return store.import_bundle(session, chosen, progress=progress)

        def done(result: Any) -> None:
            text = (
                f"Bundle {result.seq} from {result.station}: {result.new} new, {result.updated} updated, "
                f"{result.unchanged} unchanged."
            )
            if result.disposed:
                text += f" {result.disposed} record(s) disposed of here under MoPI were not brought back."
            if result.conflicts:
                text += (
                    f" {result.conflicts} record(s) were changed on both sides: they are flagged "
                    "'transfer_conflict' in the lists, with both states kept for a supervisor."
                )
            messages.info(self.window, "Bundle imported", text)
            self.window.records_changed.emit()

        self.last = TransferRun(self.window, "Importing the transfer bundle…", work, done)
        return self.last


def install(window: MainWindow) -> TransferHooks | None:
    from dsvdesk.store.models import Role

    if window.context.session.user.role is not Role.SUPERVISOR:
        return None
    hooks = TransferHooks(window)
    window.transfer_hooks = hooks  # type: ignore[attr-defined]  # tests reach the hooks here
    return hooks
