"""Export… and Verify a signed PDF or board pack… in the app.

"Export…" sits on every record tab whose record has a signed PDF (submitted, approved, or an amendment
whose earlier revision was signed) and in the File menu for the current tab. The preview is read on the
UI thread (one small SELECT); the export itself runs off it through ``ui.ops.Op`` with its own Store,
and calls the same core as ``dsvdesk export`` (dsvdesk.export.disclosure).

Verify… checks a signed PDF (dsvdesk.export.verify.verify_pdf) or a board pack .zip
(dsvdesk.export.board_pack.verify_pack), the same calls as ``dsvdesk verify``, against this station's
anchors (its pinned force root, else its own CA), never against anything inside the file under check.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.export.disclosure import ExportFileExists, ExportResult, find_signed
from dsvdesk.ui import messages
from dsvdesk.ui.export.dialog import ExportDialog, ExportRequest
from dsvdesk.ui.ops import Op
from dsvdesk.ui.qt import QAction, QFileDialog, QKeySequence, QObject, QSettings, QWidget
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.review.screen import ReviewScreen

if TYPE_CHECKING:
    from dsvdesk.export.board_pack import FileCheck, PackVerification
    from dsvdesk.export.verify import PdfVerification, SignatureCheck
    from dsvdesk.store.models import Record
    from dsvdesk.store.trust import TrustAnchors
    from dsvdesk.ui.main_window import MainWindow

# The reason logged when the signed PDF is read for the preview (a supervisor reading another officer's
# record must give one); the disclosure itself is logged with the reason the user types.
PREVIEW_REASON = "Preparing a disclosure (Export… preview)"
LAST_FOLDER_KEY = "export/last_folder"
LAST_VERIFY_FOLDER_KEY = "export/last_verify_folder"
BUTTON_PROPERTY = "exportButtonAdded"
EXPORTABLE_STATUSES = frozenset({"submitted", "approved"})


VERIFY_FILTER = (
    "Signed PDFs and board packs (*.pdf *.zip);;PDF files (*.pdf);;Board packs (*.zip);;All files (*)"
)
VERIFY_ACTION_TEXT = "&Verify a signed PDF or board pack…"


def pick_pdf(parent: QWidget | None, start: str) -> str:
    """The file chooser for Verify (tests replace this function; the native dialog would block them)."""
    path, _filter = QFileDialog.getOpenFileName(
        parent, "Choose a signed PDF or board pack (.zip) to check", start, VERIFY_FILTER
    )
    return str(path)


def is_pack(path: Path) -> bool:
    """What `dsvdesk verify` treats as a board pack: a .zip (or a folder)."""
    return path.is_dir() or path.suffix.lower() == ".zip"


def pack_line(check: FileCheck) -> str:
    """One line per file of a pack: its name, the verdict, and why (a bullet, so wrapped lines stay apart)."""
    mark = "OK" if check.ok else ("NOT TRUSTED" if check.untrusted else "FAILED")
    return f"• {check.name} — {mark}: {check.message}"


def is_exportable(record: Record) -> bool:
    """A signed PDF exists: submitted or approved, or an amendment whose earlier revision was signed."""
    return str(record.status) in EXPORTABLE_STATUSES or record.latest_revision > 1


def signed_note(record: Record, revision: int, urn: str | None) -> str:
    """What the signatures in the exported revision are, since the preview cannot draw their stamps (an
    approved document carries the officer's signed submission as an attachment, export/signing.py)."""
    approved = str(record.status) == "approved" or revision < record.latest_revision
    if approved:
        reference = f" (URN {urn})" if urn else ""
        return (
            f"Signatures in this file: the supervisor's, made at approval{reference}, over the approved "
            "document, and the officer's, made at submission, over the signed submission attached to it."
        )
    return "Signature in this file: the officer's, made at submission. It is not approved yet."


def signature_line(number: int, sig: SignatureCheck) -> str:
    """One line per signature: who, why, when, and the verdict."""
    signer = f"{sig.signer} (collar {sig.collar})" if sig.collar else sig.signer
    when = sig.signing_time.strftime("%d/%m/%Y %H:%M") if sig.signing_time else "time unknown"
    where = " (attached signed submission)" if sig.attachment else ""
    return f"{number}. {signer}{where} — {sig.reason or 'no reason given'} — {when}: {sig.verdict()}"


class ExportHooks(QObject):
    """Lives as long as the window: the File menu actions and the Export… button on record tabs."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("exportHooks")
        self.window = window
        self.busy = False
        self.last_result: ExportResult | None = None
        self.last_verification: tuple[Path, PdfVerification | PackVerification] | None = None
        # The same INI file as the rest of the UI state (ui/state.py): folders only, never record data.
        self.settings = QSettings(str(window.context.ui_state.path), QSettings.Format.IniFormat)
        self.can_export = window.context.role != "admin"  # administrators never read record content
        self.export_action: QAction | None = None
        if self.can_export:
            self.export_action = self._file_action("E&xport signed record…", self.export_current)
        self.verify_action = self._file_action(VERIFY_ACTION_TEXT, self.verify_file)
        self._separate_from_the_rest()
        window.tabs.currentChanged.connect(self._tab_shown)
        self._tab_shown(window.tabs.currentIndex())

    # --- menus ------------------------------------------------------------------------------------
    def _close_action(self) -> QAction | None:
        close = QKeySequence(QKeySequence.StandardKey.Close)
        for action in self.window.menus["file"].actions():
            if not close.isEmpty() and action.shortcut() == close:
                return action
        return None

    def _file_action(self, text: str, slot: Any) -> QAction:
        """Add to File, above "Close form" (the window appends; record actions belong with the records)."""
        action = self.window.add_menu_action("file", text, slot)
        anchor = self._close_action()
        if anchor is not None:
            menu = self.window.menus["file"]
            menu.removeAction(action)
            menu.insertAction(anchor, action)
        return action

    def _separate_from_the_rest(self) -> None:
        anchor = self._close_action()
        if anchor is not None:
            self.window.menus["file"].insertSeparator(anchor)

    # --- the button on record tabs ----------------------------------------------------------------
    def _tab_shown(self, index: int) -> None:
        widget = self.window.tabs.widget(index)
        if (
            not self.can_export
            or not isinstance(widget, (RecordView, ReviewScreen))
            or widget.property(BUTTON_PROPERTY)
        ):
            return
        widget.setProperty(BUTTON_PROPERTY, True)
        button = widget.wizard.add_action_button("E&xport…", accessible_name="Export the signed PDF")
        button.setObjectName("exportButton")
        button.clicked.connect(lambda _checked=False, w=widget: self.export_view(w))
        widget.setProperty("exportButtonObject", button)
        self._sync(widget, button)
        widget.records_changed.connect(lambda w=widget, b=button: self._sync(w, b))

    def _sync(self, widget: RecordView | ReviewScreen, button: Any) -> None:
        button.setVisible(is_exportable(widget.record))

    def export_button(self, widget: QWidget) -> Any:
        """The Export… button of a record tab (None before the tab was first shown)."""
        return widget.property("exportButtonObject")

    # --- export -----------------------------------------------------------------------------------
    def export_current(self) -> None:
        widget = self.window.tabs.currentWidget()
        if not isinstance(widget, (RecordView, ReviewScreen)):
            messages.info(
                self.window,
                "Export",
                "Open the record first (from My forms or the review queue), then choose Export….",
            )
            return
        self.export_view(widget)

    def _title(self, widget: RecordView | ReviewScreen) -> str:
        return str(widget.title()).removeprefix("Review — ")

    def export_view(self, widget: RecordView | ReviewScreen) -> None:
        if self.busy:
            return
        record = widget.record
        if not is_exportable(record):
            messages.info(
                self.window,
                "Nothing to export yet",
                "Only a submitted or approved record has a signed PDF to export. Submit it first.",
            )
            return
        context = self.window.context
        try:
            copy = find_signed(context.store, context.session, record.id, justification=PREVIEW_REASON)
        except UserFacingError as exc:
            messages.error(self.window, exc.title, exc.message)
            return
        details = [f"revision {copy.revision}"]
        if copy.urn:
            details.insert(0, f"URN {copy.urn}")
        request = ExportDialog.ask(
            self.window,
            pdf=copy.pdf,
            record_title=f"{self._title(widget)} ({', '.join(details)})",
            file_name=copy.file_name,
            folder=self.last_folder(),
            signed_note=signed_note(record, copy.revision, copy.urn),
        )
        if request is None:
            return
        self.run_export(copy.record_id, copy.revision, request)

    def run_export(
        self, record_id: str, revision: int, request: ExportRequest, *, overwrite: bool = False
    ) -> None:
        self.busy = True
        context = self.window.context

        def work() -> ExportResult:
            from dsvdesk.export.disclosure import export_record
            from dsvdesk.store import Store

            worker_store = Store.open(context.db_path)  # sqlite3 connections stay on their own thread
            try:
                return export_record(
                    worker_store,
                    context.session,
                    record_id,
                    request.folder,
                    recipient=request.recipient,
                    justification=request.justification,
                    overwrite=overwrite,
                    revision=revision,
                )
            finally:
                worker_store.close()

        Op(self.window, work, label="Exporting the signed record…").success(
            lambda result: self._exported(result, request)
        ).failure(lambda exc: self._export_failed(exc, record_id, revision, request, overwrite)).run()

    def _exported(self, result: ExportResult, request: ExportRequest) -> None:
        self.busy = False
        self.last_result = result
        self.set_last_folder(str(request.folder))
        log.ui.info("record exported as %s", result.file_name)
        self.window.statusBar().showMessage(f"Exported {result.file_name}")
        messages.info(
            self.window,
            "Exported",
            f"The signed record was written to:\n{result.pdf_path}\n\nThe disclosure is recorded in the audit "
            "log. The recipient checks the signatures against the force root they hold (README: How to check "
            "a DSVDesk document).",
        )

    def _export_failed(
        self, exc: BaseException, record_id: str, revision: int, request: ExportRequest, overwrite: bool
    ) -> bool:
        self.busy = False
        if isinstance(exc, ExportFileExists) and not overwrite:
            replace = messages.confirm(
                self.window,
                "File already there",
                f"{exc.path.name} is already in {exc.path.parent}. Replace it with this export?",
                yes_text="&Replace it",
                no_text="&Keep the old file",
            )
            if replace:
                self.run_export(record_id, revision, request, overwrite=True)
            else:
                self.window.statusBar().showMessage("Not exported: the file already there was kept")
            return True
        return False  # the calm default message says what happened and what to do

    # --- remembered folders -----------------------------------------------------------------------
    def last_folder(self) -> str:
        value = self.settings.value(LAST_FOLDER_KEY, "")
        if isinstance(value, str) and value and Path(value).is_dir():
            return value
        documents = Path(platformdirs.user_documents_dir())
        return str(documents if documents.is_dir() else Path.home())

    def set_last_folder(self, folder: str) -> None:
        self.settings.setValue(LAST_FOLDER_KEY, folder)
        self.settings.sync()

    # --- verify -----------------------------------------------------------------------------------
    def verify_file(self) -> None:
        start = self.settings.value(LAST_VERIFY_FOLDER_KEY, "")
        chosen = pick_pdf(self.window, start if isinstance(start, str) and start else self.last_folder())
        if not chosen:
            return
        path = Path(chosen)
        self.settings.setValue(LAST_VERIFY_FOLDER_KEY, str(path.parent))
        try:
            anchors = self.window.context.store.trust_anchors()
        except UserFacingError as exc:
            messages.error(self.window, exc.title, exc.message)
            return

        def work() -> PdfVerification | PackVerification:
            if is_pack(path):
                from dsvdesk.export.board_pack import verify_pack

                return verify_pack(
                    path, anchors.roots, intermediates=anchors.intermediates, revocations=anchors.revocations
                )
            from dsvdesk.export.verify import verify_pdf

            return verify_pdf(
                path, anchors.roots, intermediates=anchors.intermediates, revocations=anchors.revocations
            )

        Op(self.window, work, label="Checking the signatures…").success(
            lambda result: self._verified(path, result, anchors)
        ).run()

    def _report_lines(self, result: PdfVerification | PackVerification) -> tuple[str, list[str]]:
        """(headline, one line per signature or per file of a pack)."""
        from dsvdesk.export.verify import PdfVerification

        if isinstance(result, PdfVerification):
            return result.summary(), [signature_line(n, s) for n, s in enumerate(result.signatures, start=1)]
        headline = result.summary().removeprefix(f"Pack {result.source}: ")
        return f"board pack — {headline}", [pack_line(f) for f in result.files]

    def _verified(
        self, path: Path, result: PdfVerification | PackVerification, anchors: TrustAnchors
    ) -> None:
        """The same three answers as `dsvdesk verify`: trusted, intact but untrusted, altered."""
        from dsvdesk.export.verify import Outcome

        self.last_verification = (path, result)
        headline, lines = self._report_lines(result)
        outcome = result.outcome
        log.ui.info(
            "checked %s: %d line(s), outcome %s",
            "a pack" if is_pack(path) else "a PDF",
            len(lines),
            outcome.name,
        )
        checked = "\n".join([f"Checked against {anchors.description}.", *anchors.notes])
        body = f"{path.name}: {headline}\n\n" + "\n".join(lines) + f"\n\n{checked}"
        if outcome is Outcome.TRUSTED:
            messages.info(self.window, "Signatures checked: trusted", body)
        elif outcome is Outcome.UNTRUSTED:
            messages.warning(self.window, "Signatures intact but NOT trusted", body)
        else:
            messages.warning(self.window, "Signatures FAILED: do not rely on this file", body)
