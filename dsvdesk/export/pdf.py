"""The record PDF: one renderer for every form, driven by the compiled `FormSpec`.

`render_record_pdf` returns the bytes of an unsigned PDF. The same inputs (including `meta.document_date`)
always give the same bytes. reportlab is imported only when a PDF is made (`pdf_layout`), so importing
this module costs nothing at start-up. The page geometry lives in `page`, the metadata dataclasses in
`record_model` (both re-exported here); `pdf_layout` imports neither this module nor anything above it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dsvdesk.export.page import (
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    SIGNATURE_BAND_HEIGHT,
    SIGNATURE_BOX_HEIGHT,
    SIGNATURE_BOXES,
    SIGNATURE_FIELD_NAMES,
    SIGNATURE_GAP,
    SIGNATURE_LABEL_HEIGHT,
    SIGNATURE_LABELS,
)
from dsvdesk.export.record_model import HistoryEntry, RecordComment, RecordMeta, ReviewOutcome

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec

__all__ = [
    "MARGIN_BOTTOM",
    "MARGIN_LEFT",
    "MARGIN_RIGHT",
    "MARGIN_TOP",
    "PAGE_HEIGHT",
    "PAGE_WIDTH",
    "SIGNATURE_BAND_HEIGHT",
    "SIGNATURE_BOXES",
    "SIGNATURE_BOX_HEIGHT",
    "SIGNATURE_FIELD_NAMES",
    "SIGNATURE_GAP",
    "SIGNATURE_LABELS",
    "SIGNATURE_LABEL_HEIGHT",
    "HistoryEntry",
    "RecordComment",
    "RecordMeta",
    "ReviewOutcome",
    "render_record_pdf",
]


def render_record_pdf(
    spec: FormSpec,
    answers: Mapping[str, Any],
    meta: RecordMeta,
    history: Sequence[HistoryEntry],
    *,
    comments: Sequence[RecordComment] | None = None,
) -> bytes:
    """Render one record to PDF bytes (unsigned; `signing.prepare_signature_fields` adds the fields)."""
    from dsvdesk.export import pdf_layout

    return pdf_layout.build_pdf(spec, answers, meta, list(history), list(comments or ()))
