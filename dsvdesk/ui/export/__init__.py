"""Export… of one record from the app (issue 6): the dialog with the PDF preview, recipient,
justification and folder; the export off the UI thread; and Verify a signed PDF or board pack… in the File menu.
``install(window)`` wires them in through the main window's extension points."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsvdesk.ui.export.dialog import COMMON_RECIPIENTS, ExportDialog, ExportRequest
from dsvdesk.ui.export.hooks import ExportHooks
from dsvdesk.ui.export.preview import STAMP_NOTE, PdfPreview

if TYPE_CHECKING:
    from dsvdesk.ui.main_window import MainWindow

__all__ = [
    "COMMON_RECIPIENTS",
    "STAMP_NOTE",
    "ExportDialog",
    "ExportHooks",
    "ExportRequest",
    "PdfPreview",
    "install",
]


def install(window: MainWindow) -> ExportHooks:
    hooks = ExportHooks(window)
    window.export_hooks = hooks  # type: ignore[attr-defined]  # tests reach the hooks here
    return hooks
