"""The record PDF: one renderer for every form, driven by the compiled `FormSpec`.

`render_record_pdf` returns the bytes of an unsigned PDF. The same inputs (including `meta.document_date`)
always give the same bytes. reportlab is imported only when a PDF is made (`pdf_layout`), so importing
this module costs nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec

# Page geometry in points (A4). Shared with signing.py, which places the signature fields in the boxes
# the renderer leaves free at the foot of the last page.
PAGE_WIDTH, PAGE_HEIGHT = 595.2756, 841.8898
MARGIN_LEFT = MARGIN_RIGHT = 48
MARGIN_TOP = 64  # header band: marking, form title, record reference
MARGIN_BOTTOM = 54  # footer band: marking, record reference, "Page x of y"
SIGNATURE_LABEL_HEIGHT = 16
SIGNATURE_BOX_HEIGHT = 104
SIGNATURE_GAP = 18
# Everything the last page keeps free above the bottom margin: heading, labels and boxes.
SIGNATURE_BAND_HEIGHT = SIGNATURE_BOX_HEIGHT + SIGNATURE_LABEL_HEIGHT + 40

SIGNATURE_FIELD_NAMES = ("OfficerSignature", "SupervisorSignature")
SIGNATURE_LABELS = {"OfficerSignature": "Officer", "SupervisorSignature": "Supervisor"}


def _signature_boxes() -> dict[str, tuple[int, int, int, int]]:
    width = int((PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT - SIGNATURE_GAP) // 2)
    bottom = MARGIN_BOTTOM + 4
    top = bottom + SIGNATURE_BOX_HEIGHT
    left = MARGIN_LEFT
    return {
        "OfficerSignature": (left, bottom, left + width, top),
        "SupervisorSignature": (left + width + SIGNATURE_GAP, bottom, left + 2 * width + SIGNATURE_GAP, top),
    }


# Field name -> (lower-left x, lower-left y, upper-right x, upper-right y) on the last page.
SIGNATURE_BOXES = _signature_boxes()


@dataclass(frozen=True, slots=True)
class RecordMeta:
    """What the title block, header and footer say about the record (not its answers)."""

    form_title: str
    form_version: str
    record_id: str  # UUID
    status: str  # draft | submitted | returned | approved ...
    revision: int
    document_date: datetime  # the PDF's creation date; fixed so the same record gives the same bytes
    urn: str | None = None
    supersedes_revision: int | None = None
    station: str = ""
    officer: str = ""  # "PC 1234 Jane Smith"
    include_reviewer_sections: bool = False  # supervisor sections appear only once they are filled
    marking: str | None = None  # overrides the form's protective marking (e.g. a force setting)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One step of the record's lifecycle for the history block."""

    action: str  # created | submitted | returned | approved | amended ...
    actor: str  # display name, e.g. "PS 4411 Ann Jones"
    at: datetime
    note: str = ""  # e.g. the reason a record was returned


@dataclass(frozen=True, slots=True)
class RecordComment:
    """A reviewer's or author's comment, attached to a question or (question_id None) the whole record."""

    author: str
    at: datetime
    text: str
    question_id: str | None = None


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
