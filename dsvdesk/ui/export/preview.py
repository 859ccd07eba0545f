"""An on-screen preview of a signed PDF (QtPdf), loaded from bytes: nothing is written to disk.

QtPdf 6.12 does not draw signature-widget appearances (docs/stack.md §6), so the preview says
so under the pages: the stamps are in the file, only this view leaves them out.
"""

from __future__ import annotations

from dsvdesk.ui.qt import (
    QBuffer,
    QByteArray,
    QIODevice,
    QLabel,
    QPdfDocument,
    QPdfView,
    QVBoxLayout,
    QWidget,
)

STAMP_NOTE = "Signature stamps are not drawn in this preview; the exported file carries them."


def page_count_text(pages: int) -> str:
    return f"{pages} page{'s' if pages != 1 else ''}"


class PdfPreview(QWidget):
    """The pages of a PDF one under another, fitted to the width, with the page count above them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPreview")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.page_count_label = QLabel("", self)
        self.page_count_label.setObjectName("previewPageCount")
        layout.addWidget(self.page_count_label)
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setObjectName("previewView")
        self.view.setAccessibleName("Preview of the signed PDF")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        layout.addWidget(self.view, 1)
        self.note = QLabel(STAMP_NOTE, self)
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        # QPdfDocument reads from the device for as long as it is open: keep both alive with the widget.
        self._bytes = QByteArray()
        self._buffer: QBuffer | None = None

    def load(self, data: bytes) -> bool:
        """Show ``data``; False (with a message in place of the pages) when QtPdf cannot read it."""
        self._bytes = QByteArray(data)
        buffer = QBuffer(self)
        buffer.setData(self._bytes)
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(buffer)
        if self._buffer is not None:
            self._buffer.deleteLater()
        self._buffer = buffer
        if self.document.status() != QPdfDocument.Status.Ready:
            self.page_count_label.setText(
                "The preview cannot be shown for this file. The export itself is not affected."
            )
            self.page_count_label.setObjectName("inlineError")
            return False
        self.page_count_label.setText(f"Preview — {page_count_text(self.page_count())}")
        return True

    def page_count(self) -> int:
        return int(self.document.pageCount())
